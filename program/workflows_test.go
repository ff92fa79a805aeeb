package program

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The workflows run the offline plan and deploy with it; these keep them as
// docs/operations.md's "CI and delivery" describes.

var (
	usesLine   = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinnedUse  = regexp.MustCompile(`^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$`)
	tagComment = regexp.MustCompile(`^\s+# v\d+\.\d+\.\d+$`)
)

func TestWorkflowsPinThirdPartyActions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(projectDir, ".github", "*", "*.yml"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join(projectDir, ".github", "actions", "*", "action.yml"))
	require.NoError(t, err)
	files = append(files, more...)
	require.NotEmpty(t, files)
	uses := 0
	for _, file := range files {
		text, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, line := range strings.Split(string(text), "\n") {
			match := usesLine.FindStringSubmatch(line)
			if match == nil || strings.HasPrefix(match[1], "./") {
				continue
			}
			uses++
			assert.Regexp(t, pinnedUse, match[1], "%s: %q is not pinned to a full commit SHA", file, line)
			assert.Regexp(t, tagComment, match[2], "%s: %q does not name its release tag in a comment", file, line)
		}
	}
	assert.Positive(t, uses)
}

func TestPulumiCLIIsTheSDKRelease(t *testing.T) {
	version, err := os.ReadFile(filepath.Join(projectDir, ".pulumi-version"))
	require.NoError(t, err)
	goMod, err := os.ReadFile(filepath.Join(projectDir, "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(goMod), "github.com/pulumi/pulumi/sdk/v3 v"+strings.TrimSpace(string(version))+"\n",
		".pulumi-version pins the CLI of the Pulumi SDK release in go.mod")
}
