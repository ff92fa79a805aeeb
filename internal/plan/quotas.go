package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/quota"
)

// Quota is one AWS default quota and how close the stack comes to it in one
// account; quotas the account's part of the stack does not touch are left
// out. Used counts what this stack adds. What the account already has (rules
// of an existing group, routes of an existing table, its other groups) is
// not looked up, and counts against the same quota.
type Quota struct {
	Provider  string `json:"provider"`
	AccountID string `json:"accountId"`
	Name      string `json:"name"`
	Limit     int    `json:"limit"`
	Used      int    `json:"used"`
	Headroom  int    `json:"headroom"`
	// Where is the resource that comes closest.
	Where string `json:"where,omitempty"`
	// Key is the configuration key that drives the use.
	Key string `json:"key"`
	// Source is the AWS page that states the quota.
	Source string `json:"source"`
}

// The AWS pages that state the default quotas.
const (
	vpcQuotas      = "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html"
	redshiftQuotas = "https://docs.aws.amazon.com/redshift/latest/mgmt/amazon-redshift-limits.html"
	iamQuotas      = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
	// States the 20,480 characters of an endpoint policy, white space
	// included.
	endpointPolicies = "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html"
	// SageMaker API reference, UserSettings.SecurityGroups: at most 5 per
	// app, one of them SageMaker's own for the home EFS.
	studioGroups = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UserSettings.html"
)

// quotaRule is how one quota is measured over a run.
type quotaRule struct {
	name, key, source string
	limit             int
	// measure returns, per account, the highest use and where it is.
	measure func(resources []offline.Resource, names namer) map[string]usage
}

type usage struct {
	used  int
	where string
}

var quotaRules = []quotaRule{
	{
		name: "inbound rules per security group", limit: quota.RulesPerSecurityGroup, source: vpcQuotas,
		key:     "consumer.studio.userProfiles (no shared group grows with them)",
		measure: countBy("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "securityGroupId", nil),
	},
	{
		name: "outbound rules per security group", limit: quota.RulesPerSecurityGroup, source: vpcQuotas,
		key:     "consumer.studio.userProfiles (no shared group grows with them)",
		measure: countBy("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "securityGroupId", nil),
	},
	{
		name: "security groups per network interface (Studio app)", limit: quota.SecurityGroupsPerInterface, source: studioGroups,
		key:     "consumer.studio.userProfiles",
		measure: groupsPerStudioApp,
	},
	{
		name: "VPC security groups per Region", limit: quota.SecurityGroupsPerRegion, source: vpcQuotas,
		key:     "consumer.studio.userProfiles (one group each)",
		measure: securityGroupsPerRegion,
	},
	{
		name: "network interfaces per Region (a running app each)", limit: quota.NetworkInterfacesPerRegion, source: vpcQuotas,
		key:     "consumer.studio.userProfiles",
		measure: networkInterfaces,
	},
	{
		name: "gateway VPC endpoints per Region", limit: quota.GatewayEndpointsPerRegion, source: vpcQuotas,
		key:     "consumer.vpc.s3GatewayEndpointId",
		measure: countBy("aws:ec2/vpcEndpoint:VpcEndpoint", "", endpointsOfType("Gateway")),
	},
	{
		name: "interface endpoints per VPC", limit: quota.InterfaceEndpointsPerVPC, source: vpcQuotas,
		key:     "consumer.vpc.extraEndpoints",
		measure: countBy("aws:ec2/vpcEndpoint:VpcEndpoint", "vpcId", endpointsOfType("Interface")),
	},
	{
		name: "routes per route table", limit: quota.RoutesPerRouteTable, source: vpcQuotas,
		key:     "consumers (one route each per producer route table), producer.vpc.routeTableIds, consumer.vpc.routeTableIds",
		measure: routesPerTable,
	},
	{
		name: "active VPC peering connections per VPC", limit: quota.PeeringsPerVPC, source: vpcQuotas,
		key:     "consumers (one peering each; connection dataApi or managedEndpoint needs none)",
		measure: peeringsPerVPC,
	},
	{
		name: "IAM roles per account", limit: quota.RolesPerAccount, source: iamQuotas,
		key:     "consumers (a producer role each); with a Redshift Serverless producer, every consumer's consumer.studio.userProfiles (a role each in the data account): raise \"Roles per account\" (up to 5,000) before it is reached",
		measure: countBy("aws:iam/role:Role", "", nil),
	},
	{
		name: "grantee accounts per cluster (managed endpoints)", limit: quota.EndpointGranteesPerCluster, source: redshiftQuotas,
		key:     "consumers[].accountId (one authorization per ML account other than the data account)",
		measure: countBy("aws:redshift/endpointAuthorization:EndpointAuthorization", "clusterIdentifier", nil),
	},
	{
		name: "managed endpoints per cluster", limit: quota.ManagedEndpointsPerCluster, source: redshiftQuotas,
		key:     "consumers (one endpoint each)",
		measure: managedEndpointsPerCluster,
	},
	{
		name: "managed endpoints per authorization", limit: quota.EndpointsPerAuthorization, source: redshiftQuotas,
		key:     "consumers[].accountId (one endpoint per consumer of the account)",
		measure: endpointsPerAuthorization,
	},
	{
		name: "role trust policy length (characters)", limit: quota.TrustPolicyLength, source: iamQuotas,
		key:     "none: each producer role trusts one consumer's execution role, and no user is ever listed",
		measure: policySize("aws:iam/role:Role", "assumeRolePolicy", func(r offline.Resource, _ namer) string { return r.Name }),
	},
	{
		name: "VPC endpoint policy size (characters)", limit: quota.EndpointPolicySize, source: endpointPolicies,
		key:     "consumer.vpc.s3EndpointBuckets (consumer.studio.userProfiles are never listed)",
		measure: endpointPolicySize,
	},
	{
		name: "managed policy size (characters)", limit: quota.ManagedPolicySize, source: iamQuotas,
		key:     "athena.tables, athena.bucket.prefixes (the sign-in and guardrail policies do not grow with the users)",
		measure: policySize("aws:iam/policy:Policy", "policy", func(r offline.Resource, _ namer) string { return r.Name }),
	},
	{
		name: "inline policies per role, in all (characters)", limit: quota.InlinePoliciesPerRole, source: iamQuotas,
		key:     "producer.redshift.dbGroups, producer.redshift.adminUsers, consumer.studio.pipIndexUrl, consumer.studio.instanceTypes",
		measure: policySize("aws:iam/rolePolicy:RolePolicy", "policy", func(r offline.Resource, names namer) string { return names.name(r.String("role")) }),
	},
	{
		name: "managed policies per role", limit: quota.ManagedPoliciesPerRole, source: iamQuotas,
		key:     "consumer.studio.executionRolePolicyArns",
		measure: countBy("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "role", nil),
	},
}

// buildQuotas measures every quota in every account of the plan.
func (p *Plan) buildQuotas(all []offline.Resource, names namer) {
	p.Quotas = []Quota{}
	for _, account := range p.Accounts {
		for _, q := range quotaRules {
			use := q.measure(all, names)[account.Provider]
			if use.used == 0 {
				continue // nothing of this kind in this account
			}
			p.Quotas = append(p.Quotas, Quota{
				Provider: account.Provider, AccountID: account.AccountID, Name: q.name,
				Limit: q.limit, Used: use.used, Headroom: q.limit - use.used, Where: use.where,
				Key: q.key, Source: q.source,
			})
		}
	}
}

// Exceeded returns an error naming every quota the stack would exceed and the
// configuration key that drives it, or nil.
func (p *Plan) Exceeded() error {
	var over []string
	for _, q := range p.Quotas {
		if q.Used > q.Limit {
			over = append(over, fmt.Sprintf("%s: %s account %s would use %d of the default quota of %d %s (at %s); see %s",
				q.Key, q.Provider, q.AccountID, q.Used, q.Limit, q.Name, q.Where, q.Source))
		}
	}
	if len(over) == 0 {
		return nil
	}
	return fmt.Errorf("the stack exceeds AWS default quotas; change the configuration or ask AWS to raise the quota first:\n  %s", strings.Join(over, "\n  "))
}

// highest keeps, per account, the highest count and where it is.
func highest(counts map[[2]string]int) map[string]usage {
	out := map[string]usage{}
	keys := make([][2]string, 0, len(counts))
	for key := range counts {
		keys = append(keys, key)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][1] < keys[j][1] })
	for _, key := range keys {
		if counts[key] > out[key[0]].used {
			out[key[0]] = usage{used: counts[key], where: key[1]}
		}
	}
	return out
}

// countBy counts the resources of a type (those keep admits, or all), per
// account and per the resource their property names (rules per group,
// endpoints per VPC, attachments per role), or per account alone where
// property is empty.
func countBy(typ, property string, keep func(offline.Resource) bool) func([]offline.Resource, namer) map[string]usage {
	return func(all []offline.Resource, names namer) map[string]usage {
		counts := map[[2]string]int{}
		for _, r := range all {
			if r.Type == typ && (keep == nil || keep(r)) {
				where := "this stack's, besides the account's own"
				if property != "" {
					where = names.name(r.String(property))
				}
				counts[[2]string{r.Provider, where}]++
			}
		}
		return highest(counts)
	}
}

// endpointsOfType keeps the VPC endpoints of one type (Interface, Gateway).
func endpointsOfType(kind string) func(offline.Resource) bool {
	return func(r offline.Resource) bool { return r.String("vpcEndpointType") == kind }
}

// groupsPerStudioApp counts the groups on the busiest Studio app: the
// domain's defaults, aggregated with the profile's own, and SageMaker's.
func groupsPerStudioApp(all []offline.Resource, _ namer) map[string]usage {
	domainDefaults := 0
	for _, r := range all {
		if r.Type == "aws:sagemaker/domain:Domain" {
			domainDefaults = max(domainDefaults, len(securityGroupsIn(r.InputAt("defaultUserSettings", "securityGroups"))))
		}
	}
	counts := map[[2]string]int{}
	for _, r := range all {
		if r.Type != "aws:sagemaker/userProfile:UserProfile" {
			continue
		}
		counts[[2]string{r.Provider, "apps of " + r.String("userProfileName")}] = domainDefaults + len(securityGroupsIn(r.InputAt("userSettings", "securityGroups"))) + quota.SageMakerAppGroups
	}
	return highest(counts)
}

func securityGroupsIn(groups any) []any {
	list, _ := groups.([]any)
	return list
}

func securityGroupsPerRegion(all []offline.Resource, _ namer) map[string]usage {
	out := map[string]usage{}
	for _, r := range all {
		switch r.Type {
		case "aws:ec2/securityGroup:SecurityGroup":
			u := out[r.Provider]
			u.used++
			out[r.Provider] = u
		case "aws:sagemaker/domain:Domain":
			u := out[r.Provider]
			u.used += quota.SageMakerDomainGroups
			out[r.Provider] = u
		}
	}
	for provider, u := range out {
		u.where = "this stack's groups and SageMaker's, besides the account's own"
		out[provider] = u
	}
	return out
}

// routesPerTable counts the routes the stack adds to each table, gateway
// endpoint routes included.
func routesPerTable(all []offline.Resource, names namer) map[string]usage {
	counts := map[[2]string]int{}
	for _, r := range all {
		switch r.Type {
		case "aws:ec2/route:Route":
			counts[[2]string{r.Provider, names.name(r.String("routeTableId"))}]++
		case "aws:ec2/vpcEndpoint:VpcEndpoint":
			tables, _ := r.Input("routeTableIds").([]any)
			for _, table := range tables {
				if id, ok := table.(string); ok {
					counts[[2]string{r.Provider, names.name(id)}]++
				}
			}
		}
	}
	return highest(counts)
}

func peeringsPerVPC(all []offline.Resource, names namer) map[string]usage {
	counts := map[[2]string]int{}
	for _, r := range all {
		switch r.Type {
		case "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
			counts[[2]string{r.Provider, names.name(r.String("vpcId"))}]++
		case "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter":
			counts[[2]string{r.Provider, "accepted by this account"}]++
		}
	}
	return highest(counts)
}

// policySize measures IAM documents as IAM counts them, without white space,
// summed per owner.
func policySize(typ, property string, owner func(offline.Resource, namer) string) func([]offline.Resource, namer) map[string]usage {
	return func(all []offline.Resource, names namer) map[string]usage {
		counts := map[[2]string]int{}
		for _, r := range all {
			if r.Type == typ {
				counts[[2]string{r.Provider, owner(r, names)}] += iamLength(r.String(property))
			}
		}
		return highest(counts)
	}
}

// endpointPolicySize measures each endpoint's policy as written: unlike
// IAM's, the endpoint policy limit counts white space too.
func endpointPolicySize(all []offline.Resource, _ namer) map[string]usage {
	counts := map[[2]string]int{}
	for _, r := range all {
		if r.Type == "aws:ec2/vpcEndpoint:VpcEndpoint" {
			counts[[2]string{r.Provider, r.Name}] = utf8.RuneCountInString(r.String("policy"))
		}
	}
	return highest(counts)
}

// iamLength is a document's length as IAM's quotas count it: compact JSON,
// white space not counted.
func iamLength(document string) int {
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(document)); err != nil {
		compact.Reset()
		compact.WriteString(document)
	}
	n := 0
	for _, c := range compact.String() {
		if !unicode.IsSpace(c) {
			n++
		}
	}
	return n
}

// networkInterfaces counts the interfaces the stack puts in the account's
// Region when every user runs one app: one per app, and one per interface
// endpoint and subnet.
func networkInterfaces(all []offline.Resource, _ namer) map[string]usage {
	out := map[string]usage{}
	for _, r := range all {
		n := 0
		switch {
		case r.Type == "aws:sagemaker/userProfile:UserProfile":
			n = 1
		case r.Type == "aws:ec2/vpcEndpoint:VpcEndpoint" && r.String("vpcEndpointType") == "Interface":
			subnets, _ := r.Input("subnetIds").([]any)
			n = len(subnets)
		}
		if n > 0 {
			u := out[r.Provider]
			u.used += n
			u.where = "one app per user, and the interface endpoints in each subnet"
			out[r.Provider] = u
		}
	}
	return out
}

// managedEndpointsPerCluster counts, per cluster, the endpoints the stack
// creates, and in the data account those its authorizations admit: each
// authorized VPC is one consumer's, which creates one endpoint in its own
// stack.
func managedEndpointsPerCluster(all []offline.Resource, _ namer) map[string]usage {
	counts := map[[2]string]int{}
	for _, r := range all {
		switch r.Type {
		case "aws:redshift/endpointAccess:EndpointAccess":
			counts[[2]string{r.Provider, "cluster " + r.String("clusterIdentifier")}]++
		case "aws:redshift/endpointAuthorization:EndpointAuthorization":
			vpcs, _ := r.Input("vpcIds").([]any)
			counts[[2]string{r.Provider, "cluster " + r.String("clusterIdentifier") + ", authorized"}] += len(vpcs)
		}
	}
	return highest(counts)
}

// endpointsPerAuthorization counts the VPCs each authorization admits, one
// consumer's endpoint each.
func endpointsPerAuthorization(all []offline.Resource, _ namer) map[string]usage {
	counts := map[[2]string]int{}
	for _, r := range all {
		if r.Type == "aws:redshift/endpointAuthorization:EndpointAuthorization" {
			vpcs, _ := r.Input("vpcIds").([]any)
			counts[[2]string{r.Provider, "authorization of " + r.String("account")}] = len(vpcs)
		}
	}
	return highest(counts)
}
