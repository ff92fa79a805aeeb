// Package consumer is the ML account's side: SageMaker Studio in VpcOnly mode,
// its execution role, the home EFS key, the security groups and the VPC
// endpoints that replace the internet.
package consumer

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/datakey"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// Consumer is the ML account's side of the system.
type Consumer struct {
	pulumi.ResourceState

	// ExecutionRoleArn is the role every Studio user's apps run as.
	ExecutionRoleArn pulumi.StringOutput `pulumi:"executionRoleArn"`
	// ExecutionRoleName is its name, for attaching further policies.
	ExecutionRoleName pulumi.StringOutput `pulumi:"executionRoleName"`
	// DomainID and DomainURL identify the Studio domain.
	DomainID  pulumi.StringOutput `pulumi:"domainId"`
	DomainURL pulumi.StringOutput `pulumi:"domainUrl"`
	// KmsKeyArn is the customer-managed key of the home EFS.
	KmsKeyArn pulumi.StringOutput `pulumi:"kmsKeyArn"`
	// StudioSecurityGroupIDs are the groups SageMaker jobs and models may
	// use: the Studio clients group (on every Studio app) and the jobs group
	// (instances of one job reach each other). Users' own groups are not
	// among them: they only join one user's apps.
	StudioSecurityGroupIDs pulumi.StringArrayOutput `pulumi:"studioSecurityGroupIds"`
	// ClientsSecurityGroupID is on every Studio app; JobsSecurityGroupID
	// joins the instances of one job. Both may reach the cluster.
	ClientsSecurityGroupID pulumi.StringOutput `pulumi:"clientsSecurityGroupId"`
	JobsSecurityGroupID    pulumi.StringOutput `pulumi:"jobsSecurityGroupId"`
	// EndpointSecurityGroupID guards the interface endpoints.
	EndpointSecurityGroupID pulumi.StringOutput `pulumi:"endpointSecurityGroupId"`
	// UserProfileNames are the created user profiles, in configured order.
	UserProfileNames pulumi.StringArrayOutput `pulumi:"userProfileNames"`
	// SageMakerEndpointIDs are the interface endpoints of SageMaker's APIs.
	SageMakerEndpointIDs pulumi.StringArrayOutput `pulumi:"sageMakerEndpointIds"`
	// SignInPolicyArn is the policy that lets a person open Studio as their
	// own user profile only, for the identity provider's roles.
	SignInPolicyArn pulumi.StringOutput `pulumi:"signInPolicyArn"`
	// UserDataBucket is the bucket of per-user data: each user reads and
	// writes users/<profile>/ only.
	UserDataBucket pulumi.StringOutput `pulumi:"userDataBucket"`
}

// ConsumerArgs are the inputs of NewConsumer. Create it with the consumer
// account's provider (pulumi.Provider); every child inherits it.
type ConsumerArgs struct {
	// Region names the endpoint services; Account is the ML account's ID.
	// Required.
	Region  string
	Account string
	// ProducerAccount is the data account's ID: with Account, the accounts
	// the VPC endpoints admit. Required.
	ProducerAccount string
	// VpcID, SubnetIDs and RouteTableIDs are the private network Studio runs
	// in. Required; at least two subnets.
	VpcID         pulumi.StringInput
	SubnetIDs     pulumi.StringArrayInput
	RouteTableIDs pulumi.StringArrayInput
	// InternetEgress lets Studio apps out to HTTPS anywhere, for a VPC with a
	// NAT gateway; otherwise they reach only the endpoints, S3 and Redshift.
	InternetEgress bool
	// S3EndpointBuckets, if set, are the only buckets reachable through the
	// S3 gateway endpoint; otherwise it admits every bucket of Account and
	// ProducerAccount. Optional; not with S3PrefixListID.
	S3EndpointBuckets []string
	// S3PrefixListID, if set, is the S3 prefix list of the VPC's existing S3
	// gateway endpoint, which then serves Studio; otherwise the program
	// creates one on RouteTableIDs.
	S3PrefixListID pulumi.StringInput
	// InterfaceEndpoints are the services that get an interface endpoint
	// with private DNS, by name below the region ("sagemaker.api"). Required:
	// without a NAT gateway they are Studio's only way to AWS APIs.
	InterfaceEndpoints []string
	// DomainName names the Studio domain. Required.
	DomainName string
	// UserProfiles become Studio user profiles, each with its own security
	// group. Required.
	UserProfiles []string
	// ExecutionRolePolicyArns are managed policies for the execution role.
	// Optional; empty attaches none.
	ExecutionRolePolicyArns []string
	// ProducerCIDR and RedshiftPort open the way to the cluster over a VPC
	// peering. ProducerCIDR is empty for the connections without one.
	ProducerCIDR string
	RedshiftPort int
	// LifecycleScript, if set, runs at every JupyterLab start as each user
	// profile's default lifecycle configuration.
	LifecycleScript string
	// PackageMirror is the index the lifecycle script installs from; a
	// CodeArtifact repository gets the execution role the right to read it.
	// Optional.
	PackageMirror *config.Mirror
	// Team are the settings every user profile and the execution role
	// carry: idle shutdown, instance types, space storage, per-user data.
	// Required.
	Team StudioTeam
	// Protect guards the domain and the KMS key against deletion.
	Protect bool
}

// NewConsumer registers the consumer side.
func NewConsumer(ctx *pulumi.Context, name string, args *ConsumerArgs, opts ...pulumi.ResourceOption) (*Consumer, error) {
	if team := args.Team; team.IdleTimeoutMinutes == 0 || len(team.InstanceTypes) == 0 || team.SpaceStorageGb == 0 || team.UserDataBucket == "" {
		return nil, fmt.Errorf("consumer %s: Team needs IdleTimeoutMinutes, InstanceTypes, SpaceStorageGb and UserDataBucket, got %+v", name, team)
	}
	comp := &Consumer{}
	if err := ctx.RegisterComponentResource("studioredshift:index:Consumer", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	trust, err := ExecutionRoleTrustPolicy().JSON()
	if err != nil {
		return nil, fmt.Errorf("execution role trust: %w", err)
	}
	executionRole, err := iam.NewRole(ctx, name+"-execution-role", &iam.RoleArgs{
		Description:      pulumi.String("SageMaker Studio execution role of domain " + args.DomainName),
		AssumeRolePolicy: pulumi.String(trust),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("execution role: %w", err)
	}
	for _, policyArn := range args.ExecutionRolePolicyArns {
		policyName := policyArn[strings.LastIndex(policyArn, "/")+1:]
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-execution-role-"+policyName, &iam.RolePolicyAttachmentArgs{
			Role:      executionRole.Name,
			PolicyArn: pulumi.String(policyArn),
		}, parent); err != nil {
			return nil, fmt.Errorf("execution role policy %s: %w", policyName, err)
		}
	}

	if err := newPackageMirrorPolicy(ctx, name, args, executionRole, parent); err != nil {
		return nil, err
	}

	homeKey, err := datakey.New(ctx, name+"-home-key", "Encrypts the home EFS of SageMaker Studio domain "+args.DomainName, nil, args.Protect, parent)
	if err != nil {
		return nil, fmt.Errorf("home EFS key: %w", err)
	}
	if _, err := kms.NewAlias(ctx, name+"-home-key", &kms.AliasArgs{
		NamePrefix:  pulumi.String("alias/" + args.DomainName + "-home-"),
		TargetKeyId: homeKey.KeyId,
	}, parent); err != nil {
		return nil, fmt.Errorf("home EFS key alias: %w", err)
	}

	if err := newHomeKeyUse(ctx, name, args.Region, executionRole.Name, homeKey.Arn, parent); err != nil {
		return nil, err
	}
	instanceTypes, err := InstanceTypePolicy(args.Team.InstanceTypes).JSON()
	if err != nil {
		return nil, fmt.Errorf("instance type policy: %w", err)
	}
	if err := inlinePolicy(ctx, name+"-instance-types", executionRole.Name, pulumi.String(instanceTypes), parent); err != nil {
		return nil, err
	}
	userData, err := newUserData(ctx, name, args, executionRole.Name, executionRole.Arn, parent)
	if err != nil {
		return nil, err
	}

	studio, err := newStudioNetwork(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}

	jupyterLab, err := newLifecycleConfig(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}

	// The domain's inputs never change with the users, the package mirror or
	// the NAT gateway: the provider cannot update a VpcOnly domain in place
	// (every UpdateDomain carries AppNetworkAccessType=VpcOnly without VpcId
	// and SubnetIds, which AWS rejects: terraform-provider-aws #45528), and
	// its VPC, subnets, key and groups force a new domain (#48778). What
	// changes week to week lives on the user profiles, which update fine.
	clients := pulumi.StringArray{studio.clientsGroup.ID()}
	domain, err := sagemaker.NewDomain(ctx, name+"-domain", &sagemaker.DomainArgs{
		DomainName:           pulumi.String(args.DomainName),
		AuthMode:             pulumi.String("IAM"),
		AppNetworkAccessType: pulumi.String("VpcOnly"),
		VpcId:                args.VpcID,
		SubnetIds:            args.SubnetIDs,
		KmsKeyId:             homeKey.Arn,
		DomainSettings: &sagemaker.DomainDomainSettingsArgs{
			// Stamps every session with SourceIdentity = the user profile
			// name, which the producer role turns into the Redshift DbUser.
			ExecutionRoleIdentityConfig: pulumi.String("USER_PROFILE_NAME"),
			SecurityGroupIds:            clients,
		},
		// AWS: in VpcOnly mode apps without security groups hang on start.
		// SageMaker adds these groups to every user's own (UserSettings
		// groups are aggregated with the defaults), so they must never admit
		// themselves: the clients group has no rule that names itself.
		DefaultUserSettings: &sagemaker.DomainDefaultUserSettingsArgs{
			ExecutionRole:  executionRole.Arn,
			SecurityGroups: clients,
		},
		DefaultSpaceSettings: &sagemaker.DomainDefaultSpaceSettingsArgs{
			ExecutionRole:  executionRole.Arn,
			SecurityGroups: clients,
		},
		// Deleting the domain keeps the users' home directories.
		RetentionPolicy: &sagemaker.DomainRetentionPolicyArgs{
			HomeEfsFileSystem: pulumi.String("Retain"),
		},
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("studio domain: %w", err)
	}

	if err := newUserBoundaries(ctx, name, policy.Partition(args.Region), args.Region, args.Account, executionRole.Name, domain.ID().ToStringOutput(), parent); err != nil {
		return nil, err
	}
	signIn, err := newSignInPolicy(ctx, name, policy.Partition(args.Region), args.Region, args.Account, args.DomainName, domain.ID().ToStringOutput(), parent)
	if err != nil {
		return nil, err
	}

	profileNames := make(pulumi.StringArray, len(args.UserProfiles))
	for i, userName := range args.UserProfiles {
		settings := &sagemaker.UserProfileUserSettingsArgs{
			ExecutionRole: executionRole.Arn,
			// Added to the domain's clients group: the user's own group
			// admits only itself, so one user's apps reach each other and
			// no one else's.
			SecurityGroups: pulumi.StringArray{studio.userGroups[userName].ID()},
		}
		teamSettings(settings, jupyterLab, args.Team)
		profile, err := sagemaker.NewUserProfile(ctx, name+"-user-"+userName, &sagemaker.UserProfileArgs{
			DomainId:        domain.ID(),
			UserProfileName: pulumi.String(userName),
			UserSettings:    settings,
			// SageMaker adds a profile's tags to every app it launches
			// (API reference, "AddTags"), so the bill splits by user once
			// the tag is activated for cost allocation. Tags update
			// through the tagging API, not UpdateUserProfile.
			Tags: pulumi.StringMap{config.StudioUserTag: pulumi.String(userName)},
		}, parent, pulumi.IgnoreChanges(BackfilledProfilePaths))
		if err != nil {
			return nil, fmt.Errorf("user profile %s: %w", userName, err)
		}
		profileNames[i] = profile.UserProfileName
	}

	comp.ExecutionRoleArn = executionRole.Arn
	comp.ExecutionRoleName = executionRole.Name
	comp.DomainID = domain.ID().ToStringOutput()
	comp.DomainURL = domain.Url
	comp.KmsKeyArn = homeKey.Arn
	comp.ClientsSecurityGroupID = studio.clientsGroup.ID().ToStringOutput()
	comp.JobsSecurityGroupID = studio.jobsGroup.ID().ToStringOutput()
	comp.StudioSecurityGroupIDs = pulumi.StringArray{comp.ClientsSecurityGroupID, comp.JobsSecurityGroupID}.ToStringArrayOutput()
	comp.EndpointSecurityGroupID = studio.endpointGroup.ID().ToStringOutput()
	comp.UserProfileNames = profileNames.ToStringArrayOutput()
	comp.SageMakerEndpointIDs = studio.sageMakerEndpoints.ToStringArrayOutput()
	comp.SignInPolicyArn = signIn.Arn
	comp.UserDataBucket = userData
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"executionRoleArn":        comp.ExecutionRoleArn,
		"executionRoleName":       comp.ExecutionRoleName,
		"domainId":                comp.DomainID,
		"domainUrl":               comp.DomainURL,
		"kmsKeyArn":               comp.KmsKeyArn,
		"studioSecurityGroupIds":  comp.StudioSecurityGroupIDs,
		"endpointSecurityGroupId": comp.EndpointSecurityGroupID,
		"clientsSecurityGroupId":  comp.ClientsSecurityGroupID,
		"jobsSecurityGroupId":     comp.JobsSecurityGroupID,
		"userProfileNames":        comp.UserProfileNames,
		"sageMakerEndpointIds":    comp.SageMakerEndpointIDs,
		"signInPolicyArn":         comp.SignInPolicyArn,
		"userDataBucket":          comp.UserDataBucket,
	})
}

// BackfilledProfilePaths are the user profile inputs AWS fills in when the
// program leaves them out: the JupyterLab default image (SageMaker
// Distribution) and its version alias. The provider reads them back and, as
// the program sets neither, would send them empty on every update
// (terraform-provider-aws #39894), so every `pulumi up` would update every
// profile. They are ignored, not pinned: AWS's default is the current
// SageMaker Distribution, past 2.0 as idle shutdown needs (docs/first-deploy.md
// checks a profile older than that), which each space may
// override, and a pin would be a per-region image account table and an
// alias to keep current by hand. The JupyterLab default instance type the
// team settings set sits beside them and is not ignored. A
// later setting of either path must take it off this list, or its change
// would be ignored too.
var BackfilledProfilePaths = []string{
	"userSettings.jupyterLabAppSettings.defaultResourceSpec.sagemakerImageArn",
	"userSettings.jupyterLabAppSettings.defaultResourceSpec.sagemakerImageVersionAlias",
}

// ExecutionRoleTrustPolicy lets SageMaker assume the execution role and set
// the SourceIdentity that ExecutionRoleIdentityConfig asks for.
func ExecutionRoleTrustPolicy() policy.Document {
	return policy.New(policy.Statement{
		Sid:       "SageMakerWithSourceIdentity",
		Effect:    policy.Allow,
		Principal: &policy.Principal{Service: []string{"sagemaker.amazonaws.com"}},
		Action:    []string{"sts:AssumeRole", "sts:SetSourceIdentity"},
	})
}

// endpointLogicalName keeps dots out of resource names: "sagemaker.api" → "sagemaker-api".
func endpointLogicalName(name, service string) string {
	return name + "-endpoint-" + strings.ReplaceAll(service, ".", "-")
}

// newLifecycleConfig registers the lifecycle configuration, if there is a
// script, and returns the JupyterLab settings that make it each user's
// default.
//
// Its name and content force a new configuration, Pulumi creates the new one
// before it deletes the old, and AWS refuses a second configuration of one
// name: so the name carries a digest of the content, and a changed script is
// a new configuration that the user profiles switch to before the old one,
// no longer attached, is left to delete once no app runs with it.
func newLifecycleConfig(ctx *pulumi.Context, name string, args *ConsumerArgs, parent pulumi.ResourceOption) (*sagemaker.UserProfileUserSettingsJupyterLabAppSettingsArgs, error) {
	if args.LifecycleScript == "" {
		return nil, nil
	}
	configName := config.LifecycleConfigName(args.DomainName, args.LifecycleScript)
	lifecycle, err := sagemaker.NewStudioLifecycleConfig(ctx, name+"-jupyterlab-setup", &sagemaker.StudioLifecycleConfigArgs{
		StudioLifecycleConfigName:    pulumi.String(configName),
		StudioLifecycleConfigAppType: pulumi.String("JupyterLab"),
		StudioLifecycleConfigContent: pulumi.String(base64.StdEncoding.EncodeToString([]byte(args.LifecycleScript))),
		// AWS refuses to delete a configuration while any running app was
		// started with it (DeleteStudioLifecycleConfig), which with many
		// users is almost always: a replaced one is left behind, for the
		// cleanup in docs/operations.md once the apps have restarted.
	}, parent, pulumi.RetainOnDelete(true))
	if err != nil {
		return nil, fmt.Errorf("lifecycle configuration: %w", err)
	}
	return &sagemaker.UserProfileUserSettingsJupyterLabAppSettingsArgs{
		DefaultResourceSpec: &sagemaker.UserProfileUserSettingsJupyterLabAppSettingsDefaultResourceSpecArgs{
			LifecycleConfigArn: lifecycle.Arn,
		},
		LifecycleConfigArns: pulumi.StringArray{lifecycle.Arn},
	}, nil
}

// newHomeKeyUse lets the execution role use the domain's key where SageMaker
// uses it on the role's behalf: the key also encrypts the EBS volumes of the
// JupyterLab and Code Editor spaces, which fail to start without these
// rights. kms:ViaService keeps them to requests SageMaker and EC2 make.
func newHomeKeyUse(ctx *pulumi.Context, name, region string, role pulumi.StringInput, keyArn pulumi.StringOutput, parent pulumi.ResourceOption) error {
	document := keyArn.ApplyT(func(keyArn string) (string, error) {
		return HomeKeyUsePolicy(region, keyArn).JSON()
	}).(pulumi.StringOutput)
	return inlinePolicy(ctx, name+"-home-key-use", role, document, parent)
}

// inlinePolicy puts one of the component's documents on the execution role.
func inlinePolicy(ctx *pulumi.Context, logicalName string, role, document pulumi.StringInput, parent pulumi.ResourceOption) error {
	if _, err := iam.NewRolePolicy(ctx, logicalName, &iam.RolePolicyArgs{Role: role, Policy: document}, parent); err != nil {
		return fmt.Errorf("execution role policy %s: %w", logicalName, err)
	}
	return nil
}

// HomeKeyUsePolicy allows the key operations that encrypting a space's EBS
// volume takes (Amazon EBS, "Requirements for Amazon EBS encryption"), on the
// domain's key only and through SageMaker and EC2 only; the grant only for an
// AWS resource, as that page recommends.
func HomeKeyUsePolicy(region, keyArn string) policy.Document {
	viaSageMakerOrEC2 := map[string][]string{"kms:ViaService": {policy.RegionalEndpoint("sagemaker", region), policy.RegionalEndpoint("ec2", region)}}
	return policy.New(
		policy.Statement{
			Sid:       "SpaceVolumesWithTheDomainKey",
			Effect:    policy.Allow,
			Action:    []string{"kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:ReEncrypt*"},
			Resource:  []string{keyArn},
			Condition: policy.Condition{"StringEquals": viaSageMakerOrEC2},
		},
		policy.Statement{
			Sid:      "GrantsForSpaceVolumes",
			Effect:   policy.Allow,
			Action:   []string{"kms:CreateGrant"},
			Resource: []string{keyArn},
			Condition: policy.Condition{
				"StringEquals": viaSageMakerOrEC2,
				"Bool":         {"kms:GrantIsForAWSResource": {"true"}},
			},
		},
	)
}
