package offline

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	studioconfig "github.com/studio-redshift/studio-redshift/config"
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
	// Warnings are what the program logged as warnings, in order.
	Warnings []string
}

// Option adjusts a run.
type Option func(*Mocks)

// WithPeeringAcceptStatus makes every peering accepter report status, as
// EC2 does for a request it has not made active ("pending-acceptance",
// "expired", "rejected", "failed").
func WithPeeringAcceptStatus(status string) Option {
	return func(m *Mocks) { m.acceptStatus = status }
}

// WithStackReference makes a StackReference to stack see these outputs.
func WithStackReference(stack string, outputs map[string]any) Option {
	return func(m *Mocks) { m.stackOutputs[stack] = outputs }
}

// Run runs program under the mocks with the given configuration (namespaced
// keys, values as the CLI passes them) and returns what it registered and
// exported, and the program's error, if any: a failed run still
// shows what was registered before it failed. The configuration reaches the
// program whole, every key, known or not, as under `pulumi up`, but in the
// run's own context rather than the process environment (runWithConfig).
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
	err := runWithConfig(project, stack, config, result.Mocks, func(ctx *pulumi.Context) error {
		ctx.Log = &recordingLog{Log: ctx.Log, mu: &mu, warnings: &result.Warnings}
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

// recordingLog keeps the warnings a program logs, which the mock engine
// would drop.
type recordingLog struct {
	pulumi.Log
	mu       *sync.Mutex
	warnings *[]string
}

func (l *recordingLog) Warn(message string, args *pulumi.LogArgs) error {
	l.mu.Lock()
	*l.warnings = append(*l.warnings, message)
	l.mu.Unlock()
	return l.Log.Warn(message, args)
}

// runWithConfig runs program under mocks as pulumi.RunErr does, with the
// configuration handed over in-process: to the SDK (RunInfo.Config, what
// ctx.GetConfig answers) and to the program whole (config.WithEngineConfig),
// where the CLI would set PULUMI_CONFIG. Nothing is process-wide, so runs
// may proceed side by side.
func runWithConfig(project, stack string, values map[string]string, mocks pulumi.MockResourceMonitor, program pulumi.RunFunc) error {
	if values == nil {
		values = map[string]string{}
	}
	ctx, err := pulumi.NewContext(studioconfig.WithEngineConfig(context.Background(), values), pulumi.RunInfo{
		Project: project, Stack: stack, Config: values, Mocks: mocks,
	})
	if err != nil {
		return err
	}
	defer ctx.Close()
	return pulumi.RunWithContext(ctx, program)
}
