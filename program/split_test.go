package program

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/plan"
	"github.com/studio-redshift/studio-redshift/policy"
)

// runStack runs one stack of this directory with the given referenced
// stacks' outputs, as `pulumi up -s stack` would see them.
func runStack(t *testing.T, stack string, values map[string]string, references map[string]map[string]any) *offline.Result {
	t.Helper()
	var options []offline.Option
	for name, outputs := range references {
		options = append(options, offline.WithStackReference(name, outputs))
	}
	result, err := offline.Run(Run, config.Project, stack, values, options...)
	require.NoError(t, err)
	return result
}

// splitRounds runs the documented order: producer, consumer, producer
// again, consumer again, each seeing the other's latest outputs.
func splitRounds(t *testing.T) (producerFirst, consumerFirst, producerSecond, consumerSecond *offline.Result) {
	t.Helper()
	// ml-team-a's stack exists (pulumi stack init) but has not run.
	producerFirst = runStack(t, "data-platform", stackConfig(t, "data-platform"), map[string]map[string]any{"ml-team-a": {}})
	consumerFirst = runStack(t, "ml-team-a", stackConfig(t, "ml-team-a"), map[string]map[string]any{"data-platform": producerFirst.Outputs})
	producerSecond = runStack(t, "data-platform", stackConfig(t, "data-platform"), map[string]map[string]any{"ml-team-a": consumerFirst.Outputs})
	consumerSecond = runStack(t, "ml-team-a", stackConfig(t, "ml-team-a"), map[string]map[string]any{"data-platform": producerSecond.Outputs})
	return
}

// assertOneAccount checks that a split stack has one provider and every
// resource is in its account.
func assertOneAccount(t *testing.T, result *offline.Result, provider, account string) {
	t.Helper()
	providers := result.OfType(offline.ProviderType)
	require.Len(t, providers, 1, "a split stack has exactly one AWS provider")
	assert.Equal(t, provider, providers[0].Name)
	for _, r := range result.Resources() {
		if r.InAWS() {
			assert.Equal(t, account, r.Account, "%s lands in the wrong account", r.URN)
		}
	}
}

func TestSplitStacksInTheirOrder(t *testing.T) {
	producerFirst, consumerFirst, producerSecond, consumerSecond := splitRounds(t)
	for _, r := range []*offline.Result{producerFirst, producerSecond} {
		assertOneAccount(t, r, "producer", producerAccount)
	}
	for _, r := range []*offline.Result{consumerFirst, consumerSecond} {
		assertOneAccount(t, r, "consumer", consumerAccount)
	}

	// First run: ml-team-a has no execution role yet, so it is pending and
	// not trusted; ml-team-b, given in configuration, is.
	trust := parsePolicy(t, one(t, producerFirst, roleType, "producer-role"), "assumeRolePolicy")
	assert.Equal(t, []string{"arn:aws:iam::333333333333:role/consumer-execution-role-3f9e2a1"}, trust.Statement[0].Principal.AWS,
		"no IAM document names a principal that does not exist yet")
	assert.Equal(t, []any{"consumer ml-team-a: its stack ml-team-a has no executionRoleArn, consumerAccountId, consumerVpcId, consumerVpcCidr, peeringConnectionId yet: run it (pulumi up -s ml-team-a), then this one again"},
		producerFirst.Outputs["pending"])
	assert.Equal(t, "arn:aws:iam::111111111111:role/analytics-us-east-1-studio-users", producerFirst.Outputs["producerRoleArn"],
		"a name consumers can use before the role trusts them")

	// The consumer's first run: Studio, the request, the permission to
	// assume the producer role; no routes until the peering is accepted.
	assert.Len(t, consumerFirst.OfType(peeringType), 1)
	assert.Empty(t, consumerFirst.OfType(routeType), "no route to a pending peering")
	assert.Empty(t, consumerFirst.OfType(optionsType), "DNS options need an active peering")
	assume := parsePolicy(t, one(t, consumerFirst, rolePolicyType, "role-chain-assume-producer-role"), "policy")
	assert.Equal(t, []string{"arn:aws:iam::111111111111:role/analytics-us-east-1-studio-users"}, assume.Statement[0].Resource)
	assert.Len(t, consumerFirst.Outputs["pending"], 2, "not trusted yet, not accepted yet")

	// The producer's second run trusts both execution roles and serves both
	// consumers: acceptance, routes on every table, ingress.
	executionRoleArn := one(t, consumerFirst, roleType, "consumer-execution-role").Output("arn").(string)
	trust = parsePolicy(t, one(t, producerSecond, roleType, "producer-role"), "assumeRolePolicy")
	assert.ElementsMatch(t, []string{executionRoleArn, "arn:aws:iam::333333333333:role/consumer-execution-role-3f9e2a1"}, trust.Statement[0].Principal.AWS)
	assert.Equal(t, policy.Condition{"Null": {"aws:SourceIdentity": {"false"}}}, trust.Statement[0].Condition)
	accepted := map[string]string{}
	for _, accepter := range producerSecond.OfType(accepterType) {
		accepted[accepter.Name] = accepter.String("vpcPeeringConnectionId")
	}
	assert.Equal(t, map[string]string{
		"peering-ml-team-a-accept": consumerFirst.Outputs["peeringConnectionId"].(string),
		"peering-ml-team-b-accept": "pcx-0e5f60718293a4b5c",
	}, accepted)
	routes := map[string]int{}
	for _, route := range producerSecond.OfType(routeType) {
		routes[route.String("destinationCidrBlock")]++
	}
	assert.Equal(t, map[string]int{"10.10.0.0/16": 2, "10.30.0.0/16": 2}, routes, "each consumer's CIDR on both producer route tables")
	var admitted []string
	for _, rule := range producerSecond.OfType(ingressType) {
		admitted = append(admitted, rule.String("cidrIpv4"))
	}
	assert.ElementsMatch(t, []string{"10.10.0.0/16", "10.30.0.0/16"}, admitted)
	assert.Equal(t, []any{}, producerSecond.Outputs["pending"])

	// The consumer's second run: the routes and its DNS option, nothing
	// pending. At most one re-run of each stack.
	assert.Len(t, consumerSecond.OfType(routeType), 1)
	assert.Len(t, consumerSecond.OfType(optionsType), 1)
	assert.Equal(t, []any{}, consumerSecond.Outputs["pending"])
	assert.Equal(t, "peering", consumerSecond.Outputs["connection"])
}

func TestAConsumerWithoutItsProducerSaysWhatToRun(t *testing.T) {
	// The producer stack exists but has not run.
	result, err := offline.Run(Run, config.Project, "ml-team-a", stackConfig(t, "ml-team-a"), offline.WithStackReference("data-platform", map[string]any{}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pending: the producer stack data-platform has not produced region")
	assert.Contains(t, err.Error(), "run it first (pulumi up -s data-platform)")
	assert.Contains(t, err.Error(), "-stack-outputs data-platform=FILE")
	for _, r := range result.Resources() {
		assert.Contains(t, []string{offline.ProviderType, "pulumi:pulumi:StackReference"}, r.Type, "nothing of AWS is registered: %s", r.URN)
	}

	// It does not exist at all: the engine refuses the reference.
	_, err = offline.Run(Run, config.Project, "ml-team-a", stackConfig(t, "ml-team-a"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stack data-platform cannot be read")
	assert.Contains(t, err.Error(), "create it first (pulumi stack init data-platform)")
}

// TestSplitUsersChainInAsThemselves evaluates the producer role's documents
// for users of both teams.
func TestSplitUsersChainInAsThemselves(t *testing.T) {
	_, consumerFirst, producerSecond, _ := splitRounds(t)
	trust := parsePolicy(t, one(t, producerSecond, roleType, "producer-role"), "assumeRolePolicy")
	permissions := parsePolicy(t, one(t, producerSecond, rolePolicyType, "producer-redshift-access"), "policy")
	teamA := one(t, consumerFirst, roleType, "consumer-execution-role").Output("arn").(string)
	for _, role := range []string{teamA, "arn:aws:iam::333333333333:role/consumer-execution-role-3f9e2a1"} {
		assert.True(t, allows(trust, request{principal: role, action: "sts:AssumeRole", context: map[string]string{"aws:SourceIdentity": "carol"}}), role)
	}
	credentials := func(sourceIdentity, dbUser string) bool {
		return allows(permissions, request{
			action: "redshift:GetClusterCredentials", resource: "arn:aws:redshift:us-east-1:111111111111:dbuser:analytics/" + dbUser,
			context: map[string]string{"aws:SourceIdentity": sourceIdentity, "redshift:DbUser": dbUser, "redshift:DbName": "dev"},
		})
	}
	assert.True(t, credentials("carol", "carol"))
	assert.False(t, credentials("carol", "alice"), "team B's carol never becomes team A's alice")
}

// TestTwentyConsumers: one producer serving twenty ML accounts stays within
// AWS's default quotas in every connection mode.
func TestTwentyConsumers(t *testing.T) {
	for _, connection := range config.Connections {
		t.Run(connection, func(t *testing.T) {
			values := stackConfig(t, "data-platform")
			values["studio-redshift:connection"] = connection
			var consumers []map[string]any
			for i := range 20 {
				account := fmt.Sprintf("4444444444%02d", i)
				consumers = append(consumers, map[string]any{
					"name": fmt.Sprintf("ml-team-%02d", i), "accountId": account,
					"executionRoleArn":    "arn:aws:iam::" + account + ":role/consumer-execution-role-3f9e2a1",
					"vpc":                 map[string]any{"id": fmt.Sprintf("vpc-0d4e5f60718293a%02d", i), "cidr": fmt.Sprintf("10.%d.0.0/16", 100+i)},
					"peeringConnectionId": fmt.Sprintf("pcx-0e5f60718293a4b%02d", i),
				})
			}
			if connection != config.ConnectionPeering {
				values["studio-redshift:producer"] = `{"accountId":"111111111111","redshift":{"clusterIdentifier":"analytics","database":"dev"}}`
				if connection == config.ConnectionDataAPI {
					for _, c := range consumers {
						delete(c, "vpc")
					}
				}
				for _, c := range consumers {
					delete(c, "peeringConnectionId")
				}
			}
			text, err := json.Marshal(consumers)
			require.NoError(t, err)
			values["studio-redshift:consumers"] = string(text)
			result := runStack(t, "data-platform", values, nil)

			built, err := plan.Build(config.Project, "data-platform", result)
			require.NoError(t, err)
			require.NoError(t, built.Exceeded(), "twenty consumers within the default quotas")
			trust := parsePolicy(t, one(t, result, roleType, "producer-role"), "assumeRolePolicy")
			assert.Len(t, trust.Statement[0].Principal.AWS, 20, "one principal per consumer, in one statement")
			assert.Len(t, result.Outputs["consumerLinks"].(map[string]any), 20)
			assert.Equal(t, []any{}, result.Outputs["pending"])
			switch connection {
			case config.ConnectionPeering:
				assert.Len(t, result.OfType(accepterType), 20)
				assert.Len(t, result.OfType(routeType), 40, "two route tables each")
			case config.ConnectionManagedEndpoint:
				assert.Len(t, result.OfType(endpointAuthorizationType), 20)
			default:
				assert.Empty(t, inAccount(result, "producer", ""), "the Data API needs no network")
			}
		})
	}
}

// TestAConsumerOnAnotherBackend: team B cannot read the producer's backend,
// so its stack takes the producer's outputs from configuration.
func TestAConsumerOnAnotherBackend(t *testing.T) {
	result := runStack(t, "ml-team-b", stackConfig(t, "ml-team-b"), nil)
	assertOneAccount(t, result, "consumer", "333333333333")
	assert.Empty(t, result.OfType("pulumi:pulumi:StackReference"), "no reference across backends")
	assert.Len(t, result.OfType(routeType), 2, "the producer accepted: routes on both private route tables")
	assume := parsePolicy(t, one(t, result, rolePolicyType, "role-chain-assume-producer-role"), "policy")
	assert.Equal(t, []string{"arn:aws:iam::111111111111:role/analytics-us-east-1-studio-users"}, assume.Statement[0].Resource)
	assert.Equal(t, []any{}, result.Outputs["pending"])
}

// TestOneEndpointAuthorizationPerAccount: AWS takes one authorization per
// account and cluster, so two consumers in one ML account share it.
func TestOneEndpointAuthorizationPerAccount(t *testing.T) {
	values := stackConfig(t, "data-platform")
	values["studio-redshift:connection"] = config.ConnectionManagedEndpoint
	values["studio-redshift:producer"] = `{"accountId":"111111111111","redshift":{"clusterIdentifier":"analytics","database":"dev"}}`
	values["studio-redshift:consumers"] = `[` +
		`{"name":"research","accountId":"333333333333","executionRoleArn":"arn:aws:iam::333333333333:role/research","vpc":{"id":"vpc-0d4e5f60718293a4b"}},` +
		`{"name":"marketing","accountId":"333333333333","executionRoleArn":"arn:aws:iam::333333333333:role/marketing","vpc":{"id":"vpc-0e5f60718293a4b5c"}}]`
	result := runStack(t, "data-platform", values, nil)
	authorizations := result.OfType(endpointAuthorizationType)
	require.Len(t, authorizations, 1)
	assert.Equal(t, "333333333333", authorizations[0].String("account"))
	assert.Equal(t, []any{"vpc-0d4e5f60718293a4b", "vpc-0e5f60718293a4b5c"}, authorizations[0].Input("vpcIds"))
}

// TestPeeredConsumersFromStacksMayNotOverlap: ml-team-a's range is known
// only from its stack's outputs. In the range ml-team-b already uses, the
// producer would route one range to two peerings and AWS would refuse the
// second route and ingress rule, failing the stack for both teams: it is
// refused by key before anything of AWS is registered. A managed endpoint
// routes nothing, so the same teams are served there.
func TestPeeredConsumersFromStacksMayNotOverlap(t *testing.T) {
	_, consumerFirst, _, _ := splitRounds(t)
	teamA := map[string]any{}
	for name, value := range consumerFirst.Outputs {
		teamA[name] = value
	}
	teamA["consumerVpcCidr"] = "10.30.0.0/16" // ml-team-b's, given in configuration

	result, err := offline.Run(Run, config.Project, "data-platform", stackConfig(t, "data-platform"), offline.WithStackReference("ml-team-a", teamA))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumers[1].vpc.cidr: 10.30.0.0/16 overlaps consumers[0] (ml-team-a) 10.30.0.0/16")
	assert.Contains(t, err.Error(), "connection managedEndpoint or dataApi")
	for _, r := range result.Resources() {
		assert.False(t, r.InAWS(), "nothing of AWS is registered: %s", r.URN)
	}

	// Listed the other way round, the consumer read from its stack is the
	// one named by its output.
	values := stackConfig(t, "data-platform")
	values["studio-redshift:consumers"] = `[` +
		`{"name":"ml-team-b","accountId":"333333333333","executionRoleArn":"arn:aws:iam::333333333333:role/consumer-execution-role-3f9e2a1",` +
		`"vpc":{"id":"vpc-0d4e5f60718293a4b","cidr":"10.30.0.0/16"},"peeringConnectionId":"pcx-0e5f60718293a4b5c"},` +
		`{"name":"ml-team-a","stack":"ml-team-a"}]`
	_, err = offline.Run(Run, config.Project, "data-platform", values, offline.WithStackReference("ml-team-a", teamA))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumers[1] (ml-team-a, its stack ml-team-a's consumerVpcCidr): 10.30.0.0/16 overlaps consumers[0] (ml-team-b) 10.30.0.0/16")

	values = stackConfig(t, "data-platform")
	values["studio-redshift:connection"] = config.ConnectionManagedEndpoint
	values["studio-redshift:producer"] = `{"accountId":"111111111111","redshift":{"clusterIdentifier":"analytics","database":"dev"}}`
	values["studio-redshift:consumers"] = `[{"name":"ml-team-a","stack":"ml-team-a"},` +
		`{"name":"ml-team-b","accountId":"333333333333","executionRoleArn":"arn:aws:iam::333333333333:role/consumer-execution-role-3f9e2a1","vpc":{"id":"vpc-0d4e5f60718293a4b","cidr":"10.30.0.0/16"}}]`
	served := runStack(t, "data-platform", values, map[string]map[string]any{"ml-team-a": teamA})
	assert.Len(t, served.OfType(endpointAuthorizationType), 2, "one authorization per consumer account, overlapping ranges and all")
	assert.Equal(t, []any{}, served.Outputs["pending"])
}
