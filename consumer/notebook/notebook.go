// Package notebook renders the Python a data scientist pastes into a Studio
// notebook, filled with one stack's values.
package notebook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// Redshift are the values the Redshift snippet needs.
type Redshift struct {
	Region          string
	ProducerRoleArn string
	// DBUserPrefix starts the user's database user name: this ML account's
	// namespace in the cluster; empty for the bare profile name.
	DBUserPrefix      string
	ClusterIdentifier string
	Database          string
	DBGroups          []string
	// Connection is the configured mode (peering, dataApi, managedEndpoint).
	Connection string
	// EndpointAddress and EndpointPort are the managed endpoint's, in that
	// mode; the cluster's own endpoint is looked up otherwise.
	EndpointAddress string
	EndpointPort    int
	// WorkgroupName, for a Redshift Serverless producer, is the workgroup
	// (ClusterIdentifier and ProducerRoleArn are then unused), and
	// UserRoleArnPrefix the ARN of the users' roles but the name that ends
	// each (producer.UserRolesArn without its *): the profile's, after
	// DBUserPrefix where a producer-side stack gives one.
	WorkgroupName     string
	UserRoleArnPrefix string
}

// The snippet follows the seed article's flow (assume the producer role as
// the user profile), then asks for the database credentials itself:
// awswrangler's connect_temp sends no DbName, and the producer role's policy
// refuses a request without it. Values enter as JSON literals, which are
// valid Python string and list literals.
//
// The user comes from Studio's metadata file: a classic app names its user
// profile; a JupyterLab or Code Editor space names only itself and its domain,
// and DescribeSpace names its owner (OwnershipSettings) and whether it is
// shared (SpaceSharingSettings), per the SageMaker API reference.
//
// Chained role sessions last at most one hour (IAM, "Role chaining"), so the
// producer credentials are botocore's RefreshableCredentials: botocore
// assumes the role again before they expire, and every client made from the
// session signs with fresh ones. The database password only has to last the
// logon (GetClusterCredentials: 900 seconds by default, at most 3600), so
// each connection asks for its own.
var redshiftTemplate = template.Must(template.New("redshift").Funcs(template.FuncMap{"py": pyLiteral}).Parse(`
{{- $dbUser := "user"}}{{if .DBUserPrefix}}{{$dbUser = "db_user"}}{{end -}}
import json
{{- if eq .Connection "dataApi"}}
import time

import boto3
import botocore.session
import pandas as pd
from botocore.credentials import RefreshableCredentials
{{- else}}

import awswrangler as wr
import boto3
import botocore.session
import redshift_connector
from botocore.credentials import RefreshableCredentials
{{- end}}

REGION = {{py .Region}}
{{- if .WorkgroupName}}
{{- if .DBUserPrefix}}
# Your own role in the data account: its name is this ML account's namespace,
# then your profile's, and Redshift Serverless makes it your database user,
# IAMR:<namespace><profile>.
{{- else}}
# Your own role in the data account: its name is your profile's, and Redshift
# Serverless makes it your database user, IAMR:<profile>.
{{- end}}
USER_ROLE_ARN_PREFIX = {{py .UserRoleArnPrefix}}
WORKGROUP_NAME = {{py .WorkgroupName}}
{{- else}}
PRODUCER_ROLE_ARN = {{py .ProducerRoleArn}}
CLUSTER_IDENTIFIER = {{py .ClusterIdentifier}}
{{- end}}
DATABASE = {{py .Database}}
# The regional STS endpoint answers through the VPC endpoint; the global one needs the internet.
STS_ENDPOINT = {{py .STSEndpoint}}
METADATA_FILE = "/opt/ml/metadata/resource-metadata.json"


def get_userprofile_name():
    """The Studio user profile this notebook runs as: also this session's SourceIdentity and your Redshift user."""
    with open(METADATA_FILE) as metadata_file:
        metadata = json.load(metadata_file)
    if not metadata.get("SpaceName"):
        # An app of a user profile (Studio Classic) names its profile.
        if metadata.get("UserProfileName"):
            return metadata["UserProfileName"]
        raise RuntimeError(
            f"{METADATA_FILE} names neither a space nor a user profile; "
            "Redshift access is per user: open the notebook in a private space of your own."
        )
    # A space (JupyterLab, Code Editor) names itself and its domain: DescribeSpace names its owner.
    space = boto3.client("sagemaker", region_name=REGION).describe_space(
        DomainId=metadata["DomainId"], SpaceName=metadata["SpaceName"]
    )
    owner = space.get("OwnershipSettings", {}).get("OwnerUserProfileName")
    if space.get("SpaceSharingSettings", {}).get("SharingType") != "Private" or not owner:
        # A shared space's notebooks run for all its members, whoever created it:
        # they act for no one user.
        raise RuntimeError(
            f"This notebook runs in {metadata['SpaceName']}, a space shared by its members; "
            "Redshift access is per user: open the notebook in a private space of your own."
        )
    return owner


user = get_userprofile_name()
{{- if .DBUserPrefix}}
{{- if .WorkgroupName}}
# Your role's name: this ML account's namespace in the workgroup, then your profile name.
{{- else}}
# Your Redshift user: this ML account's namespace in the cluster, then your profile name.
{{- end}}
DB_USER_PREFIX = {{py .DBUserPrefix}}
db_user = DB_USER_PREFIX + user
{{- end}}
sts = boto3.client("sts", region_name=REGION, endpoint_url=STS_ENDPOINT)


def assume_producer_role():
    """Producer-role credentials for this user, as botocore's refreshable credentials take them.

    The session must be named after the user profile: the producer role's trust admits only a
    session named like the SourceIdentity SageMaker stamped on this notebook's session, which
    carries over and which no caller can change, and the producer role gives database
    credentials for that name only."""
{{- if .WorkgroupName}}
    credentials = sts.assume_role(RoleArn=USER_ROLE_ARN_PREFIX + {{$dbUser}}, RoleSessionName=user)["Credentials"]
{{- else}}
    credentials = sts.assume_role(RoleArn=PRODUCER_ROLE_ARN, RoleSessionName=user)["Credentials"]
{{- end}}
    return {
        "access_key": credentials["AccessKeyId"],
        "secret_key": credentials["SecretAccessKey"],
        "token": credentials["SessionToken"],
        "expiry_time": credentials["Expiration"].isoformat(),
    }


# Role chaining caps these credentials at one hour: botocore assumes the role again before they expire.
# botocore has no public setter for a session's credentials: _credentials is where its providers put them.
producer_session = botocore.session.get_session()
producer_session._credentials = RefreshableCredentials.create_from_metadata(
    metadata=assume_producer_role(), refresh_using=assume_producer_role, method="sts-assume-role"
)
session = boto3.Session(botocore_session=producer_session, region_name=REGION)
{{- if eq .Connection "dataApi"}}
data_api = session.client("redshift-data")


def read_sql_query(sql):
    """Runs sql through the Redshift Data API as this user and returns a DataFrame."""
{{- if .WorkgroupName}}
    # No DbUser: the workgroup signs your role in as its own database user.
    statement = data_api.execute_statement(WorkgroupName=WORKGROUP_NAME, Database=DATABASE, Sql=sql)
{{- else}}
    # DbUser and Database are required: the producer role lets the Data API
    # fetch credentials only for this user, in this database.
    statement = data_api.execute_statement(
        ClusterIdentifier=CLUSTER_IDENTIFIER, Database=DATABASE, DbUser={{$dbUser}}, Sql=sql
    )
{{- end}}
    while True:
        described = data_api.describe_statement(Id=statement["Id"])
        if described["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            break
        time.sleep(1)
    if described["Status"] != "FINISHED":
        error = described.get("Error", "")
{{- if not .WorkgroupName}}
        if "does not exist" in error:
            # The Data API does not create database users: a DBA does, once.
            error += f'; ask a DBA to run: CREATE USER "{ {{- $dbUser -}} }" PASSWORD DISABLE;'
{{- end}}
        raise RuntimeError(f"{described['Status']}: {error}")
    if not described.get("HasResultSet"):
        return pd.DataFrame()
    pages = data_api.get_paginator("get_statement_result").paginate(Id=statement["Id"])
    columns, rows = None, []
    for page in pages:
        columns = columns or [column["name"] for column in page["ColumnMetadata"]]
        rows += [[next(iter(field.values())) if not field.get("isNull") else None for field in record] for record in page["Records"]]
    return pd.DataFrame(rows, columns=columns)


df = read_sql_query("SELECT current_user")
{{- if .WorkgroupName}}
print("Signed in to", WORKGROUP_NAME, "as database user", df.iloc[0, 0])
{{- end}}
{{- else if .WorkgroupName}}
serverless = session.client("redshift-serverless")
endpoint = serverless.get_workgroup(workgroupName=WORKGROUP_NAME)["workgroup"]["endpoint"]


def connect():
    """A new connection to the workgroup as this user, with a database password of its own."""
    # The workgroup makes this role the database user IAMR:<role name> (created at first sign-in).
    database_credentials = serverless.get_credentials(workgroupName=WORKGROUP_NAME, dbName=DATABASE)
    print("Signed in to", WORKGROUP_NAME, "as database user", database_credentials["dbUser"])
    return redshift_connector.connect(
        host=endpoint["address"],
        port=endpoint["port"],
        database=DATABASE,
        user=database_credentials["dbUser"],
        password=database_credentials["dbPassword"],
        ssl=True,
    )


con_redshift = connect()
df = wr.redshift.read_sql_query(sql="SELECT current_user", con=con_redshift)
{{- else}}
redshift = session.client("redshift")
{{- if .EndpointAddress}}
# The cluster's Redshift-managed endpoint in this VPC. The cluster is named
# explicitly below: drivers would take the endpoint's host name for it.
endpoint = {"Address": {{py .EndpointAddress}}, "Port": {{.EndpointPort}}}
{{- else}}
endpoint = redshift.describe_clusters(ClusterIdentifier=CLUSTER_IDENTIFIER)["Clusters"][0]["Endpoint"]
{{- end}}


def connect():
    """A new connection to the cluster as this user, with a database password of its own."""
    # DbName is required: the producer role gives credentials for this database only.
    database_credentials = redshift.get_cluster_credentials(
        ClusterIdentifier=CLUSTER_IDENTIFIER,
        DbUser={{$dbUser}},
        DbName=DATABASE,
{{- if .DBGroups}}
        DbGroups={{py .DBGroups}},
{{- end}}
        AutoCreate=True,
    )
    return redshift_connector.connect(
        host=endpoint["Address"],
        port=endpoint["Port"],
        database=DATABASE,
        user=database_credentials["DbUser"],
        password=database_credentials["DbPassword"],
        ssl=True,
    )


con_redshift = connect()
df = wr.redshift.read_sql_query(sql="SELECT current_user", con=con_redshift)
{{- end}}
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
	var out bytes.Buffer
	err := redshiftTemplate.Execute(&out, struct {
		Redshift
		STSEndpoint string
	}{values, "https://" + policy.RegionalEndpoint("sts", values.Region)})
	if err != nil {
		return "", err
	}
	return out.String(), nil
}

// InstallLog is where the lifecycle configuration's install writes its
// output: in the user's home, visible in JupyterLab's file browser.
const InstallLog = "/home/sagemaker-user/awswrangler-install.log"

// installTimeoutSeconds bounds the install: a mirror that does not answer
// must not leave pip hanging for the app's whole life.
const installTimeoutSeconds = 900

// LifecycleScript is the JupyterLab lifecycle configuration that installs AWS
// SDK for pandas at every app start (a pip install in a notebook does not
// survive an app restart), from the mirror when set, else from PyPI.
//
// The install runs in the background, bounded by a timeout, and nothing in
// it can fail the script: JupyterLab starts whether or not the index
// answers, and the log says what happened. For a CodeArtifact mirror the
// install first fetches a short-lived token with boto3 (which the SageMaker
// Distribution images ship) through the regional endpoint.
func LifecycleScript(mirror *config.Mirror) string {
	var install strings.Builder
	install.WriteString("set -u\n")
	switch {
	case mirror == nil:
		install.WriteString("echo \"$(date -u +%FT%TZ) installing awswrangler from PyPI\"\n")
	case mirror.CodeArtifact != nil:
		repo := mirror.CodeArtifact
		fmt.Fprintf(&install, "echo \"$(date -u +%%FT%%TZ) installing awswrangler from CodeArtifact repository %s/%s\"\n", repo.Domain, repo.Repository)
		// The token goes into pip's environment, never onto a command line
		// or into the log.
		fmt.Fprintf(&install, "token=$(python3 -c %s %s %s %s) || { echo \"no CodeArtifact token (see the error above); awswrangler not installed\"; exit 1; }\n",
			shellQuote(codeArtifactToken), shellQuote(repo.Region), shellQuote(repo.Domain), shellQuote(repo.Owner))
		fmt.Fprintf(&install, "export PIP_INDEX_URL=\"https://aws:${token}@\"%s\n", shellQuote(repo.IndexPath()))
	default:
		fmt.Fprintf(&install, "echo \"$(date -u +%%FT%%TZ) installing awswrangler from \"%s\n", shellQuote(mirror.IndexURL))
		fmt.Fprintf(&install, "export PIP_INDEX_URL=%s\n", shellQuote(mirror.IndexURL))
	}
	install.WriteString("pip install --quiet --upgrade awswrangler && echo \"$(date -u +%FT%TZ) awswrangler installed\"\n")

	return "#!/bin/bash\n" +
		"# Installs AWS SDK for pandas for the notebooks of this Studio domain, in\n" +
		"# the background and within " + fmt.Sprint(installTimeoutSeconds/60) + " minutes: JupyterLab starts whether or not\n" +
		"# the package index answers. The log: " + InstallLog + "\n" +
		"install_script=$(mktemp)\n" +
		"cat >\"$install_script\" <<'INSTALL'\n" +
		install.String() +
		"INSTALL\n" +
		fmt.Sprintf("nohup timeout %d bash \"$install_script\" >%s 2>&1 &\n", installTimeoutSeconds, InstallLog) +
		"exit 0\n"
}

// codeArtifactToken prints a CodeArtifact authorization token: region,
// domain and domain owner are its arguments. 900 seconds, the shortest a
// token lasts, is ample for one install.
const codeArtifactToken = `import sys, boto3; region, domain, owner = sys.argv[1:]; ` +
	`print(boto3.client("codeartifact", region_name=region).get_authorization_token(domain=domain, domainOwner=owner, durationSeconds=900)["authorizationToken"])`

// shellQuote quotes a value for a POSIX shell.
func shellQuote(value string) string {
	return "'" + strings.ReplaceAll(value, "'", `'\''`) + "'"
}
