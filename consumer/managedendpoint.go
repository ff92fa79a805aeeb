// The ManagedEndpoint component reaches the cluster through a Redshift-managed VPC
// endpoint in the consumer VPC: the data account authorizes the ML account
// and its VPC, and the ML account creates the endpoint on Studio's private
// subnets, behind a security group that admits the cluster port from the
// Studio clients and the jobs only. No peering and no route: the two VPCs'
// ranges may overlap.

package consumer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshift"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/producer"
)

// ManagedEndpoint is the cluster's endpoint in the consumer VPC.
type ManagedEndpoint struct {
	pulumi.ResourceState

	// Address and Port are what the notebook connects to.
	Address pulumi.StringOutput `pulumi:"address"`
	Port    pulumi.IntOutput    `pulumi:"port"`
	// SecurityGroupID guards the endpoint.
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
}

// EndpointClient is a security group whose members may connect to the endpoint.
type EndpointClient struct {
	// Name keys the rules' logical names ("studio-clients").
	Name string
	ID   pulumi.StringInput
}

// ManagedEndpointArgs are the inputs of NewManagedEndpoint. The component
// spans two accounts, so it takes both providers here rather than through
// pulumi.Provider.
type ManagedEndpointArgs struct {
	// ConsumerProvider creates the endpoint; ProducerProvider authorizes it.
	// ConsumerProvider is required; ProducerProvider may be for the same
	// account, or nil where the producer-side stack authorizes it
	// (NewEndpointAuthorization).
	ConsumerProvider, ProducerProvider *aws.Provider
	// ProducerAccountID owns the cluster; ConsumerAccountID is authorized.
	// Required.
	ProducerAccountID, ConsumerAccountID string
	// ClusterIdentifier and Port name the cluster (RA3, relocation on, port
	// in 5431-5455 or 8191-8215, which configuration checks). Required.
	ClusterIdentifier string
	Port              int
	// ClusterID is the same identifier as the authorization and the endpoint
	// take it: the created cluster's output, so that they wait for the
	// cluster, or the existing cluster's identifier. Required.
	ClusterID pulumi.StringInput
	// EndpointKey tells this consumer's endpoint from others of the same
	// cluster; it is hashed into the endpoint's name. Required.
	EndpointKey string
	// ConsumerVpcID and SubnetIDs place the endpoint. Required.
	ConsumerVpcID pulumi.StringInput
	SubnetIDs     pulumi.StringArrayInput
	// Clients may connect: the Studio clients group and the jobs group.
	// Required.
	Clients []EndpointClient
}

// NewManagedEndpoint registers the authorization and the endpoint.
func NewManagedEndpoint(ctx *pulumi.Context, name string, args *ManagedEndpointArgs, opts ...pulumi.ResourceOption) (*ManagedEndpoint, error) {
	comp := &ManagedEndpoint{}
	if err := ctx.RegisterComponentResource("studioredshift:index:ManagedEndpoint", name, comp, opts...); err != nil {
		return nil, err
	}
	asConsumer := []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Provider(args.ConsumerProvider)}
	var asProducer []pulumi.ResourceOption
	if args.ProducerProvider != nil {
		asProducer = []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Provider(args.ProducerProvider)}
	}

	// The endpoint waits for its authorization, which no input carries; in
	// one account none is needed (AWS authorizes only other accounts). A
	// consumer-side stack's producer authorizes it from its own stack.
	var authorized []pulumi.Resource
	resourceOwner := pulumi.StringPtrInput(nil)
	if args.ProducerAccountID != args.ConsumerAccountID {
		resourceOwner = pulumi.String(args.ProducerAccountID)
		if args.ProducerProvider != nil {
			authorization, err := producer.AuthorizeEndpointAccess(ctx, name, args.ConsumerAccountID, args.ClusterID, pulumi.StringArray{args.ConsumerVpcID}, asProducer...)
			if err != nil {
				return nil, err
			}
			authorized = append(authorized, authorization)
		}
	}

	subnets, err := redshift.NewSubnetGroup(ctx, name+"-subnets", &redshift.SubnetGroupArgs{
		Description: pulumi.String("Studio subnets of the managed endpoint of Redshift cluster " + args.ClusterIdentifier),
		SubnetIds:   args.SubnetIDs,
	}, asConsumer...)
	if err != nil {
		return nil, fmt.Errorf("endpoint subnet group: %w", err)
	}
	group, err := ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:               args.ConsumerVpcID,
		Description:         pulumi.String("Redshift-managed endpoint of cluster " + args.ClusterIdentifier + ", from SageMaker Studio only"),
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                pulumi.StringMap{"Name": pulumi.String(name)},
	}, asConsumer...)
	if err != nil {
		return nil, fmt.Errorf("endpoint security group: %w", err)
	}
	// One rule each way per client group, whatever the number of users.
	for _, client := range args.Clients {
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-in-from-"+client.Name, &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId:           group.ID(),
			Description:               pulumi.String("Redshift from " + client.Name),
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(args.Port),
			ToPort:                    pulumi.Int(args.Port),
			ReferencedSecurityGroupId: client.ID,
		}, asConsumer...); err != nil {
			return nil, fmt.Errorf("endpoint ingress from %s: %w", client.Name, err)
		}
		if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-out-of-"+client.Name, &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId:           client.ID,
			Description:               pulumi.String("Redshift through its managed endpoint"),
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(args.Port),
			ToPort:                    pulumi.Int(args.Port),
			ReferencedSecurityGroupId: group.ID(),
		}, asConsumer...); err != nil {
			return nil, fmt.Errorf("egress of %s to the endpoint: %w", client.Name, err)
		}
	}

	access, err := redshift.NewEndpointAccess(ctx, name, &redshift.EndpointAccessArgs{
		EndpointName:        pulumi.String(EndpointName(args.EndpointKey)),
		ClusterIdentifier:   args.ClusterID,
		ResourceOwner:       resourceOwner,
		SubnetGroupName:     subnets.Name,
		VpcSecurityGroupIds: pulumi.StringArray{group.ID()},
	}, append(asConsumer, pulumi.DependsOn(authorized),
		// Its name, cluster, owner and subnet group force a new endpoint,
		// and a new one cannot take the old one's name while it exists.
		pulumi.DeleteBeforeReplace(true))...)
	if err != nil {
		return nil, fmt.Errorf("managed endpoint: %w", err)
	}

	comp.Address = access.Address
	comp.Port = access.Port
	comp.SecurityGroupID = group.ID().ToStringOutput()
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"address":         comp.Address,
		"port":            comp.Port,
		"securityGroupId": comp.SecurityGroupID,
	})
}

// EndpointName names a consumer's endpoint of a cluster: Redshift takes 1-30
// lower-case letters, digits and hyphens, starting with a letter, and the
// name is fixed once created (it forces a new endpoint), so it is derived
// from a stable key rather than from names that may change.
func EndpointName(key string) string {
	digest := sha256.Sum256([]byte(key))
	return "studio-" + hex.EncodeToString(digest[:])[:12]
}
