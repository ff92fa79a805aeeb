package consumer

import (
	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/policy"
	"github.com/studio-redshift/studio-redshift/producer"
)

// AthenaScope is everything the access policy names.
type AthenaScope struct {
	Partition, Region, Account string
	Workgroup                  string
	Database                   string
	Tables                     []config.Table
	ResultsBucket              string
	DataBucket                 string
	DataPrefixes               []string
	// DataKeyArn is the data bucket's KMS key, empty when it has none.
	DataKeyArn string
}

// AthenaAccessPolicy allows querying through exactly this workgroup, reading
// exactly these catalog entries and the producer's bucket (its prefixes
// only), and keeping results in the workgroup's bucket. Athena acts with the
// caller's permissions throughout, so the caller needs all of them.
func AthenaAccessPolicy(s AthenaScope) policy.Document {
	glueArn := func(resource string) string { return policy.ARN(s.Partition, "glue", s.Region, s.Account, resource) }
	catalog := []string{glueArn("catalog"), glueArn("database/" + s.Database)}
	var tables, partitioned []string
	for _, table := range s.Tables {
		arn := glueArn("table/" + s.Database + "/" + table.Name)
		tables = append(tables, arn)
		if len(table.PartitionKeys) > 0 {
			partitioned = append(partitioned, arn)
		}
	}
	results := policy.ARN(s.Partition, "s3", "", "", s.ResultsBucket)
	data := policy.ARN(s.Partition, "s3", "", "", s.DataBucket)

	statements := []policy.Statement{
		{
			Sid:    "QueryThroughTheWorkgroup",
			Effect: policy.Allow,
			Action: []string{
				"athena:BatchGetQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
				"athena:GetQueryResultsStream", "athena:GetQueryRuntimeStatistics", "athena:GetWorkGroup",
				"athena:ListQueryExecutions", "athena:StartQueryExecution", "athena:StopQueryExecution",
			},
			Resource: []string{policy.ARN(s.Partition, "athena", s.Region, s.Account, "workgroup/"+s.Workgroup)},
		},
		{
			Sid:    "ReadTheCatalog",
			Effect: policy.Allow,
			Action: []string{
				"glue:BatchGetPartition", "glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions",
				"glue:GetTable", "glue:GetTables",
			},
			Resource: append(append([]string{}, catalog...), tables...),
		},
	}
	if len(partitioned) > 0 {
		statements = append(statements, policy.Statement{
			Sid:    "LoadPartitions",
			Effect: policy.Allow,
			// MSCK REPAIR TABLE and ALTER TABLE ADD PARTITION register the
			// partitions found under a table's location.
			Action:   []string{"glue:BatchCreatePartition", "glue:CreatePartition"},
			Resource: append(append([]string{}, catalog...), partitioned...),
		})
	}
	statements = append(statements,
		policy.Statement{
			Sid:      "ResultsBucket",
			Effect:   policy.Allow,
			Action:   []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"},
			Resource: []string{results},
		},
		policy.Statement{
			Sid:      "ResultsObjects",
			Effect:   policy.Allow,
			Action:   []string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"},
			Resource: []string{results + "/*"},
		},
	)
	return policy.New(append(statements, producer.ReaderStatements("DataBucket", s.Region, data, s.DataPrefixes, s.DataKeyArn)...)...)
}
