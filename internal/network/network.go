// Package network is a VPC the program creates when configuration names none
// (greenfield mode): private subnets in several availability zones, a route
// table per zone, the default security group stripped of its rules, flow
// logs, and optionally a NAT gateway.
package network

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/cidr"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// Ref is a resource ID with a stable key; resources built once per ID (a
// route per route table) are named from the key, so the names are known
// before the IDs are.
type Ref struct {
	Key string
	ID  pulumi.StringInput
}

// Existing turns IDs from configuration into refs keyed by the IDs themselves.
func Existing(ids []string) []Ref {
	refs := make([]Ref, len(ids))
	for i, id := range ids {
		refs[i] = Ref{Key: id, ID: pulumi.String(id)}
	}
	return refs
}

// EndpointServiceName is the full service name of a VPC endpoint. Studio's
// own services use the aws.sagemaker prefix, the rest com.amazonaws.
func EndpointServiceName(region, service string) string {
	if slices.Contains([]string{"studio", "notebook"}, service) {
		return "aws.sagemaker." + region + "." + service
	}
	return "com.amazonaws." + region + "." + service
}

// PeeringRoutes sends destination over the peering connection from every
// route table, one route each, named from the table's key. side names the
// account in errors.
func PeeringRoutes(ctx *pulumi.Context, name, side string, tables []Ref, destination string, connectionID pulumi.StringInput, opts ...pulumi.ResourceOption) error {
	for _, table := range tables {
		if _, err := ec2.NewRoute(ctx, name+"-route-"+table.Key, &ec2.RouteArgs{
			RouteTableId:           table.ID,
			DestinationCidrBlock:   pulumi.String(destination),
			VpcPeeringConnectionId: connectionID,
		}, opts...); err != nil {
			return fmt.Errorf("%s route in %s: %w", side, table.Key, err)
		}
	}
	return nil
}

// NewS3GatewayEndpoint routes S3 through a gateway endpoint from the given
// route tables. AWS: a route table takes one gateway endpoint route per
// service, so a table that already routes S3 through another endpoint fails.
// endpointPolicy, if set, limits what the endpoint lets through.
func NewS3GatewayEndpoint(ctx *pulumi.Context, name, region string, vpcID pulumi.StringInput, routeTableIDs pulumi.StringArrayInput,
	endpointPolicy pulumi.StringPtrInput, opts ...pulumi.ResourceOption) (*ec2.VpcEndpoint, error) {
	gateway, err := ec2.NewVpcEndpoint(ctx, name, &ec2.VpcEndpointArgs{
		VpcId:           vpcID,
		ServiceName:     pulumi.String(EndpointServiceName(region, "s3")),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   routeTableIDs,
		Policy:          endpointPolicy,
		Tags:            pulumi.StringMap{"Name": pulumi.String(name)},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("S3 gateway endpoint: %w", err)
	}
	return gateway, nil
}

// Network is a created VPC.
type Network struct {
	pulumi.ResourceState

	VpcID            pulumi.StringOutput      `pulumi:"vpcId"`
	PrivateSubnetIDs pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	// PrivateRouteTables has one route table per availability zone, keyed by
	// the zone's name.
	PrivateRouteTables []Ref
	// AvailabilityZones are the zones of the private subnets, in order.
	AvailabilityZones []string
	// S3PrefixListID is the S3 prefix list of the S3 gateway endpoint, for
	// security group rules; unset without one.
	S3PrefixListID pulumi.StringOutput
}

// NetworkArgs are the inputs of NewNetwork. Create it with the account's
// provider (pulumi.Provider); every child inherits it.
type NetworkArgs struct {
	// CIDR is the VPC's IPv4 block; subnets are carved from it. Required.
	CIDR string
	// SubnetCount private subnets go into as many availability zones.
	// Required, at least 2.
	SubnetCount int
	// NatGateway adds a public subnet, an internet gateway and one NAT
	// gateway, and routes the private subnets' internet traffic through it.
	NatGateway bool
	// S3GatewayEndpoint adds an S3 gateway endpoint to the private route
	// tables (for a side that does not create its own).
	S3GatewayEndpoint bool
	// FlowLogRetentionDays keeps the VPC flow logs in CloudWatch Logs. Required.
	FlowLogRetentionDays int
	// Partition, Region and Account scope the flow log role's trust. Required.
	Partition, Region, Account string
	// Zones are the private subnets' availability zones by name, SubnetCount
	// of them, for a side whose services are not offered in every zone.
	// Optional: default the region's first SubnetCount zones by name.
	Zones []string
}

// NewNetwork registers the VPC and everything in it.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	comp := &Network{}
	if err := ctx.RegisterComponentResource("studioredshift:index:Network", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	tags := func(suffix string) pulumi.StringMap { return pulumi.StringMap{"Name": pulumi.String(name + suffix)} }

	zones := args.Zones
	if len(zones) == 0 {
		var err error
		if zones, err = availabilityZones(ctx, comp, args.SubnetCount); err != nil {
			return nil, err
		}
	} else if len(zones) != args.SubnetCount {
		return nil, fmt.Errorf("%d zones given for %d subnets", len(zones), args.SubnetCount)
	}
	blocks := args.SubnetCount
	if args.NatGateway {
		blocks++ // the public subnet takes the block after the private ones
	}
	vpcBlock, err := netip.ParsePrefix(args.CIDR)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}
	subnetBlocks, err := cidr.Split(vpcBlock, blocks)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}

	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock: pulumi.String(args.CIDR),
		// Private DNS of interface endpoints and DNS resolution across the
		// peering both need DNS support and hostnames.
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               tags(""),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("VPC: %w", err)
	}

	// Adopting the default security group with no rules removes AWS's
	// allow-all rules, so nothing that lands in it by default can talk.
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
		Tags:  tags("-default-no-rules"),
	}, parent); err != nil {
		return nil, fmt.Errorf("default security group: %w", err)
	}

	subnetIDs := pulumi.StringArray{}
	for i, zone := range zones {
		subnet, err := ec2.NewSubnet(ctx, name+"-private-"+zone, &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			CidrBlock:        pulumi.String(subnetBlocks[i].String()),
			AvailabilityZone: pulumi.String(zone),
			Tags:             tags("-private-" + zone),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("private subnet in %s: %w", zone, err)
		}
		routeTable, err := ec2.NewRouteTable(ctx, name+"-private-"+zone, &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Tags:  tags("-private-" + zone),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("route table in %s: %w", zone, err)
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, name+"-private-"+zone, &ec2.RouteTableAssociationArgs{
			SubnetId:     subnet.ID(),
			RouteTableId: routeTable.ID(),
		}, parent); err != nil {
			return nil, fmt.Errorf("route table association in %s: %w", zone, err)
		}
		subnetIDs = append(subnetIDs, subnet.ID())
		comp.PrivateRouteTables = append(comp.PrivateRouteTables, Ref{Key: zone, ID: routeTable.ID().ToStringOutput()})
	}

	if args.NatGateway {
		if err := newNatGateway(ctx, name, vpc, zones[0], subnetBlocks[args.SubnetCount].String(), comp.PrivateRouteTables, parent); err != nil {
			return nil, err
		}
	}
	if args.S3GatewayEndpoint {
		routeTableIDs := pulumi.StringArray{}
		for _, table := range comp.PrivateRouteTables {
			routeTableIDs = append(routeTableIDs, table.ID)
		}
		gateway, err := NewS3GatewayEndpoint(ctx, name+"-s3", args.Region, vpc.ID(), routeTableIDs, nil, parent)
		if err != nil {
			return nil, err
		}
		comp.S3PrefixListID = gateway.PrefixListId
	}
	if err := newFlowLogs(ctx, name, vpc, args, parent); err != nil {
		return nil, err
	}

	comp.VpcID = vpc.ID().ToStringOutput()
	comp.PrivateSubnetIDs = subnetIDs.ToStringArrayOutput()
	comp.AvailabilityZones = zones
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"vpcId":            comp.VpcID,
		"privateSubnetIds": comp.PrivateSubnetIDs,
	})
}

// Zone is an availability zone: its name, which each account maps to a
// location of its own, and its ID, the same location in every account (AWS
// RAM, "Availability Zone IDs for your AWS resources").
type Zone struct{ Name, ID string }

// AvailableZones looks up the region's zones that need no opt-in (so no
// Local or Wavelength Zones), sorted by name, with the account of the
// invoke's provider.
func AvailableZones(ctx *pulumi.Context, opts ...pulumi.InvokeOption) ([]Zone, error) {
	found, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		Filters: []aws.GetAvailabilityZonesFilter{
			{Name: "opt-in-status", Values: []string{"opt-in-not-required"}},
		},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("availability zones: %w", err)
	}
	if len(found.Names) != len(found.ZoneIds) {
		return nil, fmt.Errorf("availability zones: %d names for %d zone IDs", len(found.Names), len(found.ZoneIds))
	}
	zones := make([]Zone, len(found.Names))
	for i, name := range found.Names {
		zones[i] = Zone{Name: name, ID: found.ZoneIds[i]}
	}
	slices.SortFunc(zones, func(a, b Zone) int { return strings.Compare(a.Name, b.Name) })
	return zones, nil
}

// availabilityZones returns the names of the first count zones of
// AvailableZones.
func availabilityZones(ctx *pulumi.Context, comp *Network, count int) ([]string, error) {
	found, err := AvailableZones(ctx, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	if len(found) < count {
		return nil, fmt.Errorf("the region has %d availability zones, fewer than the %d subnets asked for; lower subnetCount", len(found), count)
	}
	zones := make([]string, count)
	for i := range zones {
		zones[i] = found[i].Name
	}
	return zones, nil
}

// newNatGateway gives the private subnets a way out: one NAT gateway in a
// public subnet of the first zone (one, not one per zone: a NAT gateway costs
// by the hour, and this path only serves package installs).
func newNatGateway(ctx *pulumi.Context, name string, vpc *ec2.Vpc, zone, block string, private []Ref, parent pulumi.ResourceOption) error {
	public, err := ec2.NewSubnet(ctx, name+"-public-"+zone, &ec2.SubnetArgs{
		VpcId:            vpc.ID(),
		CidrBlock:        pulumi.String(block),
		AvailabilityZone: pulumi.String(zone),
		Tags:             pulumi.StringMap{"Name": pulumi.String(name + "-public-" + zone)},
	}, parent)
	if err != nil {
		return fmt.Errorf("public subnet: %w", err)
	}
	// With VpcId the provider attaches the gateway as part of creating it
	// and waits until attached (terraform-provider-aws internet_gateway.go,
	// attachInternetGateway → waitInternetGatewayAttached), so depending on
	// this one resource is enough; a separate ec2.InternetGatewayAttachment
	// would add a resource and must then not be combined with VpcId.
	gateway, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  pulumi.StringMap{"Name": pulumi.String(name + "-igw")},
	}, parent)
	if err != nil {
		return fmt.Errorf("internet gateway: %w", err)
	}
	publicTable, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Tags:  pulumi.StringMap{"Name": pulumi.String(name + "-public")},
	}, parent)
	if err != nil {
		return fmt.Errorf("public route table: %w", err)
	}
	if _, err := ec2.NewRoute(ctx, name+"-public-internet", &ec2.RouteArgs{
		RouteTableId:         publicTable.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            gateway.ID(),
	}, parent); err != nil {
		return fmt.Errorf("public default route: %w", err)
	}
	if _, err := ec2.NewRouteTableAssociation(ctx, name+"-public-"+zone, &ec2.RouteTableAssociationArgs{
		SubnetId:     public.ID(),
		RouteTableId: publicTable.ID(),
	}, parent); err != nil {
		return fmt.Errorf("public route table association: %w", err)
	}
	address, err := ec2.NewEip(ctx, name+"-nat", &ec2.EipArgs{
		Domain: pulumi.String("vpc"),
		Tags:   pulumi.StringMap{"Name": pulumi.String(name + "-nat")},
	}, parent)
	if err != nil {
		return fmt.Errorf("NAT address: %w", err)
	}
	// AWS fails a NAT gateway whose VPC has no internet gateway attached
	// (Gateway.NotAttached), and nothing in its inputs says so: the
	// provider's aws_nat_gateway docs recommend this explicit dependency.
	nat, err := ec2.NewNatGateway(ctx, name+"-nat", &ec2.NatGatewayArgs{
		AllocationId: address.AllocationId,
		SubnetId:     public.ID(),
		Tags:         pulumi.StringMap{"Name": pulumi.String(name + "-nat")},
	}, parent, pulumi.DependsOn([]pulumi.Resource{gateway}))
	if err != nil {
		return fmt.Errorf("NAT gateway: %w", err)
	}
	for _, table := range private {
		if _, err := ec2.NewRoute(ctx, name+"-private-"+table.Key+"-internet", &ec2.RouteArgs{
			RouteTableId:         table.ID,
			DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
			NatGatewayId:         nat.ID(),
		}, parent); err != nil {
			return fmt.Errorf("private default route in %s: %w", table.Key, err)
		}
	}
	return nil
}

// newFlowLogs records all traffic of the VPC to CloudWatch Logs.
func newFlowLogs(ctx *pulumi.Context, name string, vpc *ec2.Vpc, args *NetworkArgs, parent pulumi.ResourceOption) error {
	// The VPC's traffic records are evidence that outlives the stack: a
	// destroy leaves the group (RetainOnDelete), whose retention still
	// expires its records; docs/operations.md's teardown says so.
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(args.FlowLogRetentionDays),
	}, parent, pulumi.RetainOnDelete(true))
	if err != nil {
		return fmt.Errorf("flow log group: %w", err)
	}
	trust, err := FlowLogTrustPolicy(args.Partition, args.Region, args.Account).JSON()
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		Description:      pulumi.String("Delivers the flow logs of VPC " + name + " to CloudWatch Logs"),
		AssumeRolePolicy: pulumi.String(trust),
	}, parent)
	if err != nil {
		return fmt.Errorf("flow log role: %w", err)
	}
	delivery := logGroup.Arn.ApplyT(func(logGroupArn string) (string, error) {
		return FlowLogDeliveryPolicy(logGroupArn).JSON()
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: delivery,
	}, parent); err != nil {
		return fmt.Errorf("flow log role policy: %w", err)
	}
	if _, err := ec2.NewFlowLog(ctx, name+"-flow-logs", &ec2.FlowLogArgs{
		VpcId:              vpc.ID(),
		TrafficType:        pulumi.String("ALL"),
		LogDestinationType: pulumi.String("cloud-watch-logs"),
		LogDestination:     logGroup.Arn,
		IamRoleArn:         role.Arn,
		Tags:               pulumi.StringMap{"Name": pulumi.String(name + "-flow-logs")},
	}, parent); err != nil {
		return fmt.Errorf("flow log: %w", err)
	}
	return nil
}

// FlowLogTrustPolicy lets the flow logs service assume the delivery role, for
// flow logs of this account and region only (the confused-deputy guard AWS
// recommends).
func FlowLogTrustPolicy(partition, region, account string) policy.Document {
	return policy.New(policy.Statement{
		Effect:    policy.Allow,
		Principal: &policy.Principal{Service: []string{"vpc-flow-logs.amazonaws.com"}},
		Action:    []string{"sts:AssumeRole"},
		Condition: policy.Condition{
			"StringEquals": {"aws:SourceAccount": {account}},
			"ArnLike":      {"aws:SourceArn": {policy.ARN(partition, "ec2", region, account, "vpc-flow-log/*")}},
		},
	})
}

// FlowLogDeliveryPolicy allows writing to one log group and its streams.
func FlowLogDeliveryPolicy(logGroupArn string) policy.Document {
	return policy.New(policy.Statement{
		Effect:   policy.Allow,
		Action:   []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
		Resource: []string{logGroupArn, logGroupArn + ":*"},
	})
}
