package peering

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/offline"
)

// TestRequest: the consumer stack's half registers the request in the
// consumer account, and the requester's DNS option and the routes only once
// the producer stack has accepted it, all on the requested connection.
func TestRequest(t *testing.T) {
	zones := []string{"us-east-1a", "us-east-1b"}
	tests := []struct {
		name     string
		accepted bool
		// options and routes are what the accepted connection adds.
		options, routes int
	}{
		{"not accepted yet: the request alone", false, 0, 0},
		{"accepted: DNS option and routes", true, 1, len(zones)},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
				request, err := NewRequest(ctx, "peering", &RequestArgs{
					VpcID:             pulumi.String(consumerVpc),
					RouteTables:       routeTables(zones...),
					ProducerAccountID: producerAccount,
					ProducerVpcID:     producerVpc,
					ProducerCIDR:      producerCIDR,
					Accepted:          test.accepted,
				}, pulumi.Provider(providers[0]))
				if err != nil {
					return err
				}
				ctx.Export("connectionId", request.ConnectionID)
				return nil
			}, "us-east-1", consumerAccount)
			require.NoError(t, err)

			byType := inAWS(result)
			assert.Equal(t, 1+test.options+test.routes, countOf(byType), "nothing else")
			assert.Empty(t, byType[accepterType], "the producer stack accepts")

			require.Len(t, byType[peeringConnectionType], 1)
			request := byType[peeringConnectionType][0]
			assert.Equal(t, "peering-request", request.Name)
			assert.Equal(t, consumerAccount, request.Account)
			assert.Equal(t, consumerVpc, request.String("vpcId"))
			assert.Equal(t, producerVpc, request.String("peerVpcId"))
			assert.Equal(t, producerAccount, request.String("peerOwnerId"))
			assert.Nil(t, request.Input("autoAccept"), "a request to another account cannot accept itself")
			assert.Nil(t, request.Input("requester"), "DNS options are refused on a pending connection")
			requireChildOf(t, result, request, "studioredshift:index:PeeringRequest")

			require.Len(t, byType[optionsType], test.options)
			if test.options > 0 {
				options := byType[optionsType][0]
				assert.Equal(t, "peering-requester-dns", options.Name)
				assert.Equal(t, consumerAccount, options.Account)
				assert.Equal(t, request.ID, options.String("vpcPeeringConnectionId"))
				assert.Equal(t, map[string]any{"allowRemoteVpcDnsResolution": true}, options.Input("requester"))
				assert.Nil(t, options.Input("accepter"), "the accepter's option is the producer account's to set")
				requireChildOf(t, result, options, "studioredshift:index:PeeringRequest")
			}

			require.Len(t, byType[routeType], test.routes)
			if test.routes > 0 {
				for _, table := range routeTables(zones...) {
					route, ok := result.Named(routeType, "peering-route-"+table.Key)
					require.True(t, ok, "route of table %s", table.Key)
					assert.Equal(t, consumerAccount, route.Account)
					assert.Equal(t, "rtb-0"+table.Key[len(table.Key)-1:]+"1b2c3d4e5f607182", route.String("routeTableId"))
					assert.Equal(t, producerCIDR, route.String("destinationCidrBlock"))
					assert.Equal(t, request.ID, route.String("vpcPeeringConnectionId"))
					assert.Contains(t, route.Dependencies, request.URN)
					requireChildOf(t, result, route, "studioredshift:index:PeeringRequest")
				}
			}

			assert.Equal(t, request.ID, result.Outputs["connectionId"], "the connection for the producer stack to accept")
		})
	}
}

// TestAcceptance: the producer stack's half accepts the consumer's request
// in the producer account and sets the accepter's DNS option; Accepted is
// what the accepter reports, true for an active connection only.
func TestAcceptance(t *testing.T) {
	const connection = "pcx-0f1e2d3c4b5a69788"
	// EC2's VpcPeeringConnectionStateReason codes an accepter may report.
	tests := []struct {
		status   string
		accepted bool
	}{
		{"active", true},
		{"pending-acceptance", false},
		{"expired", false},
		{"rejected", false},
		{"failed", false},
	}
	for _, test := range tests {
		t.Run(test.status, func(t *testing.T) {
			result, err := offline.Run(func(ctx *pulumi.Context) error {
				provider, err := aws.NewProvider(ctx, "account-"+producerAccount, &aws.ProviderArgs{
					Region:            pulumi.String("us-east-1"),
					AllowedAccountIds: pulumi.StringArray{pulumi.String(producerAccount)},
				})
				if err != nil {
					return err
				}
				acceptance, err := NewAcceptance(ctx, "peering-team-a", &AcceptanceArgs{ConnectionID: connection}, pulumi.Provider(provider))
				if err != nil {
					return err
				}
				ctx.Export("connectionId", acceptance.ConnectionID)
				ctx.Export("accepted", acceptance.Accepted)
				return nil
			}, "component", "test", nil, offline.WithPeeringAcceptStatus(test.status))
			require.NoError(t, err)

			byType := inAWS(result)
			assert.Equal(t, 2, countOf(byType), "the accepter and its DNS option, nothing else")
			assert.Empty(t, byType[peeringConnectionType], "the consumer stack requests")
			assert.Empty(t, byType[routeType], "the producer component routes")

			require.Len(t, byType[accepterType], 1)
			accepter := byType[accepterType][0]
			assert.Equal(t, "peering-team-a-accept", accepter.Name)
			assert.Equal(t, producerAccount, accepter.Account)
			assert.Equal(t, connection, accepter.String("vpcPeeringConnectionId"))
			assert.Equal(t, true, accepter.Input("autoAccept"))
			requireChildOf(t, result, accepter, "studioredshift:index:PeeringAcceptance")

			require.Len(t, byType[optionsType], 1)
			options := byType[optionsType][0]
			assert.Equal(t, "peering-team-a-accepter-dns", options.Name)
			assert.Equal(t, producerAccount, options.Account)
			assert.Equal(t, connection, options.String("vpcPeeringConnectionId"))
			assert.Equal(t, map[string]any{"allowRemoteVpcDnsResolution": true}, options.Input("accepter"))
			assert.Nil(t, options.Input("requester"), "the requester's option is the consumer account's to set")
			assert.Contains(t, options.Dependencies, accepter.URN, "options only on an accepted connection")
			requireChildOf(t, result, options, "studioredshift:index:PeeringAcceptance")

			assert.Equal(t, connection, result.Outputs["connectionId"])
			assert.Equal(t, test.accepted, result.Outputs["accepted"],
				"accepted is the status AWS reports, not the accepter's registration")
		})
	}
}
