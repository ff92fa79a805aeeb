package notebook

import (
	"os/exec"
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
		`sts.assume_role(RoleArn=PRODUCER_ROLE_ARN, RoleSessionName=user)`,
		`cluster_identifier="analytics"`,
		`database="dev"`,
		`user=user,`,
		`db_groups=["analysts","readers"]`,
		`json.load(metadata_file)["UserProfileName"]`,
	} {
		assert.Contains(t, snippet, want)
	}
}

func TestRedshiftSnippetWithoutGroups(t *testing.T) {
	snippet, err := RedshiftSnippet(Redshift{Region: "us-east-1", ProducerRoleArn: "arn", ClusterIdentifier: "c", Database: "d"})
	require.NoError(t, err)
	assert.Contains(t, snippet, "db_groups=[],", "an empty Python list, never null")
	assert.False(t, strings.Contains(snippet, "null"))
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
