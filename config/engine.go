package config

import "context"

// engineKey carries a stack's whole configuration in a context.
type engineKey struct{}

// WithEngineConfig returns ctx carrying a stack's whole configuration
// (namespaced keys, values as the CLI passes them): how a caller that runs
// the program in its own process (the offline plan, the tests) hands it
// over, where the Pulumi CLI uses PULUMI_CONFIG. Runs in one process then
// each see their own, side by side.
func WithEngineConfig(ctx context.Context, values map[string]string) context.Context {
	return context.WithValue(ctx, engineKey{}, values)
}

// EngineConfigFrom is the configuration WithEngineConfig put in ctx, if any.
func EngineConfigFrom(ctx context.Context) (map[string]string, bool) {
	values, ok := ctx.Value(engineKey{}).(map[string]string)
	return values, ok
}
