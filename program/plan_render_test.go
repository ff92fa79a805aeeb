package program

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/plan"
)

// outputs caches the command's output per argument list: the demo stack is
// the largest run, and several tests read the same rendering of it.
var outputs sync.Map

func planOutput(t *testing.T, args ...string) string {
	t.Helper()
	key := strings.Join(args, " ")
	if cached, ok := outputs.Load(key); ok {
		return cached.(string)
	}
	code, out, errs := runPlan(t, append([]string{"-dir", projectDir}, args...)...)
	require.Equal(t, 0, code, "plan %v: %s", args, errs)
	outputs.Store(key, out)
	return out
}

func readme(t *testing.T) string {
	t.Helper()
	return documentationPage(t, "README.md")
}

// documentationPage reads a page by its path in the project, such as
// "docs/configuration.md".
func documentationPage(t *testing.T, path string) string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(projectDir, filepath.FromSlash(path)))
	require.NoError(t, err)
	return string(text)
}

// stackVariant writes a project directory whose stack "variant" is the base
// stack changed by change, which edits the YAML config map.
func stackVariant(t *testing.T, base string, change func(config map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(projectDir, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o600))

	original, err := os.ReadFile(filepath.Join(projectDir, "Pulumi."+base+".yaml"))
	require.NoError(t, err)
	var stack map[string]map[string]any
	require.NoError(t, yaml.Unmarshal(original, &stack))
	change(stack["config"])
	text, err := yaml.Marshal(stack)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.variant.yaml"), text, 0o600))
	return dir
}

// flowchart is a Mermaid flowchart read back: where each node and subgraph
// sits, what it says, and the edges between them.
type flowchart struct {
	parent map[string]string // node or subgraph → enclosing subgraph ("" at the top)
	label  map[string]string
	graphs map[string]bool // which IDs are subgraphs
	edges  []flowEdge
}

type flowEdge struct{ from, label, to string }

var (
	nodeID      = `[A-Za-z_][A-Za-z0-9_]*`
	declaration = regexp.MustCompile(`^\s+(subgraph )?(` + nodeID + `)[\[({]+"?([^"]*)"?[\])}]+$`)
	edgeLine    = regexp.MustCompile(`^\s+(` + nodeID + `) (?:-->|<-->)(?:\|"([^"]*)"\|)? (` + nodeID + `)$`)
)

// parseFlowchart reads the subset of Mermaid the plan writes, and fails the
// test on any other line.
func parseFlowchart(t *testing.T, text string) flowchart {
	t.Helper()
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	require.Equal(t, "flowchart LR", lines[0])
	chart := flowchart{parent: map[string]string{}, label: map[string]string{}, graphs: map[string]bool{}}
	var open []string
	for _, line := range lines[1:] {
		enclosing := ""
		if len(open) > 0 {
			enclosing = open[len(open)-1]
		}
		switch match := declaration.FindStringSubmatch(line); {
		case strings.TrimSpace(line) == "end":
			require.NotEmpty(t, open, "an end without a subgraph")
			open = open[:len(open)-1]
		case edgeLine.MatchString(line):
			edge := edgeLine.FindStringSubmatch(line)
			chart.edges = append(chart.edges, flowEdge{from: edge[1], label: edge[2], to: edge[3]})
		case match != nil:
			id := match[2]
			_, declared := chart.parent[id]
			assert.False(t, declared, "%s declared twice", id)
			chart.parent[id], chart.label[id] = enclosing, match[3]
			if match[1] != "" {
				chart.graphs[id] = true
				open = append(open, id)
			}
		default:
			t.Errorf("not a flowchart line: %q", line)
		}
	}
	assert.Empty(t, open, "unclosed subgraphs")
	for _, edge := range chart.edges {
		assert.Contains(t, chart.parent, edge.from, "edge from an undeclared node")
		assert.Contains(t, chart.parent, edge.to, "edge to an undeclared node")
		assert.False(t, chart.graphs[edge.from] || chart.graphs[edge.to],
			"edge %s → %s names a subgraph: Mermaid mislays nested subgraphs that edges name", edge.from, edge.to)
	}
	return chart
}

// has reports whether the chart has an edge from → to whose label contains
// label.
func (c flowchart) has(from, label, to string) bool {
	for _, edge := range c.edges {
		if edge.from == from && edge.to == to && strings.Contains(edge.label, label) {
			return true
		}
	}
	return false
}

// account is the account subgraph a node sits in, "" for none.
func (c flowchart) account(id string) string {
	for parent := c.parent[id]; parent != ""; parent = c.parent[parent] {
		if c.parent[parent] == "" {
			return parent
		}
	}
	return ""
}

func TestDemoDiagram(t *testing.T) {
	chart := parseFlowchart(t, planOutput(t, "-stack", "demo", "-diagram", "mermaid"))

	assert.Equal(t, "producer", chart.parent["producer_vpc"], "the producer VPC box sits in its account's box")
	assert.Equal(t, "consumer", chart.parent["consumer_vpc"])
	assert.Equal(t, "", chart.parent["peering"], "the peering spans both accounts")
	assert.True(t, chart.has("studio_domain", "TCP 5439", "peering"))
	assert.True(t, chart.has("peering", "TCP 5439", "redshift_cluster"))

	// The internet path of a greenfield stack with natGateway: true.
	assert.Equal(t, "consumer_vpc", chart.parent["nat_gateway"])
	assert.Equal(t, "", chart.parent["internet"])
	assert.True(t, chart.has("studio_domain", "HTTPS 443 egress, route 0.0.0.0/0", "nat_gateway"))
	assert.True(t, chart.has("nat_gateway", "", "internet"))

	assert.Equal(t, "producer_vpc", chart.parent["redshift_cluster"])
	assert.Contains(t, chart.label["redshift_cluster"], "created: 1× ra3.xlplus")

	// The sibling systems' buckets, in the accounts that own them, with who
	// reaches them across accounts.
	for bucket, account := range map[string]string{
		"bucket_athena_data": "producer", "bucket_feature_store_offline": "producer", "bucket_athena_results": "consumer",
	} {
		assert.Equal(t, account, chart.account(bucket), bucket)
	}
	assert.True(t, chart.has("role_consumer_execution_role", "reads, cross-account", "bucket_athena_data"))
	assert.True(t, chart.has("role_feature_store_offline_store_role", "writes, cross-account", "bucket_feature_store_offline"))
	assert.True(t, chart.has("role_consumer_execution_role", "reads, cross-account", "bucket_feature_store_offline"))
	assert.True(t, chart.has("athena_workgroup", "query results", "bucket_athena_results"))
	assert.True(t, chart.has("feature_group_customer_features", "offline store written as", "role_feature_store_offline_store_role"))
	assert.Equal(t, "consumer", chart.account("role_feature_store_offline_store_role"))

	seen := map[flowEdge]bool{}
	for _, edge := range chart.edges {
		assert.False(t, seen[edge], "edge %v drawn twice", edge)
		seen[edge] = true
	}
}

func TestDiagramSummarisesManyUsers(t *testing.T) {
	users := make([]any, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("data-scientist-%04d", i)
	}
	p := &plan.Plan{
		Accounts:  []plan.Account{{Provider: "consumer", AccountID: "222222222222"}},
		Resources: []plan.Resource{{Type: "aws:sagemaker:Domain", Name: "consumer-domain", Provider: "consumer"}},
		Outputs:   map[string]any{"userProfiles": users},
	}
	chart := parseFlowchart(t, string(p.Mermaid()))
	assert.Equal(t, "Studio users: data-scientist-0000, data-scientist-0001, data-scientist-0002, data-scientist-0003, data-scientist-0004, … (1,000)",
		chart.label["users"])
}

func TestDemoTextPlan(t *testing.T) {
	text := planOutput(t, "-stack", "demo")
	lines := strings.Split(text, "\n")

	// One heading style: "== Section" for sections, "-- Part" for their parts.
	var sections []string
	for i, line := range lines {
		switch {
		case strings.HasPrefix(line, "== "):
			sections = append(sections, strings.TrimPrefix(line, "== "))
			assert.Empty(t, lines[i-1], "a blank line before %q", line)
		case strings.HasPrefix(line, "-- "):
			assert.Empty(t, lines[i-1], "a blank line before %q", line)
		case bareTitle.MatchString(line):
			t.Errorf("a heading in another style: %q", line)
		}
	}
	assert.Equal(t, []string{"Resources by account", "IAM policies", "Network", "Stack outputs", "Cost estimate", "AWS default quotas", "Totals"}, sections)
	for _, part := range []string{"-- consumer account 222222222222 (", "-- Routes", "-- Security group rules", "-- Endpoints", "-- By type"} {
		assert.Contains(t, text, "\n"+part)
	}

	// Under the domain, what its replacement is triggered by.
	domain := lineIndex(t, lines, "aws:sagemaker:Domain consumer-domain ")
	assert.Equal(t, "      replaces on change: domainName, authMode, appNetworkAccessType, vpcId, subnetIds, kmsKeyId, domainSettings.securityGroupIds, retentionPolicy",
		lines[domain+1])

	// The lifecycle script as it runs, not base64.
	script := lineIndex(t, lines, "script, decoded:")
	assert.Equal(t, "      | #!/bin/bash", lines[script+1])
	assert.Contains(t, text, "      | pip install")

	// A key with none of our policy says so.
	key := lineIndex(t, lines, "-- Key policy: consumer-home-key (consumer account 222222222222)")
	assert.Equal(t, "  (default key policy: the account may use and manage the key through IAM policies)", lines[key+1])

	// The guardrail policy's IDs are named after the resources they are.
	guardrails := lineIndex(t, lines, "-- Managed policy: guardrails-policy ")
	where := lineIndex(t, lines[guardrails:], "  where") + guardrails
	named := map[string]string{}
	for _, line := range lines[where+1:] {
		fields := strings.Fields(line)
		if !strings.HasPrefix(line, "    ") || len(fields) != 2 {
			break
		}
		named[fields[0]] = fields[1]
	}
	assert.Subset(t, valuesOf(named), []string{"consumer-network-private-us-east-1a", "consumer-network-private-us-east-1b",
		"consumer-studio", "consumer-jobs"})
	for id := range named {
		assert.Contains(t, strings.Join(lines[guardrails:where], "\n"), `"`+id+`"`, "%s is in the document", id)
	}
}

// bareTitle is a heading without a marker: "Routes", "By type",
// "producer account 111111111111 (7 resources)".
var bareTitle = regexp.MustCompile(`^([A-Z][a-z]+( [a-z]+)*|(consumer|producer) account .*)$`)

func lineIndex(t *testing.T, lines []string, substring string) int {
	t.Helper()
	for i, line := range lines {
		if strings.Contains(line, substring) {
			return i
		}
	}
	require.Failf(t, "line not found", "no line contains %q", substring)
	return -1
}

func valuesOf(m map[string]string) []string {
	values := make([]string, 0, len(m))
	for _, value := range m {
		values = append(values, value)
	}
	return values
}

func TestReplaceOnChangeInJSON(t *testing.T) {
	p := decodePlan(t, planOutput(t, "-stack", "demo", "-json"))
	replaced := map[string][]string{}
	for _, r := range p.Resources {
		replaced[r.Type+" "+r.Name] = r.ReplaceOnChange
	}
	assert.Subset(t, replaced["aws:sagemaker:Domain consumer-domain"],
		[]string{"vpcId", "subnetIds", "kmsKeyId", "domainSettings.securityGroupIds", "appNetworkAccessType", "domainName", "authMode"})
	assert.Equal(t, []string{"studioLifecycleConfigName", "studioLifecycleConfigAppType", "studioLifecycleConfigContent"},
		replaced["aws:sagemaker:StudioLifecycleConfig consumer-jupyterlab-setup"])
	assert.Equal(t, []string{"description", "vpcId"}, replaced["aws:ec2:SecurityGroup consumer-endpoints"])
	assert.Contains(t, replaced["aws:redshift:Cluster warehouse-cluster"], "clusterIdentifier")
	assert.Nil(t, replaced["aws:sagemaker:UserProfile consumer-user-alice"], "user profiles update in place")
	// terraform-provider-aws #36784: a new feature replaces the group and
	// its online store.
	assert.Equal(t, []string{"featureGroupName", "recordIdentifierFeatureName", "eventTimeFeatureName", "featureDefinitions",
		"roleArn", "offlineStoreConfig", "onlineStoreConfig.enableOnlineStore"},
		replaced["aws:sagemaker:FeatureGroup feature-store-customer-features"])
}

// TestDemoVariantTextPlan plans the demo stack with existing buckets whose
// policies the program leaves to their owners, and the source-endpoint
// guardrail on: one run for both.
func TestDemoVariantTextPlan(t *testing.T) {
	dir := stackVariant(t, "demo", func(config map[string]any) {
		for _, feature := range []string{"studio-redshift:athena", "studio-redshift:featureStore"} {
			config[feature].(map[string]any)["bucket"].(map[string]any)["create"] = false
		}
		config["studio-redshift:consumer"].(map[string]any)["guardrails"] = map[string]any{"requireSourceVpce": true}
	})
	code, text, errs := runPlan(t, "-dir", dir, "-stack", "variant")
	require.Equal(t, 0, code, errs)
	lines := strings.Split(text, "\n")

	t.Run("bucket policies for others are pretty-printed", func(t *testing.T) {
		for _, output := range []string{"athenaBucketPolicy", "featureStoreBucketPolicy"} {
			start := lineIndex(t, lines, output+":")
			require.Equal(t, output+":", lines[start], "the document starts on the next line")
			var block []string
			for _, line := range lines[start+1:] {
				if !strings.HasPrefix(line, "    ") {
					break
				}
				block = append(block, line)
			}
			require.Greater(t, len(block), 5, "%s is indented over several lines", output)
			var document struct {
				Version   string
				Statement []map[string]any
			}
			require.NoError(t, json.Unmarshal([]byte(strings.Join(block, "\n")), &document), output)
			assert.Equal(t, "2012-10-17", document.Version, output)
			assert.NotEmpty(t, document.Statement, output)
		}
	})

	t.Run("endpoint IDs in the guardrails are named", func(t *testing.T) {
		guardrails := lineIndex(t, lines, "-- Managed policy: guardrails-policy ")
		where := lineIndex(t, lines[guardrails:], "  where") + guardrails
		legend := strings.Join(lines[where:where+12], "\n")
		assert.Regexp(t, `\n    vpce-[0-9a-f]{17}  consumer-endpoint-sagemaker-api\n`, legend)
		assert.Regexp(t, `\n    vpce-[0-9a-f]{17}  consumer-endpoint-sagemaker-runtime\n`, legend)
	})
}

// costSection is the body of the plan's "== Cost estimate" section.
func costSection(t *testing.T, text string) string {
	t.Helper()
	_, after, found := strings.Cut(text, "\n== Cost estimate\n")
	require.True(t, found)
	body, _, _ := strings.Cut(after, "\n== ")
	return strings.TrimRight(body, "\n")
}

func TestCostEstimate(t *testing.T) {
	p := decodePlan(t, planOutput(t, "-stack", "demo", "-json"))
	costs := map[string]plan.Cost{}
	for _, c := range p.Costs {
		costs[c.Item] = c
	}
	interfaceEndpoints := 0
	for _, e := range p.Network.Endpoints {
		if e.Type == "Interface" {
			interfaceEndpoints++
		}
	}
	// Two zones in the demo stack: each interface endpoint bills per zone.
	assert.Equal(t, float64(interfaceEndpoints*2), costs["interface endpoint, per zone"].Quantity)
	assert.Equal(t, float64(p.Totals.ByType["aws:kms:Key"]), costs["KMS key"].Quantity)
	assert.Equal(t, 1.0, costs["NAT gateway"].Quantity)
	assert.InDelta(t, 1.086*730, costs["Redshift ra3.xlplus node"].MonthlyUSD, 0.01)

	dev := decodePlan(t, planOutput(t, "-json"))
	for _, c := range dev.Costs {
		assert.NotContains(t, []string{"NAT gateway", "Redshift ra3.xlplus node"}, c.Item, "the dev stack creates neither")
	}

	assert.Contains(t, documentationPage(t, "docs/configuration.md"), "```\n"+costSection(t, planOutput(t, "-stack", "demo"))+"\n```\n",
		"docs/configuration.md's cost estimate differs from `go run ./cmd/plan -stack demo`: paste the plan's Cost estimate section into it")
}

// documentedType is "`aws:kms:Key` ×5" or "`aws:sagemaker:Domain`".
var documentedType = regexp.MustCompile("`(aws:[A-Za-z0-9]+:[A-Za-z0-9]+)`(?: ×([0-9]+))?")

func TestProtectIsDocumented(t *testing.T) {
	p := decodePlan(t, planOutput(t, "-stack", "demo", "-json"))
	protected := map[string]int{}
	total := 0
	for _, r := range p.Resources {
		if r.Protected {
			protected[r.Type]++
			total++
		}
	}
	var row string
	for _, line := range strings.Split(documentationPage(t, "docs/configuration.md"), "\n") {
		if strings.HasPrefix(line, "| `protect` |") {
			row = line
		}
	}
	require.NotEmpty(t, row, "docs/configuration.md's config table has a protect row")
	documented := map[string]int{}
	for _, match := range documentedType.FindAllStringSubmatch(row, -1) {
		count := 1
		if match[2] != "" {
			fmt.Sscan(match[2], &count)
		}
		documented[match[1]] = count
	}
	assert.Equal(t, protected, documented, "docs/configuration.md's protect row lists what the demo stack protects, by type")
	assert.Contains(t, row, fmt.Sprintf("in the demo stack %d resources", total))
}

func TestREADMEExcerptIsTheRealOutput(t *testing.T) {
	text := readme(t)
	_, after, found := strings.Cut(text, "```\nPlan for studio-redshift, stack dev")
	require.True(t, found, "README.md opens with an excerpt of the dev plan")
	excerpt, _, _ := strings.Cut("Plan for studio-redshift, stack dev"+after, "```")
	real := strings.Split(planOutput(t), "\n")
	next := 0
	for _, line := range strings.Split(strings.TrimRight(excerpt, "\n"), "\n") {
		if line == "..." {
			continue
		}
		found := false
		for next < len(real) {
			next++
			if real[next-1] == line {
				found = true
				break
			}
		}
		require.True(t, found, "README.md's excerpt line %q is not in `go run ./cmd/plan` (after the lines before it)", line)
	}
}

// TestREADMECountsAreThePlans checks the resource counts README.md gives for
// the example stacks against their plans.
func TestREADMECountsAreThePlans(t *testing.T) {
	counts := regexp.MustCompile(`the dev stack creates (\d+): (\d+) in the consumer account, (\d+) in the producer; ` +
		`the demo stack, greenfield with Athena and Feature Store, (\d+): (\d+) and (\d+);`).FindStringSubmatch(readme(t))
	require.NotNil(t, counts, "README.md states the example stacks' resource counts")
	for i, stack := range []string{"dev", "demo"} {
		code, out, errs := runPlan(t, "-dir", projectDir, "-stack", stack, "-json")
		require.Equal(t, 0, code, errs)
		p := decodePlan(t, out)
		assert.Equal(t, counts[1+3*i:4+3*i], []string{
			strconv.Itoa(p.Totals.Resources), strconv.Itoa(p.Totals.ByAccount["consumer"]), strconv.Itoa(p.Totals.ByAccount["producer"]),
		}, "README.md's counts for the %s stack", stack)
	}
}

// TestDiagramShowsTheConnectionMode: outside peering the diagram draws the
// mode's own path to the cluster, and no peering.
func TestDiagramShowsTheConnectionMode(t *testing.T) {
	for stack, want := range map[string][]string{
		"endpoint": {`studio_domain -->|"TCP 5439"| managed_endpoint`, `managed_endpoint -->|"AWS PrivateLink"| redshift_cluster`},
		"dataapi":  {`endpoints -->|"Redshift Data API, as DbUser = SourceIdentity"| redshift_cluster`},
	} {
		code, out, errs := runPlan(t, "-dir", projectDir, "-stack", stack, "-diagram", "mermaid")
		require.Equal(t, 0, code, errs)
		lines := strings.Split(out, "\n")
		for _, edge := range want {
			assert.Contains(t, lines, "  "+edge, "%s: the mode's path", stack)
		}
		assert.NotContains(t, out, "peering", "%s: no peering outside peering mode", stack)
	}
}

func TestProfilesShowTheTeamSettings(t *testing.T) {
	hidden := len(config.StudioInstanceTypes) - len(config.DefaultInstanceTypes)
	out := planOutput(t)
	for _, user := range []string{"alice", "bob"} {
		assert.Contains(t, out, fmt.Sprintf("aws:sagemaker:UserProfile consumer-user-%s  user=%s idleShutdown=60min defaultInstance=ml.t3.medium spaceGb=20-20 hiddenInstanceTypes=%d tag:studio-user=%s\n",
			user, user, hidden, user))
	}

	dir := variant(t, func(values map[string]any) {
		studio := values["studio-redshift:consumer"].(map[string]any)["studio"].(map[string]any)
		studio["idleTimeoutMinutes"] = 120
		studio["instanceTypes"] = []any{"ml.m5.xlarge"}
		studio["spaceStorageGb"] = 100
	})
	code, changed, errs := runPlan(t, "-dir", dir, "-stack", "variant")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, changed, fmt.Sprintf("user=alice idleShutdown=120min defaultInstance=ml.m5.xlarge spaceGb=100-100 hiddenInstanceTypes=%d tag:studio-user=alice\n",
		len(config.StudioInstanceTypes)-1))

	// What one user costs with idle shutdown and without, on the default
	// instance type: 21 days of 8 hours plus the timeout against 730 hours.
	p := decodePlan(t, planOutput(t, "-json"))
	var perUser []plan.Cost
	for _, c := range p.Costs {
		if c.PerUser {
			perUser = append(perUser, c)
		}
	}
	require.Len(t, perUser, 2)
	assert.Equal(t, 21*(8+1.0), perUser[0].Quantity)
	assert.InDelta(t, 189*0.05, perUser[0].MonthlyUSD, 0.001)
	assert.Equal(t, 730.0, perUser[1].Quantity)
	assert.InDelta(t, 730*0.05, perUser[1].MonthlyUSD, 0.001)
	assert.Less(t, perUser[0].MonthlyUSD, perUser[1].MonthlyUSD)
	var stackTotal float64
	for _, c := range p.Costs {
		if !c.PerUser {
			stackTotal += c.MonthlyUSD
		}
	}
	assert.Regexp(t, fmt.Sprintf(`\n  total +\$%.2f\n`, stackTotal), costSection(t, out), "per-user rows stay out of the stack's total")
}
