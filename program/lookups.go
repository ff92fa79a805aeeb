package program

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
)

// checkExisting looks up the VPCs and subnets the configuration names, each
// with its own account's provider, before any resource is registered: what
// AWS would refuse only at apply time, after the Studio domain had waited
// minutes, is refused here by key.
func checkExisting(ctx *pulumi.Context, cfg *config.Config, providers accountProviders) error {
	var problems []string
	add := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}

	if v := cfg.Consumer.VPC; providers.consumer != nil && !v.CreatesVPC() {
		// AWS PrivateLink: private DNS of an interface endpoint needs the
		// VPC's enableDnsSupport and enableDnsHostnames.
		checkVpcDNS(ctx, providers.consumer, "consumer", v.ID, "the interface endpoints' private DNS", add)
		zones := map[string]int{}
		for i, subnet := range lookupSubnets(ctx, providers.consumer, "consumer", v.ID, v.SubnetIDs, add) {
			if subnet == nil {
				continue
			}
			// AWS refuses an interface endpoint with two subnets in one zone
			// (DuplicateSubnetsInSameZone).
			if first, seen := zones[subnet.AvailabilityZone]; seen {
				add(fmt.Sprintf("consumer.vpc.subnetIds[%d]", i), "%s is in %s like subnetIds[%d]; interface endpoints take one subnet per availability zone, so name subnets of different zones",
					subnet.Id, subnet.AvailabilityZone, first)
				continue
			}
			zones[subnet.AvailabilityZone] = i
		}
	}
	if v := cfg.Producer.VPC; providers.producer != nil && !v.CreatesVPC() && cfg.UsesProducerVPC() {
		if cfg.Peering() {
			// DNS resolution over a peering needs DNS hostnames and DNS
			// resolution on both VPCs ("Enable DNS resolution for a VPC
			// peering connection").
			checkVpcDNS(ctx, providers.producer, "producer", v.ID, "DNS resolution over the peering", add)
		}
		if cfg.Producer.Redshift.Create {
			lookupSubnets(ctx, providers.producer, "producer", v.ID, v.SubnetIDs, add)
		}
	}
	if len(problems) > 0 {
		return errors.New("invalid " + config.Project + " configuration, by what exists in the accounts:\n  " + strings.Join(problems, "\n  "))
	}
	return nil
}

// checkVpcDNS looks up an existing VPC and reports it unless both of its DNS
// attributes are on.
func checkVpcDNS(ctx *pulumi.Context, provider *aws.Provider, side, id, need string, add func(string, string, ...any)) {
	key := side + ".vpc.id"
	vpc, err := ec2.LookupVpc(ctx, &ec2.LookupVpcArgs{Id: pulumi.StringRef(id)}, pulumi.Provider(provider))
	if err != nil {
		add(key, "%s cannot be found in the %s account: %v", id, side, err)
		return
	}
	for _, attribute := range []struct {
		on         bool
		name, flag string
	}{
		{vpc.EnableDnsSupport, "DNS support", "--enable-dns-support"},
		{vpc.EnableDnsHostnames, "DNS hostnames", "--enable-dns-hostnames"},
	} {
		if !attribute.on {
			add(key, "%s has %s off; %s needs DNS support and DNS hostnames: aws ec2 modify-vpc-attribute --vpc-id %s %s",
				id, attribute.name, need, id, attribute.flag)
		}
	}
}

// lookupSubnets looks up side.vpc.subnetIds and reports each one that cannot
// be found or lies outside side.vpc.id; the result holds nil for those.
func lookupSubnets(ctx *pulumi.Context, provider *aws.Provider, side, vpcID string, ids []string, add func(string, string, ...any)) []*ec2.LookupSubnetResult {
	subnets := make([]*ec2.LookupSubnetResult, len(ids))
	for i, id := range ids {
		key := fmt.Sprintf("%s.vpc.subnetIds[%d]", side, i)
		subnet, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: pulumi.StringRef(id)}, pulumi.Provider(provider))
		switch {
		case err != nil:
			add(key, "%s cannot be found in the %s account: %v", id, side, err)
		case subnet.VpcId != vpcID:
			add(key, "%s is in %s, not in %s.vpc.id %s; name subnets of that VPC", id, subnet.VpcId, side, vpcID)
		default:
			subnets[i] = subnet
		}
	}
	return subnets
}
