// Package warehouse is a Redshift cluster the program creates when
// configuration asks for one (producer.redshift.create): encrypted with its own
// key, private, with enhanced VPC routing, SSL required, the admin password
// kept by AWS Secrets Manager, and a final snapshot on delete.
package warehouse

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshift"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/datakey"
)

// Warehouse is the created cluster.
type Warehouse struct {
	pulumi.ResourceState

	// ClusterIdentifier and SecurityGroupID are what the producer side needs.
	ClusterIdentifier pulumi.StringOutput `pulumi:"clusterIdentifier"`
	SecurityGroupID   pulumi.StringOutput `pulumi:"securityGroupId"`
	// Endpoint is host:port, reachable over the peering.
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
}

// WarehouseArgs are the inputs of NewWarehouse. Create it with the producer
// account's provider (pulumi.Provider); every child inherits it.
type WarehouseArgs struct {
	// VpcID and SubnetIDs place the cluster, in private subnets. Required.
	VpcID     pulumi.StringInput
	SubnetIDs pulumi.StringArrayInput
	// ClusterIdentifier, Database and Port are the cluster's; the producer
	// role's policy names the same values. Required.
	ClusterIdentifier string
	Database          string
	Port              int
	// NodeType and NodeCount size the cluster. Required.
	NodeType  string
	NodeCount int
	// MasterUsername is the admin user; its password lives in Secrets Manager. Required.
	MasterUsername string
	// Protect guards the cluster and its key against deletion.
	Protect bool
}

// NewWarehouse registers the cluster and what it needs.
func NewWarehouse(ctx *pulumi.Context, name string, args *WarehouseArgs, opts ...pulumi.ResourceOption) (*Warehouse, error) {
	comp := &Warehouse{}
	if err := ctx.RegisterComponentResource("studioredshift:index:Warehouse", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	key, err := datakey.New(ctx, name+"-key", "Encrypts Redshift cluster "+args.ClusterIdentifier, nil, args.Protect, parent)
	if err != nil {
		return nil, fmt.Errorf("cluster key: %w", err)
	}
	subnets, err := redshift.NewSubnetGroup(ctx, name+"-subnets", &redshift.SubnetGroupArgs{
		Description: pulumi.String("Private subnets of Redshift cluster " + args.ClusterIdentifier),
		SubnetIds:   args.SubnetIDs,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("cluster subnet group: %w", err)
	}
	// No rules of its own: the producer side adds the one ingress rule the
	// system needs, the cluster port from the consumer VPC.
	group, err := ec2.NewSecurityGroup(ctx, name+"-cluster", &ec2.SecurityGroupArgs{
		VpcId:               args.VpcID,
		Description:         pulumi.String("Redshift cluster " + args.ClusterIdentifier),
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                pulumi.StringMap{"Name": pulumi.String(name + "-cluster")},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("cluster security group: %w", err)
	}
	parameters, err := redshift.NewParameterGroup(ctx, name+"-parameters", &redshift.ParameterGroupArgs{
		Description: pulumi.String("Requires SSL for cluster " + args.ClusterIdentifier),
		Family:      pulumi.String("redshift-1.0"),
		Parameters: redshift.ParameterGroupParameterArray{
			&redshift.ParameterGroupParameterArgs{Name: pulumi.String("require_ssl"), Value: pulumi.String("true")},
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("cluster parameter group: %w", err)
	}

	clusterType := "single-node"
	if args.NodeCount > 1 {
		clusterType = "multi-node"
	}
	cluster, err := redshift.NewCluster(ctx, name+"-cluster", &redshift.ClusterArgs{
		ClusterIdentifier:         pulumi.String(args.ClusterIdentifier),
		DatabaseName:              pulumi.String(args.Database),
		Port:                      pulumi.Int(args.Port),
		NodeType:                  pulumi.String(args.NodeType),
		ClusterType:               pulumi.String(clusterType),
		NumberOfNodes:             pulumi.Int(args.NodeCount),
		MasterUsername:            pulumi.String(args.MasterUsername),
		ManageMasterPassword:      pulumi.Bool(true),
		Encrypted:                 pulumi.Bool(true),
		KmsKeyId:                  key.Arn,
		PubliclyAccessible:        pulumi.Bool(false),
		EnhancedVpcRouting:        pulumi.Bool(true),
		ClusterSubnetGroupName:    subnets.Name,
		VpcSecurityGroupIds:       pulumi.StringArray{group.ID()},
		ClusterParameterGroupName: parameters.Name,
		// A week of automated snapshots, and one last snapshot on delete.
		AutomatedSnapshotRetentionPeriod: pulumi.Int(7),
		SkipFinalSnapshot:                pulumi.Bool(false),
		FinalSnapshotIdentifier:          pulumi.String(args.ClusterIdentifier + "-final"),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}

	comp.ClusterIdentifier = cluster.ClusterIdentifier
	comp.SecurityGroupID = group.ID().ToStringOutput()
	comp.Endpoint = cluster.Endpoint
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"clusterIdentifier": comp.ClusterIdentifier,
		"securityGroupId":   comp.SecurityGroupID,
		"endpoint":          comp.Endpoint,
	})
}
