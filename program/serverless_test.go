package program

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/plan"
	"github.com/studio-redshift/studio-redshift/producer"
)

// serverlessDocuments are what a Serverless stack's users' chain rests on:
// the execution role's one statement, each user's role and its trust, and
// the permission every user's role shares.
type serverlessDocuments struct {
	executionRoleArn string
	chain            offline.Resource
	roles            map[string]offline.Resource
	workgroupArn     string
}

func serverlessChain(t *testing.T, result *offline.Result) serverlessDocuments {
	t.Helper()
	docs := serverlessDocuments{
		executionRoleArn: one(t, result, roleType, "consumer-execution-role").Output("arn").(string),
		chain:            one(t, result, rolePolicyType, "role-chain-assume-producer-role"),
		roles:            map[string]offline.Resource{},
		workgroupArn:     one(t, result, "aws:redshiftserverless/workgroup:Workgroup", "workgroup").Output("arn").(string),
	}
	for _, role := range result.OfType(roleType) {
		if profile, ok := strings.CutPrefix(role.Name, "serverless-users-"); ok {
			docs.roles[profile] = role
		}
	}
	return docs
}

// userSession is the request context of the execution role's session of a
// Studio user (SageMaker stamps the SourceIdentity) asking for a role with
// sessionName; "" leaves the SourceIdentity out.
func userSession(sourceIdentity, sessionName string) map[string]string {
	context := map[string]string{"sts:RoleSessionName": sessionName}
	if sourceIdentity != "" {
		context["aws:SourceIdentity"] = sourceIdentity
	}
	return context
}

// TestServerlessUsersAreTheirOwnRoles plays each user against the parsed
// documents of the Serverless example: the execution role's one statement
// (identity side, with the role's tag as the resource's) and the target
// role's trust (resource side) must both allow, as IAM requires of a role
// assumed across accounts.
func TestServerlessUsersAreTheirOwnRoles(t *testing.T) {
	result := run(t, stackConfig(t, "serverless"))
	docs := serverlessChain(t, result)
	chain := parsePolicy(t, docs.chain, "policy")
	require.Len(t, docs.roles, 2, "one role per user profile")

	assume := func(action, sourceIdentity, sessionName, target string) bool {
		role := docs.roles[target]
		context := userSession(sourceIdentity, sessionName)
		identity := allows(chain, request{principal: docs.executionRoleArn, action: action, resource: role.Output("arn").(string),
			context: with(context, "aws:ResourceTag/"+producer.UserTag, role.Input("tags").(map[string]any)[producer.UserTag].(string))})
		trust := allows(parsePolicy(t, role, "assumeRolePolicy"), request{principal: docs.executionRoleArn, action: action, context: context})
		return identity && trust
	}
	for _, action := range []string{"sts:AssumeRole", "sts:SetSourceIdentity"} {
		t.Run(action, func(t *testing.T) {
			assert.True(t, assume(action, "alice", "alice", "alice"), "alice assumes her role")
			assert.True(t, assume(action, "bob", "bob", "bob"), "bob assumes his role")
			assert.False(t, assume(action, "alice", "alice", "bob"), "alice cannot assume bob's role")
			assert.False(t, assume(action, "alice", "bob", "bob"), "alice cannot assume bob's role by naming her session bob")
			assert.False(t, assume(action, "", "alice", "alice"), "a session without a SourceIdentity assumes no role")
			assert.False(t, assume(action, "alice", "analysis", "alice"), "a session named other than the profile is refused")
		})
	}
	// Both halves refuse on their own: the trust alone keeps bob out of
	// alice's role, the execution role's statement alone keeps it out too.
	alice := docs.roles["alice"]
	assert.False(t, allows(parsePolicy(t, alice, "assumeRolePolicy"), request{principal: docs.executionRoleArn, action: "sts:AssumeRole", context: userSession("bob", "bob")}),
		"alice's trust refuses bob")
	assert.False(t, allows(chain, request{principal: docs.executionRoleArn, action: "sts:AssumeRole", resource: alice.Output("arn").(string),
		context: with(userSession("bob", "bob"), "aws:ResourceTag/"+producer.UserTag, "alice")}), "the execution role's statement refuses bob alice's role")
	assert.False(t, allows(parsePolicy(t, alice, "assumeRolePolicy"), request{principal: "arn:aws:iam::" + consumerAccount + ":role/other", action: "sts:AssumeRole",
		context: userSession("alice", "alice")}), "no other principal of the ML account")
	// A role of the data account off the users' path, tagged alice, is not
	// one the execution role may assume.
	assert.False(t, allows(chain, request{principal: docs.executionRoleArn, action: "sts:AssumeRole", resource: "arn:aws:iam::" + producerAccount + ":role/admin",
		context: with(userSession("alice", "alice"), "aws:ResourceTag/"+producer.UserTag, "alice")}), "no role off the path")

	// alice's role signs in to the workgroup, and to no other.
	permissions := parsePolicy(t, one(t, result, managedPolicyType, "serverless-users-workgroup-access"), "policy")
	session := map[string]string{"aws:SourceIdentity": "alice", "aws:userid": "AROAALICE:alice"}
	assert.True(t, allows(permissions, request{action: "redshift-serverless:GetCredentials", resource: docs.workgroupArn, context: session}), "alice's role gets credentials for the workgroup")
	other := strings.Replace(docs.workgroupArn, "workgroup/", "workgroup/0", 1)
	assert.False(t, allows(permissions, request{action: "redshift-serverless:GetCredentials", resource: other, context: session}), "no other workgroup")
	assert.True(t, allows(permissions, request{action: "redshift-data:ExecuteStatement", resource: docs.workgroupArn, context: session}), "the Data API on the workgroup")
	assert.False(t, allows(permissions, request{action: "redshift-data:ExecuteStatement", resource: docs.workgroupArn,
		context: with(session, "redshift-data:session-owner-iam-userid", "AROABOB:bob")}), "not in bob's Data API session")
	for _, r := range result.OfType(attachmentType) {
		if strings.HasPrefix(r.Name, "serverless-users-") {
			assert.Equal(t, one(t, result, managedPolicyType, "serverless-users-workgroup-access").Output("arn"), r.Input("policyArn"), r.URN)
		}
	}
}

// TestServerlessRolesAreNamedForTheDatabase checks what a DBA grants to: each
// role is named after its profile (the database user IAMR:<profile>), on the
// stack's own path, tagged with its profile and the database roles.
func TestServerlessRolesAreNamedForTheDatabase(t *testing.T) {
	result := run(t, stackConfig(t, "serverless"))
	docs := serverlessChain(t, result)
	for profile, role := range docs.roles {
		assert.Equal(t, profile, role.String("name"), "the role is the database user IAMR:%s", profile)
		assert.Equal(t, "/studio-redshift/dev/", role.String("path"))
		assert.Equal(t, "arn:aws:iam::"+producerAccount+":role/studio-redshift/dev/"+profile, role.Output("arn"))
		assert.Equal(t, producerAccount, role.Account, "the role is in the data account")
		tags := role.Input("tags").(map[string]any)
		assert.Equal(t, profile, tags[producer.UserTag])
		assert.Equal(t, "analysts", tags[producer.DBRolesTag], "the database roles joined at sign-in")
	}
	chain := parsePolicy(t, docs.chain, "policy")
	require.Len(t, chain.Statement, 1, "one statement for every user")
	assert.Equal(t, []string{"arn:aws:iam::" + producerAccount + ":role/studio-redshift/dev/*"}, chain.Statement[0].Resource)
	assert.Equal(t, []string{"${aws:SourceIdentity}"}, chain.Statement[0].Condition["StringEquals"]["aws:ResourceTag/"+producer.UserTag],
		"the policy variable reaches AWS as written")
	assert.Equal(t, "IAMR:alice", producer.DatabaseUser("alice"))
}

// TestServerlessAtAThousandUsers: a thousand users are a thousand roles in
// the data account, and nothing shared grows with them.
func TestServerlessAtAThousandUsers(t *testing.T) {
	t.Parallel()
	two := run(t, stackConfig(t, "serverless"))
	thousand := thousandUsers(t, "serverless")

	assert.Equal(t, iamDocuments(two)[one(t, two, rolePolicyType, "role-chain-assume-producer-role").URN],
		iamDocuments(thousand)[one(t, thousand, rolePolicyType, "role-chain-assume-producer-role").URN], "the execution role's statement")
	assert.Equal(t, one(t, two, managedPolicyType, "serverless-users-workgroup-access").String("policy"),
		one(t, thousand, managedPolicyType, "serverless-users-workgroup-access").String("policy"), "the users' shared permission")
	assert.Len(t, serverlessChain(t, thousand).roles, 1000)
	// Each added user costs the Studio side's four resources, a role and
	// its policy attachment.
	assert.Equal(t, 6*998, awsResources(thousand)-awsResources(two), "resources per added user")

	large, err := plan.Build(config.Project, "serverless", thousand)
	require.NoError(t, err)
	require.NoError(t, large.Exceeded(), "1,000 roles fit the default quota, with no headroom")
	for _, q := range large.Quotas {
		if q.Provider == "producer" && q.Name == "IAM roles per account" {
			assert.Equal(t, 1000, q.Used)
			assert.Equal(t, 0, q.Headroom)
			assert.Contains(t, q.Key, "Roles per account")
		}
	}
}

// TestServerlessRefusesMoreUsersThanRoles refuses, by key and before any
// resource exists, the users whose roles the data account cannot hold.
func TestServerlessRefusesMoreUsersThanRoles(t *testing.T) {
	tests := []struct {
		name  string
		users int
		same  bool
		want  string
	}{
		{"1,001 users", 1001, false, "1001 user profiles take a role each in the data account 111111111111"},
		{"1,000 users where the ML account is the data account", 1000, true, "1003 roles the program makes there in all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := withUsers(t, stackConfig(t, "serverless"), userNames(tt.users))
			if tt.same {
				values = withConsumer(t, values, func(c map[string]any) { c["accountId"] = producerAccount })
			}
			_, err := offline.Run(Run, config.Project, "dev", values)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "consumer.studio.userProfiles: ")
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), `raise the IAM quota "Roles per account"`)
		})
	}
}

// TestServerlessOutputs: the outputs carry the workgroup, and the snippet
// assumes the user's own role on the stack's path.
func TestServerlessOutputs(t *testing.T) {
	result := run(t, stackConfig(t, "serverless"))
	assert.Equal(t, "analytics", result.Outputs["redshiftWorkgroup"])
	assert.Equal(t, "analytics", result.Outputs["redshift"].(map[string]any)["workgroupName"])
	assert.Equal(t, "arn:aws:iam::"+producerAccount+":role/studio-redshift/dev/*", result.Outputs["producerRoleArn"])
	snippet := result.Outputs["notebookSnippet"].(string)
	assert.Contains(t, snippet, `USER_ROLE_ARN_PREFIX = "arn:aws:iam::`+producerAccount+`:role/studio-redshift/dev/"`)
	assert.Contains(t, snippet, `WORKGROUP_NAME = "analytics"`)
	assert.Contains(t, snippet, "serverless.get_credentials(workgroupName=WORKGROUP_NAME, dbName=DATABASE)")
	assert.NotContains(t, snippet, "get_cluster_credentials")

	cluster := run(t, devConfig(t))
	assert.NotContains(t, cluster.Outputs, "redshiftWorkgroup", "a cluster's stack has no workgroup")
}

// TestServerlessChanges runs the Serverless example twice, before and after a
// change, and checks what changed in the data account: a user added is a
// role and its attachment, a database role added changes the users' tags,
// and neither touches a shared document or the workgroup.
func TestServerlessChanges(t *testing.T) {
	withProducer := func(values map[string]string, change func(map[string]any)) map[string]string {
		var producer map[string]any
		require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:producer"]), &producer))
		change(producer)
		text, err := json.Marshal(producer)
		require.NoError(t, err)
		values["studio-redshift:producer"] = string(text)
		return values
	}
	before := run(t, stackConfig(t, "serverless"))
	inDataAccount := func(result *offline.Result) map[string]offline.Resource {
		out := map[string]offline.Resource{}
		for _, r := range result.Resources() {
			if r.InAWS() && r.Account == producerAccount {
				out[r.URN] = r
			}
		}
		return out
	}
	unchanged := func(t *testing.T, after *offline.Result, except ...string) {
		t.Helper()
		old, now := inDataAccount(before), inDataAccount(after)
		for urn, r := range old {
			if slices.ContainsFunc(except, func(name string) bool { return strings.HasSuffix(urn, "::"+name) }) {
				continue
			}
			require.Contains(t, now, urn)
			assert.Equal(t, r.Inputs, now[urn].Inputs, "%s is left as it was", urn)
		}
	}

	t.Run("a user added", func(t *testing.T) {
		after := run(t, withUsers(t, stackConfig(t, "serverless"), []any{"alice", "bob", "carol"}))
		old, now := inDataAccount(before), inDataAccount(after)
		var added []string
		for urn, r := range now {
			if _, ok := old[urn]; !ok {
				added = append(added, r.Type+" "+r.Name)
			}
		}
		assert.ElementsMatch(t, []string{roleType + " serverless-users-carol", attachmentType + " serverless-users-carol-workgroup-access"}, added)
		unchanged(t, after)
	})
	t.Run("a database role added", func(t *testing.T) {
		after := run(t, withProducer(stackConfig(t, "serverless"), func(p map[string]any) {
			p["redshift"].(map[string]any)["dbGroups"] = []any{"analysts", "readers"}
		}))
		for _, profile := range []string{"alice", "bob"} {
			role := one(t, after, roleType, "serverless-users-"+profile)
			assert.Equal(t, "analysts:readers", role.Input("tags").(map[string]any)[producer.DBRolesTag])
		}
		// Tags update in place (provider schema: tags is not ForceNew).
		unchanged(t, after, "serverless-users-alice", "serverless-users-bob")
	})
}

// TestServerlessWorkgroupVariants runs the other shapes a Serverless producer
// takes: an existing workgroup over the Data API (looked up, nothing created
// in the data account but the users' roles), and a created one in a created
// VPC of three zones.
func TestServerlessWorkgroupVariants(t *testing.T) {
	t.Run("existing workgroup over the Data API", func(t *testing.T) {
		values := stackConfig(t, "serverless")
		values["studio-redshift:connection"] = config.ConnectionDataAPI
		values["studio-redshift:producer"] = `{"accountId":"111111111111","redshift":{"database":"dev","serverless":{"workgroupName":"analytics"}}}`
		result := run(t, values)
		assert.Empty(t, result.OfType("aws:redshiftserverless/workgroup:Workgroup"), "an existing workgroup is looked up, not created")
		assert.Empty(t, result.OfType(peeringType))
		workgroupArn := "arn:aws:redshift-serverless:us-east-1:" + producerAccount + ":workgroup/" + offline.WorkgroupID("analytics")
		permissions := parsePolicy(t, one(t, result, managedPolicyType, "serverless-users-workgroup-access"), "policy")
		assert.Equal(t, []string{workgroupArn}, statement(t, permissions, "SignInToTheWorkgroup").Resource, "the looked-up workgroup's ARN, with its ID")
		for _, r := range result.Resources() {
			if r.InAWS() && r.Account == producerAccount {
				assert.Contains(t, []string{roleType, attachmentType, managedPolicyType}, r.Type, "%s: only the users' roles in the data account", r.URN)
			}
		}
		assert.Contains(t, result.Outputs["notebookSnippet"], "execute_statement(WorkgroupName=WORKGROUP_NAME")
	})
	t.Run("created workgroup in a created VPC", func(t *testing.T) {
		values := stackConfig(t, "serverless")
		values["studio-redshift:producer"] = `{"accountId":"111111111111","vpc":{"cidr":"10.20.0.0/16","subnetCount":3},` +
			`"redshift":{"database":"dev","serverless":{"workgroupName":"analytics","create":true}}}`
		result := run(t, values)
		workgroup := one(t, result, "aws:redshiftserverless/workgroup:Workgroup", "workgroup")
		subnets := workgroup.Input("subnetIds").([]any)
		var created []any
		for _, subnet := range result.OfType("aws:ec2/subnet:Subnet") {
			assert.Equal(t, producerAccount, subnet.Account, subnet.URN)
			created = append(created, subnet.ID)
		}
		require.Len(t, created, 3, "one subnet in each of three zones")
		assert.ElementsMatch(t, created, subnets, "the workgroup is in the created VPC's subnets")
	})
}

// TestServerlessSubnetsSpanThreeZones refuses, by key and before anything is
// created, a workgroup to create in subnets of fewer than three zones.
func TestServerlessSubnetsSpanThreeZones(t *testing.T) {
	const producerVpc = "vpc-0a1b2c3d4e5f60718"
	subnets := []string{"subnet-0d4e5f60718293a4b", "subnet-0e5f60718293a4b5c", "subnet-0f60718293a4b5c6d"}
	zones := func(names ...string) []offline.Option {
		var options []offline.Option
		for i, zone := range names {
			options = append(options, offline.WithSubnet(subnets[i], offline.Subnet{VpcID: producerVpc, Zone: zone}))
		}
		return options
	}
	_, err := offline.Run(Run, config.Project, "dev", stackConfig(t, "serverless"), zones("us-east-1a", "us-east-1b", "us-east-1b")...)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "producer.vpc.subnetIds: the subnets span 2 availability zones; a Redshift Serverless workgroup needs subnets in at least 3")

	_, err = offline.Run(Run, config.Project, "dev", stackConfig(t, "serverless"), zones("us-east-1a", "us-east-1b", "us-east-1c")...)
	require.NoError(t, err, "three zones")
}
