// Package notebook renders the Python a data scientist pastes into a Studio
// notebook, filled with one stack's values.
package notebook

import (
	"bytes"
	"encoding/json"
	"strings"
	"text/template"
)

// Redshift are the values the Redshift snippet needs.
type Redshift struct {
	Region            string
	ProducerRoleArn   string
	ClusterIdentifier string
	Database          string
	DBGroups          []string
}

// The snippet follows the seed article's flow: assume the producer role, then
// connect_temp as the user profile name. Values enter as JSON literals, which
// are valid Python string and list literals.
var redshiftTemplate = template.Must(template.New("redshift").Funcs(template.FuncMap{"py": pyLiteral}).Parse(`import json

import awswrangler as wr
import boto3

REGION = {{py .Region}}
PRODUCER_ROLE_ARN = {{py .ProducerRoleArn}}


def get_userprofile_name():
    """The Studio user profile name: also this session's SourceIdentity and your Redshift user."""
    with open("/opt/ml/metadata/resource-metadata.json") as metadata_file:
        return json.load(metadata_file)["UserProfileName"]


user = get_userprofile_name()
# The regional STS endpoint answers through the VPC endpoint; the global one needs the internet.
sts = boto3.client("sts", region_name=REGION, endpoint_url=f"https://sts.{REGION}.amazonaws.com")
credentials = sts.assume_role(RoleArn=PRODUCER_ROLE_ARN, RoleSessionName=user)["Credentials"]
redshift_session = boto3.Session(
    aws_access_key_id=credentials["AccessKeyId"],
    aws_secret_access_key=credentials["SecretAccessKey"],
    aws_session_token=credentials["SessionToken"],
    region_name=REGION,
)

con_redshift = wr.redshift.connect_temp(
    cluster_identifier={{py .ClusterIdentifier}},
    database={{py .Database}},
    user=user,
    auto_create=True,
    db_groups={{py .DBGroups}},
    boto3_session=redshift_session,
)
df = wr.redshift.read_sql_query(sql="SELECT current_user", con=con_redshift)
`))

// Athena are the values the Athena snippet needs.
type Athena struct {
	Region    string
	Workgroup string
	Database  string
	Table     string
}

// The snippet follows the seed article: awswrangler's read_sql_query, here in
// the stack's workgroup. ctas_approach=False reads the results the workgroup
// wrote instead of creating temporary tables, so read-only catalog access is
// enough.
var athenaTemplate = template.Must(template.New("athena").Funcs(template.FuncMap{"py": pyLiteral}).Parse(`import awswrangler as wr
import boto3

df = wr.athena.read_sql_query(
    sql={{py .SQL}},
    database={{py .Database}},
    workgroup={{py .Workgroup}},
    ctas_approach=False,
    boto3_session=boto3.Session(region_name={{py .Region}}),
)
`))

// AthenaSnippet renders the Athena notebook code, querying the given table.
func AthenaSnippet(values Athena) (string, error) {
	var out bytes.Buffer
	err := athenaTemplate.Execute(&out, struct {
		Athena
		SQL string
	}{values, `SELECT * FROM "` + values.Table + `" LIMIT 10`})
	return out.String(), err
}

// pyLiteral writes a value as a JSON literal, which for strings and lists of
// strings is also a valid Python literal.
func pyLiteral(value any) (string, error) {
	text, err := json.Marshal(value)
	return string(text), err
}

// RedshiftSnippet renders the Redshift notebook code.
func RedshiftSnippet(values Redshift) (string, error) {
	if values.DBGroups == nil {
		values.DBGroups = []string{} // a Python list, not None
	}
	var out bytes.Buffer
	if err := redshiftTemplate.Execute(&out, values); err != nil {
		return "", err
	}
	return out.String(), nil
}

// LifecycleScript is the JupyterLab lifecycle configuration that installs AWS
// SDK for pandas at every app start (a pip install in a notebook does not
// survive an app restart), from indexURL when set, else from PyPI.
func LifecycleScript(indexURL string) string {
	index := ""
	if indexURL != "" {
		index = " --index-url " + shellQuote(indexURL)
	}
	return "#!/bin/bash\n" +
		"# Installs AWS SDK for pandas for the notebooks of this Studio domain.\n" +
		"set -eux\n" +
		"pip install --quiet --upgrade" + index + " awswrangler\n"
}

// shellQuote quotes a value for a POSIX shell.
func shellQuote(value string) string {
	return "'" + strings.ReplaceAll(value, "'", `'\''`) + "'"
}
