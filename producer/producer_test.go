package producer

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/network"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// The accounts of every test here: the data account holds what this package
// makes; the ML account's execution role is the principal it trusts.
const (
	producerAccount  = "111111111111"
	consumerAccount  = "222222222222"
	testRegion       = "us-east-1"
	executionRoleArn = "arn:aws:iam::222222222222:role/consumer-execution-role-675e1f5"
)

// Type tokens of the resources the components register.
const (
	roleType          = "aws:iam/role:Role"
	rolePolicyType    = "aws:iam/rolePolicy:RolePolicy"
	routeType         = "aws:ec2/route:Route"
	ingressRuleType   = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	egressRuleType    = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	keyType           = "aws:kms/key:Key"
	grantType         = "aws:kms/grant:Grant"
	bucketType        = "aws:s3/bucketV2:BucketV2"
	bucketPolicyType  = "aws:s3/bucketPolicy:BucketPolicy"
	publicAccessType  = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	ownershipType     = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	versioningType    = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	encryptionType    = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	bucketLoggingType = "aws:s3/bucketLoggingV2:BucketLoggingV2"
)

// analytics is the cluster of the example stacks, with an admin user and
// Redshift's own users denied, as config's AdminUserNames lists them.
func analytics() Cluster {
	return Cluster{
		Partition: "aws", Region: testRegion, Account: producerAccount,
		Identifier: "analytics", Database: "dev",
		DBGroups:   []string{"analysts"},
		AdminUsers: []string{"admin", "rdsdb", "public"},
	}
}

// one returns the one resource of that type and logical name.
func one(t *testing.T, result *offline.Result, typ, name string) offline.Resource {
	t.Helper()
	r, ok := result.Named(typ, name)
	require.True(t, ok, "%s %s is registered", typ, name)
	return r
}

// childOf asserts that r was registered in account, as a child of the
// component of that type.
func childOf(t *testing.T, result *offline.Result, r offline.Resource, componentType, account string) {
	t.Helper()
	parent, ok := result.ByURN(r.Parent)
	require.True(t, ok, "%s has a parent", r.URN)
	assert.Equal(t, componentType, parent.Type, "%s is a child of the component", r.Name)
	assert.Equal(t, account, r.Account, "%s lands in the account of the provider it was given", r.Name)
}

// parse reads a JSON policy input back into its structure.
func parse(t *testing.T, text string) policy.Document {
	t.Helper()
	document, err := policy.Parse(text)
	require.NoError(t, err)
	assert.Equal(t, policy.Version, document.Version)
	return document
}

// bySid indexes a document's statements by Sid, each Sid once.
func bySid(t *testing.T, document policy.Document) map[string]policy.Statement {
	t.Helper()
	statements := map[string]policy.Statement{}
	for _, statement := range document.Statement {
		_, seen := statements[statement.Sid]
		require.False(t, seen, "Sid %q is unique", statement.Sid)
		statements[statement.Sid] = statement
	}
	return statements
}

func sids(document policy.Document) []string {
	var out []string
	for _, statement := range document.Statement {
		out = append(out, statement.Sid)
	}
	return out
}

// TestProducerRoles: each consumer with an execution role gets one role in
// the data account, trusting that execution role only, with the Redshift
// permissions of its namespace of database users; a consumer without one
// gets no role, only its ARN to be.
func TestProducerRoles(t *testing.T) {
	const roleA = "analytics-us-east-1-ml-team-a-studio-users"
	const roleB = "analytics-us-east-1-ml-team-b-studio-users"
	const executionRoleB = "arn:aws:iam::333333333333:role/consumer-execution-role-9c0d1e2"
	type made struct {
		role, rolePolicy, physicalName string
		trusted                        string
		users                          DBUsers
	}
	cases := []struct {
		name  string
		roles []ConsumerRole
		// made are the roles registered, by RoleArns key.
		made map[string]made
		// toBe are the ARNs of the roles not made yet, by RoleArns key.
		toBe map[string]string
	}{
		{
			name:  "the one consumer of a stack of both sides keeps the bare names",
			roles: []ConsumerRole{{ExecutionRoleArn: pulumi.String(executionRoleArn)}},
			made: map[string]made{"": {
				role: "producer-role", rolePolicy: "producer-redshift-access",
				trusted: executionRoleArn,
			}},
		},
		{
			name: "a split stack's consumers: one trusted, one not yet",
			roles: []ConsumerRole{
				{
					Key: "ml-team-a", Name: roleA, ExecutionRoleArn: pulumi.String(executionRoleArn),
					DBUsers: DBUsers{Prefix: "ml-team-a_", Separator: "_"},
				},
				{Key: "ml-team-b", Name: roleB, DBUsers: DBUsers{Prefix: "ml-team-b_", Separator: "_"}},
			},
			made: map[string]made{"ml-team-a": {
				role: "producer-ml-team-a-role", rolePolicy: "producer-ml-team-a-redshift-access",
				physicalName: roleA, trusted: executionRoleArn,
				users: DBUsers{Prefix: "ml-team-a_", Separator: "_"},
			}},
			toBe: map[string]string{"ml-team-b": "arn:aws:iam::111111111111:role/" + roleB},
		},
		{
			name: "two trusted consumers, each its own role and namespace",
			roles: []ConsumerRole{
				{Key: "ml-team-a", Name: roleA, ExecutionRoleArn: pulumi.String(executionRoleArn), DBUsers: DBUsers{Prefix: "ml-team-a_", Separator: "_"}},
				{Key: "ml-team-b", Name: roleB, ExecutionRoleArn: pulumi.String(executionRoleB), DBUsers: DBUsers{Prefix: "ml-team-b_", Separator: "_"}},
			},
			made: map[string]made{
				"ml-team-a": {
					role: "producer-ml-team-a-role", rolePolicy: "producer-ml-team-a-redshift-access",
					physicalName: roleA, trusted: executionRoleArn, users: DBUsers{Prefix: "ml-team-a_", Separator: "_"},
				},
				"ml-team-b": {
					role: "producer-ml-team-b-role", rolePolicy: "producer-ml-team-b-redshift-access",
					physicalName: roleB, trusted: executionRoleB, users: DBUsers{Prefix: "ml-team-b_", Separator: "_"},
				},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
				data, err := NewProducer(ctx, "producer", &ProducerArgs{Cluster: analytics(), Roles: tc.roles}, pulumi.Provider(providers[0]))
				if err != nil {
					return err
				}
				ctx.Export("roleArns", data.RoleArns)
				return nil
			}, testRegion, producerAccount)
			require.NoError(t, err)

			assert.Len(t, result.OfType(roleType), len(tc.made), "a role for each trusted consumer, none for the others")
			assert.Len(t, result.OfType(rolePolicyType), len(tc.made))
			assert.Empty(t, result.OfType(routeType), "no peering, no routes")
			assert.Empty(t, result.OfType(ingressRuleType), "no peering, no ingress")
			roleArns, ok := result.Outputs["roleArns"].(map[string]any)
			require.True(t, ok, "roleArns is a map")
			assert.Len(t, roleArns, len(tc.made)+len(tc.toBe), "every consumer has its entry")

			for key, want := range tc.made {
				role := one(t, result, roleType, want.role)
				childOf(t, result, role, "studioredshift:index:Producer", producerAccount)
				if want.physicalName != "" {
					assert.Equal(t, want.physicalName, role.String("name"), "the name other stacks know before it exists")
				} else {
					assert.Empty(t, role.String("name"), "Pulumi names it")
				}
				assert.Equal(t, role.Output("arn"), roleArns[key], "RoleArns[%q] is the role made", key)
				assert.Contains(t, role.String("description"), "Redshift cluster analytics")

				trust := parse(t, role.String("assumeRolePolicy"))
				require.Len(t, trust.Statement, 1)
				require.NotNil(t, trust.Statement[0].Principal)
				assert.Equal(t, []string{want.trusted}, trust.Statement[0].Principal.AWS, "that consumer's execution role only")
				assert.Empty(t, trust.Statement[0].Principal.Service)
				assert.Equal(t, TrustPolicy(want.trusted), trust, "with the SourceIdentity conditions")

				access := one(t, result, rolePolicyType, want.rolePolicy)
				childOf(t, result, access, "studioredshift:index:Producer", producerAccount)
				assert.Equal(t, role.Output("name"), access.String("role"), "the policy is the role's")
				assert.Contains(t, access.Dependencies, role.URN, "the policy waits for its role")
				permissions := parse(t, access.String("policy"))
				assert.Equal(t, PermissionPolicy(analytics(), want.users), permissions, "the namespace of that consumer")
			}
			for key, arn := range tc.toBe {
				assert.Equal(t, arn, roleArns[key], "the ARN the role will have, for %s", key)
			}
		})
	}
}

// TestProducerPeerings: each peering gets routes back to its consumer's CIDR
// in every route table, and one ingress rule on the cluster's group, on the
// cluster port, from that CIDR only.
func TestProducerPeerings(t *testing.T) {
	const clusterGroup = "sg-0a1b2c3d4e5f60718"
	tables := network.Existing([]string{"rtb-0a1b2c3d4e5f60718", "rtb-0b2c3d4e5f6071829"})
	cases := []struct {
		name     string
		peerings []PeeringSide
		// prefixes are the logical name prefixes of each peering's resources.
		prefixes []string
	}{
		{name: "no peering (Data API, managed endpoint)"},
		{
			name:     "the one consumer of a stack of both sides",
			peerings: []PeeringSide{{RouteTables: tables, ConsumerCIDR: "10.10.0.0/16", ConnectionID: pulumi.String("pcx-0a1b2c3d4e5f60718")}},
			prefixes: []string{"producer"},
		},
		{
			name: "two consumers of a split stack",
			peerings: []PeeringSide{
				{Key: "ml-team-a", RouteTables: tables, ConsumerCIDR: "10.10.0.0/16", ConnectionID: pulumi.String("pcx-0a1b2c3d4e5f60718")},
				{Key: "ml-team-b", RouteTables: tables, ConsumerCIDR: "10.30.0.0/16", ConnectionID: pulumi.String("pcx-0b2c3d4e5f6071829")},
			},
			prefixes: []string{"producer-ml-team-a", "producer-ml-team-b"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
				_, err := NewProducer(ctx, "producer", &ProducerArgs{
					Cluster:                analytics(),
					Roles:                  []ConsumerRole{{ExecutionRoleArn: pulumi.String(executionRoleArn)}},
					ClusterSecurityGroupID: pulumi.String(clusterGroup),
					Port:                   5439,
					Peerings:               tc.peerings,
				}, pulumi.Provider(providers[0]))
				return err
			}, testRegion, producerAccount)
			require.NoError(t, err)

			assert.Len(t, result.OfType(routeType), len(tc.peerings)*len(tables))
			assert.Len(t, result.OfType(ingressRuleType), len(tc.peerings))
			for i, peering := range tc.peerings {
				prefix := tc.prefixes[i]
				for _, table := range tables {
					route := one(t, result, routeType, prefix+"-route-"+table.Key)
					childOf(t, result, route, "studioredshift:index:Producer", producerAccount)
					assert.Equal(t, table.Key, route.String("routeTableId"))
					assert.Equal(t, peering.ConsumerCIDR, route.String("destinationCidrBlock"), "back to that consumer's VPC")
					assert.Equal(t, []string{"pcx-0a1b2c3d4e5f60718", "pcx-0b2c3d4e5f6071829"}[i], route.String("vpcPeeringConnectionId"))
				}
				ingress := one(t, result, ingressRuleType, prefix+"-cluster-ingress")
				childOf(t, result, ingress, "studioredshift:index:Producer", producerAccount)
				assert.Equal(t, clusterGroup, ingress.String("securityGroupId"))
				assert.Equal(t, "tcp", ingress.String("ipProtocol"))
				assert.Equal(t, 5439.0, ingress.Input("fromPort"), "the cluster port only")
				assert.Equal(t, 5439.0, ingress.Input("toPort"))
				assert.Equal(t, peering.ConsumerCIDR, ingress.String("cidrIpv4"), "that consumer's VPC, never 0.0.0.0/0")
			}
		})
	}
}

// TestTrustPolicy: the named execution roles may assume the role and carry
// its SourceIdentity, only with a SourceIdentity and a session named after it.
func TestTrustPolicy(t *testing.T) {
	const other = "arn:aws:iam::333333333333:role/consumer-execution-role-9c0d1e2"
	document := parse(t, mustJSON(t, TrustPolicy(executionRoleArn, other)))
	require.Len(t, document.Statement, 1)
	statement := document.Statement[0]
	assert.Equal(t, policy.Allow, statement.Effect)
	require.NotNil(t, statement.Principal)
	assert.Equal(t, []string{executionRoleArn, other}, statement.Principal.AWS, "exactly the execution roles")
	assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:SetSourceIdentity"}, statement.Action)
	assert.Empty(t, statement.Resource, "a trust policy names no resource")
	assert.Equal(t, policy.Condition{
		"Null":         {"aws:SourceIdentity": {"false"}},
		"StringEquals": {"sts:RoleSessionName": {"${aws:SourceIdentity}"}},
	}, statement.Condition, "a SourceIdentity, and the session named after it, the variable literal")
}

// TestPermissionPolicy: one row per shape of the namespace and the cluster's
// options, asserting the statements each adds and the DbUser binding.
func TestPermissionPolicy(t *testing.T) {
	const (
		cluster = "arn:aws:redshift:us-east-1:111111111111:cluster:analytics"
		dbName  = "arn:aws:redshift:us-east-1:111111111111:dbname:analytics/dev"
		bare    = "arn:aws:redshift:us-east-1:111111111111:dbuser:analytics/${redshift:DbUser}"
	)
	cases := []struct {
		name    string
		cluster Cluster
		users   DBUsers
		// dbUser is the resource of the user the caller may become;
		// dbUserCondition the condition that binds it to the caller.
		dbUser          string
		dbUserCondition policy.Condition
		sids            []string
	}{
		{
			name: "bare names, no other namespace, no admins, no groups",
			cluster: Cluster{
				Partition: "aws", Region: testRegion, Account: producerAccount, Identifier: "analytics", Database: "dev",
			},
			dbUser:          bare,
			dbUserCondition: policy.Condition{"StringEquals": {"redshift:DbUser": {"${aws:SourceIdentity}"}}},
			sids: []string{"GetRedshiftCredentials", "DynamicUserCreation", "DataAPIOnCluster",
				"DenyOtherUsersDataAPISessions", "DataAPIOwnStatements", "DescribeTheCluster"},
		},
		{
			name:    "bare names beside prefixed namespaces keep out of them",
			cluster: analytics(),
			users:   DBUsers{Separator: "_"},
			dbUser:  bare,
			dbUserCondition: policy.Condition{
				"StringEquals":  {"redshift:DbUser": {"${aws:SourceIdentity}"}},
				"StringNotLike": {"redshift:DbUser": {"*_*"}},
			},
			sids: []string{"GetRedshiftCredentials", "DynamicUserCreation", "DenyAdminUsers", "DenyAdminUsersInAnyCase",
				"JoinConfiguredGroups", "DataAPIOnCluster", "DenyOtherUsersDataAPISessions", "DataAPIOwnStatements", "DescribeTheCluster"},
		},
		{
			name:            "a prefixed namespace",
			cluster:         analytics(),
			users:           DBUsers{Prefix: "ml-team-a_", Separator: "_"},
			dbUser:          "arn:aws:redshift:us-east-1:111111111111:dbuser:analytics/ml-team-a_*",
			dbUserCondition: policy.Condition{"StringEquals": {"redshift:DbUser": {"ml-team-a_${aws:SourceIdentity}"}}},
			sids: []string{"GetRedshiftCredentials", "DynamicUserCreation", "DenyAdminUsers", "DenyAdminUsersInAnyCase",
				"JoinConfiguredGroups", "DataAPIOnCluster", "DenyOtherUsersDataAPISessions", "DataAPIOwnStatements", "DescribeTheCluster"},
		},
		{
			name: "the GovCloud partition",
			cluster: Cluster{
				Partition: "aws-us-gov", Region: "us-gov-west-1", Account: producerAccount, Identifier: "analytics", Database: "dev",
				AdminUsers: []string{"rdsdb"},
			},
			dbUser:          "arn:aws-us-gov:redshift:us-gov-west-1:111111111111:dbuser:analytics/${redshift:DbUser}",
			dbUserCondition: policy.Condition{"StringEquals": {"redshift:DbUser": {"${aws:SourceIdentity}"}}},
			sids: []string{"GetRedshiftCredentials", "DynamicUserCreation", "DenyAdminUsers", "DenyAdminUsersInAnyCase",
				"DataAPIOnCluster", "DenyOtherUsersDataAPISessions", "DataAPIOwnStatements", "DescribeTheCluster"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			document := parse(t, mustJSON(t, PermissionPolicy(tc.cluster, tc.users)))
			assert.Equal(t, tc.sids, sids(document))
			statements := bySid(t, document)
			c := tc.cluster

			credentials := statements["GetRedshiftCredentials"]
			assert.Equal(t, policy.Allow, credentials.Effect)
			assert.Equal(t, []string{"redshift:GetClusterCredentials"}, credentials.Action)
			assert.Equal(t, []string{c.DBNameArn(), tc.dbUser, c.ClusterArn()}, credentials.Resource)
			want := policy.Condition{}
			for operator, keys := range tc.dbUserCondition {
				want[operator] = map[string][]string{}
				for key, values := range keys {
					want[operator][key] = values
				}
			}
			want["StringEquals"]["redshift:DbName"] = []string{"dev"}
			assert.Equal(t, want, credentials.Condition, "the caller's own user, in the configured database")

			creation := statements["DynamicUserCreation"]
			assert.Equal(t, []string{"redshift:CreateClusterUser"}, creation.Action)
			assert.Equal(t, []string{tc.dbUser}, creation.Resource)
			assert.Equal(t, tc.dbUserCondition, creation.Condition, "the same binding, without the database, which CreateClusterUser has not")

			if len(c.AdminUsers) > 0 {
				admins := statements["DenyAdminUsers"]
				assert.Equal(t, policy.Deny, admins.Effect)
				assert.Equal(t, []string{"redshift:GetClusterCredentials", "redshift:CreateClusterUser"}, admins.Action)
				var arns []string
				for _, user := range c.AdminUsers {
					arns = append(arns, c.DBUserNamedArn(user))
				}
				assert.Equal(t, arns, admins.Resource)
				anyCase := statements["DenyAdminUsersInAnyCase"]
				assert.Equal(t, policy.Deny, anyCase.Effect)
				assert.Equal(t, admins.Action, anyCase.Action)
				assert.Equal(t, []string{c.DBUserNamedArn("*")}, anyCase.Resource, "every user of the cluster, no variable to leave unresolved")
				assert.Equal(t, policy.Condition{"StringEqualsIgnoreCase": {"redshift:DbUser": c.AdminUsers}}, anyCase.Condition)
			}
			if len(c.DBGroups) > 0 {
				groups := statements["JoinConfiguredGroups"]
				assert.Equal(t, []string{"redshift:JoinGroup"}, groups.Action)
				assert.Equal(t, []string{"arn:aws:redshift:us-east-1:111111111111:dbgroup:analytics/analysts"}, groups.Resource)
			}

			dataAPI := statements["DataAPIOnCluster"]
			assert.Equal(t, []string{c.ClusterArn()}, dataAPI.Resource, "this cluster only")
			assert.NotContains(t, dataAPI.Action, "redshift-data:ListStatements", "it lists every user's SQL")
			sessions := statements["DenyOtherUsersDataAPISessions"]
			assert.Equal(t, policy.Deny, sessions.Effect)
			assert.Equal(t, []string{"*"}, sessions.Resource, "a reused session names no cluster")
			assert.Equal(t, policy.Condition{
				"Null":            {"redshift-data:session-owner-iam-userid": {"false"}},
				"StringNotEquals": {"redshift-data:session-owner-iam-userid": {"${aws:userid}"}},
			}, sessions.Condition)
			own := statements["DataAPIOwnStatements"]
			assert.ElementsMatch(t, []string{"redshift-data:CancelStatement", "redshift-data:DescribeStatement", "redshift-data:GetStatementResult"}, own.Action)
			assert.Equal(t, policy.Condition{"StringEquals": {"redshift-data:statement-owner-iam-userid": {"${aws:userid}"}}}, own.Condition)
			describe := statements["DescribeTheCluster"]
			assert.Equal(t, []string{"redshift:DescribeClusters"}, describe.Action)
			assert.Equal(t, []string{c.ClusterArn()}, describe.Resource)

			// No allow other than the caller's own statements takes every
			// resource: each names this cluster or its users.
			for _, statement := range document.Statement {
				if statement.Effect == policy.Allow && statement.Sid != "DataAPIOwnStatements" {
					assert.NotContains(t, statement.Resource, "*", statement.Sid)
				}
			}
		})
	}
	// The two fixed ARNs above are those the helpers make.
	assert.Equal(t, cluster, analytics().ClusterArn())
	assert.Equal(t, dbName, analytics().DBNameArn())
	assert.Equal(t, bare, analytics().DBUserArn(DBUsers{}))
}

// TestPermissionPolicySize: the document does not grow with the number of
// users: nothing in it names one.
func TestPermissionPolicySize(t *testing.T) {
	users := DBUsers{Prefix: "ml-team-a_", Separator: "_"}
	first := mustJSON(t, PermissionPolicy(analytics(), users))
	again := mustJSON(t, PermissionPolicy(analytics(), users))
	assert.Equal(t, first, again, "the same document, whoever uses it")
	assert.Less(t, len(first), 10240, "within IAM's 10,240 characters of a role's inline policies")
}

// TestRoleArn: the ARN of a named role, and none without a name.
func TestRoleArn(t *testing.T) {
	assert.Equal(t, "arn:aws:iam::111111111111:role/analytics-us-east-1-ml-team-a-studio-users",
		RoleArn("aws", producerAccount, "analytics-us-east-1-ml-team-a-studio-users"))
	assert.Equal(t, "arn:aws-cn:iam::111111111111:role/r", RoleArn("aws-cn", producerAccount, "r"))
	assert.Empty(t, RoleArn("aws", producerAccount, ""))
}

func mustJSON(t *testing.T, document policy.Document) string {
	t.Helper()
	text, err := document.JSON()
	require.NoError(t, err)
	return text
}
