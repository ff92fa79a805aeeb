package producer

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

const workgroupArn = "arn:aws:redshift-serverless:" + testRegion + ":" + producerAccount + ":workgroup/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

// TestServerlessUsers: one role per profile on the stack's path, named after
// it and tagged for the execution role's statement and the database roles,
// and one shared policy, whatever the number of users.
func TestServerlessUsers(t *testing.T) {
	executionRoleArn := "arn:aws:iam::" + consumerAccount + ":role/consumer-execution-role-1a2b3c4"
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		_, err := NewServerlessUsers(ctx, "serverless-users", &ServerlessUsersArgs{
			ExecutionRoleArn: pulumi.String(executionRoleArn),
			WorkgroupArn:     pulumi.String(workgroupArn),
			WorkgroupName:    "analytics",
			Path:             UserRolePath("studio-redshift", "prod"),
			UserProfiles:     []string{"alice", "bob"},
			DBRoles:          []string{"analysts", "readers"},
		}, pulumi.Provider(providers[0]))
		return err
	}, testRegion, producerAccount)
	require.NoError(t, err)

	roles := result.OfType("aws:iam/role:Role")
	require.Len(t, roles, 2)
	shared := one(t, result, "aws:iam/policy:Policy", "serverless-users-workgroup-access")
	childOf(t, result, shared, "studioredshift:index:ServerlessUsers", producerAccount)
	for _, role := range roles {
		childOf(t, result, role, "studioredshift:index:ServerlessUsers", producerAccount)
		profile := role.String("name")
		assert.Equal(t, "serverless-users-"+profile, role.Name)
		assert.Equal(t, "/studio-redshift/prod/", role.String("path"))
		assert.Equal(t, map[string]any{UserTag: profile, DBRolesTag: "analysts:readers"}, role.Input("tags"))

		trust, err := policy.Parse(role.String("assumeRolePolicy"))
		require.NoError(t, err)
		require.Len(t, trust.Statement, 1)
		assert.Equal(t, []string{executionRoleArn}, trust.Statement[0].Principal.AWS, "the execution role only")
		assert.Equal(t, []string{"sts:AssumeRole", "sts:SetSourceIdentity"}, trust.Statement[0].Action)
		assert.Equal(t, map[string][]string{"aws:SourceIdentity": {profile}, "sts:RoleSessionName": {profile}},
			trust.Statement[0].Condition["StringEquals"], "the user's own session only")

		attachment := one(t, result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "serverless-users-"+profile+"-workgroup-access")
		assert.Equal(t, profile, attachment.Input("role"))
		assert.Equal(t, shared.Output("arn"), attachment.Input("policyArn"))
	}

	permissions, err := policy.Parse(shared.String("policy"))
	require.NoError(t, err)
	for _, statement := range permissions.Statement {
		if statement.Effect == policy.Allow && statement.Condition == nil {
			assert.Equal(t, []string{workgroupArn}, statement.Resource, "%s names the workgroup only", statement.Sid)
		}
	}
	assert.Equal(t, "arn:aws:iam::"+producerAccount+":role/studio-redshift/prod/*", UserRolesArn("aws", producerAccount, UserRolePath("studio-redshift", "prod")))
}

// TestServerlessUsersWithoutDatabaseRoles: no RedshiftDbRoles tag at all
// when no roles are configured (an empty tag would be a role named "").
func TestServerlessUsersWithoutDatabaseRoles(t *testing.T) {
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		_, err := NewServerlessUsers(ctx, "serverless-users", &ServerlessUsersArgs{
			ExecutionRoleArn: pulumi.String("arn:aws:iam::" + consumerAccount + ":role/execution"),
			WorkgroupArn:     pulumi.String(workgroupArn),
			WorkgroupName:    "analytics",
			Path:             UserRolePath("studio-redshift", "dev"),
			UserProfiles:     []string{"alice"},
		}, pulumi.Provider(providers[0]))
		return err
	}, testRegion, producerAccount)
	require.NoError(t, err)
	role := one(t, result, "aws:iam/role:Role", "serverless-users-alice")
	assert.Equal(t, map[string]any{UserTag: "alice"}, role.Input("tags"))
}

// TestServerlessUsersOfConsumers: a producer side's components, one per
// consumer, each with its namespace and path, whose children's names stay
// apart though both consumers have an alice.
func TestServerlessUsersOfConsumers(t *testing.T) {
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		for _, team := range []string{"ml-team-a", "ml-team-b"} {
			if _, err := NewServerlessUsers(ctx, "serverless-users-"+team, &ServerlessUsersArgs{
				ExecutionRoleArn: pulumi.String("arn:aws:iam::" + consumerAccount + ":role/" + team + "-execution"),
				WorkgroupArn:     pulumi.String(workgroupArn),
				WorkgroupName:    "analytics",
				Path:             ConsumerUserRolePath("studio-redshift", "data-platform", team),
				UserProfiles:     []string{"alice"},
				RoleNamePrefix:   team + "_",
				ChildName:        "serverless-users",
			}, pulumi.Provider(providers[0])); err != nil {
				return err
			}
		}
		return nil
	}, testRegion, producerAccount)
	require.NoError(t, err)
	for _, team := range []string{"ml-team-a", "ml-team-b"} {
		role := one(t, result, "aws:iam/role:Role", "serverless-users-"+team+"_alice")
		assert.Equal(t, team+"_alice", role.String("name"), "the database user IAMR:%s_alice", team)
		assert.Equal(t, "/studio-redshift/data-platform/"+team+"/", role.String("path"))
		assert.Equal(t, map[string]any{UserTag: "alice"}, role.Input("tags"), "the tag is the profile, which the session's SourceIdentity is")
		trust, err := policy.Parse(role.String("assumeRolePolicy"))
		require.NoError(t, err)
		assert.Equal(t, []string{"arn:aws:iam::" + consumerAccount + ":role/" + team + "-execution"}, trust.Statement[0].Principal.AWS, "its consumer's execution role only")
		shared := one(t, result, "aws:iam/policy:Policy", "serverless-users-"+team+"_workgroup-access")
		attachment := one(t, result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "serverless-users-"+team+"_alice-workgroup-access")
		assert.Equal(t, shared.Output("arn"), attachment.Input("policyArn"))
	}
}

// TestWorkgroup: a created namespace and workgroup, private, encrypted with
// a key of their own, audit logs exported, the namespace protected.
func TestWorkgroup(t *testing.T) {
	for _, tt := range []struct {
		name      string
		kmsKeyArn string
	}{
		{"key of its own", ""},
		{"configured key", "arn:aws:kms:" + testRegion + ":" + producerAccount + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
				_, err := NewWorkgroup(ctx, "workgroup", &WorkgroupArgs{
					NamespaceName: "analytics", WorkgroupName: "analytics", Database: "dev", Port: 5439,
					KmsKeyArn: tt.kmsKeyArn, LogExports: []string{"userlog", "connectionlog"},
					EnhancedVpcRouting: true, BaseCapacity: 8,
					VpcID:     pulumi.String("vpc-0a1b2c3d4e5f60718"),
					SubnetIDs: pulumi.ToStringArray([]string{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829", "subnet-0c3d4e5f60718293a"}),
					Region:    testRegion, RouteTableIDs: pulumi.ToStringArray([]string{"rtb-0a1b2c3d4e5f60718"}),
					Protect: true,
				}, pulumi.Provider(providers[0]))
				return err
			}, testRegion, producerAccount)
			require.NoError(t, err)

			namespace := one(t, result, "aws:redshiftserverless/namespace:Namespace", "workgroup-namespace")
			childOf(t, result, namespace, "studioredshift:index:Workgroup", producerAccount)
			assert.True(t, namespace.Protect, "the namespace holds the data")
			assert.Equal(t, true, namespace.Input("manageAdminPassword"), "Secrets Manager keeps the admin password")
			assert.Equal(t, []any{"userlog", "connectionlog"}, namespace.Input("logExports"))
			keys := result.OfType("aws:kms/key:Key")
			if tt.kmsKeyArn == "" {
				require.Len(t, keys, 1)
				assert.Equal(t, keys[0].Output("arn"), namespace.Input("kmsKeyId"))
				assert.True(t, keys[0].Protect)
			} else {
				assert.Empty(t, keys)
				assert.Equal(t, tt.kmsKeyArn, namespace.Input("kmsKeyId"))
			}

			workgroup := one(t, result, "aws:redshiftserverless/workgroup:Workgroup", "workgroup")
			assert.Equal(t, false, workgroup.Input("publiclyAccessible"))
			assert.Equal(t, true, workgroup.Input("enhancedVpcRouting"))
			assert.Len(t, workgroup.Input("subnetIds"), 3)
			group := one(t, result, "aws:ec2/securityGroup:SecurityGroup", "workgroup-security-group")
			assert.Equal(t, []any{group.ID}, workgroup.Input("securityGroupIds"))
			assert.Empty(t, result.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), "no ingress until a peering adds it")
			egress := one(t, result, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "workgroup-workgroup-s3-out")
			assert.Equal(t, 443.0, egress.Input("fromPort"), "HTTPS to S3 only")
			assert.Nil(t, workgroup.Input("configParameters"), "AWS's defaults, read back whole, or a diff at every preview")
		})
	}
}
