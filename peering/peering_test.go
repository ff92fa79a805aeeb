package peering

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/network"
	"github.com/studio-redshift/studio-redshift/internal/offline"
)

const (
	producerAccount = "111111111111"
	consumerAccount = "222222222222"
	consumerVpc     = "vpc-0c1d2e3f4a5b6c7d8"
	producerVpc     = "vpc-0a1b2c3d4e5f60718"
	producerCIDR    = "10.20.0.0/16"

	peeringConnectionType = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
	accepterType          = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
	optionsType           = "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions"
	routeType             = "aws:ec2/route:Route"
)

// routeTables are the consumer's route tables as the program passes them:
// keyed by zone for a created VPC.
func routeTables(zones ...string) []network.Ref {
	refs := make([]network.Ref, len(zones))
	for i, zone := range zones {
		refs[i] = network.Ref{Key: zone, ID: pulumi.String("rtb-0" + zone[len(zone)-1:] + "1b2c3d4e5f607182")}
	}
	return refs
}

// inAWS returns the resources AWS would hold, by type.
func inAWS(result *offline.Result) map[string][]offline.Resource {
	byType := map[string][]offline.Resource{}
	for _, r := range result.Resources() {
		if r.InAWS() {
			byType[r.Type] = append(byType[r.Type], r)
		}
	}
	return byType
}

// countOf counts the resources of every type.
func countOf(byType map[string][]offline.Resource) int {
	count := 0
	for _, resources := range byType {
		count += len(resources)
	}
	return count
}

// requireChildOf asserts that r's parent is the component of type typ.
func requireChildOf(t *testing.T, result *offline.Result, r offline.Resource, typ string) {
	t.Helper()
	parent, ok := result.ByURN(r.Parent)
	require.True(t, ok, "%s has a registered parent", r.Name)
	assert.Equal(t, typ, parent.Type, "%s is a child of the component", r.Name)
}

// TestPeering: the request is the consumer's, the acceptance the
// producer's; each side sets only its own DNS option, on the accepted
// connection; every consumer route table gets one route to the producer
// VPC over the accepted connection, and the component's ConnectionID is
// that connection.
func TestPeering(t *testing.T) {
	tests := []struct {
		name  string
		zones []string
	}{
		{"no route tables", nil},
		{"one route table", []string{"us-east-1a"}},
		{"a route table per zone", []string{"us-east-1a", "us-east-1b", "us-east-1c"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
				peer, err := NewPeering(ctx, "peering", &PeeringArgs{
					ConsumerProvider:    providers[0].(*aws.Provider),
					ProducerProvider:    providers[1].(*aws.Provider),
					ConsumerVpcID:       pulumi.String(consumerVpc),
					ConsumerRouteTables: routeTables(test.zones...),
					ProducerAccountID:   producerAccount,
					ProducerVpcID:       pulumi.String(producerVpc),
					ProducerCIDR:        producerCIDR,
				})
				if err != nil {
					return err
				}
				ctx.Export("connectionId", peer.ConnectionID)
				return nil
			}, "us-east-1", consumerAccount, producerAccount)
			require.NoError(t, err)

			byType := inAWS(result)
			assert.Equal(t, 4+len(test.zones), countOf(byType), "a request, an accepter, two DNS options and the routes, nothing else")

			require.Len(t, byType[peeringConnectionType], 1)
			request := byType[peeringConnectionType][0]
			assert.Equal(t, "peering-request", request.Name)
			assert.Equal(t, consumerAccount, request.Account, "the consumer requests")
			assert.Equal(t, consumerVpc, request.String("vpcId"))
			assert.Equal(t, producerVpc, request.String("peerVpcId"))
			assert.Equal(t, producerAccount, request.String("peerOwnerId"), "the accepter VPC is the producer account's")
			assert.Nil(t, request.Input("autoAccept"), "a request to another account cannot accept itself")
			assert.Nil(t, request.Input("requester"), "DNS options are refused on a pending connection")
			assert.Nil(t, request.Input("accepter"))
			requireChildOf(t, result, request, "studioredshift:index:Peering")

			require.Len(t, byType[accepterType], 1)
			accepter := byType[accepterType][0]
			assert.Equal(t, "peering-accept", accepter.Name)
			assert.Equal(t, producerAccount, accepter.Account, "the producer accepts")
			assert.Equal(t, request.ID, accepter.String("vpcPeeringConnectionId"), "it accepts this request")
			assert.Equal(t, true, accepter.Input("autoAccept"))
			assert.Contains(t, accepter.Dependencies, request.URN)
			requireChildOf(t, result, accepter, "studioredshift:index:Peering")

			// Each account may set only its own side's options, and only on
			// an active connection: both wait for the accepter.
			require.Len(t, byType[optionsType], 2)
			for _, side := range []struct{ name, account, block, other string }{
				{"peering-requester-dns", consumerAccount, "requester", "accepter"},
				{"peering-accepter-dns", producerAccount, "accepter", "requester"},
			} {
				options, ok := result.Named(optionsType, side.name)
				require.True(t, ok, side.name)
				assert.Equal(t, side.account, options.Account, side.name)
				assert.Equal(t, request.ID, options.String("vpcPeeringConnectionId"), side.name)
				assert.Equal(t, map[string]any{"allowRemoteVpcDnsResolution": true}, options.Input(side.block), side.name)
				assert.Nil(t, options.Input(side.other), "%s sets only its own side", side.name)
				assert.Contains(t, options.Dependencies, accepter.URN, "%s waits for the acceptance", side.name)
				requireChildOf(t, result, options, "studioredshift:index:Peering")
			}

			routes := byType[routeType]
			require.Len(t, routes, len(test.zones), "one route per consumer route table")
			for _, table := range routeTables(test.zones...) {
				route, ok := result.Named(routeType, "peering-route-"+table.Key)
				require.True(t, ok, "route of table %s, named from its key", table.Key)
				assert.Equal(t, consumerAccount, route.Account, "the consumer's tables")
				assert.Equal(t, "rtb-0"+table.Key[len(table.Key)-1:]+"1b2c3d4e5f607182", route.String("routeTableId"))
				assert.Equal(t, producerCIDR, route.String("destinationCidrBlock"))
				assert.Equal(t, request.ID, route.String("vpcPeeringConnectionId"))
				assert.Contains(t, route.Dependencies, accepter.URN, "a route to a pending connection leads nowhere")
				requireChildOf(t, result, route, "studioredshift:index:Peering")
			}

			assert.Equal(t, request.ID, result.Outputs["connectionId"])
		})
	}
}
