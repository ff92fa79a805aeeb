package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyPaths lists the dotted configuration keys of a struct type, with [] for
// the elements of lists of objects ("athena.tables[].name"), as the
// reference pages write them.
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

// referencePage is where each top-level object's keys are documented: the
// configuration reference, and for the two optional features their own page.
var referencePage = map[string]string{
	"producer":     "docs/configuration.md",
	"consumer":     "docs/configuration.md",
	"athena":       "docs/athena-and-feature-store.md",
	"featureStore": "docs/athena-and-feature-store.md",
}

// TestConfigurationReferenceDocumentsEveryKey keeps the configuration
// reference honest: a key the program reads must appear on its reference page,
// backticked, by its full path.
func TestConfigurationReferenceDocumentsEveryKey(t *testing.T) {
	pages := map[string]string{}
	for _, page := range referencePage {
		text, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(page)))
		require.NoError(t, err)
		pages[page] = string(text)
	}

	documentedOn := map[string]string{"region": "docs/configuration.md", "tags": "docs/configuration.md", "protect": "docs/configuration.md"}
	for key, typ := range map[string]reflect.Type{
		"producer":     reflect.TypeOf(Producer{}),
		"consumer":     reflect.TypeOf(Consumer{}),
		"athena":       reflect.TypeOf(Athena{}),
		"featureStore": reflect.TypeOf(FeatureStore{}),
	} {
		for _, path := range keyPaths(key, typ) {
			documentedOn[path] = referencePage[key]
		}
	}
	require.Greater(t, len(documentedOn), 50)
	for path, page := range documentedOn {
		text := pages[page]
		documented := strings.Contains(text, "`"+path+"`") ||
			// Element keys of a list of {name, type} pairs are documented with the list.
			(strings.HasSuffix(path, "].name") || strings.HasSuffix(path, "].type")) && strings.Contains(text, "`"+path[:strings.LastIndex(path, ".")]+"`")
		assert.True(t, documented, "%s does not document config key %s", page, path)
	}
}
