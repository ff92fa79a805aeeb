package stackconfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600))
}

const project = `name: demo
runtime: go
config:
  region:
    type: string
  protect:
    type: boolean
    default: true
  aws:skipMetadataApiCheck:
    value: true
`

func TestLoadAsTheCLIPassesIt(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "Pulumi.yaml", project)
	write(t, dir, "Pulumi.dev.yaml", `config:
  pulumi:disable-default-providers: [aws]
  demo:region: us-east-1
  demo:producer:
    accountId: "111111111111"
    redshift: {port: 5439, dbGroups: [analysts]}
`)
	values, err := Load(dir, "dev", nil)
	require.NoError(t, err)

	assert.Equal(t, "us-east-1", values["demo:region"])
	assert.Equal(t, "true", values["demo:protect"], "project defaults apply")
	assert.Equal(t, "true", values["aws:skipMetadataApiCheck"])
	assert.JSONEq(t, `["aws"]`, values["pulumi:disable-default-providers"])
	var producer map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["demo:producer"]), &producer), "structured values are JSON")
	assert.Equal(t, "111111111111", producer["accountId"])
	assert.Equal(t, map[string]any{"port": 5439.0, "dbGroups": []any{"analysts"}}, producer["redshift"])
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, stackFile, want string
	}{
		{"secret value", "config:\n  demo:password:\n    secure: AAABAGx0\n", "demo:password is a secret"},
		{"nested secret value", "config:\n  demo:producer:\n    token:\n      secure: AAAB\n", "nested secure"},
		{"key without namespace", "config:\n  region: us-east-1\n", `write demo:region`},
		{"not YAML", "config: [\n", "Pulumi.dev.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "Pulumi.yaml", project)
			write(t, dir, "Pulumi.dev.yaml", tt.stackFile)
			_, err := Load(dir, "dev", nil)
			assert.ErrorContains(t, err, tt.want)
		})
	}

	dir := t.TempDir()
	write(t, dir, "Pulumi.yaml", project)
	write(t, dir, "Pulumi.demo.yaml", "config: {}\n")
	_, err := Load(dir, "prod", nil)
	var unknown *UnknownStackError
	require.ErrorAs(t, err, &unknown)
	assert.Equal(t, []string{"demo"}, unknown.Known)
	assert.ErrorContains(t, err, `unknown stack "prod"`)

	write(t, dir, "Pulumi.dev.yaml", "config:\n  demo:password:\n    secure: AAAB\n")
	_, err = Load(dir, "dev", nil)
	var secret *SecretError
	require.ErrorAs(t, err, &secret)
	assert.Equal(t, "demo:password", secret.Key)

	values, err := Load(dir, "org/demo/dev", map[string]string{"demo:password": "stand-in"})
	require.NoError(t, err, "an override stands in for a secret; a qualified stack name finds its file")
	assert.Equal(t, "stand-in", values["demo:password"])

	_, err = Load(t.TempDir(), "dev", nil)
	assert.ErrorContains(t, err, "no Pulumi.yaml")
}
