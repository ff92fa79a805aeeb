// Package offline runs the program under Pulumi's mock engine, with no AWS
// account and no Pulumi CLI. The mocks answer like AWS would: every resource
// gets an ID and ARN of its real shape, in the account and region of the
// provider it was created with, so that tests and the offline plan follow
// real-looking ARNs from the resource that makes them into the policies that
// name them.
package offline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ProviderType is the type token of an explicit AWS provider.
const ProviderType = "pulumi:providers:aws"

// Resource is one registered resource as the mocks saw it.
type Resource struct {
	Type    string
	Name    string
	URN     string
	Parent  string
	ID      string
	Custom  bool
	Protect bool
	// RetainOnDelete is the resource option of that name.
	RetainOnDelete bool
	// IgnoreChanges are the input paths the resource option of that name
	// keeps out of its diffs.
	IgnoreChanges []string
	// Dependencies are the URNs the resource waits for: those its inputs
	// come from and any DependsOn.
	Dependencies []string
	// Provider is the logical name of the explicit provider the resource was
	// created with; Account and Region are that provider's.
	Provider string
	Account  string
	Region   string
	Inputs   resource.PropertyMap
	Outputs  resource.PropertyMap
}

// Input returns an input property as plain Go values (strings, float64,
// bool, []any, map[string]any), or nil when it is absent.
func (r Resource) Input(key string) any {
	value, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return value.Mappable()
}

// InputAt returns the input at a path of object keys, converting only what
// it returns: Input converts the whole property, which for a profile's
// settings, read for 1,000 profiles, is most of the plan's work.
func (r Resource) InputAt(path ...string) any {
	properties := r.Inputs
	for i, key := range path {
		value, ok := properties[resource.PropertyKey(key)]
		if !ok {
			return nil
		}
		if i == len(path)-1 {
			return value.Mappable()
		}
		if !value.IsObject() {
			return nil
		}
		properties = value.ObjectValue()
	}
	return nil
}

// Output returns an output property like Input.
func (r Resource) Output(key string) any {
	value, ok := r.Outputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return value.Mappable()
}

// InAWS reports whether the resource is one AWS holds: not a component, not
// a provider.
func (r Resource) InAWS() bool { return r.Custom && r.Type != ProviderType }

// String returns a string input, or "" when it is absent or not a string.
func (r Resource) String(key string) string {
	if value, ok := r.Inputs[resource.PropertyKey(key)]; ok && value.IsString() {
		return value.StringValue()
	}
	return ""
}

type provider struct{ name, account, region string }

// Mocks implements pulumi.MockResourceMonitor and records what was registered.
type Mocks struct {
	project   string
	stack     string
	mu        sync.Mutex
	providers map[string]provider // by provider ID
	resources []Resource
	invokes   []Invoke
	// stackOutputs are what StackReferences see, by referenced stack.
	stackOutputs map[string]map[string]any
	// vpcEndpoints are the existing endpoints lookups find, by ID.
	vpcEndpoints map[string]VpcEndpoint
	// vpcs and subnets answer lookups of existing ones, by ID.
	vpcs    map[string]Vpc
	subnets map[string]Subnet
	// lastVpc is the VPC last looked up, by provider name.
	lastVpc map[string]string
	// assumedSubnets are the subnets answered without a test's description,
	// by provider name, in the order they were looked up.
	assumedSubnets map[string][]string
	// acceptStatus is what a peering accepter reports: "active" unless a
	// test says otherwise (WithPeeringAcceptStatus).
	acceptStatus string
}

// NewMocks returns empty mocks for a project's stack.
func NewMocks(project, stack string) *Mocks {
	return &Mocks{
		project: project, stack: stack, providers: map[string]provider{}, stackOutputs: map[string]map[string]any{},
		vpcs: map[string]Vpc{}, subnets: map[string]Subnet{}, lastVpc: map[string]string{}, assumedSubnets: map[string][]string{}, vpcEndpoints: map[string]VpcEndpoint{},
		acceptStatus: "active",
	}
}

// Invoke is one provider function call as the mocks saw it.
type Invoke struct {
	Token    string
	Provider string
	Region   string
}

// zoneCounts are the availability zones of the regions whose count is
// documented (AWS Global Infrastructure; us-east-1 has six). Any other region
// is mocked with three, as most regions have.
var zoneCounts = map[string]int{
	"us-east-1": 6, "us-east-2": 3, "us-west-1": 3, "us-west-2": 4,
	"ca-central-1": 3, "us-gov-west-1": 3, "us-gov-east-1": 3,
}

// AvailabilityZones are the mocked zones of a region, by name: us-east-1a to
// us-east-1f in us-east-1.
func AvailabilityZones(region string) []string {
	count := zoneCounts[region]
	if count == 0 {
		count = 3
	}
	zones := make([]string, count)
	for i := range zones {
		zones[i] = region + string(rune('a'+i))
	}
	return zones
}

// zoneID is the zone ID AWS gives the i-th zone of a region ("use1-az1").
func zoneID(region string, i int) string {
	parts := strings.Split(region, "-")
	short := parts[0]
	for _, word := range parts[1 : len(parts)-1] {
		for _, direction := range []string{"north", "south", "east", "west", "central", "gov"} {
			word = strings.ReplaceAll(word, direction, direction[:1])
		}
		short += word
	}
	return fmt.Sprintf("%s%s-az%d", short, parts[len(parts)-1], i+1)
}

// Subnet is what a subnet lookup answers.
type Subnet struct {
	VpcID string
	// Zone is the availability zone's name, such as us-east-1a.
	Zone string
}

// Vpc is what a VPC lookup answers.
type Vpc struct {
	CIDR                                 string
	EnableDNSSupport, EnableDNSHostnames bool
}

// WithSubnet makes the lookup of subnet id answer subnet.
func WithSubnet(id string, subnet Subnet) Option {
	return func(m *Mocks) { m.subnets[id] = subnet }
}

// WithVpc makes the lookup of VPC id answer vpc.
func WithVpc(id string, vpc Vpc) Option {
	return func(m *Mocks) { m.vpcs[id] = vpc }
}

// Call answers provider functions: the availability zones of the provider's
// region, the zones of its endpoint services (EndpointServiceZones), and
// lookups of existing VPCs and subnets. Unless an option says
// otherwise, a VPC has DNS support and hostnames on, and a subnet lies in the
// VPC last looked up through the same provider, in the zone its ID's first
// significant hex digit picks (so that the example IDs subnet-0a1b… and
// subnet-0b2c… lie in two zones, as subnets for Studio must). Any other
// invoke is an error, so a new one is mocked on purpose.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.providerOf(args.Provider)
	m.invokes = append(m.invokes, Invoke{Token: args.Token, Provider: p.name, Region: p.region})
	if p.region == "" {
		return nil, fmt.Errorf("%s without an explicit provider", args.Token)
	}
	id := ""
	if value, ok := args.Args["id"]; ok && value.IsString() {
		id = value.StringValue()
	}
	switch args.Token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		var names, ids []any
		for i, zone := range AvailabilityZones(p.region) {
			names = append(names, zone)
			ids = append(ids, zoneID(p.region, i))
		}
		return resource.NewPropertyMapFromMap(map[string]any{"id": p.region, "names": names, "zoneIds": ids}), nil
	case "aws:ec2/getVpcEndpoint:getVpcEndpoint":
		return m.lookupVpcEndpoint(args.Args)
	case "aws:ec2/getVpcEndpointService:getVpcEndpointService":
		return lookupEndpointService(p.region, args.Args)
	case "aws:ec2/getVpc:getVpc":
		vpc, ok := m.vpcs[id]
		if !ok {
			vpc = Vpc{CIDR: "10.0.0.0/16", EnableDNSSupport: true, EnableDNSHostnames: true}
		}
		m.lastVpc[p.name] = id
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": id, "arn": fmt.Sprintf("arn:aws:ec2:%s:%s:vpc/%s", p.region, p.account, id), "ownerId": p.account,
			"cidrBlock": vpc.CIDR, "enableDnsSupport": vpc.EnableDNSSupport, "enableDnsHostnames": vpc.EnableDNSHostnames,
			"state": "available",
		}), nil
	case "aws:ec2/getSubnet:getSubnet":
		subnet, ok := m.subnets[id]
		if !ok {
			// A subnet configuration names but no test describes: the
			// distinct zones a correct configuration implies, in the order
			// they are looked up, so any real IDs plan offline.
			zones := AvailabilityZones(p.region)
			subnet = Subnet{VpcID: m.lastVpc[p.name], Zone: zones[len(m.assumedSubnets[p.name])%len(zones)]}
			m.assumedSubnets[p.name] = append(m.assumedSubnets[p.name], id)
			m.subnets[id] = subnet
		}
		zone := slices.Index(AvailabilityZones(p.region), subnet.Zone)
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": id, "arn": fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", p.region, p.account, id), "ownerId": p.account,
			"vpcId": subnet.VpcID, "availabilityZone": subnet.Zone, "availabilityZoneId": zoneID(p.region, max(zone, 0)),
			"state": "available",
		}), nil
	case "aws:redshiftserverless/getWorkgroup:getWorkgroup":
		// An existing workgroup: its ARN names its ID, a UUID (Redshift
		// Serverless API reference, Workgroup: workgroupArn, workgroupId).
		name := args.Args["workgroupName"].StringValue()
		workgroupID := WorkgroupID(name)
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": workgroupID, "workgroupId": workgroupID, "workgroupName": name, "namespaceName": name,
			"arn":                fmt.Sprintf("arn:aws:redshift-serverless:%s:%s:workgroup/%s", p.region, p.account, workgroupID),
			"enhancedVpcRouting": true, "publiclyAccessible": false,
			"securityGroupIds": []any{}, "subnetIds": []any{},
		}), nil
	}
	return nil, fmt.Errorf("unexpected invoke %s: mock it in internal/offline when the program needs it", args.Token)
}

// Invokes returns the provider functions called, in order.
func (m *Mocks) Invokes() []Invoke {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Invoke(nil), m.invokes...)
}

// providerOf finds the provider of a "urn::id" reference.
func (m *Mocks) providerOf(ref string) provider {
	if ref == "" {
		return provider{}
	}
	return m.providers[ref[strings.LastIndex(ref, "::")+2:]]
}

// NewResource answers a registration with a realistic ID and outputs.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()

	r := Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: args.Inputs,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Protect = rpc.GetProtect()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.Dependencies = append(r.Dependencies, rpc.GetDependencies()...)
	}
	if args.Provider != "" {
		p := m.providerOf(args.Provider)
		r.Provider, r.Account, r.Region = p.name, p.account, p.region
	}

	if r.Type == "pulumi:pulumi:StackReference" {
		// The engine fails a reference to a stack that does not exist; one
		// that exists but never ran has no outputs (WithStackReference with
		// an empty map).
		if _, ok := m.stackOutputs[r.String("name")]; !ok {
			return "", nil, fmt.Errorf("unknown stack %q", r.String("name"))
		}
	}
	outputs := args.Inputs.Copy()
	set := func(key string, value any) {
		outputs[resource.PropertyKey(key)] = resource.NewPropertyValue(value)
	}
	r.ID = m.respond(&r, set)
	r.Outputs = outputs
	r.URN = m.urn(r.Parent, r.Type, r.Name)
	m.resources = append(m.resources, r)
	return r.ID, outputs, nil
}

// urn builds a resource's URN as the engine does, so parents can be matched.
func (m *Mocks) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(m.project), parentType, tokens.Type(typ), name))
}

// respond computes the ID and the computed outputs AWS would return.
func (m *Mocks) respond(r *Resource, set func(string, any)) string {
	partition := "aws"
	hexID := func(n int) string { return hexOf(r.Type+"/"+r.Name, n) }
	arn := func(service, region, resourcePart string) string {
		value := fmt.Sprintf("arn:%s:%s:%s:%s:%s", partition, service, region, r.Account, resourcePart)
		set("arn", value)
		return value
	}
	// physicalName is the name AWS gets: the explicit one, or Pulumi's
	// auto-name (logical name plus a random suffix).
	physicalName := func() string {
		if name := r.String("name"); name != "" {
			return name
		}
		name := r.Name + "-" + hexID(7)
		set("name", name)
		return name
	}

	switch r.Type {
	case ProviderType:
		id := r.Name + "-provider-" + hexID(8)
		account := ""
		if ids, ok := r.Input("allowedAccountIds").([]any); ok && len(ids) > 0 {
			account, _ = ids[0].(string)
		}
		m.providers[id] = provider{name: r.Name, account: account, region: r.String("region")}
		r.Account, r.Region = account, r.String("region")
		return id
	case "pulumi:pulumi:StackReference":
		name := r.String("name")
		outputs := m.stackOutputs[name] // NewResource refuses a stack it has none for
		set("outputs", outputs)
		set("secretOutputNames", []any{})
		return name
	case "aws:iam/role:Role":
		name := physicalName()
		path := r.String("path")
		if path == "" {
			path = "/"
		}
		arn("iam", "", "role"+path+name)
		set("uniqueId", "AROA"+strings.ToUpper(hexID(17)))
		return name
	case "aws:iam/policy:Policy":
		name := physicalName()
		return arn("iam", "", "policy/"+name)
	case "aws:iam/rolePolicy:RolePolicy":
		return r.String("role") + ":" + physicalName()
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		return r.String("role") + "-" + hexID(20)
	case "aws:kms/key:Key":
		h := hexID(32)
		id := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		arn("kms", r.Region, "key/"+id)
		set("keyId", id)
		return id
	case "aws:kms/alias:Alias":
		name := r.String("name")
		if name == "" {
			name = r.String("namePrefix") + hexID(8)
			set("name", name)
		}
		arn("kms", r.Region, name)
		return name
	case "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
		id := "sg-" + hexID(17)
		arn("ec2", r.Region, "security-group/"+id)
		return id
	case "aws:ec2/vpc:Vpc":
		id := "vpc-" + hexID(17)
		arn("ec2", r.Region, "vpc/"+id)
		set("ownerId", r.Account)
		return id
	case "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable", "aws:ec2/internetGateway:InternetGateway",
		"aws:ec2/natGateway:NatGateway", "aws:ec2/flowLog:FlowLog":
		kind := ec2Kinds[r.Type]
		id := kind.prefix + "-" + hexID(17)
		arn("ec2", r.Region, kind.arnType+"/"+id)
		return id
	case "aws:ec2/routeTableAssociation:RouteTableAssociation":
		return "rtbassoc-" + hexID(17)
	case "aws:ec2/eip:Eip":
		id := "eipalloc-" + hexID(17)
		set("allocationId", id)
		set("publicIp", fmt.Sprintf("203.0.113.%d", 1+len(m.resources)%250)) // documentation range
		return id
	case "aws:cloudwatch/logGroup:LogGroup":
		name := physicalName()
		arn("logs", r.Region, "log-group:"+name)
		return name
	case "aws:redshift/subnetGroup:SubnetGroup":
		name := physicalName()
		arn("redshift", r.Region, "subnetgroup:"+name)
		return name
	case "aws:redshift/parameterGroup:ParameterGroup":
		name := physicalName()
		arn("redshift", r.Region, "parametergroup:"+name)
		return name
	case "aws:redshift/cluster:Cluster":
		id := r.String("clusterIdentifier")
		arn("redshift", r.Region, "cluster:"+id)
		port, _ := r.Input("port").(float64)
		host := fmt.Sprintf("%s.c%s.%s.redshift.amazonaws.com", id, hexID(10), r.Region)
		set("dnsName", host)
		set("endpoint", fmt.Sprintf("%s:%d", host, int(port)))
		set("masterPasswordSecretArn", fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:redshift!%s-%s-%s", partition, r.Region, r.Account, id, r.String("masterUsername"), hexID(6)))
		return id
	case "aws:s3/bucketV2:BucketV2":
		name := r.String("bucket")
		if name == "" {
			name = r.Name + "-" + hexID(7)
			set("bucket", name)
		}
		// A bucket's ARN names neither region nor account (S3 user guide,
		// "Amazon S3 resources"): arn:aws:s3:::name.
		set("arn", fmt.Sprintf("arn:%s:s3:::%s", partition, name))
		set("bucketDomainName", name+".s3.amazonaws.com")
		set("region", r.Region)
		return name
	case "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
		"aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketVersioningV2:BucketVersioningV2",
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
		"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":
		return r.String("bucket") // S3 names these by their bucket
	case "aws:athena/workgroup:Workgroup":
		name := r.String("name")
		arn("athena", r.Region, "workgroup/"+name)
		return name
	case "aws:glue/catalogDatabase:CatalogDatabase":
		name := r.String("name")
		arn("glue", r.Region, "database/"+name)
		set("catalogId", r.Account)
		return r.Account + ":" + name
	case "aws:glue/catalogTable:CatalogTable":
		name, database := r.String("name"), r.String("databaseName")
		arn("glue", r.Region, "table/"+database+"/"+name)
		set("catalogId", r.Account)
		return r.Account + ":" + database + ":" + name
	case "aws:kms/grant:Grant":
		grantID := hexID(64)
		set("grantId", grantID)
		set("grantToken", "AQpAM"+hexID(40))
		return r.String("keyId") + ":" + grantID
	case "aws:redshift/endpointAccess:EndpointAccess":
		name := r.String("endpointName")
		arn("redshift", r.Region, "endpoint:"+name)
		// The address AWS gives a Redshift-managed VPC endpoint. Its port
		// is the cluster's, which these mocks do not see: Redshift's default.
		set("address", fmt.Sprintf("%s-endpoint-%s.c%s.%s.redshift.amazonaws.com", name, hexID(20), hexID(10), r.Region))
		set("port", 5439)
		return name
	case "aws:redshift/endpointAuthorization:EndpointAuthorization":
		// What the provider reads back with DescribeEndpointAuthorization
		// (the resource has no status output in pulumi-aws 6.83.2).
		vpcs, _ := r.Input("vpcIds").([]any)
		set("grantee", r.String("account"))
		set("grantor", r.Account)
		set("allowedAllVpcs", len(vpcs) == 0)
		set("endpointCount", 0)
		return r.String("account") + ":" + r.String("clusterIdentifier")
	case "aws:sagemaker/featureGroup:FeatureGroup":
		name := r.String("featureGroupName")
		arn("sagemaker", r.Region, "feature-group/"+strings.ToLower(name))
		return name
	case "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig":
		name := r.String("studioLifecycleConfigName")
		arn("sagemaker", r.Region, "studio-lifecycle-config/"+name)
		return name
	case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
		id := "sgr-" + hexID(17)
		arn("ec2", r.Region, "security-group-rule/"+id)
		set("securityGroupRuleId", id)
		return id
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		id := "vpce-" + hexID(17)
		arn("ec2", r.Region, "vpc-endpoint/"+id)
		if r.String("vpcEndpointType") == "Gateway" {
			set("prefixListId", "pl-"+hexID(8))
		} else {
			set("dnsEntries", []any{map[string]any{
				"dnsName": id + "." + r.String("serviceName") + ".vpce.amazonaws.com", "hostedZoneId": "Z" + strings.ToUpper(hexID(13)),
			}})
		}
		return id
	case "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
		id := "pcx-" + hexID(17)
		arn("ec2", r.Region, "vpc-peering-connection/"+id)
		set("acceptStatus", "pending-acceptance")
		return id
	case "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter":
		set("acceptStatus", m.acceptStatus)
		return r.String("vpcPeeringConnectionId")
	case "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions":
		return r.String("vpcPeeringConnectionId")
	case "aws:ec2/route:Route":
		return "r-" + r.String("routeTableId") + hexID(10)
	case "aws:sagemaker/domain:Domain":
		id := "d-" + hexID(12)
		arn("sagemaker", r.Region, "domain/"+id)
		set("url", fmt.Sprintf("https://%s.studio.%s.sagemaker.aws", id, r.Region))
		set("homeEfsFileSystemId", "fs-"+hexID(17))
		set("securityGroupIdForDomainBoundary", "sg-"+hexID(17)[1:]+"0")
		return id
	case "aws:sagemaker/userProfile:UserProfile":
		id := arn("sagemaker", r.Region, "user-profile/"+r.String("domainId")+"/"+r.String("userProfileName"))
		set("homeEfsFileSystemUid", "200001")
		// AWS fills in the JupyterLab default image where the profile names
		// none, and the provider reads it back (terraform-provider-aws
		// #39894, whose us-east-1 value this is; the image's account differs
		// by region).
		if settings, ok := r.Input("userSettings").(map[string]any); ok {
			if lab, ok := settings["jupyterLabAppSettings"].(map[string]any); ok {
				spec, _ := lab["defaultResourceSpec"].(map[string]any)
				if spec == nil {
					spec = map[string]any{}
				}
				spec["sagemakerImageArn"] = fmt.Sprintf("arn:%s:sagemaker:%s:885854791233:image/sagemaker-distribution-cpu", partition, r.Region)
				spec["sagemakerImageVersionAlias"] = "2.0.0"
				lab["defaultResourceSpec"] = spec
				set("userSettings", settings)
			}
		}
		return id
	case "aws:redshiftserverless/namespace:Namespace":
		name := r.String("namespaceName")
		namespaceID := hexID(8) + "-" + hexID(4) + "-" + hexID(4) + "-" + hexID(4) + "-" + hexID(12)
		set("namespaceId", namespaceID)
		arn("redshift-serverless", r.Region, "namespace/"+namespaceID)
		return name
	case "aws:redshiftserverless/workgroup:Workgroup":
		name := r.String("workgroupName")
		set("workgroupId", WorkgroupID(name))
		arn("redshift-serverless", r.Region, "workgroup/"+WorkgroupID(name))
		return name
	}
	if !r.Custom {
		return "" // component resources have no ID
	}
	service := strings.SplitN(strings.TrimPrefix(r.Type, "aws:"), "/", 2)[0]
	arn(service, r.Region, r.Name)
	return r.Name + "-" + hexID(8)
}

// WorkgroupID is the ID the mocks give the workgroup of that name, existing
// or created: a UUID derived from the name.
func WorkgroupID(name string) string {
	h := hexOf("workgroup/"+name, 32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ec2Kinds are the ID prefixes and ARN resource types of simple EC2 resources.
var ec2Kinds = map[string]struct{ prefix, arnType string }{
	"aws:ec2/subnet:Subnet":                   {"subnet", "subnet"},
	"aws:ec2/routeTable:RouteTable":           {"rtb", "route-table"},
	"aws:ec2/internetGateway:InternetGateway": {"igw", "internet-gateway"},
	"aws:ec2/natGateway:NatGateway":           {"nat", "natgateway"},
	"aws:ec2/flowLog:FlowLog":                 {"fl", "vpc-flow-log"},
}

// hexOf derives stable hex digits from a seed, so runs are repeatable.
func hexOf(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	digits := hex.EncodeToString(sum[:])
	for len(digits) < n {
		digits += digits
	}
	return digits[:n]
}

// Resources returns every registered resource, ordered by type and name.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := append([]Resource(nil), m.resources...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// OfType returns the registered resources of one type token, ordered by
// name. It sorts only those: tests ask for one type of 1,000 users' stacks
// many times over.
func (m *Mocks) OfType(typ string) []Resource {
	m.mu.Lock()
	var out []Resource
	for _, r := range m.resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Named returns the resource of the given type and logical name.
func (m *Mocks) Named(typ, name string) (Resource, bool) {
	for _, r := range m.OfType(typ) {
		if r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// ByURN returns the resource of the given URN: a child's Parent, say.
func (m *Mocks) ByURN(urn string) (Resource, bool) {
	for _, r := range m.Resources() {
		if r.URN == urn {
			return r, true
		}
	}
	return Resource{}, false
}
