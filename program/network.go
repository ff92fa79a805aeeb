package program

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/network"
)

// vpc is one side's network: named in configuration, or created.
type vpc struct {
	id          pulumi.StringInput
	subnetIDs   pulumi.StringArrayInput
	routeTables []network.Ref
	// s3PrefixListID is the prefix list of an S3 gateway endpoint the
	// program created with the VPC; nil otherwise.
	s3PrefixListID pulumi.StringInput
}

func (v *vpc) routeTableIDs() pulumi.StringArray {
	ids := pulumi.StringArray{}
	for _, table := range v.routeTables {
		ids = append(ids, table.ID)
	}
	return ids
}

// consumerSpec and producerSpec say what configuration says of each side's VPC.
// zones are the consumer zones the lookups chose (checkExisting).
func consumerSpec(cfg *config.Config, provider *aws.Provider, zones []string) vpcSpec {
	v := cfg.Consumer.VPC
	return vpcSpec{
		side: "consumer", account: cfg.Consumer.AccountID, provider: provider,
		id: v.ID, cidr: v.CIDR, greenfield: v.Greenfield,
		subnetIDs: v.SubnetIDs, routeTableIDs: v.RouteTableIDs,
		natGateway: v.NatGateway, zones: zones,
	}
}

func producerSpec(cfg *config.Config, provider *aws.Provider) vpcSpec {
	v := cfg.Producer.VPC
	return vpcSpec{
		side: "producer", account: cfg.Producer.AccountID, provider: provider,
		id: v.ID, cidr: v.CIDR, greenfield: v.Greenfield,
		subnetIDs: v.SubnetIDs, routeTableIDs: v.RouteTableIDs,
		// A created cluster's enhanced VPC routing sends its S3 traffic
		// through the VPC.
		s3Gateway: true,
	}
}

// vpcSpec is one side's VPC as configuration describes it.
type vpcSpec struct {
	side, account, id, cidr  string
	provider                 *aws.Provider
	subnetIDs, routeTableIDs []string
	greenfield               config.Greenfield
	natGateway, s3Gateway    bool
	// zones are a created VPC's subnet zones by name, when its services
	// limit them (endpointZones); nil lets the network take the region's first.
	zones []string
}

// newVPC returns the configured VPC, or creates one when no id is configured.
func newVPC(ctx *pulumi.Context, cfg *config.Config, spec vpcSpec) (*vpc, error) {
	if spec.id != "" {
		return &vpc{id: pulumi.String(spec.id), subnetIDs: pulumi.ToStringArray(spec.subnetIDs), routeTables: network.Existing(spec.routeTableIDs)}, nil
	}
	created, err := network.NewNetwork(ctx, spec.side+"-network", &network.NetworkArgs{
		CIDR:                 spec.cidr,
		SubnetCount:          spec.greenfield.SubnetCount,
		NatGateway:           spec.natGateway,
		S3GatewayEndpoint:    spec.s3Gateway,
		FlowLogRetentionDays: spec.greenfield.FlowLogRetentionDays,
		Partition:            cfg.Partition(),
		Region:               cfg.Region,
		Account:              spec.account,
		Zones:                spec.zones,
	}, pulumi.Provider(spec.provider))
	if err != nil {
		return nil, err
	}
	v := &vpc{id: created.VpcID, subnetIDs: created.PrivateSubnetIDs, routeTables: created.PrivateRouteTables}
	if spec.s3Gateway {
		v.s3PrefixListID = created.S3PrefixListID
	}
	return v, nil
}

// existingS3Gateway looks up consumer.vpc.s3GatewayEndpointId, when set, and
// returns its prefix list for the Studio groups' egress rule; nil means the
// program creates the endpoint. The endpoint must be the consumer VPC's S3
// gateway and serve the configured route tables, or Studio would reach S3 by
// no route.
func existingS3Gateway(ctx *pulumi.Context, cfg *config.Config, provider *aws.Provider) (pulumi.StringInput, error) {
	v := cfg.Consumer.VPC
	if v.S3GatewayEndpointID == "" {
		return nil, nil
	}
	const key = "consumer.vpc.s3GatewayEndpointId"
	found, err := ec2.LookupVpcEndpoint(ctx, &ec2.LookupVpcEndpointArgs{Id: pulumi.StringRef(v.S3GatewayEndpointID)}, pulumi.Provider(provider))
	if err != nil {
		return nil, config.Errorf(key, "%s cannot be read in account %s: %v", v.S3GatewayEndpointID, cfg.Consumer.AccountID, err)
	}
	service := network.EndpointServiceName(cfg.Region, "s3")
	switch {
	case found.VpcId != v.ID:
		return nil, config.Errorf(key, "%s is in %s, not in consumer.vpc.id %s", v.S3GatewayEndpointID, found.VpcId, v.ID)
	case found.ServiceName != service || found.VpcEndpointType != "Gateway":
		return nil, config.Errorf(key, "%s is a %s endpoint of %s, not the %s gateway endpoint", v.S3GatewayEndpointID, found.VpcEndpointType, found.ServiceName, service)
	}
	for i, table := range v.RouteTableIDs {
		if !slices.Contains(found.RouteTableIds, table) {
			return nil, config.Errorf(fmt.Sprintf("consumer.vpc.routeTableIds[%d]", i),
				"%s is not served by the S3 gateway endpoint %s; associate it with the endpoint (aws ec2 modify-vpc-endpoint --add-route-table-ids) or leave out consumer.vpc.s3GatewayEndpointId so the program creates one", table, v.S3GatewayEndpointID)
		}
	}
	return pulumi.String(found.PrefixListId), nil
}
