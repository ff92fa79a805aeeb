package consumer

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

const (
	athenaResultsBucket = "studio-analytics-results-222222222222-us-east-1"
	athenaDataKeyArn    = "arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
)

// athenaFixture is program/'s Athena for a workgroup over two tables of the
// producer's bucket, one of them partitioned.
func athenaFixture(dataKeyArn string) *AthenaArgs {
	return &AthenaArgs{
		Partition:            "aws",
		Region:               testRegion,
		Account:              consumerAccount,
		Workgroup:            "studio-analytics",
		ResultsBucket:        athenaResultsBucket,
		ResultsRetentionDays: 30,
		Database:             "sales",
		Tables: []config.Table{
			{
				Name: "orders", Location: "curated/orders/", Format: "parquet",
				Columns:       []config.Column{{Name: "order_id", Type: "bigint"}, {Name: "amount", Type: "decimal(10,2)"}},
				PartitionKeys: []config.Column{{Name: "order_date", Type: "date"}},
			},
			{
				Name: "customers", Location: "curated/customers/", Format: "csv",
				Columns: []config.Column{{Name: "customer_id", Type: "bigint"}, {Name: "region", Type: "string"}},
			},
		},
		DataBucket:        "producer-analytics-data",
		DataPrefixes:      []string{"curated/"},
		DataKeyArn:        pulumi.String(dataKeyArn),
		ExecutionRoleName: pulumi.String(guardedRoleName),
	}
}

func runAthena(t *testing.T, args *AthenaArgs) *offline.Result {
	t.Helper()
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		athena, err := NewAthena(ctx, "athena", args, pulumi.Provider(providers[0]))
		if err != nil {
			return err
		}
		ctx.Export("workgroupName", athena.WorkgroupName)
		ctx.Export("databaseName", athena.DatabaseName)
		ctx.Export("tableNames", athena.TableNames)
		ctx.Export("accessPolicyArn", athena.AccessPolicyArn)
		return nil
	}, testRegion, consumerAccount)
	require.NoError(t, err)
	return result
}

// TestAthenaResources: every resource in the consumer account, a child of
// the component, and the workgroup enforcing its results location in the
// results bucket of the consumer account.
func TestAthenaResources(t *testing.T) {
	result := runAthena(t, athenaFixture(athenaDataKeyArn))
	types := map[string]int{}
	for _, r := range result.Resources() {
		if !r.InAWS() {
			continue
		}
		types[r.Type]++
		assert.Equal(t, consumerAccount, r.Account, "%s %s", r.Type, r.Name)
		assert.Equal(t, "studioredshift:index:Athena", parentType(t, result, r), "%s is the component's child", r.Name)
	}
	assert.Equal(t, map[string]int{
		"aws:s3/bucketV2:BucketV2":                                                                   1,
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     1,
		"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     1,
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": 1,
		"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       1,
		"aws:s3/bucketPolicy:BucketPolicy":                                                           1,
		"aws:athena/workgroup:Workgroup":                                                             1,
		"aws:glue/catalogDatabase:CatalogDatabase":                                                   1,
		"aws:glue/catalogTable:CatalogTable":                                                         2,
		managedPolicyType:                                                                            1,
		attachmentType:                                                                               1,
	}, types)

	bucket := mustNamed(t, result, "aws:s3/bucketV2:BucketV2", "athena-results")
	assert.Equal(t, athenaResultsBucket, bucket.String("bucket"))
	assert.Equal(t, true, bucket.Input("forceDestroy"), "query results can be re-run")
	access := mustNamed(t, result, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "athena-results-public-access")
	for _, key := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, access.Input(key), key)
	}
	encryption := mustNamed(t, result, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "athena-results-encryption")
	rules, _ := encryption.Input("rules").([]any)
	require.Len(t, rules, 1)
	assert.Equal(t, "AES256", field(rules[0], "applyServerSideEncryptionByDefault", "sseAlgorithm"))

	expiry := mustNamed(t, result, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "athena-results-expiry")
	assert.Equal(t, bucket.ID, expiry.String("bucket"))
	expiryRules, _ := expiry.Input("rules").([]any)
	require.Len(t, expiryRules, 1)
	assert.Equal(t, float64(30), field(expiryRules[0], "expiration", "days"), "results expire after the retention period")
	assert.Equal(t, "Enabled", field(expiryRules[0], "status"))

	tls := document(t, mustNamed(t, result, "aws:s3/bucketPolicy:BucketPolicy", "athena-results-policy").String("policy"))
	assert.Equal(t, []string{"DenyInsecureTransport"}, sids(tls), "no one is granted the bucket by its policy")
	assert.Equal(t, []string{"arn:aws:s3:::" + athenaResultsBucket, "arn:aws:s3:::" + athenaResultsBucket + "/*"}, tls.Statement[0].Resource)

	workgroup := mustNamed(t, result, "aws:athena/workgroup:Workgroup", "athena-workgroup")
	assert.Equal(t, "studio-analytics", workgroup.String("name"))
	configuration := workgroup.Input("configuration")
	assert.Equal(t, true, field(configuration, "enforceWorkgroupConfiguration"), "clients cannot send results elsewhere or unencrypted")
	assert.Equal(t, "s3://"+bucket.ID+"/", field(configuration, "resultConfiguration", "outputLocation"))
	assert.Equal(t, consumerAccount, field(configuration, "resultConfiguration", "expectedBucketOwner"))
	assert.Equal(t, "SSE_S3", field(configuration, "resultConfiguration", "encryptionConfiguration", "encryptionOption"))
	assert.Contains(t, workgroup.Dependencies, bucket.URN, "the workgroup's output location is the results bucket")
}

// TestAthenaTables: one external table per configured table, over the
// producer's bucket, with the format's Hive classes and the partition keys.
func TestAthenaTables(t *testing.T) {
	result := runAthena(t, athenaFixture(athenaDataKeyArn))
	database := mustNamed(t, result, "aws:glue/catalogDatabase:CatalogDatabase", "athena-database")
	assert.Equal(t, "sales", database.String("name"))

	for _, tc := range []struct {
		name, location, serde, input string
		partitionKeys                []any
		serdeParameters              map[string]any
	}{
		{
			name: "orders", location: "s3://producer-analytics-data/curated/orders/",
			serde:         "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
			input:         "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
			partitionKeys: []any{map[string]any{"name": "order_date", "type": "date"}},
		},
		{
			name: "customers", location: "s3://producer-analytics-data/curated/customers/",
			serde:           "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
			input:           "org.apache.hadoop.mapred.TextInputFormat",
			serdeParameters: map[string]any{"field.delim": ","},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := mustNamed(t, result, "aws:glue/catalogTable:CatalogTable", "athena-table-"+tc.name)
			assert.Equal(t, tc.name, table.String("name"))
			assert.Equal(t, "sales", table.String("databaseName"))
			assert.Equal(t, "EXTERNAL_TABLE", table.String("tableType"))
			assert.Equal(t, "TRUE", field(table.Input("parameters"), "EXTERNAL"))
			storage := table.Input("storageDescriptor")
			assert.Equal(t, tc.location, field(storage, "location"))
			assert.Equal(t, tc.input, field(storage, "inputFormat"))
			assert.Equal(t, tc.serde, field(storage, "serDeInfo", "serializationLibrary"))
			if tc.serdeParameters != nil {
				assert.Equal(t, tc.serdeParameters, field(storage, "serDeInfo", "parameters"))
			}
			columns, _ := field(storage, "columns").([]any)
			assert.Len(t, columns, 2)
			if tc.partitionKeys != nil {
				assert.Equal(t, tc.partitionKeys, table.Input("partitionKeys"))
			} else {
				assert.Empty(t, table.Input("partitionKeys"))
			}
		})
	}
	assert.Equal(t, []any{"orders", "customers"}, result.Outputs["tableNames"])
}

// TestAthenaAccessPolicy: the execution role gets exactly this workgroup,
// these catalog entries, the results bucket and the data prefixes; the data
// key's statement is there when the bucket has a key, and not otherwise.
func TestAthenaAccessPolicy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		keyArn string
	}{
		{"data bucket with a KMS key", athenaDataKeyArn},
		{"data bucket without a key", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			result := runAthena(t, athenaFixture(tc.keyArn))
			managed := mustNamed(t, result, managedPolicyType, "athena-access")
			attachment := mustNamed(t, result, attachmentType, "athena-execution-role")
			assert.Equal(t, guardedRoleName, attachment.String("role"))
			assert.Equal(t, managed.Output("arn"), attachment.String("policyArn"))

			d := document(t, managed.String("policy"))
			for _, s := range d.Statement {
				assert.Equal(t, policy.Allow, s.Effect, s.Sid)
				assert.NotContains(t, s.Resource, "*", "%s: every resource named", s.Sid)
			}
			assert.Equal(t, []string{"arn:aws:athena:us-east-1:222222222222:workgroup/studio-analytics"}, statement(t, d, "QueryThroughTheWorkgroup").Resource)
			assert.Equal(t, []string{
				"arn:aws:glue:us-east-1:222222222222:catalog",
				"arn:aws:glue:us-east-1:222222222222:database/sales",
				"arn:aws:glue:us-east-1:222222222222:table/sales/orders",
				"arn:aws:glue:us-east-1:222222222222:table/sales/customers",
			}, statement(t, d, "ReadTheCatalog").Resource)
			assert.Equal(t, []string{
				"arn:aws:glue:us-east-1:222222222222:catalog",
				"arn:aws:glue:us-east-1:222222222222:database/sales",
				"arn:aws:glue:us-east-1:222222222222:table/sales/orders",
			}, statement(t, d, "LoadPartitions").Resource, "only the partitioned table takes new partitions")
			assert.Equal(t, []string{"arn:aws:s3:::" + athenaResultsBucket + "/*"}, statement(t, d, "ResultsObjects").Resource)
			assert.Equal(t, []string{"arn:aws:s3:::producer-analytics-data/curated/*"}, statement(t, d, "DataBucketObjects").Resource)
			assert.Equal(t, []string{"curated/*"}, statement(t, d, "DataBucketList").Condition["StringLike"]["s3:prefix"])

			if tc.keyArn == "" {
				assert.NotContains(t, sids(d), "DataBucketDecrypt")
			} else {
				decrypt := statement(t, d, "DataBucketDecrypt")
				assert.Equal(t, []string{tc.keyArn}, decrypt.Resource)
				assert.Equal(t, []string{"s3.us-east-1.amazonaws.com"}, decrypt.Condition["StringEquals"]["kms:ViaService"])
			}

			assert.Equal(t, managed.Output("arn"), result.Outputs["accessPolicyArn"])
			assert.Equal(t, "studio-analytics", result.Outputs["workgroupName"])
			assert.Equal(t, "sales", result.Outputs["databaseName"])
		})
	}
}

// TestAthenaWithoutPartitionedTables: no table is partitioned, so the policy
// allows creating no partition anywhere.
func TestAthenaWithoutPartitionedTables(t *testing.T) {
	args := athenaFixture(athenaDataKeyArn)
	args.Tables = args.Tables[1:]
	result := runAthena(t, args)
	d := document(t, mustNamed(t, result, managedPolicyType, "athena-access").String("policy"))
	assert.NotContains(t, sids(d), "LoadPartitions")
	for _, s := range d.Statement {
		assert.NotContains(t, s.Action, "glue:CreatePartition", s.Sid)
	}
}
