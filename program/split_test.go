package program

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/plan"
	"github.com/studio-redshift/studio-redshift/internal/policy"
	"github.com/studio-redshift/studio-redshift/internal/quota"
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
	// has no role; ml-team-b, given in configuration, has its own.
	assert.Len(t, producerFirst.OfType(roleType), 1, "no IAM document names a principal that does not exist yet")
	trust := parsePolicy(t, one(t, producerFirst, roleType, "producer-ml-team-b-role"), "assumeRolePolicy")
	assert.Equal(t, []string{"arn:aws:iam::333333333333:role/consumer-execution-role-3f9e2a1"}, trust.Statement[0].Principal.AWS)
	assert.Equal(t, []any{"consumer ml-team-a: its stack ml-team-a has no executionRoleArn, consumerAccountId, consumerVpcId, consumerVpcCidr, peeringConnectionId yet: run it (pulumi up -s ml-team-a), then this one again"},
		producerFirst.Outputs["pending"])
	teamARole := "arn:aws:iam::111111111111:role/analytics-us-east-1-ml-team-a-studio-users"
	assert.Equal(t, map[string]any{
		"trusted": false, "peeringAccepted": false, "endpointAuthorized": false,
		"producerRoleArn": teamARole, "dbUserPrefix": "ml-team-a_",
	}, producerFirst.Outputs["consumerLinks"].(map[string]any)["ml-team-a"], "a role name and a prefix the consumer can use before its role exists")
	assert.Equal(t, "", producerFirst.Outputs["producerRoleArn"], "no one role for all consumers")

	// The consumer's first run: Studio, the request, the permission to
	// assume the producer role; no routes until the peering is accepted.
	assert.Len(t, consumerFirst.OfType(peeringType), 1)
	assert.Empty(t, consumerFirst.OfType(routeType), "no route to a pending peering")
	assert.Empty(t, consumerFirst.OfType(optionsType), "DNS options need an active peering")
	assume := parsePolicy(t, one(t, consumerFirst, rolePolicyType, "role-chain-assume-producer-role"), "policy")
	assert.Equal(t, []string{teamARole}, assume.Statement[0].Resource, "its own producer role, and no other")
	assert.Equal(t, teamARole, consumerFirst.Outputs["producerRoleArn"])
	assert.Equal(t, "ml-team-a_", consumerFirst.Outputs["dbUserPrefix"])
	assert.Contains(t, consumerFirst.Outputs["notebookSnippet"], "DB_USER_PREFIX = \"ml-team-a_\"\ndb_user = DB_USER_PREFIX + user\n")
	assert.Contains(t, consumerFirst.Outputs["notebookSnippet"], "PRODUCER_ROLE_ARN = \""+teamARole+"\"")
	assert.Len(t, consumerFirst.Outputs["pending"], 2, "not trusted yet, not accepted yet")

	// The producer's second run gives each consumer a role trusting its
	// execution role alone, and serves both: acceptance, routes on every
	// table, ingress.
	executionRoleArn := one(t, consumerFirst, roleType, "consumer-execution-role").Output("arn").(string)
	for role, principal := range map[string]string{
		"producer-ml-team-a-role": executionRoleArn,
		"producer-ml-team-b-role": "arn:aws:iam::333333333333:role/consumer-execution-role-3f9e2a1",
	} {
		trust = parsePolicy(t, one(t, producerSecond, roleType, role), "assumeRolePolicy")
		require.Len(t, trust.Statement, 1, role)
		assert.Equal(t, []string{principal}, trust.Statement[0].Principal.AWS, role)
		assert.Equal(t, policy.Condition{
			"Null":         {"aws:SourceIdentity": {"false"}},
			"StringEquals": {"sts:RoleSessionName": {"${aws:SourceIdentity}"}},
		}, trust.Statement[0].Condition, role)
	}
	assert.Equal(t, teamARole, one(t, producerSecond, roleType, "producer-ml-team-a-role").Output("arn"), "the role has the name its consumer was told")
	assert.Equal(t, true, producerSecond.Outputs["consumerLinks"].(map[string]any)["ml-team-a"].(map[string]any)["trusted"])
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

// TestAnotherTeamsUsers plays team B's administrator, who creates a profile
// alice in ML account B: B's alice must never be team A's alice, nor the
// organization's bare alice, and B's execution role must not reach A's
// producer role.
func TestAnotherTeamsUsers(t *testing.T) {
	_, consumerFirst, producerSecond, _ := splitRounds(t)
	teamA := one(t, consumerFirst, roleType, "consumer-execution-role").Output("arn").(string)
	teamB := "arn:aws:iam::333333333333:role/consumer-execution-role-3f9e2a1"
	trustA := parsePolicy(t, one(t, producerSecond, roleType, "producer-ml-team-a-role"), "assumeRolePolicy")
	trustB := parsePolicy(t, one(t, producerSecond, roleType, "producer-ml-team-b-role"), "assumeRolePolicy")
	permissionsA := parsePolicy(t, one(t, producerSecond, rolePolicyType, "producer-ml-team-a-redshift-access"), "policy")
	permissionsB := parsePolicy(t, one(t, producerSecond, rolePolicyType, "producer-ml-team-b-redshift-access"), "policy")

	assume := func(trust policy.Document, executionRole string) bool {
		return allows(trust, request{principal: executionRole, action: "sts:AssumeRole", context: map[string]string{"aws:SourceIdentity": "alice", "sts:RoleSessionName": "alice"}})
	}
	assert.True(t, assume(trustA, teamA), "team A's alice assumes team A's role")
	assert.True(t, assume(trustB, teamB), "team B's alice assumes team B's role")
	assert.False(t, assume(trustA, teamB), "team B's execution role cannot assume team A's producer role")

	credentials := func(permissions policy.Document, sourceIdentity, dbUser string) bool {
		context := func(keys ...string) map[string]string {
			values := map[string]string{"redshift:DbUser": dbUser}
			if sourceIdentity != "" {
				values["aws:SourceIdentity"] = sourceIdentity
			}
			for i := 0; i < len(keys); i += 2 {
				values[keys[i]] = keys[i+1]
			}
			return values
		}
		resource := "arn:aws:redshift:us-east-1:111111111111:dbuser:analytics/" + dbUser
		return allows(permissions, request{action: "redshift:GetClusterCredentials", resource: resource, context: context("redshift:DbName", "dev")}) &&
			allows(permissions, request{action: "redshift:CreateClusterUser", resource: resource, context: context()})
	}
	for _, tt := range []struct {
		name                   string
		permissions            policy.Document
		sourceIdentity, dbUser string
		allowed                bool
	}{
		{"B's alice as herself, in B's namespace", permissionsB, "alice", "ml-team-b_alice", true},
		{"A's alice as herself, in A's namespace", permissionsA, "alice", "ml-team-a_alice", true},
		{"B's alice as team A's alice", permissionsB, "alice", "ml-team-a_alice", false},
		{"B's alice as the bare alice", permissionsB, "alice", "alice", false},
		{"B's alice as B's bob", permissionsB, "alice", "ml-team-b_bob", false},
		{"B's administrator's forged source identity reaching A", permissionsB, "x_alice", "ml-team-a_alice", false},
		{"no source identity", permissionsB, "", "ml-team-b_", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.allowed, credentials(tt.permissions, tt.sourceIdentity, tt.dbUser))
		})
	}
}

// TestABareNamespaceBesidePrefixedOnes: a consumer given the bare names
// (dbUserPrefix "") gets its profiles' names as they are, and no name with
// the separator, which only the prefixed namespaces have: its administrator
// cannot forge a source identity into another team's namespace.
func TestABareNamespaceBesidePrefixedOnes(t *testing.T) {
	values := stackConfig(t, "data-platform")
	values["studio-redshift:consumers"] = `[` +
		`{"name":"ml-team-a","stack":"ml-team-a"},` +
		`{"name":"ml-team-b","dbUserPrefix":"","accountId":"333333333333","executionRoleArn":"arn:aws:iam::333333333333:role/consumer-execution-role-3f9e2a1",` +
		`"vpc":{"id":"vpc-0d4e5f60718293a4b","cidr":"10.30.0.0/16"},"peeringConnectionId":"pcx-0e5f60718293a4b5c"}]`
	result := runStack(t, "data-platform", values, map[string]map[string]any{"ml-team-a": {}})
	permissions := parsePolicy(t, one(t, result, rolePolicyType, "producer-ml-team-b-redshift-access"), "policy")
	assert.Equal(t, "", result.Outputs["consumerLinks"].(map[string]any)["ml-team-b"].(map[string]any)["dbUserPrefix"])
	credentials := func(sourceIdentity, dbUser string) bool {
		return allows(permissions, request{
			action: "redshift:GetClusterCredentials", resource: "arn:aws:redshift:us-east-1:111111111111:dbuser:analytics/" + dbUser,
			context: map[string]string{"aws:SourceIdentity": sourceIdentity, "redshift:DbUser": dbUser, "redshift:DbName": "dev"},
		})
	}
	assert.True(t, credentials("carol", "carol"), "the bare names")
	assert.False(t, credentials("carol", "ml-team-b_carol"))
	assert.False(t, credentials("ml-team-a_alice", "ml-team-a_alice"), "a forged source identity never reaches a prefixed namespace")
}

// TestAddingAConsumer: a producer stack that gets a third consumer adds that
// consumer's role, policy and network, and changes nothing of the others'.
func TestAddingAConsumer(t *testing.T) {
	_, consumerFirst, before, _ := splitRounds(t)
	values := stackConfig(t, "data-platform")
	var consumers []map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:consumers"]), &consumers))
	consumers = append(consumers, map[string]any{
		"name": "ml-team-c", "accountId": "444444444444", "executionRoleArn": "arn:aws:iam::444444444444:role/consumer-execution-role-5a6b7c8",
		"vpc": map[string]any{"id": "vpc-0f60718293a4b5c6d", "cidr": "10.40.0.0/16"}, "peeringConnectionId": "pcx-0f60718293a4b5c6d",
	})
	text, err := json.Marshal(consumers)
	require.NoError(t, err)
	values["studio-redshift:consumers"] = string(text)
	after := runStack(t, "data-platform", values, map[string]map[string]any{"ml-team-a": consumerFirst.Outputs})

	inputs := func(r *offline.Result) map[string]string {
		out := map[string]string{}
		for _, resource := range r.Resources() {
			text, err := json.Marshal(resource.Inputs)
			require.NoError(t, err)
			out[resource.URN] = string(text)
		}
		return out
	}
	old, updated := inputs(before), inputs(after)
	var added []string
	for urn, text := range updated {
		previous, existed := old[urn]
		if !existed {
			added = append(added, urn)
			continue
		}
		assert.Equal(t, previous, text, "%s changed", urn)
	}
	for urn := range old {
		assert.Contains(t, updated, urn, "%s went away", urn)
	}
	require.NotEmpty(t, added)
	for _, urn := range added {
		assert.Contains(t, urn, "ml-team-c", "only the new consumer's resources are added: %s", urn)
	}
	permissions := parsePolicy(t, one(t, after, rolePolicyType, "producer-ml-team-c-redshift-access"), "policy")
	assert.Contains(t, permissions.Statement[0].Resource, "arn:aws:redshift:us-east-1:111111111111:dbuser:analytics/ml-team-c_*")
	assert.Equal(t, "ml-team-c_", after.Outputs["consumerLinks"].(map[string]any)["ml-team-c"].(map[string]any)["dbUserPrefix"])
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
				if connection == config.ConnectionManagedEndpoint {
					// Redshift authorizes 5 accounts per cluster by default
					// (TestManagedEndpointQuotas): four teams in each.
					account = fmt.Sprintf("4444444444%02d", i%5)
				}
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
			assert.Len(t, result.OfType(roleType), 20, "one producer role per consumer")
			for _, role := range result.OfType(roleType) {
				trust := parsePolicy(t, role, "assumeRolePolicy")
				assert.Len(t, trust.Statement[0].Principal.AWS, 1, "%s trusts its consumer's execution role alone", role.URN)
			}
			prefixes := map[string]bool{}
			for _, link := range result.Outputs["consumerLinks"].(map[string]any) {
				prefixes[link.(map[string]any)["dbUserPrefix"].(string)] = true
			}
			assert.Len(t, prefixes, 20, "a namespace per consumer")
			assert.Equal(t, []any{}, result.Outputs["pending"])
			switch connection {
			case config.ConnectionPeering:
				assert.Len(t, result.OfType(accepterType), 20)
				assert.Len(t, result.OfType(routeType), 40, "two route tables each")
			case config.ConnectionManagedEndpoint:
				assert.Len(t, result.OfType(endpointAuthorizationType), 5, "one per account")
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
	assert.Equal(t, []string{"arn:aws:iam::111111111111:role/analytics-us-east-1-ml-team-b-studio-users"}, assume.Statement[0].Resource)
	assert.Equal(t, "ml-team-b_", result.Outputs["dbUserPrefix"])
	assert.Equal(t, []any{}, result.Outputs["pending"])

	// Pasted outputs of a producer that does not list this stack: nothing
	// to assume, refused by key before anything is registered.
	values := stackConfig(t, "ml-team-b")
	var outputs map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:producerOutputs"]), &outputs))
	delete(outputs["consumerLinks"].(map[string]any)["ml-team-b"].(map[string]any), "producerRoleArn")
	text, err := json.Marshal(outputs)
	require.NoError(t, err)
	values["studio-redshift:producerOutputs"] = string(text)
	_, err = offline.Run(Run, config.Project, "ml-team-b", values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "producerOutputs: has no consumerLinks.ml-team-b.producerRoleArn and .dbUserPrefix")
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

// TestProducerRoleNames: each consumer's role has a name of its own, known
// before the role exists, within IAM's 64 characters.
func TestProducerRoleNames(t *testing.T) {
	long := strings.Repeat("c", 63) // the longest cluster identifier
	for _, tt := range []struct {
		name, cluster, region, consumer, want string
	}{
		{"whole", "analytics", "us-east-1", "ml-team-a", "analytics-us-east-1-ml-team-a-studio-users"},
		{"cut, with a digest", long, "ap-southeast-2", "ml-team-a", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &config.Config{Region: tt.region}
			cfg.Producer.Redshift.ClusterIdentifier = tt.cluster
			name := producerRoleName(cfg, tt.consumer)
			assert.LessOrEqual(t, len(name), 64, name)
			assert.True(t, strings.HasSuffix(name, "-studio-users"), name)
			if tt.want != "" {
				assert.Equal(t, tt.want, name)
			}
		})
	}
	cfg := &config.Config{Region: "us-east-1"}
	cfg.Producer.Redshift.ClusterIdentifier = long
	assert.NotEqual(t, producerRoleName(cfg, "ml-team-a"), producerRoleName(cfg, "ml-team-b"), "cut names stay apart")
}

// TestTooManyConsumersForIAM: each consumer takes a producer role, and a
// list longer than IAM's roles per account is refused by key before
// anything is registered.
func TestTooManyConsumersForIAM(t *testing.T) {
	cfg := &config.Config{Side: config.SideProducer, Consumers: make([]config.ConsumerRef, quota.RolesPerAccount)}
	require.NoError(t, checkQuotas(cfg))
	cfg.Consumers = append(cfg.Consumers, config.ConsumerRef{})
	err := checkQuotas(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumers: 1001 consumers take a producer role each")
}

// TestAProfileTooLongForItsNamespace: the consumer stack learns its prefix
// from the producer's outputs and refuses, by key, a profile whose database
// user GetClusterCredentials would not take.
func TestAProfileTooLongForItsNamespace(t *testing.T) {
	values := stackConfig(t, "ml-team-b")
	var consumer map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:consumer"]), &consumer))
	consumer["studio"].(map[string]any)["userProfiles"] = []any{"carol", "a" + strings.Repeat("b", 54)}
	text, err := json.Marshal(consumer)
	require.NoError(t, err)
	values["studio-redshift:consumer"] = string(text)
	result, err := offline.Run(Run, config.Project, "ml-team-b", values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `consumer.studio.userProfiles[1]: "abbb`)
	assert.Contains(t, err.Error(), "becomes database user \"ml-team-b_abbb")
	for _, r := range result.Resources() {
		assert.False(t, r.InAWS(), "nothing of AWS is registered: %s", r.URN)
	}
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
