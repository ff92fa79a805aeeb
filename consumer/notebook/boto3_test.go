package notebook

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// systemPython is Debian's interpreter, where python3-boto3 installs boto3
// and botocore with their service models: the SDK a notebook runs.
const systemPython = "/usr/bin/python3"

// requireBoto3 skips when the system Python has no boto3, unless
// STUDIO_REDSHIFT_REQUIRE_BOTO3=1 (CI sets it after installing
// python3-boto3), where the test fails instead of passing unproven.
func requireBoto3(t *testing.T) {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import boto3, dateutil").CombinedOutput()
	if err == nil {
		return
	}
	if os.Getenv("STUDIO_REDSHIFT_REQUIRE_BOTO3") == "1" {
		t.Fatalf("STUDIO_REDSHIFT_REQUIRE_BOTO3=1 and %s cannot import boto3 (apt-get install python3-boto3): %v\n%s", systemPython, err, out)
	}
	t.Skipf("%s cannot import boto3 (apt-get install python3-boto3, or set STUDIO_REDSHIFT_REQUIRE_BOTO3=1 to fail): %v", systemPython, err)
}

// snippetCase is one run of testdata/snippet_harness.py: a snippet, the
// metadata file Studio gives it, DescribeSpace's answer, and the user whose
// AssumeRole and Redshift calls the stubs expect.
type snippetCase struct {
	Name          string            `json:"name"`
	Mode          string            `json:"mode"`
	Metadata      map[string]string `json:"metadata"`
	DescribeSpace map[string]any    `json:"describeSpace"` // nil: no DescribeSpace call expected
	User          string            `json:"user,omitempty"`
	AfterAnHour   bool              `json:"afterAnHour,omitempty"`
	// Snippet names the rendered snippet when it is not the mode's own;
	// DBUserPrefix is the namespace that snippet was rendered with.
	Snippet      string `json:"snippet,omitempty"`
	DBUserPrefix string `json:"dbUserPrefix,omitempty"`
	// Serverless runs a Serverless producer's snippet: the user's own role.
	Serverless bool `json:"serverless,omitempty"`
}

type harnessInput struct {
	ProducerRoleArn   string            `json:"producerRoleArn"`
	ClusterIdentifier string            `json:"clusterIdentifier"`
	Database          string            `json:"database"`
	DBGroups          []string          `json:"dbGroups"`
	WorkgroupName     string            `json:"workgroupName"`
	UserRoleArnPrefix string            `json:"userRoleArnPrefix"`
	Snippets          map[string]string `json:"snippets"`
	Cases             []snippetCase     `json:"cases"`
}

// apiCall is one request the snippet made, as botocore built it.
type apiCall struct {
	Service   string         `json:"service"`
	Operation string         `json:"operation"`
	Params    map[string]any `json:"params"`
	AccessKey string         `json:"accessKey"`
}

type caseResult struct {
	Outcome     string           `json:"outcome"`
	Message     string           `json:"message"`
	User        string           `json:"user"`
	Calls       []apiCall        `json:"calls"`
	Connections []map[string]any `json:"connections"`
	UnusedStubs []string         `json:"unusedStubs"`
	Printed     string           `json:"printed"`
}

// Access keys the harness hands out: the notebook's own (the execution
// role's) and those of the first and second producer-role sessions.
const (
	executionKey      = "ASIAEXECUTIONROLE000"
	firstProducerKey  = "ASIAPRODUCER00000001"
	secondProducerKey = "ASIAPRODUCER00000002"
)

// signedCalls is each call as "service Operation accessKey".
func signedCalls(calls []apiCall) []string {
	var out []string
	for _, call := range calls {
		out = append(out, call.Service+" "+call.Operation+" "+call.AccessKey)
	}
	return out
}

func privateSpace(owner string) map[string]any {
	return map[string]any{
		"OwnershipSettings":    map[string]any{"OwnerUserProfileName": owner},
		"SpaceSharingSettings": map[string]any{"SharingType": "Private"},
	}
}

// The rendered snippets run under boto3, every AWS call answered by
// botocore's Stubber, which checks parameters and responses against the
// service model and the parameters the case expects.
func TestRedshiftSnippetUnderBoto3(t *testing.T) {
	requireBoto3(t)
	const splitPrefix = "ml-team-b_"
	const endpointAddress = "analytics-endpoint.endpoint.c0a1b2c3d4e5.eu-west-1.redshift.amazonaws.com"
	dir := t.TempDir()
	input := harnessInput{
		ProducerRoleArn:   "arn:aws:iam::111111111111:role/producer-role-1a2b3c4",
		ClusterIdentifier: "analytics",
		Database:          "dev",
		DBGroups:          []string{"analysts"},
		WorkgroupName:     "analytics",
		UserRoleArnPrefix: "arn:aws:iam::111111111111:role/studio-redshift/dev/",
		Snippets:          map[string]string{},
	}
	// A Serverless producer's snippets, over the Data API and over peering.
	for _, mode := range []string{"peering", "dataApi"} {
		snippet, err := RedshiftSnippet(Redshift{Region: "eu-west-1", Database: input.Database, Connection: mode,
			WorkgroupName: input.WorkgroupName, UserRoleArnPrefix: input.UserRoleArnPrefix})
		require.NoError(t, err)
		path := filepath.Join(dir, mode+"-serverless.py")
		require.NoError(t, os.WriteFile(path, []byte(snippet), 0o600))
		input.Snippets[mode+" serverless"] = path
		// A Serverless producer's consumer stack: the role <prefix><profile>
		// on the consumer's own path.
		snippet, err = RedshiftSnippet(Redshift{Region: "eu-west-1", Database: input.Database, Connection: mode, DBUserPrefix: splitPrefix,
			WorkgroupName: input.WorkgroupName, UserRoleArnPrefix: input.UserRoleArnPrefix})
		require.NoError(t, err)
		path = filepath.Join(dir, mode+"-serverless-split.py")
		require.NoError(t, os.WriteFile(path, []byte(snippet), 0o600))
		input.Snippets[mode+" serverless split"] = path
	}
	for _, mode := range []string{"peering", "dataApi", "managedEndpoint"} {
		values := Redshift{Region: "eu-west-1", ProducerRoleArn: input.ProducerRoleArn, ClusterIdentifier: input.ClusterIdentifier,
			Database: input.Database, DBGroups: input.DBGroups, Connection: mode}
		if mode == "managedEndpoint" {
			values.EndpointAddress, values.EndpointPort = endpointAddress, 5440
		}
		snippet, err := RedshiftSnippet(values)
		require.NoError(t, err)
		path := filepath.Join(dir, mode+".py")
		require.NoError(t, os.WriteFile(path, []byte(snippet), 0o600))
		input.Snippets[mode] = path
		// A split consumer's snippet asks for its namespace's user.
		values.DBUserPrefix = splitPrefix
		snippet, err = RedshiftSnippet(values)
		require.NoError(t, err)
		path = filepath.Join(dir, mode+"-split.py")
		require.NoError(t, os.WriteFile(path, []byte(snippet), 0o600))
		input.Snippets[mode+" split"] = path
	}
	// The metadata files as Studio writes them: a JupyterLab space names
	// itself and its domain; a Studio Classic app names its user profile.
	space := func(name string) map[string]string {
		return map[string]string{"AppType": "JupyterLab", "DomainId": "d-abc123def456", "SpaceName": name, "ResourceName": "default"}
	}
	input.Cases = []snippetCase{
		{Name: "private space", Mode: "peering", Metadata: space("alice-space"), DescribeSpace: privateSpace("alice"), User: "alice"},
		{Name: "shared space", Mode: "peering", Metadata: space("team-space"), DescribeSpace: map[string]any{
			"OwnershipSettings":    map[string]any{"OwnerUserProfileName": "alice"},
			"SpaceSharingSettings": map[string]any{"SharingType": "Shared"},
		}},
		// A Studio Classic shared space: DescribeSpace names no owner and no sharing type.
		{Name: "Studio Classic shared space", Mode: "dataApi", Metadata: space("classic-team"), DescribeSpace: map[string]any{}},
		{Name: "user profile metadata", Mode: "peering", Metadata: map[string]string{"DomainId": "d-abc123def456", "UserProfileName": "bob"}, User: "bob"},
		{Name: "metadata with no user", Mode: "peering", Metadata: map[string]string{"DomainId": "d-abc123def456", "UserProfileName": ""}},
		{Name: "managed endpoint", Mode: "managedEndpoint", Metadata: space("carol-space"), DescribeSpace: privateSpace("carol"), User: "carol"},
		{Name: "past an hour", Mode: "peering", Metadata: space("alice-space"), DescribeSpace: privateSpace("alice"), User: "alice", AfterAnHour: true},
		{Name: "Data API past an hour", Mode: "dataApi", Metadata: space("alice-space"), DescribeSpace: privateSpace("alice"), User: "alice", AfterAnHour: true},
		{Name: "split consumer", Mode: "peering", Snippet: "peering split", DBUserPrefix: splitPrefix, Metadata: space("alice-space"), DescribeSpace: privateSpace("alice"), User: "alice", AfterAnHour: true},
		{Name: "split consumer, Data API", Mode: "dataApi", Snippet: "dataApi split", DBUserPrefix: splitPrefix, Metadata: space("alice-space"), DescribeSpace: privateSpace("alice"), User: "alice"},
		{Name: "serverless", Mode: "peering", Snippet: "peering serverless", Serverless: true, Metadata: space("alice-space"), DescribeSpace: privateSpace("alice"), User: "alice", AfterAnHour: true},
		{Name: "serverless, Data API", Mode: "dataApi", Snippet: "dataApi serverless", Serverless: true, Metadata: space("bob-space"), DescribeSpace: privateSpace("bob"), User: "bob"},
		{Name: "serverless, split consumer", Mode: "peering", Snippet: "peering serverless split", Serverless: true, DBUserPrefix: splitPrefix,
			Metadata: space("alice-space"), DescribeSpace: privateSpace("alice"), User: "alice"},
		{Name: "serverless, split consumer, Data API", Mode: "dataApi", Snippet: "dataApi serverless split", Serverless: true, DBUserPrefix: splitPrefix,
			Metadata: space("bob-space"), DescribeSpace: privateSpace("bob"), User: "bob"},
		{Name: "serverless, shared space", Mode: "peering", Snippet: "peering serverless", Serverless: true, Metadata: space("team-space"), DescribeSpace: map[string]any{
			"OwnershipSettings":    map[string]any{"OwnerUserProfileName": "alice"},
			"SpaceSharingSettings": map[string]any{"SharingType": "Shared"},
		}},
	}

	inputFile := filepath.Join(dir, "cases.json")
	encoded, err := json.Marshal(input)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inputFile, encoded, 0o600))
	out, err := exec.Command(systemPython, filepath.Join("testdata", "snippet_harness.py"), inputFile).Output()
	var stderr []byte
	if exitErr, ok := err.(*exec.ExitError); ok {
		stderr = exitErr.Stderr
	}
	require.NoError(t, err, "%s\n%s", out, stderr)
	var report struct {
		ModelExtended bool                  `json:"modelExtended"`
		Results       map[string]caseResult `json:"results"`
	}
	require.NoError(t, json.Unmarshal(out, &report), "%s", out)
	if report.ModelExtended {
		t.Log("this botocore predates DescribeSpace's OwnershipSettings and SpaceSharingSettings: the harness added them as the API reference gives them")
	}
	require.Len(t, report.Results, len(input.Cases))

	for _, tc := range input.Cases {
		result := report.Results[tc.Name]
		assert.Empty(t, result.UnusedStubs, "%s: every expected call is made", tc.Name)
		if tc.User == "" {
			assert.Equal(t, "refused", result.Outcome, "%s: %s", tc.Name, result.Message)
			assert.Contains(t, result.Message, "Redshift access is per user: open the notebook in a private space of your own.", tc.Name)
			for _, call := range result.Calls {
				assert.Equal(t, "sagemaker", call.Service, "%s: nothing but DescribeSpace before the refusal", tc.Name)
			}
			continue
		}
		require.Equal(t, "ok", result.Outcome, "%s: %s", tc.Name, result.Message)
		assert.Equal(t, tc.User, result.User, tc.Name)
		for _, call := range result.Calls {
			if call.Operation == "AssumeRole" {
				// Named after the profile, every time; SourceIdentity is
				// not asked for: it carries over from the notebook's session.
				// A Serverless producer's user assumes their own role.
				roleArn := input.ProducerRoleArn
				if tc.Serverless {
					roleArn = input.UserRoleArnPrefix + tc.DBUserPrefix + tc.User
				}
				assert.Equal(t, map[string]any{"RoleArn": roleArn, "RoleSessionName": tc.User}, call.Params, tc.Name)
			}
		}
	}

	t.Run("private space", func(t *testing.T) {
		result := report.Results["private space"]
		assert.Equal(t, []string{
			"sagemaker DescribeSpace " + executionKey,
			"sts AssumeRole " + executionKey,
			"redshift DescribeClusters " + firstProducerKey,
			"redshift GetClusterCredentials " + firstProducerKey,
		}, signedCalls(result.Calls), "the owner comes from DescribeSpace, asked as the notebook; Redshift is asked as the producer role")
		assert.Equal(t, map[string]any{"DomainId": "d-abc123def456", "SpaceName": "alice-space"}, result.Calls[0].Params)
		assert.Equal(t, map[string]any{"ClusterIdentifier": "analytics", "DbUser": "alice", "DbName": "dev", "DbGroups": []any{"analysts"}, "AutoCreate": true},
			result.Calls[3].Params)
		require.Len(t, result.Connections, 1)
		assert.Equal(t, "IAMA:alice", result.Connections[0]["user"])
		assert.Equal(t, "dev", result.Connections[0]["database"])
		assert.Equal(t, true, result.Connections[0]["ssl"])
	})
	t.Run("shared space", func(t *testing.T) {
		result := report.Results["shared space"]
		assert.Equal(t, []string{"sagemaker DescribeSpace " + executionKey}, signedCalls(result.Calls), "no producer role for a shared space, even one alice created")
		assert.Contains(t, result.Message, "team-space, a space shared by its members")
	})
	t.Run("user profile metadata", func(t *testing.T) {
		operations := signedCalls(report.Results["user profile metadata"].Calls)
		require.NotEmpty(t, operations)
		assert.Equal(t, "sts AssumeRole "+executionKey, operations[0], "the profile's own metadata needs no DescribeSpace")
	})
	t.Run("managed endpoint", func(t *testing.T) {
		result := report.Results["managed endpoint"]
		assert.Equal(t, []string{
			"sagemaker DescribeSpace " + executionKey,
			"sts AssumeRole " + executionKey,
			"redshift GetClusterCredentials " + firstProducerKey,
		}, signedCalls(result.Calls))
		require.Len(t, result.Connections, 1)
		assert.Equal(t, endpointAddress, result.Connections[0]["host"])
		assert.Equal(t, 5440.0, result.Connections[0]["port"])
	})
	t.Run("past an hour", func(t *testing.T) {
		result := report.Results["past an hour"]
		assert.Equal(t, []string{
			"sagemaker DescribeSpace " + executionKey,
			"sts AssumeRole " + executionKey,
			"redshift DescribeClusters " + firstProducerKey,
			"redshift GetClusterCredentials " + firstProducerKey,
			"sts AssumeRole " + executionKey,
			"redshift GetClusterCredentials " + secondProducerKey,
		}, signedCalls(result.Calls), "the expired producer session renews itself as the same user before the next request")
		assert.Len(t, result.Connections, 2, "each connection asks for a database password of its own")
	})
	t.Run("serverless", func(t *testing.T) {
		result := report.Results["serverless"]
		assert.Equal(t, []string{
			"sagemaker DescribeSpace " + executionKey,
			"sts AssumeRole " + executionKey,
			"redshift-serverless GetWorkgroup " + firstProducerKey,
			"redshift-serverless GetCredentials " + firstProducerKey,
			"sts AssumeRole " + executionKey,
			"redshift-serverless GetCredentials " + secondProducerKey,
		}, signedCalls(result.Calls), "the workgroup is asked as alice's own role, renewed past the hour")
		assert.Equal(t, map[string]any{"workgroupName": "analytics", "dbName": "dev"}, result.Calls[3].Params, "no DbUser: the role is the user")
		require.Len(t, result.Connections, 2)
		assert.Equal(t, "IAMR:alice", result.Connections[0]["user"])
		assert.Equal(t, "dev", result.Connections[0]["database"])
		assert.Equal(t, true, result.Connections[0]["ssl"])
		assert.Contains(t, result.Printed, "Signed in to analytics as database user IAMR:alice", "the notebook shows the user it becomes")
	})
	t.Run("serverless, Data API", func(t *testing.T) {
		result := report.Results["serverless, Data API"]
		assert.Equal(t, []string{
			"sagemaker DescribeSpace " + executionKey,
			"sts AssumeRole " + executionKey,
			"redshift-data ExecuteStatement " + firstProducerKey,
			"redshift-data DescribeStatement " + firstProducerKey,
			"redshift-data GetStatementResult " + firstProducerKey,
		}, signedCalls(result.Calls))
		assert.Equal(t, map[string]any{"WorkgroupName": "analytics", "Database": "dev", "Sql": "SELECT current_user"}, result.Calls[2].Params)
		assert.Contains(t, result.Printed, "Signed in to analytics as database user IAMR:bob")
	})
	t.Run("Data API past an hour", func(t *testing.T) {
		operations := signedCalls(report.Results["Data API past an hour"].Calls)
		assert.Equal(t, []string{
			"sagemaker DescribeSpace " + executionKey,
			"sts AssumeRole " + executionKey,
			"redshift-data ExecuteStatement " + firstProducerKey,
			"redshift-data DescribeStatement " + firstProducerKey,
			"redshift-data GetStatementResult " + firstProducerKey,
			"sts AssumeRole " + executionKey,
			"redshift-data ExecuteStatement " + secondProducerKey,
			"redshift-data DescribeStatement " + secondProducerKey,
			"redshift-data GetStatementResult " + secondProducerKey,
		}, operations)
	})
}
