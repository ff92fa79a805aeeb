package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// decodeStrict decodes the JSON text of one top-level key into target,
// reporting every key the target does not know (a typo such as accountID must
// not be silently ignored) and every value of the wrong type, each by its full
// dotted path.
func decodeStrict(p *problems, key, text string, target any) {
	var generic any
	if err := json.Unmarshal([]byte(text), &generic); err != nil {
		p.add(key, "is not valid structured config (%v); set it as a YAML object in the stack file or with `pulumi config set --path`", err)
		return
	}
	before := len(*p)
	reportUnknownKeys(p, key, generic, reflect.TypeOf(target).Elem())
	if len(*p) > before {
		return
	}
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal([]byte(text), target); errors.As(err, &typeErr) {
		path := key
		for _, segment := range strings.Split(typeErr.Field, ".") {
			// encoding/json names embedded structs (Account) in the path;
			// their keys sit one level up in the config.
			if segment != "" && !embeddedNames[segment] {
				path += "." + segment
			}
		}
		p.add(path, "expected %s, got a %s%s", describe(typeErr.Type), typeErr.Value, quoteHint(typeErr))
	} else if err != nil {
		p.add(key, "%v", err)
	}
}

// embeddedNames are the Go names of structs embedded in the config types
// (Account).
var embeddedNames = func() map[string]bool {
	names := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			if field := t.Field(i); field.Anonymous {
				names[field.Name] = true
			}
			walk(t.Field(i).Type)
		}
	}
	walk(reflect.TypeOf(Config{}))
	return names
}()

func reportUnknownKeys(p *problems, path string, value any, t reflect.Type) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		object, ok := value.(map[string]any)
		if !ok {
			return // the typed decode reports the wrong shape
		}
		fields := jsonFields(t)
		for _, key := range slices.Sorted(maps.Keys(object)) {
			fieldType, known := fields[key]
			if !known {
				p.add(path+"."+key, "unknown key; %s", suggest(key, fields))
				continue
			}
			reportUnknownKeys(p, path+"."+key, object[key], fieldType)
		}
	case reflect.Slice:
		if list, ok := value.([]any); ok {
			for i, item := range list {
				reportUnknownKeys(p, fmt.Sprintf("%s[%d]", path, i), item, t.Elem())
			}
		}
	case reflect.Map:
		if object, ok := value.(map[string]any); ok {
			for key, item := range object {
				reportUnknownKeys(p, path+"."+key, item, t.Elem())
			}
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
func suggest(key string, fields map[string]reflect.Type) string {
	known := slices.Sorted(maps.Keys(fields))
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
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describe(t.Elem()), "a ") + "s"
	default:
		return "an object"
	}
}

// quoteHint explains the most common type mistake: an unquoted account ID,
// which YAML reads as a number.
func quoteHint(typeErr *json.UnmarshalTypeError) string {
	if typeErr.Type.Kind() == reflect.String && strings.HasPrefix(typeErr.Value, "number") {
		return `; quote it in YAML ("111111111111") so that it stays a string`
	}
	return ""
}
