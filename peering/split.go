package peering

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/network"
)

// Request is the consumer account's half of a peering between stacks that
// each hold one account's credentials: the request, and once the producer
// side has accepted it, the requester's DNS option and the routes.
type Request struct {
	pulumi.ResourceState

	// ConnectionID is the requested connection, for the producer side to
	// accept.
	ConnectionID pulumi.StringOutput `pulumi:"connectionId"`
}

// RequestArgs are the inputs of NewRequest. Create it with the consumer
// account's provider (pulumi.Provider).
type RequestArgs struct {
	// VpcID is the requester VPC; RouteTables get a route to ProducerCIDR.
	// Required.
	VpcID       pulumi.StringInput
	RouteTables []network.Ref
	// ProducerAccountID, ProducerVpcID and ProducerCIDR name the accepter.
	// Required.
	ProducerAccountID, ProducerVpcID, ProducerCIDR string
	// Accepted says the producer side has accepted the connection: DNS
	// options and routes need an active one (AWS: options only on an active
	// connection; routes to a pending one lead nowhere).
	Accepted bool
}

// NewRequest registers the request and, once accepted, the consumer's side.
func NewRequest(ctx *pulumi.Context, name string, args *RequestArgs, opts ...pulumi.ResourceOption) (*Request, error) {
	comp := &Request{}
	if err := ctx.RegisterComponentResource("studioredshift:index:PeeringRequest", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	request, err := ec2.NewVpcPeeringConnection(ctx, name+"-request", &ec2.VpcPeeringConnectionArgs{
		VpcId:       args.VpcID,
		PeerVpcId:   pulumi.String(args.ProducerVpcID),
		PeerOwnerId: pulumi.String(args.ProducerAccountID),
		Tags:        pulumi.StringMap{"Name": pulumi.String(name)},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("peering request: %w", err)
	}
	comp.ConnectionID = request.ID().ToStringOutput()
	if args.Accepted {
		if err := requesterDNS(ctx, name, comp.ConnectionID, parent); err != nil {
			return nil, err
		}
		if err := network.PeeringRoutes(ctx, name, "consumer", args.RouteTables, args.ProducerCIDR, comp.ConnectionID, parent); err != nil {
			return nil, err
		}
	}
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{"connectionId": comp.ConnectionID})
}

// Acceptance is the producer account's half: the acceptance of a consumer's
// request and the accepter's DNS option. Its routes and the cluster's
// ingress are the producer component's.
type Acceptance struct {
	pulumi.ResourceState

	// ConnectionID is the accepted connection.
	ConnectionID pulumi.StringOutput `pulumi:"connectionId"`
	// Accepted is true once AWS reports the connection active: the
	// accepter's acceptStatus, read back after the acceptance, not the mere
	// registration of the accepter (a request past its 7 days, or rejected,
	// never becomes active).
	Accepted pulumi.BoolOutput `pulumi:"accepted"`
}

// AcceptanceArgs are the inputs of NewAcceptance. Create it with the
// producer account's provider (pulumi.Provider).
type AcceptanceArgs struct {
	// ConnectionID is the consumer's request. Required.
	ConnectionID string
}

// NewAcceptance registers the acceptance and the accepter's DNS option.
func NewAcceptance(ctx *pulumi.Context, name string, args *AcceptanceArgs, opts ...pulumi.ResourceOption) (*Acceptance, error) {
	comp := &Acceptance{}
	if err := ctx.RegisterComponentResource("studioredshift:index:PeeringAcceptance", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	accepter, err := ec2.NewVpcPeeringConnectionAccepter(ctx, name+"-accept", &ec2.VpcPeeringConnectionAccepterArgs{
		VpcPeeringConnectionId: pulumi.String(args.ConnectionID),
		AutoAccept:             pulumi.Bool(true),
		Tags:                   pulumi.StringMap{"Name": pulumi.String(name)},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("peering acceptance: %w", err)
	}
	comp.ConnectionID = accepter.ID().ToStringOutput()
	// EC2 VpcPeeringConnectionStateReason codes: "active" once accepted.
	comp.Accepted = accepter.AcceptStatus.ApplyT(func(status string) bool { return status == "active" }).(pulumi.BoolOutput)
	if err := accepterDNS(ctx, name, comp.ConnectionID, parent); err != nil {
		return nil, err
	}
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{"connectionId": comp.ConnectionID, "accepted": comp.Accepted})
}
