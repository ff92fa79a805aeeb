package network

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

const (
	account = "222222222222"
	region  = "us-east-1"
	vpcCIDR = "10.20.0.0/16"

	vpcType          = "aws:ec2/vpc:Vpc"
	defaultGroupType = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	subnetType       = "aws:ec2/subnet:Subnet"
	routeTableType   = "aws:ec2/routeTable:RouteTable"
	associationType  = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	routeType        = "aws:ec2/route:Route"
	gatewayType      = "aws:ec2/internetGateway:InternetGateway"
	eipType          = "aws:ec2/eip:Eip"
	natType          = "aws:ec2/natGateway:NatGateway"
	endpointType     = "aws:ec2/vpcEndpoint:VpcEndpoint"
	logGroupType     = "aws:cloudwatch/logGroup:LogGroup"
	roleType         = "aws:iam/role:Role"
	rolePolicyType   = "aws:iam/rolePolicy:RolePolicy"
	flowLogType      = "aws:ec2/flowLog:FlowLog"
	componentType    = "studioredshift:index:Network"
	zonesInvoke      = "aws:index/getAvailabilityZones:getAvailabilityZones"
)

// built is what a test sees of a Network: the registrations, and the Go
// fields that are not outputs.
type built struct {
	*offline.Result
	zones []string
	keys  []string
}

// runNetwork builds the network the program would for the consumer side.
func runNetwork(t *testing.T, args NetworkArgs) (*built, error) {
	t.Helper()
	args.Partition, args.Region, args.Account = "aws", region, account
	b := &built{}
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		network, err := NewNetwork(ctx, "consumer-network", &args, pulumi.Provider(providers[0]))
		if err != nil {
			return err
		}
		b.zones = network.AvailabilityZones
		tableIDs := pulumi.StringArray{}
		for _, table := range network.PrivateRouteTables {
			b.keys = append(b.keys, table.Key)
			tableIDs = append(tableIDs, table.ID)
		}
		ctx.Export("vpcId", network.VpcID)
		ctx.Export("privateSubnetIds", network.PrivateSubnetIDs)
		ctx.Export("privateRouteTableIds", tableIDs)
		if args.S3GatewayEndpoint {
			ctx.Export("s3PrefixListId", network.S3PrefixListID)
		}
		return nil
	}, region, account)
	b.Result = result
	return b, err
}

func named(t *testing.T, result *offline.Result, typ, name string) offline.Resource {
	t.Helper()
	r, ok := result.Named(typ, name)
	require.True(t, ok, "%s %s", typ, name)
	return r
}

// TestNetwork: a VPC with DNS on, its default group without rules, one
// private subnet, route table and association per zone from the VPC's
// block, flow logs of all traffic through a role only the account's flow
// logs may assume; a NAT gateway and an S3 gateway endpoint when asked.
func TestNetwork(t *testing.T) {
	tests := []struct {
		name string
		args NetworkArgs
		// zones and blocks are the private subnets'.
		zones, blocks []string
		// publicBlock is the NAT gateway's subnet, empty without one.
		publicBlock string
		// lookup is whether the zones are looked up.
		lookup bool
	}{
		{
			name:  "two subnets in the region's first zones",
			args:  NetworkArgs{CIDR: vpcCIDR, SubnetCount: 2, FlowLogRetentionDays: 365},
			zones: []string{"us-east-1a", "us-east-1b"}, blocks: []string{"10.20.0.0/18", "10.20.64.0/18"}, lookup: true,
		},
		{
			name:  "a NAT gateway in a public subnet after the private ones",
			args:  NetworkArgs{CIDR: vpcCIDR, SubnetCount: 2, NatGateway: true, FlowLogRetentionDays: 90},
			zones: []string{"us-east-1a", "us-east-1b"}, blocks: []string{"10.20.0.0/18", "10.20.64.0/18"}, publicBlock: "10.20.128.0/18", lookup: true,
		},
		{
			name:  "an S3 gateway endpoint",
			args:  NetworkArgs{CIDR: vpcCIDR, SubnetCount: 2, S3GatewayEndpoint: true, FlowLogRetentionDays: 365},
			zones: []string{"us-east-1a", "us-east-1b"}, blocks: []string{"10.20.0.0/18", "10.20.64.0/18"}, lookup: true,
		},
		{
			name:  "the zones a side's services are offered in",
			args:  NetworkArgs{CIDR: vpcCIDR, SubnetCount: 3, FlowLogRetentionDays: 365, Zones: []string{"us-east-1b", "us-east-1d", "us-east-1f"}},
			zones: []string{"us-east-1b", "us-east-1d", "us-east-1f"}, blocks: []string{"10.20.0.0/18", "10.20.64.0/18", "10.20.128.0/18"},
		},
		{
			name:        "five subnets and a NAT gateway in smaller blocks",
			args:        NetworkArgs{CIDR: "192.168.0.0/20", SubnetCount: 5, NatGateway: true, FlowLogRetentionDays: 30},
			zones:       []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e"},
			blocks:      []string{"192.168.0.0/23", "192.168.2.0/23", "192.168.4.0/23", "192.168.6.0/23", "192.168.8.0/23"},
			publicBlock: "192.168.10.0/23", lookup: true,
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			result, err := runNetwork(t, test.args)
			require.NoError(t, err)
			nat := test.publicBlock != ""

			for _, r := range result.Resources() {
				if !r.InAWS() {
					continue
				}
				assert.Equal(t, account, r.Account, "%s in the provider's account", r.Name)
				parent, ok := result.ByURN(r.Parent)
				require.True(t, ok, r.Name)
				assert.Equal(t, componentType, parent.Type, "%s is a child of the component", r.Name)
			}
			looked := false
			for _, invoke := range result.Invokes() {
				looked = looked || invoke.Token == zonesInvoke
				if invoke.Token == zonesInvoke {
					assert.Equal(t, "account-"+account, invoke.Provider, "the zones as the account names them")
				}
			}
			assert.Equal(t, test.lookup, looked, "zones are looked up only when none are given")

			require.Len(t, result.OfType(vpcType), 1)
			vpc := named(t, result.Result, vpcType, "consumer-network-vpc")
			assert.Equal(t, test.args.CIDR, vpc.String("cidrBlock"))
			assert.Equal(t, true, vpc.Input("enableDnsSupport"), "private DNS of interface endpoints")
			assert.Equal(t, true, vpc.Input("enableDnsHostnames"))

			defaultGroup := named(t, result.Result, defaultGroupType, "consumer-network-default-sg")
			assert.Equal(t, vpc.ID, defaultGroup.String("vpcId"))
			assert.Nil(t, defaultGroup.Input("ingress"), "adopted without rules: AWS's allow-all rules are removed")
			assert.Nil(t, defaultGroup.Input("egress"))

			// Private subnets, each with a route table of its own.
			privateSubnets := len(test.zones)
			if nat {
				privateSubnets++
			}
			require.Len(t, result.OfType(subnetType), privateSubnets)
			var subnetIDs, tableIDs []any
			for i, zone := range test.zones {
				subnet := named(t, result.Result, subnetType, "consumer-network-private-"+zone)
				assert.Equal(t, vpc.ID, subnet.String("vpcId"))
				assert.Equal(t, zone, subnet.String("availabilityZone"))
				assert.Equal(t, test.blocks[i], subnet.String("cidrBlock"))
				assert.Nil(t, subnet.Input("mapPublicIpOnLaunch"), "private: no public addresses")
				table := named(t, result.Result, routeTableType, "consumer-network-private-"+zone)
				assert.Equal(t, vpc.ID, table.String("vpcId"))
				association := named(t, result.Result, associationType, "consumer-network-private-"+zone)
				assert.Equal(t, subnet.ID, association.String("subnetId"))
				assert.Equal(t, table.ID, association.String("routeTableId"))
				subnetIDs = append(subnetIDs, subnet.ID)
				tableIDs = append(tableIDs, table.ID)
			}
			for i, block := range test.blocks {
				for _, other := range test.blocks[i+1:] {
					assert.False(t, netip.MustParsePrefix(block).Overlaps(netip.MustParsePrefix(other)), "%s and %s", block, other)
				}
				assert.True(t, netip.MustParsePrefix(test.args.CIDR).Contains(netip.MustParsePrefix(block).Addr()), "%s in the VPC", block)
			}

			// The NAT gateway, and the only routes to the internet.
			routes := result.OfType(routeType)
			if !nat {
				assert.Empty(t, routes, "no way out without a NAT gateway")
				assert.Empty(t, result.OfType(gatewayType))
				assert.Empty(t, result.OfType(natType))
				assert.Empty(t, result.OfType(eipType))
			} else {
				first := test.zones[0]
				public := named(t, result.Result, subnetType, "consumer-network-public-"+first)
				assert.Equal(t, test.publicBlock, public.String("cidrBlock"), "the block after the private ones")
				assert.Equal(t, first, public.String("availabilityZone"))
				gateway := named(t, result.Result, gatewayType, "consumer-network-igw")
				assert.Equal(t, vpc.ID, gateway.String("vpcId"), "attached as it is created")
				publicTable := named(t, result.Result, routeTableType, "consumer-network-public")
				association := named(t, result.Result, associationType, "consumer-network-public-"+first)
				assert.Equal(t, public.ID, association.String("subnetId"))
				assert.Equal(t, publicTable.ID, association.String("routeTableId"))
				internet := named(t, result.Result, routeType, "consumer-network-public-internet")
				assert.Equal(t, publicTable.ID, internet.String("routeTableId"))
				assert.Equal(t, "0.0.0.0/0", internet.String("destinationCidrBlock"))
				assert.Equal(t, gateway.ID, internet.String("gatewayId"))

				address := named(t, result.Result, eipType, "consumer-network-nat")
				assert.Equal(t, "vpc", address.String("domain"))
				natGateway := named(t, result.Result, natType, "consumer-network-nat")
				assert.Equal(t, public.ID, natGateway.String("subnetId"))
				assert.Equal(t, address.Output("allocationId"), natGateway.Input("allocationId"))
				assert.Contains(t, natGateway.Dependencies, gateway.URN, "AWS fails a NAT gateway in a VPC without an attached internet gateway")

				require.Len(t, routes, 1+len(test.zones), "one way out per private table, and the public one")
				for i, zone := range test.zones {
					route := named(t, result.Result, routeType, "consumer-network-private-"+zone+"-internet")
					assert.Equal(t, tableIDs[i], route.String("routeTableId"))
					assert.Equal(t, "0.0.0.0/0", route.String("destinationCidrBlock"))
					assert.Equal(t, natGateway.ID, route.String("natGatewayId"))
					assert.Nil(t, route.Input("gatewayId"), "private subnets never route to the internet gateway")
				}
			}

			endpoints := result.OfType(endpointType)
			if test.args.S3GatewayEndpoint {
				require.Len(t, endpoints, 1)
				s3 := endpoints[0]
				assert.Equal(t, "consumer-network-s3", s3.Name)
				assert.Equal(t, vpc.ID, s3.String("vpcId"))
				assert.Equal(t, "com.amazonaws.us-east-1.s3", s3.String("serviceName"))
				assert.Equal(t, "Gateway", s3.String("vpcEndpointType"))
				assert.Equal(t, tableIDs, s3.Input("routeTableIds"), "every private route table")
				assert.Equal(t, s3.Output("prefixListId"), result.Outputs["s3PrefixListId"])
			} else {
				assert.Empty(t, endpoints)
			}

			// Flow logs of all traffic, through a role only this account's
			// flow logs in this region may assume.
			logGroup := named(t, result.Result, logGroupType, "consumer-network-flow-logs")
			assert.Equal(t, float64(test.args.FlowLogRetentionDays), logGroup.Input("retentionInDays"))
			assert.True(t, logGroup.RetainOnDelete, "a destroy leaves the traffic records to their retention")
			logGroupArn, _ := logGroup.Output("arn").(string)
			require.NotEmpty(t, logGroupArn)

			role := named(t, result.Result, roleType, "consumer-network-flow-logs")
			var trust policy.Document
			require.NoError(t, json.Unmarshal([]byte(role.String("assumeRolePolicy")), &trust))
			assert.Equal(t, policy.Version, trust.Version)
			require.Len(t, trust.Statement, 1)
			assume := trust.Statement[0]
			assert.Equal(t, policy.Allow, assume.Effect)
			require.NotNil(t, assume.Principal)
			assert.Equal(t, []string{"vpc-flow-logs.amazonaws.com"}, assume.Principal.Service)
			assert.Empty(t, assume.Principal.AWS)
			assert.Equal(t, []string{"sts:AssumeRole"}, assume.Action)
			assert.Equal(t, policy.Condition{
				"StringEquals": {"aws:SourceAccount": {account}},
				"ArnLike":      {"aws:SourceArn": {"arn:aws:ec2:us-east-1:222222222222:vpc-flow-log/*"}},
			}, assume.Condition, "the confused-deputy guard: this account's flow logs in this region")

			rolePolicy := named(t, result.Result, rolePolicyType, "consumer-network-flow-logs")
			assert.Equal(t, role.ID, rolePolicy.String("role"))
			var delivery policy.Document
			require.NoError(t, json.Unmarshal([]byte(rolePolicy.String("policy")), &delivery))
			require.Len(t, delivery.Statement, 1)
			write := delivery.Statement[0]
			assert.Equal(t, policy.Allow, write.Effect)
			assert.ElementsMatch(t, []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}, write.Action)
			assert.ElementsMatch(t, []string{logGroupArn, logGroupArn + ":*"}, write.Resource, "its log group and streams, no other")
			assert.Empty(t, write.Condition)

			flowLog := named(t, result.Result, flowLogType, "consumer-network-flow-logs")
			assert.Equal(t, vpc.ID, flowLog.String("vpcId"))
			assert.Equal(t, "ALL", flowLog.String("trafficType"), "accepted and rejected traffic")
			assert.Equal(t, "cloud-watch-logs", flowLog.String("logDestinationType"))
			assert.Equal(t, logGroupArn, flowLog.String("logDestination"))
			assert.Equal(t, role.Output("arn"), flowLog.Input("iamRoleArn"))

			assert.Equal(t, vpc.ID, result.Outputs["vpcId"])
			assert.Equal(t, subnetIDs, result.Outputs["privateSubnetIds"], "in zone order")
			assert.Equal(t, tableIDs, result.Outputs["privateRouteTableIds"])
			assert.Equal(t, test.zones, result.zones)
			assert.Equal(t, test.zones, result.keys, "route tables keyed by zone")
		})
	}
}

// TestNetworkRefuses: inputs the network cannot honour fail with what is
// wrong, before any AWS resource is registered.
func TestNetworkRefuses(t *testing.T) {
	_, parseErr := netip.ParsePrefix("10.20.0.0/33")
	require.Error(t, parseErr)
	tests := []struct {
		name string
		args NetworkArgs
		want string
	}{
		{
			name: "zones not one per subnet",
			args: NetworkArgs{CIDR: vpcCIDR, SubnetCount: 3, FlowLogRetentionDays: 365, Zones: []string{"us-east-1a", "us-east-1b"}},
			want: "2 zones given for 3 subnets",
		},
		{
			name: "more subnets than the region has zones",
			args: NetworkArgs{CIDR: vpcCIDR, SubnetCount: 7, FlowLogRetentionDays: 365},
			want: "the region has 6 availability zones, fewer than the 7 subnets asked for; lower subnetCount",
		},
		{
			name: "not a CIDR block",
			args: NetworkArgs{CIDR: "10.20.0.0/33", SubnetCount: 2, FlowLogRetentionDays: 365},
			want: "network consumer-network: " + parseErr.Error(),
		},
		{
			name: "a block too small for its subnets",
			args: NetworkArgs{CIDR: "10.20.0.0/27", SubnetCount: 2, FlowLogRetentionDays: 365},
			want: "network consumer-network: 10.20.0.0/27 is too small for 2 subnets: each would be a /29, and AWS subnets are at least /28",
		},
		{
			name: "room for the private subnets but not the public one",
			args: NetworkArgs{CIDR: "10.20.0.0/26", SubnetCount: 4, NatGateway: true, FlowLogRetentionDays: 365},
			want: "network consumer-network: 10.20.0.0/26 is too small for 5 subnets: each would be a /29, and AWS subnets are at least /28",
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			result, err := runNetwork(t, test.args)
			require.EqualError(t, err, test.want)
			for _, r := range result.Resources() {
				assert.False(t, r.InAWS(), "%s %s registered before the error", r.Type, r.Name)
			}
		})
	}
}
