package offline

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// outputTimeout bounds the wait for stack outputs; under mocks every output
// resolves in milliseconds.
const outputTimeout = 10 * time.Second

// Result is what one mocked run of a program produced.
type Result struct {
	*Mocks
	// Outputs are the stack outputs as `pulumi stack output --json` shows
	// them: decoded JSON (strings, float64, []any, map[string]any).
	Outputs map[string]any
}

// Option adjusts a run.
type Option func(*Mocks)

// WithStackReference makes a StackReference to stack see these outputs.
func WithStackReference(stack string, outputs map[string]any) Option {
	return func(m *Mocks) { m.stackOutputs[stack] = outputs }
}

// Run runs program under the mocks with the given configuration (namespaced
// keys, values as the CLI passes them) and returns what it registered and
// exported, and the program's error, if any: a failed run still
// shows what was registered before it failed.
func Run(program pulumi.RunFunc, project, stack string, config map[string]string, options ...Option) (*Result, error) {
	result := &Result{Mocks: NewMocks(project, stack), Outputs: map[string]any{}}
	for _, option := range options {
		option(result.Mocks)
	}
	result.assumeConfiguredEndpoints(config)
	var mu sync.Mutex
	// The engine does not wait for applies on outputs it does not track, so
	// each export's resolution is counted here.
	var resolved sync.WaitGroup
	var programErr error
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if programErr = program(ctx); programErr != nil {
			return programErr
		}
		for name, value := range ctx.GetCurrentExportMap() {
			resolved.Add(1)
			pulumi.ToOutput(value).ApplyT(func(value any) (any, error) {
				defer resolved.Done()
				text, err := json.Marshal(value)
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
	if err != nil {
		return result, err
	}
	done := make(chan struct{})
	go func() { resolved.Wait(); close(done) }()
	select {
	case <-done:
		return result, nil
	case <-time.After(outputTimeout):
		return result, fmt.Errorf("stack outputs did not resolve within %s", outputTimeout)
	}
}
