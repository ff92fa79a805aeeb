package program

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// documentedOutput is one row of README.md's outputs table.
type documentedOutput struct {
	name, kind, when string
}

var outputRow = regexp.MustCompile("^\\| `([A-Za-z]+)` \\| ([a-z ]+) \\| ([^|]+) \\|")

// documentedOutputs reads the outputs table under "## Outputs for data teams".
func documentedOutputs(t *testing.T) map[string]documentedOutput {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	text := string(readme)
	start := strings.Index(text, "## Outputs for data teams")
	require.GreaterOrEqual(t, start, 0, "README.md has an outputs section")
	section := text[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	outputs := map[string]documentedOutput{}
	for _, line := range strings.Split(section, "\n") {
		if match := outputRow.FindStringSubmatch(line); match != nil {
			outputs[match[1]] = documentedOutput{name: match[1], kind: match[2], when: strings.TrimSpace(match[3])}
		}
	}
	require.NotEmpty(t, outputs)
	return outputs
}

// kindOf names a decoded JSON value as the README does.
func kindOf(value any) string {
	switch v := value.(type) {
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		for _, item := range v {
			if _, ok := item.(string); !ok {
				return "list"
			}
		}
		return "list of strings"
	}
	return "unknown"
}

// existingBuckets turns the demo's created buckets into existing ones whose
// policies the program does not write, so every conditional output appears.
func existingBuckets(t *testing.T) map[string]string {
	values := demoConfig(t)
	values["studio-redshift:athena"] = strings.Replace(values["studio-redshift:athena"], `"create":true`, `"create":false`, 1)
	values["studio-redshift:featureStore"] = strings.Replace(values["studio-redshift:featureStore"], `"create":true`, `"create":false`, 1)
	return values
}

func TestOutputsMatchTheREADME(t *testing.T) {
	documented := documentedOutputs(t)
	runs := map[string]map[string]any{
		"dev":              run(t, devConfig(t)).Outputs,
		"demo":             run(t, demoConfig(t)).Outputs,
		"existing buckets": run(t, existingBuckets(t)).Outputs,
		"guardrails off":   run(t, withGuardrails(t, map[string]any{"enabled": false})).Outputs,
		"managed endpoint": run(t, stackConfig(t, "endpoint")).Outputs,
		"Data API":         run(t, stackConfig(t, "dataapi")).Outputs,
		"serverless":       run(t, stackConfig(t, "serverless")).Outputs,
	}

	seen := map[string]bool{}
	// A split stack's producer side exports its own outputs, documented as
	// such; the consumer side exports all the outputs data teams read.
	producerSide := runStack(t, "data-platform", stackConfig(t, "data-platform"), map[string]map[string]any{"ml-team-a": {}}).Outputs
	runs["consumer side"] = runStack(t, "ml-team-a", stackConfig(t, "ml-team-a"), map[string]map[string]any{"data-platform": producerSide}).Outputs
	for name, value := range producerSide {
		seen[name] = true
		if doc, ok := documented[name]; ok && strings.HasSuffix(doc.when, "except side producer") {
			t.Errorf("producer side: output %s is documented as absent there", name)
		}
		if doc, ok := documented[name]; ok {
			assert.Equal(t, doc.kind, kindOf(value), "producer side: output %s changed type", name)
		}
		if doc, ok := documented[name]; assert.True(t, ok, "producer side: output %s is not in README.md's outputs table", name) && !strings.HasPrefix(doc.when, "always") {
			assert.Contains(t, doc.when, "split", "%s: README.md says when a producer-side stack exports it", name)
		}
	}

	for runName, outputs := range runs {
		for name, value := range outputs {
			doc, ok := documented[name]
			if !assert.True(t, ok, "%s: output %s is not in README.md's outputs table", runName, name) {
				continue
			}
			assert.Equal(t, doc.kind, kindOf(value), "%s: output %s changed type", runName, name)
			seen[name] = true
		}
	}
	for name, doc := range documented {
		assert.True(t, seen[name], "README.md documents output %s, but no run exports it", name)
		if strings.HasPrefix(doc.when, "always") {
			for runName, outputs := range runs {
				assert.Contains(t, outputs, name, "%s: output %s is documented as always present", runName, name)
			}
		}
	}
}
