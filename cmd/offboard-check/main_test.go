package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/studio-redshift/studio-redshift/internal/offboarding"
)

// fakeAccount answers as the consumer account would: alice owns a space
// with a running app, bob has nothing left.
type fakeAccount struct {
	domainExists bool
}

func (f *fakeAccount) DomainID(_ context.Context, name string) (string, bool, error) {
	if !f.domainExists || name != "analytics-studio" {
		return "", false, nil
	}
	return "d-analytics", true, nil
}

func (f *fakeAccount) Spaces(context.Context, string) ([]offboarding.Space, error) {
	return []offboarding.Space{{Name: "alice-lab", Owner: "alice", Sharing: "Private"}}, nil
}

func (f *fakeAccount) Apps(_ context.Context, _, _, space string) ([]offboarding.App, error) {
	if space == "alice-lab" {
		return []offboarding.App{{Type: "JupyterLab", Name: "default", Status: "InService", Space: space}}, nil
	}
	return nil, nil
}

func stackFile(users ...string) string {
	return "config:\n  studio-redshift:region: eu-west-1\n  studio-redshift:consumer:\n    studio:\n      domainName: analytics-studio\n" +
		"      userProfiles: [" + strings.Join(users, ", ") + "]\n"
}

// repository makes a git repository whose project lives in a subdirectory,
// commits the stack file with users, and returns the project directory and
// the commit.
func repository(t *testing.T, users ...string) (string, string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "infra")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	git := func(args ...string) string {
		command := exec.Command("git", append([]string{"-C", root, "-c", "user.name=ci", "-c", "user.email=ci@example.com"}, args...)...)
		out, err := command.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.prod.yaml"), []byte(stackFile(users...)), 0o644))
	git("add", ".")
	git("commit", "-q", "-m", "users")
	return dir, git("rev-parse", "HEAD")
}

func TestOffboardCheck(t *testing.T) {
	dir, base := repository(t, "alice", "bob", "carol")
	tests := []struct {
		name         string
		now          []string
		base         string
		stack        string
		domainExists bool
		code         int
		stdout       string
		stderr       []string
	}{
		{name: "a removed user with a space and an app fails", now: []string{"carol"}, base: base, domainExists: true, code: 1,
			stderr: []string{
				"user alice cannot be removed yet",
				"aws sagemaker delete-app --region eu-west-1 --domain-id d-analytics --space-name alice-lab --app-type JupyterLab --app-name default",
				"aws sagemaker delete-space --region eu-west-1 --domain-id d-analytics --space-name alice-lab",
				"1 of the 2 users removed from consumer.studio.userProfiles still have apps or spaces",
			}},
		{name: "a removed user with nothing left passes", now: []string{"alice", "carol"}, base: base, domainExists: true,
			stdout: "removed users bob have no apps and no spaces in domain d-analytics"},
		{name: "added users only", now: []string{"alice", "bob", "carol", "dave"}, base: base, domainExists: true,
			stdout: "Pulumi.prod.yaml removes no user since"},
		{name: "a domain never deployed", now: []string{"carol"}, base: base,
			stdout: "no Studio domain analytics-studio in eu-west-1: nothing deployed to remove"},
		{name: "a first push has no previous revision", now: []string{"carol"}, base: noRevision, domainExists: true,
			stdout: "no previous revision"},
		{name: "a stack file new since the base", now: []string{"carol"}, base: base, stack: "org/studio-redshift/staging", domainExists: true,
			stdout: "Pulumi.staging.yaml is new since"},
		{name: "a revision the clone lacks", now: []string{"carol"}, base: "0123456789abcdef0123456789abcdef01234567", domainExists: true, code: 1,
			stderr: []string{"is not in this clone (fetch it, or check out with fetch-depth: 0)"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			stack := test.stack
			if stack == "" {
				stack = "prod"
			}
			name := "Pulumi." + stack[strings.LastIndex(stack, "/")+1:] + ".yaml"
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(stackFile(test.now...)), 0o644))
			var stdout, stderr bytes.Buffer
			newLister := func(region string) offboarding.Lister {
				assert.Equal(t, "eu-west-1", region)
				return &fakeAccount{domainExists: test.domainExists}
			}
			code := run(context.Background(), []string{"-stack", stack, "-dir", dir, "-base", test.base}, &stdout, &stderr, newLister)
			assert.Equal(t, test.code, code, "stderr: %s", stderr.String())
			assert.Contains(t, stdout.String(), test.stdout)
			for _, want := range test.stderr {
				assert.Contains(t, stderr.String(), want)
			}
		})
	}
}

func TestOffboardCheckNeedsAStack(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), nil, &stdout, &stderr, nil))
	assert.Contains(t, stderr.String(), "-stack is required")
}

// TestWorkflowsCheckBeforeUp keeps the check in front of every `pulumi up`
// (and in the preview), with the history it reads.
func TestWorkflowsCheckBeforeUp(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	ups := 0
	for _, file := range files {
		text, err := os.ReadFile(file)
		require.NoError(t, err)
		var workflow struct {
			Jobs map[string]struct {
				Steps []struct {
					Uses string            `yaml:"uses"`
					Run  string            `yaml:"run"`
					With map[string]any    `yaml:"with"`
					Env  map[string]string `yaml:"env"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		require.NoError(t, yaml.Unmarshal(text, &workflow), file)
		for name, job := range workflow.Jobs {
			fullHistory, checked, previews := false, false, false
			for _, step := range job.Steps {
				if strings.HasPrefix(step.Uses, "actions/checkout@") {
					fullHistory = step.With["fetch-depth"] == 0
				}
				if strings.Contains(step.Run, "go run ./cmd/offboard-check") {
					checked = true
					assert.True(t, fullHistory, "%s: job %s checks out the base revision's history (fetch-depth: 0)", file, name)
					assert.Equal(t, "studio-redshift-consumer", step.Env["AWS_PROFILE"], "%s: job %s asks the consumer account", file, name)
					assert.NotEmpty(t, step.Env["BASE"], "%s: job %s names the base revision", file, name)
				}
				if strings.HasPrefix(step.Uses, "pulumi/actions@") && (step.With["command"] == "up" || step.With["command"] == "preview") {
					ups++
					previews = previews || step.With["command"] == "preview"
					if step.With["command"] == "up" {
						assert.True(t, checked, "%s: job %s runs cmd/offboard-check before pulumi up", file, name)
					}
				}
			}
			if previews {
				assert.True(t, checked, "%s: job %s runs cmd/offboard-check on the pull request", file, name)
			}
		}
	}
	assert.Equal(t, 3, ups, "preview, up, and the split stacks' up")
}
