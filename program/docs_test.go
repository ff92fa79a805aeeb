package program

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README is the front door: short, the deploy near the top, and every
// link into docs/ landing on a page and heading that exist.
const (
	readmeMaxLines     = 350
	deployEndsByLine   = 150
	deploySectionTitle = "## Deploy"
)

// markdownLink is [text](target); the target has no spaces or parentheses.
var markdownLink = regexp.MustCompile(`\]\(([^()\s]+)\)`)

// inlineCode is a backticked span, where brackets are code, not links.
var inlineCode = regexp.MustCompile("`[^`]*`")

// markdownPage is one documentation page: its lines outside fenced code
// blocks, with their 1-based line numbers.
type markdownPage struct {
	path  string
	lines map[int]string
	count int
}

func readMarkdown(t *testing.T, path string) markdownPage {
	t.Helper()
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	all := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	page := markdownPage{path: path, lines: map[int]string{}, count: len(all)}
	fenced := false
	for i, line := range all {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			page.lines[i+1] = line
		}
	}
	return page
}

// headingSlug is the anchor GitHub gives a heading: lower case, spaces to
// '-', letters, digits, '-' and '_' kept, everything else dropped.
func headingSlug(heading string) string {
	var slug strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			slug.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			slug.WriteRune(r)
		}
	}
	return slug.String()
}

// anchors are the slugs of a page's headings; a repeated heading gets -1, -2
// as on GitHub.
func (p markdownPage) anchors() map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for n := 1; n <= p.count; n++ {
		line, ok := p.lines[n]
		if !ok || !strings.HasPrefix(line, "#") {
			continue
		}
		heading := strings.TrimLeft(line, "#")
		if !strings.HasPrefix(heading, " ") {
			continue
		}
		slug := headingSlug(heading)
		if seen[slug] > 0 {
			anchors[slug+"-"+strconv.Itoa(seen[slug])] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	}
	return anchors
}

func documentationPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(projectDir, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, pages, "docs/ holds the reference pages")
	return append([]string{filepath.Join(projectDir, "README.md")}, pages...)
}

func TestDocumentationLinksResolve(t *testing.T) {
	for _, path := range documentationPages(t) {
		page := readMarkdown(t, path)
		name, err := filepath.Rel(projectDir, path)
		require.NoError(t, err)
		links := 0
		for n := 1; n <= page.count; n++ {
			line, ok := page.lines[n]
			if !ok {
				continue
			}
			for _, match := range markdownLink.FindAllStringSubmatch(inlineCode.ReplaceAllString(line, ""), -1) {
				target := match[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				links++
				file, anchor, _ := strings.Cut(target, "#")
				targetPath := path
				if file != "" {
					targetPath = filepath.Join(filepath.Dir(path), file)
					if _, err := os.Stat(targetPath); !assert.NoError(t, err, "%s:%d links to %s, which does not exist", name, n, target) {
						continue
					}
				}
				if anchor == "" {
					continue
				}
				if !assert.True(t, strings.HasSuffix(targetPath, ".md"), "%s:%d: anchor on a file that is not a page: %s", name, n, target) {
					continue
				}
				assert.True(t, readMarkdown(t, targetPath).anchors()[anchor],
					"%s:%d links to %s, but no heading of %s has the anchor #%s", name, n, target, filepath.Base(targetPath), anchor)
			}
		}
		if filepath.Base(path) != "README.md" {
			assert.Positive(t, links, "%s links back to the README", name)
		}
	}
}

func TestREADMEIsAFrontDoor(t *testing.T) {
	page := readMarkdown(t, filepath.Join(projectDir, "README.md"))
	assert.LessOrEqual(t, page.count, readmeMaxLines, "README.md has %d lines: the reference belongs in docs/", page.count)
	deploy, next := 0, 0
	for n := 1; n <= page.count; n++ {
		line := page.lines[n]
		switch {
		case line == deploySectionTitle:
			deploy = n
		case deploy > 0 && next == 0 && strings.HasPrefix(line, "## "):
			next = n
		}
	}
	require.Positive(t, deploy, "README.md has a %q section", deploySectionTitle)
	require.Positive(t, next, "a section follows README.md's deploy section")
	assert.Less(t, deploy, deployEndsByLine, "README.md's deploy section starts on line %d", deploy)
	assert.Less(t, next, deployEndsByLine, "README.md's deploy section runs to line %d", next-1)
}

func TestHeadingSlug(t *testing.T) {
	for heading, slug := range map[string]string{
		"Two modes: bring your own network, or start from empty accounts": "two-modes-bring-your-own-network-or-start-from-empty-accounts",
		"Athena over the producer's bucket":                               "athena-over-the-producers-bucket",
		"Verified offline, and what to verify on the first deploy":        "verified-offline-and-what-to-verify-on-the-first-deploy",
		"What greenfield costs, roughly":                                  "what-greenfield-costs-roughly",
		"`pulumi up` and split_stacks":                                    "pulumi-up-and-split_stacks",
	} {
		assert.Equal(t, slug, headingSlug(heading), heading)
	}
}
