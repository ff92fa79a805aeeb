package consumer

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/datakey"
	"github.com/studio-redshift/studio-redshift/internal/policy"
	"github.com/studio-redshift/studio-redshift/producer"
)

// UserDataPrefix is the key prefix of the user data bucket under which each
// user has a prefix named after their profile.
const UserDataPrefix = "users/"

// StudioTeam are the settings a team's Studio runs with. Each lands on the
// user profiles (UserSettings) and the execution role, never on the domain:
// the provider cannot update a VpcOnly domain in place
// (terraform-provider-aws #45528), and UserSettings update in place
// (UpdateUserProfile; the provider's user_settings block has no ForceNew).
type StudioTeam struct {
	// IdleTimeoutMinutes shuts JupyterLab and Code Editor apps down after
	// this many idle minutes (60 to 525,600). Required.
	IdleTimeoutMinutes int
	// InstanceTypes are the only instance types users may run apps and
	// spaces on; the first is JupyterLab's default. Required, ≥ 1.
	InstanceTypes []string
	// SpaceStorageGb is the default and the largest EBS volume of a private
	// space. Required.
	SpaceStorageGb int
	// UserDataBucket names the bucket of per-user data the component
	// creates. Required.
	UserDataBucket string
}

// idleShutdown turns on idle shutdown at the team's timeout. Users may
// shorten their own apps' timeout down to AWS's least, 60 minutes, and not
// lengthen it (IdleSettings.MinIdleTimeoutInMinutes and
// MaxIdleTimeoutInMinutes, "Idle shutdown" in the SageMaker developer guide;
// the provider added these blocks to user profiles with
// terraform-provider-aws #39521 and validates 60 to 525,600). AWS documents
// that idle shutdown needs a SageMaker Distribution image 2.0 or newer.
func idleShutdown(minutes int) (*sagemaker.UserProfileUserSettingsJupyterLabAppSettingsAppLifecycleManagementArgs, *sagemaker.UserProfileUserSettingsCodeEditorAppSettingsAppLifecycleManagementArgs) {
	return &sagemaker.UserProfileUserSettingsJupyterLabAppSettingsAppLifecycleManagementArgs{
			IdleSettings: &sagemaker.UserProfileUserSettingsJupyterLabAppSettingsAppLifecycleManagementIdleSettingsArgs{
				LifecycleManagement:     pulumi.String("ENABLED"),
				IdleTimeoutInMinutes:    pulumi.Int(minutes),
				MinIdleTimeoutInMinutes: pulumi.Int(config.MinIdleTimeoutMinutes),
				MaxIdleTimeoutInMinutes: pulumi.Int(minutes),
			},
		}, &sagemaker.UserProfileUserSettingsCodeEditorAppSettingsAppLifecycleManagementArgs{
			IdleSettings: &sagemaker.UserProfileUserSettingsCodeEditorAppSettingsAppLifecycleManagementIdleSettingsArgs{
				LifecycleManagement:     pulumi.String("ENABLED"),
				IdleTimeoutInMinutes:    pulumi.Int(minutes),
				MinIdleTimeoutInMinutes: pulumi.Int(config.MinIdleTimeoutMinutes),
				MaxIdleTimeoutInMinutes: pulumi.Int(minutes),
			},
		}
}

// teamSettings fills a profile's UserSettings with the team's settings:
// idle shutdown for JupyterLab and Code Editor, JupyterLab's default
// instance type, the space storage sizes and the hidden instance types.
// jupyterLab carries the lifecycle configuration, if any. Code Editor's
// default resource spec is left to AWS: its default instance type is
// ml.t3.medium, and a user whose list lacks it picks a listed one.
func teamSettings(settings *sagemaker.UserProfileUserSettingsArgs, jupyterLab *sagemaker.UserProfileUserSettingsJupyterLabAppSettingsArgs, team StudioTeam) {
	labIdle, editorIdle := idleShutdown(team.IdleTimeoutMinutes)
	if jupyterLab == nil {
		jupyterLab = &sagemaker.UserProfileUserSettingsJupyterLabAppSettingsArgs{}
	}
	lab := *jupyterLab
	lab.AppLifecycleManagement = labIdle
	spec := &sagemaker.UserProfileUserSettingsJupyterLabAppSettingsDefaultResourceSpecArgs{}
	if jupyterLab.DefaultResourceSpec != nil {
		*spec = *jupyterLab.DefaultResourceSpec.(*sagemaker.UserProfileUserSettingsJupyterLabAppSettingsDefaultResourceSpecArgs)
	}
	spec.InstanceType = pulumi.String(team.InstanceTypes[0])
	lab.DefaultResourceSpec = spec
	settings.JupyterLabAppSettings = &lab
	settings.CodeEditorAppSettings = &sagemaker.UserProfileUserSettingsCodeEditorAppSettingsArgs{AppLifecycleManagement: editorIdle}
	// AWS: a private space's EBS volume starts at the default and may grow
	// to the maximum (DefaultEbsStorageSettings); both are the team's size.
	settings.SpaceStorageSettings = &sagemaker.UserProfileUserSettingsSpaceStorageSettingsArgs{
		DefaultEbsStorageSettings: &sagemaker.UserProfileUserSettingsSpaceStorageSettingsDefaultEbsStorageSettingsArgs{
			DefaultEbsVolumeSizeInGb: pulumi.Int(team.SpaceStorageGb),
			MaximumEbsVolumeSizeInGb: pulumi.Int(team.SpaceStorageGb),
		},
	}
	// The UI's choice only (terraform-provider-aws #38567 added the block to
	// user profiles); the execution role's deny is what holds.
	settings.StudioWebPortalSettings = &sagemaker.UserProfileUserSettingsStudioWebPortalSettingsArgs{
		HiddenInstanceTypes: pulumi.ToStringArray(config.HiddenInstanceTypes(team.InstanceTypes)),
	}
}

// studioClassicSystemInstance is the instance type Studio Classic's
// JupyterServer app runs on (CreateApp, ResourceSpec.InstanceType "system"):
// free, and chosen by no one, so never denied.
const studioClassicSystemInstance = "system"

// InstanceTypePolicy denies the execution role every app and space on an
// instance type outside allowed. sagemaker:InstanceTypes is the
// multi-valued key of the instance types a request names (Service
// Authorization Reference, Amazon SageMaker: CreateApp, CreateSpace and
// UpdateSpace take it), so the deny uses ForAnyValue: one unlisted type in
// the request is enough. A request that names no type starts on a default
// that was itself checked: the profile's (the first listed type) or the
// space's, which CreateSpace and UpdateSpace set under this same deny. The
// Null guard says so in the document: the statement is about requests that
// name a type. Its size grows with consumer.studio.instanceTypes only, not
// with the users.
func InstanceTypePolicy(allowed []string) policy.Document {
	permitted := append(slices.Clone(allowed), studioClassicSystemInstance)
	return policy.New(policy.Statement{
		Sid:    "DenyUnlistedInstanceTypes",
		Effect: policy.Deny,
		Action: []string{"sagemaker:CreateApp", "sagemaker:CreateSpace", "sagemaker:UpdateSpace"},
		// Apps and spaces of any domain of the account.
		Resource: []string{"*"},
		Condition: policy.Condition{
			"ForAnyValue:StringNotEquals": {"sagemaker:InstanceTypes": permitted},
			"Null":                        {"sagemaker:InstanceTypes": {"false"}},
		},
	})
}

// UserDataPolicy lets each Studio user read and write the objects under
// users/<their profile>/ of the user data bucket and list that prefix, and
// use the bucket's key through S3. ${aws:SourceIdentity} is the profile name
// (the domain's ExecutionRoleIdentityConfig): one statement serves every
// user, so the document does not grow with them. A session without
// SourceIdentity gets nothing: its resource and prefix would match nothing
// anyway ("Policy variables with no value"), and the Null condition says
// so outright.
func UserDataPolicy(region, bucketArn, keyArn string) policy.Document {
	withSourceIdentity := map[string][]string{"aws:SourceIdentity": {"false"}}
	return policy.New(
		policy.Statement{
			Sid:       "OwnUserDataObjects",
			Effect:    policy.Allow,
			Action:    []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
			Resource:  []string{bucketArn + "/" + UserDataPrefix + "${aws:SourceIdentity}/*"},
			Condition: policy.Condition{"Null": withSourceIdentity},
		},
		policy.Statement{
			Sid:      "ListOwnUserDataPrefix",
			Effect:   policy.Allow,
			Action:   []string{"s3:ListBucket"},
			Resource: []string{bucketArn},
			Condition: policy.Condition{
				"StringLike": {"s3:prefix": {UserDataPrefix + "${aws:SourceIdentity}/*"}},
				"Null":       withSourceIdentity,
			},
		},
		policy.Statement{
			Sid:      "UserDataKeyThroughS3",
			Effect:   policy.Allow,
			Action:   []string{"kms:Decrypt", "kms:GenerateDataKey"},
			Resource: []string{keyArn},
			Condition: policy.Condition{
				"StringEquals": {"kms:ViaService": {policy.RegionalEndpoint("s3", region)}},
				"Null":         withSourceIdentity,
			},
		},
	)
}

// UserDataBucketPolicy refuses requests without TLS and, for the execution
// role, any object outside the caller's own prefix and any listing outside
// it: other policies on the role (AmazonSageMakerFullAccess allows
// s3:ListBucket on every bucket) must not open one user's prefix to another.
// Without SourceIdentity the own prefix matches nothing, so such sessions
// are refused every object and every listing.
func UserDataBucketPolicy(bucketArn, executionRoleArn string) policy.Document {
	role := &policy.Principal{AWS: []string{executionRoleArn}}
	own := UserDataPrefix + "${aws:SourceIdentity}/*"
	return policy.New(append(producer.DataBucketPolicy(bucketArn, nil, nil, nil).Statement,
		policy.Statement{
			Sid:         "DenyOtherUsersObjects",
			Effect:      policy.Deny,
			Principal:   role,
			Action:      []string{"s3:*"},
			NotResource: []string{bucketArn, bucketArn + "/" + own},
		},
		policy.Statement{
			Sid:       "DenyListingOtherUsersPrefixes",
			Effect:    policy.Deny,
			Principal: role,
			Action:    []string{"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"},
			Resource:  []string{bucketArn},
			Condition: policy.Condition{"StringNotLike": {"s3:prefix": {own}}},
		},
	)...)
}

// newUserData registers the bucket of per-user data in the ML account: its
// own KMS key (rotated, protected, kept on delete), versioning, public
// access blocked, TLS only, the server access log in a log bucket of the ML
// account (S3 delivers access logs only to a bucket of the same account and
// region, encrypted with SSE-S3: "Enabling Amazon S3 server access
// logging"), and the execution role's per-user statements. It returns the
// bucket's name, once its policy is in place.
func newUserData(ctx *pulumi.Context, name string, args *ConsumerArgs, executionRole pulumi.StringInput, executionRoleArn pulumi.StringOutput, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	partition := policy.Partition(args.Region)
	bucketName := args.Team.UserDataBucket
	bucketArn := policy.ARN(partition, "s3", "", "", bucketName)

	logs, err := producer.NewLogBucket(ctx, name+"-logs", &producer.LogBucketArgs{
		Partition: partition, Region: args.Region, Account: args.Account,
		SourceBuckets: []string{bucketName},
		Protect:       args.Protect,
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("ML account log bucket: %w", err)
	}

	keyPolicy, err := producer.DataKeyPolicy(partition, args.Region, args.Account, nil, nil).JSON()
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("user data key policy: %w", err)
	}
	key, err := datakey.New(ctx, name+"-user-data-key", "Encrypts S3 bucket "+bucketName+" of per-user Studio data", pulumi.String(keyPolicy), args.Protect, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("user data key: %w", err)
	}
	// Users' data outlives the stack: protected, and kept on delete.
	bucket, err := s3.NewBucketV2(ctx, name+"-user-data", &s3.BucketV2Args{
		Bucket: pulumi.String(bucketName),
	}, parent, pulumi.Protect(args.Protect), pulumi.RetainOnDelete(true))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("user data bucket: %w", err)
	}
	if err := producer.PrivateBucket(ctx, name+"-user-data", bucket, parent); err != nil {
		return pulumi.StringOutput{}, err
	}
	accessLogs := logs.AccessLogsOf(bucketName)
	if _, err := s3.NewBucketLoggingV2(ctx, name+"-user-data-access-logs", &s3.BucketLoggingV2Args{
		Bucket:       bucket.ID(),
		TargetBucket: accessLogs.Bucket,
		TargetPrefix: pulumi.String(accessLogs.Prefix),
	}, parent); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("user data access logging: %w", err)
	}
	if _, err := s3.NewBucketVersioningV2(ctx, name+"-user-data-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, parent); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("user data versioning: %w", err)
	}
	if err := producer.EncryptWithKey(ctx, name+"-user-data", bucket, key.Arn, parent); err != nil {
		return pulumi.StringOutput{}, err
	}
	bucketDocument := executionRoleArn.ApplyT(func(roleArn string) (string, error) {
		return UserDataBucketPolicy(bucketArn, roleArn).JSON()
	}).(pulumi.StringOutput)
	bucketPolicy, err := s3.NewBucketPolicy(ctx, name+"-user-data-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: bucketDocument,
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("user data bucket policy: %w", err)
	}

	roleDocument := key.Arn.ApplyT(func(keyArn string) (string, error) {
		return UserDataPolicy(args.Region, bucketArn, keyArn).JSON()
	}).(pulumi.StringOutput)
	if err := inlinePolicy(ctx, name+"-user-data", executionRole, roleDocument, parent); err != nil {
		return pulumi.StringOutput{}, err
	}
	return bucketPolicy.Bucket, nil
}
