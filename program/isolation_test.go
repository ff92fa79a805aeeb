package program

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/studio-redshift/studio-redshift/internal/offline"
)

// sgRule is one security group rule as registered, parsed from its inputs.
type sgRule struct {
	urn                         string
	group                       string
	egress                      bool
	peerGroup, cidr, prefixList string
	protocol                    string
	from, to                    int
}

func securityGroupRules(result *offline.Result) []sgRule {
	var rules []sgRule
	for _, typ := range []string{ingressType, egressType} {
		for _, r := range result.OfType(typ) {
			from, _ := r.Input("fromPort").(float64)
			to, _ := r.Input("toPort").(float64)
			rules = append(rules, sgRule{
				urn: r.URN, group: r.String("securityGroupId"), egress: typ == egressType,
				peerGroup: r.String("referencedSecurityGroupId"), cidr: r.String("cidrIpv4"), prefixList: r.String("prefixListId"),
				protocol: r.String("ipProtocol"), from: int(from), to: int(to),
			})
		}
	}
	return rules
}

func rulesOf(rules []sgRule, group string, egress bool) []sgRule {
	var out []sgRule
	for _, r := range rules {
		if r.group == group && r.egress == egress {
			out = append(out, r)
		}
	}
	return out
}

func withoutURN(rules []sgRule) []sgRule {
	out := make([]sgRule, len(rules))
	for i, r := range rules {
		r.urn = ""
		out[i] = r
	}
	return out
}

// covers reports whether a rule's protocol and ports allow a TCP port.
func (r sgRule) covers(port int) bool {
	return r.protocol == "-1" || (r.protocol == "tcp" && r.from <= port && port <= r.to)
}

// studioTopology is what the reachability checks need to know of a stack.
type studioTopology struct {
	producerCIDR, consumerCIDR string
	port                       int
	// clusterGroup is the Redshift cluster's security group ID, for a
	// peering; managedEndpointGroup the managed endpoint's group; neither
	// for the Data API, which has no network path to the cluster.
	clusterGroup         string
	managedEndpointGroup string
}

// appGroups are the groups on each user's Studio apps, as SageMaker
// assembles them: the domain's DefaultUserSettings groups aggregated with the
// profile's own (SageMaker API reference, UserSettings.SecurityGroups).
// SageMaker's own NFS group is left out: it only reaches the home EFS.
func appGroups(t *testing.T, result *offline.Result) map[string][]string {
	t.Helper()
	domain := one(t, result, domainType, "consumer-domain")
	defaults := stringsOf(domain.Input("defaultUserSettings").(map[string]any)["securityGroups"])
	apps := map[string][]string{}
	for _, profile := range result.OfType(userProfileType) {
		own := stringsOf(profile.Input("userSettings").(map[string]any)["securityGroups"])
		apps[profile.String("userProfileName")] = append(append([]string{}, defaults...), own...)
	}
	return apps
}

func stringsOf(value any) []string {
	list, _ := value.([]any)
	out := make([]string, 0, len(list))
	for _, item := range list {
		out = append(out, fmt.Sprint(item))
	}
	return out
}

// assertIsolatedAndReachable checks the promise of the security group
// design on every user: no rule on a group of one user's apps admits a group
// of another user's apps, or an address range that holds the Studio subnets;
// and each user's apps still reach each other, the endpoints on 443 and the
// Redshift port.
func assertIsolatedAndReachable(t *testing.T, result *offline.Result, topology studioTopology) {
	t.Helper()
	rules := securityGroupRules(result)
	apps := appGroups(t, result)
	owners := map[string]map[string]bool{} // group → users whose apps carry it
	for user, groups := range apps {
		for _, group := range groups {
			if owners[group] == nil {
				owners[group] = map[string]bool{}
			}
			owners[group][user] = true
		}
	}
	consumerBlock := netip.MustParsePrefix(topology.consumerCIDR)
	ingress := map[string][]sgRule{}
	egress := map[string][]sgRule{}
	for _, r := range rules {
		if r.egress {
			egress[r.group] = append(egress[r.group], r)
		} else {
			ingress[r.group] = append(ingress[r.group], r)
		}
	}

	// Isolation.
	for _, r := range rules {
		if r.egress || len(owners[r.group]) == 0 {
			continue
		}
		for admitted := range owners[r.peerGroup] {
			for owner := range owners[r.group] {
				if admitted != owner {
					t.Errorf("%s lets the apps of %s into the apps of %s", r.urn, admitted, owner)
					return
				}
			}
		}
		if r.cidr != "" && netip.MustParsePrefix(r.cidr).Overlaps(consumerBlock) {
			t.Errorf("%s admits %s, which holds the Studio subnets, into Studio apps", r.urn, r.cidr)
		}
		if r.prefixList != "" {
			t.Errorf("%s admits a prefix list into Studio apps", r.urn)
		}
	}

	// Reachability: a connection needs egress from one of the source's
	// groups and ingress on one of the destination's groups.
	sends := func(from []string, port int, to func(sgRule) bool) bool {
		for _, group := range from {
			for _, r := range egress[group] {
				if r.covers(port) && to(r) {
					return true
				}
			}
		}
		return false
	}
	admits := func(into []string, port int, from func(sgRule) bool) bool {
		for _, group := range into {
			for _, r := range ingress[group] {
				if r.covers(port) && from(r) {
					return true
				}
			}
		}
		return false
	}
	peerIn := func(groups []string) func(sgRule) bool {
		set := map[string]bool{}
		for _, group := range groups {
			set[group] = true
		}
		return func(r sgRule) bool { return set[r.peerGroup] }
	}
	cidrHolds := func(block string) func(sgRule) bool {
		target := netip.MustParsePrefix(block)
		return func(r sgRule) bool {
			return r.cidr != "" && netip.MustParsePrefix(r.cidr).Bits() <= target.Bits() && netip.MustParsePrefix(r.cidr).Contains(target.Addr())
		}
	}
	endpoints := []string{one(t, result, securityGroupType, "consumer-endpoints").ID}
	for user, groups := range apps {
		for _, port := range []int{8192, 8888, 65535} {
			if !sends(groups, port, peerIn(groups)) || !admits(groups, port, peerIn(groups)) {
				t.Errorf("%s's apps cannot reach each other on %d", user, port)
			}
		}
		if !sends(groups, 443, peerIn(endpoints)) || !admits(endpoints, 443, peerIn(groups)) {
			t.Errorf("%s's apps cannot reach the endpoints on 443", user)
		}
		switch {
		case topology.clusterGroup != "":
			if !sends(groups, topology.port, cidrHolds(topology.producerCIDR)) {
				t.Errorf("%s's apps cannot send to Redshift on %d", user, topology.port)
			}
		case topology.managedEndpointGroup != "":
			endpoint := []string{topology.managedEndpointGroup}
			if !sends(groups, topology.port, peerIn(endpoint)) || !admits(endpoint, topology.port, peerIn(groups)) {
				t.Errorf("%s's apps cannot reach the managed endpoint on %d", user, topology.port)
			}
		default:
			if sends(groups, topology.port, func(sgRule) bool { return true }) {
				t.Errorf("%s's apps have a network path to Redshift's port, which the Data API does not need", user)
			}
		}
	}
	if topology.clusterGroup != "" {
		assert.True(t, admits([]string{topology.clusterGroup}, topology.port, cidrHolds(topology.consumerCIDR)),
			"the cluster admits its port from the consumer VPC")
	}
}
