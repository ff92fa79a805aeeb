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
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// SecretError reports a secure: value, which cannot be decrypted without the
// stack's secrets provider.
type SecretError struct {
	File string
	Key  string
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

// Load returns the configuration of the named stack in dir: project defaults
// from Pulumi.yaml, overridden by Pulumi.<stack>.yaml, overridden by
// overrides (full keys, values as the CLI would pass them). An override also
// stands in for a secure: value, which cannot be decrypted offline.
func Load(dir, stack string, overrides map[string]string) (map[string]string, error) {
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

	values := map[string]string{}
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
			values[full] = value
		}
	}

	stackPath := filepath.Join(dir, "Pulumi."+stack+".yaml")
	stackDoc, err := readYAML(stackPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &UnknownStackError{Stack: stack, Known: Stacks(dir)}
	}
	if err != nil {
		return nil, err
	}
	var stackFile struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := stackDoc.Decode(&stackFile); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(stackPath), err)
	}
	for key, node := range stackFile.Config {
		if !strings.Contains(key, ":") {
			return nil, fmt.Errorf("%s: config key %q has no namespace; write %s:%s", filepath.Base(stackPath), key, projectFile.Name, key)
		}
		if _, overridden := overrides[key]; overridden {
			continue
		}
		if isSecure(&node) {
			return nil, &SecretError{File: filepath.Base(stackPath), Key: key}
		}
		value, err := render(&node)
		if err != nil {
			return nil, fmt.Errorf("%s: config %s: %w", filepath.Base(stackPath), key, err)
		}
		values[key] = value
	}
	maps.Copy(values, overrides)
	return values, nil
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
func projectDefault(node *yaml.Node) (string, bool, error) {
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
		return "", false, nil // declared without a default: the stack must set it
	}
	return "", false, errors.New("a structured value in Pulumi.yaml must be written as {value: ...}")
}

func mappingValue(node *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value == key {
			return node.Content[i+1]
		}
	}
	return nil
}

func isSecure(node *yaml.Node) bool {
	return node.Kind == yaml.MappingNode && len(node.Content) == 2 && node.Content[0].Value == "secure"
}

// render turns a YAML value into what the CLI passes: a scalar's text, or the
// JSON of an object or list.
func render(node *yaml.Node) (string, error) {
	if node.Kind == yaml.ScalarNode {
		return node.Value, nil
	}
	var value any
	if err := node.Decode(&value); err != nil {
		return "", err
	}
	if containsSecure(value) {
		return "", errors.New("a nested secure: value cannot be decrypted offline")
	}
	text, err := json.Marshal(value)
	return string(text), err
}

func containsSecure(value any) bool {
	switch v := value.(type) {
	case map[string]any:
		if _, ok := v["secure"]; ok && len(v) == 1 {
			return true
		}
		for _, item := range v {
			if containsSecure(item) {
				return true
			}
		}
	case []any:
		for _, item := range v {
			if containsSecure(item) {
				return true
			}
		}
	}
	return false
}
