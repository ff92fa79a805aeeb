package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/stackconfig"
	"github.com/studio-redshift/studio-redshift/program"
)

const platformStack = "acme/studio-redshift/dev"

// platformOutputs are the real outputs of the studio-redshift program over
// its dev stack: the example consumes exactly what the program exports.
func platformOutputs(t *testing.T) map[string]any {
	t.Helper()
	values, err := stackconfig.Load("../..", "dev", nil)
	require.NoError(t, err)
	result, err := offline.Run(program.Run, config.Project, "dev", values)
	require.NoError(t, err)
	return result.Outputs
}

func exampleConfig(t *testing.T) map[string]string {
	t.Helper()
	values, err := stackconfig.Load(".", "example", nil)
	require.NoError(t, err)
	return values
}

func TestConsumerStackUsesThePlatformOutputs(t *testing.T) {
	outputs := platformOutputs(t)
	result, err := offline.Run(run, "consumer-stack", "example", exampleConfig(t), offline.WithStackReference(platformStack, outputs))
	require.NoError(t, err)

	provider, ok := result.Named(offline.ProviderType, "ml-account")
	require.True(t, ok)
	assert.Equal(t, []any{outputs["consumerAccountId"]}, provider.Input("allowedAccountIds"), "pinned to the ML account the platform names")
	assert.Equal(t, outputs["region"], provider.String("region"))

	route, ok := result.Named("aws:ec2/route:Route", "to-redshift")
	require.True(t, ok)
	assert.Equal(t, outputs["peeringConnectionId"], route.String("vpcPeeringConnectionId"))
	assert.Equal(t, "10.20.0.0/16", route.String("destinationCidrBlock"))
	assert.Equal(t, "ml-account", route.Provider)

	lifecycle, ok := result.Named("aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig", "redshift-settings")
	require.True(t, ok)
	script, err := base64.StdEncoding.DecodeString(lifecycle.String("studioLifecycleConfigContent"))
	require.NoError(t, err)
	body := string(script)
	start, end := strings.Index(body, "<<'SETTINGS'\n")+len("<<'SETTINGS'\n"), strings.Index(body, "\nSETTINGS\n")
	var settings map[string]any
	require.NoError(t, json.Unmarshal([]byte(body[start:end]), &settings))
	assert.Equal(t, outputs["producerRoleArn"], settings["producerRoleArn"])
	assert.Equal(t, outputs["redshift"], settings["redshift"])
	assert.NotEmpty(t, result.Outputs["settingsLifecycleConfigArn"])
}

func TestConsumerStackRequiresItsOutputs(t *testing.T) {
	outputs := platformOutputs(t)
	delete(outputs, "producerRoleArn")
	_, err := offline.Run(run, "consumer-stack", "example", exampleConfig(t), offline.WithStackReference(platformStack, outputs))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `stack acme/studio-redshift/dev has no output "producerRoleArn"`)
}

func TestConsumerStackRequiresItsConfig(t *testing.T) {
	values := exampleConfig(t)
	delete(values, "consumer-stack:routeTableId")
	result, err := offline.Run(run, "consumer-stack", "example", values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumer-stack:routeTableId is required")
	assert.Empty(t, result.Resources())
}
