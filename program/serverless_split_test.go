package program

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/quota"
	"github.com/studio-redshift/studio-redshift/producer"
)

// teamBExecutionRole is ml-team-b's execution role, given by values.
const teamBExecutionRole = "arn:aws:iam::333333333333:role/consumer-execution-role-3f9e2a1"

// serverlessProducerSide is the data-platform stack with the Serverless
// example's created workgroup as its producer: ml-team-a by its stack,
// ml-team-b by values, both with a user alice.
func serverlessProducerSide(t *testing.T, teamBProfiles []string) map[string]string {
	t.Helper()
	values := stackConfig(t, "data-platform")
	values["studio-redshift:producer"] = stackConfig(t, "serverless")["studio-redshift:producer"]
	consumers, err := json.Marshal([]map[string]any{
		{"name": "ml-team-a", "stack": "ml-team-a"},
		{"name": "ml-team-b", "accountId": "333333333333", "executionRoleArn": teamBExecutionRole,
			"vpc": map[string]any{"id": "vpc-0d4e5f60718293a4b", "cidr": "10.30.0.0/16"}, "peeringConnectionId": "pcx-0e5f60718293a4b5c",
			"userProfiles": teamBProfiles},
	})
	require.NoError(t, err)
	values["studio-redshift:consumers"] = string(consumers)
	return values
}

// serverlessSplitRounds runs the documented order with a Serverless
// producer, once per test binary: the tests only read the results.
func serverlessSplitRounds(t *testing.T) (producerFirst, consumerFirst, producerSecond, consumerSecond *offline.Result) {
	t.Helper()
	serverlessRounds.once.Do(func() {
		producerValues := serverlessProducerSide(t, []string{"alice", "carol"})
		r := &serverlessRounds.results
		r[0] = runStack(t, "data-platform", producerValues, map[string]map[string]any{"ml-team-a": {}})
		r[1] = runStack(t, "ml-team-a", stackConfig(t, "ml-team-a"), map[string]map[string]any{"data-platform": r[0].Outputs})
		r[2] = runStack(t, "data-platform", producerValues, map[string]map[string]any{"ml-team-a": r[1].Outputs})
		r[3] = runStack(t, "ml-team-a", stackConfig(t, "ml-team-a"), map[string]map[string]any{"data-platform": r[2].Outputs})
	})
	r := serverlessRounds.results
	require.NotNil(t, r[3], "the rounds failed in an earlier test")
	return r[0], r[1], r[2], r[3]
}

// serverlessRounds holds the four runs of serverlessSplitRounds.
var serverlessRounds struct {
	once    sync.Once
	results [4]*offline.Result
}

// userRoles are a run's users' roles by name.
func userRoles(result *offline.Result) map[string]offline.Resource {
	roles := map[string]offline.Resource{}
	for _, role := range result.OfType(roleType) {
		if strings.HasPrefix(role.Name, "serverless-users-") {
			roles[role.String("name")] = role
		}
	}
	return roles
}

func TestServerlessSplitStacks(t *testing.T) {
	producerFirst, consumerFirst, producerSecond, consumerSecond := serverlessSplitRounds(t)
	for _, r := range []*offline.Result{producerFirst, producerSecond} {
		assertOneAccount(t, r, "producer", producerAccount)
	}
	for _, r := range []*offline.Result{consumerFirst, consumerSecond} {
		assertOneAccount(t, r, "consumer", consumerAccount)
	}
	teamAPattern := "arn:aws:iam::" + producerAccount + ":role/studio-redshift/data-platform/ml-team-a/*"
	links := func(r *offline.Result, name string) map[string]any {
		return r.Outputs["consumerLinks"].(map[string]any)[name].(map[string]any)
	}

	// First run: ml-team-b's roles only; ml-team-a's pattern and prefix are
	// in its link before its execution role exists.
	assert.ElementsMatch(t, []string{"ml-team-b_alice", "ml-team-b_carol"}, keys(userRoles(producerFirst)))
	assert.Equal(t, map[string]any{
		"trusted": false, "peeringAccepted": false, "endpointAuthorized": false,
		"producerRoleArn": "", "userRolesArn": teamAPattern, "dbUserPrefix": "ml-team-a_",
	}, links(producerFirst, "ml-team-a"))
	assert.Equal(t, "analytics", producerFirst.Outputs["redshiftWorkgroup"])
	for _, r := range producerFirst.OfType(roleType) {
		assert.NotEqual(t, "producer-ml-team-b-role", r.Name, "a workgroup has no producer role per consumer")
	}

	// The consumer side assumes the roles on its own path whose tag is its
	// user, and its snippet the role <prefix><profile>.
	chain := parsePolicy(t, one(t, consumerFirst, rolePolicyType, "role-chain-assume-producer-role"), "policy")
	require.Len(t, chain.Statement, 1)
	assert.Equal(t, []string{teamAPattern}, chain.Statement[0].Resource)
	assert.Equal(t, []string{"${aws:SourceIdentity}"}, chain.Statement[0].Condition["StringEquals"]["aws:ResourceTag/"+producer.UserTag])
	snippet := consumerFirst.Outputs["notebookSnippet"].(string)
	assert.Contains(t, snippet, `USER_ROLE_ARN_PREFIX = "`+strings.TrimSuffix(teamAPattern, "*")+`"`)
	assert.Contains(t, snippet, `WORKGROUP_NAME = "analytics"`)
	assert.Contains(t, snippet, "db_user = DB_USER_PREFIX + user\n")
	assert.Contains(t, snippet, "RoleArn=USER_ROLE_ARN_PREFIX + db_user, RoleSessionName=user")
	assert.Contains(t, snippet, "IAMR:<namespace><profile>")
	assert.Equal(t, "redshift-serverless", consumerEndpoint(t, consumerFirst), "Studio's VPC reaches GetCredentials")

	// Second run: each of ml-team-a's users has a role of its own, on its
	// path, trusting ml-team-a's execution role alone.
	executionRoleArn := one(t, consumerFirst, roleType, "consumer-execution-role").Output("arn").(string)
	roles := userRoles(producerSecond)
	assert.ElementsMatch(t, []string{"ml-team-a_alice", "ml-team-a_bob", "ml-team-b_alice", "ml-team-b_carol"}, keys(roles))
	for name, principal := range map[string]string{"ml-team-a_alice": executionRoleArn, "ml-team-b_alice": teamBExecutionRole} {
		role := roles[name]
		team, profile, _ := strings.Cut(name, "_")
		assert.Equal(t, "/studio-redshift/data-platform/"+team+"/", role.String("path"))
		tags := role.Input("tags").(map[string]any)
		assert.Equal(t, profile, tags[producer.UserTag], name)
		assert.Equal(t, "analysts", tags[producer.DBRolesTag], name)
		trust := parsePolicy(t, role, "assumeRolePolicy")
		require.Len(t, trust.Statement, 1)
		assert.Equal(t, []string{principal}, trust.Statement[0].Principal.AWS, name)
		assert.Equal(t, []string{profile}, trust.Statement[0].Condition["StringEquals"]["aws:SourceIdentity"], name)
		assert.Equal(t, []string{profile}, trust.Statement[0].Condition["StringEquals"]["sts:RoleSessionName"], name)
	}
	assert.Equal(t, "IAMR:ml-team-a_alice", producer.DatabaseUser(roles["ml-team-a_alice"].String("name")))
	assert.Len(t, producerSecond.OfType(managedPolicyType), 2, "one workgroup policy per consumer, whatever its users")
	assert.Len(t, producerSecond.OfType(accepterType), 2, "the peering of each consumer is accepted")
	var admitted []string
	for _, rule := range producerSecond.OfType(ingressType) {
		admitted = append(admitted, rule.String("cidrIpv4"))
	}
	assert.ElementsMatch(t, []string{"10.10.0.0/16", "10.30.0.0/16"}, admitted, "the workgroup admits each peered consumer")
	assert.Equal(t, []any{}, producerSecond.Outputs["pending"])
	assert.Equal(t, []any{}, consumerSecond.Outputs["pending"])
}

// consumerEndpoint is the Serverless interface endpoint of a consumer run.
func consumerEndpoint(t *testing.T, result *offline.Result) string {
	t.Helper()
	for _, endpoint := range result.OfType("aws:ec2/vpcEndpoint:VpcEndpoint") {
		if service := endpoint.String("serviceName"); strings.HasSuffix(service, ".redshift-serverless") {
			return "redshift-serverless"
		}
	}
	return ""
}

// TestAnotherTeamsServerlessUsers plays the two teams' alices against the
// documents: team B's administrator, who can create a profile alice in team
// B's domain, gets team B's alice and never team A's role.
func TestAnotherTeamsServerlessUsers(t *testing.T) {
	_, consumerFirst, producerSecond, _ := serverlessSplitRounds(t)
	teamA := one(t, consumerFirst, roleType, "consumer-execution-role").Output("arn").(string)
	chainA := parsePolicy(t, one(t, consumerFirst, rolePolicyType, "role-chain-assume-producer-role"), "policy")
	// Team B's stack makes this statement from its link's pattern.
	linkB := producerSecond.Outputs["consumerLinks"].(map[string]any)["ml-team-b"].(map[string]any)
	chainB := consumer.AssumeUserRolePolicy(linkB["userRolesArn"].(string), producer.UserTag)
	roles := userRoles(producerSecond)

	assume := func(executionRole, sourceIdentity, target string) bool {
		role := roles[target]
		chain := chainA
		if executionRole == teamBExecutionRole {
			chain = chainB
		}
		context := userSession(sourceIdentity, sourceIdentity)
		identity := allows(chain, request{principal: executionRole, action: "sts:AssumeRole", resource: role.Output("arn").(string),
			context: with(context, "aws:ResourceTag/"+producer.UserTag, role.Input("tags").(map[string]any)[producer.UserTag].(string))})
		trust := allows(parsePolicy(t, role, "assumeRolePolicy"), request{principal: executionRole, action: "sts:AssumeRole", context: context})
		return identity && trust
	}
	assert.True(t, assume(teamA, "alice", "ml-team-a_alice"), "team A's alice gets her own role")
	assert.True(t, assume(teamBExecutionRole, "alice", "ml-team-b_alice"), "team B's alice gets hers")
	assert.False(t, assume(teamBExecutionRole, "alice", "ml-team-a_alice"), "team B's alice cannot assume team A's alice's role")
	assert.False(t, assume(teamA, "alice", "ml-team-b_alice"), "nor team A's alice team B's")
	assert.False(t, assume(teamA, "bob", "ml-team-a_alice"), "bob cannot assume alice's role")
	assert.False(t, assume(teamA, "", "ml-team-a_alice"), "no session without a SourceIdentity")

	// Each half refuses team B on its own.
	teamARole := roles["ml-team-a_alice"]
	assert.False(t, allows(chainB, request{principal: teamBExecutionRole, action: "sts:AssumeRole", resource: teamARole.Output("arn").(string),
		context: with(userSession("alice", "alice"), "aws:ResourceTag/"+producer.UserTag, "alice")}), "team B's statement names only its own path")
	assert.False(t, allows(parsePolicy(t, teamARole, "assumeRolePolicy"), request{principal: teamBExecutionRole, action: "sts:AssumeRole",
		context: userSession("alice", "alice")}), "team A's role trusts team A's execution role alone")
}

// TestAServerlessConsumersNewProfile: a profile added to a consumer stack gets
// its role once that stack has reported it, and nothing else changes.
func TestAServerlessConsumersNewProfile(t *testing.T) {
	_, consumerFirst, before, _ := serverlessSplitRounds(t)
	outputs := map[string]any{}
	for key, value := range consumerFirst.Outputs {
		outputs[key] = value
	}
	outputs["userProfiles"] = []any{"alice", "bob", "dave"}
	after := runStack(t, "data-platform", serverlessProducerSide(t, []string{"alice", "carol"}), map[string]map[string]any{"ml-team-a": outputs})

	old := map[string]offline.Resource{}
	for _, r := range before.Resources() {
		old[r.URN] = r
	}
	var added []string
	for _, r := range after.Resources() {
		previous, existed := old[r.URN]
		if !existed {
			added = append(added, r.Type+" "+r.Name)
			continue
		}
		assert.Equal(t, previous.Inputs, r.Inputs, "%s is left as it was", r.URN)
	}
	slices.Sort(added)
	assert.Equal(t, []string{
		"aws:iam/role:Role serverless-users-ml-team-a_dave",
		"aws:iam/rolePolicyAttachment:RolePolicyAttachment serverless-users-ml-team-a_dave-workgroup-access",
	}, added)
	assert.Equal(t, "/studio-redshift/data-platform/ml-team-a/", userRoles(after)["ml-team-a_dave"].String("path"))
}

// TestServerlessRolesAcrossConsumers: the consumers' users share the data
// account's 1,000 roles.
func TestServerlessRolesAcrossConsumers(t *testing.T) {
	consumers := func(counts ...int) []consumerReady {
		var out []consumerReady
		for i, n := range counts {
			c := consumerReady{name: fmt.Sprintf("ml-team-%d", i)}
			for j := range n {
				c.userProfiles = append(c.userProfiles, fmt.Sprintf("user-%d", j))
			}
			out = append(out, c)
		}
		return out
	}
	cfg := &config.Config{}
	cfg.Producer.AccountID = producerAccount
	assert.NoError(t, checkServerlessConsumerRoles(cfg, consumers(600, 400)), "1,000 roles, the default quota")
	err := checkServerlessConsumerRoles(cfg, consumers(600, 401))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumers:")
	assert.Contains(t, err.Error(), fmt.Sprintf("1001 roles in the data account %s (ml-team-0 600, ml-team-1 401)", producerAccount))
	assert.Contains(t, err.Error(), fmt.Sprint(quota.RolesPerAccount))

	// The whole stack refuses before any role: ml-team-a's two users and
	// ml-team-b's 999.
	_, consumerFirst, _, _ := serverlessSplitRounds(t)
	many := make([]string, 999)
	for i := range many {
		many[i] = fmt.Sprintf("user-%d", i)
	}
	_, err = offline.Run(Run, config.Project, "data-platform", serverlessProducerSide(t, many),
		offline.WithStackReference("ml-team-a", consumerFirst.Outputs))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumers: the consumers' users take 1001 roles")
}

// keys are a map's keys.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for key := range m {
		out = append(out, key)
	}
	return out
}

// TestAServerlessConsumersProfileTooLongForItsRole: a profile a consumer stack
// reports whose role, <prefix><profile>, IAM would refuse is refused by key,
// naming the consumer and its stack's output.
func TestAServerlessConsumersProfileTooLongForItsRole(t *testing.T) {
	_, consumerFirst, _, _ := serverlessSplitRounds(t)
	outputs := map[string]any{}
	for key, value := range consumerFirst.Outputs {
		outputs[key] = value
	}
	outputs["userProfiles"] = []any{"alice", strings.Repeat("a", 55)} // ml-team-a_ and 55: 65
	_, err := offline.Run(Run, config.Project, "data-platform", serverlessProducerSide(t, []string{"alice"}),
		offline.WithStackReference("ml-team-a", outputs))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumers[0] (ml-team-a, its stack ml-team-a's userProfiles[1]):")
	assert.Contains(t, err.Error(), "65 characters; IAM takes at most 64: use a profile name of at most 54 characters")
}
