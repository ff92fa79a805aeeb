package program

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
)

// linkOf is one consumer's entry in a producer stack's consumerLinks.
func linkOf(t *testing.T, producer *offline.Result, consumer string) map[string]any {
	t.Helper()
	links, ok := producer.Outputs["consumerLinks"].(map[string]any)
	require.True(t, ok, "consumerLinks is an object")
	link, ok := links[consumer].(map[string]any)
	require.True(t, ok, "consumerLinks has %s", consumer)
	return link
}

// TestLinksReportWhatAWSReports: a producer stack says a peering is accepted
// only once the accepter reports it active, and the consumer stack routes
// only then. Two producer runs: the first while EC2 still reports the
// request pending-acceptance, the second once it is active.
func TestLinksReportWhatAWSReports(t *testing.T) {
	producerValues, consumerValues := stackConfig(t, "data-platform"), stackConfig(t, "ml-team-a")
	producerFirst := runStack(t, "data-platform", producerValues, map[string]map[string]any{"ml-team-a": {}})
	consumerFirst := runStack(t, "ml-team-a", consumerValues, map[string]map[string]any{"data-platform": producerFirst.Outputs})

	// The acceptance is registered, but EC2 has not made the peering active.
	notYet, err := offline.Run(Run, config.Project, "data-platform", producerValues,
		offline.WithStackReference("ml-team-a", consumerFirst.Outputs), offline.WithPeeringAcceptStatus("pending-acceptance"))
	require.NoError(t, err)
	require.Len(t, notYet.OfType(accepterType), 2, "both requests are being accepted")
	for _, consumer := range []string{"ml-team-a", "ml-team-b"} {
		link := linkOf(t, notYet, consumer)
		assert.Equal(t, true, link[linkTrusted], consumer)
		assert.Equal(t, false, link[linkAccepted], "%s: an accepter that is not active is not an accepted peering", consumer)
	}
	consumerWaiting := runStack(t, "ml-team-a", consumerValues, map[string]map[string]any{"data-platform": notYet.Outputs})
	assert.Empty(t, consumerWaiting.OfType(routeType), "no route through a peering that is not active")
	assert.Empty(t, consumerWaiting.OfType(optionsType), "DNS options need an active peering")
	assert.Equal(t, []any{"the peering is not accepted yet, so it has no routes: run the producer stack data-platform, then this one again"},
		consumerWaiting.Outputs["pending"])

	// Once active, the next producer run says so, and the consumer routes.
	active := runStack(t, "data-platform", producerValues, map[string]map[string]any{"ml-team-a": consumerWaiting.Outputs})
	for _, consumer := range []string{"ml-team-a", "ml-team-b"} {
		assert.Equal(t, true, linkOf(t, active, consumer)[linkAccepted], consumer)
	}
	consumerRouted := runStack(t, "ml-team-a", consumerValues, map[string]map[string]any{"data-platform": active.Outputs})
	assert.Len(t, consumerRouted.OfType(routeType), 1)
	assert.Len(t, consumerRouted.OfType(optionsType), 1)
	assert.Equal(t, []any{}, consumerRouted.Outputs["pending"])
}

// TestEndpointLinksReportTheAuthorization: endpointAuthorized comes from the
// authorization AWS reports (its grantee), per consumer; a consumer in the
// data account needs none.
func TestEndpointLinksReportTheAuthorization(t *testing.T) {
	values := managedEndpointProducer(t, []map[string]any{
		{"name": "research", "accountId": "333333333333", "executionRoleArn": "arn:aws:iam::333333333333:role/research", "vpc": map[string]any{"id": "vpc-0d4e5f60718293a4b"}},
		{"name": "in-house", "accountId": producerAccount, "executionRoleArn": "arn:aws:iam::111111111111:role/in-house", "vpc": map[string]any{"id": "vpc-0e5f60718293a4b5c"}},
	})
	result := runStack(t, "data-platform", values, nil)
	authorization := one(t, result, endpointAuthorizationType, "endpoint-333333333333-authorization")
	assert.Equal(t, "333333333333", authorization.Output("grantee"), "the mocks answer as DescribeEndpointAuthorization does")
	assert.Equal(t, producerAccount, authorization.Output("grantor"))
	assert.Equal(t, true, linkOf(t, result, "research")[linkAuthorized])
	assert.Equal(t, true, linkOf(t, result, "in-house")[linkAuthorized], "AWS authorizes only other accounts")
	assert.Equal(t, false, linkOf(t, result, "research")[linkAccepted], "no peering in this mode")
}
