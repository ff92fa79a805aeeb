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
		{"nested secret value", "config:\n  demo:producer:\n    tokens:\n      - secure: AAAB\n", "demo:producer.tokens[0] is a secret (secure:)"},
		{"misspelt config section", "confg:\n  demo:region: us-east-1\n", `unknown top-level key "confg" (did you mean "config"?)`},
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

	values, err := Load(dir, "org/demo/dev", []Setting{{Path: "demo:password", Value: "stand-in"}})
	require.NoError(t, err, "an override stands in for a secret; a qualified stack name finds its file")
	assert.Equal(t, "stand-in", values["demo:password"])

	_, err = Load(t.TempDir(), "dev", nil)
	assert.ErrorContains(t, err, "no Pulumi.yaml")
}

func TestSettingsAsTheCLISetsThem(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "Pulumi.yaml", project)
	write(t, dir, "Pulumi.dev.yaml", `config:
  demo:region: us-east-1
  demo:consumer:
    accountId: "222222222222"
    studio:
      domainName: analytics
      userProfiles: [alice, bob]
  demo:producer:
    token:
      secure: AAABAGx0
`)
	values, err := Load(dir, "dev", []Setting{
		{Path: "consumer.studio.domainName", Value: "research"},
		{Path: "consumer.studio.userProfiles[0]", Value: "eve"},
		{Path: "consumer.studio.userProfiles[2]", Value: "carol"},
		{Path: "consumer.vpc.natGateway", Value: "true"},
		{Path: "consumer.vpc.subnetCount", Value: "3"},
		{Path: "consumer.accountId", Value: "333333333333", String: true},
		{Path: "demo:producer.token", Value: "stand-in"},
		{Path: "producer.accountId", Value: "111111111111"},
		{Path: "region", Value: "123"},
		{Path: "pulumi:disable-default-providers[0]", Value: "aws"},
	})
	require.NoError(t, err)

	var consumer, producer map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["demo:consumer"]), &consumer))
	require.NoError(t, json.Unmarshal([]byte(values["demo:producer"]), &producer))
	studio := consumer["studio"].(map[string]any)
	assert.Equal(t, "research", studio["domainName"], "a nested path changes the value")
	assert.Equal(t, []any{"eve", "bob", "carol"}, studio["userProfiles"], "list items by index, and one past the end appends")
	assert.Equal(t, map[string]any{"natGateway": true, "subnetCount": 3.0}, consumer["vpc"], "true and integers are typed below the top level")
	assert.Equal(t, "333333333333", consumer["accountId"], "String keeps digits a string, as --type string")
	assert.Equal(t, "stand-in", producer["token"], "a path stands in for a nested secret")
	assert.Equal(t, 111111111111.0, producer["accountId"], "digits become a number, as with pulumi config set --path")
	assert.Equal(t, "123", values["demo:region"], "top-level values stay strings")
	assert.JSONEq(t, `["aws"]`, values["pulumi:disable-default-providers"])

	for _, bad := range []Setting{
		{Path: "consumer.studio.userProfiles[5]", Value: "x"},
		{Path: "consumer.studio[0]", Value: "x"},
		{Path: `consumer.studio["domainName"`, Value: "x"},
	} {
		_, err := Load(dir, "dev", []Setting{bad, {Path: "demo:producer.token", Value: "stand-in"}})
		require.Error(t, err, bad.Path)
		assert.Contains(t, err.Error(), "-set "+bad.Path+":", "the error names the path")
	}
}

// TestUnknownStackNamesTheStacksThere proves the error from a project
// directory the test makes itself, so that a stack file a user adds next to
// the examples (Pulumi.prod.yaml) changes nothing here.
func TestUnknownStackNamesTheStacksThere(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "Pulumi.yaml", project)
	for _, stack := range []string{"dev", "prod", "team-a"} {
		write(t, dir, "Pulumi."+stack+".yaml", "config: {}\n")
	}
	_, err := Load(dir, "staging", nil)
	assert.EqualError(t, err, `unknown stack "staging": there is no Pulumi.staging.yaml (stacks here: dev, prod, team-a)`)
}
