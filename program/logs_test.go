package program

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

const (
	redshiftLoggingType = "aws:redshift/logging:Logging"
	bucketLoggingType   = "aws:s3/bucketLoggingV2:BucketLoggingV2"
)

// "Who queried, who read the data" has an answer in the data account: the
// created cluster's audit log and the created data buckets' access logs land
// in one log bucket there, which only those sources may write to.
func TestDemoAuditTrail(t *testing.T) {
	result := run(t, demoConfig(t))
	bucket := one(t, result, bucketType, "producer-logs")
	bucketName := bucket.ID
	bucketArn := bucket.Output("arn").(string)
	assert.Equal(t, "producer", bucket.Provider)
	assert.True(t, bucket.Protect, "the record of who read what is protected")
	assert.True(t, bucket.RetainOnDelete, "and kept when the stack goes")
	assert.Nil(t, bucket.Input("forceDestroy"))
	assert.Equal(t, "AES256", one(t, result, encryptionType, "producer-logs-encryption").Input("rules").([]any)[0].(map[string]any)["applyServerSideEncryptionByDefault"].(map[string]any)["sseAlgorithm"],
		"Redshift audit logs and S3 access logs are written only to SSE-S3 buckets")
	assert.Equal(t, true, one(t, result, publicAccessType, "producer-logs-public-access").Input("restrictPublicBuckets"))
	assert.Equal(t, "BucketOwnerEnforced", one(t, result, ownershipType, "producer-logs-ownership").Input("rule").(map[string]any)["objectOwnership"])

	// The cluster writes its audit log there, once the policy lets it.
	bucketPolicy := one(t, result, bucketPolicyType, "producer-logs-policy")
	logging := one(t, result, redshiftLoggingType, "warehouse-audit-logging")
	assert.Equal(t, "analytics", logging.String("clusterIdentifier"))
	assert.Equal(t, "s3", logging.String("logDestinationType"))
	assert.Equal(t, bucketName, logging.String("bucketName"))
	assert.Equal(t, "redshift/", logging.String("s3KeyPrefix"))
	assert.Contains(t, logging.Dependencies, bucketPolicy.URN, "Redshift checks the bucket's permissions when logging is switched on")

	// The buckets other accounts read log every request there.
	for source, bucketResource := range map[string]string{
		"analytics-data-111111111111-us-east-1":        "athena-data-access-logs",
		"feature-offline-store-111111111111-us-east-1": "feature-store-offline-access-logs",
	} {
		accessLogs := one(t, result, bucketLoggingType, bucketResource)
		assert.Equal(t, source, accessLogs.String("bucket"))
		assert.Equal(t, bucketName, accessLogs.String("targetBucket"))
		assert.Equal(t, "s3-access/"+source+"/", accessLogs.String("targetPrefix"))
		assert.Contains(t, accessLogs.Dependencies, bucketPolicy.URN)
	}
	assert.Len(t, result.OfType(bucketLoggingType), 3, "the two data buckets and the users' data bucket; the consumer's results bucket is read by its own account only")

	doc := parsePolicy(t, bucketPolicy, "policy")
	thisAccount := map[string][]string{"aws:SourceAccount": {producerAccount}}
	clusterArn := []string{"arn:aws:redshift:us-east-1:" + producerAccount + ":cluster:analytics"}
	acl := statement(t, doc, "RedshiftAuditLogsBucketAcl")
	assert.Equal(t, &policy.Principal{Service: []string{"redshift.amazonaws.com"}}, acl.Principal)
	assert.Equal(t, []string{"s3:GetBucketAcl"}, acl.Action)
	assert.Equal(t, []string{bucketArn}, acl.Resource)
	assert.Equal(t, policy.Condition{"StringEquals": thisAccount, "ArnLike": {"aws:SourceArn": clusterArn}}, acl.Condition)
	put := statement(t, doc, "RedshiftAuditLogs")
	assert.Equal(t, &policy.Principal{Service: []string{"redshift.amazonaws.com"}}, put.Principal)
	assert.Equal(t, []string{"s3:PutObject"}, put.Action)
	assert.Equal(t, []string{bucketArn + "/redshift/*"}, put.Resource)
	assert.Equal(t, acl.Condition, put.Condition, "only this account's cluster")
	access := statement(t, doc, "S3ServerAccessLogs")
	assert.Equal(t, &policy.Principal{Service: []string{"logging.s3.amazonaws.com"}}, access.Principal)
	assert.Equal(t, []string{"s3:PutObject"}, access.Action)
	assert.Equal(t, []string{bucketArn + "/s3-access/*"}, access.Resource)
	assert.Equal(t, policy.Condition{"StringEquals": thisAccount, "ArnLike": {"aws:SourceArn": {
		"arn:aws:s3:::analytics-data-111111111111-us-east-1",
		"arn:aws:s3:::feature-offline-store-111111111111-us-east-1",
	}}}, access.Condition, "only the data buckets of this account")
	deny := statement(t, doc, "DenyInsecureTransport")
	assert.Equal(t, policy.Deny, deny.Effect)
	for _, s := range doc.Statement {
		if s.Effect == policy.Allow {
			require.NotNil(t, s.Principal, s.Sid)
			assert.Empty(t, s.Principal.AWS, "%s: only the log delivery services write", s.Sid)
		}
	}
}

func TestNoLogBucketWithoutCreatedSources(t *testing.T) {
	result := run(t, devConfig(t))
	assert.Empty(t, inComponent(result, bucketType, "producer-logs"), "existing clusters and buckets keep their owners' logging")
	assert.Empty(t, result.OfType(redshiftLoggingType))
	for _, logging := range result.OfType(bucketLoggingType) {
		assert.Equal(t, "consumer-user-data-access-logs", logging.Name, "only the users' data bucket, which the program always creates, logs: %s", logging.URN)
	}
}
