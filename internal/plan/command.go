// The offline plan's command line, which cmd/plan runs: flags, the stack
// file, the mocked run and the rendering. It lives here, with the plan it
// renders, so that the program's tests run it in their own binary.

package plan

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/stackconfig"
)

// settings collects the repeated -set and -set-str flags, in order, each a
// path as `pulumi config set --path` takes it and a value.
type settings struct {
	list *[]stackconfig.Setting
	// asString keeps values strings, as the CLI's --type string does.
	asString bool
}

func (s settings) String() string {
	if s.list == nil {
		return ""
	}
	paths := make([]string, 0, len(*s.list))
	for _, setting := range *s.list {
		paths = append(paths, setting.Path)
	}
	return strings.Join(paths, ",")
}

func (s settings) Set(text string) error {
	path, value, ok := strings.Cut(text, "=")
	if !ok || path == "" {
		return fmt.Errorf("want PATH=VALUE, such as consumer.studio.userProfiles[0]=eve, got %q", text)
	}
	*s.list = append(*s.list, stackconfig.Setting{Path: path, Value: value, String: s.asString})
	return nil
}

// Command is the offline plan's entry point: it plans program (the
// program's Run) for the stack the flags in args name, and returns the exit
// code. Nothing is written to stdout or the -out file unless the whole plan
// was built.
func Command(args []string, stdout, stderr io.Writer, program pulumi.RunFunc) int {
	flags := flag.NewFlagSet("plan", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stack := flags.String("stack", "dev", "the stack to plan: reads Pulumi.<stack>.yaml")
	dir := flags.String("dir", ".", "the project directory, holding Pulumi.yaml")
	asJSON := flags.Bool("json", false, "write the whole plan as one JSON document")
	diagram := flags.String("diagram", "", "write a diagram instead of the plan: mermaid")
	out := flags.String("out", "", "write to `FILE` instead of standard output")
	var overrides []stackconfig.Setting
	flags.Var(settings{list: &overrides}, "set", "set a config value as `pulumi config set --path` does, `path=value` "+
		"(repeatable): consumer.studio.userProfiles[0]=eve; below the top level true/false become booleans and integers numbers; "+
		"also a stand-in for a secure: value, which cannot be decrypted offline")
	flags.Var(settings{list: &overrides, asString: true}, "set-str", "like -set, but the value stays a string, "+
		"as with `pulumi config set --path --type string`: `path=value`")
	references := stackOutputFiles{}
	flags.Var(references, "stack-outputs", "supply a referenced stack's outputs, `NAME=FILE`, FILE as `pulumi stack output --json` "+
		"prints them (repeatable): a split stack's other side, planned alone")
	outputsOnly := flags.Bool("outputs", false, "write only the stack outputs, as `pulumi stack output --json` prints them (for -stack-outputs)")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./cmd/plan [-stack dev] [-dir .] [-json | -outputs | -diagram mermaid] [-out FILE] [-set path=value ...] [-set-str path=value ...] [-stack-outputs NAME=FILE ...]")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(stderr, "plan: "+format+"\n", args...)
		return code
	}
	switch {
	case flags.NArg() > 0:
		return fail(2, "unexpected argument %q; flags only (see -h)", flags.Arg(0))
	case *diagram != "" && *diagram != "mermaid":
		return fail(2, "-diagram %q is not supported; use -diagram mermaid", *diagram)
	case (*diagram != "" && *asJSON) || (*outputsOnly && (*asJSON || *diagram != "")):
		return fail(2, "-json, -outputs and -diagram each choose the output; give one")
	}
	var options []offline.Option
	for _, name := range slices.Sorted(maps.Keys(references)) {
		outputs, err := readStackOutputs(references[name])
		if err != nil {
			return fail(1, "-stack-outputs %s: %v", name, err)
		}
		options = append(options, offline.WithStackReference(name, outputs))
	}

	values, err := stackconfig.Load(*dir, *stack, overrides)
	var secret *stackconfig.SecretError
	var unknown *stackconfig.UnknownStackError
	switch {
	case errors.As(err, &secret):
		return fail(1, "%v; to plan anyway, supply a stand-in: -set %s=VALUE", err, secret.Key)
	case errors.As(err, &unknown):
		return fail(1, "%v", err)
	case err != nil:
		return fail(1, "cannot read the stack configuration: %v", err)
	}

	// A referenced stack not supplied is taken to exist without outputs
	// yet (the engine refuses one that does not exist at all).
	for _, name := range referencedStacks(values) {
		if _, ok := references[name]; !ok {
			fmt.Fprintf(stderr, "plan: notice: stack %s is taken to exist and not to have run yet (pulumi stack init %s); supply its outputs with -stack-outputs %s=FILE\n", name, name, name)
			options = append(options, offline.WithStackReference(name, map[string]any{}))
		}
	}
	result, err := offline.Run(program, config.Project, *stack, values, options...)
	for _, warning := range result.Warnings {
		fmt.Fprintf(stderr, "plan: warning: %s\n", warning)
	}
	if err != nil {
		return fail(1, "%v", err)
	}
	built, err := Build(config.Project, *stack, result)
	if err != nil {
		return fail(1, "%v", err)
	}
	if err := built.Exceeded(); err != nil {
		return fail(1, "%v", err)
	}

	var rendered []byte
	switch {
	case *asJSON:
		if rendered, err = built.JSON(); err != nil {
			return fail(1, "%v", err)
		}
	case *outputsOnly:
		if rendered, err = json.MarshalIndent(built.Outputs, "", "  "); err != nil {
			return fail(1, "%v", err)
		}
		rendered = append(rendered, '\n')
	case *diagram == "mermaid":
		rendered = built.Mermaid()
	default:
		rendered = built.Text()
	}
	if *out != "" {
		if err := os.WriteFile(*out, rendered, 0o644); err != nil {
			return fail(1, "cannot write the plan: %v", err)
		}
		return 0
	}
	if _, err := stdout.Write(rendered); err != nil {
		return fail(1, "cannot write the plan: %v", err)
	}
	return 0
}

// stackOutputFiles collects repeated -stack-outputs NAME=FILE flags.
type stackOutputFiles map[string]string

func (f stackOutputFiles) String() string { return strings.Join(slices.Sorted(maps.Keys(f)), ",") }

func (f stackOutputFiles) Set(text string) error {
	name, file, ok := strings.Cut(text, "=")
	if !ok || name == "" || file == "" {
		return fmt.Errorf("want NAME=FILE, such as data-platform=data-platform.json, got %q", text)
	}
	f[name] = file
	return nil
}

// readStackOutputs reads a stack's outputs as `pulumi stack output --json`
// prints them: one JSON object, output name to value.
func readStackOutputs(file string) (map[string]any, error) {
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var outputs map[string]any
	if err := json.Unmarshal(text, &outputs); err != nil {
		return nil, fmt.Errorf("%s is not the JSON object `pulumi stack output --json` prints: %v", file, err)
	}
	return outputs, nil
}

// referencedStacks are the stacks a split stack's configuration refers to:
// a consumer side's producerStack, a producer side's consumers[].stack.
func referencedStacks(values map[string]string) []string {
	var names []string
	if name := values[config.Project+":producerStack"]; name != "" {
		names = append(names, name)
	}
	var consumers []struct {
		Stack string `json:"stack"`
	}
	if json.Unmarshal([]byte(values[config.Project+":consumers"]), &consumers) == nil {
		for _, consumer := range consumers {
			if consumer.Stack != "" {
				names = append(names, consumer.Stack)
			}
		}
	}
	return names
}
