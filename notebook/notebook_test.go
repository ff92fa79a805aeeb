package notebook

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
		`sts.assume_role(RoleArn=PRODUCER_ROLE_ARN, RoleSessionName=user)`,
		`json.load(metadata_file).get("UserProfileName")`,
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

// credentialsRequest is the arguments of the snippet's get_cluster_credentials call.
func credentialsRequest(t *testing.T, snippet string) []string {
	t.Helper()
	_, call, ok := strings.Cut(snippet, "redshift.get_cluster_credentials(\n")
	require.True(t, ok, snippet)
	call, _, ok = strings.Cut(call, "\n)\n")
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

// In a shared space the metadata names no user profile: the snippet stops
// with a message instead of assuming the role without a user.
func TestRedshiftSnippetRefusesASharedSpace(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	snippet, err := RedshiftSnippet(Redshift{Region: "us-east-1", ProducerRoleArn: "arn", ClusterIdentifier: "c", Database: "d"})
	require.NoError(t, err)
	_, function, ok := strings.Cut(snippet, "def get_userprofile_name():")
	require.True(t, ok)
	function, _, ok = strings.Cut(function, "\n\n\n")
	require.True(t, ok)
	dir := t.TempDir()
	for name, metadata := range map[string]string{"no name": `{"SpaceName": "team"}`, "empty name": `{"UserProfileName": ""}`, "a user": `{"UserProfileName": "alice"}`} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			require.NoError(t, os.WriteFile(file, []byte(metadata), 0o600))
			program := "import json\ndef get_userprofile_name():" +
				strings.ReplaceAll(function, "/opt/ml/metadata/resource-metadata.json", file) +
				"\nprint(get_userprofile_name())\n"
			out, err := exec.Command(python, "-c", program).CombinedOutput()
			if name == "a user" {
				require.NoError(t, err, "%s", out)
				assert.Equal(t, "alice\n", string(out))
				return
			}
			require.Error(t, err)
			assert.Contains(t, string(out), "shared space")
			assert.Contains(t, string(out), "private space")
		})
	}
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
