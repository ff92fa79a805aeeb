// The FeatureStore component is SageMaker Feature Store in the consumer account
// with its offline store in a bucket of the producer account, following AWS's
// cross-account procedure: an offline-store role that Feature Store writes
// with, and a customer-managed key of the consumer account that encrypts the
// offline store and that the producer account may use to read it.

package consumer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/datakey"
	"github.com/studio-redshift/studio-redshift/internal/policy"
	"github.com/studio-redshift/studio-redshift/producer"
)

// FeatureStore is the consumer side: role, key and feature groups.
type FeatureStore struct {
	pulumi.ResourceState

	// RoleArn is the offline-store role; the producer's bucket grants it.
	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
	// OfflineStoreURI is where the offline store is written.
	OfflineStoreURI pulumi.StringOutput `pulumi:"offlineStoreUri"`
	// BucketPolicy is the offline store bucket's policy, whether or not the
	// program applied it.
	BucketPolicy pulumi.StringOutput `pulumi:"bucketPolicy"`
	// KeyArn encrypts the offline store.
	KeyArn pulumi.StringOutput `pulumi:"keyArn"`
	// FeatureGroupNames are the created groups, in configured order.
	FeatureGroupNames pulumi.StringArrayOutput `pulumi:"featureGroupNames"`
}

// FeatureStoreArgs are the inputs of NewFeatureStore. The component spans
// both accounts, so it takes both providers here rather than through
// pulumi.Provider.
type FeatureStoreArgs struct {
	// ConsumerProvider creates the role, the key and the feature groups;
	// ProducerProvider the offline store bucket and its policy. Required.
	ConsumerProvider, ProducerProvider *aws.Provider
	// Partition, Region, Account and ProducerAccount place the key and name
	// who may use it. Required.
	Partition, Region, Account, ProducerAccount string
	// Bucket and Prefix are the offline store in the producer account. Required.
	Bucket config.ProducerBucket
	Prefix string
	// AccessLogs receives a created bucket's S3 server access logs.
	// Required when the bucket is created.
	AccessLogs *producer.AccessLogs
	// KeyAdministrators administer the key, next to the account root.
	KeyAdministrators []string
	// StudioRole, when set, may read the offline store from notebooks. Optional.
	StudioRole *OfflineStoreRole
	// FeatureGroups are the groups to create. Required.
	FeatureGroups []config.FeatureGroup
	// Protect guards the key, a created bucket and the feature groups (their
	// online stores hold data) against deletion.
	Protect bool
}

// OfflineStoreRole is a role of the consumer account, by name and ARN.
type OfflineStoreRole struct {
	Name, Arn pulumi.StringInput
}

// NewFeatureStore registers the offline-store role, its key and the feature groups.
func NewFeatureStore(ctx *pulumi.Context, name string, args *FeatureStoreArgs, opts ...pulumi.ResourceOption) (*FeatureStore, error) {
	comp := &FeatureStore{}
	if err := ctx.RegisterComponentResource("studioredshift:index:FeatureStore", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	inConsumer := []pulumi.ResourceOption{parent, pulumi.Provider(args.ConsumerProvider)}
	uri := "s3://" + args.Bucket.Name + "/" + args.Prefix

	trust, err := OfflineStoreTrustPolicy(args.Partition, args.Account).JSON()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-offline-store-role", &iam.RoleArgs{
		Description:      pulumi.String("Feature Store writes the offline store in " + uri + " with this role"),
		AssumeRolePolicy: pulumi.String(trust),
	}, inConsumer...)
	if err != nil {
		return nil, fmt.Errorf("offline store role: %w", err)
	}

	var readers pulumi.StringArray
	if args.StudioRole != nil {
		readers = append(readers, args.StudioRole.Arn)
	}
	keyPolicy := pulumi.All(role.Arn, readers).ApplyT(func(values []any) (string, error) {
		return OfflineStoreKeyPolicy(OfflineStoreKeyPrincipals{
			Partition: args.Partition, Account: args.Account, ProducerAccount: args.ProducerAccount,
			Administrators: args.KeyAdministrators, OfflineStoreRole: values[0].(string), Readers: values[1].([]string),
		}).JSON()
	}).(pulumi.StringOutput)
	key, err := datakey.New(ctx, name+"-key", "Encrypts the Feature Store offline store in "+uri, keyPolicy, args.Protect, inConsumer...)
	if err != nil {
		return nil, fmt.Errorf("offline store key: %w", err)
	}

	permissions := key.Arn.ApplyT(func(keyArn string) (string, error) {
		return OfflineStoreRolePolicy(args.Partition, args.Bucket.Name, args.Prefix, keyArn).JSON()
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-offline-store-access", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: permissions,
	}, inConsumer...)
	if err != nil {
		return nil, fmt.Errorf("offline store role policy: %w", err)
	}

	grants := []producer.BucketGrant{{
		// As AWS's procedure has it, narrowed to bucket-level and
		// object-level actions on their own resources, under the prefix.
		Sid:           "OfflineStoreWrite",
		Principals:    []pulumi.StringInput{role.Arn},
		BucketActions: []string{"s3:GetBucketAcl"},
		ObjectActions: []string{"s3:PutObject", "s3:PutObjectAcl"},
	}}
	if args.StudioRole != nil {
		grants = append(grants, producer.BucketGrant{
			Sid:           "StudioRead",
			Principals:    []pulumi.StringInput{args.StudioRole.Arn},
			BucketActions: []string{"s3:GetBucketLocation"},
			List:          true,
			ObjectActions: []string{"s3:GetObject"},
		})
		// Cross-account access needs the reader's own account to allow it
		// too: the bucket policy alone is not enough.
		reading := key.Arn.ApplyT(func(keyArn string) (string, error) {
			return OfflineStoreReadPolicy(args.Partition, args.Region, args.Bucket.Name, args.Prefix, keyArn).JSON()
		}).(pulumi.StringOutput)
		if _, err := iam.NewRolePolicy(ctx, name+"-studio-read", &iam.RolePolicyArgs{
			Role:   args.StudioRole.Name,
			Policy: reading,
		}, inConsumer...); err != nil {
			return nil, fmt.Errorf("studio read policy: %w", err)
		}
	}
	bucket, err := producer.NewDataBucket(ctx, name+"-offline", &producer.DataBucketArgs{
		Partition:    args.Partition,
		Region:       args.Region,
		Account:      args.ProducerAccount,
		Name:         args.Bucket.Name,
		Create:       args.Bucket.Create,
		ManagePolicy: args.Bucket.ManagePolicy,
		Prefixes:     []string{args.Prefix},
		AccessLogs:   args.AccessLogs,
		Grants:       grants,
		Protect:      args.Protect,
	}, parent, pulumi.Provider(args.ProducerProvider))
	if err != nil {
		return nil, err
	}

	// A feature group writes its offline store from the first record on:
	// it waits until the role may write and the bucket admits it.
	ready := append([]pulumi.Resource{rolePolicy}, bucket.Grants...)
	names := pulumi.StringArray{}
	for _, group := range args.FeatureGroups {
		created, err := sagemaker.NewFeatureGroup(ctx, name+"-"+group.Name, featureGroupArgs(group, uri, role.Arn, key.Arn),
			append(inConsumer, pulumi.DependsOn(ready), pulumi.Protect(args.Protect))...)
		if err != nil {
			return nil, fmt.Errorf("feature group %s: %w", group.Name, err)
		}
		names = append(names, created.FeatureGroupName)
	}

	comp.RoleArn = role.Arn
	comp.KeyArn = key.Arn
	comp.FeatureGroupNames = names.ToStringArrayOutput()
	comp.OfflineStoreURI = pulumi.String(uri).ToStringOutput()
	comp.BucketPolicy = bucket.Policy
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"roleArn":           comp.RoleArn,
		"keyArn":            comp.KeyArn,
		"featureGroupNames": comp.FeatureGroupNames,
		"offlineStoreUri":   comp.OfflineStoreURI,
		"bucketPolicy":      comp.BucketPolicy,
	})
}

func featureGroupArgs(group config.FeatureGroup, offlineStoreURI string, roleArn, keyArn pulumi.StringOutput) *sagemaker.FeatureGroupArgs {
	definitions := sagemaker.FeatureGroupFeatureDefinitionArray{}
	for _, feature := range group.Features {
		definitions = append(definitions, &sagemaker.FeatureGroupFeatureDefinitionArgs{
			FeatureName: pulumi.String(feature.Name),
			FeatureType: pulumi.String(feature.Type),
		})
	}
	return &sagemaker.FeatureGroupArgs{
		FeatureGroupName:            pulumi.String(group.Name),
		RecordIdentifierFeatureName: pulumi.String(group.RecordIdentifier),
		EventTimeFeatureName:        pulumi.String(group.EventTimeFeature),
		FeatureDefinitions:          definitions,
		RoleArn:                     roleArn,
		OfflineStoreConfig: &sagemaker.FeatureGroupOfflineStoreConfigArgs{
			S3StorageConfig: &sagemaker.FeatureGroupOfflineStoreConfigS3StorageConfigArgs{
				S3Uri:    pulumi.String(offlineStoreURI),
				KmsKeyId: keyArn,
			},
		},
		OnlineStoreConfig: &sagemaker.FeatureGroupOnlineStoreConfigArgs{
			EnableOnlineStore: pulumi.Bool(group.OnlineStore),
		},
	}
}

// OfflineStoreTrustPolicy lets SageMaker assume the offline-store role, for this
// account's feature groups where SageMaker says whose they are.
//
// AWS's confused-deputy page for SageMaker ("Cross-service confused deputy
// prevention") shows aws:SourceAccount for Studio, training, processing and
// other features, but not for Feature Store, and the cross-account offline
// store procedure gives no trust condition at all: whether Feature Store sends
// the key is not documented. StringEquals would lock Feature Store out of its
// own role if it does not; StringEqualsIfExists keeps the guard wherever the
// key is sent (another account's value is refused) and admits the service
// where it is not. docs/first-deploy.md has the check.
func OfflineStoreTrustPolicy(partition, account string) policy.Document {
	return policy.New(policy.Statement{
		Sid:       "FeatureStoreOfThisAccount",
		Effect:    policy.Allow,
		Principal: &policy.Principal{Service: []string{"sagemaker.amazonaws.com"}},
		Action:    []string{"sts:AssumeRole"},
		Condition: policy.Condition{"StringEqualsIfExists": {"aws:SourceAccount": {account}}},
	})
}

// OfflineStoreRolePolicy is AWS's AmazonSageMakerFeatureStoreAccess narrowed from any
// bucket named *sagemaker* to the offline store itself, so the bucket needs
// no "sagemaker" in its name, plus the key the offline store encrypts with.
func OfflineStoreRolePolicy(partition, bucket, prefix, keyArn string) policy.Document {
	bucketArn := policy.ARN(partition, "s3", "", "", bucket)
	return policy.New(
		policy.Statement{
			Sid:      "ReadTheBucketAcl",
			Effect:   policy.Allow,
			Action:   []string{"s3:GetBucketAcl"},
			Resource: []string{bucketArn},
		},
		policy.Statement{
			Sid:      "WriteTheOfflineStore",
			Effect:   policy.Allow,
			Action:   []string{"s3:PutObject", "s3:PutObjectAcl"},
			Resource: producer.ObjectArns(bucketArn, []string{prefix}),
		},
		policy.Statement{
			Sid:      "EncryptTheOfflineStore",
			Effect:   policy.Allow,
			Action:   []string{"kms:GenerateDataKey"},
			Resource: []string{keyArn},
		},
	)
}

// OfflineStoreReadPolicy lets notebooks read the offline store: list and get under
// its prefix, and decrypt with its key through S3.
func OfflineStoreReadPolicy(partition, region, bucket, prefix, keyArn string) policy.Document {
	bucketArn := policy.ARN(partition, "s3", "", "", bucket)
	return policy.New(producer.ReaderStatements("OfflineStore", region, bucketArn, []string{prefix}, keyArn)...)
}

// OfflineStoreKeyPrincipals are who the key policy names.
type OfflineStoreKeyPrincipals struct {
	Partition, Account, ProducerAccount string
	Administrators                      []string
	OfflineStoreRole                    string
	Readers                             []string
}

// keyAdministration are the key administrators' actions, as in AWS's
// procedure: manage the key, never use it.
var keyAdministration = []string{
	"kms:CancelKeyDeletion", "kms:Create*", "kms:Delete*", "kms:Describe*", "kms:Disable*", "kms:Enable*",
	"kms:Get*", "kms:List*", "kms:Put*", "kms:Revoke*", "kms:ScheduleKeyDeletion", "kms:TagResource",
	"kms:UntagResource", "kms:Update*",
}

// keyUse is what the offline-store role and the producer account may do with
// the key, as in AWS's procedure.
var keyUse = []string{
	"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
	"kms:ListAliases", "kms:ListGrants", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:RetireGrant",
}

// OfflineStoreKeyPolicy follows AWS's cross-account offline store procedure. In a key
// policy the resource "*" is the key itself.
func OfflineStoreKeyPolicy(k OfflineStoreKeyPrincipals) policy.Document {
	key := []string{"*"}
	statements := []policy.Statement{{
		Sid:       "EnableIAMPolicies",
		Effect:    policy.Allow,
		Principal: &policy.Principal{AWS: []string{policy.ARN(k.Partition, "iam", "", k.Account, "root")}},
		Action:    []string{"kms:*"},
		Resource:  key,
	}}
	if len(k.Administrators) > 0 {
		statements = append(statements, policy.Statement{
			Sid:       "KeyAdministrators",
			Effect:    policy.Allow,
			Principal: &policy.Principal{AWS: k.Administrators},
			Action:    keyAdministration,
			Resource:  key,
		})
	}
	statements = append(statements,
		policy.Statement{
			Sid:       "FeatureStoreDescribesTheKey",
			Effect:    policy.Allow,
			Principal: &policy.Principal{Service: []string{"sagemaker.amazonaws.com"}},
			Action:    []string{"kms:Describe*", "kms:Get*", "kms:List*"},
			Resource:  key,
		},
		policy.Statement{
			Sid:    "OfflineStoreRoleAndProducerAccountUseTheKey",
			Effect: policy.Allow,
			// The producer account's root delegates to its own IAM: the
			// producer's principals then read the offline store with an IAM
			// policy of their account allowing kms:Decrypt on this key.
			Principal: &policy.Principal{AWS: []string{k.OfflineStoreRole, policy.ARN(k.Partition, "iam", "", k.ProducerAccount, "root")}},
			Action:    keyUse,
			Resource:  key,
		},
	)
	if len(k.Readers) > 0 {
		statements = append(statements, policy.Statement{
			Sid:       "StudioReadsTheOfflineStore",
			Effect:    policy.Allow,
			Principal: &policy.Principal{AWS: k.Readers},
			Action:    []string{"kms:Decrypt", "kms:DescribeKey"},
			Resource:  key,
		})
	}
	return policy.New(statements...)
}
