// Package producer is the data account's side: the role Studio users assume
// to fetch Redshift credentials as themselves, the routes back to the Studio
// VPC and the cluster's ingress from it.
package producer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/network"
)

// Producer is the data account's side of the system.
type Producer struct {
	pulumi.ResourceState

	// RoleArn is the role the Studio execution role assumes.
	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
	// RoleName is its name, for attaching further policies.
	RoleName pulumi.StringOutput `pulumi:"roleName"`
}

// ProducerArgs are the inputs of NewProducer. Create it with the producer
// account's provider (pulumi.Provider); every child inherits it.
type ProducerArgs struct {
	// Cluster is the Redshift cluster users query. Required.
	Cluster Cluster
	// ExecutionRoleArn is the Studio execution role, the only principal the
	// producer role trusts. Required.
	ExecutionRoleArn pulumi.StringInput
	// Peering is the data account's side of a VPC peering: routes back and
	// the cluster's ingress. Nil for the connections without a network path
	// into the producer VPC (Data API, managed endpoint).
	Peering *PeeringSide
}

// PeeringSide is what the data account adds to its own network for a
// peering with the consumer VPC.
type PeeringSide struct {
	// ClusterSecurityGroupID is the cluster's security group; it admits
	// Port from ConsumerCIDR. Required.
	ClusterSecurityGroupID pulumi.StringInput
	Port                   int
	// RouteTables get a route to ConsumerCIDR over ConnectionID. Required.
	RouteTables  []network.Ref
	ConsumerCIDR string
	ConnectionID pulumi.StringInput
}

// NewProducer registers the producer side.
func NewProducer(ctx *pulumi.Context, name string, args *ProducerArgs, opts ...pulumi.ResourceOption) (*Producer, error) {
	comp := &Producer{}
	if err := ctx.RegisterComponentResource("studioredshift:index:Producer", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	trust := args.ExecutionRoleArn.ToStringOutput().ApplyT(func(executionRoleArn string) (string, error) {
		return TrustPolicy(executionRoleArn).JSON()
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.String("Assumed by SageMaker Studio users to query Redshift cluster " + args.Cluster.Identifier + " as themselves"),
		AssumeRolePolicy: trust,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("producer role: %w", err)
	}

	permissions, err := PermissionPolicy(args.Cluster).JSON()
	if err != nil {
		return nil, fmt.Errorf("producer role policy: %w", err)
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-redshift-access", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: pulumi.String(permissions),
	}, parent); err != nil {
		return nil, fmt.Errorf("producer role policy: %w", err)
	}

	if peer := args.Peering; peer != nil {
		if err := network.PeeringRoutes(ctx, name, "producer", peer.RouteTables, peer.ConsumerCIDR, peer.ConnectionID, parent); err != nil {
			return nil, err
		}
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-cluster-ingress", &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: peer.ClusterSecurityGroupID,
			Description:     pulumi.String("Redshift from the SageMaker Studio VPC over peering"),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(peer.Port),
			ToPort:          pulumi.Int(peer.Port),
			CidrIpv4:        pulumi.String(peer.ConsumerCIDR),
		}, parent); err != nil {
			return nil, fmt.Errorf("cluster ingress on port %d: %w", peer.Port, err)
		}
	}

	comp.RoleArn = role.Arn
	comp.RoleName = role.Name
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"roleArn":  role.Arn,
		"roleName": role.Name,
	})
}
