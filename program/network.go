package program

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/network"
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
func consumerSpec(cfg *config.Config, provider *aws.Provider) vpcSpec {
	v := cfg.Consumer.VPC
	return vpcSpec{
		side: "consumer", account: cfg.Consumer.AccountID, provider: provider,
		id: v.ID, cidr: v.CIDR, greenfield: v.Greenfield,
		subnetIDs: v.SubnetIDs, routeTableIDs: v.RouteTableIDs,
		natGateway: v.NatGateway,
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
