package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validAthena() map[string]any {
	return map[string]any{
		"bucket": map[string]any{
			"name":     "analytics-data-111111111111",
			"create":   true,
			"prefixes": []any{"sales/"},
		},
		"workgroup": "analytics",
		"database":  "sales",
		"tables": []any{map[string]any{
			"name":          "orders",
			"location":      "sales/orders/",
			"columns":       []any{map[string]any{"name": "order_id", "type": "bigint"}, map[string]any{"name": "amount", "type": "decimal(10,2)"}},
			"partitionKeys": []any{map[string]any{"name": "dt", "type": "date"}},
		}},
	}
}

func TestParseAthena(t *testing.T) {
	raw := validRaw()
	raw["athena"] = validAthena()
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err)
	require.NotNil(t, cfg.Athena)
	assert.Equal(t, 30, cfg.Athena.ResultsRetentionDays, "default retention")
	assert.Equal(t, "parquet", cfg.Athena.Tables[0].Format, "Parquet by default")
	assert.Equal(t, "analytics-results-222222222222-us-east-1", cfg.Athena.ResultsBucket(cfg.Consumer.AccountID, cfg.Region))

	cfg, err = Parse(encode(t, validRaw()))
	require.NoError(t, err)
	assert.Nil(t, cfg.Athena, "off unless configured")
}

func TestParseAthenaExistingBucket(t *testing.T) {
	raw := validRaw()
	athena := validAthena()
	athena["bucket"] = map[string]any{
		"name":         "existing-data",
		"kmsKeyArn":    "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"managePolicy": true,
	}
	athena["principals"] = []any{"arn:aws:iam::222222222222:role/analyst"}
	raw["athena"] = athena
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err)
	assert.False(t, cfg.Athena.Bucket.Create)
	assert.True(t, cfg.Athena.Bucket.ManagePolicy)
	assert.Equal(t, []string{"arn:aws:iam::222222222222:role/analyst"}, cfg.Athena.Principals)
}

func TestParseAthenaRejects(t *testing.T) {
	table := func(a map[string]any) map[string]any { return a["tables"].([]any)[0].(map[string]any) }
	tests := []struct {
		name   string
		change func(a map[string]any)
		key    string
		want   string
	}{
		{"invalid bucket name", func(a map[string]any) { a["bucket"].(map[string]any)["name"] = "Analytics_Data" }, "athena.bucket.name", "not an S3 bucket name"},
		{"key for a created bucket", func(a map[string]any) {
			a["bucket"].(map[string]any)["kmsKeyArn"] = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, "athena.bucket.kmsKeyArn", "gets its own KMS key"},
		{"managePolicy for a created bucket", func(a map[string]any) { a["bucket"].(map[string]any)["managePolicy"] = true }, "athena.bucket.managePolicy", "always writes the policy"},
		{"malformed key ARN", func(a map[string]any) {
			a["bucket"] = map[string]any{"name": "existing-data", "kmsKeyArn": "alias/data"}
		}, "athena.bucket.kmsKeyArn", "not a KMS key ARN"},
		{"key in the consumer account", func(a map[string]any) {
			a["bucket"] = map[string]any{"name": "existing-data", "kmsKeyArn": "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
		}, "athena.bucket.kmsKeyArn", "must be in us-east-1 of the producer account"},
		{"prefix with a leading slash", func(a map[string]any) { a["bucket"].(map[string]any)["prefixes"] = []any{"/sales/"} }, "athena.bucket.prefixes[0]", "no leading slash"},
		{"prefix with a wildcard", func(a map[string]any) { a["bucket"].(map[string]any)["prefixes"] = []any{"sales/*"} }, "athena.bucket.prefixes[0]", "no wildcard"},
		{"principal of another account", func(a map[string]any) { a["principals"] = []any{"arn:aws:iam::333333333333:role/analyst"} }, "athena.principals[0]", "only principals of the consumer account"},
		{"principal that is not an ARN", func(a map[string]any) { a["principals"] = []any{"analyst"} }, "athena.principals[0]", "not an IAM role or user ARN"},
		{"missing workgroup", func(a map[string]any) { delete(a, "workgroup") }, "athena.workgroup", "is required"},
		{"upper-case workgroup", func(a map[string]any) { a["workgroup"] = "Analytics" }, "athena.workgroup", "lower-case"},
		{"workgroup too long for the results bucket", func(a map[string]any) { a["workgroup"] = strings.Repeat("a", 35) }, "athena.workgroup", "63 characters"},
		{"retention out of range", func(a map[string]any) { a["resultsRetentionDays"] = 5000 }, "athena.resultsRetentionDays", "1 to 3650"},
		{"database with a hyphen", func(a map[string]any) { a["database"] = "db-xxxx" }, "athena.database", "not a Glue name"},
		{"missing database", func(a map[string]any) { delete(a, "database") }, "athena.database", "is required"},
		{"upper-case database", func(a map[string]any) { a["database"] = "Sales" }, "athena.database", `Glue stores names in lower case, so the catalog and the policies would say "sales"`},
		{"upper-case table", func(a map[string]any) { table(a)["name"] = "Orders" }, "athena.tables[0].name", "upper case"},
		{"zero retention", func(a map[string]any) { a["resultsRetentionDays"] = 0 }, "athena.resultsRetentionDays", "0 is out of range"},
		{"no tables", func(a map[string]any) { a["tables"] = []any{} }, "athena.tables", "at least one table"},
		{"table twice", func(a map[string]any) { a["tables"] = append(a["tables"].([]any), table(a)) }, "athena.tables[1].name", "listed twice"},
		{"table outside the readable prefixes", func(a map[string]any) { table(a)["location"] = "marketing/leads/" }, "athena.tables[0].location", "outside athena.bucket.prefixes"},
		{"location without a trailing slash", func(a map[string]any) { table(a)["location"] = "sales/orders" }, "athena.tables[0].location", "ending with /"},
		{"unknown format", func(a map[string]any) { table(a)["format"] = "avro" }, "athena.tables[0].format", "parquet, csv, json"},
		{"no columns", func(a map[string]any) { table(a)["columns"] = []any{} }, "athena.tables[0].columns", "at least one column"},
		{"unknown column type", func(a map[string]any) {
			table(a)["columns"] = []any{map[string]any{"name": "amount", "type": "money"}}
		}, "athena.tables[0].columns[0].type", "not an Athena type"},
		{"missing column type", func(a map[string]any) { table(a)["columns"] = []any{map[string]any{"name": "amount"}} }, "athena.tables[0].columns[0].type", "is required"},
		{"column name with a space", func(a map[string]any) {
			table(a)["columns"] = []any{map[string]any{"name": "order id", "type": "bigint"}}
		}, "athena.tables[0].columns[0].name", "not a Glue name"},
		{"partition key that repeats a column", func(a map[string]any) {
			table(a)["partitionKeys"] = []any{map[string]any{"name": "order_id", "type": "bigint"}}
		}, "athena.tables[0].partitionKeys[0].name", "already a column"},
		{"complex partition key", func(a map[string]any) {
			table(a)["partitionKeys"] = []any{map[string]any{"name": "tags", "type": "array<string>"}}
		}, "athena.tables[0].partitionKeys[0].type", "cannot type a partition key"},
		{"misspelt table key", func(a map[string]any) { table(a)["partitionKey"] = []any{} }, "athena.tables[0].partitionKey", `did you mean "partitionKeys"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := validRaw()
			athena := validAthena()
			tt.change(athena)
			raw["athena"] = athena
			_, err := Parse(encode(t, raw))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.key+":", "the message names the key")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestAthenaAcceptsComplexColumnTypes(t *testing.T) {
	raw := validRaw()
	athena := validAthena()
	athena["tables"].([]any)[0].(map[string]any)["columns"] = []any{
		map[string]any{"name": "tags", "type": "array<string>"},
		map[string]any{"name": "attributes", "type": "map<string,string>"},
		map[string]any{"name": "address", "type": "struct<city:string,zip:string>"},
		map[string]any{"name": "code", "type": "varchar(10)"},
	}
	raw["athena"] = athena
	_, err := Parse(encode(t, raw))
	assert.NoError(t, err)
}
