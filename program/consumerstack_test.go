package program

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the consumer-stack example's fixture from the dev plan")

// platformOutputs is the consumer-stack example's copy of the dev stack's
// outputs: the example is a module of its own and cannot run this program,
// so its tests read this file.
var platformOutputs = filepath.Join(projectDir, "examples", "consumer-stack", "testdata", "platform-outputs.json")

// TestConsumerStackFixture fails when the example's fixture is not what the
// program exports for the dev stack. Regenerate it with
//
//	go test ./program -run TestConsumerStackFixture -update
func TestConsumerStackFixture(t *testing.T) {
	current := decodePlan(t, planOutput(t, "-json")).Outputs
	if *update {
		text, err := json.MarshalIndent(current, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(platformOutputs, append(text, '\n'), 0o644))
	}
	text, err := os.ReadFile(platformOutputs)
	require.NoError(t, err)
	var fixture map[string]any
	require.NoError(t, json.Unmarshal(text, &fixture))
	assert.Equal(t, current, fixture, "%s differs from the dev stack's outputs; regenerate it: "+
		"go test ./program -run TestConsumerStackFixture -update", platformOutputs)
}
