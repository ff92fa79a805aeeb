package config

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyPaths lists the dotted configuration keys of a struct type, with [] for
// the elements of lists of objects ("athena.tables[].name"), as README.md
// writes them.
func keyPaths(prefix string, t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var paths []string
	for name, field := range jsonFields(t) {
		path := prefix + "." + name
		switch {
		case field.Kind() == reflect.Slice && field.Elem().Kind() == reflect.Struct:
			paths = append(paths, keyPaths(path+"[]", field.Elem())...)
		case field.Kind() == reflect.Struct:
			paths = append(paths, keyPaths(path, field)...)
		default:
			paths = append(paths, path)
		}
	}
	return paths
}

// TestREADMEDocumentsEveryKey keeps the configuration reference honest: a key
// the program reads must appear in README.md, backticked, by its full path.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	text := string(readme)

	var paths []string
	for key, typ := range map[string]reflect.Type{
		"producer":     reflect.TypeOf(Producer{}),
		"consumer":     reflect.TypeOf(Consumer{}),
		"athena":       reflect.TypeOf(Athena{}),
		"featureStore": reflect.TypeOf(FeatureStore{}),
	} {
		paths = append(paths, keyPaths(key, typ)...)
	}
	require.Greater(t, len(paths), 50)
	for _, path := range append(paths, "region", "tags", "protect") {
		documented := strings.Contains(text, "`"+path+"`") ||
			// Element keys of a list of {name, type} pairs are documented with the list.
			(strings.HasSuffix(path, "].name") || strings.HasSuffix(path, "].type")) && strings.Contains(text, "`"+path[:strings.LastIndex(path, ".")]+"`")
		assert.True(t, documented, "README.md does not document config key %s", path)
	}
}
