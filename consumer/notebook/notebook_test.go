package notebook

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
)

func TestRedshiftSnippet(t *testing.T) {
	snippet, err := RedshiftSnippet(Redshift{
		Region:            "eu-west-1",
		ProducerRoleArn:   "arn:aws:iam::111111111111:role/producer-role-1a2b3c4",
		ClusterIdentifier: "analytics",
		Database:          "dev",
		DBGroups:          []string{"analysts", "readers"},
	})
	require.NoError(t, err)
	for _, want := range []string{
		`REGION = "eu-west-1"`,
		`PRODUCER_ROLE_ARN = "arn:aws:iam::111111111111:role/producer-role-1a2b3c4"`,
		`CLUSTER_IDENTIFIER = "analytics"`,
		`DATABASE = "dev"`,
		`STS_ENDPOINT = "https://sts.eu-west-1.amazonaws.com"`,
		`sts.assume_role(RoleArn=PRODUCER_ROLE_ARN, RoleSessionName=user)`,
		`RefreshableCredentials.create_from_metadata(`,
	} {
		assert.Contains(t, snippet, want)
	}
	assert.Equal(t, []string{
		"ClusterIdentifier=CLUSTER_IDENTIFIER",
		"DbUser=user",
		"DbName=DATABASE",
		`DbGroups=["analysts","readers"]`,
		"AutoCreate=True",
	}, credentialsRequest(t, snippet), "the producer role's policy requires DbName")
	assert.Contains(t, snippet, "database=DATABASE,", "connects to the database the credentials are for")
}

// TestEverySnippetNamesTheSessionAfterTheProfile: the producer trust requires
// the session name to equal the SourceIdentity, which is the profile name, in
// every connection mode; and each mode calls only what the producer role
// grants (no ListStatements, DescribeClusters only by identifier).
func TestEverySnippetNamesTheSessionAfterTheProfile(t *testing.T) {
	for _, connection := range config.Connections {
		t.Run(connection, func(t *testing.T) {
			values := Redshift{Region: "us-east-1", ProducerRoleArn: "arn", ClusterIdentifier: "analytics", Database: "dev", Connection: connection}
			if connection == config.ConnectionManagedEndpoint {
				values.EndpointAddress, values.EndpointPort = "analytics-endpoint.example", 5439
			}
			snippet, err := RedshiftSnippet(values)
			require.NoError(t, err)
			assert.Equal(t, 1, strings.Count(snippet, "assume_role("), "one assume_role")
			assert.Contains(t, snippet, "sts.assume_role(RoleArn=PRODUCER_ROLE_ARN, RoleSessionName=user)")
			assert.Contains(t, snippet, "user = get_userprofile_name()")
			assert.NotContains(t, snippet, "list_statements")
			if strings.Contains(snippet, "describe_clusters(") {
				assert.Contains(t, snippet, "describe_clusters(ClusterIdentifier=CLUSTER_IDENTIFIER)")
			}
		})
	}
}

// credentialsRequest is the arguments of the snippet's get_cluster_credentials call.
func credentialsRequest(t *testing.T, snippet string) []string {
	t.Helper()
	_, call, ok := strings.Cut(snippet, "redshift.get_cluster_credentials(\n")
	require.True(t, ok, snippet)
	call, _, ok = strings.Cut(call, "\n    )\n")
	require.True(t, ok, snippet)
	var arguments []string
	for _, line := range strings.Split(call, "\n") {
		arguments = append(arguments, strings.TrimSuffix(strings.TrimSpace(line), ","))
	}
	return arguments
}

func TestRedshiftSnippetWithoutGroups(t *testing.T) {
	snippet, err := RedshiftSnippet(Redshift{Region: "us-east-1", ProducerRoleArn: "arn", ClusterIdentifier: "c", Database: "d"})
	require.NoError(t, err)
	assert.Equal(t, []string{"ClusterIdentifier=CLUSTER_IDENTIFIER", "DbUser=user", "DbName=DATABASE", "AutoCreate=True"},
		credentialsRequest(t, snippet), "no DbGroups at all when none are configured")
	assert.NotContains(t, snippet, "null")
}

// codeArtifactMirror is a mirror as configuration would give it.
func codeArtifactMirror(t *testing.T) *config.Mirror {
	t.Helper()
	mirror, err := config.ParseMirror("https://ml-packages-333333333333.d.codeartifact.eu-west-1.amazonaws.com/pypi/pypi-store/simple/")
	require.NoError(t, err)
	require.NotNil(t, mirror.CodeArtifact)
	return mirror
}

// syntaxCheck parses a script with bash without running it.
func syntaxCheck(t *testing.T, script string) {
	t.Helper()
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "bash -n: %s\n%s", out, script)
}

// installPart is the script the lifecycle configuration writes and runs in
// the background: the text between the heredoc markers.
func installPart(t *testing.T, script string) string {
	t.Helper()
	_, rest, ok := strings.Cut(script, "<<'INSTALL'\n")
	require.True(t, ok, script)
	install, _, ok := strings.Cut(rest, "\nINSTALL\n")
	require.True(t, ok, script)
	return install
}

func TestLifecycleScriptNeverHoldsUpJupyterLab(t *testing.T) {
	generic, err := config.ParseMirror("https://pypi.example.com/simple")
	require.NoError(t, err)
	for name, mirror := range map[string]*config.Mirror{"PyPI": nil, "an https mirror": generic, "CodeArtifact": codeArtifactMirror(t)} {
		t.Run(name, func(t *testing.T) {
			script := LifecycleScript(mirror)
			syntaxCheck(t, script)
			syntaxCheck(t, installPart(t, script))
			assert.True(t, strings.HasPrefix(script, "#!/bin/bash\n"))
			assert.NotRegexp(t, `(?m)^set -[a-z]*e`, script, "no errexit: a failed install must not fail the app's start")
			lines := strings.Split(strings.TrimSpace(script), "\n")
			assert.Equal(t, "exit 0", lines[len(lines)-1], "the script itself always succeeds")
			assert.Contains(t, lines, `nohup timeout 900 bash "$install_script" >`+InstallLog+` 2>&1 &`,
				"the install runs in the background, bounded, logged where the user finds it")
			assert.Contains(t, installPart(t, script), "pip install --quiet --upgrade awswrangler")
		})
	}
}

func TestLifecycleScriptSources(t *testing.T) {
	assert.NotContains(t, installPart(t, LifecycleScript(nil)), "PIP_INDEX_URL", "PyPI by default")

	generic, err := config.ParseMirror("https://x.example/it's")
	require.NoError(t, err)
	assert.Contains(t, installPart(t, LifecycleScript(generic)), `export PIP_INDEX_URL='https://x.example/it'\''s'`,
		"a quote in the URL cannot break out of the shell word")

	install := installPart(t, LifecycleScript(codeArtifactMirror(t)))
	assert.Contains(t, install, `'eu-west-1' 'ml-packages' '333333333333')`, "the token is asked of the repository's domain, owner and region")
	assert.Contains(t, install, `boto3.client("codeartifact", region_name=region)`, "boto3 reaches the regional endpoint")
	assert.Contains(t, install, `export PIP_INDEX_URL="https://aws:${token}@"'ml-packages-333333333333.d.codeartifact.eu-west-1.amazonaws.com/pypi/pypi-store/simple/'`)
	assert.NotContains(t, install, "set -x", "the token never reaches the log")
}

// runLifecycleScript runs the script with fake commands first on the PATH
// and the log in a temporary directory, and returns the log's path once the
// script itself has ended.
func runLifecycleScript(t *testing.T, mirror *config.Mirror, fakes map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	for name, body := range fakes {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755))
	}
	log := filepath.Join(dir, "install.log")
	cmd := exec.Command("bash", "-c", strings.ReplaceAll(LifecycleScript(mirror), InstallLog, log))
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the lifecycle script always succeeds: %s", out)
	assert.Less(t, time.Since(start), 3*time.Second, "it does not wait for the install")
	return log
}

// eventuallyLogs waits for the background install to write want to its log.
func eventuallyLogs(t *testing.T, log, want string) {
	t.Helper()
	assert.Eventually(t, func() bool {
		text, _ := os.ReadFile(log)
		return strings.Contains(string(text), want)
	}, 5*time.Second, 20*time.Millisecond, "%s never logged %q", log, want)
}

func TestLifecycleScriptRunsTheInstallInTheBackground(t *testing.T) {
	for _, tool := range []string{"bash", "timeout", "nohup", "mktemp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	t.Run("an index that hangs, then fails", func(t *testing.T) {
		generic, err := config.ParseMirror("https://pypi.example.com/simple")
		require.NoError(t, err)
		log := runLifecycleScript(t, generic, map[string]string{"pip": `echo "pip from $PIP_INDEX_URL"; sleep 1; exit 1` + "\n"})
		eventuallyLogs(t, log, "pip from https://pypi.example.com/simple")
	})
	t.Run("CodeArtifact token handed to pip", func(t *testing.T) {
		log := runLifecycleScript(t, codeArtifactMirror(t), map[string]string{
			"python3": "echo token-123\n",
			"pip":     `echo "pip from $PIP_INDEX_URL"` + "\n",
		})
		eventuallyLogs(t, log, "pip from https://aws:token-123@ml-packages-333333333333.d.codeartifact.eu-west-1.amazonaws.com/pypi/pypi-store/simple/")
		eventuallyLogs(t, log, "awswrangler installed")
	})
	t.Run("no CodeArtifact token", func(t *testing.T) {
		log := runLifecycleScript(t, codeArtifactMirror(t), map[string]string{
			"python3": "echo AccessDenied >&2; exit 1\n",
			"pip":     "echo pip must not run\n",
		})
		eventuallyLogs(t, log, "no CodeArtifact token")
		text, _ := os.ReadFile(log)
		assert.NotContains(t, string(text), "pip must not run")
	})
}

// TestRedshiftSnippetInANamespace: in a split stack the database user is the
// consumer's prefix and the profile name, while the session stays named
// after the profile (its SourceIdentity).
func TestRedshiftSnippetInANamespace(t *testing.T) {
	for _, connection := range config.Connections {
		t.Run(connection, func(t *testing.T) {
			snippet, err := RedshiftSnippet(Redshift{
				Region: "us-east-1", ProducerRoleArn: "arn", ClusterIdentifier: "c", Database: "d",
				Connection: connection, DBUserPrefix: "ml-team-b_",
			})
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(snippet, "import json\n"), snippet)
			assert.Contains(t, snippet, "DB_USER_PREFIX = \"ml-team-b_\"\ndb_user = DB_USER_PREFIX + user\n")
			assert.Contains(t, snippet, `sts.assume_role(RoleArn=PRODUCER_ROLE_ARN, RoleSessionName=user)`)
			if connection == config.ConnectionDataAPI {
				assert.Contains(t, snippet, "DbUser=db_user, Sql=sql")
				assert.Contains(t, snippet, `CREATE USER "{db_user}" PASSWORD DISABLE;`)
				return
			}
			assert.Equal(t, []string{"ClusterIdentifier=CLUSTER_IDENTIFIER", "DbUser=db_user", "DbName=DATABASE", "AutoCreate=True"},
				credentialsRequest(t, snippet))
		})
	}
	bare, err := RedshiftSnippet(Redshift{Region: "us-east-1", ProducerRoleArn: "arn", ClusterIdentifier: "c", Database: "d", Connection: config.ConnectionDataAPI})
	require.NoError(t, err)
	assert.NotContains(t, bare, "DB_USER_PREFIX", "the bare names: the profile name as it is")
	assert.Contains(t, bare, `CREATE USER "{user}" PASSWORD DISABLE;`)
}
