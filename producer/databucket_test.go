package producer

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

const (
	dataBucketComponent = "studioredshift:index:DataBucket"
	dataBucket          = "analytics-data-111111111111-us-east-1"
	dataBucketArn       = "arn:aws:s3:::" + dataBucket
	analystRole         = "arn:aws:iam::222222222222:role/athena-analysts"
	existingKey         = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// readGrants are the Athena read grant the program makes (execution role and
// a configured principal, the key through S3) and a grant without key
// actions, as the Feature Store's Studio read is.
func readGrants() []BucketGrant {
	return []BucketGrant{
		{
			Sid:           "AthenaRead",
			Principals:    []pulumi.StringInput{pulumi.String(executionRoleArn), pulumi.String(analystRole)},
			BucketActions: []string{"s3:GetBucketLocation"},
			List:          true,
			ObjectActions: []string{"s3:GetObject"},
			KeyActions:    []string{"kms:Decrypt"},
		},
		{
			Sid:           "StudioRead",
			Principals:    []pulumi.StringInput{pulumi.String(executionRoleArn)},
			BucketActions: []string{"s3:GetBucketLocation"},
			List:          true,
			ObjectActions: []string{"s3:GetObject"},
		},
	}
}

// wantBucketPolicy is the bucket policy of readGrants under sales/, written
// out statement by statement.
func wantBucketPolicy() policy.Document {
	both := &policy.Principal{AWS: []string{executionRoleArn, analystRole}}
	studio := &policy.Principal{AWS: []string{executionRoleArn}}
	underSales := policy.Condition{"StringLike": {"s3:prefix": {"sales/*"}}}
	return policy.New(
		policy.Statement{Sid: "AthenaReadBucket", Effect: policy.Allow, Principal: both, Action: []string{"s3:GetBucketLocation"}, Resource: []string{dataBucketArn}},
		policy.Statement{Sid: "AthenaReadList", Effect: policy.Allow, Principal: both, Action: []string{"s3:ListBucket"}, Resource: []string{dataBucketArn}, Condition: underSales},
		policy.Statement{Sid: "AthenaReadObjects", Effect: policy.Allow, Principal: both, Action: []string{"s3:GetObject"}, Resource: []string{dataBucketArn + "/sales/*"}},
		policy.Statement{Sid: "StudioReadBucket", Effect: policy.Allow, Principal: studio, Action: []string{"s3:GetBucketLocation"}, Resource: []string{dataBucketArn}},
		policy.Statement{Sid: "StudioReadList", Effect: policy.Allow, Principal: studio, Action: []string{"s3:ListBucket"}, Resource: []string{dataBucketArn}, Condition: underSales},
		policy.Statement{Sid: "StudioReadObjects", Effect: policy.Allow, Principal: studio, Action: []string{"s3:GetObject"}, Resource: []string{dataBucketArn + "/sales/*"}},
		policy.Statement{
			Sid: "DenyInsecureTransport", Effect: policy.Deny, Principal: &policy.Principal{AWS: []string{"*"}},
			Action: []string{"s3:*"}, Resource: []string{dataBucketArn, dataBucketArn + "/*"},
			Condition: policy.Condition{"Bool": {"aws:SecureTransport": {"false"}}},
		},
	)
}

// TestDataBucket: one row per way of having the bucket, asserting what the
// component registers for it; every row's Policy output is the full policy,
// applied or not.
func TestDataBucket(t *testing.T) {
	logs := &AccessLogs{Bucket: pulumi.String("producer-logs-4f1c2d7"), Prefix: AccessPrefix + dataBucket + "/"}
	cases := []struct {
		name   string
		change func(*DataBucketArgs)
		// created: the bucket, its key and its protections are made here.
		created, accessLogs, protect bool
		// policy: the bucket policy is written.
		policy bool
		// keyGrants are the KMS grants' logical names.
		keyGrants []string
		keyArn    string
	}{
		{
			name:    "created, protected, its access logged",
			change:  func(a *DataBucketArgs) { a.Create, a.AccessLogs, a.Protect = true, logs, true },
			created: true, accessLogs: true, protect: true, policy: true,
		},
		{
			name:    "created, unprotected, without access logs",
			change:  func(a *DataBucketArgs) { a.Create = true },
			created: true, policy: true,
		},
		{
			name:      "existing with its own key, its policy left alone",
			change:    func(a *DataBucketArgs) { a.KeyArn = existingKey },
			keyGrants: []string{"athena-data-AthenaRead-0", "athena-data-AthenaRead-1"},
			keyArn:    existingKey,
		},
		{
			name:      "existing with its own key, its policy written",
			change:    func(a *DataBucketArgs) { a.KeyArn, a.ManagePolicy = existingKey, true },
			policy:    true,
			keyGrants: []string{"athena-data-AthenaRead-0", "athena-data-AthenaRead-1"},
			keyArn:    existingKey,
		},
		{
			name:   "existing without a key, its policy left alone: nothing to make",
			change: func(*DataBucketArgs) {},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := &DataBucketArgs{
				Partition: "aws", Region: testRegion, Account: producerAccount,
				Name: dataBucket, Prefixes: []string{"sales/"}, Grants: readGrants(),
			}
			tc.change(args)
			var grants []pulumi.Resource
			result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
				data, err := NewDataBucket(ctx, "athena-data", args, pulumi.Provider(providers[0]))
				if err != nil {
					return err
				}
				grants = data.Grants
				ctx.Export("bucketName", data.BucketName)
				ctx.Export("bucketArn", data.BucketArn)
				ctx.Export("keyArn", data.KeyArn)
				ctx.Export("policy", data.Policy)
				return nil
			}, testRegion, producerAccount)
			require.NoError(t, err)

			var inAWS []string
			for _, r := range result.Resources() {
				if r.InAWS() {
					inAWS = append(inAWS, r.Type+" "+r.Name)
					childOf(t, result, r, dataBucketComponent, producerAccount)
				}
			}
			var want []string
			if tc.created {
				want = append(want, keyType+" athena-data-key", bucketType+" athena-data", publicAccessType+" athena-data-public-access",
					ownershipType+" athena-data-ownership", versioningType+" athena-data-versioning", encryptionType+" athena-data-encryption")
			}
			if tc.accessLogs {
				want = append(want, bucketLoggingType+" athena-data-access-logs")
			}
			if tc.policy {
				want = append(want, bucketPolicyType+" athena-data-policy")
			}
			for _, grant := range tc.keyGrants {
				want = append(want, grantType+" "+grant)
			}
			assert.ElementsMatch(t, want, inAWS)
			assert.Len(t, grants, len(tc.keyGrants)+map[bool]int{true: 1, false: 0}[tc.policy],
				"Grants are the bucket policy and the key grants, what must exist before access works")

			document := parse(t, result.Outputs["policy"].(string))
			assert.Equal(t, wantBucketPolicy(), document, "the policy the grants need, written or not")
			assert.Equal(t, dataBucket, result.Outputs["bucketName"])
			assert.Equal(t, dataBucketArn, result.Outputs["bucketArn"])

			if tc.policy {
				bucketPolicy := one(t, result, bucketPolicyType, "athena-data-policy")
				assert.Equal(t, dataBucket, bucketPolicy.String("bucket"))
				assert.Equal(t, document, parse(t, bucketPolicy.String("policy")), "the Policy output is the policy applied")
			}
			for i, name := range tc.keyGrants {
				grant := one(t, result, grantType, name)
				assert.Equal(t, existingKey, grant.String("keyId"))
				assert.Equal(t, []string{executionRoleArn, analystRole}[i], grant.String("granteePrincipal"))
				assert.Equal(t, []any{"Decrypt"}, grant.Input("operations"), "the grant's actions, as KMS names its operations")
			}

			if !tc.created {
				assert.Equal(t, tc.keyArn, result.Outputs["keyArn"], "the existing bucket's key, or none")
				return
			}
			key := one(t, result, keyType, "athena-data-key")
			bucket := one(t, result, bucketType, "athena-data")
			assert.Equal(t, tc.protect, key.Protect)
			assert.True(t, key.RetainOnDelete, "the data outlives the stack, and needs its key")
			assert.Equal(t, true, key.Input("enableKeyRotation"))
			assert.Equal(t, key.Output("arn"), result.Outputs["keyArn"])
			keyPolicy := bySid(t, parse(t, key.String("policy")))
			assert.Len(t, keyPolicy, 2, "the account, and the one grant with key actions")
			assert.Equal(t, []string{"arn:aws:iam::111111111111:root"}, keyPolicy["AccountAdministersTheKey"].Principal.AWS)
			read := keyPolicy["AthenaReadKey"]
			assert.Equal(t, policy.Allow, read.Effect)
			assert.Equal(t, []string{executionRoleArn, analystRole}, read.Principal.AWS)
			assert.Equal(t, []string{"kms:Decrypt"}, read.Action)
			assert.Equal(t, policy.Condition{"StringEquals": {"kms:ViaService": {"s3.us-east-1.amazonaws.com"}}}, read.Condition, "through S3 only")

			assert.Equal(t, dataBucket, bucket.String("bucket"))
			assert.Equal(t, tc.protect, bucket.Protect)
			assert.Nil(t, bucket.Input("forceDestroy"), "never emptied by a destroy")
			for _, typ := range []string{publicAccessType, ownershipType, versioningType, encryptionType, bucketPolicyType} {
				for _, r := range result.OfType(typ) {
					assert.Equal(t, dataBucket, r.String("bucket"), r.Name)
					assert.Contains(t, r.Dependencies, bucket.URN, "%s waits for the bucket", r.Name)
				}
			}
			public := one(t, result, publicAccessType, "athena-data-public-access")
			for _, setting := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				assert.Equal(t, true, public.Input(setting), setting)
			}
			assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerEnforced"}, one(t, result, ownershipType, "athena-data-ownership").Input("rule"))
			assert.Equal(t, map[string]any{"status": "Enabled"}, one(t, result, versioningType, "athena-data-versioning").Input("versioningConfiguration"))
			assert.Equal(t, []any{map[string]any{
				"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.Output("arn")},
				"bucketKeyEnabled":                   true,
			}}, one(t, result, encryptionType, "athena-data-encryption").Input("rules"), "with its own key")
			if tc.accessLogs {
				logging := one(t, result, bucketLoggingType, "athena-data-access-logs")
				assert.Equal(t, dataBucket, logging.String("bucket"))
				assert.Equal(t, "producer-logs-4f1c2d7", logging.String("targetBucket"))
				assert.Equal(t, "s3-access/"+dataBucket+"/", logging.String("targetPrefix"))
			}
		})
	}
}

// TestDataBucketPolicy: what each grant adds, with and without prefixes, and
// the TLS deny in every document.
func TestDataBucketPolicy(t *testing.T) {
	writer := []string{"arn:aws:iam::222222222222:role/offline-store-role-1a2b3c4"}
	cases := []struct {
		name     string
		prefixes []string
		grants   []BucketGrant
		want     []policy.Statement
	}{
		{
			name: "no grant: the TLS deny alone",
		},
		{
			name:     "object writes under a prefix, no listing",
			prefixes: []string{"offline-store/"},
			grants:   []BucketGrant{{Sid: "OfflineStoreWrite", BucketActions: []string{"s3:GetBucketAcl"}, ObjectActions: []string{"s3:PutObject", "s3:PutObjectAcl"}}},
			want: []policy.Statement{
				{Sid: "OfflineStoreWriteBucket", Effect: policy.Allow, Principal: &policy.Principal{AWS: writer}, Action: []string{"s3:GetBucketAcl"}, Resource: []string{dataBucketArn}},
				{Sid: "OfflineStoreWriteObjects", Effect: policy.Allow, Principal: &policy.Principal{AWS: writer}, Action: []string{"s3:PutObject", "s3:PutObjectAcl"}, Resource: []string{dataBucketArn + "/offline-store/*"}},
			},
		},
		{
			name:   "listing and reading every key, without prefixes",
			grants: []BucketGrant{{Sid: "Read", List: true, ObjectActions: []string{"s3:GetObject"}}},
			want: []policy.Statement{
				{Sid: "ReadList", Effect: policy.Allow, Principal: &policy.Principal{AWS: writer}, Action: []string{"s3:ListBucket"}, Resource: []string{dataBucketArn}},
				{Sid: "ReadObjects", Effect: policy.Allow, Principal: &policy.Principal{AWS: writer}, Action: []string{"s3:GetObject"}, Resource: []string{dataBucketArn + "/*"}},
			},
		},
		{
			name:     "listing limited to two prefixes",
			prefixes: []string{"sales/", "returns/"},
			grants:   []BucketGrant{{Sid: "Read", List: true}},
			want: []policy.Statement{{
				Sid: "ReadList", Effect: policy.Allow, Principal: &policy.Principal{AWS: writer}, Action: []string{"s3:ListBucket"}, Resource: []string{dataBucketArn},
				Condition: policy.Condition{"StringLike": {"s3:prefix": {"sales/*", "returns/*"}}},
			}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			principals := make([][]string, len(tc.grants))
			for i := range principals {
				principals[i] = writer
			}
			document := parse(t, mustJSON(t, DataBucketPolicy(dataBucketArn, tc.prefixes, tc.grants, principals)))
			want := append(tc.want, policy.Statement{
				Sid: "DenyInsecureTransport", Effect: policy.Deny, Principal: &policy.Principal{AWS: []string{"*"}},
				Action: []string{"s3:*"}, Resource: []string{dataBucketArn, dataBucketArn + "/*"},
				Condition: policy.Condition{"Bool": {"aws:SecureTransport": {"false"}}},
			})
			assert.Equal(t, want, document.Statement)
		})
	}
}

// TestReaderStatements: the reader account's half of a cross-account read,
// with and without the bucket's key.
func TestReaderStatements(t *testing.T) {
	withKey := ReaderStatements("AthenaData", testRegion, dataBucketArn, []string{"sales/"}, existingKey)
	document := bySid(t, policy.New(withKey...))
	assert.Equal(t, []string{dataBucketArn}, document["AthenaDataLocation"].Resource)
	assert.Equal(t, policy.Condition{"StringLike": {"s3:prefix": {"sales/*"}}}, document["AthenaDataList"].Condition)
	assert.Equal(t, []string{dataBucketArn + "/sales/*"}, document["AthenaDataObjects"].Resource)
	decrypt := document["AthenaDataDecrypt"]
	assert.Equal(t, []string{"kms:Decrypt"}, decrypt.Action)
	assert.Equal(t, []string{existingKey}, decrypt.Resource, "the bucket's key only")
	assert.Equal(t, policy.Condition{"StringEquals": {"kms:ViaService": {"s3.us-east-1.amazonaws.com"}}}, decrypt.Condition)
	for _, statement := range withKey {
		assert.Nil(t, statement.Principal, "an identity policy names no principal")
		assert.Equal(t, policy.Allow, statement.Effect)
	}

	withoutKey := bySid(t, policy.New(ReaderStatements("AthenaData", testRegion, dataBucketArn, nil, "")...))
	assert.NotContains(t, withoutKey, "AthenaDataDecrypt", "no key, no decrypt")
	assert.Nil(t, withoutKey["AthenaDataList"].Condition, "every key listed without prefixes")
	assert.Equal(t, []string{dataBucketArn + "/*"}, withoutKey["AthenaDataObjects"].Resource)
}
