package program

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThreatModelNamesRealTests: every test the threat model of
// docs/security.md cites as the proof of an attack row exists, so that a
// renamed or deleted test cannot leave a row claiming a proof that is gone.
func TestThreatModelNamesRealTests(t *testing.T) {
	page, err := os.ReadFile("../docs/security.md")
	require.NoError(t, err)
	text := string(page)
	start := strings.Index(text, "## Threat model")
	require.GreaterOrEqual(t, start, 0, "docs/security.md has a threat model")
	section := text[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	cited := regexp.MustCompile("`(Test[A-Za-z0-9_]+)`").FindAllStringSubmatch(section, -1)
	require.NotEmpty(t, cited, "the threat model cites its tests")

	defined := map[string]bool{}
	declaration := regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]+)\(`)
	require.NoError(t, filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "examples") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		source, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, match := range declaration.FindAllStringSubmatch(string(source), -1) {
			defined[match[1]] = true
		}
		return nil
	}))
	for _, match := range cited {
		assert.True(t, defined[match[1]], "the threat model cites %s, which no test file defines", match[1])
	}
}
