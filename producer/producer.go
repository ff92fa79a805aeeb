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
	"github.com/studio-redshift/studio-redshift/policy"
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
	// ExecutionRoleArns are the Studio execution roles, the only principals
	// the producer role trusts: one per consumer, each existing already (IAM
	// refuses a trust policy naming a missing principal). With none, no
	// role is made yet.
	ExecutionRoleArns []pulumi.StringInput
	// ClusterSecurityGroupID and Port are the cluster's group and port: each
	// peering's consumer CIDR is admitted there. Required with Peerings.
	ClusterSecurityGroupID pulumi.StringInput
	Port                   int
	// RoleName names the role where others must know its ARN before it
	// exists (split stacks); empty lets Pulumi name it.
	RoleName string
	// Peerings are the data account's side of each VPC peering: routes back
	// and the cluster's ingress. None for the connections without a network
	// path into the producer VPC (Data API, managed endpoint).
	Peerings []PeeringSide
}

// PeeringSide is what the data account adds to its own network for a
// peering with the consumer VPC.
type PeeringSide struct {
	// Key tells one consumer's resources from another's; empty for the one
	// consumer of a stack that deploys both sides.
	Key string
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
	// Without a role yet, its outputs are its ARN to be: a split stack's
	// consumers name it before it exists.
	comp.RoleArn = pulumi.String(RoleArn(args.Cluster.Partition, args.Cluster.Account, args.RoleName)).ToStringOutput()
	comp.RoleName = pulumi.String(args.RoleName).ToStringOutput()
	if len(args.ExecutionRoleArns) > 0 {
		if err := newRole(ctx, name, comp, args, parent); err != nil {
			return nil, err
		}
	}

	for _, peer := range args.Peerings {
		prefix := name
		if peer.Key != "" {
			prefix = name + "-" + peer.Key
		}
		if err := network.PeeringRoutes(ctx, prefix, "producer", peer.RouteTables, peer.ConsumerCIDR, peer.ConnectionID, parent); err != nil {
			return nil, err
		}
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, prefix+"-cluster-ingress", &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: args.ClusterSecurityGroupID,
			Description:     pulumi.String("Redshift from the SageMaker Studio VPC over peering"),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(args.Port),
			ToPort:          pulumi.Int(args.Port),
			CidrIpv4:        pulumi.String(peer.ConsumerCIDR),
		}, parent); err != nil {
			return nil, fmt.Errorf("cluster ingress on port %d: %w", args.Port, err)
		}
	}

	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"roleArn":  comp.RoleArn,
		"roleName": comp.RoleName,
	})
}

// newRole registers the role the consumers' execution roles assume and its
// Redshift permissions.
func newRole(ctx *pulumi.Context, name string, comp *Producer, args *ProducerArgs, parent pulumi.ResourceOption) error {
	trust := pulumi.StringArray(args.ExecutionRoleArns).ToStringArrayOutput().ApplyT(func(executionRoleArns []string) (string, error) {
		return TrustPolicy(executionRoleArns...).JSON()
	}).(pulumi.StringOutput)
	roleArgs := &iam.RoleArgs{
		Description:      pulumi.String("Assumed by SageMaker Studio users to query Redshift cluster " + args.Cluster.Identifier + " as themselves"),
		AssumeRolePolicy: trust,
	}
	if args.RoleName != "" {
		roleArgs.Name = pulumi.String(args.RoleName)
	}
	role, err := iam.NewRole(ctx, name+"-role", roleArgs, parent)
	if err != nil {
		return fmt.Errorf("producer role: %w", err)
	}
	permissions, err := PermissionPolicy(args.Cluster).JSON()
	if err != nil {
		return fmt.Errorf("producer role policy: %w", err)
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-redshift-access", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: pulumi.String(permissions),
	}, parent); err != nil {
		return fmt.Errorf("producer role policy: %w", err)
	}
	comp.RoleArn = role.Arn
	comp.RoleName = role.Name
	return nil
}

// RoleArn is the ARN a role of that name has, or will have, in the account;
// empty without a name.
func RoleArn(partition, account, roleName string) string {
	if roleName == "" {
		return ""
	}
	return policy.ARN(partition, "iam", "", account, "role/"+roleName)
}
