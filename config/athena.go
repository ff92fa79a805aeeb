package config

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Athena lets Studio and Athena in the consumer account read a bucket of the
// producer account, read-only. Absent (nil) unless studio-redshift:athena is set.
type Athena struct {
	Bucket AthenaBucket `json:"bucket"`
	// Principals are further consumer-account roles or users that may read
	// the bucket, next to the Studio execution role.
	Principals []string `json:"principals,omitempty"`
	// Workgroup names the Athena workgroup; lower case, as it also names the
	// results bucket.
	Workgroup string `json:"workgroup"`
	// ResultsRetentionDays expires query results. Default 30.
	ResultsRetentionDays int `json:"resultsRetentionDays,omitempty"`
	// Database is the Glue database of the tables.
	Database string  `json:"database"`
	Tables   []Table `json:"tables"`
}

// ProducerBucket is a bucket in the producer account: existing (named) or
// created by the program.
type ProducerBucket struct {
	Name   string `json:"name"`
	Create bool   `json:"create,omitempty"`
	// KMSKeyArn is the key an existing bucket encrypts with, if any; readers
	// get a grant to decrypt with it. A created bucket gets its own key.
	KMSKeyArn string `json:"kmsKeyArn,omitempty"`
	// ManagePolicy lets the program write an existing bucket's policy. Off
	// by default, since the policy replaces whatever the bucket has.
	ManagePolicy bool `json:"managePolicy,omitempty"`
}

// AthenaBucket is the data bucket Athena reads.
type AthenaBucket struct {
	ProducerBucket
	// Prefixes limit reading to these key prefixes ("sales/"); empty means
	// the whole bucket.
	Prefixes []string `json:"prefixes,omitempty"`
}

// Table is an external Glue table over the data bucket.
type Table struct {
	Name string `json:"name"`
	// Location is the key prefix of the table's files in the data bucket.
	Location string `json:"location"`
	// Format of the files: parquet (default), csv or json.
	Format        string   `json:"format,omitempty"`
	Columns       []Column `json:"columns"`
	PartitionKeys []Column `json:"partitionKeys,omitempty"`
}

// Column is a table column or partition key with its Athena (Hive) type.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Defaults and formats of the Athena keys.
const (
	DefaultResultsRetentionDays = 30
	DefaultTableFormat          = "parquet"
)

// TableFormats are the file formats a table may have.
var TableFormats = []string{"parquet", "csv", "json"}

// ResultsBucket names the bucket of the workgroup's query results. It is
// derived, not random, so that the S3 endpoint policy can name it before it
// exists; workgroup names are unique per account and region, and so is this.
func (a *Athena) ResultsBucket(account, region string) string {
	return a.Workgroup + "-results-" + account + "-" + region
}

var (
	workgroupPattern = regexp.MustCompile(`^[a-z0-9](-?[a-z0-9])*$`)
	// Glue and Athena names: lower case, digits and underscores. Athena
	// cannot query names with hyphens without quoting, so they are refused.
	glueNamePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,254}$`)
	prefixPattern   = regexp.MustCompile(`^[A-Za-z0-9!_.*'()=-]+(/[A-Za-z0-9!_.*'()=-]+)*/$`)
	iamPrincipal    = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):(role|user)/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	kmsKeyArn       = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):key/[0-9a-f-]{36}$`)
	primitiveTypes  = []string{"boolean", "tinyint", "smallint", "int", "integer", "bigint", "float", "double", "string", "date", "timestamp", "binary"}
	sizedType       = regexp.MustCompile(`^(decimal\(\d{1,2}(,\s*\d{1,2})?\)|char\(\d{1,3}\)|varchar\(\d{1,5}\))$`)
	complexType     = regexp.MustCompile(`^(array|map|struct)<.+>$`)
)

func (c *Config) applyAthenaDefaults() {
	if a := c.Athena; a != nil {
		if !c.Given("athena.resultsRetentionDays") {
			a.ResultsRetentionDays = DefaultResultsRetentionDays
		}
		for i := range a.Tables {
			a.Tables[i].Format = cmp.Or(a.Tables[i].Format, DefaultTableFormat)
		}
	}
}

func (c *Config) checkAthena(p *problems) {
	a := c.Athena
	if a == nil {
		return
	}
	a.Bucket.ProducerBucket.check(p, "athena.bucket", c.Region, c.Producer.AccountID)
	for i, prefix := range a.Bucket.Prefixes {
		checkPrefix(p, fmt.Sprintf("athena.bucket.prefixes[%d]", i), prefix)
	}
	checkPrincipals(p, "athena.principals", a.Principals, c.Consumer.AccountID)

	switch {
	case a.Workgroup == "":
		p.add("athena.workgroup", "is required: the Athena workgroup to create, e.g. analytics")
	case !workgroupPattern.MatchString(a.Workgroup):
		p.add("athena.workgroup", "%q must be lower-case letters, digits and single hyphens (it also names the results bucket)", a.Workgroup)
	case !ValidBucketName(a.ResultsBucket(c.Consumer.AccountID, c.Region)):
		p.add("athena.workgroup", "%q is too long: the results bucket %q would exceed S3's 63 characters", a.Workgroup, a.ResultsBucket(c.Consumer.AccountID, c.Region))
	}
	if a.ResultsRetentionDays < 1 || a.ResultsRetentionDays > 3650 {
		p.add("athena.resultsRetentionDays", "%d is out of range; keep query results 1 to 3650 days (default %d)", a.ResultsRetentionDays, DefaultResultsRetentionDays)
	}
	checkGlueName(p, "athena.database", a.Database, "the Glue database of the tables, e.g. sales")

	if len(a.Tables) == 0 {
		p.add("athena.tables", "needs at least one table: name, location, columns")
	}
	seen := map[string]bool{}
	for i, table := range a.Tables {
		key := fmt.Sprintf("athena.tables[%d]", i)
		checkGlueName(p, key+".name", table.Name, "the table name, e.g. orders")
		if seen[table.Name] {
			p.add(key+".name", "%q is listed twice", table.Name)
		}
		seen[table.Name] = true
		if checkPrefix(p, key+".location", table.Location) && len(a.Bucket.Prefixes) > 0 && !underAny(table.Location, a.Bucket.Prefixes) {
			p.add(key+".location", "%q is outside athena.bucket.prefixes %v, which are all Athena may read", table.Location, a.Bucket.Prefixes)
		}
		if !slices.Contains(TableFormats, table.Format) {
			p.add(key+".format", "%q is not a supported format; use one of %s", table.Format, strings.Join(TableFormats, ", "))
		}
		if len(table.Columns) == 0 {
			p.add(key+".columns", "needs at least one column: {name, type}")
		}
		names := map[string]bool{}
		checkColumns(p, key+".columns", table.Columns, names, false)
		checkColumns(p, key+".partitionKeys", table.PartitionKeys, names, true)
	}
}

// check validates a producer bucket's keys against its mode.
func (b ProducerBucket) check(p *problems, key, region, producerAccount string) {
	if !ValidBucketName(b.Name) {
		p.add(key+".name", "%q is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit)", b.Name)
	}
	if b.Create {
		forbid(p, key+".kmsKeyArn", b.KMSKeyArn != "", "a bucket the program creates gets its own KMS key; remove it")
		forbid(p, key+".managePolicy", b.ManagePolicy, "the program always writes the policy of a bucket it creates; remove it")
		return
	}
	if b.KMSKeyArn != "" {
		match := kmsKeyArn.FindStringSubmatch(b.KMSKeyArn)
		switch {
		case match == nil:
			p.add(key+".kmsKeyArn", "%q is not a KMS key ARN such as arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", b.KMSKeyArn, region, producerAccount)
		case match[2] != region || match[3] != producerAccount:
			p.add(key+".kmsKeyArn", "the key is in %s of account %s; the bucket's key must be in %s of the producer account %s", match[2], match[3], region, producerAccount)
		}
	}
}

func checkPrefix(p *problems, key, prefix string) bool {
	if !prefixPattern.MatchString(prefix) || strings.Contains(prefix, "*") {
		p.add(key, "%q is not a key prefix such as sales/orders/ (no leading slash, no wildcard, ending with /)", prefix)
		return false
	}
	return true
}

func underAny(location string, prefixes []string) bool {
	for _, prefix := range prefixes {
		if strings.HasPrefix(location, prefix) {
			return true
		}
	}
	return false
}

// checkPrincipals validates IAM role or user ARNs of one account.
func checkPrincipals(p *problems, key string, principals []string, account string) {
	seen := map[string]bool{}
	for i, principal := range principals {
		itemKey := fmt.Sprintf("%s[%d]", key, i)
		match := iamPrincipal.FindStringSubmatch(principal)
		switch {
		case match == nil:
			p.add(itemKey, "%q is not an IAM role or user ARN such as arn:aws:iam::%s:role/analyst", principal, account)
		case match[2] != account:
			p.add(itemKey, "%q is in account %s; only principals of the consumer account %s may be granted here", principal, match[2], account)
		case seen[principal]:
			p.add(itemKey, "%q is listed twice", principal)
		}
		seen[principal] = true
	}
}

func checkGlueName(p *problems, key, name, what string) {
	switch {
	case name == "":
		p.add(key, "is required: %s", what)
	case glueNamePattern.MatchString(strings.ToLower(name)) && name != strings.ToLower(name):
		p.add(key, "%q has upper case; Glue stores names in lower case, so the catalog and the policies would say %q: write that", name, strings.ToLower(name))
	case !glueNamePattern.MatchString(name):
		p.add(key, "%q is not a Glue name Athena can query (lower-case letters, digits and underscores, not starting with a digit)", name)
	}
}

// checkColumns validates names (unique across a table's columns and
// partition keys) and types; partition keys must be primitive.
func checkColumns(p *problems, key string, columns []Column, names map[string]bool, partition bool) {
	for i, column := range columns {
		itemKey := fmt.Sprintf("%s[%d]", key, i)
		checkGlueName(p, itemKey+".name", column.Name, "the column name")
		if names[column.Name] {
			p.add(itemKey+".name", "%q is already a column or partition key of this table", column.Name)
		}
		names[column.Name] = true
		primitive := slices.Contains(primitiveTypes, column.Type) || sizedType.MatchString(column.Type)
		switch {
		case column.Type == "":
			p.add(itemKey+".type", "is required: an Athena type such as string, bigint, double, date or timestamp")
		case partition && !primitive:
			p.add(itemKey+".type", "%q cannot type a partition key; use a primitive type such as string, int or date", column.Type)
		case !primitive && !complexType.MatchString(column.Type):
			p.add(itemKey+".type", "%q is not an Athena type; use one of %s, decimal(p,s), char(n), varchar(n), array<…>, map<…>, struct<…>", column.Type, strings.Join(primitiveTypes, ", "))
		}
	}
}
