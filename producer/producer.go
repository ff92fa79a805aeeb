// Package producer is the data account's side: the role Studio users assume
// to fetch Redshift credentials as themselves, the routes back to the Studio
// VPC and the cluster's ingress from it.
package producer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/network"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// Producer is the data account's side of the system.
type Producer struct {
	pulumi.ResourceState

	// RoleArns are the roles the Studio execution roles assume, by
	// ConsumerRole.Key: made, or, for a consumer not trusted yet, to be.
	RoleArns pulumi.StringMapOutput `pulumi:"roleArns"`
}

// ProducerArgs are the inputs of NewProducer. Create it with the producer
// account's provider (pulumi.Provider); every child inherits it.
type ProducerArgs struct {
	// Cluster is the Redshift cluster users query. Required.
	Cluster Cluster
	// Roles are the producer roles, one per consumer: each trusts that
	// consumer's execution role only and serves that consumer's namespace
	// of database users, so that one ML account's administrator can never
	// chain into another's users. Required, at least one.
	Roles []ConsumerRole
	// ClusterSecurityGroupID and Port are the cluster's group and port: each
	// peering's consumer CIDR is admitted there. Required with Peerings.
	ClusterSecurityGroupID pulumi.StringInput
	Port                   int
	// Peerings are the data account's side of each VPC peering: routes back
	// and the cluster's ingress. None for the connections without a network
	// path into the producer VPC (Data API, managed endpoint).
	Peerings []PeeringSide
}

// ConsumerRole is the producer role of one consumer.
type ConsumerRole struct {
	// Key tells one consumer's role from another's; empty for the one
	// consumer of a stack that deploys both sides.
	Key string
	// ExecutionRoleArn is the Studio execution role, the only principal the
	// role trusts. Nil while that role does not exist yet (IAM refuses a
	// trust policy naming a missing principal): then no role is made, and
	// RoleArns holds its ARN to be.
	ExecutionRoleArn pulumi.StringInput
	// Name names the role where others must know its ARN before it exists
	// (split stacks); empty lets Pulumi name it.
	Name string
	// DBUsers is the consumer's namespace of database users.
	DBUsers DBUsers
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
	roleArns := pulumi.StringMap{}
	for _, consumer := range args.Roles {
		if consumer.ExecutionRoleArn == nil {
			// Its ARN to be: a split stack's consumers name it before it
			// exists.
			roleArns[consumer.Key] = pulumi.String(RoleArn(args.Cluster.Partition, args.Cluster.Account, consumer.Name))
			continue
		}
		arn, err := newRole(ctx, name, args.Cluster, consumer, parent)
		if err != nil {
			return nil, err
		}
		roleArns[consumer.Key] = arn
	}
	comp.RoleArns = roleArns.ToStringMapOutput()

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
		"roleArns": comp.RoleArns,
	})
}

// newRole registers one consumer's producer role and its Redshift
// permissions. The one consumer of a stack of both sides keeps the names
// producer-role and producer-redshift-access; a split stack's consumers get
// producer-<key>-role and producer-<key>-redshift-access.
func newRole(ctx *pulumi.Context, name string, cluster Cluster, consumer ConsumerRole, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	prefix := name
	if consumer.Key != "" {
		prefix = name + "-" + consumer.Key
	}
	trust := consumer.ExecutionRoleArn.ToStringOutput().ApplyT(func(executionRoleArn string) (string, error) {
		return TrustPolicy(executionRoleArn).JSON()
	}).(pulumi.StringOutput)
	roleArgs := &iam.RoleArgs{
		Description:      pulumi.String("Assumed by SageMaker Studio users to query Redshift cluster " + cluster.Identifier + " as themselves"),
		AssumeRolePolicy: trust,
	}
	if consumer.Key != "" {
		roleArgs.Description = pulumi.String("Assumed by the SageMaker Studio users of " + consumer.Key + " to query Redshift cluster " + cluster.Identifier + " as themselves")
	}
	// A role's name is ForceNew (provider schema); these names derive from
	// the cluster, the region and the consumer, which no change renames.
	// The provider retries a trust naming a principal IAM has not
	// propagated yet (terraform-provider-aws #12436). Each role counts
	// against IAM's 1,000 roles per account (IAM quotas), which the plan's
	// quota table measures.
	if consumer.Name != "" {
		roleArgs.Name = pulumi.String(consumer.Name)
	}
	role, err := iam.NewRole(ctx, prefix+"-role", roleArgs, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("producer role %s: %w", consumer.Key, err)
	}
	permissions, err := PermissionPolicy(cluster, consumer.DBUsers).JSON()
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("producer role policy %s: %w", consumer.Key, err)
	}
	if _, err := iam.NewRolePolicy(ctx, prefix+"-redshift-access", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: pulumi.String(permissions),
	}, parent); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("producer role policy %s: %w", consumer.Key, err)
	}
	return role.Arn, nil
}

// RoleArn is the ARN a role of that name has, or will have, in the account;
// empty without a name.
func RoleArn(partition, account, roleName string) string {
	if roleName == "" {
		return ""
	}
	return policy.ARN(partition, "iam", "", account, "role/"+roleName)
}
