package program

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

const (
	bucketType         = "aws:s3/bucketV2:BucketV2"
	bucketPolicyType   = "aws:s3/bucketPolicy:BucketPolicy"
	publicAccessType   = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	versioningType     = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	encryptionType     = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	ownershipType      = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	lifecycleRulesType = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	workgroupType      = "aws:athena/workgroup:Workgroup"
	glueDatabaseType   = "aws:glue/catalogDatabase:CatalogDatabase"
	glueTableType      = "aws:glue/catalogTable:CatalogTable"
	kmsGrantType       = "aws:kms/grant:Grant"

	dataBucket    = "analytics-data-111111111111-us-east-1"
	resultsBucket = "analytics-results-222222222222-us-east-1"
)

// withObject returns the dev configuration with one structured key set.
func withObject(t *testing.T, key string, value map[string]any) map[string]string {
	t.Helper()
	values := devConfig(t)
	text, err := json.Marshal(value)
	require.NoError(t, err)
	values["studio-redshift:"+key] = string(text)
	return values
}

// existingBucketAthena reads an existing, KMS-encrypted bucket.
func existingBucketAthena(managePolicy bool) map[string]any {
	return map[string]any{
		"bucket": map[string]any{
			"name":         "existing-data",
			"kmsKeyArn":    "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			"managePolicy": managePolicy,
		},
		"principals": []any{"arn:aws:iam::222222222222:role/analyst"},
		"workgroup":  "analytics",
		"database":   "sales",
		"tables": []any{map[string]any{
			"name": "orders", "location": "orders/",
			"columns": []any{map[string]any{"name": "order_id", "type": "bigint"}},
		}},
	}
}

// assertNoVPCCondition checks that no statement is guarded by the caller's
// VPC: Athena reads S3 from outside it.
func assertNoVPCCondition(t *testing.T, doc policy.Document) {
	t.Helper()
	for _, s := range doc.Statement {
		for _, keys := range s.Condition {
			for key := range keys {
				assert.NotContains(t, []string{"aws:sourcevpc", "aws:sourcevpce"}, strings.ToLower(key), "statement %s", s.Sid)
			}
		}
	}
}

func TestAthenaIsOffByDefault(t *testing.T) {
	result := run(t, devConfig(t))
	assert.Empty(t, result.OfType(workgroupType))
	for _, bucket := range result.OfType(bucketType) {
		assert.NotContains(t, bucket.Name, "athena", bucket.URN)
	}
	assert.NotContains(t, result.Outputs, "athenaWorkgroup")
}

func TestAthenaDataBucketIsReadOnlyForTheExecutionRole(t *testing.T) {
	result := run(t, demoConfig(t))
	executionRoleArn := one(t, result, roleType, "consumer-execution-role").Output("arn").(string)
	bucket := one(t, result, bucketType, "athena-data")
	key := one(t, result, keyType, "athena-data-key")

	assert.Equal(t, "producer", bucket.Provider, "the data bucket belongs to the producer")
	assert.Equal(t, dataBucket, bucket.ID)
	assert.True(t, bucket.Protect, "a created data bucket is protected")
	assert.True(t, key.Protect)
	assert.Equal(t, true, key.Input("enableKeyRotation"))

	assert.Equal(t, map[string]any{"status": "Enabled"}, one(t, result, versioningType, "athena-data-versioning").Input("versioningConfiguration"))
	access := one(t, result, publicAccessType, "athena-data-public-access")
	for _, setting := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, access.Input(setting), setting)
	}
	encryption := one(t, result, encryptionType, "athena-data-encryption").Input("rules").([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.Output("arn")}, encryption["applyServerSideEncryptionByDefault"])

	bucketPolicy := one(t, result, bucketPolicyType, "athena-data-policy")
	assert.Equal(t, dataBucket, bucketPolicy.String("bucket"))
	doc := parsePolicy(t, bucketPolicy, "policy")
	bucketArn := "arn:aws:s3:::" + dataBucket
	readers := &policy.Principal{AWS: []string{executionRoleArn}}

	location := statement(t, doc, "AthenaReadBucket")
	assert.Equal(t, readers, location.Principal, "the execution role's ARN, nothing broader")
	assert.Equal(t, []string{"s3:GetBucketLocation"}, location.Action)
	assert.Equal(t, []string{bucketArn}, location.Resource)

	list := statement(t, doc, "AthenaReadList")
	assert.Equal(t, readers, list.Principal)
	assert.Equal(t, []string{"s3:ListBucket"}, list.Action)
	assert.Equal(t, policy.Condition{"StringLike": {"s3:prefix": {"sales/*"}}}, list.Condition, "only the configured prefixes")

	objects := statement(t, doc, "AthenaReadObjects")
	assert.Equal(t, readers, objects.Principal)
	assert.Equal(t, []string{"s3:GetObject"}, objects.Action, "read-only")
	assert.Equal(t, []string{bucketArn + "/sales/*"}, objects.Resource)

	tls := statement(t, doc, "DenyInsecureTransport")
	assert.Equal(t, policy.Deny, tls.Effect)
	assert.Equal(t, policy.Condition{"Bool": {"aws:SecureTransport": {"false"}}}, tls.Condition)

	for _, s := range doc.Statement {
		if s.Effect == policy.Allow {
			for _, action := range s.Action {
				assert.Contains(t, []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject"}, action, "%s grants more than reading", s.Sid)
			}
		}
	}
	assertNoVPCCondition(t, doc)

	// The bucket's key lets the readers decrypt, through S3 only.
	keyPolicy := parsePolicy(t, key, "policy")
	root := statement(t, keyPolicy, "AccountAdministersTheKey")
	assert.Equal(t, []string{"arn:aws:iam::111111111111:root"}, root.Principal.AWS, "the key stays administered by its own account")
	decrypt := statement(t, keyPolicy, "AthenaReadKey")
	assert.Equal(t, readers, decrypt.Principal)
	assert.Equal(t, []string{"kms:Decrypt"}, decrypt.Action)
	assert.Equal(t, policy.Condition{"StringEquals": {"kms:ViaService": {"s3.us-east-1.amazonaws.com"}}}, decrypt.Condition)
}

func TestAthenaWorkgroupAndResults(t *testing.T) {
	result := run(t, demoConfig(t))
	results := one(t, result, bucketType, "athena-results")
	assert.Equal(t, "consumer", results.Provider)
	assert.Equal(t, resultsBucket, results.ID)

	expiry := one(t, result, lifecycleRulesType, "athena-results-expiry").Input("rules").([]any)[0].(map[string]any)
	assert.Equal(t, "Enabled", expiry["status"])
	assert.Equal(t, map[string]any{"days": 30.0}, expiry["expiration"], "old results expire")
	encryption := one(t, result, encryptionType, "athena-results-encryption").Input("rules").([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"sseAlgorithm": "AES256"}, encryption["applyServerSideEncryptionByDefault"])
	access := one(t, result, publicAccessType, "athena-results-public-access")
	assert.Equal(t, true, access.Input("restrictPublicBuckets"))
	assert.Equal(t, "DenyInsecureTransport", parsePolicy(t, one(t, result, bucketPolicyType, "athena-results-policy"), "policy").Statement[0].Sid)

	workgroup := one(t, result, workgroupType, "athena-workgroup")
	assert.Equal(t, "analytics", workgroup.String("name"))
	configuration := workgroup.Input("configuration").(map[string]any)
	assert.Equal(t, true, configuration["enforceWorkgroupConfiguration"], "clients cannot override the settings")
	assert.Equal(t, map[string]any{
		"outputLocation":          "s3://" + resultsBucket + "/",
		"expectedBucketOwner":     consumerAccount,
		"encryptionConfiguration": map[string]any{"encryptionOption": "SSE_S3"},
	}, configuration["resultConfiguration"])
}

func TestAthenaCatalog(t *testing.T) {
	result := run(t, demoConfig(t))
	database := one(t, result, glueDatabaseType, "athena-database")
	assert.Equal(t, "sales", database.String("name"))
	assert.Equal(t, "consumer", database.Provider)

	orders := one(t, result, glueTableType, "athena-table-orders")
	assert.Equal(t, "sales", orders.String("databaseName"))
	assert.Equal(t, "EXTERNAL_TABLE", orders.String("tableType"))
	storage := orders.Input("storageDescriptor").(map[string]any)
	assert.Equal(t, "s3://"+dataBucket+"/sales/orders/", storage["location"], "under the producer's bucket")
	assert.Equal(t, "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", storage["serDeInfo"].(map[string]any)["serializationLibrary"], "Parquet by default")
	assert.Equal(t, []any{
		map[string]any{"name": "order_id", "type": "bigint"},
		map[string]any{"name": "customer_id", "type": "bigint"},
		map[string]any{"name": "amount", "type": "decimal(10,2)"},
	}, storage["columns"])
	assert.Equal(t, []any{map[string]any{"name": "dt", "type": "date"}}, orders.Input("partitionKeys"))

	customers := one(t, result, glueTableType, "athena-table-customers")
	serde := customers.Input("storageDescriptor").(map[string]any)["serDeInfo"].(map[string]any)
	assert.Equal(t, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", serde["serializationLibrary"])
	assert.Equal(t, "csv", customers.Input("parameters").(map[string]any)["classification"])
}

func TestAthenaAccessPolicyIsScoped(t *testing.T) {
	result := run(t, demoConfig(t))
	managed := one(t, result, managedPolicyType, "athena-access")
	attachment := one(t, result, attachmentType, "athena-execution-role")
	assert.Equal(t, one(t, result, roleType, "consumer-execution-role").ID, attachment.String("role"))
	assert.Equal(t, managed.Output("arn"), attachment.String("policyArn"))
	assert.Equal(t, managed.Output("arn"), result.Outputs["athenaAccessPolicyArn"])

	doc := parsePolicy(t, managed, "policy")
	assert.Equal(t, []string{"arn:aws:athena:us-east-1:222222222222:workgroup/analytics"}, statement(t, doc, "QueryThroughTheWorkgroup").Resource,
		"exactly this workgroup")
	assert.Equal(t, []string{
		"arn:aws:glue:us-east-1:222222222222:catalog",
		"arn:aws:glue:us-east-1:222222222222:database/sales",
		"arn:aws:glue:us-east-1:222222222222:table/sales/orders",
		"arn:aws:glue:us-east-1:222222222222:table/sales/customers",
	}, statement(t, doc, "ReadTheCatalog").Resource, "exactly this database and its tables")
	assert.Equal(t, []string{
		"arn:aws:glue:us-east-1:222222222222:catalog",
		"arn:aws:glue:us-east-1:222222222222:database/sales",
		"arn:aws:glue:us-east-1:222222222222:table/sales/orders",
	}, statement(t, doc, "LoadPartitions").Resource, "partitions only for the partitioned table")
	assert.Equal(t, []string{"arn:aws:s3:::" + resultsBucket}, statement(t, doc, "ResultsBucket").Resource)
	assert.Equal(t, []string{"arn:aws:s3:::" + resultsBucket + "/*"}, statement(t, doc, "ResultsObjects").Resource)
	assert.Equal(t, []string{"arn:aws:s3:::" + dataBucket + "/sales/*"}, statement(t, doc, "DataBucketObjects").Resource)
	assert.Equal(t, []string{"s3:GetObject"}, statement(t, doc, "DataBucketObjects").Action)
	assert.Equal(t, policy.Condition{"StringLike": {"s3:prefix": {"sales/*"}}}, statement(t, doc, "DataBucketList").Condition)
	decrypt := statement(t, doc, "DataBucketDecrypt")
	assert.Equal(t, []string{one(t, result, keyType, "athena-data-key").Output("arn").(string)}, decrypt.Resource, "the producer's key, by its ARN")
	for _, s := range doc.Statement {
		assert.NotContains(t, s.Resource, "*", "%s: every action here has a resource type", s.Sid)
	}
	assertNoVPCCondition(t, doc)
}

func TestAthenaEndpointsAndOutputs(t *testing.T) {
	t.Parallel()
	result := run(t, demoConfig(t))
	for _, service := range []string{"athena", "glue"} {
		endpoint := one(t, result, endpointType, "consumer-endpoint-"+service)
		assert.Equal(t, "com.amazonaws.us-east-1."+service, endpoint.String("serviceName"))
		assert.Equal(t, true, endpoint.Input("privateDnsEnabled"))
	}
	assert.Equal(t, "analytics", result.Outputs["athenaWorkgroup"])
	assert.Equal(t, "sales", result.Outputs["athenaDatabase"])
	assert.Equal(t, []any{"orders", "customers"}, result.Outputs["athenaTables"])
	snippet := result.Outputs["athenaSnippet"].(string)
	for _, want := range []string{`wr.athena.read_sql_query(`, `database="sales"`, `workgroup="analytics"`, `"SELECT * FROM \"orders\" LIMIT 10"`} {
		assert.Contains(t, snippet, want)
	}
	assertPython(t, snippet)
	assert.NotContains(t, result.Outputs, "athenaBucketPolicy", "a created bucket's policy is applied, not handed out")
}

func TestAthenaExistingBucket(t *testing.T) {
	result := run(t, withObject(t, "athena", existingBucketAthena(false)))
	assert.Empty(t, inComponent(result, bucketType, "athena-data"), "an existing bucket is not created")
	assert.Empty(t, inComponent(result, bucketPolicyType, "athena-data"), "its policy is not replaced unless allowed")

	executionRoleArn := one(t, result, roleType, "consumer-execution-role").Output("arn")
	grants := result.OfType(kmsGrantType)
	require.Len(t, grants, 2, "one decrypt grant per reader")
	var grantees []any
	for _, grant := range grants {
		assert.Equal(t, "producer", grant.Provider)
		assert.Equal(t, "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab", grant.String("keyId"))
		assert.Equal(t, []any{"Decrypt"}, grant.Input("operations"))
		grantees = append(grantees, grant.Input("granteePrincipal"))
	}
	assert.ElementsMatch(t, []any{executionRoleArn, "arn:aws:iam::222222222222:role/analyst"}, grantees)

	// The policy the bucket's owner must apply is an output.
	doc, err := policy.Parse(result.Outputs["athenaBucketPolicy"].(string))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{executionRoleArn.(string), "arn:aws:iam::222222222222:role/analyst"}, statement(t, doc, "AthenaReadObjects").Principal.AWS)
	assert.Equal(t, []string{"arn:aws:s3:::existing-data/*"}, statement(t, doc, "AthenaReadObjects").Resource, "no prefixes: the whole bucket")
	assert.Nil(t, statement(t, doc, "AthenaReadList").Condition)

	access := parsePolicy(t, one(t, result, managedPolicyType, "athena-access"), "policy")
	assert.Equal(t, []string{"arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, statement(t, access, "DataBucketDecrypt").Resource)

	managed := run(t, withObject(t, "athena", existingBucketAthena(true)))
	bucketPolicy := one(t, managed, bucketPolicyType, "athena-data-policy")
	assert.Equal(t, "existing-data", bucketPolicy.String("bucket"))
	assert.NotContains(t, managed.Outputs, "athenaBucketPolicy")
}

func TestS3EndpointAdmitsEveryBucketTheProgramUses(t *testing.T) {
	values := withConsumer(t, demoConfig(t), func(c map[string]any) {
		c["vpc"].(map[string]any)["s3EndpointBuckets"] = []any{"ml-data"}
	})
	result := run(t, values)
	userData := one(t, result, bucketType, "consumer-user-data").ID
	doc := parsePolicy(t, one(t, result, endpointType, "consumer-endpoint-s3"), "policy")
	assert.Equal(t, []string{
		"arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*",
		"arn:aws:s3:::" + userData, "arn:aws:s3:::" + userData + "/*",
		"arn:aws:s3:::" + dataBucket, "arn:aws:s3:::" + dataBucket + "/*",
		"arn:aws:s3:::" + resultsBucket, "arn:aws:s3:::" + resultsBucket + "/*",
		"arn:aws:s3:::" + offlineBucket, "arn:aws:s3:::" + offlineBucket + "/*",
	}, doc.Statement[0].Resource, "the named bucket and every bucket the users' data, Athena and Feature Store use")
}
