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
	"github.com/studio-redshift/studio-redshift/policy"
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
	// StudioSecurityGroupIDs are the domain-level group followed by one group
	// per user profile.
	StudioSecurityGroupIDs pulumi.StringArrayOutput `pulumi:"studioSecurityGroupIds"`
	// EndpointSecurityGroupID guards the interface endpoints.
	EndpointSecurityGroupID pulumi.StringOutput `pulumi:"endpointSecurityGroupId"`
	// UserProfileNames are the created user profiles, in configured order.
	UserProfileNames pulumi.StringArrayOutput `pulumi:"userProfileNames"`
	// SageMakerEndpointIDs are the interface endpoints of SageMaker's APIs.
	SageMakerEndpointIDs pulumi.StringArrayOutput `pulumi:"sageMakerEndpointIds"`
}

// ConsumerArgs are the inputs of NewConsumer. Create it with the consumer
// account's provider (pulumi.Provider); every child inherits it.
type ConsumerArgs struct {
	// Region names the endpoint services. Required.
	Region string
	// VpcID, SubnetIDs and RouteTableIDs are the private network Studio runs
	// in. Required; at least two subnets.
	VpcID         pulumi.StringInput
	SubnetIDs     pulumi.StringArrayInput
	RouteTableIDs pulumi.StringArrayInput
	// InternetEgress lets Studio apps out to HTTPS anywhere, for a VPC with a
	// NAT gateway; otherwise they reach only the endpoints, S3 and Redshift.
	InternetEgress bool
	// S3EndpointBuckets, if set, are the only buckets reachable through the
	// S3 gateway endpoint. Optional.
	S3EndpointBuckets []string
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
	// ProducerCIDR and RedshiftPort open the way to the cluster. Required.
	ProducerCIDR string
	RedshiftPort int
	// LifecycleScript, if set, runs at every JupyterLab start as the
	// domain's default lifecycle configuration.
	LifecycleScript string
	// PackageMirror is the index the lifecycle script installs from; a
	// CodeArtifact repository gets the execution role the right to read it.
	// Optional.
	PackageMirror *config.Mirror
	// Protect guards the domain and the KMS key against deletion.
	Protect bool
}

// NewConsumer registers the consumer side.
func NewConsumer(ctx *pulumi.Context, name string, args *ConsumerArgs, opts ...pulumi.ResourceOption) (*Consumer, error) {
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

	studio, err := newStudioNetwork(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}

	jupyterLab, err := newLifecycleConfig(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}

	domainGroup := pulumi.StringArray{studio.domainGroup.ID()}
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
			SecurityGroupIds:            domainGroup,
		},
		// AWS: in VpcOnly mode apps without security groups hang on start;
		// these defaults serve profiles and spaces made outside this program.
		DefaultUserSettings: &sagemaker.DomainDefaultUserSettingsArgs{
			ExecutionRole:         executionRole.Arn,
			SecurityGroups:        domainGroup,
			JupyterLabAppSettings: jupyterLab,
		},
		DefaultSpaceSettings: &sagemaker.DomainDefaultSpaceSettingsArgs{
			ExecutionRole:  executionRole.Arn,
			SecurityGroups: domainGroup,
		},
		// Deleting the domain keeps the users' home directories.
		RetentionPolicy: &sagemaker.DomainRetentionPolicyArgs{
			HomeEfsFileSystem: pulumi.String("Retain"),
		},
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("studio domain: %w", err)
	}

	profileNames := make(pulumi.StringArray, len(args.UserProfiles))
	for i, userName := range args.UserProfiles {
		profile, err := sagemaker.NewUserProfile(ctx, name+"-user-"+userName, &sagemaker.UserProfileArgs{
			DomainId:        domain.ID(),
			UserProfileName: pulumi.String(userName),
			UserSettings: &sagemaker.UserProfileUserSettingsArgs{
				ExecutionRole: executionRole.Arn,
				// Only this user's group: apps of different users cannot
				// reach each other.
				SecurityGroups: pulumi.StringArray{studio.userGroups[userName].ID()},
			},
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("user profile %s: %w", userName, err)
		}
		profileNames[i] = profile.UserProfileName
	}

	studioGroups := pulumi.StringArray{studio.domainGroup.ID()}
	for _, userName := range args.UserProfiles {
		studioGroups = append(studioGroups, studio.userGroups[userName].ID())
	}

	comp.ExecutionRoleArn = executionRole.Arn
	comp.ExecutionRoleName = executionRole.Name
	comp.DomainID = domain.ID().ToStringOutput()
	comp.DomainURL = domain.Url
	comp.KmsKeyArn = homeKey.Arn
	comp.StudioSecurityGroupIDs = studioGroups.ToStringArrayOutput()
	comp.EndpointSecurityGroupID = studio.endpointGroup.ID().ToStringOutput()
	comp.UserProfileNames = profileNames.ToStringArrayOutput()
	comp.SageMakerEndpointIDs = studio.sageMakerEndpoints.ToStringArrayOutput()
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"executionRoleArn":        comp.ExecutionRoleArn,
		"executionRoleName":       comp.ExecutionRoleName,
		"domainId":                comp.DomainID,
		"domainUrl":               comp.DomainURL,
		"kmsKeyArn":               comp.KmsKeyArn,
		"studioSecurityGroupIds":  comp.StudioSecurityGroupIDs,
		"endpointSecurityGroupId": comp.EndpointSecurityGroupID,
		"userProfileNames":        comp.UserProfileNames,
		"sageMakerEndpointIds":    comp.SageMakerEndpointIDs,
	})
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
// script, and returns the JupyterLab settings that make it the default.
func newLifecycleConfig(ctx *pulumi.Context, name string, args *ConsumerArgs, parent pulumi.ResourceOption) (*sagemaker.DomainDefaultUserSettingsJupyterLabAppSettingsArgs, error) {
	if args.LifecycleScript == "" {
		return nil, nil
	}
	// SageMaker's name pattern allows 63 characters.
	configName := args.DomainName
	if len(configName) > 50 {
		configName = configName[:50]
	}
	lifecycle, err := sagemaker.NewStudioLifecycleConfig(ctx, name+"-jupyterlab-setup", &sagemaker.StudioLifecycleConfigArgs{
		StudioLifecycleConfigName:    pulumi.String(configName + "-jupyterlab"),
		StudioLifecycleConfigAppType: pulumi.String("JupyterLab"),
		StudioLifecycleConfigContent: pulumi.String(base64.StdEncoding.EncodeToString([]byte(args.LifecycleScript))),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("lifecycle configuration: %w", err)
	}
	return &sagemaker.DomainDefaultUserSettingsJupyterLabAppSettingsArgs{
		DefaultResourceSpec: &sagemaker.DomainDefaultUserSettingsJupyterLabAppSettingsDefaultResourceSpecArgs{
			LifecycleConfigArn: lifecycle.Arn,
		},
		LifecycleConfigArns: pulumi.StringArray{lifecycle.Arn},
	}, nil
}
