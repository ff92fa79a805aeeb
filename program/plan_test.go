package program

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/plan"
)

const projectDir = ".."

// runPlan runs the command's entry point and returns its exit code and output.
func runPlan(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := plan.Command(args, &stdout, &stderr, Run)
	return code, stdout.String(), stderr.String()
}

func decodePlan(t *testing.T, text string) plan.Plan {
	t.Helper()
	var p plan.Plan
	require.NoError(t, json.Unmarshal([]byte(text), &p))
	return p
}

// variant writes a project directory whose stack "variant" is the dev stack
// changed by change, which edits the YAML config map.
func variant(t *testing.T, change func(config map[string]any)) string {
	t.Helper()
	return stackVariant(t, "dev", change)
}

func TestDevPlanJSON(t *testing.T) {
	code, out, errs := runPlan(t, "-dir", projectDir, "-json")
	require.Equal(t, 0, code, errs)
	p := decodePlan(t, out)

	assert.Equal(t, "studio-redshift", p.Project)
	assert.Equal(t, "dev", p.Stack)
	assert.Equal(t, "us-east-1", p.Region)
	assert.Equal(t, []plan.Account{
		{Provider: "consumer", AccountID: "222222222222", Resources: 61},
		{Provider: "producer", AccountID: "111111111111", Resources: 7},
	}, p.Accounts)
	assert.Equal(t, 68, p.Totals.Resources)
	assert.Equal(t, map[string]int{"consumer": 61, "producer": 7}, p.Totals.ByAccount)
	assert.Equal(t, 8, p.Totals.ByType["aws:ec2:VpcEndpoint"])

	// The producer role's trust policy, parsed, names the execution role's ARN.
	var executionRoleArn string
	for _, r := range p.Resources {
		if r.Name == "consumer-execution-role" {
			executionRoleArn = r.Arn
		}
	}
	require.NotEmpty(t, executionRoleArn)
	var trust *plan.Policy
	for i, pol := range p.Policies {
		if pol.Kind == "trust" && pol.Role == "producer-role" {
			trust = &p.Policies[i]
		}
	}
	require.NotNil(t, trust, "the producer role's trust policy is in the plan")
	assert.Equal(t, "111111111111", trust.AccountID)
	require.NotNil(t, trust.Document)
	assert.Equal(t, []string{executionRoleArn}, trust.Document.Statement[0].Principal.AWS)

	assert.Len(t, p.Network.Routes, 3)
	assert.Len(t, p.Network.Endpoints, 8)
	assert.Len(t, p.Network.Rules, 15)
	for _, rule := range p.Network.Rules {
		assert.NotEqual(t, "0.0.0.0/0", rule.Peer, "%+v", rule)
	}
	assert.Contains(t, p.Outputs["notebookSnippet"], "get_cluster_credentials(")

	// The quota table: per account, what the stack uses of each default quota.
	quotas := map[string]plan.Quota{}
	for _, q := range p.Quotas {
		quotas[q.Provider+"/"+q.Name] = q
		assert.LessOrEqual(t, q.Used, q.Limit, "%+v", q)
		assert.Equal(t, q.Limit-q.Used, q.Headroom, "%+v", q)
		assert.NotEmpty(t, q.Key, "%+v names the key that drives it", q)
		assert.True(t, strings.HasPrefix(q.Source, "https://docs.aws.amazon.com/"), "%+v cites its AWS page", q)
	}
	endpointRules := quotas["consumer/inbound rules per security group"]
	assert.Equal(t, plan.Quota{Provider: "consumer", AccountID: "222222222222", Name: "inbound rules per security group",
		Limit: 60, Used: 2, Headroom: 58, Where: "consumer-endpoints", Key: endpointRules.Key, Source: endpointRules.Source}, endpointRules)
	assert.Equal(t, 3, quotas["consumer/security groups per network interface (Studio app)"].Used,
		"the clients group, the user's own and SageMaker's")
	assert.Equal(t, 7, quotas["consumer/interface endpoints per VPC"].Used, "seven interface endpoints")
	endpointPolicy := quotas["consumer/VPC endpoint policy size (characters)"]
	assert.Equal(t, 20480, endpointPolicy.Limit)
	assert.Equal(t, "consumer-endpoint-s3", endpointPolicy.Where, "the gateway's policy, which names the buckets, is the longest")
	assert.Positive(t, endpointPolicy.Used)
}

func TestDevPlanText(t *testing.T) {
	code, out, errs := runPlan(t, "-dir", projectDir)
	require.Equal(t, 0, code, errs)
	for _, want := range []string{
		"Plan for studio-redshift, stack dev, region us-east-1",
		"consumer  account 222222222222",
		"producer  account 111111111111",
		"== Resources by account",
		"aws:sagemaker:Domain consumer-domain  name=analytics-studio auth=IAM network=VpcOnly identity=USER_PROFILE_NAME homeEfs=Retain  [protected]",
		"Trust policy: producer-role (producer account 111111111111)",
		`"${aws:SourceIdentity}"`,
		"== Network",
		"aws.sagemaker.us-east-1.studio",
		"== Stack outputs",
		"notebookSnippet:",
		"68 resources",
		"== AWS default quotas",
	} {
		assert.Contains(t, out, want)
	}
}

func TestDemoPlan(t *testing.T) {
	code, out, errs := runPlan(t, "-dir", projectDir, "-stack", "demo", "-json")
	require.Equal(t, 0, code, errs)
	p := decodePlan(t, out)
	assert.Equal(t, map[string]int{"consumer": 105, "producer": 49}, p.Totals.ByAccount)
	assert.Equal(t, 1, p.Totals.ByType["aws:redshift:Cluster"])
	assert.Equal(t, 2, p.Totals.ByType["aws:ec2:Vpc"])
}

// TestSixZonesInUSEast1 plans the producer's subnets in all six zones of
// us-east-1, as the region offers them, and the consumer's in the five that
// offer every endpoint service it needs (not use1-az3).
func TestSixZonesInUSEast1(t *testing.T) {
	code, out, errs := runPlan(t, "-dir", projectDir, "-stack", "demo", "-json", "-set", "producer.vpc.subnetCount=6", "-set", "consumer.vpc.subnetCount=5")
	require.Equal(t, 0, code, errs)
	zones := map[string][]string{}
	for _, r := range decodePlan(t, out).Resources {
		for _, side := range []string{"producer", "consumer"} {
			if r.Type == "aws:ec2:Subnet" && strings.HasPrefix(r.Name, side+"-network-private-") {
				zones[side] = append(zones[side], r.Properties["availabilityZone"].(string))
			}
		}
	}
	assert.ElementsMatch(t, []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"}, zones["producer"])
	assert.ElementsMatch(t, []string{"us-east-1a", "us-east-1b", "us-east-1d", "us-east-1e", "us-east-1f"}, zones["consumer"])
}

func TestOutputIsDeterministic(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"-json"}, {"-diagram", "mermaid"}, {"-stack", "demo"}, {"-stack", "demo", "-json"}} {
		args = append([]string{"-dir", projectDir}, args...)
		_, first, _ := runPlan(t, args...)
		_, second, _ := runPlan(t, args...)
		require.NotEmpty(t, first)
		assert.Equal(t, first, second, "two runs of %v differ", args)
	}
}

func TestMermaidIsAFlowchart(t *testing.T) {
	chart := parseFlowchart(t, planOutput(t, "-diagram", "mermaid"))
	assert.True(t, chart.has("studio_domain", "TCP 5439", "peering"))
	assert.True(t, chart.has("peering", "TCP 5439", "redshift_cluster"))
	assert.Equal(t, "producer", chart.parent["producer_vpc"])
	assert.True(t, chart.has("role_consumer_execution_role", "sts:AssumeRole + sts:SetSourceIdentity", "role_producer_role"))
	assert.GreaterOrEqual(t, len(chart.edges), 8)
}

func TestREADMEDiagramIsCurrent(t *testing.T) {
	diagram := planOutput(t, "-diagram", "mermaid")
	assert.Contains(t, readme(t), "```mermaid\n"+diagram+"```\n",
		"README.md's diagram differs from `go run ./cmd/plan -diagram mermaid`: paste the command's output into it")
}

func TestSameAccountVariant(t *testing.T) {
	dir := variant(t, func(config map[string]any) {
		config["studio-redshift:consumer"].(map[string]any)["accountId"] = "111111111111"
	})
	code, out, errs := runPlan(t, "-dir", dir, "-stack", "variant", "-json")
	require.Equal(t, 0, code, errs)
	p := decodePlan(t, out)
	assert.Equal(t, []plan.Account{
		{Provider: "consumer", AccountID: "111111111111", Resources: 61},
		{Provider: "producer", AccountID: "111111111111", Resources: 7},
	}, p.Accounts)
	assert.Equal(t, 68, p.Totals.Resources)
}

func TestInvalidConfigPrintsNoPlan(t *testing.T) {
	dir := variant(t, func(config map[string]any) {
		config["studio-redshift:consumer"].(map[string]any)["accountId"] = "2222"
	})
	outFile := filepath.Join(t.TempDir(), "plan.json")
	code, out, errs := runPlan(t, "-dir", dir, "-stack", "variant", "-json", "-out", outFile)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Equal(t, "plan: invalid studio-redshift configuration: consumer.accountId: \"2222\" is not a 12-digit AWS account ID\n", errs,
		"the program's own message, naming the key")
	assert.NoFileExists(t, outFile, "no partial plan")
}

func TestSecretValues(t *testing.T) {
	dir := variant(t, func(config map[string]any) {
		config["studio-redshift:region"] = map[string]any{"secure": "AAABAKx0c2VjcmV0"}
	})
	code, out, errs := runPlan(t, "-dir", dir, "-stack", "variant")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "studio-redshift:region is a secret")
	assert.Contains(t, errs, "-set studio-redshift:region=VALUE")

	code, out, errs = runPlan(t, "-dir", dir, "-stack", "variant", "-set", "region=eu-west-1")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "region eu-west-1", "a -set value stands in for the secret")

	// A secret nested in a structured value is named by its path, which a
	// -set of that path stands in for.
	dir = variant(t, func(config map[string]any) {
		studio := config["studio-redshift:consumer"].(map[string]any)["studio"].(map[string]any)
		studio["pipIndexUrl"] = map[string]any{"secure": "AAABAKx0c2VjcmV0"}
	})
	code, _, errs = runPlan(t, "-dir", dir, "-stack", "variant")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "-set studio-redshift:consumer.studio.pipIndexUrl=VALUE")
	code, _, errs = runPlan(t, "-dir", dir, "-stack", "variant", "-set", "studio-redshift:consumer.studio.pipIndexUrl=https://ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/")
	assert.Equal(t, 0, code, errs)
}

// TestEveryKeyOfTheStackFile plans stack files with keys the program does
// not read: the same check as under `pulumi up`, since the plan hands the
// program the whole file as the CLI does.
func TestEveryKeyOfTheStackFile(t *testing.T) {
	for key, want := range map[string]string{
		"studio-redshift:featurestore": `featurestore: unknown key; did you mean "featureStore"?`,
		"studio-redshift:reigon":       `reigon: unknown key; did you mean "region"?`,
		"studio-redshft:protect":       `studio-redshft:protect: unknown namespace "studio-redshft"; did you mean studio-redshift:protect?`,
	} {
		dir := variant(t, func(config map[string]any) { config[key] = "x" })
		code, out, errs := runPlan(t, "-dir", dir, "-stack", "variant")
		assert.Equal(t, 1, code, key)
		assert.Empty(t, out, key)
		assert.Contains(t, errs, want)
	}

	dir := variant(t, func(config map[string]any) { config["aws:profile"] = "default" })
	code, out, errs := runPlan(t, "-dir", dir, "-stack", "variant")
	require.Equal(t, 0, code, errs)
	assert.NotEmpty(t, out)
	assert.Contains(t, errs, "plan: warning: aws:profile does nothing in this program")
}

func TestStackFileErrors(t *testing.T) {
	// The test's own project directory: the stacks next to the examples, or
	// a Pulumi.prod.yaml a user adds there, change nothing here.
	dir := variant(t, func(map[string]any) {})
	dev, err := os.ReadFile(filepath.Join(dir, "Pulumi.variant.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.prod.yaml"), dev, 0o600))
	code, _, errs := runPlan(t, "-dir", dir, "-stack", "prod")
	require.Equal(t, 0, code, "a stack file the user adds plans: %s", errs)

	code, out, errs := runPlan(t, "-dir", dir, "-stack", "staging")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, `unknown stack "staging": there is no Pulumi.staging.yaml (stacks here: prod, variant)`)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.broken.yaml"), []byte("config: [\n"), 0o600))
	code, _, errs = runPlan(t, "-dir", dir, "-stack", "broken")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "cannot read the stack configuration: Pulumi.broken.yaml")

	code, _, errs = runPlan(t, "-dir", t.TempDir())
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "no Pulumi.yaml")
}

// TestSetTakesConfigPaths changes nested values the way `pulumi config set
// --path` does, and the plan shows the changed values.
func TestSetTakesConfigPaths(t *testing.T) {
	code, out, errs := runPlan(t, "-dir", projectDir, "-json",
		"-set", "consumer.studio.domainName=research",
		"-set", "consumer.studio.userProfiles[0]=eve",
		"-set-str", "studio-redshift:consumer.accountId=333333333333")
	require.Equal(t, 0, code, errs)
	p := decodePlan(t, out)
	assert.Equal(t, []any{"eve", "bob"}, p.Outputs["userProfiles"])
	assert.Equal(t, "333333333333", p.Outputs["consumerAccountId"])
	var domain map[string]any
	for _, r := range p.Resources {
		if r.Type == "aws:sagemaker:Domain" {
			domain = r.Properties
		}
	}
	require.NotNil(t, domain)
	assert.Equal(t, "research", domain["domainName"], "the nested -set is what gets planned")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"digits become a number, as with --path", []string{"-set", "producer.accountId=111111111111"},
			"producer.accountId: expected a string, got a number (111111111111); account IDs can start with 0"},
		{"an object key given text that is not JSON", []string{"-set", "producer=data-account"},
			`-set 'producer={"KEY": "VALUE"}'`},
		{"an index past the end", []string{"-set", "consumer.studio.userProfiles[7]=eve"},
			"-set consumer.studio.userProfiles[7]:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runPlan(t, append([]string{"-dir", projectDir}, tt.args...)...)
			assert.Equal(t, 1, code)
			assert.Empty(t, out)
			assert.Contains(t, errs, tt.want)
		})
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-diagram", "svg"},
		{"-json", "-diagram", "mermaid"},
		{"leftover"},
		{"-set", "novalue"},
	} {
		code, out, errs := runPlan(t, append([]string{"-dir", projectDir}, args...)...)
		assert.Equal(t, 2, code, "%v", args)
		assert.Empty(t, out, "%v", args)
		assert.NotEmpty(t, errs, "%v", args)
	}
}

func TestOutFile(t *testing.T) {
	outFile := filepath.Join(t.TempDir(), "plan.mmd")
	code, out, errs := runPlan(t, "-dir", projectDir, "-diagram", "mermaid", "-out", outFile)
	require.Equal(t, 0, code, errs)
	assert.Empty(t, out)
	written, err := os.ReadFile(outFile)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(written), "flowchart LR\n"))
}

func TestPlanIsFast(t *testing.T) {
	start := time.Now()
	code, _, errs := runPlan(t, "-dir", projectDir, "-json")
	require.Equal(t, 0, code, errs)
	assert.Less(t, time.Since(start), time.Second, "the dev plan renders in well under a second")
}

// TestAThousandUserPlanIsQuick plans the greenfield stack with 1,000 users
// (text, as a reviewer reads it) within the time a review allows.
func TestAThousandUserPlanIsQuick(t *testing.T) {
	t.Parallel()
	users := make([]any, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("data-scientist-%04d", i)
	}
	dir := variant(t, func(config map[string]any) {
		config["studio-redshift:consumer"].(map[string]any)["studio"].(map[string]any)["userProfiles"] = users
	})
	start := time.Now()
	code, out, errs := runPlan(t, "-dir", dir, "-stack", "variant")
	elapsed := time.Since(start)
	require.Equal(t, 0, code, errs)
	assert.Less(t, elapsed, 5*time.Second, "the offline plan of 1,000 users")
	assert.Contains(t, out, "aws:sagemaker:UserProfile consumer-user-data-scientist-0999")
	assert.Contains(t, out, "== AWS default quotas")
}

// TestAnySubnetIDsPlan: the offline plan cannot see the account, so subnets
// it knows nothing of are taken to be in the distinct zones a correct
// configuration implies, whatever their IDs look like.
func TestAnySubnetIDsPlan(t *testing.T) {
	code, _, errs := runPlan(t, "-dir", projectDir,
		"-set", "consumer.vpc.subnetIds[0]=subnet-0a11111111111111a", "-set", "consumer.vpc.subnetIds[1]=subnet-0a22222222222222b")
	assert.Equal(t, 0, code, errs)
}

// TestSplitStacksPlanWithEachOthersOutputs plans the producer side, then a
// consumer side with its outputs (as `pulumi stack output --json` writes
// them), then the producer side again with the consumer's.
func TestSplitStacksPlanWithEachOthersOutputs(t *testing.T) {
	dir := t.TempDir()
	planOutputs := func(stack string, references ...string) string {
		t.Helper()
		file := filepath.Join(dir, stack+".json")
		args := []string{"-dir", projectDir, "-stack", stack, "-outputs", "-out", file}
		for _, reference := range references {
			args = append(args, "-stack-outputs", reference+"="+filepath.Join(dir, reference+".json"))
		}
		code, _, errs := runPlan(t, args...)
		require.Equal(t, 0, code, errs)
		return file
	}
	planOutputs("data-platform")
	code, _, errs := runPlan(t, "-dir", projectDir, "-stack", "ml-team-a")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "-stack-outputs data-platform=FILE", "without the producer's outputs the plan says how to supply them")

	planOutputs("ml-team-a", "data-platform")
	text, err := os.ReadFile(planOutputs("data-platform", "ml-team-a"))
	require.NoError(t, err)
	var outputs map[string]any
	require.NoError(t, json.Unmarshal(text, &outputs), "the format of pulumi stack output --json")
	assert.Equal(t, []any{}, outputs["pending"])
	assert.Equal(t, map[string]any{
		"trusted": true, "peeringAccepted": true, "endpointAuthorized": false,
		"producerRoleArn": "arn:aws:iam::111111111111:role/analytics-us-east-1-ml-team-a-studio-users", "dbUserPrefix": "ml-team-a_",
	}, outputs["consumerLinks"].(map[string]any)["ml-team-a"])

	code, _, errs = runPlan(t, "-dir", projectDir, "-stack", "ml-team-a", "-stack-outputs", "data-platform")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "want NAME=FILE")
}
