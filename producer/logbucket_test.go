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
	logBucketComponent = "studioredshift:index:LogBucket"
	featureBucket      = "feature-offline-store-111111111111-us-east-1"
)

// TestLogBucket: one row per set of log sources, asserting the bucket's
// protections and the policy statements each source adds.
func TestLogBucket(t *testing.T) {
	thisAccount := map[string][]string{"aws:SourceAccount": {producerAccount}}
	cases := []struct {
		name     string
		clusters []string
		sources  []string
		protect  bool
		sids     []string
	}{
		{
			name:     "a created cluster's audit logs",
			clusters: []string{"analytics"},
			protect:  true,
			sids:     []string{"RedshiftAuditLogsBucketAcl", "RedshiftAuditLogs", "DenyInsecureTransport"},
		},
		{
			name:    "two created buckets' access logs, unprotected",
			sources: []string{dataBucket, featureBucket},
			sids:    []string{"S3ServerAccessLogs", "DenyInsecureTransport"},
		},
		{
			name:     "both",
			clusters: []string{"analytics"},
			sources:  []string{dataBucket},
			protect:  true,
			sids:     []string{"RedshiftAuditLogsBucketAcl", "RedshiftAuditLogs", "S3ServerAccessLogs", "DenyInsecureTransport"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
				logs, err := NewLogBucket(ctx, "producer-logs", &LogBucketArgs{
					Partition: "aws", Region: testRegion, Account: producerAccount,
					Clusters: tc.clusters, SourceBuckets: tc.sources, Protect: tc.protect,
				}, pulumi.Provider(providers[0]))
				if err != nil {
					return err
				}
				ctx.Export("bucketName", logs.BucketName)
				ctx.Export("bucketArn", logs.BucketArn)
				return nil
			}, testRegion, producerAccount)
			require.NoError(t, err)

			var inAWS []string
			for _, r := range result.Resources() {
				if r.InAWS() {
					inAWS = append(inAWS, r.Type+" "+r.Name)
					childOf(t, result, r, logBucketComponent, producerAccount)
				}
			}
			assert.ElementsMatch(t, []string{
				bucketType + " producer-logs", publicAccessType + " producer-logs-public-access",
				ownershipType + " producer-logs-ownership", encryptionType + " producer-logs-encryption",
				versioningType + " producer-logs-versioning", bucketPolicyType + " producer-logs-policy",
			}, inAWS)

			bucket := one(t, result, bucketType, "producer-logs")
			assert.Empty(t, bucket.String("bucket"), "named by Pulumi: logs of several stacks in one account never meet")
			assert.Equal(t, tc.protect, bucket.Protect)
			assert.True(t, bucket.RetainOnDelete, "the record of who read what outlives the stack")
			assert.Nil(t, bucket.Input("forceDestroy"))
			bucketArn := bucket.Output("arn").(string)
			for _, typ := range []string{publicAccessType, ownershipType, versioningType, encryptionType, bucketPolicyType} {
				for _, r := range result.OfType(typ) {
					assert.Equal(t, bucket.ID, r.String("bucket"), r.Name)
					assert.Contains(t, r.Dependencies, bucket.URN, "%s waits for the bucket", r.Name)
				}
			}
			public := one(t, result, publicAccessType, "producer-logs-public-access")
			for _, setting := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				assert.Equal(t, true, public.Input(setting), setting)
			}
			assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerEnforced"}, one(t, result, ownershipType, "producer-logs-ownership").Input("rule"))
			assert.Equal(t, []any{map[string]any{
				"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"},
			}}, one(t, result, encryptionType, "producer-logs-encryption").Input("rules"), "SSE-S3: log delivery writes to no KMS bucket")
			assert.Equal(t, map[string]any{"status": "Enabled"}, one(t, result, versioningType, "producer-logs-versioning").Input("versioningConfiguration"))

			bucketPolicy := one(t, result, bucketPolicyType, "producer-logs-policy")
			document := parse(t, bucketPolicy.String("policy"))
			assert.Equal(t, tc.sids, sids(document))
			statements := bySid(t, document)
			if len(tc.clusters) > 0 {
				fromClusters := policy.Condition{
					"StringEquals": thisAccount,
					"ArnLike":      {"aws:SourceArn": {"arn:aws:redshift:us-east-1:111111111111:cluster:analytics"}},
				}
				acl := statements["RedshiftAuditLogsBucketAcl"]
				assert.Equal(t, policy.Allow, acl.Effect)
				assert.Equal(t, &policy.Principal{Service: []string{"redshift.amazonaws.com"}}, acl.Principal)
				assert.Equal(t, []string{"s3:GetBucketAcl"}, acl.Action)
				assert.Equal(t, []string{bucketArn}, acl.Resource)
				assert.Equal(t, fromClusters, acl.Condition, "this account's clusters only: no confused deputy")
				put := statements["RedshiftAuditLogs"]
				assert.Equal(t, &policy.Principal{Service: []string{"redshift.amazonaws.com"}}, put.Principal)
				assert.Equal(t, []string{"s3:PutObject"}, put.Action)
				assert.Equal(t, []string{bucketArn + "/" + RedshiftPrefix + "*"}, put.Resource, "under its own prefix")
				assert.Equal(t, fromClusters, put.Condition)
			}
			if len(tc.sources) > 0 {
				var sourceArns []string
				for _, source := range tc.sources {
					sourceArns = append(sourceArns, "arn:aws:s3:::"+source)
				}
				access := statements["S3ServerAccessLogs"]
				assert.Equal(t, policy.Allow, access.Effect)
				assert.Equal(t, &policy.Principal{Service: []string{"logging.s3.amazonaws.com"}}, access.Principal)
				assert.Equal(t, []string{"s3:PutObject"}, access.Action)
				assert.Equal(t, []string{bucketArn + "/" + AccessPrefix + "*"}, access.Resource, "under its own prefix")
				assert.Equal(t, policy.Condition{"StringEquals": thisAccount, "ArnLike": {"aws:SourceArn": sourceArns}}, access.Condition,
					"the named source buckets of this account only")
			}
			deny := statements["DenyInsecureTransport"]
			assert.Equal(t, policy.Deny, deny.Effect)
			assert.Equal(t, []string{bucketArn, bucketArn + "/*"}, deny.Resource)
			assert.Equal(t, policy.Condition{"Bool": {"aws:SecureTransport": {"false"}}}, deny.Condition)
			for _, statement := range document.Statement {
				if statement.Effect == policy.Allow {
					assert.Empty(t, statement.Principal.AWS, "%s: only the log services write", statement.Sid)
				}
			}

			assert.Equal(t, bucket.ID, result.Outputs["bucketName"])
			assert.Equal(t, bucketArn, result.Outputs["bucketArn"])
		})
	}
}

// TestLogBucketAccessLogsOf: a data bucket logging into the log bucket
// writes under its own prefix, and switches logging on only once the log
// bucket's policy lets S3 write there (S3 checks it then).
func TestLogBucketAccessLogsOf(t *testing.T) {
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		logs, err := NewLogBucket(ctx, "producer-logs", &LogBucketArgs{
			Partition: "aws", Region: testRegion, Account: producerAccount, SourceBuckets: []string{dataBucket},
		}, pulumi.Provider(providers[0]))
		if err != nil {
			return err
		}
		_, err = NewDataBucket(ctx, "athena-data", &DataBucketArgs{
			Partition: "aws", Region: testRegion, Account: producerAccount,
			Name: dataBucket, Create: true, Prefixes: []string{"sales/"}, Grants: readGrants(),
			AccessLogs: logs.AccessLogsOf(dataBucket),
		}, pulumi.Provider(providers[0]))
		return err
	}, testRegion, producerAccount)
	require.NoError(t, err)

	logBucket := one(t, result, bucketType, "producer-logs")
	logBucketPolicy := one(t, result, bucketPolicyType, "producer-logs-policy")
	logging := one(t, result, bucketLoggingType, "athena-data-access-logs")
	assert.Equal(t, logBucket.ID, logging.String("targetBucket"))
	assert.Equal(t, AccessPrefix+dataBucket+"/", logging.String("targetPrefix"), "its own prefix under the one the policy admits")
	assert.Contains(t, logging.Dependencies, logBucketPolicy.URN)
}

// TestLogBucketPolicyPartition: the sources' ARNs follow the partition.
func TestLogBucketPolicyPartition(t *testing.T) {
	const bucketArn = "arn:aws-us-gov:s3:::producer-logs-4f1c2d7"
	statements := bySid(t, parse(t, mustJSON(t, LogBucketPolicy("aws-us-gov", "us-gov-west-1", producerAccount, bucketArn,
		[]string{"analytics", "reporting"}, []string{dataBucket}))))
	assert.Equal(t, []string{
		"arn:aws-us-gov:redshift:us-gov-west-1:111111111111:cluster:analytics",
		"arn:aws-us-gov:redshift:us-gov-west-1:111111111111:cluster:reporting",
	}, statements["RedshiftAuditLogs"].Condition["ArnLike"]["aws:SourceArn"])
	assert.Equal(t, []string{"arn:aws-us-gov:s3:::" + dataBucket}, statements["S3ServerAccessLogs"].Condition["ArnLike"]["aws:SourceArn"])
	assert.Equal(t, []string{bucketArn + "/redshift/*"}, statements["RedshiftAuditLogs"].Resource)
}
