package consumer

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// TestRoleChain: given the execution role and the producer role, the
// component registers one inline policy on the execution role, in the
// consumer account, allowing AssumeRole and SetSourceIdentity on the producer
// role alone.
func TestRoleChain(t *testing.T) {
	const producerRole = "arn:aws:iam::111111111111:role/analytics-us-east-1-ml-team-a-studio-users"
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		_, err := NewRoleChain(ctx, "role-chain", &RoleChainArgs{
			ExecutionRoleName: pulumi.String("consumer-execution-role-675e1f5"),
			ProducerRoleArn:   pulumi.String(producerRole),
		}, pulumi.Provider(providers[0]))
		return err
	}, "us-east-1", "222222222222")
	require.NoError(t, err)

	policies := result.OfType("aws:iam/rolePolicy:RolePolicy")
	require.Len(t, policies, 1, "one inline policy, and nothing else of AWS")
	assume := policies[0]
	assert.Equal(t, "role-chain-assume-producer-role", assume.Name)
	assert.Equal(t, "222222222222", assume.Account, "the execution role's account")
	assert.Equal(t, "consumer-execution-role-675e1f5", assume.String("role"))
	parent, ok := result.ByURN(assume.Parent)
	require.True(t, ok)
	assert.Equal(t, "studioredshift:index:RoleChain", parent.Type, "a child of the component")

	var document policy.Document
	require.NoError(t, json.Unmarshal([]byte(assume.String("policy")), &document))
	require.Len(t, document.Statement, 1)
	statement := document.Statement[0]
	assert.Equal(t, policy.Allow, statement.Effect)
	assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:SetSourceIdentity"}, statement.Action,
		"a session carrying a SourceIdentity chains only with SetSourceIdentity allowed too")
	assert.Equal(t, []string{producerRole}, statement.Resource, "the producer role, and no other")
	assert.Empty(t, statement.Condition)
}
