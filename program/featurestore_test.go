package program

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

const (
	featureGroupType = "aws:sagemaker/featureGroup:FeatureGroup"
	offlineBucket    = "feature-offline-store-111111111111-us-east-1"
)

func existingOfflineStore(onlineStore bool) map[string]any {
	return map[string]any{
		"bucket":            map[string]any{"name": "existing-offline"},
		"keyAdministrators": []any{"arn:aws:iam::222222222222:role/Administrator"},
		"featureGroups": []any{map[string]any{
			"name": "orders", "recordIdentifier": "order_id", "eventTimeFeature": "event_time", "onlineStore": onlineStore,
			"features": []any{
				map[string]any{"name": "order_id", "type": "String"},
				map[string]any{"name": "event_time", "type": "String"},
			},
		}},
	}
}

func TestFeatureStoreKeyPolicy(t *testing.T) {
	result := run(t, demoConfig(t))
	key := one(t, result, keyType, "feature-store-key")
	role := one(t, result, roleType, "feature-store-offline-store-role")
	executionRoleArn := one(t, result, roleType, "consumer-execution-role").Output("arn").(string)

	assert.Equal(t, "consumer", key.Provider, "the key belongs to the account of the feature groups")
	assert.Equal(t, true, key.Input("enableKeyRotation"))
	assert.True(t, key.Protect)

	doc := parsePolicy(t, key, "policy")
	assert.Equal(t, []string{"arn:aws:iam::222222222222:root"}, statement(t, doc, "EnableIAMPolicies").Principal.AWS)
	describe := statement(t, doc, "FeatureStoreDescribesTheKey")
	assert.Equal(t, &policy.Principal{Service: []string{"sagemaker.amazonaws.com"}}, describe.Principal)
	assert.Equal(t, []string{"kms:Describe*", "kms:Get*", "kms:List*"}, describe.Action)

	use := statement(t, doc, "OfflineStoreRoleAndProducerAccountUseTheKey")
	assert.Equal(t, []string{role.Output("arn").(string), "arn:aws:iam::111111111111:root"}, use.Principal.AWS,
		"the offline-store role and the producer account, by their ARNs")
	assert.ElementsMatch(t, []string{
		"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant", "kms:ReEncryptFrom",
		"kms:ReEncryptTo", "kms:GenerateDataKey", "kms:ListAliases", "kms:ListGrants",
	}, use.Action)

	read := statement(t, doc, "StudioReadsTheOfflineStore")
	assert.Equal(t, []string{executionRoleArn}, read.Principal.AWS)
	assert.Equal(t, []string{"kms:Decrypt", "kms:DescribeKey"}, read.Action)
	assert.NotContains(t, sids(doc), "KeyAdministrators", "none configured in the demo stack")

	withAdmins := parsePolicy(t, one(t, run(t, withObject(t, "featureStore", existingOfflineStore(false))), keyType, "feature-store-key"), "policy")
	admins := statement(t, withAdmins, "KeyAdministrators")
	assert.Equal(t, []string{"arn:aws:iam::222222222222:role/Administrator"}, admins.Principal.AWS)
	assert.Contains(t, admins.Action, "kms:ScheduleKeyDeletion")
	assert.NotContains(t, admins.Action, "kms:Decrypt", "administrators manage the key, they do not use it")
}

func TestFeatureStoreOfflineRole(t *testing.T) {
	result := run(t, demoConfig(t))
	role := one(t, result, roleType, "feature-store-offline-store-role")
	key := one(t, result, keyType, "feature-store-key")

	trust := parsePolicy(t, role, "assumeRolePolicy")
	assert.Equal(t, &policy.Principal{Service: []string{"sagemaker.amazonaws.com"}}, trust.Statement[0].Principal)
	assert.Equal(t, policy.Condition{"StringEqualsIfExists": {"aws:SourceAccount": {consumerAccount}}}, trust.Statement[0].Condition)
	// AWS does not document whether Feature Store sends aws:SourceAccount:
	// the trust admits it either way for this account, and refuses it for
	// another account's feature group where the key says so.
	assume := func(principal string, context map[string]string) bool {
		return allows(trust, request{principal: principal, action: "sts:AssumeRole", context: context})
	}
	assert.True(t, assume("sagemaker.amazonaws.com", map[string]string{"aws:SourceAccount": consumerAccount}), "this account's feature group, key sent")
	assert.True(t, assume("sagemaker.amazonaws.com", map[string]string{}), "key not sent: the service is not locked out")
	assert.False(t, assume("sagemaker.amazonaws.com", map[string]string{"aws:SourceAccount": "333333333333"}), "another account's feature group")
	assert.False(t, assume("arn:aws:iam::333333333333:root", map[string]string{}), "no one but the service")

	access := parsePolicy(t, one(t, result, rolePolicyType, "feature-store-offline-store-access"), "policy")
	assert.Equal(t, []string{"arn:aws:s3:::" + offlineBucket}, statement(t, access, "ReadTheBucketAcl").Resource,
		"narrowed from *sagemaker* buckets to the offline store")
	write := statement(t, access, "WriteTheOfflineStore")
	assert.Equal(t, []string{"s3:PutObject", "s3:PutObjectAcl"}, write.Action)
	assert.Equal(t, []string{"arn:aws:s3:::" + offlineBucket + "/offline-store/*"}, write.Resource)
	encrypt := statement(t, access, "EncryptTheOfflineStore")
	assert.Equal(t, []string{"kms:GenerateDataKey"}, encrypt.Action)
	assert.Equal(t, []string{key.Output("arn").(string)}, encrypt.Resource)
}

func TestFeatureStoreBucketPolicy(t *testing.T) {
	result := run(t, demoConfig(t))
	roleArn := one(t, result, roleType, "feature-store-offline-store-role").Output("arn").(string)
	executionRoleArn := one(t, result, roleType, "consumer-execution-role").Output("arn").(string)
	bucket := one(t, result, bucketType, "feature-store-offline")
	assert.Equal(t, "producer", bucket.Provider, "the offline store lives in the producer account")
	assert.True(t, bucket.Protect)

	doc := parsePolicy(t, one(t, result, bucketPolicyType, "feature-store-offline-policy"), "policy")
	bucketArn := "arn:aws:s3:::" + offlineBucket
	writer := &policy.Principal{AWS: []string{roleArn}}
	acl := statement(t, doc, "OfflineStoreWriteBucket")
	assert.Equal(t, writer, acl.Principal, "exactly the offline-store role")
	assert.Equal(t, []string{"s3:GetBucketAcl"}, acl.Action)
	assert.Equal(t, []string{bucketArn}, acl.Resource)
	objects := statement(t, doc, "OfflineStoreWriteObjects")
	assert.Equal(t, writer, objects.Principal)
	assert.Equal(t, []string{"s3:PutObject", "s3:PutObjectAcl"}, objects.Action)
	assert.Equal(t, []string{bucketArn + "/offline-store/*"}, objects.Resource)

	for _, sid := range []string{"StudioReadBucket", "StudioReadList", "StudioReadObjects"} {
		assert.Equal(t, []string{executionRoleArn}, statement(t, doc, sid).Principal.AWS, sid)
	}
	assert.Equal(t, []string{"s3:GetObject"}, statement(t, doc, "StudioReadObjects").Action, "notebooks read, never write")
	assertNoVPCCondition(t, doc)

	// The reader's own account must allow the cross-account read too.
	read := parsePolicy(t, one(t, result, rolePolicyType, "feature-store-studio-read"), "policy")
	assert.Equal(t, one(t, result, roleType, "consumer-execution-role").ID, one(t, result, rolePolicyType, "feature-store-studio-read").String("role"))
	assert.Equal(t, []string{bucketArn + "/offline-store/*"}, statement(t, read, "OfflineStoreObjects").Resource)
	assert.Equal(t, []string{one(t, result, keyType, "feature-store-key").Output("arn").(string)}, statement(t, read, "OfflineStoreDecrypt").Resource)
}

func TestFeatureGroup(t *testing.T) {
	result := run(t, demoConfig(t))
	group := one(t, result, featureGroupType, "feature-store-customer-features")
	role := one(t, result, roleType, "feature-store-offline-store-role")
	key := one(t, result, keyType, "feature-store-key")

	assert.Equal(t, "consumer", group.Provider)
	assert.Equal(t, "customer-features", group.String("featureGroupName"))
	assert.Equal(t, "customer_id", group.String("recordIdentifierFeatureName"))
	assert.Equal(t, "event_time", group.String("eventTimeFeatureName"))
	assert.Equal(t, role.Output("arn"), group.String("roleArn"))
	assert.Equal(t, map[string]any{"s3StorageConfig": map[string]any{
		"s3Uri":    "s3://" + offlineBucket + "/offline-store/",
		"kmsKeyId": key.Output("arn"),
	}}, group.Input("offlineStoreConfig"), "the offline store is the producer's bucket, encrypted with the consumer's key")
	assert.Equal(t, map[string]any{"enableOnlineStore": true}, group.Input("onlineStoreConfig"))
	assert.Equal(t, []any{
		map[string]any{"featureName": "customer_id", "featureType": "Integral"},
		map[string]any{"featureName": "event_time", "featureType": "Fractional"},
		map[string]any{"featureName": "lifetime_value", "featureType": "Fractional"},
		map[string]any{"featureName": "segment", "featureType": "String"},
	}, group.Input("featureDefinitions"))
	assert.True(t, group.Protect, "an online store holds data")
	assert.Contains(t, group.Dependencies, one(t, result, bucketPolicyType, "feature-store-offline-policy").URN,
		"written to only once the bucket admits the role")
	assert.Contains(t, group.Dependencies, one(t, result, rolePolicyType, "feature-store-offline-store-access").URN)

	assert.Equal(t, []any{"customer-features"}, result.Outputs["featureGroups"])
	assert.Equal(t, "s3://"+offlineBucket+"/offline-store/", result.Outputs["offlineStoreUri"])
	assert.Equal(t, key.Output("arn"), result.Outputs["featureStoreKeyArn"])

	endpoint := one(t, result, endpointType, "consumer-endpoint-sagemaker-featurestore-runtime")
	assert.Equal(t, "com.amazonaws.us-east-1.sagemaker.featurestore-runtime", endpoint.String("serviceName"))

	passRole := statement(t, guardrailDocument(t, result), "DenyPassingOtherRolesToSageMaker")
	assert.ElementsMatch(t, []string{one(t, result, roleType, "consumer-execution-role").Output("arn").(string), role.Output("arn").(string)},
		passRole.NotResource, "the offline-store role may be passed to SageMaker too")
}

// An existing bucket whose owner applies the policy takes two runs: the
// first makes the role and the policy to apply, and no feature group; the
// second, once the owner has applied it, the feature groups.
func TestFeatureStoreWithAnExistingBucket(t *testing.T) {
	firstRun := run(t, withObject(t, "featureStore", existingOfflineStore(false)))
	assert.Empty(t, firstRun.OfType(featureGroupType), "no feature group before the owner applied the policy")
	assert.Equal(t, []any{}, firstRun.Outputs["featureGroups"])
	_, err := policy.Parse(firstRun.Outputs["featureStoreBucketPolicy"].(string))
	require.NoError(t, err, "the policy to apply is there from the first run")
	message := featureGroupsPending(&config.FeatureStore{Bucket: config.ProducerBucket{Name: "existing-offline"},
		FeatureGroups: []config.FeatureGroup{{Name: "orders"}, {Name: "returns"}}})
	for _, want := range []string{"orders, returns", "existing-offline", "featureStoreBucketPolicy", "featureStore.bucketPolicyApplied: true", "pulumi up again"} {
		assert.Contains(t, message, want, "the warning says what to do next")
	}

	secondStep := existingOfflineStore(false)
	secondStep["bucketPolicyApplied"] = true
	result := run(t, withObject(t, "featureStore", secondStep))
	assert.Equal(t, []any{"orders"}, result.Outputs["featureGroups"], "created on the second run")
	for _, bucket := range result.OfType(bucketType) {
		assert.NotContains(t, bucket.Name, "feature", "an existing bucket is not created: %s", bucket.URN)
	}
	for _, bucketPolicy := range result.OfType(bucketPolicyType) {
		assert.NotContains(t, bucketPolicy.Name, "feature", "nor its policy replaced: %s", bucketPolicy.URN)
	}
	doc, err := policy.Parse(result.Outputs["featureStoreBucketPolicy"].(string))
	require.NoError(t, err)
	assert.Equal(t, []string{one(t, result, roleType, "feature-store-offline-store-role").Output("arn").(string)},
		statement(t, doc, "OfflineStoreWriteObjects").Principal.AWS, "the statements its owner must apply")
	_, studioRead := result.Named(rolePolicyType, "feature-store-studio-read")
	assert.False(t, studioRead, "no notebook read unless studioReadAccess")
	_, endpoint := result.Named(endpointType, "consumer-endpoint-sagemaker-featurestore-runtime")
	assert.False(t, endpoint, "no runtime endpoint without an online store")
	assert.Equal(t, map[string]any{"enableOnlineStore": false}, one(t, result, featureGroupType, "feature-store-orders").Input("onlineStoreConfig"))
}

// withFeature returns the demo stack with one more feature, appended to the
// end of the first feature group's list.
func withFeature(t *testing.T, name, featureType string) map[string]string {
	t.Helper()
	values := demoConfig(t)
	var featureStore map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:featureStore"]), &featureStore))
	group := featureStore["featureGroups"].([]any)[0].(map[string]any)
	group["features"] = append(group["features"].([]any), map[string]any{"name": name, "type": featureType})
	text, err := json.Marshal(featureStore)
	require.NoError(t, err)
	values["studio-redshift:featureStore"] = string(text)
	return values
}

// TestAddingAFeatureChangesOnlyItsGroupsDefinitions runs the demo stack
// before and after a feature is added. The provider replaces a feature group
// whose definitions change (terraform-provider-aws #36784), which deletes
// its online store: the change must be the definitions alone, on a protected
// group, so that `pulumi up` stops instead, and the runbook of
// docs/athena-and-feature-store.md (add the feature through
// UpdateFeatureGroup, then `pulumi refresh`) leaves the configuration equal
// to what AWS then reports.
func TestAddingAFeatureChangesOnlyItsGroupsDefinitions(t *testing.T) {
	before, after := run(t, demoConfig(t)), run(t, withFeature(t, "churn_risk", "Fractional"))
	inputs := func(result *offline.Result) map[string]resource.PropertyMap {
		byURN := map[string]resource.PropertyMap{}
		for _, r := range result.Resources() {
			byURN[r.URN] = r.Inputs
		}
		return byURN
	}
	old, changed := inputs(before), inputs(after)
	require.Equal(t, slices.Sorted(maps.Keys(old)), slices.Sorted(maps.Keys(changed)), "no resource added or removed")
	group := one(t, after, featureGroupType, "feature-store-customer-features")
	for urn, was := range old {
		if urn == group.URN {
			continue
		}
		assert.Equal(t, was, changed[urn], "%s does not change", urn)
	}
	var differing []string
	for key, value := range changed[group.URN] {
		if !value.DeepEquals(old[group.URN][key]) {
			differing = append(differing, string(key))
		}
	}
	assert.Equal(t, []string{"featureDefinitions"}, differing, "the definitions alone change, and they replace the group")
	assert.True(t, group.Protect, "so `pulumi up` stops before the replacement deletes the online store")

	// UpdateFeatureGroup's FeatureAdditions appends to the group's
	// definitions; after `pulumi refresh` the state holds them in that order,
	// which is the order the configuration lists them in.
	reported := append(one(t, before, featureGroupType, "feature-store-customer-features").Input("featureDefinitions").([]any),
		map[string]any{"featureName": "churn_risk", "featureType": "Fractional"})
	assert.Equal(t, reported, group.Input("featureDefinitions"), "after the runbook, the configuration matches AWS: no diff")
}
