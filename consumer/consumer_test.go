package consumer

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBackfilledProfilePathsNameRealInputs resolves each ignored path through
// the SDK's user profile type, one pulumi tag per dotted segment: a misspelt
// or list-typed segment would make ignoreChanges match nothing, and the
// profiles would update on every up again.
func TestBackfilledProfilePathsNameRealInputs(t *testing.T) {
	require.NotEmpty(t, BackfilledProfilePaths)
	for _, path := range BackfilledProfilePaths {
		// The plain struct behind UserProfileArgs, whose pulumi tags are
		// the property names the engine matches ignoreChanges against.
		typ := sagemaker.UserProfileArgs{}.ElementType()
		segments := strings.Split(path, ".")
		for i, segment := range segments {
			field, ok := fieldByPulumiTag(typ, segment)
			require.True(t, ok, "%s: %s has no input %q", path, typ, segment)
			typ = field.Type
			for typ.Kind() == reflect.Pointer {
				typ = typ.Elem()
			}
			if i < len(segments)-1 {
				assert.Equal(t, reflect.Struct, typ.Kind(), "%s: %q is one object, reached by a dot, not a list", path, segment)
			} else {
				assert.Equal(t, reflect.String, typ.Kind(), "%s ends at a string input", path)
			}
		}
	}
}

func fieldByPulumiTag(typ reflect.Type, tag string) (reflect.StructField, bool) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	for i := range typ.NumField() {
		if typ.Field(i).Tag.Get("pulumi") == tag {
			return typ.Field(i), true
		}
	}
	return reflect.StructField{}, false
}
