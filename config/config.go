// Package config is the program's typed configuration: the keys of the
// studio-redshift namespace, their defaults and their validation. It is plain
// Go with no Pulumi calls, so every rule is tested in microseconds and every
// mistake is reported before a single resource is registered.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// Project is the Pulumi project name and so the namespace of every key.
const Project = "studio-redshift"

// Keys are the top-level keys of the project namespace, without the
// "studio-redshift:" prefix.
var Keys = []string{"region", "tags", "protect", "connection", "side", "producer", "consumer", "consumers", "producerStack", "producerOutputs", "athena", "featureStore"}

// DefaultRedshiftPort is the port Redshift clusters listen on unless told otherwise.
const DefaultRedshiftPort = 5439

// Defaults of greenfield mode.
const (
	DefaultSubnetCount          = 2
	DefaultFlowLogRetentionDays = 90
	DefaultNodeType             = "ra3.xlplus"
	DefaultMasterUsername       = "awsuser"
)

// DefaultExecutionRolePolicy is the AWS managed policy the Studio execution
// role gets when consumer.studio.executionRolePolicyArns is not set.
const DefaultExecutionRolePolicy = "AmazonSageMakerFullAccess"

// Config is the whole validated configuration of one stack.
type Config struct {
	// Region both accounts deploy to; VPC peering here is same-region.
	Region string
	// Tags become default tags on both providers.
	Tags map[string]string
	// Protect guards stateful resources (Studio domain, KMS key) against a
	// mistaken destroy. Default true.
	Protect bool
	// Connection is how Studio reaches the cluster: ConnectionPeering (the
	// default), ConnectionDataAPI or ConnectionManagedEndpoint.
	Connection string
	// Side is the part of the system this stack deploys: SideBoth (the
	// default), SideProducer or SideConsumer.
	Side string
	// Consumers are the ML accounts a producer-side stack serves.
	Consumers []ConsumerRef
	// ProducerStack is the producer-side stack a consumer-side stack
	// refers to; ProducerOutputs, for a producer on another backend, are
	// that stack's outputs as `pulumi stack output --json` prints them.
	ProducerStack   string
	ProducerOutputs map[string]any
	Producer        Producer
	Consumer        Consumer
	// Athena is the cross-account Athena setup; nil when not configured.
	Athena *Athena
	// FeatureStore is the Feature Store with its offline store in the
	// producer account; nil when not configured.
	FeatureStore *FeatureStore

	// given holds every key path the configuration sets.
	given map[string]bool
}

// Account is an AWS account and the credentials its provider uses.
type Account struct {
	AccountID string `json:"accountId"`
	// RoleArn, if set, is assumed by the provider (a deployer role).
	RoleArn string `json:"roleArn,omitempty"`
	// Profile, if set, is the named AWS profile the provider starts from.
	Profile string `json:"profile,omitempty"`
}

// Producer is the data account: the Redshift cluster and its VPC.
type Producer struct {
	Account
	VPC      ProducerVPC `json:"vpc"`
	Redshift Redshift    `json:"redshift"`
}

// Greenfield are the keys of a VPC the program creates (one without an id).
type Greenfield struct {
	// SubnetCount is the number of private subnets, one per availability
	// zone. Default 2.
	SubnetCount int `json:"subnetCount,omitempty"`
	// FlowLogRetentionDays keeps the VPC flow logs this long. Default 90.
	FlowLogRetentionDays int `json:"flowLogRetentionDays,omitempty"`
}

// ProducerVPC is the VPC the cluster runs in: existing (id set) or created.
type ProducerVPC struct {
	ID   string `json:"id,omitempty"`
	CIDR string `json:"cidr"`
	// RouteTableIDs of an existing VPC get the route to the consumer.
	RouteTableIDs []string `json:"routeTableIds,omitempty"`
	// SubnetIDs of an existing VPC place a cluster the program creates.
	SubnetIDs []string `json:"subnetIds,omitempty"`
	Greenfield
}

// Redshift is the cluster Studio users query: existing, or created when
// Create is set.
type Redshift struct {
	Create            bool     `json:"create,omitempty"`
	ClusterIdentifier string   `json:"clusterIdentifier"`
	Database          string   `json:"database"`
	Port              int      `json:"port,omitempty"`
	SecurityGroupID   string   `json:"securityGroupId,omitempty"`
	DBGroups          []string `json:"dbGroups,omitempty"`
	// NodeType, NodeCount and MasterUsername shape a created cluster.
	NodeType       string `json:"nodeType,omitempty"`
	NodeCount      int    `json:"nodeCount,omitempty"`
	MasterUsername string `json:"masterUsername,omitempty"`
	// AdminUsers are the cluster's admin users, whose credentials the
	// producer role never gets and whose names no profile may take; default
	// DefaultAdminUsers. A created cluster's MasterUsername is one of them
	// whatever this list says (see AdminUserNames).
	AdminUsers []string `json:"adminUsers,omitempty"`
	// Serverless, when set, makes the producer a Redshift Serverless
	// workgroup instead of a provisioned cluster.
	Serverless *Serverless `json:"serverless,omitempty"`
}

// DefaultAdminUsers is producer.redshift.adminUsers when not given: the admin
// user Redshift's console proposes for a new cluster.
var DefaultAdminUsers = []string{DefaultMasterUsername}

// RedshiftSystemUsers are the database users Redshift keeps for itself:
// rdsdb, which Redshift uses for administration and maintenance (Amazon
// Redshift Database Developer Guide, "Superusers"), and PUBLIC, the name of
// every user's group, which no user may take (CREATE USER: "The user name
// can't be PUBLIC"; GetClusterCredentials, DbUser).
var RedshiftSystemUsers = []string{"rdsdb", "public"}

// AdminUserNames are the database users no Studio profile may become: the
// configured admin users, a created cluster's master user and Redshift's own
// users, in that order, each once.
func (r Redshift) AdminUserNames() []string {
	names := slices.Clone(r.AdminUsers)
	if r.Create {
		names = append(names, r.MasterUsername)
	}
	names = append(names, RedshiftSystemUsers...)
	var unique []string
	for _, name := range names {
		if !slices.Contains(unique, name) {
			unique = append(unique, name)
		}
	}
	return unique
}

// Consumer is the ML account: SageMaker Studio and its VPC.
type Consumer struct {
	Account
	VPC        ConsumerVPC `json:"vpc"`
	Studio     Studio      `json:"studio"`
	Guardrails Guardrails  `json:"guardrails,omitempty"`
}

// Guardrails are the deny policies that keep Studio users inside the closed
// network: no SageMaker resource outside the VPC, none with direct internet
// access, no role passed to SageMaker but the execution role.
type Guardrails struct {
	// Enabled is on unless set to false.
	Enabled *bool `json:"enabled,omitempty"`
	// RequireNetworkIsolation denies jobs and models without network
	// isolation. Off by default: containers then cannot reach even S3.
	RequireNetworkIsolation bool `json:"requireNetworkIsolation,omitempty"`
	// RequireSourceVpce denies SageMaker calls that do not come through the
	// VPC's SageMaker endpoints. Off by default: the console and any caller
	// outside the VPC are refused.
	RequireSourceVpce bool `json:"requireSourceVpce,omitempty"`
}

// On reports whether the guardrails are enabled (the default).
func (g Guardrails) On() bool { return g.Enabled == nil || *g.Enabled }

// ConsumerVPC is the VPC Studio runs in, without internet access unless a
// created VPC asks for a NAT gateway: existing (id set) or created.
type ConsumerVPC struct {
	ID            string   `json:"id,omitempty"`
	CIDR          string   `json:"cidr"`
	SubnetIDs     []string `json:"subnetIds,omitempty"`
	RouteTableIDs []string `json:"routeTableIds,omitempty"`
	// ExtraEndpoints are interface endpoints added to the ones the program
	// always creates, by service name without the region prefix ("ecr.api").
	ExtraEndpoints []string `json:"extraEndpoints,omitempty"`
	// NatGateway gives a created VPC a public subnet, an internet gateway
	// and a NAT gateway for the private subnets' internet traffic.
	NatGateway bool `json:"natGateway,omitempty"`
	// S3EndpointBuckets, if set, limit S3 through the gateway endpoint to
	// these buckets (and the ones the program itself uses).
	S3EndpointBuckets []string `json:"s3EndpointBuckets,omitempty"`
	// S3GatewayEndpointID, if set, is the VPC's existing S3 gateway
	// endpoint, which Studio then uses instead of one the program creates:
	// a route table takes one gateway endpoint route per service.
	S3GatewayEndpointID string `json:"s3GatewayEndpointId,omitempty"`
	Greenfield
}

// Studio is the SageMaker Studio domain and its users.
type Studio struct {
	DomainName string `json:"domainName"`
	// UserProfiles become Studio user profiles, SourceIdentity values and
	// Redshift database user names, one for one.
	UserProfiles []string `json:"userProfiles"`
	// ExecutionRolePolicyArns are managed policies attached to the execution
	// role; default: AmazonSageMakerFullAccess.
	ExecutionRolePolicyArns []string `json:"executionRolePolicyArns,omitempty"`
	// PipIndexURL is a package mirror the lifecycle configuration installs
	// awswrangler from, for a VPC without internet egress.
	PipIndexURL string `json:"pipIndexUrl,omitempty"`
	// IdleTimeoutMinutes stops a user's JupyterLab and Code Editor apps
	// after this long without use. Default DefaultIdleTimeoutMinutes.
	IdleTimeoutMinutes int `json:"idleTimeoutMinutes,omitempty"`
	// InstanceTypes are the instance types users may run their apps and
	// spaces on; the first is each profile's default. Default
	// DefaultInstanceTypes.
	InstanceTypes []string `json:"instanceTypes,omitempty"`
	// SpaceStorageGb is the default and the largest size of the EBS volume
	// of a user's private spaces. Default DefaultSpaceStorageGb.
	SpaceStorageGb int `json:"spaceStorageGb,omitempty"`
}

// CreatesVPC reports whether the program creates this VPC.
func (v ProducerVPC) CreatesVPC() bool { return v.ID == "" }

// CreatesVPC reports whether the program creates this VPC.
func (v ConsumerVPC) CreatesVPC() bool { return v.ID == "" }

// InstallsPackages reports whether Studio apps get a lifecycle configuration
// that installs awswrangler: they need a way to a package index, through a
// NAT gateway or a mirror.
func (c *Config) InstallsPackages() bool {
	return c.InternetEgress() || c.Consumer.Studio.PipIndexURL != ""
}

// InternetEgress reports whether Studio apps may open HTTPS connections to the
// internet: only through the NAT gateway of a created consumer VPC.
func (c *Config) InternetEgress() bool {
	return c.Consumer.VPC.CreatesVPC() && c.Consumer.VPC.NatGateway
}

// Partition is the ARN partition of the configured region.
func (c *Config) Partition() string { return policy.Partition(c.Region) }

// SameAccount reports whether producer and consumer are one account, which is
// allowed (a first trial often peers two VPCs of one account).
func (c *Config) SameAccount() bool { return c.Producer.AccountID == c.Consumer.AccountID }

// ParseStack reads a stack's whole configuration, every namespace, keyed as
// the Pulumi CLI hands it to a program ("studio-redshift:region",
// "aws:region"). It is the one entry of both `pulumi up` and the offline plan:
// a key in a near miss of the project's namespace is an error naming it (a
// typo in the namespace drops a whole feature otherwise), and aws: keys,
// which do nothing next to the program's explicit providers, and keys of
// other namespaces come back as warnings.
func ParseStack(all map[string]string) (*Config, []string, error) {
	var p problems
	var warnings []string
	raw := map[string]string{}
	for _, key := range slices.Sorted(maps.Keys(all)) {
		namespace, name, found := strings.Cut(key, ":")
		switch {
		case !found:
			p.add(key, "has no namespace; write %s:%s", Project, key)
		case namespace == Project:
			raw[name] = all[key]
		case namespace == "pulumi":
			// The engine's own settings, such as disable-default-providers.
		case namespace == "aws":
			warnings = append(warnings, fmt.Sprintf("%s does nothing in this program: every resource uses one of its two explicit "+
				"AWS providers, which read %s:region and the accountId, roleArn and profile of %s:producer and %s:consumer; remove it",
				key, Project, Project, Project))
		case distance(strings.ToLower(namespace), Project) <= 3:
			p.add(key, "unknown namespace %q; did you mean %s:%s?", namespace, Project, name)
		default:
			// Another namespace may serve the engine or a policy pack
			// (an ESC environment injects keys too): say so, do not fail.
			warnings = append(warnings, fmt.Sprintf("%s: no part of this program reads the namespace %q; its keys are %s:<key> (%s)",
				key, namespace, Project, strings.Join(Keys, ", ")))
		}
	}
	cfg := parse(&p, raw)
	if len(p) > 0 {
		return nil, warnings, p.err()
	}
	return cfg, warnings, nil
}

// Parse reads the raw values of the project namespace, keyed without the
// "studio-redshift:" prefix, as the Pulumi CLI hands them to the program:
// plain strings for scalars and JSON text for objects and lists. It applies
// defaults and validates everything, returning one error that lists every
// problem by key.
func Parse(raw map[string]string) (*Config, error) {
	var p problems
	cfg := parse(&p, raw)
	if len(p) > 0 {
		return nil, p.err()
	}
	return cfg, nil
}

// parse decodes and validates raw, adding every problem to p; the config is
// only meaningful when p stays empty.
func parse(p *problems, raw map[string]string) *Config {
	cfg := &Config{Protect: true, given: map[string]bool{}}
	before := len(*p)

	for _, key := range slices.Sorted(maps.Keys(raw)) {
		if !slices.Contains(Keys, key) {
			p.add(key, "unknown key; %s", suggest(key, slices.Clone(Keys)))
			continue
		}
		cfg.given[key] = true
	}

	cfg.Region = strings.TrimSpace(raw["region"])
	cfg.Connection = ConnectionPeering
	if value, ok := raw["connection"]; ok {
		cfg.Connection = strings.TrimSpace(value)
	}
	if value, ok := raw["protect"]; ok {
		protect, err := strconv.ParseBool(strings.TrimSpace(value))
		if err != nil {
			p.add("protect", "%q is not a boolean; use true or false", value)
		}
		cfg.Protect = protect || err != nil
	}
	if value, ok := raw["tags"]; ok {
		decodeStrict(p, cfg.given, "tags", value, &cfg.Tags)
	}
	cfg.Side = SideBoth
	if value, ok := raw["side"]; ok {
		cfg.Side = strings.TrimSpace(value)
	}
	if value, ok := raw["producerStack"]; ok {
		cfg.ProducerStack = strings.TrimSpace(value)
	}
	if value, ok := raw["producer"]; ok {
		decodeStrict(p, cfg.given, "producer", value, &cfg.Producer)
	} else if cfg.Side != SideConsumer {
		p.add("producer", "is required: the data account, its VPC and its Redshift cluster")
	}
	if value, ok := raw["consumer"]; ok {
		decodeStrict(p, cfg.given, "consumer", value, &cfg.Consumer)
	} else if cfg.Side != SideProducer {
		p.add("consumer", "is required: the ML account, its VPC and its Studio domain")
	}
	if value, ok := raw["producerOutputs"]; ok {
		decodeStrict(p, cfg.given, "producerOutputs", value, &cfg.ProducerOutputs)
	}
	if value, ok := raw["consumers"]; ok {
		decodeStrict(p, cfg.given, "consumers", value, &cfg.Consumers)
	}
	if value, ok := raw["athena"]; ok {
		cfg.Athena = &Athena{}
		decodeStrict(p, cfg.given, "athena", value, cfg.Athena)
	}
	if value, ok := raw["featureStore"]; ok {
		cfg.FeatureStore = &FeatureStore{}
		decodeStrict(p, cfg.given, "featureStore", value, cfg.FeatureStore)
	}
	if len(*p) > before {
		// Shapes are wrong: checking values now would only repeat the noise.
		return cfg
	}

	cfg.applyDefaults()
	cfg.validate(p)
	return cfg
}

// Given reports whether the configuration sets the key at path
// ("producer.vpc.subnetCount"), so that an explicit 0 is refused rather than
// replaced by the default.
func (c *Config) Given(path string) bool { return c.given[path] }

func (c *Config) applyDefaults() {
	if !c.Given("producer.redshift.port") {
		c.Producer.Redshift.Port = DefaultRedshiftPort
	}
	if c.Producer.VPC.CreatesVPC() {
		c.Producer.VPC.Greenfield.applyDefaults(c, "producer")
	}
	if c.Consumer.VPC.CreatesVPC() {
		c.Consumer.VPC.Greenfield.applyDefaults(c, "consumer")
	}
	c.applyAthenaDefaults()
	c.applyFeatureStoreDefaults()
	if !c.Given("producer.redshift.adminUsers") {
		c.Producer.Redshift.AdminUsers = slices.Clone(DefaultAdminUsers)
	}
	if r := &c.Producer.Redshift; r.Create {
		r.NodeType = cmp.Or(r.NodeType, DefaultNodeType)
		if !c.Given("producer.redshift.nodeCount") {
			r.NodeCount = 1
		}
		r.MasterUsername = cmp.Or(r.MasterUsername, DefaultMasterUsername)
	}
	c.applyServerlessDefaults()
	c.applyStudioTeamDefaults()
	if c.Consumer.Studio.ExecutionRolePolicyArns == nil {
		c.Consumer.Studio.ExecutionRolePolicyArns = []string{
			policy.ManagedPolicy(c.Partition(), DefaultExecutionRolePolicy),
		}
	}
}

// applyDefaults fills the keys side's configuration leaves out; an explicit
// 0 stays, for validation to refuse.
func (g *Greenfield) applyDefaults(c *Config, side string) {
	if !c.Given(side + ".vpc.subnetCount") {
		g.SubnetCount = DefaultSubnetCount
	}
	if !c.Given(side + ".vpc.flowLogRetentionDays") {
		g.FlowLogRetentionDays = DefaultFlowLogRetentionDays
	}
}

// problems collects validation messages, each prefixed with the key it is about.
type problems []string

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 1 {
		return fmt.Errorf("invalid %s configuration: %s", Project, p[0])
	}
	return errors.New("invalid " + Project + " configuration:\n  " + strings.Join(p, "\n  "))
}

// errOrNil is err, or nil when nothing was found.
func (p problems) errOrNil() error {
	if len(p) == 0 {
		return nil
	}
	return p.err()
}

// Errorf reports a problem with the value of key found after validation, for
// example by looking up what the key names in an account, in the same form as
// validation's own errors.
func Errorf(key, format string, args ...any) error {
	var p problems
	p.add(key, format, args...)
	return p.err()
}
