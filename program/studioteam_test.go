package program

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// withStudio returns the configuration with keys of consumer.studio set.
func withStudio(t *testing.T, values map[string]string, settings map[string]any) map[string]string {
	t.Helper()
	return withConsumer(t, values, func(c map[string]any) {
		for key, value := range settings {
			c["studio"].(map[string]any)[key] = value
		}
	})
}

func TestProfilesCarryTheTeamSettings(t *testing.T) {
	result := run(t, withStudio(t, devConfig(t), map[string]any{
		"idleTimeoutMinutes": 120, "instanceTypes": []any{"ml.m5.large", "ml.t3.medium"}, "spaceStorageGb": 50,
	}))
	idle := map[string]any{"idleSettings": map[string]any{
		"lifecycleManagement": "ENABLED", "idleTimeoutInMinutes": 120.0, "minIdleTimeoutInMinutes": 60.0, "maxIdleTimeoutInMinutes": 120.0,
	}}
	profiles := result.OfType(userProfileType)
	require.Len(t, profiles, 2)
	for _, profile := range profiles {
		settings := profile.Input("userSettings").(map[string]any)
		lab := settings["jupyterLabAppSettings"].(map[string]any)
		assert.Equal(t, idle, lab["appLifecycleManagement"], "JupyterLab shuts down when idle: %s", profile.URN)
		assert.Equal(t, "ml.m5.large", lab["defaultResourceSpec"].(map[string]any)["instanceType"], "the first listed type is the default")
		assert.Equal(t, map[string]any{"appLifecycleManagement": idle}, settings["codeEditorAppSettings"], "and Code Editor: %s", profile.URN)
		assert.Equal(t, map[string]any{"defaultEbsStorageSettings": map[string]any{"defaultEbsVolumeSizeInGb": 50.0, "maximumEbsVolumeSizeInGb": 50.0}},
			settings["spaceStorageSettings"], profile.URN)
		hidden := settings["studioWebPortalSettings"].(map[string]any)["hiddenInstanceTypes"].([]any)
		assert.Contains(t, hidden, "ml.p4d.24xlarge")
		assert.NotContains(t, hidden, "ml.m5.large")
		assert.NotContains(t, hidden, "ml.t3.medium")
		assert.Len(t, hidden, len(config.StudioInstanceTypes)-2)
		assert.Equal(t, map[string]any{config.StudioUserTag: profile.String("userProfileName")}, profile.Input("tags"),
			"the cost-allocation tag names the user: %s", profile.URN)
	}
}

// instanceTypeRequest is a Studio user's request that names instance types.
func instanceTypeRequest(user, action string, instanceTypes ...string) request {
	req := request{
		action:   action,
		resource: "arn:aws:sagemaker:us-east-1:" + consumerAccount + ":app/d-0123456789ab/" + user + "/jupyterlab/default",
		context:  map[string]string{"aws:SourceIdentity": user},
	}
	if instanceTypes != nil {
		req.sets = map[string][]string{"sagemaker:InstanceTypes": instanceTypes}
	}
	return req
}

func TestAliceStartsOnlyListedInstanceTypes(t *testing.T) {
	result := run(t, devConfig(t))
	deny := one(t, result, rolePolicyType, "consumer-instance-types")
	assert.Equal(t, one(t, result, roleType, "consumer-execution-role").ID, deny.String("role"))
	doc := parsePolicy(t, deny, "policy")
	s := statement(t, doc, "DenyUnlistedInstanceTypes")
	assert.Equal(t, map[string][]string{"sagemaker:InstanceTypes": append(slices.Clone(config.DefaultInstanceTypes), "system")}, s.Condition["ForAnyValue:StringNotEquals"])
	assert.Equal(t, map[string][]string{"sagemaker:InstanceTypes": {"false"}}, s.Condition["Null"])

	tests := []struct {
		name   string
		req    request
		denied bool
	}{
		{"alice starts a GPU app", instanceTypeRequest("alice", "sagemaker:CreateApp", "ml.p4d.24xlarge"), true},
		{"alice makes a space on a GPU type", instanceTypeRequest("alice", "sagemaker:CreateSpace", "ml.p4d.24xlarge"), true},
		{"alice moves her space to a GPU type", instanceTypeRequest("alice", "sagemaker:UpdateSpace", "ml.g5.48xlarge"), true},
		{"one listed and one unlisted type", instanceTypeRequest("alice", "sagemaker:UpdateSpace", "ml.t3.medium", "ml.p5.48xlarge"), true},
		{"alice starts a listed type", instanceTypeRequest("alice", "sagemaker:CreateApp", "ml.t3.medium"), false},
		{"alice makes a space on a listed type", instanceTypeRequest("alice", "sagemaker:CreateSpace", "ml.m5.xlarge"), false},
		{"Studio Classic's free system instance", instanceTypeRequest("alice", "sagemaker:CreateApp", "system"), false},
		{"an app on the space's default, which was checked", instanceTypeRequest("alice", "sagemaker:CreateApp"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.denied, denies(doc, tt.req))
		})
	}

	// Another list changes only this document.
	other := run(t, withStudio(t, devConfig(t), map[string]any{"instanceTypes": []any{"ml.g5.xlarge"}}))
	otherDoc := parsePolicy(t, one(t, other, rolePolicyType, "consumer-instance-types"), "policy")
	assert.False(t, denies(otherDoc, instanceTypeRequest("alice", "sagemaker:CreateApp", "ml.g5.xlarge")))
	assert.True(t, denies(otherDoc, instanceTypeRequest("alice", "sagemaker:CreateApp", "ml.t3.medium")))
}

// sageMakerFullAccessS3 are AmazonSageMakerFullAccess's S3 statements (AWS
// managed policy reference, version 26): listing any bucket, and objects of
// any bucket whose name says SageMaker.
var sageMakerFullAccessS3 = policy.New(
	policy.Statement{Effect: policy.Allow, Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
		Resource: []string{"arn:aws:s3:::*SageMaker*", "arn:aws:s3:::*Sagemaker*", "arn:aws:s3:::*sagemaker*"}},
	policy.Statement{Effect: policy.Allow, Action: []string{"s3:CreateBucket", "s3:GetBucketLocation", "s3:ListBucket", "s3:ListAllMyBuckets"},
		Resource: []string{"*"}},
)

func TestEachUserReadsOnlyTheirOwnPrefix(t *testing.T) {
	result := run(t, devConfig(t))
	roleArn := one(t, result, roleType, "consumer-execution-role").Output("arn").(string)
	bucket := one(t, result, bucketType, "consumer-user-data")
	bucketArn := "arn:aws:s3:::" + bucket.ID
	keyArn := one(t, result, keyType, "consumer-user-data-key").Output("arn").(string)
	assert.Equal(t, bucket.ID, result.Outputs["userDataBucket"])

	inline := one(t, result, rolePolicyType, "consumer-user-data")
	assert.Equal(t, one(t, result, roleType, "consumer-execution-role").ID, inline.String("role"))
	identity := parsePolicy(t, inline, "policy")
	objects := statement(t, identity, "OwnUserDataObjects")
	assert.Equal(t, []string{bucketArn + "/users/${aws:SourceIdentity}/*"}, objects.Resource, "one statement for every user")
	assert.Equal(t, map[string][]string{"aws:SourceIdentity": {"false"}}, objects.Condition["Null"])
	list := statement(t, identity, "ListOwnUserDataPrefix")
	assert.Equal(t, map[string][]string{"s3:prefix": {"users/${aws:SourceIdentity}/*"}}, list.Condition["StringLike"])
	assert.Equal(t, []string{keyArn}, statement(t, identity, "UserDataKeyThroughS3").Resource)
	bucketPolicy := parsePolicy(t, one(t, result, bucketPolicyType, "consumer-user-data-policy"), "policy")

	// IAM in one account: an explicit deny of either document wins; else an
	// allow of the role's policies (these, or AmazonSageMakerFullAccess).
	allowed := func(req request) bool {
		req.principal = roleArn
		if denies(identity, req) || denies(bucketPolicy, req) {
			return false
		}
		return allows(identity, req) || allows(sageMakerFullAccessS3, req)
	}
	session := func(sourceIdentity string) map[string]string {
		if sourceIdentity == "" {
			return map[string]string{"aws:SecureTransport": "true"}
		}
		return map[string]string{"aws:SourceIdentity": sourceIdentity, "aws:SecureTransport": "true"}
	}
	object := func(user, action, key string) request {
		return request{action: action, resource: bucketArn + "/" + key, context: session(user)}
	}
	listing := func(user, prefix string) request {
		context := session(user)
		if prefix != "" {
			context["s3:prefix"] = prefix
		}
		return request{action: "s3:ListBucket", resource: bucketArn, context: context}
	}
	tests := []struct {
		name    string
		req     request
		allowed bool
	}{
		{"alice reads her prefix", object("alice", "s3:GetObject", "users/alice/data.csv"), true},
		{"alice writes her prefix", object("alice", "s3:PutObject", "users/alice/model.pkl"), true},
		{"alice lists her prefix", listing("alice", "users/alice/"), true},
		{"alice reads bob's prefix", object("alice", "s3:GetObject", "users/bob/data.csv"), false},
		{"alice writes bob's prefix", object("alice", "s3:PutObject", "users/bob/data.csv"), false},
		{"alice lists bob's prefix, which ListBucket on * would allow", listing("alice", "users/bob/"), false},
		{"alice lists the whole bucket", listing("alice", ""), false},
		{"alice reads a prefix that starts like hers", object("alice", "s3:GetObject", "users/alice2/data.csv"), false},
		{"alice reads outside users/", object("alice", "s3:GetObject", "shared/data.csv"), false},
		{"a session without SourceIdentity reads alice's data", object("", "s3:GetObject", "users/alice/data.csv"), false},
		{"a session without SourceIdentity lists alice's prefix", listing("", "users/alice/"), false},
		{"a session without SourceIdentity writes", object("", "s3:PutObject", "users/data.csv"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.allowed, allowed(tt.req))
		})
	}

	// The key, through S3 only and for Studio users only.
	decrypt := request{principal: roleArn, action: "kms:Decrypt", resource: keyArn,
		context: map[string]string{"aws:SourceIdentity": "alice", "kms:ViaService": "s3.us-east-1.amazonaws.com"}}
	assert.True(t, allows(identity, decrypt))
	decrypt.context = map[string]string{"kms:ViaService": "s3.us-east-1.amazonaws.com"}
	assert.False(t, allows(identity, decrypt), "a session without SourceIdentity gets nothing")

	// Without TLS nothing at all.
	insecure := object("alice", "s3:GetObject", "users/alice/data.csv")
	insecure.context["aws:SecureTransport"] = "false"
	assert.False(t, allowed(insecure))
}

func TestUserDataBucketPosture(t *testing.T) {
	result := run(t, devConfig(t))
	bucket := one(t, result, bucketType, "consumer-user-data")
	key := one(t, result, keyType, "consumer-user-data-key")
	assert.Equal(t, "consumer", bucket.Provider, "the users' data stays in the ML account")
	assert.True(t, bucket.Protect && bucket.RetainOnDelete, "protected and kept")
	assert.True(t, key.Protect && key.RetainOnDelete, "its key too")
	assert.Equal(t, true, key.Input("enableKeyRotation"))
	assert.Equal(t, map[string]any{"status": "Enabled"}, one(t, result, versioningType, "consumer-user-data-versioning").Input("versioningConfiguration"))
	access := one(t, result, publicAccessType, "consumer-user-data-public-access")
	for _, setting := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, access.Input(setting), setting)
	}
	rule := one(t, result, encryptionType, "consumer-user-data-encryption").Input("rules").([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.Output("arn")}, rule["applyServerSideEncryptionByDefault"])

	// Access logs land in the ML account's own log bucket, which admits the
	// S3 logging service for this bucket only.
	logging := one(t, result, bucketLoggingType, "consumer-user-data-access-logs")
	logBucket := one(t, result, bucketType, "consumer-logs")
	assert.Equal(t, "consumer", logBucket.Provider)
	assert.Equal(t, logBucket.ID, logging.String("targetBucket"))
	assert.Equal(t, "s3-access/"+bucket.ID+"/", logging.String("targetPrefix"))
	logPolicy := parsePolicy(t, one(t, result, bucketPolicyType, "consumer-logs-policy"), "policy")
	accessLogs := statement(t, logPolicy, "S3ServerAccessLogs")
	assert.Equal(t, []string{"arn:aws:s3:::" + bucket.ID}, accessLogs.Condition["ArnLike"]["aws:SourceArn"])
	assert.Equal(t, []string{consumerAccount}, accessLogs.Condition["StringEquals"]["aws:SourceAccount"])
}

// TestTeamSettingsChangeOnlyProfilesAndRolePolicies runs the program twice,
// before and after each team setting changes, and checks that the domain's
// inputs are the same (the provider cannot update a VpcOnly domain:
// terraform-provider-aws #45528) and that what changes is user profiles and
// the execution role's inline policies only, which update in place.
func TestTeamSettingsChangeOnlyProfilesAndRolePolicies(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]any
		// changed are the types whose inputs must differ.
		changed []string
	}{
		{"idle timeout", map[string]any{"idleTimeoutMinutes": 240}, []string{userProfileType}},
		{"instance types", map[string]any{"instanceTypes": []any{"ml.t3.medium", "ml.g5.xlarge"}}, []string{userProfileType, rolePolicyType}},
		{"space storage", map[string]any{"spaceStorageGb": 100}, []string{userProfileType}},
		{"all three", map[string]any{"idleTimeoutMinutes": 525600, "instanceTypes": []any{"ml.c5.xlarge"}, "spaceStorageGb": 5}, []string{userProfileType, rolePolicyType}},
	}
	before := run(t, devConfig(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := run(t, withStudio(t, devConfig(t), tt.settings))
			assert.Equal(t, one(t, before, domainType, "consumer-domain").Inputs, one(t, after, domainType, "consumer-domain").Inputs,
				"the domain's inputs do not change")
			changedTypes := map[string]bool{}
			urns := map[string]offline.Resource{}
			for _, r := range before.Resources() {
				urns[r.URN] = r
			}
			for _, r := range after.Resources() {
				was, existed := urns[r.URN]
				require.True(t, existed, "no resource is added: %s", r.URN)
				if !assert.ObjectsAreEqual(inputsJSON(t, was), inputsJSON(t, r)) {
					changedTypes[r.Type] = true
					assert.Contains(t, []string{userProfileType, rolePolicyType}, r.Type, "%s changes", r.URN)
					if r.Type == rolePolicyType {
						assert.Equal(t, "consumer-instance-types", r.Name)
					}
				}
			}
			assert.Len(t, after.Resources(), len(before.Resources()), "no resource is removed")
			for _, typ := range tt.changed {
				assert.True(t, changedTypes[typ], "%s changes", typ)
			}
		})
	}
}

// inputsJSON is a resource's inputs as JSON text, for comparing two runs.
func inputsJSON(t *testing.T, r offline.Resource) string {
	t.Helper()
	text, err := json.Marshal(r.Inputs.Mappable())
	require.NoError(t, err)
	return string(text)
}

// TestTheS3GatewayAdmitsTheUsersData evaluates the S3 gateway endpoint's
// policy on alice's honest request to her prefix: admitted by default (a
// bucket of the stack's ML account) and when the gateway names its buckets.
func TestTheS3GatewayAdmitsTheUsersData(t *testing.T) {
	for name, values := range map[string]map[string]string{
		"every bucket of the stack's accounts": devConfig(t),
		"named buckets only": withConsumer(t, devConfig(t), func(c map[string]any) {
			c["vpc"].(map[string]any)["s3EndpointBuckets"] = []any{"ml-data"}
		}),
	} {
		t.Run(name, func(t *testing.T) {
			result := run(t, values)
			bucket := one(t, result, bucketType, "consumer-user-data").ID
			gateway := endpointPolicies(t, result)["consumer-endpoint-s3"]
			assert.True(t, allows(gateway, throughEndpoint("s3:PutObject", "arn:aws:s3:::"+bucket+"/users/alice/model.pkl", mlAccount, mlAccount)))
			assert.True(t, allows(gateway, throughEndpoint("s3:ListBucket", "arn:aws:s3:::"+bucket, mlAccount, mlAccount)))
		})
	}
}
