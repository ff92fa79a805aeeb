package program

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/network"
)

// lookedUp is what the lookups found that the program builds on.
type lookedUp struct {
	// consumerZones are a created consumer VPC's subnet zones, by name: the
	// first consumer.vpc.subnetCount that offer every interface endpoint
	// service; nil for an existing VPC or a stack without a consumer.
	consumerZones []string
}

// checkExisting looks up the VPCs and subnets the configuration names, and
// the zones the consumer's endpoint services are offered in, each with its
// own account's provider, before any resource is registered: what AWS would
// refuse only at apply time, after the Studio domain had waited minutes, is
// refused here by key.
func checkExisting(ctx *pulumi.Context, cfg *config.Config, providers accountProviders) (*lookedUp, error) {
	var problems []string
	add := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}
	found := &lookedUp{}

	if v := cfg.Consumer.VPC; providers.consumer != nil {
		offer := lookupEndpointZones(ctx, cfg, providers.consumer, add)
		if v.CreatesVPC() {
			found.consumerZones = offer.choose(v.SubnetCount, add)
		} else {
			// AWS PrivateLink: private DNS of an interface endpoint needs the
			// VPC's enableDnsSupport and enableDnsHostnames.
			checkVpcDNS(ctx, providers.consumer, "consumer", v.ID, "the interface endpoints' private DNS", add)
			zones := map[string]int{}
			for i, subnet := range lookupSubnets(ctx, providers.consumer, "consumer", v.ID, v.SubnetIDs, add) {
				if subnet == nil {
					continue
				}
				key := fmt.Sprintf("consumer.vpc.subnetIds[%d]", i)
				// AWS refuses an interface endpoint with two subnets in one zone
				// (DuplicateSubnetsInSameZone).
				if first, seen := zones[subnet.AvailabilityZone]; seen {
					add(key, "%s is in %s like subnetIds[%d]; interface endpoints take one subnet per availability zone, so name subnets of different zones",
						subnet.Id, subnet.AvailabilityZone, first)
					continue
				}
				zones[subnet.AvailabilityZone] = i
				offer.checkSubnet(key, subnet, add)
			}
		}
	}
	if v := cfg.Producer.VPC; providers.producer != nil && !v.CreatesVPC() && cfg.UsesProducerVPC() {
		if cfg.Peering() {
			// DNS resolution over a peering needs DNS hostnames and DNS
			// resolution on both VPCs ("Enable DNS resolution for a VPC
			// peering connection").
			checkVpcDNS(ctx, providers.producer, "producer", v.ID, "DNS resolution over the peering", add)
		}
		if cfg.CreatesWarehouse() {
			subnets := lookupSubnets(ctx, providers.producer, "producer", v.ID, v.SubnetIDs, add)
			if cfg.IsServerless() {
				checkWorkgroupZones(subnets, add)
			}
		}
	}
	if len(problems) > 0 {
		return nil, errors.New("invalid " + config.Project + " configuration, by what exists in the accounts:\n  " + strings.Join(problems, "\n  "))
	}
	return found, nil
}

// endpointZones are the consumer region's zones and, per interface endpoint
// service, the zones that offer it. AWS does not offer every endpoint
// service in every zone, and refuses an endpoint with a subnet in a zone its
// service lacks (PrivateLink, "Access an AWS service using an interface VPC
// endpoint": describe-vpc-endpoint-services lists a service's zones); in
// us-east-1, use1-az3 is the usual case.
//
// Zones are compared by ID (use1-az3), not by name (us-east-1e): AWS maps
// names to locations per account (AWS RAM, "Availability Zone IDs for your
// AWS resources"), and IDs are the one name of a location that holds in
// every account and in AWS's own lists of unsupported zones. Every lookup
// here uses the consumer's provider, so the service's zone names are turned
// into IDs by that same account's mapping.
type endpointZones struct {
	region string
	// zones are the region's zones that need no opt-in, sorted by name.
	zones []network.Zone
	// services are the endpoint services in the order they are created,
	// by full service name, each with the IDs of the zones offering it.
	services []offeredService
}

type offeredService struct {
	name    string
	zoneIDs map[string]bool
}

// lookupEndpointZones looks up the consumer's zones and each of its
// interface endpoint services: one lookup per service, whatever the number
// of users.
func lookupEndpointZones(ctx *pulumi.Context, cfg *config.Config, provider *aws.Provider, add func(string, string, ...any)) *endpointZones {
	offer := &endpointZones{region: cfg.Region}
	zones, err := network.AvailableZones(ctx, pulumi.Provider(provider))
	if err != nil {
		add("region", "the consumer account's availability zones in %s cannot be read: %v", cfg.Region, err)
		return offer
	}
	offer.zones = zones
	idOf := map[string]string{}
	for _, zone := range zones {
		idOf[zone.Name] = zone.ID
	}
	for _, service := range interfaceEndpoints(cfg) {
		name := network.EndpointServiceName(cfg.Region, service)
		found, err := ec2.LookupVpcEndpointService(ctx, &ec2.LookupVpcEndpointServiceArgs{ServiceName: pulumi.StringRef(name)}, pulumi.Provider(provider))
		if err != nil {
			key := "region"
			if i := slices.Index(cfg.Consumer.VPC.ExtraEndpoints, service); i >= 0 {
				key = fmt.Sprintf("consumer.vpc.extraEndpoints[%d]", i)
			}
			add(key, "the endpoint service %s cannot be found in %s for the consumer account: %v", name, cfg.Region, err)
			continue
		}
		offered := offeredService{name: name, zoneIDs: map[string]bool{}}
		for _, zone := range found.AvailabilityZones {
			if id, ok := idOf[zone]; ok {
				offered.zoneIDs[id] = true
			}
		}
		offer.services = append(offer.services, offered)
	}
	return offer
}

// lacking names the services not offered in a zone.
func (e *endpointZones) lacking(zoneID string) []string {
	var missing []string
	for _, service := range e.services {
		if !service.zoneIDs[zoneID] {
			missing = append(missing, service.name)
		}
	}
	return missing
}

// usable are the zones that offer every service, as "us-east-1a (use1-az1)".
func (e *endpointZones) usable() (zones []network.Zone, described []string) {
	for _, zone := range e.zones {
		if len(e.lacking(zone.ID)) == 0 {
			zones = append(zones, zone)
			described = append(described, fmt.Sprintf("%s (%s)", zone.Name, zone.ID))
		}
	}
	return zones, described
}

// choose picks a created VPC's count zones among those offering every
// service, the first by name.
func (e *endpointZones) choose(count int, add func(string, string, ...any)) []string {
	if e.zones == nil {
		return nil // reported where it was looked up
	}
	zones, described := e.usable()
	if len(zones) < count {
		var short []string
		for _, zone := range e.zones {
			if missing := e.lacking(zone.ID); len(missing) > 0 {
				short = append(short, fmt.Sprintf("%s (%s) lacks %s", zone.Name, zone.ID, strings.Join(missing, ", ")))
			}
		}
		add("consumer.vpc.subnetCount", "is %d, but only %d of %s's zones offer every interface endpoint service the consumer needs (%s; %s): set it to at most %d",
			count, len(zones), e.region, strings.Join(described, ", "), strings.Join(short, "; "), len(zones))
		return nil
	}
	names := make([]string, count)
	for i := range names {
		names[i] = zones[i].Name
	}
	return names
}

// checkSubnet refuses a configured subnet in a zone where an endpoint
// service the consumer needs is not offered.
func (e *endpointZones) checkSubnet(key string, subnet *ec2.LookupSubnetResult, add func(string, string, ...any)) {
	if e.zones == nil {
		return // reported where it was looked up
	}
	missing := e.lacking(subnet.AvailabilityZoneId)
	if len(missing) == 0 {
		return
	}
	_, described := e.usable()
	verb := "is"
	if len(missing) > 1 {
		verb = "are"
	}
	add(key, "%s is in %s (%s), where %s %s not offered; every interface endpoint takes a subnet in each of consumer.vpc.subnetIds, so name subnets in zones that offer all of them: %s",
		subnet.Id, subnet.AvailabilityZone, subnet.AvailabilityZoneId, strings.Join(missing, ", "), verb, strings.Join(described, ", "))
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

// checkWorkgroupZones refuses the subnets of a workgroup to create that span
// fewer than three availability zones (CreateWorkgroup, subnetIds: "at least
// three subnets spanning three Availability Zones").
func checkWorkgroupZones(subnets []*ec2.LookupSubnetResult, add func(string, string, ...any)) {
	zones := map[string]bool{}
	for _, subnet := range subnets {
		if subnet == nil {
			return // already reported
		}
		zones[subnet.AvailabilityZone] = true
	}
	if len(zones) < config.ServerlessSubnets {
		add("producer.vpc.subnetIds", "the subnets span %d availability zones; a Redshift Serverless workgroup needs subnets in at least %d: add subnets of other zones",
			len(zones), config.ServerlessSubnets)
	}
}
