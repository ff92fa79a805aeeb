package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const platformStack = "acme/studio-redshift/dev"

// platformOutputs are the outputs of the studio-redshift program's dev
// stack, as `pulumi stack output --json` prints them. The platform's own
// tests fail when this copy drifts from what the program exports.
func platformOutputs(t *testing.T) map[string]any {
	t.Helper()
	text, err := os.ReadFile("testdata/platform-outputs.json")
	require.NoError(t, err)
	var outputs map[string]any
	require.NoError(t, json.Unmarshal(text, &outputs))
	return outputs
}

// exampleConfig is Pulumi.example.yaml's configuration, as the CLI passes it.
func exampleConfig(t *testing.T) map[string]string {
	t.Helper()
	text, err := os.ReadFile("Pulumi.example.yaml")
	require.NoError(t, err)
	var stack struct{ Config map[string]any }
	require.NoError(t, yaml.Unmarshal(text, &stack))
	values := map[string]string{}
	for key, value := range stack.Config {
		if text, ok := value.(string); ok {
			values[key] = text
		}
	}
	return values
}

// registered is one resource the mocks saw.
type registered struct {
	typ, name, provider string
	inputs              resource.PropertyMap
}

// mocks answer the engine: a StackReference to the platform stack sees its
// outputs, every other resource gets its name as ID and its inputs as
// outputs. No provider function is expected.
type mocks struct {
	outputs map[string]any
	mu      sync.Mutex
	seen    []registered
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.TypeToken == "pulumi:pulumi:StackReference" {
		outputs := map[string]any{}
		if args.Inputs["name"].StringValue() == platformStack {
			outputs = m.outputs
		}
		return args.Name, resource.NewPropertyMapFromMap(map[string]any{
			"name": platformStack, "outputs": outputs, "secretOutputNames": []any{},
		}), nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	provider := "" // the provider resource itself has none
	if args.Provider != "" {
		provider = args.Provider[strings.LastIndex(args.Provider, "::")+len("::"):]
	}
	m.seen = append(m.seen, registered{typ: args.TypeToken, name: args.Name, provider: provider, inputs: args.Inputs})
	return args.Name, args.Inputs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("unexpected invoke %s", args.Token)
}

func (m *mocks) named(typ, name string) (registered, bool) {
	for _, r := range m.seen {
		if r.typ == typ && r.name == name {
			return r, true
		}
	}
	return registered{}, false
}

// runExample runs the program under the mocks and returns what it
// registered, its redshiftAccess output (as JSON decodes it) and its error.
func runExample(t *testing.T, config map[string]string, outputs map[string]any) (*mocks, any, error) {
	t.Helper()
	m := &mocks{outputs: outputs}
	exported := make(chan any, 1)
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if err := run(ctx); err != nil {
			return err
		}
		pulumi.ToOutput(ctx.GetCurrentExportMap()["redshiftAccess"]).ApplyT(func(value any) any {
			exported <- value
			return nil
		})
		return nil
	}, pulumi.WithMocks("consumer-stack", "example", m), func(info *pulumi.RunInfo) { info.Config = config })
	if err != nil {
		return m, nil, err
	}
	select {
	case value := <-exported:
		text, err := json.Marshal(value)
		require.NoError(t, err)
		var access any
		require.NoError(t, json.Unmarshal(text, &access))
		return m, access, nil
	case <-time.After(10 * time.Second):
		t.Fatal("the redshiftAccess output did not resolve")
		return m, nil, nil
	}
}

func TestConsumerStackUsesThePlatformOutputs(t *testing.T) {
	outputs := platformOutputs(t)
	m, access, err := runExample(t, exampleConfig(t), outputs)
	require.NoError(t, err)

	provider, ok := m.named("pulumi:providers:aws", "ml-account")
	require.True(t, ok)
	assert.Equal(t, []any{outputs["consumerAccountId"]}, provider.inputs["allowedAccountIds"].Mappable(), "pinned to the ML account the platform names")
	assert.Equal(t, outputs["region"], provider.inputs["region"].Mappable())

	route, ok := m.named("aws:ec2/route:Route", "to-redshift")
	require.True(t, ok)
	assert.Equal(t, outputs["peeringConnectionId"], route.inputs["vpcPeeringConnectionId"].Mappable())
	assert.Equal(t, outputs["producerVpcCidr"], route.inputs["destinationCidrBlock"].Mappable(), "the platform's producer CIDR, not a copy")
	assert.Equal(t, "rtb-0d4e5f60718293a4b", route.inputs["routeTableId"].Mappable())
	assert.Equal(t, "ml-account", route.provider)

	assert.Equal(t, map[string]any{
		"region":          outputs["region"],
		"producerRoleArn": outputs["producerRoleArn"],
		"redshift":        outputs["redshift"],
	}, access)

	var types []string
	for _, r := range m.seen {
		types = append(types, r.typ)
	}
	assert.ElementsMatch(t, []string{"pulumi:providers:aws", "aws:ec2/route:Route"}, types,
		"nothing that would need a domain of its own, such as a lifecycle configuration")
}

func TestConsumerStackRequiresItsOutputs(t *testing.T) {
	for _, name := range []string{"producerVpcCidr", "peeringConnectionId", "producerRoleArn"} {
		outputs := platformOutputs(t)
		delete(outputs, name)
		_, _, err := runExample(t, exampleConfig(t), outputs)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), fmt.Sprintf("stack %s has no output %q", platformStack, name))
	}
}

func TestConsumerStackRequiresItsConfig(t *testing.T) {
	values := exampleConfig(t)
	delete(values, "consumer-stack:routeTableId")
	m, _, err := runExample(t, values, platformOutputs(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumer-stack:routeTableId is required")
	assert.Empty(t, m.seen)
}
