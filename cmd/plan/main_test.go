package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/studio-redshift/studio-redshift/internal/plan"
)

const projectDir = "../.."

// runPlan runs the command's entry point and returns its exit code and output.
func runPlan(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
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
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(projectDir, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o600))

	dev, err := os.ReadFile(filepath.Join(projectDir, "Pulumi.dev.yaml"))
	require.NoError(t, err)
	var stack map[string]map[string]any
	require.NoError(t, yaml.Unmarshal(dev, &stack))
	change(stack["config"])
	text, err := yaml.Marshal(stack)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.variant.yaml"), text, 0o600))
	return dir
}

func TestDevPlanJSON(t *testing.T) {
	code, out, errs := runPlan(t, "-dir", projectDir, "-json")
	require.Equal(t, 0, code, errs)
	p := decodePlan(t, out)

	assert.Equal(t, "studio-redshift", p.Project)
	assert.Equal(t, "dev", p.Stack)
	assert.Equal(t, "us-east-1", p.Region)
	assert.Equal(t, []plan.Account{
		{Provider: "consumer", AccountID: "222222222222", Resources: 49},
		{Provider: "producer", AccountID: "111111111111", Resources: 7},
	}, p.Accounts)
	assert.Equal(t, 56, p.Totals.Resources)
	assert.Equal(t, map[string]int{"consumer": 49, "producer": 7}, p.Totals.ByAccount)
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
	assert.Len(t, p.Network.Rules, 25)
	for _, rule := range p.Network.Rules {
		assert.NotEqual(t, "0.0.0.0/0", rule.Peer, "%+v", rule)
	}
	assert.Contains(t, p.Outputs["notebookSnippet"], "get_cluster_credentials(")
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
		"56 resources",
	} {
		assert.Contains(t, out, want)
	}
}

func TestDemoPlan(t *testing.T) {
	code, out, errs := runPlan(t, "-dir", projectDir, "-stack", "demo", "-json")
	require.Equal(t, 0, code, errs)
	p := decodePlan(t, out)
	assert.Equal(t, map[string]int{"consumer": 95, "producer": 49}, p.Totals.ByAccount)
	assert.Equal(t, 1, p.Totals.ByType["aws:redshift:Cluster"])
	assert.Equal(t, 2, p.Totals.ByType["aws:ec2:Vpc"])
}

func TestOutputIsDeterministic(t *testing.T) {
	for _, args := range [][]string{{}, {"-json"}, {"-diagram", "mermaid"}, {"-stack", "demo"}, {"-stack", "demo", "-json"}} {
		args = append([]string{"-dir", projectDir}, args...)
		_, first, _ := runPlan(t, args...)
		_, second, _ := runPlan(t, args...)
		require.NotEmpty(t, first)
		assert.Equal(t, first, second, "two runs of %v differ", args)
	}
}

var (
	nodeID      = `[A-Za-z_][A-Za-z0-9_]*`
	declaration = regexp.MustCompile(`^\s+(?:subgraph )?(` + nodeID + `)[\[(]`)
	edgeLine    = regexp.MustCompile(`^\s+(` + nodeID + `) (-->|<-->)(\|"[^"]*"\|)? (` + nodeID + `)$`)
)

func TestMermaidIsAFlowchart(t *testing.T) {
	code, out, errs := runPlan(t, "-dir", projectDir, "-diagram", "mermaid")
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Equal(t, "flowchart LR", lines[0])

	declared := map[string]bool{}
	var edges [][]string
	for _, line := range lines[1:] {
		switch {
		case strings.TrimSpace(line) == "end":
		case edgeLine.MatchString(line):
			edges = append(edges, edgeLine.FindStringSubmatch(line))
		case declaration.MatchString(line):
			declared[declaration.FindStringSubmatch(line)[1]] = true
		default:
			t.Errorf("not a flowchart line: %q", line)
		}
	}
	for _, edge := range edges {
		assert.True(t, declared[edge[1]], "edge from undeclared %s", edge[1])
		assert.True(t, declared[edge[4]], "edge to undeclared %s", edge[4])
	}
	assert.Contains(t, out, `consumer_vpc <-->|"VPC peering, routes both ways"| producer_vpc`)
	assert.Contains(t, out, `role_consumer_execution_role -->|"sts:AssumeRole + sts:SetSourceIdentity"| role_producer_role`)
	assert.GreaterOrEqual(t, len(edges), 8)
}

func TestREADMEDiagramIsCurrent(t *testing.T) {
	_, diagram, _ := runPlan(t, "-dir", projectDir, "-diagram", "mermaid")
	readme, err := os.ReadFile(filepath.Join(projectDir, "README.md"))
	require.NoError(t, err)
	assert.Contains(t, string(readme), "```mermaid\n"+diagram+"```\n",
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
		{Provider: "consumer", AccountID: "111111111111", Resources: 49},
		{Provider: "producer", AccountID: "111111111111", Resources: 7},
	}, p.Accounts)
	assert.Equal(t, 56, p.Totals.Resources)
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
}

func TestStackFileErrors(t *testing.T) {
	code, out, errs := runPlan(t, "-dir", projectDir, "-stack", "prod")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, `unknown stack "prod": there is no Pulumi.prod.yaml (stacks here: demo, dev)`)

	dir := variant(t, func(map[string]any) {})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.broken.yaml"), []byte("config: [\n"), 0o600))
	code, _, errs = runPlan(t, "-dir", dir, "-stack", "broken")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "cannot read the stack configuration: Pulumi.broken.yaml")

	code, _, errs = runPlan(t, "-dir", t.TempDir())
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "no Pulumi.yaml")
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
