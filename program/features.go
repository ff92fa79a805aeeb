package program

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/consumer/notebook"
	"github.com/studio-redshift/studio-redshift/producer"
)

// newFeatures builds the configured sibling features and returns the roles
// the program made for SageMaker to run as, which alone may be passed to it.
func newFeatures(ctx *pulumi.Context, cfg *config.Config, providers accountProviders, studio *consumer.Consumer, producerLogs *producer.LogBucket) (pulumi.StringArray, error) {
	sageMakerRoles := pulumi.StringArray{studio.ExecutionRoleArn}
	if cfg.Athena != nil {
		if err := newAthena(ctx, cfg, studio, providers.producer, providers.consumer, producerLogs); err != nil {
			return nil, err
		}
	}
	if cfg.FeatureStore != nil {
		offlineStoreRole, err := newFeatureStore(ctx, cfg, studio, providers.producer, providers.consumer, producerLogs)
		if err != nil {
			return nil, err
		}
		sageMakerRoles = append(sageMakerRoles, offlineStoreRole)
	}
	return sageMakerRoles, nil
}

// newGuardrails attaches the closed-network guardrails, unless switched off,
// and the VPC endpoint deny, always.
func newGuardrails(ctx *pulumi.Context, cfg *config.Config, provider *aws.Provider, studio *consumer.Consumer, studioVPC *vpc, sageMakerRoles pulumi.StringArray) error {
	guard, err := consumer.NewGuardrails(ctx, "guardrails", &consumer.GuardrailsArgs{
		ExecutionRoleName:    studio.ExecutionRoleName,
		PassableRoleArns:     sageMakerRoles,
		SubnetIDs:            studioVPC.subnetIDs,
		SecurityGroupIDs:     studio.StudioSecurityGroupIDs,
		SageMakerEndpointIDs: studio.SageMakerEndpointIDs,
		Switches: consumer.GuardrailSwitches{
			RequireNetworkIsolation: cfg.Consumer.Guardrails.RequireNetworkIsolation,
			RequireSourceVpce:       cfg.Consumer.Guardrails.RequireSourceVpce,
		},
		Off: !cfg.Consumer.Guardrails.On(),
	}, pulumi.Provider(provider))
	if err != nil {
		return err
	}
	if !cfg.Consumer.Guardrails.On() {
		return nil
	}
	ctx.Export("guardrailPolicyArn", guard.PolicyArn)
	return nil
}

// newAthena lets Studio and Athena in the consumer account read the
// producer's bucket: the bucket side in the producer account, the workgroup
// and catalog in the consumer account.
func newAthena(ctx *pulumi.Context, cfg *config.Config, studio *consumer.Consumer, producerProvider, consumerProvider *aws.Provider, producerLogs *producer.LogBucket) error {
	a := cfg.Athena
	readers := []pulumi.StringInput{studio.ExecutionRoleArn}
	for _, principal := range a.Principals {
		readers = append(readers, pulumi.String(principal))
	}
	data, err := producer.NewDataBucket(ctx, "athena-data", &producer.DataBucketArgs{
		Partition:    cfg.Partition(),
		Region:       cfg.Region,
		Account:      cfg.Producer.AccountID,
		Name:         a.Bucket.Name,
		Create:       a.Bucket.Create,
		KeyArn:       a.Bucket.KMSKeyArn,
		ManagePolicy: a.Bucket.ManagePolicy,
		Prefixes:     a.Bucket.Prefixes,
		AccessLogs:   accessLogs(producerLogs, a.Bucket.ProducerBucket),
		Grants: []producer.BucketGrant{{
			Sid:           "AthenaRead",
			Principals:    readers,
			BucketActions: []string{"s3:GetBucketLocation"},
			List:          true,
			ObjectActions: []string{"s3:GetObject"},
			KeyActions:    []string{"kms:Decrypt"},
		}},
		Protect: cfg.Protect,
	}, pulumi.Provider(producerProvider))
	if err != nil {
		return err
	}
	query, err := consumer.NewAthena(ctx, "athena", &consumer.AthenaArgs{
		Partition:            cfg.Partition(),
		Region:               cfg.Region,
		Account:              cfg.Consumer.AccountID,
		Workgroup:            a.Workgroup,
		ResultsBucket:        a.ResultsBucket(cfg.Consumer.AccountID, cfg.Region),
		ResultsRetentionDays: a.ResultsRetentionDays,
		Database:             a.Database,
		Tables:               a.Tables,
		DataBucket:           a.Bucket.Name,
		DataPrefixes:         a.Bucket.Prefixes,
		DataKeyArn:           data.KeyArn,
		ExecutionRoleName:    studio.ExecutionRoleName,
	}, pulumi.Provider(consumerProvider))
	if err != nil {
		return err
	}

	snippet, err := notebook.AthenaSnippet(notebook.Athena{
		Region: cfg.Region, Workgroup: a.Workgroup, Database: a.Database, Table: a.Tables[0].Name,
	})
	if err != nil {
		return err
	}
	ctx.Export("athenaWorkgroup", query.WorkgroupName)
	ctx.Export("athenaDatabase", query.DatabaseName)
	ctx.Export("athenaTables", query.TableNames)
	ctx.Export("athenaAccessPolicyArn", query.AccessPolicyArn)
	ctx.Export("athenaSnippet", pulumi.String(snippet))
	if !a.Bucket.Create && !a.Bucket.ManagePolicy {
		// The bucket's owner applies (merges) it; see docs/athena-and-feature-store.md.
		ctx.Export("athenaBucketPolicy", data.Policy)
	}
	return nil
}

// newFeatureStore builds the Feature Store whose offline store is the
// producer's bucket, and returns the offline-store role.
func newFeatureStore(ctx *pulumi.Context, cfg *config.Config, studio *consumer.Consumer, producerProvider, consumerProvider *aws.Provider, producerLogs *producer.LogBucket) (pulumi.StringOutput, error) {
	f := cfg.FeatureStore
	featureGroups := f.FeatureGroups
	if !f.BucketReady() {
		// First of two steps: the role exists only after this run, and the
		// bucket's owner must admit it before any feature group writes.
		featureGroups = nil
		if err := ctx.Log.Warn(featureGroupsPending(f), nil); err != nil {
			return pulumi.StringOutput{}, err
		}
	}
	var studioRole *consumer.OfflineStoreRole
	if f.StudioReadAccess {
		studioRole = &consumer.OfflineStoreRole{Name: studio.ExecutionRoleName, Arn: studio.ExecutionRoleArn}
	}
	store, err := consumer.NewFeatureStore(ctx, "feature-store", &consumer.FeatureStoreArgs{
		ConsumerProvider:  consumerProvider,
		ProducerProvider:  producerProvider,
		Partition:         cfg.Partition(),
		Region:            cfg.Region,
		Account:           cfg.Consumer.AccountID,
		ProducerAccount:   cfg.Producer.AccountID,
		Bucket:            f.Bucket,
		AccessLogs:        accessLogs(producerLogs, f.Bucket),
		Prefix:            f.Prefix,
		KeyAdministrators: f.KeyAdministrators,
		StudioRole:        studioRole,
		FeatureGroups:     featureGroups,
		Protect:           cfg.Protect,
	})
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	ctx.Export("featureGroups", store.FeatureGroupNames)
	ctx.Export("offlineStoreUri", store.OfflineStoreURI)
	ctx.Export("featureStoreKeyArn", store.KeyArn)
	if f.OwnerAppliesPolicy() {
		ctx.Export("featureStoreBucketPolicy", store.BucketPolicy)
	}
	return store.RoleArn, nil
}

// featureGroupsPending tells the engineer running pulumi up what the second
// step of an existing, owner-managed offline store bucket is.
func featureGroupsPending(f *config.FeatureStore) string {
	names := make([]string, len(f.FeatureGroups))
	for i, group := range f.FeatureGroups {
		names[i] = group.Name
	}
	return fmt.Sprintf("featureStore: feature groups %s are not created yet. Step 1 of 2 is done: "+
		"the owner of bucket %s must now merge the stack output featureStoreBucketPolicy "+
		"(pulumi stack output featureStoreBucketPolicy) into the bucket's policy. "+
		"Step 2: then set featureStore.bucketPolicyApplied: true and run pulumi up again.",
		strings.Join(names, ", "), f.Bucket.Name)
}
