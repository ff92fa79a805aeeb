package consumer

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
	"github.com/studio-redshift/studio-redshift/producer"
)

const (
	offlineStoreBucket = "producer-feature-store"
	offlineStorePrefix = "offline-store/"
	keyAdministrator   = "arn:aws:iam::222222222222:role/platform-key-admins"
	featureGroupType   = "aws:sagemaker/featureGroup:FeatureGroup"
	studioReadPolicy   = "feature-store-studio-read"
	offlineStoreAccess = "feature-store-offline-store-access"
)

// featureStoreVariant is what changes between program/'s Feature Store
// configurations.
type featureStoreVariant struct {
	create, managePolicy, studioRead, protect bool
	groups                                    []config.FeatureGroup
}

var customerFeatures = []config.FeatureGroup{
	{
		Name: "customer-features", RecordIdentifier: "customer_id", EventTimeFeature: "event_time", OnlineStore: true,
		Features: []config.Feature{
			{Name: "customer_id", Type: "String"}, {Name: "event_time", Type: "String"}, {Name: "lifetime_value", Type: "Fractional"},
		},
	},
	{
		Name: "order-features", RecordIdentifier: "order_id", EventTimeFeature: "event_time",
		Features: []config.Feature{{Name: "order_id", Type: "String"}, {Name: "event_time", Type: "String"}, {Name: "items", Type: "Integral"}},
	},
}

// runFeatureStore registers the Feature Store across the producer account
// (providers[0]) and the consumer account (providers[1]), as program/ does,
// with the Studio execution role as the reader when the variant asks.
func runFeatureStore(t *testing.T, v featureStoreVariant) *offline.Result {
	t.Helper()
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		args := &FeatureStoreArgs{
			ProducerProvider:  providers[0].(*aws.Provider),
			ConsumerProvider:  providers[1].(*aws.Provider),
			Partition:         "aws",
			Region:            testRegion,
			Account:           consumerAccount,
			ProducerAccount:   producerAccount,
			Bucket:            config.ProducerBucket{Name: offlineStoreBucket, Create: v.create, ManagePolicy: v.managePolicy},
			Prefix:            offlineStorePrefix,
			KeyAdministrators: []string{keyAdministrator},
			FeatureGroups:     v.groups,
			Protect:           v.protect,
		}
		if v.create {
			args.AccessLogs = &producer.AccessLogs{Bucket: pulumi.String("producer-access-logs-111111111111"), Prefix: "s3/" + offlineStoreBucket + "/"}
		}
		if v.studioRead {
			args.StudioRole = &OfflineStoreRole{Name: pulumi.String(guardedRoleName), Arn: pulumi.String(guardedRoleArn)}
		}
		store, err := NewFeatureStore(ctx, "feature-store", args)
		if err != nil {
			return err
		}
		ctx.Export("roleArn", store.RoleArn)
		ctx.Export("keyArn", store.KeyArn)
		ctx.Export("offlineStoreUri", store.OfflineStoreURI)
		ctx.Export("bucketPolicy", store.BucketPolicy)
		ctx.Export("featureGroupNames", store.FeatureGroupNames)
		return nil
	}, testRegion, producerAccount, consumerAccount)
	require.NoError(t, err)
	return result
}

// TestFeatureStoreAccounts: the role, its policies, the key and the feature
// groups are the consumer account's; the bucket and its policy the
// producer's; all of it under the component.
func TestFeatureStoreAccounts(t *testing.T) {
	result := runFeatureStore(t, featureStoreVariant{create: true, studioRead: true, protect: true, groups: customerFeatures})
	for _, r := range result.Resources() {
		if !r.InAWS() {
			continue
		}
		ancestor := r
		for ancestor.Type != "studioredshift:index:FeatureStore" {
			parent, ok := result.ByURN(ancestor.Parent)
			require.True(t, ok, "%s %s sits under the Feature Store", r.Type, r.Name)
			ancestor = parent
		}
		want := consumerAccount
		if parentType(t, result, r) == "studioredshift:index:DataBucket" {
			want = producerAccount
		}
		assert.Equal(t, want, r.Account, "%s %s", r.Type, r.Name)
	}
	assert.Equal(t, producerAccount, mustNamed(t, result, "aws:s3/bucketV2:BucketV2", "feature-store-offline").Account)
	assert.Equal(t, producerAccount, mustNamed(t, result, "aws:s3/bucketPolicy:BucketPolicy", "feature-store-offline-policy").Account)
	assert.Equal(t, consumerAccount, mustNamed(t, result, kmsKeyType, "feature-store-key").Account)
}

// TestFeatureStoreOfflineStoreRole: SageMaker of this account assumes it, and
// it may write the offline store's prefix and nothing else of the bucket.
func TestFeatureStoreOfflineStoreRole(t *testing.T) {
	result := runFeatureStore(t, featureStoreVariant{create: true, groups: customerFeatures})
	role := mustNamed(t, result, roleType, "feature-store-offline-store-role")
	trust := document(t, role.String("assumeRolePolicy"))
	require.Len(t, trust.Statement, 1)
	s := trust.Statement[0]
	assert.Equal(t, []string{"sagemaker.amazonaws.com"}, s.Principal.Service)
	assert.Empty(t, s.Principal.AWS)
	assert.Equal(t, []string{"sts:AssumeRole"}, s.Action)
	assert.Equal(t, []string{consumerAccount}, s.Condition["StringEqualsIfExists"]["aws:SourceAccount"],
		"another account's feature group is refused wherever SageMaker says whose it is")

	key := mustNamed(t, result, kmsKeyType, "feature-store-key")
	access := mustNamed(t, result, rolePolicyType, offlineStoreAccess)
	assert.Equal(t, role.ID, access.String("role"))
	d := document(t, access.String("policy"))
	assert.Equal(t, []string{"arn:aws:s3:::producer-feature-store"}, statement(t, d, "ReadTheBucketAcl").Resource)
	write := statement(t, d, "WriteTheOfflineStore")
	assert.ElementsMatch(t, []string{"s3:PutObject", "s3:PutObjectAcl"}, write.Action)
	assert.Equal(t, []string{"arn:aws:s3:::producer-feature-store/offline-store/*"}, write.Resource, "the prefix only")
	assert.Equal(t, []string{key.Output("arn").(string)}, statement(t, d, "EncryptTheOfflineStore").Resource)
	assert.Equal(t, role.Output("arn"), result.Outputs["roleArn"])
}

// TestFeatureStoreKey: protected as configured and always retained, and its
// policy names the offline-store role, the producer account, the
// administrators and, when Studio reads, the execution role.
func TestFeatureStoreKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    featureStoreVariant
	}{
		{"protected, Studio reads", featureStoreVariant{create: true, studioRead: true, protect: true, groups: customerFeatures}},
		{"unprotected, no Studio reader", featureStoreVariant{create: true, groups: customerFeatures}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			result := runFeatureStore(t, tc.v)
			key := mustNamed(t, result, kmsKeyType, "feature-store-key")
			role := mustNamed(t, result, roleType, "feature-store-offline-store-role")
			assert.Equal(t, tc.v.protect, key.Protect)
			assert.True(t, key.RetainOnDelete, "a deleted key makes the offline store unreadable")
			assert.Equal(t, true, key.Input("enableKeyRotation"))
			assert.Equal(t, key.Output("arn"), result.Outputs["keyArn"])

			d := document(t, key.String("policy"))
			root := statement(t, d, "EnableIAMPolicies")
			assert.Equal(t, []string{"arn:aws:iam::222222222222:root"}, root.Principal.AWS)
			admins := statement(t, d, "KeyAdministrators")
			assert.Equal(t, []string{keyAdministrator}, admins.Principal.AWS)
			assert.NotContains(t, admins.Action, "kms:Decrypt", "administrators manage the key, never use it")
			use := statement(t, d, "OfflineStoreRoleAndProducerAccountUseTheKey")
			assert.ElementsMatch(t, []string{role.Output("arn").(string), "arn:aws:iam::111111111111:root"}, use.Principal.AWS)
			if tc.v.studioRead {
				reader := statement(t, d, "StudioReadsTheOfflineStore")
				assert.Equal(t, []string{guardedRoleArn}, reader.Principal.AWS)
				assert.ElementsMatch(t, []string{"kms:Decrypt", "kms:DescribeKey"}, reader.Action)
			} else {
				assert.NotContains(t, sids(d), "StudioReadsTheOfflineStore")
			}
		})
	}
}

// TestFeatureStoreStudioRead: a Studio reader gets a read policy on its own
// role and a read grant in the bucket policy; without one, neither exists.
func TestFeatureStoreStudioRead(t *testing.T) {
	for _, studioRead := range []bool{true, false} {
		result := runFeatureStore(t, featureStoreVariant{create: true, studioRead: studioRead, groups: customerFeatures})
		read, hasRead := result.Named(rolePolicyType, studioReadPolicy)
		assert.Equal(t, studioRead, hasRead)
		bucketPolicy := document(t, mustNamed(t, result, "aws:s3/bucketPolicy:BucketPolicy", "feature-store-offline-policy").String("policy"))
		role := mustNamed(t, result, roleType, "feature-store-offline-store-role")
		write := statement(t, bucketPolicy, "OfflineStoreWriteObjects")
		assert.Equal(t, []string{role.Output("arn").(string)}, write.Principal.AWS)
		assert.Equal(t, []string{"arn:aws:s3:::producer-feature-store/offline-store/*"}, write.Resource)
		if !studioRead {
			assert.NotContains(t, sids(bucketPolicy), "StudioReadObjects")
			continue
		}
		assert.Equal(t, guardedRoleName, read.String("role"))
		d := document(t, read.String("policy"))
		assert.Equal(t, []string{"arn:aws:s3:::producer-feature-store/offline-store/*"}, statement(t, d, "OfflineStoreObjects").Resource)
		assert.Equal(t, []string{offlineStorePrefix + "*"}, statement(t, d, "OfflineStoreList").Condition["StringLike"]["s3:prefix"])
		key := mustNamed(t, result, kmsKeyType, "feature-store-key")
		assert.Equal(t, []string{key.Output("arn").(string)}, statement(t, d, "OfflineStoreDecrypt").Resource)

		studio := statement(t, bucketPolicy, "StudioReadObjects")
		assert.Equal(t, []string{guardedRoleArn}, studio.Principal.AWS)
		assert.Equal(t, []string{"s3:GetObject"}, studio.Action)
		assert.Equal(t, policy.Allow, studio.Effect)
	}
}

// TestFeatureStoreFeatureGroups: one group per configured group, writing
// the offline store with the role and the key, waiting for the role's policy
// and the bucket's grants, protected as configured.
func TestFeatureStoreFeatureGroups(t *testing.T) {
	for _, protect := range []bool{true, false} {
		result := runFeatureStore(t, featureStoreVariant{create: true, protect: protect, groups: customerFeatures})
		role := mustNamed(t, result, roleType, "feature-store-offline-store-role")
		key := mustNamed(t, result, kmsKeyType, "feature-store-key")
		rolePolicy := mustNamed(t, result, rolePolicyType, offlineStoreAccess)
		bucketPolicy := mustNamed(t, result, "aws:s3/bucketPolicy:BucketPolicy", "feature-store-offline-policy")
		require.Len(t, result.OfType(featureGroupType), len(customerFeatures))
		for _, want := range customerFeatures {
			group := mustNamed(t, result, featureGroupType, "feature-store-"+want.Name)
			assert.Equal(t, consumerAccount, group.Account)
			assert.Equal(t, protect, group.Protect, "%s: its online store holds data", want.Name)
			assert.Equal(t, want.Name, group.String("featureGroupName"))
			assert.Equal(t, want.RecordIdentifier, group.String("recordIdentifierFeatureName"))
			assert.Equal(t, want.EventTimeFeature, group.String("eventTimeFeatureName"))
			assert.Equal(t, role.Output("arn"), group.String("roleArn"))
			storage := field(group.Input("offlineStoreConfig"), "s3StorageConfig")
			assert.Equal(t, "s3://producer-feature-store/offline-store/", field(storage, "s3Uri"))
			assert.Equal(t, key.Output("arn"), field(storage, "kmsKeyId"))
			assert.Equal(t, want.OnlineStore, field(group.Input("onlineStoreConfig"), "enableOnlineStore"))
			definitions, _ := group.Input("featureDefinitions").([]any)
			assert.Len(t, definitions, len(want.Features))
			assert.Contains(t, group.Dependencies, rolePolicy.URN, "%s waits until the role may write", want.Name)
			assert.Contains(t, group.Dependencies, bucketPolicy.URN, "%s waits until the bucket admits the role", want.Name)
		}
		assert.Equal(t, []any{"customer-features", "order-features"}, result.Outputs["featureGroupNames"])
		assert.Equal(t, "s3://producer-feature-store/offline-store/", result.Outputs["offlineStoreUri"])
	}
}

// TestFeatureStoreBucketOwnerAppliesPolicy: with an existing bucket whose
// owner applies the policy, nothing is written to the bucket, the policy is
// still an output, and no feature group is created before the owner has
// applied it (step one of two: program/ passes none).
func TestFeatureStoreBucketOwnerAppliesPolicy(t *testing.T) {
	result := runFeatureStore(t, featureStoreVariant{studioRead: true})
	assert.Empty(t, result.OfType("aws:s3/bucketV2:BucketV2"))
	assert.Empty(t, result.OfType("aws:s3/bucketPolicy:BucketPolicy"), "the owner merges it into the bucket's own")
	assert.Empty(t, result.OfType(featureGroupType))
	mustNamed(t, result, roleType, "feature-store-offline-store-role")
	mustNamed(t, result, kmsKeyType, "feature-store-key")

	text, _ := result.Outputs["bucketPolicy"].(string)
	d := document(t, text)
	role := mustNamed(t, result, roleType, "feature-store-offline-store-role")
	assert.Equal(t, []string{role.Output("arn").(string)}, statement(t, d, "OfflineStoreWriteObjects").Principal.AWS)
	assert.Equal(t, []string{guardedRoleArn}, statement(t, d, "StudioReadObjects").Principal.AWS)
	assert.Equal(t, []any{}, result.Outputs["featureGroupNames"])
}

// TestFeatureStoreManagedExistingBucket: an existing bucket whose policy the
// program manages gets the policy and no new bucket; the groups wait for it.
func TestFeatureStoreManagedExistingBucket(t *testing.T) {
	result := runFeatureStore(t, featureStoreVariant{managePolicy: true, groups: customerFeatures[:1]})
	assert.Empty(t, result.OfType("aws:s3/bucketV2:BucketV2"))
	bucketPolicy := mustNamed(t, result, "aws:s3/bucketPolicy:BucketPolicy", "feature-store-offline-policy")
	assert.Equal(t, producerAccount, bucketPolicy.Account)
	assert.Equal(t, offlineStoreBucket, bucketPolicy.String("bucket"))
	group := mustNamed(t, result, featureGroupType, "feature-store-customer-features")
	assert.Contains(t, group.Dependencies, bucketPolicy.URN)
}
