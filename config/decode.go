package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// decodeStrict decodes the JSON text of one top-level key into target. Before
// it does, it walks the text against the target's type and reports, each by
// its full path with list indices, every key the target does not know (a typo
// such as accountID must not be silently ignored) and every value of the
// wrong type. Every path present in the text is recorded in given, so that an
// explicit 0 is told apart from an absent key.
func decodeStrict(p *problems, given map[string]bool, key, text string, target any) {
	t := reflect.TypeOf(target).Elem()
	var generic any
	if err := json.Unmarshal([]byte(text), &generic); err != nil {
		p.add(key, "is not valid structured config (%v)%s", err, shapeHint(key, t))
		return
	}
	before := len(*p)
	checkShape(p, given, key, generic, t)
	if len(*p) > before {
		return
	}
	if err := json.Unmarshal([]byte(text), target); err != nil {
		p.add(key, "%v", err) // the shape check above leaves nothing for this to find
	}
}

// checkShape compares a decoded JSON value with the Go type it must fill.
func checkShape(p *problems, given map[string]bool, path string, value any, t reflect.Type) {
	if value == nil {
		return // an empty YAML value (key: ~) is an absent one
	}
	given[path] = true
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	wrong := func() { p.add(path, "expected %s, got %s%s", describe(t), describeValue(value), shapeHint(path, t)) }
	switch t.Kind() {
	case reflect.Struct:
		object, ok := value.(map[string]any)
		if !ok {
			wrong()
			return
		}
		fields := jsonFields(t)
		for _, key := range slices.Sorted(maps.Keys(object)) {
			fieldType, known := fields[key]
			if !known {
				p.add(path+"."+key, "unknown key; %s", suggest(key, slices.Collect(maps.Keys(fields))))
				continue
			}
			checkShape(p, given, path+"."+key, object[key], fieldType)
		}
	case reflect.Slice:
		list, ok := value.([]any)
		if !ok {
			wrong()
			return
		}
		for i, item := range list {
			checkShape(p, given, fmt.Sprintf("%s[%d]", path, i), item, t.Elem())
		}
	case reflect.Map:
		object, ok := value.(map[string]any)
		if !ok {
			wrong()
			return
		}
		for _, key := range slices.Sorted(maps.Keys(object)) {
			checkShape(p, given, path+"."+key, object[key], t.Elem())
		}
	case reflect.String:
		if _, ok := value.(string); !ok {
			wrong()
		}
	case reflect.Int:
		if n, ok := value.(float64); !ok || n != math.Trunc(n) || math.Abs(n) > math.MaxInt32 {
			wrong()
		}
	case reflect.Bool:
		if _, ok := value.(bool); !ok {
			wrong()
		}
	}
}

// jsonFields maps the JSON names of a struct's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		field := t.Field(i)
		if field.Anonymous && field.Tag.Get("json") == "" {
			maps.Copy(fields, jsonFields(field.Type)) // embedded: its keys sit at this level
			continue
		}
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = field.Type
		}
	}
	return fields
}

// suggest names the intended key when the typo is small (a case or one or
// two letters off), else lists the keys that are allowed at this level.
func suggest(key string, known []string) string {
	slices.Sort(known)
	for _, name := range known {
		if distance(strings.ToLower(name), strings.ToLower(key)) <= 2 {
			return fmt.Sprintf("did you mean %q?", name)
		}
	}
	return "allowed here: " + strings.Join(known, ", ")
}

// distance is the Levenshtein edit distance between two strings.
func distance(a, b string) int {
	previous := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current := make([]int, len(b)+1)
		current[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			current[j] = min(previous[j]+1, current[j-1]+1, previous[j-1]+cost)
		}
		previous = current
	}
	return previous[len(b)]
}

func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return describe(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(describe(t.Elem()), "a "), "an ") + "s"
	case reflect.Map:
		return "a map of " + strings.TrimPrefix(describe(t.Elem()), "a ") + "s"
	default:
		return "an object"
	}
}

func describeValue(value any) string {
	switch v := value.(type) {
	case string:
		return fmt.Sprintf("a string (%q)", v)
	case float64:
		return "a number (" + strconv.FormatFloat(v, 'f', -1, 64) + ")"
	case bool:
		return fmt.Sprintf("a boolean (%t)", v)
	case []any:
		return "a list"
	default:
		return "an object"
	}
}

// shapeHint says how to write a value of type t at path, for the mistakes
// the stack file and `pulumi config set --path` make easy: YAML and --path
// turn digits into numbers (an account ID loses its meaning, and leading
// zeros), and --path or -set store a string where a list or an object belongs.
func shapeHint(path string, t reflect.Type) string {
	switch {
	case t.Kind() == reflect.String && strings.HasSuffix(path, ".accountId"):
		return fmt.Sprintf("; account IDs can start with 0, so they must be strings: quote it in YAML (\"111111111111\"), "+
			"or store it with `pulumi config set --path --type string '%s:%s' 111111111111`", Project, path)
	case t.Kind() == reflect.String:
		return "; quote it in YAML so that it stays a string (with `pulumi config set --path`, add `--type string`)"
	case t.Kind() == reflect.Slice:
		return fmt.Sprintf("; write it as a YAML list in the stack file, or set each item by path: `pulumi config set --path '%s:%s[0]' VALUE`", Project, path)
	case t.Kind() == reflect.Struct || t.Kind() == reflect.Map:
		if !strings.Contains(path, ".") && !strings.Contains(path, "[") {
			return fmt.Sprintf("; write it as a YAML object in the stack file, set its keys by path (`pulumi config set --path '%s:%s.KEY' VALUE`), "+
				"or, offline, give the whole object as JSON: -set '%s={\"KEY\": \"VALUE\"}'", Project, path, path)
		}
		return fmt.Sprintf("; write it as a YAML object in the stack file, or set its keys by path: `pulumi config set --path '%s:%s.KEY' VALUE`", Project, path)
	}
	return ""
}
