// Package peering connects the consumer and producer VPCs: the request from
// the consumer account, its acceptance in the producer account, DNS options on
// each side and the consumer's routes to the producer VPC.
package peering

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/network"
)

// Peering is the VPC peering connection between the two accounts.
type Peering struct {
	pulumi.ResourceState

	// ConnectionID is the peering connection, known once it is accepted, so
	// that routes built on it never point at a pending connection.
	ConnectionID pulumi.StringOutput `pulumi:"connectionId"`
}

// PeeringArgs are the inputs of NewPeering. The component spans two accounts,
// so it takes both providers here rather than through pulumi.Provider.
type PeeringArgs struct {
	// ConsumerProvider requests the connection and routes the consumer side. Required.
	ConsumerProvider *aws.Provider
	// ProducerProvider accepts it. Required; may be for the same account.
	ProducerProvider *aws.Provider
	// ConsumerVpcID is the requester VPC. Required.
	ConsumerVpcID pulumi.StringInput
	// ConsumerRouteTables get a route to ProducerCIDR. Required.
	ConsumerRouteTables []network.Ref
	// ProducerAccountID and ProducerVpcID name the accepter. Required.
	ProducerAccountID string
	ProducerVpcID     pulumi.StringInput
	// ProducerCIDR is the producer VPC's block. Required.
	ProducerCIDR string
}

// NewPeering registers the peering connection and the consumer's routes.
func NewPeering(ctx *pulumi.Context, name string, args *PeeringArgs, opts ...pulumi.ResourceOption) (*Peering, error) {
	comp := &Peering{}
	if err := ctx.RegisterComponentResource("studioredshift:index:Peering", name, comp, opts...); err != nil {
		return nil, err
	}
	asConsumer := []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Provider(args.ConsumerProvider)}
	asProducer := []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Provider(args.ProducerProvider)}

	// DNS options are never set inline here: AWS accepts them only on an
	// active connection, and each account only for its own side.
	request, err := ec2.NewVpcPeeringConnection(ctx, name+"-request", &ec2.VpcPeeringConnectionArgs{
		VpcId:       args.ConsumerVpcID,
		PeerVpcId:   args.ProducerVpcID,
		PeerOwnerId: pulumi.String(args.ProducerAccountID),
		Tags:        pulumi.StringMap{"Name": pulumi.String(name)},
	}, asConsumer...)
	if err != nil {
		return nil, fmt.Errorf("peering request: %w", err)
	}
	accepter, err := ec2.NewVpcPeeringConnectionAccepter(ctx, name+"-accept", &ec2.VpcPeeringConnectionAccepterArgs{
		VpcPeeringConnectionId: request.ID(),
		AutoAccept:             pulumi.Bool(true),
		Tags:                   pulumi.StringMap{"Name": pulumi.String(name)},
	}, asProducer...)
	if err != nil {
		return nil, fmt.Errorf("peering acceptance: %w", err)
	}
	// The accepter's ID is the connection's, resolved after acceptance.
	connectionID := accepter.ID().ToStringOutput()

	// Each side resolves the other's private DNS names (the Redshift
	// endpoint, the Studio hosts) to private addresses.
	if err := requesterDNS(ctx, name, connectionID, asConsumer...); err != nil {
		return nil, err
	}
	if err := accepterDNS(ctx, name, connectionID, asProducer...); err != nil {
		return nil, err
	}

	if err := network.PeeringRoutes(ctx, name, "consumer", args.ConsumerRouteTables, args.ProducerCIDR, connectionID, asConsumer...); err != nil {
		return nil, err
	}

	comp.ConnectionID = connectionID
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"connectionId": connectionID,
	})
}

// requesterDNS and accepterDNS let each side resolve the other's private DNS
// names (the Redshift endpoint, the Studio hosts) to private addresses. AWS
// accepts them only on an active connection, and from each account only for
// its own side.
func requesterDNS(ctx *pulumi.Context, name string, connectionID pulumi.StringInput, opts ...pulumi.ResourceOption) error {
	if _, err := ec2.NewPeeringConnectionOptions(ctx, name+"-requester-dns", &ec2.PeeringConnectionOptionsArgs{
		VpcPeeringConnectionId: connectionID,
		Requester:              &ec2.PeeringConnectionOptionsRequesterArgs{AllowRemoteVpcDnsResolution: pulumi.Bool(true)},
	}, opts...); err != nil {
		return fmt.Errorf("requester DNS options: %w", err)
	}
	return nil
}

func accepterDNS(ctx *pulumi.Context, name string, connectionID pulumi.StringInput, opts ...pulumi.ResourceOption) error {
	if _, err := ec2.NewPeeringConnectionOptions(ctx, name+"-accepter-dns", &ec2.PeeringConnectionOptionsArgs{
		VpcPeeringConnectionId: connectionID,
		Accepter:               &ec2.PeeringConnectionOptionsAccepterArgs{AllowRemoteVpcDnsResolution: pulumi.Bool(true)},
	}, opts...); err != nil {
		return fmt.Errorf("accepter DNS options: %w", err)
	}
	return nil
}
