// Package stackconfig reads a stack's configuration from Pulumi.yaml and
// Pulumi.<stack>.yaml the way the Pulumi CLI hands it to a program: every key
// namespaced ("studio-redshift:region"), scalars as their text, objects and
// lists as JSON. Tests and offline tools run the program under mocks with it.
package stackconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"gopkg.in/yaml.v3"
)

// SecretError reports a secure: value, which cannot be decrypted without the
// stack's secrets provider.
type SecretError struct {
	File string
	// Key is the full key, or the path to a secret nested in a structured
	// value ("studio-redshift:producer.redshift.password"): a setting of that
	// path stands in for it.
	Key string
}

func (e *SecretError) Error() string {
	return fmt.Sprintf("%s: %s is a secret (secure:) and cannot be decrypted offline", e.File, e.Key)
}

// UnknownStackError reports a stack with no Pulumi.<stack>.yaml.
type UnknownStackError struct {
	Stack string
	// Known are the stacks that do have a file, sorted.
	Known []string
}

func (e *UnknownStackError) Error() string {
	known := "none"
	if len(e.Known) > 0 {
		known = strings.Join(e.Known, ", ")
	}
	return fmt.Sprintf("unknown stack %q: there is no Pulumi.%s.yaml (stacks here: %s)", e.Stack, e.Stack, known)
}

// Stacks lists the stacks that have a Pulumi.<stack>.yaml in dir.
func Stacks(dir string) []string {
	paths, _ := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	var stacks []string
	for _, path := range paths {
		stacks = append(stacks, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "Pulumi."), ".yaml"))
	}
	sort.Strings(stacks)
	return stacks
}

// Setting is one value set on top of the stack file, the way
// `pulumi config set --path` sets it.
type Setting struct {
	// Path is a config key or a path into one, as the CLI takes it with
	// --path: "region", "consumer.studio.userProfiles[0]",
	// "pulumi:disable-default-providers[0]". Without a namespace it is the
	// project's.
	Path string
	// Value is the text given. Below the top level, "true" and "false"
	// become booleans and integers numbers, as with --path, unless String.
	Value string
	// String keeps the value a string, as `--type string` does.
	String bool
}

// stackFileKeys are the top-level keys of a Pulumi.<stack>.yaml.
var stackFileKeys = []string{"config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"}

// Load returns the configuration of the named stack in dir: project defaults
// from Pulumi.yaml, overridden by Pulumi.<stack>.yaml, changed by settings,
// in order. A setting also stands in for a secure: value, which cannot be
// decrypted offline.
func Load(dir, stack string, settings []Setting) (map[string]string, error) {
	// A fully qualified stack (org/project/stack) keeps its file under the last part.
	stack = stack[strings.LastIndex(stack, "/")+1:]
	project, err := readYAML(filepath.Join(dir, "Pulumi.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no Pulumi.yaml in %s: not a Pulumi project directory", dir)
	}
	if err != nil {
		return nil, err
	}
	var projectFile struct {
		Name   string               `yaml:"name"`
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := project.Decode(&projectFile); err != nil {
		return nil, fmt.Errorf("project file Pulumi.yaml: %w", err)
	}
	if projectFile.Name == "" {
		return nil, errors.New("project file Pulumi.yaml has no name")
	}

	values := config.Map{}
	for key, node := range projectFile.Config {
		full := key
		if !strings.Contains(key, ":") {
			full = projectFile.Name + ":" + key
		}
		value, ok, err := projectDefault(&node)
		if err != nil {
			return nil, fmt.Errorf("project file Pulumi.yaml, config %s: %w", key, err)
		}
		if ok {
			parsed, err := config.ParseKey(full)
			if err != nil {
				return nil, fmt.Errorf("project file Pulumi.yaml: %w", err)
			}
			values[parsed] = value
		}
	}

	stackPath := filepath.Join(dir, "Pulumi."+stack+".yaml")
	stackFile := filepath.Base(stackPath)
	stackDoc, err := readYAML(stackPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &UnknownStackError{Stack: stack, Known: Stacks(dir)}
	}
	if err != nil {
		return nil, err
	}
	var topLevel map[string]yaml.Node
	if err := stackDoc.Decode(&topLevel); err != nil {
		return nil, fmt.Errorf("%s: %w", stackFile, err)
	}
	for _, key := range slices.Sorted(maps.Keys(topLevel)) {
		if !slices.Contains(stackFileKeys, key) {
			return nil, fmt.Errorf("%s: unknown top-level key %q%s; a stack file holds %s", stackFile, key, didYouMean(key, stackFileKeys), strings.Join(stackFileKeys, ", "))
		}
	}
	if node, ok := topLevel["config"]; ok {
		var keys map[string]yaml.Node
		if err := node.Decode(&keys); err != nil {
			return nil, fmt.Errorf("%s: config: %w", stackFile, err)
		}
		for _, key := range slices.Sorted(maps.Keys(keys)) {
			if !strings.Contains(key, ":") {
				return nil, fmt.Errorf("%s: config key %q has no namespace; write %s:%s", stackFile, key, projectFile.Name, key)
			}
		}
		var stackValues config.Map
		if err := node.Decode(&stackValues); err != nil {
			return nil, fmt.Errorf("%s: %w", stackFile, err)
		}
		maps.Copy(values, stackValues)
	}

	for _, setting := range settings {
		if err := set(values, projectFile.Name, setting); err != nil {
			return nil, err
		}
	}

	out := map[string]string{}
	keys := slices.SortedFunc(maps.Keys(values), func(a, b config.Key) int { return strings.Compare(a.String(), b.String()) })
	for _, key := range keys {
		value := values[key]
		if path := securePath(key, value); path != "" {
			return nil, &SecretError{File: stackFile, Key: path}
		}
		text, err := value.Value(config.NopDecrypter)
		if err != nil {
			return nil, fmt.Errorf("%s: config %s: %w", stackFile, key, err)
		}
		out[key.String()] = text
	}
	return out, nil
}

// set applies one setting as `pulumi config set --path` would.
func set(values config.Map, project string, setting Setting) error {
	path := setting.Path
	if namespace, _, found := strings.Cut(path, ":"); !found || strings.ContainsAny(namespace, ".[") {
		path = project + ":" + path
	}
	key, err := config.ParseKey(path)
	if err != nil {
		return fmt.Errorf("-set %s: %w", setting.Path, err)
	}
	value := config.NewValue(setting.Value)
	if setting.String {
		value = config.NewTypedValue(setting.Value, config.TypeString)
	}
	if err := values.Set(key, value, true); err != nil {
		return fmt.Errorf("-set %s: %w", setting.Path, err)
	}
	return nil
}

// securePath names the first secure: value in a config value, by its key and
// path ("studio-redshift:producer.redshift.password"), or returns "".
func securePath(key config.Key, value config.Value) string {
	if !value.Object() {
		if value.Secure() {
			return key.String()
		}
		return ""
	}
	tree, err := value.ToObject()
	if err != nil {
		return ""
	}
	return findSecure(key.String(), tree)
}

func findSecure(path string, value any) string {
	switch v := value.(type) {
	case map[string]any:
		if _, ok := v["secure"]; ok && len(v) == 1 {
			return path
		}
		for _, name := range slices.Sorted(maps.Keys(v)) {
			if found := findSecure(path+"."+name, v[name]); found != "" {
				return found
			}
		}
	case []any:
		for i, item := range v {
			if found := findSecure(fmt.Sprintf("%s[%d]", path, i), item); found != "" {
				return found
			}
		}
	}
	return ""
}

func didYouMean(key string, known []string) string {
	for _, name := range known {
		if len(key) > 2 && (strings.Contains(name, key) || strings.HasPrefix(name, key[:len(key)-1]) || strings.EqualFold(name, key)) {
			return fmt.Sprintf(" (did you mean %q?)", name)
		}
	}
	return ""
}

func readYAML(path string) (*yaml.Node, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // keeps os.ErrNotExist visible to errors.Is
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: file is empty", filepath.Base(path))
	}
	return doc.Content[0], nil
}

// projectDefault reads a Pulumi.yaml config entry: a plain value, a
// {value: ...} entry, or a schema declaration whose default (if any) applies.
func projectDefault(node *yaml.Node) (config.Value, bool, error) {
	if node.Kind != yaml.MappingNode {
		value, err := render(node)
		return value, err == nil, err
	}
	for _, field := range []string{"value", "default"} {
		if child := mappingValue(node, field); child != nil {
			value, err := render(child)
			return value, err == nil, err
		}
	}
	if mappingValue(node, "type") != nil {
		return config.Value{}, false, nil // declared without a default: the stack must set it
	}
	return config.Value{}, false, errors.New("a structured value in Pulumi.yaml must be written as {value: ...}")
}

func mappingValue(node *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1]
		}
	}
	return nil
}

// render turns a YAML value into a config value: a scalar's text, or an
// object or list as JSON.
func render(node *yaml.Node) (config.Value, error) {
	if node.Kind == yaml.ScalarNode {
		return config.NewValue(node.Value), nil
	}
	var value any
	if err := node.Decode(&value); err != nil {
		return config.Value{}, err
	}
	text, err := json.Marshal(value)
	return config.NewObjectValue(string(text)), err
}
