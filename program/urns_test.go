package program

import (
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/stackconfig"
)

// updateURNs rewrites testdata/urns from the program as it is:
// go test ./program -run TestExampleStackURNs -update-urns
var updateURNs = flag.Bool("update-urns", false, "rewrite testdata/urns/*.txt from the current program")

// TestExampleStackURNs pins the URN of every resource of every example
// stack. A URN is a resource's identity to the engine: one that changes
// makes `pulumi up` delete the resource and create another. A move of code
// between packages, a renamed component or a changed logical name shows
// here as a diff of the golden files; a new resource shows as an added line,
// which is deliberate and reviewed with -update-urns.
// Split stacks run in the order they deploy (producer sides, consumer sides,
// then each once more), each with the other side's outputs.
func TestExampleStackURNs(t *testing.T) {
	t.Parallel()
	const projectDir = ".."
	stacks := stackconfig.Stacks(projectDir)
	require.NotEmpty(t, stacks)
	values := map[string]map[string]string{}
	var single, producers, consumers []string
	for _, stack := range stacks {
		loaded, err := stackconfig.Load(projectDir, stack, nil)
		if err != nil {
			t.Logf("%s: %v (skipped: secure values cannot be decrypted offline)", stack, err)
			continue
		}
		values[stack] = loaded
		switch strings.Trim(loaded[config.Project+":side"], `"`) {
		case config.SideProducer:
			producers = append(producers, stack)
		case config.SideConsumer:
			consumers = append(consumers, stack)
		default:
			single = append(single, stack)
		}
	}

	outputs := map[string]map[string]any{}
	run := func(stack string) *offline.Result {
		t.Helper()
		var options []offline.Option
		for _, name := range slices.Sorted(maps.Keys(values)) {
			if name == stack {
				continue
			}
			known := outputs[name]
			if known == nil {
				known = map[string]any{}
			}
			options = append(options, offline.WithStackReference(name, known))
		}
		result, err := offline.Run(Run, config.Project, stack, values[stack], options...)
		require.NoError(t, err, "stack %s", stack)
		outputs[stack] = result.Outputs
		return result
	}
	final := map[string]*offline.Result{}
	for _, stack := range single {
		final[stack] = run(stack)
	}
	for round := 0; round < 3; round++ {
		for _, stack := range append(append([]string{}, producers...), consumers...) {
			final[stack] = run(stack)
		}
	}

	for stack, result := range final {
		var urns []string
		for _, r := range result.Resources() {
			urns = append(urns, r.URN)
		}
		slices.Sort(urns)
		got := strings.Join(urns, "\n") + "\n"
		golden := filepath.Join("testdata", "urns", stack+".txt")
		if *updateURNs {
			require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
			require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			continue
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "no golden URNs for stack %s: run go test ./program -run TestExampleStackURNs -update-urns", stack)
		require.Equal(t, string(want), got, "stack %s: URNs changed; a changed URN replaces the resource on the next pulumi up", stack)
	}
}
