package program

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
	"github.com/studio-redshift/studio-redshift/internal/stackconfig"
)

// Values of Pulumi.dev.yaml the assertions refer to.
const (
	producerAccount = "111111111111"
	consumerAccount = "222222222222"
	producerCIDR    = "10.20.0.0/16"
	consumerCIDR    = "10.10.0.0/16"
)

// Resource type tokens.
const (
	roleType          = "aws:iam/role:Role"
	rolePolicyType    = "aws:iam/rolePolicy:RolePolicy"
	attachmentType    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	keyType           = "aws:kms/key:Key"
	securityGroupType = "aws:ec2/securityGroup:SecurityGroup"
	ingressType       = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	egressType        = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	endpointType      = "aws:ec2/vpcEndpoint:VpcEndpoint"
	routeType         = "aws:ec2/route:Route"
	peeringType       = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
	accepterType      = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
	optionsType       = "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions"
	domainType        = "aws:sagemaker/domain:Domain"
	userProfileType   = "aws:sagemaker/userProfile:UserProfile"
)

func devConfig(t *testing.T) map[string]string {
	return stackConfig(t, "dev")
}

func stackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	values, err := stackconfig.Load("..", stack, nil)
	require.NoError(t, err)
	return values
}

// assertAccounts checks that every AWS resource was created by the provider
// of the account it belongs in, inside a component.
func assertAccounts(t *testing.T, result *offline.Result, accounts map[string]string) {
	t.Helper()
	count := 0
	for _, r := range result.Resources() {
		if !r.InAWS() {
			continue
		}
		count++
		assert.Contains(t, r.Parent, "studioredshift:index:", "%s is not inside a component", r.URN)
		want := expectedProvider(r)
		assert.Equal(t, want, r.Provider, "%s uses the wrong provider", r.URN)
		assert.Equal(t, accounts[want], r.Account, "%s lands in the wrong account", r.URN)
		assert.Equal(t, "us-east-1", r.Region, r.URN)
	}
	assert.Greater(t, count, 40, "the stack registers the whole system")
}

// withConsumer returns the dev configuration with the consumer object changed.
func withConsumer(t *testing.T, values map[string]string, change func(map[string]any)) map[string]string {
	t.Helper()
	var consumer map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:consumer"]), &consumer))
	change(consumer)
	text, err := json.Marshal(consumer)
	require.NoError(t, err)
	values["studio-redshift:consumer"] = string(text)
	return values
}

func run(t *testing.T, values map[string]string) *offline.Result {
	t.Helper()
	// One run per configuration per test binary: many tests, some of them
	// side by side, read the same stack, and a run's result is only ever
	// read.
	key, err := json.Marshal(values)
	require.NoError(t, err)
	entry, _ := runs.LoadOrStore(string(key), &memoRun{})
	memo := entry.(*memoRun)
	memo.once.Do(func() { memo.result, memo.err = offline.Run(Run, config.Project, "dev", values) })
	require.NoError(t, memo.err)
	return memo.result
}

// memoRun is one configuration's run, made once.
type memoRun struct {
	once   sync.Once
	result *offline.Result
	err    error
}

// runs holds the memoRun of each configuration run has seen.
var runs sync.Map

func one(t *testing.T, result *offline.Result, typ, name string) offline.Resource {
	t.Helper()
	r, ok := result.Named(typ, name)
	require.True(t, ok, "no %s named %s", typ, name)
	return r
}

func parsePolicy(t *testing.T, r offline.Resource, key string) policy.Document {
	t.Helper()
	doc, err := policy.Parse(r.String(key))
	require.NoError(t, err, r.URN)
	require.Equal(t, policy.Version, doc.Version, r.URN)
	return doc
}

func statement(t *testing.T, doc policy.Document, sid string) policy.Statement {
	t.Helper()
	for _, s := range doc.Statement {
		if s.Sid == sid {
			return s
		}
	}
	require.Failf(t, "statement missing", "no statement %q", sid)
	return policy.Statement{}
}

// expectedProvider is the account each resource belongs in: consumer-side
// components in the ML account, producer-side in the data account, and the
// peering split between requester and accepter.
func expectedProvider(r offline.Resource) string {
	parent := resource.URN(r.Parent)
	switch parent.Type() {
	case "studioredshift:index:Producer", "studioredshift:index:Warehouse", "studioredshift:index:DataBucket":
		return "producer"
	case "studioredshift:index:LogBucket":
		// The ML account's log bucket belongs to the Consumer component.
		if !strings.HasPrefix(parent.Name(), "consumer") {
			return "producer"
		}
	case "studioredshift:index:Network":
		if strings.HasPrefix(parent.Name(), "producer") {
			return "producer"
		}
	case "studioredshift:index:Peering":
		if strings.HasSuffix(r.Name, "-accept") || strings.HasSuffix(r.Name, "-accepter-dns") {
			return "producer"
		}
	}
	return "consumer"
}

func TestEveryResourceSitsInItsAccount(t *testing.T) {
	assertAccounts(t, run(t, devConfig(t)), map[string]string{"producer": producerAccount, "consumer": consumerAccount})
}

func TestProvidersAreExplicitPerAccount(t *testing.T) {
	result := run(t, devConfig(t))
	providers := result.OfType(offline.ProviderType)
	require.Len(t, providers, 2)
	for _, p := range providers {
		want := map[string]string{"producer": producerAccount, "consumer": consumerAccount}[p.Name]
		assert.Equal(t, []any{want}, p.Input("allowedAccountIds"), p.Name)
		assert.Equal(t, "us-east-1", p.String("region"), p.Name)
		assert.Equal(t, map[string]any{"tags": map[string]any{"team": "data-platform", "project": "studio-redshift"}},
			p.Input("defaultTags"), p.Name)
		assert.Nil(t, p.Input("assumeRole"), "no deployer role configured for %s", p.Name)
	}
}

func TestProviderCredentials(t *testing.T) {
	values := withConsumer(t, devConfig(t), func(c map[string]any) {
		c["roleArn"] = "arn:aws:iam::222222222222:role/deployer"
		c["profile"] = "ml-prod"
	})
	consumerProvider := one(t, run(t, values), offline.ProviderType, "consumer")
	assert.Equal(t, "arn:aws:iam::222222222222:role/deployer", consumerProvider.Input("assumeRole").(map[string]any)["roleArn"])
	assert.Equal(t, "ml-prod", consumerProvider.String("profile"))
}

func TestProducerRoleTrustsOnlyTheExecutionRole(t *testing.T) {
	result := run(t, devConfig(t))
	executionRole := one(t, result, roleType, "consumer-execution-role")
	executionRoleArn := executionRole.Output("arn").(string)
	require.True(t, strings.HasPrefix(executionRoleArn, "arn:aws:iam::"+consumerAccount+":role/consumer-execution-role-"))

	producerRole := one(t, result, roleType, "producer-role")
	trust := parsePolicy(t, producerRole, "assumeRolePolicy")
	require.Len(t, trust.Statement, 1)
	s := trust.Statement[0]
	assert.Equal(t, policy.Allow, s.Effect)
	assert.Equal(t, &policy.Principal{AWS: []string{executionRoleArn}}, s.Principal, "exactly the execution role, never * or the account root")
	assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:SetSourceIdentity"}, s.Action)
	assert.Equal(t, policy.Condition{
		"Null":         {"aws:SourceIdentity": {"false"}},
		"StringEquals": {"sts:RoleSessionName": {"${aws:SourceIdentity}"}},
	}, s.Condition,
		"only sessions that carry a SourceIdentity, named after it; no user is listed, so the document does not grow with them")
	assert.Contains(t, producerRole.String("assumeRolePolicy"), `"${aws:SourceIdentity}"`, "the policy variable reaches AWS as written")
}

func TestExecutionRole(t *testing.T) {
	result := run(t, devConfig(t))
	executionRole := one(t, result, roleType, "consumer-execution-role")
	trust := parsePolicy(t, executionRole, "assumeRolePolicy")
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, &policy.Principal{Service: []string{"sagemaker.amazonaws.com"}}, trust.Statement[0].Principal)
	assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:SetSourceIdentity"}, trust.Statement[0].Action)

	attachments := inComponent(result, attachmentType, "consumer")
	require.Len(t, attachments, 1)
	assert.Equal(t, "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", attachments[0].String("policyArn"))
	assert.Equal(t, executionRole.ID, attachments[0].String("role"))

	// The chain: the execution role may assume the producer role, and only it.
	producerRoleArn := one(t, result, roleType, "producer-role").Output("arn").(string)
	assume := one(t, result, rolePolicyType, "role-chain-assume-producer-role")
	assert.Equal(t, executionRole.ID, assume.String("role"))
	doc := parsePolicy(t, assume, "policy")
	require.Len(t, doc.Statement, 1)
	assert.Equal(t, []string{producerRoleArn}, doc.Statement[0].Resource)
	assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:SetSourceIdentity"}, doc.Statement[0].Action,
		"AssumeRole fails for a session with a SourceIdentity unless SetSourceIdentity is allowed too")
}

func TestProducerPermissionPolicy(t *testing.T) {
	result := run(t, devConfig(t))
	producerRole := one(t, result, roleType, "producer-role")
	rolePolicy := one(t, result, rolePolicyType, "producer-redshift-access")
	assert.Equal(t, producerRole.ID, rolePolicy.String("role"))
	doc := parsePolicy(t, rolePolicy, "policy")

	const arnPrefix = "arn:aws:redshift:us-east-1:" + producerAccount + ":"
	dbUserIsSourceIdentity := policy.Condition{"StringEquals": {"redshift:DbUser": {"${aws:SourceIdentity}"}}}

	credentials := statement(t, doc, "GetRedshiftCredentials")
	assert.Equal(t, []string{"redshift:GetClusterCredentials"}, credentials.Action)
	assert.ElementsMatch(t, []string{
		arnPrefix + "dbname:analytics/dev",
		arnPrefix + "dbuser:analytics/${redshift:DbUser}",
		arnPrefix + "cluster:analytics",
	}, credentials.Resource)
	assert.Equal(t, policy.Condition{"StringEquals": {
		"redshift:DbUser": {"${aws:SourceIdentity}"},
		"redshift:DbName": {"dev"},
	}}, credentials.Condition, "alice may only become alice, and only in the configured database")

	createUser := statement(t, doc, "DynamicUserCreation")
	assert.Equal(t, []string{"redshift:CreateClusterUser"}, createUser.Action)
	assert.Equal(t, []string{arnPrefix + "dbuser:analytics/${redshift:DbUser}"}, createUser.Resource)
	assert.Equal(t, dbUserIsSourceIdentity, createUser.Condition)

	join := statement(t, doc, "JoinConfiguredGroups")
	assert.Equal(t, []string{"redshift:JoinGroup"}, join.Action)
	assert.Equal(t, []string{arnPrefix + "dbgroup:analytics/analysts"}, join.Resource, "only the configured groups")

	dataAPI := statement(t, doc, "DataAPIOnCluster")
	assert.ElementsMatch(t, []string{
		"redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement", "redshift-data:DescribeTable",
		"redshift-data:ListDatabases", "redshift-data:ListSchemas", "redshift-data:ListTables",
	}, dataAPI.Action)
	assert.Equal(t, []string{arnPrefix + "cluster:analytics"}, dataAPI.Resource)

	ownStatements := statement(t, doc, "DataAPIOwnStatements")
	assert.Equal(t, policy.Condition{"StringEquals": {"redshift-data:statement-owner-iam-userid": {"${aws:userid}"}}}, ownStatements.Condition)
	assert.NotContains(t, ownStatements.Action, "redshift-data:ListStatements", "it would list every user's statements of the shared role")

	sessions := statement(t, doc, "DenyOtherUsersDataAPISessions")
	assert.Equal(t, policy.Deny, sessions.Effect)
	assert.ElementsMatch(t, []string{"redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"}, sessions.Action)
	assert.Equal(t, []string{"*"}, sessions.Resource, "a reused session's request names no cluster")
	assert.Equal(t, policy.Condition{
		"Null":            {"redshift-data:session-owner-iam-userid": {"false"}},
		"StringNotEquals": {"redshift-data:session-owner-iam-userid": {"${aws:userid}"}},
	}, sessions.Condition)

	describe := statement(t, doc, "DescribeTheCluster")
	assert.Equal(t, []string{"redshift:DescribeClusters"}, describe.Action)
	assert.Equal(t, []string{arnPrefix + "cluster:analytics"}, describe.Resource, "this cluster only, none of the data account's others")

	admins := statement(t, doc, "DenyAdminUsers")
	assert.Equal(t, policy.Deny, admins.Effect)
	assert.ElementsMatch(t, []string{"redshift:GetClusterCredentials", "redshift:CreateClusterUser"}, admins.Action)
	assert.Equal(t, []string{arnPrefix + "dbuser:analytics/awsuser", arnPrefix + "dbuser:analytics/rdsdb", arnPrefix + "dbuser:analytics/public"}, admins.Resource)
	anyCase := statement(t, doc, "DenyAdminUsersInAnyCase")
	assert.Equal(t, []string{arnPrefix + "dbuser:analytics/*"}, anyCase.Resource, "no policy variable the deny could miss")
	assert.Equal(t, policy.Condition{"StringEqualsIgnoreCase": {"redshift:DbUser": {"awsuser", "rdsdb", "public"}}}, anyCase.Condition)

	// "*" only for actions that have no resource type, and only the ones
	// the notebook calls.
	noResourceType := map[string]bool{
		"redshift-data:CancelStatement": true, "redshift-data:DescribeStatement": true, "redshift-data:GetStatementResult": true,
	}
	for _, s := range doc.Statement {
		if s.Effect == policy.Deny {
			continue
		}
		if len(s.Resource) == 1 && s.Resource[0] == "*" {
			for _, action := range s.Action {
				assert.True(t, noResourceType[action], "statement %s grants %s on *", s.Sid, action)
			}
		}
	}

	// The policy variables must reach AWS as written, not interpolated.
	text := rolePolicy.String("policy")
	assert.Contains(t, text, `"${aws:SourceIdentity}"`)
	assert.Contains(t, text, `dbuser:analytics/${redshift:DbUser}"`)
}

func TestNoGroupsMeansNoJoinGroup(t *testing.T) {
	values := devConfig(t)
	var producer map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:producer"]), &producer))
	delete(producer["redshift"].(map[string]any), "dbGroups")
	text, _ := json.Marshal(producer)
	values["studio-redshift:producer"] = string(text)

	result := run(t, values)
	doc := parsePolicy(t, one(t, result, rolePolicyType, "producer-redshift-access"), "policy")
	for _, s := range doc.Statement {
		assert.NotContains(t, s.Action, "redshift:JoinGroup")
	}
	assert.Equal(t, map[string]any{"clusterIdentifier": "analytics", "database": "dev", "port": 5439.0, "dbGroups": []any{}},
		result.Outputs["redshift"])
}

func TestStudioDomain(t *testing.T) {
	result := run(t, devConfig(t))
	domain := one(t, result, domainType, "consumer-domain")
	executionRoleArn := one(t, result, roleType, "consumer-execution-role").Output("arn").(string)
	key := one(t, result, keyType, "consumer-home-key")
	domainGroup := one(t, result, securityGroupType, "consumer-studio")

	assert.Equal(t, "analytics-studio", domain.String("domainName"))
	assert.Equal(t, "IAM", domain.String("authMode"))
	assert.Equal(t, "VpcOnly", domain.String("appNetworkAccessType"))
	assert.Equal(t, "vpc-0c3d4e5f60718293a", domain.String("vpcId"))
	assert.Equal(t, []any{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"}, domain.Input("subnetIds"))
	assert.Equal(t, key.Output("arn"), domain.String("kmsKeyId"), "home EFS encrypted with the customer-managed key")
	assert.Equal(t, map[string]any{"executionRoleIdentityConfig": "USER_PROFILE_NAME", "securityGroupIds": []any{domainGroup.ID}},
		domain.Input("domainSettings"))
	assert.Equal(t, map[string]any{"homeEfsFileSystem": "Retain"}, domain.Input("retentionPolicy"))
	for _, settings := range []string{"defaultUserSettings", "defaultSpaceSettings"} {
		assert.Equal(t, map[string]any{"executionRole": executionRoleArn, "securityGroups": []any{domainGroup.ID}},
			domain.Input(settings), "%s carry the role and a security group, or apps hang", settings)
	}
	assert.True(t, domain.Protect, "the domain is protected by default")

	assert.Equal(t, true, key.Input("enableKeyRotation"))
	assert.True(t, key.Protect, "the KMS key is protected by default")

	// The domain takes minutes to create: it waits for its role, key and
	// security group only, not for endpoints, peering or the producer side.
	assert.ElementsMatch(t, []string{
		one(t, result, roleType, "consumer-execution-role").URN, key.URN, domainGroup.URN,
	}, domain.Dependencies)
}

func TestProtectFalse(t *testing.T) {
	values := devConfig(t)
	values["studio-redshift:protect"] = "false"
	result := run(t, values)
	assert.False(t, one(t, result, domainType, "consumer-domain").Protect)
	assert.False(t, one(t, result, keyType, "consumer-home-key").Protect)
}

func TestUserProfilesHaveTheirOwnSecurityGroups(t *testing.T) {
	result := run(t, devConfig(t))
	executionRoleArn := one(t, result, roleType, "consumer-execution-role").Output("arn").(string)
	domain := one(t, result, domainType, "consumer-domain")

	seen := map[string]bool{}
	for _, name := range []string{"alice", "bob"} {
		profile := one(t, result, userProfileType, "consumer-user-"+name)
		group := one(t, result, securityGroupType, "consumer-studio-"+name)
		assert.Equal(t, name, profile.String("userProfileName"))
		assert.Equal(t, domain.ID, profile.String("domainId"))
		settings := profile.Input("userSettings").(map[string]any)
		assert.Equal(t, executionRoleArn, settings["executionRole"])
		assert.Equal(t, []any{group.ID}, settings["securityGroups"], "the user's own group, added to the domain's clients group")
		assert.False(t, seen[group.ID], "groups are distinct per user")
		seen[group.ID] = true
	}
	assert.Len(t, result.OfType(userProfileType), 2)
}

func TestEndpoints(t *testing.T) {
	result := run(t, devConfig(t))
	endpointGroup := one(t, result, securityGroupType, "consumer-endpoints")

	var interfaces []string
	for _, endpoint := range result.OfType(endpointType) {
		assert.Equal(t, "vpc-0c3d4e5f60718293a", endpoint.String("vpcId"))
		if endpoint.String("vpcEndpointType") == "Gateway" {
			assert.Equal(t, "com.amazonaws.us-east-1.s3", endpoint.String("serviceName"))
			assert.Equal(t, []any{"rtb-0c3d4e5f60718293a"}, endpoint.Input("routeTableIds"))
			continue
		}
		assert.Equal(t, "Interface", endpoint.String("vpcEndpointType"))
		interfaces = append(interfaces, endpoint.String("serviceName"))
		assert.Equal(t, true, endpoint.Input("privateDnsEnabled"), endpoint.URN)
		assert.Equal(t, []any{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"}, endpoint.Input("subnetIds"))
		assert.Equal(t, []any{endpointGroup.ID}, endpoint.Input("securityGroupIds"))
	}
	assert.ElementsMatch(t, []string{
		"com.amazonaws.us-east-1.sagemaker.api",
		"com.amazonaws.us-east-1.sagemaker.runtime",
		"aws.sagemaker.us-east-1.studio",
		"com.amazonaws.us-east-1.sts",
		"com.amazonaws.us-east-1.logs",
		"com.amazonaws.us-east-1.redshift",
		"com.amazonaws.us-east-1.redshift-data",
	}, interfaces)
}

func TestExtraEndpointsFollowTheRegion(t *testing.T) {
	values := withConsumer(t, devConfig(t), func(c map[string]any) {
		c["vpc"].(map[string]any)["extraEndpoints"] = []any{"ecr.api", "notebook"}
	})
	values["studio-redshift:region"] = "eu-west-1"
	result := run(t, values)
	var names []string
	for _, endpoint := range result.OfType(endpointType) {
		names = append(names, endpoint.String("serviceName"))
	}
	assert.Contains(t, names, "com.amazonaws.eu-west-1.ecr.api")
	assert.Contains(t, names, "aws.sagemaker.eu-west-1.notebook", "the notebook service uses the aws.sagemaker prefix")
	assert.Contains(t, names, "aws.sagemaker.eu-west-1.studio")
	assert.Len(t, names, 10)
}

func TestSecurityGroupRules(t *testing.T) {
	result := run(t, devConfig(t))
	endpointGroup := one(t, result, securityGroupType, "consumer-endpoints")
	clients := one(t, result, securityGroupType, "consumer-studio")
	jobs := one(t, result, securityGroupType, "consumer-jobs")
	gateway := one(t, result, endpointType, "consumer-endpoint-s3")
	rules := securityGroupRules(result)

	for _, r := range rules {
		assert.NotEqual(t, "0.0.0.0/0", r.cidr, "%s opens to the world", r.urn)
	}
	// The endpoints admit HTTPS from the clients and the jobs: two rules,
	// whatever the number of users.
	assert.ElementsMatch(t, []sgRule{
		{group: endpointGroup.ID, peerGroup: clients.ID, protocol: "tcp", from: 443, to: 443},
		{group: endpointGroup.ID, peerGroup: jobs.ID, protocol: "tcp", from: 443, to: 443},
	}, withoutURN(rulesOf(rules, endpointGroup.ID, false)))
	assert.Empty(t, rulesOf(rules, clients.ID, false), "the clients group, on every Studio app, admits nothing")
	assert.ElementsMatch(t, []sgRule{
		{group: clients.ID, egress: true, peerGroup: endpointGroup.ID, protocol: "tcp", from: 443, to: 443},
		{group: clients.ID, egress: true, prefixList: gateway.Output("prefixListId").(string), protocol: "tcp", from: 443, to: 443},
		{group: clients.ID, egress: true, cidr: producerCIDR, protocol: "tcp", from: 5439, to: 5439},
	}, withoutURN(rulesOf(rules, clients.ID, true)), "out to the endpoints, S3 and Redshift only")
	assert.ElementsMatch(t, []sgRule{
		{group: jobs.ID, peerGroup: jobs.ID, protocol: "-1"},
	}, withoutURN(rulesOf(rules, jobs.ID, false)), "a job's instances admit each other, and nothing else")
	for _, name := range []string{"alice", "bob"} {
		own := one(t, result, securityGroupType, "consumer-studio-"+name).ID
		assert.ElementsMatch(t, []sgRule{
			{group: own, peerGroup: own, protocol: "tcp", from: 8192, to: 65535},
			{group: own, egress: true, peerGroup: own, protocol: "tcp", from: 8192, to: 65535},
		}, withoutURN(append(rulesOf(rules, own, false), rulesOf(rules, own, true)...)), "%s's group joins only %s's apps", name, name)
	}
	// The cluster admits its port from the consumer VPC only.
	assert.Equal(t, []sgRule{{group: "sg-0a1b2c3d4e5f60718", cidr: consumerCIDR, protocol: "tcp", from: 5439, to: 5439}},
		withoutURN(rulesOf(rules, "sg-0a1b2c3d4e5f60718", false)))

	assertIsolatedAndReachable(t, result, studioTopology{producerCIDR: producerCIDR, consumerCIDR: consumerCIDR, port: 5439, clusterGroup: "sg-0a1b2c3d4e5f60718"})
}

func TestRoutesBothWays(t *testing.T) {
	result := run(t, devConfig(t))
	request := one(t, result, peeringType, "peering-request")
	accepter := one(t, result, accepterType, "peering-accept")
	assert.Equal(t, request.ID, accepter.String("vpcPeeringConnectionId"))

	routes := map[string]string{} // route table → destination
	for _, route := range result.OfType(routeType) {
		assert.Equal(t, request.ID, route.String("vpcPeeringConnectionId"), route.URN)
		assert.Contains(t, route.Dependencies, accepter.URN, "%s waits for the acceptance, never pointing at a pending connection", route.URN)
		routes[route.String("routeTableId")] = route.String("destinationCidrBlock")
		wantProvider := map[string]string{producerCIDR: "consumer", consumerCIDR: "producer"}[route.String("destinationCidrBlock")]
		assert.Equal(t, wantProvider, route.Provider, route.URN)
	}
	assert.Equal(t, map[string]string{
		"rtb-0a1b2c3d4e5f60718": consumerCIDR,
		"rtb-0b2c3d4e5f6071829": consumerCIDR,
		"rtb-0c3d4e5f60718293a": producerCIDR,
	}, routes)
}

func TestPeering(t *testing.T) {
	result := run(t, devConfig(t))
	request := one(t, result, peeringType, "peering-request")
	assert.Equal(t, "consumer", request.Provider)
	assert.Equal(t, "vpc-0c3d4e5f60718293a", request.String("vpcId"))
	assert.Equal(t, "vpc-0a1b2c3d4e5f60718", request.String("peerVpcId"))
	assert.Equal(t, producerAccount, request.String("peerOwnerId"))
	assert.Nil(t, request.Input("requester"), "DNS options are never set inline")
	assert.Nil(t, request.Input("accepter"), "DNS options are never set inline")

	accepter := one(t, result, accepterType, "peering-accept")
	assert.Equal(t, "producer", accepter.Provider)
	assert.Equal(t, true, accepter.Input("autoAccept"))
	assert.Nil(t, accepter.Input("accepter"))

	options := result.OfType(optionsType)
	require.Len(t, options, 2)
	for _, o := range options {
		assert.Equal(t, request.ID, o.String("vpcPeeringConnectionId"))
		side := map[string]string{"consumer": "requester", "producer": "accepter"}[o.Provider]
		other := map[string]string{"requester": "accepter", "accepter": "requester"}[side]
		assert.Equal(t, map[string]any{"allowRemoteVpcDnsResolution": true}, o.Input(side), "%s sets its own side", o.Provider)
		assert.Nil(t, o.Input(other), "%s never sets the other side", o.Provider)
	}
}

func TestOutputs(t *testing.T) {
	t.Parallel()
	result := run(t, devConfig(t))
	domain := one(t, result, domainType, "consumer-domain")
	producerRoleArn := one(t, result, roleType, "producer-role").Output("arn")

	assert.Equal(t, "us-east-1", result.Outputs["region"])
	assert.Equal(t, producerAccount, result.Outputs["producerAccountId"])
	assert.Equal(t, consumerAccount, result.Outputs["consumerAccountId"])
	assert.Equal(t, one(t, result, roleType, "consumer-execution-role").Output("arn"), result.Outputs["executionRoleArn"])
	assert.Equal(t, producerRoleArn, result.Outputs["producerRoleArn"])
	assert.Equal(t, one(t, result, peeringType, "peering-request").ID, result.Outputs["peeringConnectionId"])
	assert.Equal(t, domain.ID, result.Outputs["studioDomainId"])
	assert.Equal(t, domain.Output("url"), result.Outputs["studioDomainUrl"])
	assert.Equal(t, []any{"alice", "bob"}, result.Outputs["userProfiles"])
	assert.Equal(t, "10.20.0.0/16", result.Outputs["producerVpcCidr"], "the configured producer.vpc.cidr")
	assert.Equal(t, map[string]any{"clusterIdentifier": "analytics", "database": "dev", "port": 5439.0, "dbGroups": []any{"analysts"}},
		result.Outputs["redshift"])

	names := make([]string, 0, len(result.Outputs))
	for name := range result.Outputs {
		names = append(names, name)
	}
	sort.Strings(names)
	assert.Equal(t, []string{
		"connection", "consumerAccountId", "consumerVpcCidr", "consumerVpcId", "executionRoleArn", "guardrailPolicyArn", "notebookSnippet", "peeringConnectionId", "producerAccountId",
		"producerRoleArn", "producerVpcCidr", "redshift", "region", "signInPolicyArn", "studioDomainId", "studioDomainUrl", "studioSecurityGroupIds", "studioSubnetIds", "userDataBucket", "userProfiles",
	}, names, "the stack outputs data teams depend on")
	assert.Equal(t, []any{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"}, result.Outputs["studioSubnetIds"])
	assert.Equal(t, []any{one(t, result, securityGroupType, "consumer-studio").ID, one(t, result, securityGroupType, "consumer-jobs").ID},
		result.Outputs["studioSecurityGroupIds"], "the groups a job may use: the clients group and the jobs group, never a user's own")

	snippet := result.Outputs["notebookSnippet"].(string)
	for _, want := range []string{
		`PRODUCER_ROLE_ARN = "` + producerRoleArn.(string) + `"`,
		`REGION = "us-east-1"`,
		`CLUSTER_IDENTIFIER = "analytics"`,
		`DATABASE = "dev"`,
		"DbName=DATABASE,",
		`DbGroups=["analysts"],`,
		`/opt/ml/metadata/resource-metadata.json`,
	} {
		assert.Contains(t, snippet, want)
	}
	assertPython(t, snippet)
}

// assertPython checks that the snippet is valid Python, where python3 exists.
func assertPython(t *testing.T, source string) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found: snippet syntax not checked")
		return
	}
	file := filepath.Join(t.TempDir(), "snippet.py")
	require.NoError(t, os.WriteFile(file, []byte(source), 0o600))
	out, err := exec.Command(python, "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", file).CombinedOutput()
	assert.NoError(t, err, "snippet is not valid Python: %s", out)
}

func TestSameAccount(t *testing.T) {
	values := withConsumer(t, devConfig(t), func(c map[string]any) { c["accountId"] = producerAccount })
	result := run(t, values)

	for _, r := range result.Resources() {
		if r.InAWS() {
			assert.Equal(t, producerAccount, r.Account, r.URN)
		}
	}
	request := one(t, result, peeringType, "peering-request")
	assert.Equal(t, producerAccount, request.String("peerOwnerId"))
	assert.Len(t, result.OfType(accepterType), 1, "the accepter accepts a same-account request too")
	assert.Len(t, result.OfType(optionsType), 2)

	trust := parsePolicy(t, one(t, result, roleType, "producer-role"), "assumeRolePolicy")
	assert.Equal(t, []string{one(t, result, roleType, "consumer-execution-role").Output("arn").(string)}, trust.Statement[0].Principal.AWS,
		"even in one account the trust names the execution role, not the account")
	assert.Equal(t, producerAccount, result.Outputs["consumerAccountId"])
}

func TestInvalidConfigRegistersNothing(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string]string)
		key    string
	}{
		{"malformed account ID", func(v map[string]string) {
			v["studio-redshift:consumer"] = strings.Replace(v["studio-redshift:consumer"], `"222222222222"`, `"2222"`, 1)
		}, "consumer.accountId"},
		{"overlapping CIDRs", func(v map[string]string) {
			v["studio-redshift:consumer"] = strings.Replace(v["studio-redshift:consumer"], consumerCIDR, "10.20.0.0/24", 1)
		}, "consumer.vpc.cidr"},
		{"missing region", func(v map[string]string) { delete(v, "studio-redshift:region") }, "region"},
		{"unknown key", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], `"accountId"`, `"accountID"`, 1)
		}, "producer.accountID"},
		{"invalid user profile", func(v map[string]string) {
			v["studio-redshift:consumer"] = strings.Replace(v["studio-redshift:consumer"], `"alice"`, `"Alice"`, 1)
		}, "consumer.studio.userProfiles[0]"},
		{"duplicate user profile", func(v map[string]string) {
			v["studio-redshift:consumer"] = strings.Replace(v["studio-redshift:consumer"], `"bob"`, `"alice"`, 1)
		}, "consumer.studio.userProfiles[1]"},
		{"missing producer", func(v map[string]string) { delete(v, "studio-redshift:producer") }, "producer"},
		{"malformed role ARN", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], `"accountId"`, `"roleArn":"deployer","accountId"`, 1)
		}, "producer.roleArn"},
		{"malformed security group ID", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], "sg-0a1b2c3d4e5f60718", "sg-123", 1)
		}, "producer.redshift.securityGroupId"},
		{"invalid CIDR", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], producerCIDR, "10.20.0.0/33", 1)
		}, "producer.vpc.cidr"},
		{"one subnet", func(v map[string]string) {
			v["studio-redshift:consumer"] = strings.Replace(v["studio-redshift:consumer"], `,"subnet-0b2c3d4e5f6071829"`, "", 1)
		}, "consumer.vpc.subnetIds"},
		{"invalid port", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], `"port":5439`, `"port":80`, 1)
		}, "producer.redshift.port"},
		{"invalid Athena config", func(v map[string]string) {
			v["studio-redshift:athena"] = `{"bucket":{"name":"Bad_Bucket"},"workgroup":"analytics","database":"sales","tables":[]}`
		}, "athena.bucket.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := devConfig(t)
			tt.change(values)
			result, err := offline.Run(Run, config.Project, "dev", values)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.key+":")
			assert.Empty(t, result.Resources(), "nothing is registered before the configuration is valid")
		})
	}
}

// TestEveryKeyTheEngineHands runs the program with keys it does not read, as
// the CLI hands them over in PULUMI_CONFIG: a typo in a key or a namespace
// stops it before anything is registered, and aws: keys, which do nothing
// next to the explicit providers, are warned about.
func TestEveryKeyTheEngineHands(t *testing.T) {
	for key, want := range map[string]string{
		"studio-redshift:regoin":       `regoin: unknown key; did you mean "region"?`,
		"studio-redshift:featurestore": `featurestore: unknown key; did you mean "featureStore"?`,
		"studio-redshft:athena":        `unknown namespace "studio-redshft"`,
	} {
		values := devConfig(t)
		values[key] = "{}"
		result, err := offline.Run(Run, config.Project, "dev", values)
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), want)
		assert.Empty(t, result.Resources(), key)
	}

	values := devConfig(t)
	values["aws:region"] = "eu-west-1"
	result := run(t, values)
	require.Len(t, result.Warnings, 1)
	assert.Contains(t, result.Warnings[0], "aws:region does nothing in this program")
	for _, r := range result.OfType(offline.ProviderType) {
		assert.Equal(t, "us-east-1", r.Region, "aws:region reaches no provider")
	}
}
