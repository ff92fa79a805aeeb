// Package plan turns an offline run of the program into what a reviewer
// reads: resources by account, every IAM document, the network, the outputs
// and totals, as text, JSON or a Mermaid diagram. Everything is sorted, so the
// same configuration always renders byte-identical output.
package plan

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// Plan is the whole plan; its JSON field names are a stable interface
// documented in docs/operations.md.
type Plan struct {
	Project   string         `json:"project"`
	Stack     string         `json:"stack"`
	Region    string         `json:"region"`
	Accounts  []Account      `json:"accounts"`
	Resources []Resource     `json:"resources"`
	Policies  []Policy       `json:"policies"`
	Network   Network        `json:"network"`
	Outputs   map[string]any `json:"outputs"`
	Totals    Totals         `json:"totals"`
	Costs     []Cost         `json:"costs"`
	// Quotas are the AWS default quotas the stack comes closest to, per
	// account.
	Quotas []Quota `json:"quotas"`

	names namer
}

// Account is one AWS account the stack deploys into, by its provider's name.
type Account struct {
	Provider  string `json:"provider"`
	AccountID string `json:"accountId"`
	Resources int    `json:"resources"`
}

// Resource is one registered resource. Components have no provider.
type Resource struct {
	URN       string `json:"urn"`
	Type      string `json:"type"`
	Name      string `json:"name"`
	Parent    string `json:"parent,omitempty"`
	Provider  string `json:"provider,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	Protected bool   `json:"protected"`
	// RetainOnDelete is set where `pulumi destroy` leaves the resource in
	// AWS and only forgets it.
	RetainOnDelete bool `json:"retainOnDelete"`
	// ReplaceOnChange are the inputs this resource sets whose change makes
	// the provider delete and recreate it (see replaceOnChange).
	ReplaceOnChange []string `json:"replaceOnChange,omitempty"`
	// ID and Arn are placeholders in the shape AWS uses.
	ID         string         `json:"id,omitempty"`
	Arn        string         `json:"arn,omitempty"`
	Summary    string         `json:"summary,omitempty"`
	Properties map[string]any `json:"properties"`
}

// Policy is an IAM document (trust, inline, managed or resource policy), or a
// managed policy attachment (Arn set, no Document).
type Policy struct {
	Kind      string           `json:"kind"`
	Resource  string           `json:"resource"`
	Type      string           `json:"type"`
	Role      string           `json:"role,omitempty"`
	Provider  string           `json:"provider"`
	AccountID string           `json:"accountId"`
	Arn       string           `json:"arn,omitempty"`
	Document  *policy.Document `json:"document,omitempty"`
}

// Network is what a network reviewer checks.
type Network struct {
	Routes    []Route    `json:"routes"`
	Rules     []Rule     `json:"securityGroupRules"`
	Endpoints []Endpoint `json:"endpoints"`
}

// Route is one route: traffic to Destination in RouteTable goes to Target.
type Route struct {
	Provider    string `json:"provider"`
	RouteTable  string `json:"routeTable"`
	Destination string `json:"destination"`
	Target      string `json:"target"`
}

// Rule is one security group rule.
type Rule struct {
	Provider  string `json:"provider"`
	Group     string `json:"group"`
	Direction string `json:"direction"`
	Protocol  string `json:"protocol"`
	Ports     string `json:"ports"`
	Peer      string `json:"peer"`
}

// Endpoint is one VPC endpoint.
type Endpoint struct {
	Provider   string `json:"provider"`
	Service    string `json:"service"`
	Type       string `json:"type"`
	PrivateDNS bool   `json:"privateDns"`
}

// Totals count the AWS resources (not components or providers).
type Totals struct {
	Resources int            `json:"resources"`
	ByAccount map[string]int `json:"byAccount"`
	ByType    map[string]int `json:"byType"`
}

// Build assembles the plan of one run.
func Build(project, stack string, result *offline.Result) (*Plan, error) {
	p := &Plan{
		Project: project,
		Stack:   stack,
		Outputs: result.Outputs,
		Totals:  Totals{ByAccount: map[string]int{}, ByType: map[string]int{}},
		Network: Network{Routes: []Route{}, Rules: []Rule{}, Endpoints: []Endpoint{}},
	}
	all := result.Resources()
	names := newNamer(all)
	p.names = names

	for _, r := range all {
		if r.Type != offline.ProviderType {
			continue
		}
		p.Region = r.String("region")
		p.Accounts = append(p.Accounts, Account{Provider: r.Name, AccountID: r.Account})
	}
	sort.Slice(p.Accounts, func(i, j int) bool {
		return providerOrder(p.Accounts[i].Provider) < providerOrder(p.Accounts[j].Provider)
	})

	for _, r := range treeOrder(all) {
		arn, _ := r.Output("arn").(string)
		properties := map[string]any{}
		for key := range r.Inputs {
			properties[string(key)] = r.Input(string(key))
		}
		p.Resources = append(p.Resources, Resource{
			URN: r.URN, Type: displayType(r.Type), Name: r.Name, Parent: r.Parent,
			Provider: r.Provider, AccountID: r.Account, Protected: r.Protect, RetainOnDelete: r.RetainOnDelete,
			ReplaceOnChange: replacedBy(r), ID: r.ID, Arn: arn,
			Summary: summarize(r, names), Properties: properties,
		})
		if !r.InAWS() {
			continue
		}
		p.Totals.Resources++
		p.Totals.ByAccount[r.Provider]++
		p.Totals.ByType[displayType(r.Type)]++

		found, err := policiesOf(r, names)
		if err != nil {
			return nil, err
		}
		p.Policies = append(p.Policies, found...)
		p.Network.add(r, names)
	}
	for i := range p.Accounts {
		p.Accounts[i].Resources = p.Totals.ByAccount[p.Accounts[i].Provider]
	}
	p.Network.sort()
	sortPolicies(p.Policies)
	p.Costs = estimateCosts(p)
	p.buildQuotas(all, names)
	return p, nil
}

// sortPolicies orders documents by account, role, kind and resource.
func sortPolicies(policies []Policy) {
	key := func(pol Policy) string {
		return fmt.Sprint(providerOrder(pol.Provider), pol.Role, pol.Kind, pol.Resource)
	}
	sort.SliceStable(policies, func(i, j int) bool { return key(policies[i]) < key(policies[j]) })
}

// replaceOnChange lists, per type, the inputs whose change replaces the
// resource: ForceNew in terraform-provider-aws 5.x, on which pulumi-aws 6.x
// is built (internal/service/sagemaker/domain.go, ec2/vpc_security_group.go,
// redshift/cluster.go). The domain's subnets, VPC, KMS key and groups are
// among them (terraform-provider-aws #48778, #40600), and no other domain
// input can be updated in VpcOnly mode either (#45528): a reviewer must see
// these before a change reaches `pulumi up`. SageMaker has no API to update
// a Studio lifecycle configuration, so all of its inputs replace it.
//
// A feature group (internal/service/sagemaker/feature_group.go) updates in
// place only its online store's TTL and its throughput: every other input,
// the feature definitions among them, replaces the group and deletes its
// online store, even where AWS could add the feature (UpdateFeatureGroup's
// FeatureAdditions; terraform-provider-aws #36784, #26809). docs/athena-and-feature-store.md's
// Feature Store section has the runbook that adds a feature without it.
var replaceOnChange = map[string][]string{
	"aws:sagemaker/domain:Domain": {"domainName", "authMode", "appNetworkAccessType", "vpcId", "subnetIds",
		"kmsKeyId", "domainSettings.securityGroupIds", "retentionPolicy", "appSecurityGroupManagement"},
	"aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig": {"studioLifecycleConfigName",
		"studioLifecycleConfigAppType", "studioLifecycleConfigContent"},
	"aws:ec2/securityGroup:SecurityGroup": {"name", "namePrefix", "description", "vpcId"},
	"aws:redshift/cluster:Cluster":        {"clusterIdentifier", "clusterSubnetGroupName", "masterUsername"},
	"aws:sagemaker/featureGroup:FeatureGroup": {"featureGroupName", "description", "recordIdentifierFeatureName",
		"eventTimeFeatureName", "featureDefinitions", "roleArn", "offlineStoreConfig",
		"onlineStoreConfig.enableOnlineStore", "onlineStoreConfig.securityConfig", "onlineStoreConfig.storageType"},
}

// replacedBy are the replace-on-change inputs r sets, by dotted path.
func replacedBy(r offline.Resource) []string {
	var set []string
	for _, path := range replaceOnChange[r.Type] {
		first, rest, nested := strings.Cut(path, ".")
		value := r.Input(first)
		if object, ok := value.(map[string]any); ok && nested {
			value = object[rest]
		}
		if value != nil && value != "" {
			set = append(set, path)
		}
	}
	return set
}

// providerOrder puts the consumer (where users start) before the producer.
func providerOrder(provider string) string {
	switch provider {
	case "consumer":
		return "0"
	case "producer":
		return "1"
	}
	return "2" + provider
}

// displayType shortens a type token as the Pulumi CLI shows it:
// aws:ec2/vpcEndpoint:VpcEndpoint → aws:ec2:VpcEndpoint.
func displayType(token string) string {
	parts := strings.Split(token, ":")
	if len(parts) != 3 {
		return token
	}
	module, _, _ := strings.Cut(parts[1], "/")
	return parts[0] + ":" + module + ":" + parts[2]
}

// treeOrder lists resources depth-first from the stack root, children sorted
// by type and name, so a parent always precedes its children.
func treeOrder(all []offline.Resource) []offline.Resource {
	children := map[string][]offline.Resource{}
	urns := map[string]bool{}
	for _, r := range all {
		urns[r.URN] = true
	}
	for _, r := range all {
		parent := r.Parent
		if !urns[parent] {
			parent = "" // the stack itself
		}
		children[parent] = append(children[parent], r)
	}
	var out []offline.Resource
	var walk func(string)
	walk = func(parent string) {
		kids := children[parent]
		sort.Slice(kids, func(i, j int) bool {
			if kids[i].Type != kids[j].Type {
				return kids[i].Type < kids[j].Type
			}
			return kids[i].Name < kids[j].Name
		})
		for _, kid := range kids {
			out = append(out, kid)
			walk(kid.URN)
		}
	}
	walk("")
	return out
}

// namer shows IDs by the logical name of the resource that owns them, so
// "sg-0f3a…" reads as "consumer-endpoints".
type namer map[string]string

// sharedIDs are types whose ID is another resource's (the peering
// connection's): they must not rename it.
var sharedIDs = map[string]bool{
	"aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": true,
	"aws:ec2/peeringConnectionOptions:PeeringConnectionOptions":         true,
}

func newNamer(all []offline.Resource) namer {
	n := namer{}
	for _, r := range all {
		if r.Custom && r.ID != "" && !sharedIDs[r.Type] {
			n[r.ID] = r.Name
		}
		if arn, ok := r.Output("arn").(string); ok {
			n[arn] = r.Name
		}
	}
	return n
}

// name returns "logical-name" for an ID the stack created, and the ID with
// "(existing)" for one that came from configuration.
func (n namer) name(id string) string {
	if name, ok := n[id]; ok {
		return name
	}
	return id + " (existing)"
}

// label is the logical name of a resource the stack creates, or the ID
// itself where configuration named an existing one.
func (n namer) label(id string) string {
	if name, ok := n[id]; ok {
		return name
	}
	return id
}

// policyProperties says where IAM documents live, per resource type.
var policyProperties = map[string]struct{ property, kind string }{
	"aws:iam/role:Role":                                 {"assumeRolePolicy", "trust"},
	"aws:iam/rolePolicy:RolePolicy":                     {"policy", "inline"},
	"aws:iam/policy:Policy":                             {"policy", "managed"},
	"aws:kms/key:Key":                                   {"policy", "key"},
	"aws:s3/bucketPolicy:BucketPolicy":                  {"policy", "bucket"},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                   {"policy", "endpoint"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {"policyArn", "attachment"},
}

func policiesOf(r offline.Resource, names namer) ([]Policy, error) {
	where, ok := policyProperties[r.Type]
	text := r.String(where.property)
	if !ok || text == "" {
		return nil, nil
	}
	found := Policy{Kind: where.kind, Resource: r.Name, Type: displayType(r.Type), Provider: r.Provider, AccountID: r.Account}
	switch r.Type {
	case "aws:iam/role:Role":
		found.Role = r.Name
	case "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		found.Role = names.name(r.String("role"))
	}
	if where.kind == "attachment" {
		found.Arn = text
		return []Policy{found}, nil
	}
	doc, err := policy.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.URN, err)
	}
	found.Document = &doc
	return []Policy{found}, nil
}

func (n *Network) add(r offline.Resource, names namer) {
	switch r.Type {
	case "aws:ec2/route:Route":
		n.Routes = append(n.Routes, Route{Provider: r.Provider, RouteTable: names.name(r.String("routeTableId")),
			Destination: r.String("destinationCidrBlock"), Target: routeTarget(r, names)})
	case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
		direction := "ingress"
		if strings.Contains(r.Type, "Egress") {
			direction = "egress"
		}
		n.Rules = append(n.Rules, Rule{Provider: r.Provider, Group: names.name(r.String("securityGroupId")),
			Direction: direction, Protocol: r.String("ipProtocol"), Ports: ports(r), Peer: peer(r, names)})
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		privateDNS, _ := r.Input("privateDnsEnabled").(bool)
		n.Endpoints = append(n.Endpoints, Endpoint{Provider: r.Provider, Service: r.String("serviceName"),
			Type: r.String("vpcEndpointType"), PrivateDNS: privateDNS})
	}
}

func (n *Network) sort() {
	sort.Slice(n.Routes, func(i, j int) bool {
		return providerOrder(n.Routes[i].Provider)+fmt.Sprint(n.Routes[i]) < providerOrder(n.Routes[j].Provider)+fmt.Sprint(n.Routes[j])
	})
	ruleKey := func(r Rule) string {
		from, _, _ := strings.Cut(r.Ports, "-")
		return fmt.Sprintf("%s %s %s %05s %s", providerOrder(r.Provider), r.Group, r.Direction, from, r.Peer)
	}
	sort.Slice(n.Rules, func(i, j int) bool { return ruleKey(n.Rules[i]) < ruleKey(n.Rules[j]) })
	sort.Slice(n.Endpoints, func(i, j int) bool {
		a, b := n.Endpoints[i], n.Endpoints[j]
		return providerOrder(a.Provider)+a.Type+a.Service < providerOrder(b.Provider)+b.Type+b.Service
	})
}

// routeTarget names where a route sends its traffic.
func routeTarget(r offline.Resource, names namer) string {
	for _, key := range []string{"vpcPeeringConnectionId", "natGatewayId", "gatewayId", "transitGatewayId", "vpcEndpointId"} {
		if id := r.String(key); id != "" {
			return names.name(id)
		}
	}
	return ""
}

func ports(r offline.Resource) string {
	if r.String("ipProtocol") == "-1" {
		return "all" // every protocol takes every port
	}
	from, _ := r.Input("fromPort").(float64)
	to, _ := r.Input("toPort").(float64)
	if from == to {
		return fmt.Sprint(from)
	}
	return fmt.Sprintf("%v-%v", from, to)
}

func peer(r offline.Resource, names namer) string {
	switch {
	case r.String("referencedSecurityGroupId") != "":
		if r.String("referencedSecurityGroupId") == r.String("securityGroupId") {
			return "itself"
		}
		return names.name(r.String("referencedSecurityGroupId"))
	case r.String("prefixListId") != "":
		return "prefix list " + r.String("prefixListId")
	case r.String("cidrIpv4") != "":
		return r.String("cidrIpv4")
	}
	return r.String("cidrIpv6")
}

// summarize is the one line a reviewer reads next to a resource.
func summarize(r offline.Resource, names namer) string {
	var parts []string
	add := func(label, value string) {
		if value != "" {
			parts = append(parts, label+"="+value)
		}
	}
	switch r.Type {
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		add("service", r.String("serviceName"))
		add("type", r.String("vpcEndpointType"))
		if dns, ok := r.Input("privateDnsEnabled").(bool); ok {
			add("privateDns", fmt.Sprint(dns))
		}
	case "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
		add("vpc", names.name(r.String("vpcId")))
		if r.Type == "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup" && r.Input("ingress") == nil && r.Input("egress") == nil {
			parts = append(parts, "rules=none")
		}
	case "aws:ec2/vpc:Vpc":
		add("cidr", r.String("cidrBlock"))
		add("dnsSupport", fmt.Sprint(r.Input("enableDnsSupport")))
		add("dnsHostnames", fmt.Sprint(r.Input("enableDnsHostnames")))
	case "aws:ec2/subnet:Subnet":
		add("cidr", r.String("cidrBlock"))
		add("az", r.String("availabilityZone"))
	case "aws:ec2/routeTableAssociation:RouteTableAssociation":
		add("subnet", names.name(r.String("subnetId")))
		add("routeTable", names.name(r.String("routeTableId")))
	case "aws:ec2/natGateway:NatGateway":
		add("subnet", names.name(r.String("subnetId")))
	case "aws:ec2/flowLog:FlowLog":
		add("vpc", names.name(r.String("vpcId")))
		add("traffic", r.String("trafficType"))
		add("destination", names.name(r.String("logDestination")))
	case "aws:cloudwatch/logGroup:LogGroup":
		if days, ok := r.Input("retentionInDays").(float64); ok {
			add("retentionDays", fmt.Sprint(days))
		}
	case "aws:redshift/cluster:Cluster":
		add("id", r.String("clusterIdentifier"))
		add("nodes", fmt.Sprintf("%v×%s", r.Input("numberOfNodes"), r.String("nodeType")))
		for _, key := range []string{"encrypted", "publiclyAccessible", "enhancedVpcRouting", "manageMasterPassword"} {
			add(key, fmt.Sprint(r.Input(key)))
		}
	case "aws:s3/bucketV2:BucketV2":
		add("bucket", r.String("bucket"))
	case "aws:athena/workgroup:Workgroup":
		add("name", r.String("name"))
		if configuration, ok := r.Input("configuration").(map[string]any); ok {
			add("enforced", fmt.Sprint(configuration["enforceWorkgroupConfiguration"]))
		}
	case "aws:glue/catalogDatabase:CatalogDatabase":
		add("name", r.String("name"))
	case "aws:glue/catalogTable:CatalogTable":
		add("table", r.String("databaseName")+"."+r.String("name"))
		if storage, ok := r.Input("storageDescriptor").(map[string]any); ok {
			add("location", fmt.Sprint(storage["location"]))
		}
		if parameters, ok := r.Input("parameters").(map[string]any); ok {
			add("format", fmt.Sprint(parameters["classification"]))
		}
	case "aws:sagemaker/featureGroup:FeatureGroup":
		add("name", r.String("featureGroupName"))
		if offline, ok := r.Input("offlineStoreConfig").(map[string]any); ok {
			if storage, ok := offline["s3StorageConfig"].(map[string]any); ok {
				add("offlineStore", fmt.Sprint(storage["s3Uri"]))
			}
		}
		if online, ok := r.Input("onlineStoreConfig").(map[string]any); ok {
			add("onlineStore", fmt.Sprint(online["enableOnlineStore"]))
		}
	case "aws:kms/grant:Grant":
		add("grantee", names.label(r.String("granteePrincipal")))
		add("operations", fmt.Sprint(r.Input("operations")))
	case "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig":
		add("name", r.String("studioLifecycleConfigName"))
		add("app", r.String("studioLifecycleConfigAppType"))
	case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
		parts = append(parts, fmt.Sprintf("%s %s into %s from %s", r.String("ipProtocol"), ports(r), names.name(r.String("securityGroupId")), peer(r, names)))
	case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
		parts = append(parts, fmt.Sprintf("%s %s out of %s to %s", r.String("ipProtocol"), ports(r), names.name(r.String("securityGroupId")), peer(r, names)))
	case "aws:ec2/route:Route":
		parts = append(parts, fmt.Sprintf("%s → %s in %s", r.String("destinationCidrBlock"), routeTarget(r, names), names.name(r.String("routeTableId"))))
	case "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
		add("vpc", r.String("vpcId"))
		add("peerVpc", r.String("peerVpcId"))
		add("peerOwner", r.String("peerOwnerId"))
	case "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter":
		add("accepts", names.name(r.String("vpcPeeringConnectionId")))
	case "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions":
		for _, side := range []string{"requester", "accepter"} {
			if options, ok := r.Input(side).(map[string]any); ok {
				add(side+".remoteDnsResolution", fmt.Sprint(options["allowRemoteVpcDnsResolution"]))
			}
		}
	case "aws:sagemaker/domain:Domain":
		add("name", r.String("domainName"))
		add("auth", r.String("authMode"))
		add("network", r.String("appNetworkAccessType"))
		if settings, ok := r.Input("domainSettings").(map[string]any); ok {
			add("identity", fmt.Sprint(settings["executionRoleIdentityConfig"]))
		}
		if retention, ok := r.Input("retentionPolicy").(map[string]any); ok {
			add("homeEfs", fmt.Sprint(retention["homeEfsFileSystem"]))
		}
	case "aws:sagemaker/userProfile:UserProfile":
		add("user", r.String("userProfileName"))
		settings, _ := r.Input("userSettings").(map[string]any)
		team := teamSettingsOf(settings)
		if team.idleMinutes > 0 {
			add("idleShutdown", fmt.Sprintf("%dmin", team.idleMinutes))
		}
		add("defaultInstance", team.instanceType)
		if storage, ok := settings["spaceStorageSettings"].(map[string]any); ok {
			if ebs, ok := storage["defaultEbsStorageSettings"].(map[string]any); ok {
				add("spaceGb", fmt.Sprintf("%v-%v", ebs["defaultEbsVolumeSizeInGb"], ebs["maximumEbsVolumeSizeInGb"]))
			}
		}
		if portal, ok := settings["studioWebPortalSettings"].(map[string]any); ok {
			if hidden, ok := portal["hiddenInstanceTypes"].([]any); ok {
				add("hiddenInstanceTypes", fmt.Sprint(len(hidden)))
			}
		}
		if tags, ok := r.Input("tags").(map[string]any); ok {
			for _, key := range sortedKeys(tags) {
				add("tag:"+key, fmt.Sprint(tags[key]))
			}
		}
	case "aws:kms/key:Key":
		if rotation, ok := r.Input("enableKeyRotation").(bool); ok {
			add("rotation", fmt.Sprint(rotation))
		}
	case "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		add("role", names.name(r.String("role")))
		add("policy", r.String("policyArn"))
	case offline.ProviderType:
		add("region", r.String("region"))
		add("account", r.Account)
	}
	return strings.Join(parts, " ")
}

// JSON renders the plan as one indented JSON document.
func (p *Plan) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
