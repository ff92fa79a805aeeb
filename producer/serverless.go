// The Serverless components are the data account's side when the producer is
// a Redshift Serverless workgroup. GetCredentials takes no DbUser: Redshift
// Serverless makes each IAM identity the database user IAMR:<role name>, so
// SourceIdentity alone cannot name the user, and each Studio user gets a role
// of their own (management guide, "Defining database roles to grant to
// federated users in Amazon Redshift Serverless").

package producer

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshiftserverless"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/datakey"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// UserTag is the tag on each user's role that names its Studio user profile:
// the execution role may assume a role only where it equals the session's
// SourceIdentity.
const UserTag = "studio-user"

// DBRolesTag is the principal tag Redshift Serverless reads at sign-in: the
// database roles, colon-separated, the user gets (management guide,
// "Defining database roles to grant to federated users in Amazon Redshift
// Serverless").
const DBRolesTag = "RedshiftDbRoles"

// UserRolePath is the IAM path of one stack's user roles: the execution
// role's one statement names the path, and no other role of the account is
// on it.
func UserRolePath(project, stack string) string { return "/" + project + "/" + stack + "/" }

// ConsumerUserRolePath is the IAM path of one consumer's user roles in a
// producer-side stack: each consumer's execution role may assume roles on its
// own path only, so no team reaches another's users even where two teams
// have a profile of one name. A path takes up to 512 characters of ASCII
// from ! to ~ (CreateRole, Path): a stack name and a consumer name (at most
// 40 of [a-z0-9-]) stay well within it. A role's path is ForceNew (provider
// schema), and neither name changes for a consumer.
func ConsumerUserRolePath(project, stack, consumer string) string {
	return UserRolePath(project, stack) + consumer + "/"
}

// UserRolesArn is the pattern of every role on path in the account.
func UserRolesArn(partition, account, path string) string {
	return UserRoleArnPrefix(partition, account, path) + "*"
}

// UserRoleArnPrefix is the ARN of a user's role on path without its name,
// the profile's, which ends it.
func UserRoleArnPrefix(partition, account, path string) string {
	return policy.ARN(partition, "iam", "", account, "role"+path)
}

// DatabaseUser is the database user Redshift Serverless makes of a role.
func DatabaseUser(roleName string) string { return "IAMR:" + roleName }

// UserRoleTrustPolicy admits only the Studio execution role, and only from
// the session of one user: its SourceIdentity (stamped by SageMaker from the
// user profile, and unchangeable down the chain) and the session name the
// caller chooses must both be the profile's name. aws:SourceIdentity is the
// key AWS documents for the identity a chained session already carries (IAM
// User Guide, "AWS global condition context keys"); sts:RoleSessionName is
// the caller's parameter, and naming the session after the user keeps
// ${aws:userid} the user's ("IAM and AWS STS condition context keys").
func UserRoleTrustPolicy(executionRoleArn, profile string) policy.Document {
	return policy.New(policy.Statement{
		Sid:       "StudioUserSessionOnly",
		Effect:    policy.Allow,
		Principal: &policy.Principal{AWS: []string{executionRoleArn}},
		// AWS: chaining a session that carries a SourceIdentity needs
		// sts:SetSourceIdentity next to sts:AssumeRole in the trust policy.
		Action: []string{"sts:AssumeRole", "sts:SetSourceIdentity"},
		Condition: policy.Condition{
			"StringEquals": {
				"aws:SourceIdentity":  {profile},
				"sts:RoleSessionName": {profile},
			},
		},
	})
}

// ServerlessPermissionPolicy lets a user's role sign in to one workgroup and
// use the Data API on it. It is the same for every user (the role itself is
// the database user), so one managed policy serves them all and nothing grows
// with their number. GetCredentials takes the workgroup resource type and no
// database condition key (Service Authorization Reference, Amazon Redshift
// Serverless): which databases the user may open is the database's CONNECT
// grant, not IAM's (see docs/serverless.md).
func ServerlessPermissionPolicy(workgroupArn string) policy.Document {
	statements := []policy.Statement{
		{
			Sid:      "SignInToTheWorkgroup",
			Effect:   policy.Allow,
			Action:   []string{"redshift-serverless:GetCredentials"},
			Resource: []string{workgroupArn},
		},
		// The snippet reads the workgroup's endpoint (peering) with
		// GetWorkgroup, which takes the workgroup resource type.
		{
			Sid:      "DescribeTheWorkgroup",
			Effect:   policy.Allow,
			Action:   []string{"redshift-serverless:GetWorkgroup"},
			Resource: []string{workgroupArn},
		},
	}
	return policy.New(append(statements, dataAPIStatements("DataAPIOnWorkgroup", workgroupArn)...)...)
}

// ServerlessUsers are the users' roles in the data account.
type ServerlessUsers struct {
	pulumi.ResourceState

	// RoleArns are the users' roles, by user profile.
	RoleArns pulumi.StringMapOutput `pulumi:"roleArns"`
}

// ServerlessUsersArgs are the inputs of NewServerlessUsers. Create it with the
// producer account's provider (pulumi.Provider); every child inherits it.
type ServerlessUsersArgs struct {
	// ExecutionRoleArn is the Studio execution role, the only principal each
	// role trusts. Required.
	ExecutionRoleArn pulumi.StringInput
	// WorkgroupArn is the workgroup the roles sign in to. Required.
	WorkgroupArn pulumi.StringInput
	// WorkgroupName names it in descriptions. Required.
	WorkgroupName string
	// Path is the IAM path of the roles (UserRolePath). Required.
	Path string
	// UserProfiles are the Studio users; each names its role. Required.
	UserProfiles []string
	// DBRoles are the database roles each user gets at sign-in; none when empty.
	DBRoles []string
	// RoleNamePrefix starts each role's name, <prefix><profile>: a producer
	// side's consumer's namespace of database users (IAMR:<prefix><profile>);
	// empty in a stack of both sides.
	RoleNamePrefix string
	// ChildName starts the names of the roles, their attachments and the
	// shared policy, which are name's when empty. A producer side with many
	// consumers gives every component one ChildName: the role names, unique
	// in the account because the consumers' namespaces do not overlap, keep
	// the children's names apart.
	ChildName string
}

// NewServerlessUsers registers one role per user and the policy they share.
func NewServerlessUsers(ctx *pulumi.Context, name string, args *ServerlessUsersArgs, opts ...pulumi.ResourceOption) (*ServerlessUsers, error) {
	comp := &ServerlessUsers{}
	if err := ctx.RegisterComponentResource("studioredshift:index:ServerlessUsers", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	childName := name
	if args.ChildName != "" {
		childName = args.ChildName
	}
	permissions := args.WorkgroupArn.ToStringOutput().ApplyT(func(workgroupArn string) (string, error) {
		return ServerlessPermissionPolicy(workgroupArn).JSON()
	}).(pulumi.StringOutput)
	// One managed policy for every role: its size does not depend on the
	// users (managed policy 6,144 characters, IAM quotas).
	shared, err := iam.NewPolicy(ctx, childName+"-"+args.RoleNamePrefix+"workgroup-access", &iam.PolicyArgs{
		Path:        pulumi.String(args.Path),
		Description: pulumi.String("Signs in to Redshift Serverless workgroup " + args.WorkgroupName + " as the role's own database user"),
		Policy:      permissions,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("workgroup access policy: %w", err)
	}
	tags := pulumi.StringMap{}
	if len(args.DBRoles) > 0 {
		tags[DBRolesTag] = pulumi.String(strings.Join(args.DBRoles, ":"))
	}
	roleArns := pulumi.StringMap{}
	for _, profile := range args.UserProfiles {
		roleName := args.RoleNamePrefix + profile
		trust := args.ExecutionRoleArn.ToStringOutput().ApplyT(func(executionRoleArn string) (string, error) {
			return UserRoleTrustPolicy(executionRoleArn, profile).JSON()
		}).(pulumi.StringOutput)
		roleTags := pulumi.StringMap{UserTag: pulumi.String(profile)}
		for key, value := range tags {
			roleTags[key] = value
		}
		// The role's name is the database user's (IAMR:<name>) and is
		// ForceNew (provider schema), as is the path: both derive from the
		// profile and the stack, which no change renames. Each role counts
		// against IAM's roles per account (1,000 by default), which the
		// up-time check and the plan's quota table measure.
		role, err := iam.NewRole(ctx, childName+"-"+roleName, &iam.RoleArgs{
			Name:             pulumi.String(roleName),
			Path:             pulumi.String(args.Path),
			Description:      pulumi.String("Studio user " + profile + " in Redshift Serverless workgroup " + args.WorkgroupName + ", as database user " + DatabaseUser(roleName)),
			AssumeRolePolicy: trust,
			Tags:             roleTags,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("role of %s: %w", profile, err)
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, childName+"-"+roleName+"-workgroup-access", &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: shared.Arn,
		}, parent); err != nil {
			return nil, fmt.Errorf("workgroup access of %s: %w", profile, err)
		}
		roleArns[profile] = role.Arn
	}
	comp.RoleArns = roleArns.ToStringMapOutput()
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{"roleArns": comp.RoleArns})
}

// Workgroup is a Redshift Serverless namespace and workgroup the program
// creates: encrypted with its own key (or the configured one), private,
// audit logs exported, the admin password kept by AWS Secrets Manager.
type Workgroup struct {
	pulumi.ResourceState

	// Arn and SecurityGroupID are what the producer side needs.
	Arn             pulumi.StringOutput `pulumi:"arn"`
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
}

// WorkgroupArgs are the inputs of NewWorkgroup. Create it with the producer
// account's provider (pulumi.Provider); every child inherits it.
type WorkgroupArgs struct {
	// NamespaceName, WorkgroupName and Database name what is created. Required.
	NamespaceName string
	WorkgroupName string
	Database      string
	// Port is the workgroup's (5431-5455 or 8191-8215). Required.
	Port int
	// KmsKeyArn encrypts the namespace; empty: a key of its own.
	KmsKeyArn string
	// LogExports are the audit logs exported to CloudWatch Logs.
	LogExports []string
	// EnhancedVpcRouting sends COPY and UNLOAD through the VPC.
	EnhancedVpcRouting bool
	// BaseCapacity is the base RPUs. Required.
	BaseCapacity int
	// VpcID and SubnetIDs (three zones) place the workgroup. Required.
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// Region, S3PrefixListID and RouteTableIDs give the workgroup its way
	// to S3, as WarehouseArgs' do a cluster's.
	Region         string
	S3PrefixListID pulumi.StringInput
	RouteTableIDs  pulumi.StringArrayInput
	// Protect guards the namespace, which holds the data, and its key.
	Protect bool
}

// NewWorkgroup registers the namespace, the workgroup and its security group.
func NewWorkgroup(ctx *pulumi.Context, name string, args *WorkgroupArgs, opts ...pulumi.ResourceOption) (*Workgroup, error) {
	comp := &Workgroup{}
	if err := ctx.RegisterComponentResource("studioredshift:index:Workgroup", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	keyArn := pulumi.String(args.KmsKeyArn).ToStringOutput()
	if args.KmsKeyArn == "" {
		key, err := datakey.New(ctx, name+"-key", "Encrypts Redshift Serverless namespace "+args.NamespaceName, nil, args.Protect, parent)
		if err != nil {
			return nil, fmt.Errorf("namespace key: %w", err)
		}
		keyArn = key.Arn
	}
	// Its ingress, the port from each peered consumer VPC, comes from the
	// producer side (none without a peering); its one egress rule is HTTPS
	// to S3.
	group, err := ec2.NewSecurityGroup(ctx, name+"-security-group", &ec2.SecurityGroupArgs{
		VpcId:               args.VpcID,
		Description:         pulumi.String("Redshift Serverless workgroup " + args.WorkgroupName),
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                pulumi.StringMap{"Name": pulumi.String(name + "-security-group")},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("workgroup security group: %w", err)
	}
	if err := s3Egress(ctx, name+"-workgroup-s3-out", name, args.Region, args.VpcID, args.S3PrefixListID, args.RouteTableIDs, group, parent); err != nil {
		return nil, err
	}
	// namespaceName and dbName force a new namespace (provider schema; the
	// key, the admin user and the log exports update in place): a replaced
	// namespace loses its data, hence protect. The admin password lives in
	// Secrets Manager, and the admin user's name never changes: the
	// provider cannot rename it in that mode (terraform-provider-aws
	// #39266).
	namespace, err := redshiftserverless.NewNamespace(ctx, name+"-namespace", &redshiftserverless.NamespaceArgs{
		NamespaceName:       pulumi.String(args.NamespaceName),
		DbName:              pulumi.String(args.Database),
		AdminUsername:       pulumi.String("awsuser"),
		ManageAdminPassword: pulumi.Bool(true),
		KmsKeyId:            keyArn,
		LogExports:          pulumi.ToStringArray(args.LogExports),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("namespace: %w", err)
	}
	// No configParameters: AWS gives a new workgroup its defaults, among
	// them enable_user_activity_logging and require_ssl on (the user
	// activity log export needs the first), and returns every parameter it
	// holds, so that a partial list would differ from it at every preview
	// (terraform-provider-aws #49939); first-deploy.md checks them. Only
	// workgroupName and namespaceName force a new workgroup (provider
	// schema); capacity, port, subnets and groups update in place.
	workgroup, err := redshiftserverless.NewWorkgroup(ctx, name, &redshiftserverless.WorkgroupArgs{
		WorkgroupName:      pulumi.String(args.WorkgroupName),
		NamespaceName:      namespace.NamespaceName,
		BaseCapacity:       pulumi.Int(args.BaseCapacity),
		Port:               pulumi.Int(args.Port),
		EnhancedVpcRouting: pulumi.Bool(args.EnhancedVpcRouting),
		PubliclyAccessible: pulumi.Bool(false),
		SubnetIds:          args.SubnetIDs,
		SecurityGroupIds:   pulumi.StringArray{group.ID()},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("workgroup: %w", err)
	}
	comp.Arn = workgroup.Arn
	comp.SecurityGroupID = group.ID().ToStringOutput()
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"arn":             comp.Arn,
		"securityGroupId": comp.SecurityGroupID,
	})
}
