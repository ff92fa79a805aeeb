// The Athena component is the consumer account's side of cross-account Athena: a
// workgroup that enforces its settings, its results bucket, the Glue database
// and external tables over the producer's bucket, and a managed policy that
// lets the Studio execution role use exactly these.

package consumer

import (
	"fmt"

	awsathena "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/athena"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/glue"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/policy"
	"github.com/studio-redshift/studio-redshift/producer"
)

// Athena is the workgroup, catalog and access policy.
type Athena struct {
	pulumi.ResourceState

	WorkgroupName pulumi.StringOutput      `pulumi:"workgroupName"`
	DatabaseName  pulumi.StringOutput      `pulumi:"databaseName"`
	TableNames    pulumi.StringArrayOutput `pulumi:"tableNames"`
	// AccessPolicyArn lets further consumer principals use the same setup.
	AccessPolicyArn pulumi.StringOutput `pulumi:"accessPolicyArn"`
}

// AthenaArgs are the inputs of NewAthena. Create it with the consumer
// account's provider (pulumi.Provider).
type AthenaArgs struct {
	// Partition, Region and Account place the workgroup. Required.
	Partition, Region, Account string
	// Workgroup and ResultsBucket name what is created; results expire after
	// ResultsRetentionDays. Required.
	Workgroup            string
	ResultsBucket        string
	ResultsRetentionDays int
	// Database and Tables are the Glue catalog entries. Required.
	Database string
	Tables   []config.Table
	// DataBucket, DataPrefixes and DataKeyArn are the producer's bucket,
	// what of it may be read, and its key (empty output when none). Required
	// but for the key.
	DataBucket   string
	DataPrefixes []string
	DataKeyArn   pulumi.StringInput
	// ExecutionRoleName gets the access policy. Required.
	ExecutionRoleName pulumi.StringInput
}

// NewAthena registers the consumer side of cross-account Athena.
func NewAthena(ctx *pulumi.Context, name string, args *AthenaArgs, opts ...pulumi.ResourceOption) (*Athena, error) {
	comp := &Athena{}
	if err := ctx.RegisterComponentResource("studioredshift:index:Athena", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	results, err := newResultsBucket(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}
	workgroup, err := awsathena.NewWorkgroup(ctx, name+"-workgroup", &awsathena.WorkgroupArgs{
		Name:        pulumi.String(args.Workgroup),
		Description: pulumi.String("Queries the producer account's data from SageMaker Studio"),
		State:       pulumi.String("ENABLED"),
		// Query history is not data; let a destroy remove it.
		ForceDestroy: pulumi.Bool(true),
		Configuration: &awsathena.WorkgroupConfigurationArgs{
			// Clients cannot point results elsewhere or turn encryption off.
			EnforceWorkgroupConfiguration:   pulumi.Bool(true),
			PublishCloudwatchMetricsEnabled: pulumi.Bool(true),
			EngineVersion: &awsathena.WorkgroupConfigurationEngineVersionArgs{
				SelectedEngineVersion: pulumi.String("Athena engine version 3"),
			},
			ResultConfiguration: &awsathena.WorkgroupConfigurationResultConfigurationArgs{
				OutputLocation:      pulumi.Sprintf("s3://%s/", results.ID()),
				ExpectedBucketOwner: pulumi.String(args.Account),
				EncryptionConfiguration: &awsathena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs{
					EncryptionOption: pulumi.String("SSE_S3"),
				},
			},
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("workgroup: %w", err)
	}

	database, err := glue.NewCatalogDatabase(ctx, name+"-database", &glue.CatalogDatabaseArgs{
		Name:        pulumi.String(args.Database),
		Description: pulumi.String("Tables over s3://" + args.DataBucket + " in the producer account"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("glue database: %w", err)
	}
	tableNames := pulumi.StringArray{}
	for _, table := range args.Tables {
		created, err := glue.NewCatalogTable(ctx, name+"-table-"+table.Name, tableArgs(database.Name, args.DataBucket, table), parent)
		if err != nil {
			return nil, fmt.Errorf("glue table %s: %w", table.Name, err)
		}
		tableNames = append(tableNames, created.Name)
	}

	access := args.DataKeyArn.ToStringOutput().ApplyT(func(keyArn string) (string, error) {
		return AthenaAccessPolicy(AthenaScope{
			Partition: args.Partition, Region: args.Region, Account: args.Account,
			Workgroup: args.Workgroup, Database: args.Database, Tables: args.Tables,
			ResultsBucket: args.ResultsBucket, DataBucket: args.DataBucket,
			DataPrefixes: args.DataPrefixes, DataKeyArn: keyArn,
		}).JSON()
	}).(pulumi.StringOutput)
	managed, err := iam.NewPolicy(ctx, name+"-access", &iam.PolicyArgs{
		Description: pulumi.String("Athena workgroup " + args.Workgroup + " over the producer account's bucket " + args.DataBucket),
		Policy:      access,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("access policy: %w", err)
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-execution-role", &iam.RolePolicyAttachmentArgs{
		Role:      args.ExecutionRoleName,
		PolicyArn: managed.Arn,
	}, parent); err != nil {
		return nil, fmt.Errorf("access policy attachment: %w", err)
	}

	comp.WorkgroupName = workgroup.Name
	comp.DatabaseName = database.Name
	comp.TableNames = tableNames.ToStringArrayOutput()
	comp.AccessPolicyArn = managed.Arn
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"workgroupName":   comp.WorkgroupName,
		"databaseName":    comp.DatabaseName,
		"tableNames":      comp.TableNames,
		"accessPolicyArn": comp.AccessPolicyArn,
	})
}

// newResultsBucket holds query results: private, encrypted, TLS only, and
// emptied of results older than the retention period.
func newResultsBucket(ctx *pulumi.Context, name string, args *AthenaArgs, parent pulumi.ResourceOption) (*s3.BucketV2, error) {
	bucket, err := s3.NewBucketV2(ctx, name+"-results", &s3.BucketV2Args{
		Bucket: pulumi.String(args.ResultsBucket),
		// Query results can be re-run; a destroy may delete them.
		ForceDestroy: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("results bucket: %w", err)
	}
	if err := producer.PrivateBucket(ctx, name+"-results", bucket, parent); err != nil {
		return nil, err
	}
	if err := producer.EncryptWithS3Keys(ctx, name+"-results", bucket, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-results-expiry", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("expire-query-results"),
			Status: pulumi.String("Enabled"),
			Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{
				Days: pulumi.Int(args.ResultsRetentionDays),
			},
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
				DaysAfterInitiation: pulumi.Int(1),
			},
		}},
	}, parent); err != nil {
		return nil, fmt.Errorf("results expiry: %w", err)
	}
	tlsOnly, err := producer.DataBucketPolicy(policy.ARN(args.Partition, "s3", "", "", args.ResultsBucket), nil, nil, nil).JSON()
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketPolicy(ctx, name+"-results-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: pulumi.String(tlsOnly),
	}, parent); err != nil {
		return nil, fmt.Errorf("results bucket policy: %w", err)
	}
	return bucket, nil
}

// formats are the Hive input/output formats and SerDe of each file format.
var formats = map[string]struct{ input, output, serde string }{
	"parquet": {
		"org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
		"org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
		"org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
	},
	"csv": {
		"org.apache.hadoop.mapred.TextInputFormat",
		"org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
		"org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
	},
	"json": {
		"org.apache.hadoop.mapred.TextInputFormat",
		"org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
		"org.openx.data.jsonserde.JsonSerDe",
	},
}

func tableArgs(database pulumi.StringInput, bucket string, table config.Table) *glue.CatalogTableArgs {
	format := formats[table.Format]
	columns := glue.CatalogTableStorageDescriptorColumnArray{}
	for _, column := range table.Columns {
		columns = append(columns, &glue.CatalogTableStorageDescriptorColumnArgs{Name: pulumi.String(column.Name), Type: pulumi.String(column.Type)})
	}
	partitionKeys := glue.CatalogTablePartitionKeyArray{}
	for _, key := range table.PartitionKeys {
		partitionKeys = append(partitionKeys, &glue.CatalogTablePartitionKeyArgs{Name: pulumi.String(key.Name), Type: pulumi.String(key.Type)})
	}
	serdeParameters := pulumi.StringMap{}
	if table.Format == "csv" {
		serdeParameters["field.delim"] = pulumi.String(",")
	}
	return &glue.CatalogTableArgs{
		Name:         pulumi.String(table.Name),
		DatabaseName: database,
		TableType:    pulumi.String("EXTERNAL_TABLE"),
		Parameters: pulumi.StringMap{
			"EXTERNAL":       pulumi.String("TRUE"),
			"classification": pulumi.String(table.Format),
		},
		PartitionKeys: partitionKeys,
		StorageDescriptor: &glue.CatalogTableStorageDescriptorArgs{
			Location:     pulumi.String("s3://" + bucket + "/" + table.Location),
			InputFormat:  pulumi.String(format.input),
			OutputFormat: pulumi.String(format.output),
			SerDeInfo: &glue.CatalogTableStorageDescriptorSerDeInfoArgs{
				SerializationLibrary: pulumi.String(format.serde),
				Parameters:           serdeParameters,
			},
			Columns: columns,
		},
	}
}
