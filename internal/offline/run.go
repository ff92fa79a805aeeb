package offline

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Result is what one mocked run of a program produced.
type Result struct {
	*Mocks
	// Outputs are the stack outputs as `pulumi stack output --json` shows
	// them: decoded JSON (strings, float64, []any, map[string]any).
	Outputs map[string]any
}

// Run runs program under the mocks with the given configuration (namespaced
// keys, values as the CLI passes them) and returns what it registered and
// exported, and the program's error, if any: a failed run still
// shows what was registered before it failed.
func Run(program pulumi.RunFunc, project, stack string, config map[string]string) (*Result, error) {
	result := &Result{Mocks: NewMocks(project, stack), Outputs: map[string]any{}}
	var mu sync.Mutex
	var programErr error
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if programErr = program(ctx); programErr != nil {
			return programErr
		}
		for name, value := range ctx.GetCurrentExportMap() {
			pulumi.ToOutput(value).ApplyT(func(resolved any) (any, error) {
				text, err := json.Marshal(resolved)
				if err != nil {
					return nil, fmt.Errorf("stack output %s: %w", name, err)
				}
				var decoded any
				if err := json.Unmarshal(text, &decoded); err != nil {
					return nil, err
				}
				mu.Lock()
				defer mu.Unlock()
				result.Outputs[name] = decoded
				return nil, nil
			})
		}
		return nil
	}, pulumi.WithMocks(project, stack, result.Mocks), func(info *pulumi.RunInfo) {
		info.Config = config
	})
	if programErr != nil {
		// The engine wraps it in a list of one; the program's own message
		// is the clear one.
		return result, programErr
	}
	return result, err
}
