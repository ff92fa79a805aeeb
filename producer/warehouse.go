// The Warehouse component is a Redshift cluster the program creates when
// configuration asks for one (producer.redshift.create): encrypted with its own
// key, private, with enhanced VPC routing and HTTPS to S3 its only way out,
// SSL required, audit logging with every query's user, the admin password
// kept by AWS Secrets Manager, and a final snapshot on delete.

package producer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshift"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/datakey"
	"github.com/studio-redshift/studio-redshift/internal/network"
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
	// Region names the S3 endpoint service. Required.
	Region string
	// S3PrefixListID is the prefix list of the S3 gateway endpoint that
	// already serves the cluster's subnets (a VPC the program creates). When
	// unset, RouteTableIDs (an existing VPC's) get an S3 gateway endpoint
	// here. One of the two is required: with enhanced VPC routing, COPY and
	// UNLOAD reach S3 only through the VPC.
	S3PrefixListID pulumi.StringInput
	RouteTableIDs  pulumi.StringArrayInput
	// LogBucket receives the audit logs (connections, user changes, and
	// every query with its user). Required.
	LogBucket pulumi.StringInput
	// Relocation lets Redshift move the cluster to another zone, which a
	// Redshift-managed VPC endpoint requires. Optional.
	Relocation bool
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
	// Its ingress, the cluster port from each peered consumer VPC, comes
	// from the producer side (none without a peering); its one egress
	// rule, HTTPS to S3, is below.
	group, err := ec2.NewSecurityGroup(ctx, name+"-cluster", &ec2.SecurityGroupArgs{
		VpcId:               args.VpcID,
		Description:         pulumi.String("Redshift cluster " + args.ClusterIdentifier),
		RevokeRulesOnDelete: pulumi.Bool(true),
		Tags:                pulumi.StringMap{"Name": pulumi.String(name + "-cluster")},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("cluster security group: %w", err)
	}
	if err := s3Egress(ctx, name+"-cluster-s3-out", name, args.Region, args.VpcID, args.S3PrefixListID, args.RouteTableIDs, group, parent); err != nil {
		return nil, err
	}
	parameters, err := redshift.NewParameterGroup(ctx, name+"-parameters", &redshift.ParameterGroupArgs{
		Description: pulumi.String("Requires SSL and logs user activity for cluster " + args.ClusterIdentifier),
		Family:      pulumi.String("redshift-1.0"),
		Parameters: redshift.ParameterGroupParameterArray{
			&redshift.ParameterGroupParameterArgs{Name: pulumi.String("require_ssl"), Value: pulumi.String("true")},
			// AWS: without it the audit log has connections and user
			// changes, but not the user activity log (each query and who ran it).
			&redshift.ParameterGroupParameterArgs{Name: pulumi.String("enable_user_activity_logging"), Value: pulumi.String("true")},
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
		ClusterIdentifier:    pulumi.String(args.ClusterIdentifier),
		DatabaseName:         pulumi.String(args.Database),
		Port:                 pulumi.Int(args.Port),
		NodeType:             pulumi.String(args.NodeType),
		ClusterType:          pulumi.String(clusterType),
		NumberOfNodes:        pulumi.Int(args.NodeCount),
		MasterUsername:       pulumi.String(args.MasterUsername),
		ManageMasterPassword: pulumi.Bool(true),
		// Redshift-managed VPC endpoints need relocation on (RA3 only).
		AvailabilityZoneRelocationEnabled: relocation(args.Relocation),
		Encrypted:                         pulumi.Bool(true),
		KmsKeyId:                          key.Arn,
		PubliclyAccessible:                pulumi.Bool(false),
		EnhancedVpcRouting:                pulumi.Bool(true),
		ClusterSubnetGroupName:            subnets.Name,
		VpcSecurityGroupIds:               pulumi.StringArray{group.ID()},
		ClusterParameterGroupName:         parameters.Name,
		// A week of automated snapshots, and one last snapshot on delete.
		AutomatedSnapshotRetentionPeriod: pulumi.Int(7),
		SkipFinalSnapshot:                pulumi.Bool(false),
		FinalSnapshotIdentifier:          pulumi.String(args.ClusterIdentifier + "-final"),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}

	// The separate resource, not the cluster's inline logging block, which
	// pulumi-aws 6.x deprecates ("Use the redshift.Logging resource
	// instead"). With an S3 destination the connection, user and user
	// activity logs are all written (the last one with the parameter above).
	if _, err := redshift.NewLogging(ctx, name+"-audit-logging", &redshift.LoggingArgs{
		ClusterIdentifier:  cluster.ClusterIdentifier,
		LogDestinationType: pulumi.String("s3"),
		BucketName:         args.LogBucket,
		S3KeyPrefix:        pulumi.String(RedshiftPrefix),
	}, parent); err != nil {
		return nil, fmt.Errorf("audit logging: %w", err)
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

// s3Egress lets a warehouse (a cluster or a workgroup) reach S3 over HTTPS
// through the VPC's S3 gateway endpoint, making the endpoint (named after
// name) first in an existing VPC, where s3PrefixListID is nil. The provider
// strips a new security group's default allow-all egress, and enhanced VPC
// routing sends COPY and UNLOAD through the VPC.
func s3Egress(ctx *pulumi.Context, ruleName, name, region string, vpcID, s3PrefixListID pulumi.StringInput, routeTableIDs pulumi.StringArrayInput,
	group *ec2.SecurityGroup, parent pulumi.ResourceOption) error {
	prefixList := s3PrefixListID
	if prefixList == nil {
		gateway, err := network.NewS3GatewayEndpoint(ctx, name+"-s3", region, vpcID, routeTableIDs, nil, parent)
		if err != nil {
			return err
		}
		prefixList = gateway.PrefixListId
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, ruleName, &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: group.ID(),
		Description:     pulumi.String("HTTPS to S3 through the gateway endpoint (COPY, UNLOAD)"),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(443),
		ToPort:          pulumi.Int(443),
		PrefixListId:    prefixList,
	}, parent); err != nil {
		return fmt.Errorf("S3 egress: %w", err)
	}
	return nil
}

// relocation sets the cluster's relocation only where it is wanted, leaving
// the clusters made before it was an input as they are.
func relocation(on bool) pulumi.BoolPtrInput {
	if !on {
		return nil
	}
	return pulumi.Bool(true)
}
