package consumer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// TestConsumerTeamSettingsOnEveryProfile: the team's idle timeout, default
// instance type, space storage and hidden types land on each user profile,
// and the domain carries none of them.
func TestConsumerTeamSettingsOnEveryProfile(t *testing.T) {
	args := consumerFixture()
	args.Team.IdleTimeoutMinutes = 120
	args.Team.SpaceStorageGb = 50
	result := runConsumer(t, args)

	for _, user := range args.UserProfiles {
		settings := mustNamed(t, result, userProfileType, "consumer-user-"+user).Input("userSettings")
		for _, app := range []string{"jupyterLabAppSettings", "codeEditorAppSettings"} {
			idle := field(settings, app, "appLifecycleManagement", "idleSettings")
			assert.Equal(t, "ENABLED", field(idle, "lifecycleManagement"), "%s %s", user, app)
			assert.Equal(t, float64(120), field(idle, "idleTimeoutInMinutes"), "%s %s", user, app)
			assert.Equal(t, float64(60), field(idle, "minIdleTimeoutInMinutes"), "users may shorten it to AWS's least")
			assert.Equal(t, float64(120), field(idle, "maxIdleTimeoutInMinutes"), "and not lengthen it")
		}
		assert.Equal(t, "ml.t3.medium", field(settings, "jupyterLabAppSettings", "defaultResourceSpec", "instanceType"), "the first listed type")
		storage := field(settings, "spaceStorageSettings", "defaultEbsStorageSettings")
		assert.Equal(t, float64(50), field(storage, "defaultEbsVolumeSizeInGb"))
		assert.Equal(t, float64(50), field(storage, "maximumEbsVolumeSizeInGb"))
		hidden := strs(field(settings, "studioWebPortalSettings", "hiddenInstanceTypes"))
		assert.NotEmpty(t, hidden)
		assert.NotContains(t, hidden, "ml.t3.medium")
		assert.NotContains(t, hidden, "ml.m5.large")
		assert.Contains(t, hidden, "ml.p4d.24xlarge")
		assert.Equal(t, map[string]any{"studio-user": user}, mustNamed(t, result, userProfileType, "consumer-user-"+user).Input("tags"),
			"the cost-allocation tag")
	}
	domain := mustNamed(t, result, domainType, "consumer-domain")
	assert.Nil(t, field(domain.Input("defaultUserSettings"), "jupyterLabAppSettings"), "nothing of the team's on the domain")
	assert.Nil(t, field(domain.Input("defaultUserSettings"), "spaceStorageSettings"))
}

// TestConsumerInstanceTypeDeny: the execution role's inline deny names the
// listed types (and Studio Classic's system instance), for requests that name
// a type.
func TestConsumerInstanceTypeDeny(t *testing.T) {
	result := runConsumer(t, consumerFixture())
	inline := mustNamed(t, result, rolePolicyType, "consumer-instance-types")
	assert.Equal(t, mustNamed(t, result, roleType, "consumer-execution-role").Output("name"), inline.String("role"))
	deny := statement(t, document(t, inline.String("policy")), "DenyUnlistedInstanceTypes")
	assert.Equal(t, policy.Deny, deny.Effect)
	assert.ElementsMatch(t, []string{"sagemaker:CreateApp", "sagemaker:CreateSpace", "sagemaker:UpdateSpace"}, deny.Action)
	assert.Equal(t, policy.Condition{
		"ForAnyValue:StringNotEquals": {"sagemaker:InstanceTypes": {"ml.t3.medium", "ml.m5.large", "system"}},
		"Null":                        {"sagemaker:InstanceTypes": {"false"}},
	}, deny.Condition)
}

// TestConsumerUserData: the bucket of per-user data is the configured name,
// protected and kept, encrypted with its own kept key, logged to the ML
// account's log bucket; the execution role's grant is one set of statements
// keyed by the caller's SourceIdentity, and the bucket denies the role every
// other user's prefix.
func TestConsumerUserData(t *testing.T) {
	for _, protect := range []bool{true, false} {
		args := consumerFixture()
		args.Protect = protect
		result := runConsumer(t, args)
		const name = "studio-users-caab89fc-222222222222-us-east-1"
		const arn = "arn:aws:s3:::" + name
		assert.Equal(t, name, result.Outputs["userDataBucket"])

		bucket := mustNamed(t, result, "aws:s3/bucketV2:BucketV2", "consumer-user-data")
		assert.Equal(t, name, bucket.String("bucket"))
		assert.Equal(t, protect, bucket.Protect)
		assert.True(t, bucket.RetainOnDelete, "users' data outlives the stack")
		key := mustNamed(t, result, kmsKeyType, "consumer-user-data-key")
		assert.Equal(t, protect, key.Protect)
		assert.True(t, key.RetainOnDelete)
		assert.Equal(t, true, key.Input("enableKeyRotation"))
		encryption := mustNamed(t, result, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "consumer-user-data-encryption")
		rules, _ := encryption.Input("rules").([]any)
		require.Len(t, rules, 1)
		assert.Equal(t, "aws:kms", field(rules[0], "applyServerSideEncryptionByDefault", "sseAlgorithm"))
		assert.Equal(t, key.Output("arn"), field(rules[0], "applyServerSideEncryptionByDefault", "kmsMasterKeyId"), "its own key")
		versioning := mustNamed(t, result, "aws:s3/bucketVersioningV2:BucketVersioningV2", "consumer-user-data-versioning")
		assert.Equal(t, "Enabled", field(versioning.Input("versioningConfiguration"), "status"))
		logging := mustNamed(t, result, "aws:s3/bucketLoggingV2:BucketLoggingV2", "consumer-user-data-access-logs")
		assert.Equal(t, mustNamed(t, result, "aws:s3/bucketV2:BucketV2", "consumer-logs").ID, logging.String("targetBucket"), "the ML account's own log bucket")

		grant := document(t, mustNamed(t, result, rolePolicyType, "consumer-user-data").String("policy"))
		objects := statement(t, grant, "OwnUserDataObjects")
		assert.Equal(t, []string{arn + "/users/${aws:SourceIdentity}/*"}, objects.Resource, "one statement for every user, the variable literal")
		assert.Equal(t, policy.Condition{"Null": {"aws:SourceIdentity": {"false"}}}, objects.Condition)
		list := statement(t, grant, "ListOwnUserDataPrefix")
		assert.Equal(t, []string{"users/${aws:SourceIdentity}/*"}, list.Condition["StringLike"]["s3:prefix"])

		bucketPolicy := document(t, mustNamed(t, result, "aws:s3/bucketPolicy:BucketPolicy", "consumer-user-data-policy").String("policy"))
		others := statement(t, bucketPolicy, "DenyOtherUsersObjects")
		assert.Equal(t, policy.Deny, others.Effect)
		assert.Equal(t, []string{arn, arn + "/users/${aws:SourceIdentity}/*"}, others.NotResource)
		require.NotNil(t, others.Principal)
		assert.Equal(t, []string{mustNamed(t, result, roleType, "consumer-execution-role").Output("arn").(string)}, others.Principal.AWS)
	}
}

// TestConsumerNeedsTeamSettings: a Consumer without the team's settings is
// refused before anything is registered.
func TestConsumerNeedsTeamSettings(t *testing.T) {
	args := consumerFixture()
	args.Team = StudioTeam{}
	result, err := runConsumerErr(args)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Team needs IdleTimeoutMinutes, InstanceTypes, SpaceStorageGb and UserDataBucket")
	for _, r := range result.Resources() {
		assert.False(t, r.InAWS(), "nothing of AWS is registered: %s", r.URN)
	}
}
