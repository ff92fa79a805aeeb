package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/studio-redshift/studio-redshift/internal/cidr"
	"github.com/studio-redshift/studio-redshift/internal/policy"
	"github.com/studio-redshift/studio-redshift/internal/quota"
)

var (
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	accountIDPattern = regexp.MustCompile(`^\d{12}$`)
	// IAM role ARN: partition, account, optional path and a name of at most 64 characters.
	roleArnPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	// Managed policy ARN, AWS managed ("aws") or customer managed (an account).
	policyArnPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(aws|\d{12}):policy/([\w+=,.@-]+/)*[\w+=,.@-]{1,128}$`)
	profilePattern   = regexp.MustCompile(`^[\w.+@:/-]+$`)
	// SageMaker's pattern for domain names.
	domainNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	// SageMaker's user profile pattern narrowed to what Redshift accepts as a
	// DbUser: lower case, starting with a letter.
	userProfilePattern = regexp.MustCompile(`^[a-z](-*[a-z0-9]){0,62}$`)
	// Redshift: 1-63 lower-case letters, digits or single hyphens, starting
	// with a letter, not ending with a hyphen.
	clusterIdentifierPattern = regexp.MustCompile(`^[a-z](-?[a-z0-9]){0,62}$`)
	// Redshift identifiers as stored: lower case, starting with a letter or underscore.
	databasePattern       = regexp.MustCompile(`^[a-z_][a-z0-9_$]{0,63}$`)
	dbGroupPattern        = regexp.MustCompile(`^[a-z_][a-z0-9_$]{0,126}$`)
	masterUsernamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,127}$`)
	// GetClusterCredentials, DbUser: 1-64 letters, digits, _ + . @ or -,
	// starting with a letter; as Redshift stores it, lower case.
	dbUserPattern = regexp.MustCompile(`^[a-z][a-z0-9_+.@-]{0,63}$`)
	// The tag pattern of the SageMaker and IAM APIs (Tag.Key, Tag.Value):
	// letters, digits, spaces and _ . : / = + - @ only; both providers put
	// the default tags on every resource they create.
	tagPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// NodeTypes are the provisioned node types a new cluster may use. AWS's
// CreateCluster API still lists dc2.large and dc2.8xlarge, but creating a DC2
// cluster now fails ("Invalid node type: dc2.large"): aws/aws-cdk#36516 moved
// its default to ra3.large for that reason, as did
// awslabs/aws-athena-query-federation#2848 and
// aws-samples/amazon-bedrock-agents-healthcare-lifesciences#122.
var NodeTypes = []string{"ra3.large", "ra3.xlplus", "ra3.4xlarge", "ra3.16xlarge"}

// LifecycleConfigName names the Studio lifecycle configuration by its domain
// and the digest of its script, "<domain>-jupyterlab-<8 hex digits>": its
// name and content force a new configuration, which AWS refuses under the
// name of the one it replaces. SageMaker names are at most 63 characters
// (CreateStudioLifecycleConfig, StudioLifecycleConfigName), which
// validation keeps to.
func LifecycleConfigName(domainName, script string) string {
	digest := sha256.Sum256([]byte(script))
	return domainName + "-jupyterlab-" + hex.EncodeToString(digest[:])[:8]
}

// maxTags is the most tags an AWS resource takes.
const maxTags = 50

// maxNameLen is SageMaker's limit on domain, profile and lifecycle
// configuration names.
const maxNameLen = 63

// unsupportedPartitions says, per partition the program refuses, why. The
// program builds endpoint service names as com.amazonaws.<region>.<service>
// and endpoint host names with the partition's DNS suffix; both hold in aws
// and aws-us-gov.
var unsupportedPartitions = map[string]string{
	// AWS, "Amazon VPC endpoints" in the China regions' documentation:
	// several services there are named cn.com.amazonaws.<region>.<service>.
	"aws-cn":    "several of its VPC endpoint services are named cn.com.amazonaws.<region>.<service>, not com.amazonaws.<region>.<service>, and its endpoints end in amazonaws.com.cn",
	"aws-iso":   "the isolated regions have their own endpoint names and service list",
	"aws-iso-b": "the isolated regions have their own endpoint names and service list",
	"aws-iso-e": "the isolated regions have their own endpoint names and service list",
	"aws-iso-f": "the isolated regions have their own endpoint names and service list",
}

// validate checks values once every key has the right shape.
func (c *Config) validate(p *problems) {
	switch {
	case c.Region == "":
		p.add("region", "is required: the AWS region of both accounts, e.g. us-east-1")
	case !regionPattern.MatchString(c.Region):
		p.add("region", "%q is not an AWS region name such as us-east-1", c.Region)
	case unsupportedPartitions[c.Partition()] != "":
		p.add("region", "%q is in partition %s, which the program does not support: %s; use a region of the aws or aws-us-gov partition", c.Region, c.Partition(), unsupportedPartitions[c.Partition()])
	}
	for _, key := range slices.Sorted(maps.Keys(c.Tags)) {
		checkTag(p, key, c.Tags[key])
	}
	// SageMaker and EC2 take at most 50 tags per resource (Tags: maximum 50
	// items), and the program adds a Name tag to its network resources.
	if len(c.Tags) > maxTags-1 {
		p.add("tags", "has %d tags; AWS allows %d per resource and the program adds a Name tag to some, so give at most %d", len(c.Tags), maxTags, maxTags-1)
	}
	c.checkSide(p)
	hasProducer, hasConsumer := c.Side != SideConsumer, c.Side != SideProducer

	var producerCIDR, consumerCIDR netip.Prefix
	if hasProducer {
		c.Producer.Account.check(p, "producer")
		c.checkConnection(p)
		if c.UsesProducerVPC() || c.Producer.VPC.CIDR != "" {
			producerCIDR = checkCIDR(p, "producer.vpc.cidr", c.Producer.VPC.CIDR)
		}
		c.checkProducerVPC(p, producerCIDR)
		c.checkRedshift(p)
	}
	if hasConsumer {
		c.checkGuardrails(p)
		c.Consumer.Account.check(p, "consumer")
		consumerCIDR = checkCIDR(p, "consumer.vpc.cidr", c.Consumer.VPC.CIDR)
		c.checkConsumerVPC(p, consumerCIDR)
		c.checkEndpoints(p)
		c.checkStudio(p)
	}
	if hasProducer && hasConsumer {
		// Only peering routes between the two ranges; the Data API and a
		// managed endpoint work across overlapping ones.
		if c.Peering() && producerCIDR.IsValid() && consumerCIDR.IsValid() && producerCIDR.Overlaps(consumerCIDR) {
			p.add("consumer.vpc.cidr", overlapMessage, consumerCIDR, producerCIDR)
		}
		if c.Peering() && c.Producer.VPC.ID != "" && c.Producer.VPC.ID == c.Consumer.VPC.ID {
			p.add("consumer.vpc.id", "%s is also producer.vpc.id; a VPC cannot be peered with itself", c.Consumer.VPC.ID)
		}
		c.checkAthena(p)
		c.checkFeatureStore(p)
	}
	if c.Side == SideProducer {
		c.checkConsumers(p, producerCIDR)
		c.checkDBUserPrefixes(p)
	}
}

func checkTag(p *problems, key, value string) {
	switch {
	case key == "" || utf8.RuneCountInString(key) > 128:
		p.add("tags", "key %q must be 1 to 128 characters", key)
	case strings.HasPrefix(strings.ToLower(key), "aws:"):
		p.add("tags."+key, "the aws: prefix is reserved for AWS")
	case !tagPattern.MatchString(key):
		p.add("tags."+key, "the key has characters AWS tags refuse; use letters, digits, spaces and _ . : / = + - @")
	case utf8.RuneCountInString(value) > 256:
		p.add("tags."+key, "value is %d characters; AWS allows at most 256", utf8.RuneCountInString(value))
	case !tagPattern.MatchString(value):
		p.add("tags."+key, "value %q has characters AWS tags refuse (SageMaker and IAM tag pattern); use letters, digits, spaces and _ . : / = + - @", value)
	}
}

// check validates an account ID and the optional credentials the provider
// for that account uses.
func (a Account) check(p *problems, side string) {
	accountID, roleArn, profile := a.AccountID, a.RoleArn, a.Profile
	switch {
	case accountID == "":
		p.add(side+".accountId", "is required: the 12-digit ID of the %s account", side)
	case !accountIDPattern.MatchString(accountID):
		p.add(side+".accountId", "%q is not a 12-digit AWS account ID", accountID)
	}
	if roleArn != "" {
		match := roleArnPattern.FindStringSubmatch(roleArn)
		switch {
		case match == nil:
			p.add(side+".roleArn", "%q is not an IAM role ARN such as arn:aws:iam::%s:role/deployer", roleArn, placeholderAccount(accountID))
		case accountIDPattern.MatchString(accountID) && match[2] != accountID:
			p.add(side+".roleArn", "role is in account %s but %s.accountId is %s; the %s provider assumes this role to act in %s.accountId", match[2], side, accountID, side, side)
		}
	}
	if profile != "" && !profilePattern.MatchString(profile) {
		p.add(side+".profile", "%q is not an AWS CLI profile name (letters, digits and ._-+@:/ only)", profile)
	}
}

func placeholderAccount(accountID string) string {
	if accountIDPattern.MatchString(accountID) {
		return accountID
	}
	return "111111111111"
}

// checkCIDR validates a VPC's CIDR block and returns it parsed (invalid when
// it is not usable for further checks).
func checkCIDR(p *problems, key, cidr string) netip.Prefix {
	if cidr == "" {
		p.add(key, "is required: the VPC's IPv4 CIDR block, e.g. 10.20.0.0/16")
		return netip.Prefix{}
	}
	prefix, err := netip.ParsePrefix(cidr)
	switch {
	case err != nil || !prefix.Addr().Is4():
		p.add(key, "%q is not an IPv4 CIDR block such as 10.20.0.0/16", cidr)
		return netip.Prefix{}
	case prefix.Masked() != prefix:
		p.add(key, "%q has host bits set; the block starts at %s", cidr, prefix.Masked())
		return netip.Prefix{}
	case prefix.Bits() < 16 || prefix.Bits() > 28:
		p.add(key, "%q is a /%d; AWS VPC blocks are /16 to /28", cidr, prefix.Bits())
		return netip.Prefix{}
	}
	return prefix
}

// createOnly names keys that only describe a VPC the program creates.
const createOnly = "only applies to a VPC the program creates; remove it, or remove %s.vpc.id"

// byoOnly names keys that only describe an existing VPC.
const byoOnly = "names parts of an existing VPC, but without %s.vpc.id the program creates the VPC and its %s; remove it, or set %s.vpc.id"

func (c *Config) checkProducerVPC(p *problems, block netip.Prefix) {
	v := c.Producer.VPC
	if !c.UsesProducerVPC() {
		// An existing cluster reached without a network path: its VPC may
		// be named for the record (producerVpcCidr), never created.
		if v.ID != "" {
			checkID(p, "producer.vpc.id", "vpc", v.ID)
		}
		c.forbidGreenfield(p, "producer")
		forbid(p, "producer.vpc.subnetIds", len(v.SubnetIDs) > 0, "only places a cluster the program creates (producer.redshift.create: true); remove it")
		return
	}
	if v.CreatesVPC() && !c.CreatesWarehouse() {
		// A cluster is never in a VPC created in the same run: the program
		// would peer with an empty VPC and open a security group of another.
		p.add("producer.vpc.id", "is required for an existing cluster: without it the program creates a new, empty VPC, "+
			"peers with it and opens producer.redshift.securityGroupId, which belongs to the cluster's own VPC; "+
			"set producer.vpc.id (with cidr and routeTableIds) to the cluster's VPC, or set producer.redshift.create: true")
	}
	if v.CreatesVPC() {
		v.Greenfield.check(p, "producer", block, 0)
		if c.IsServerless() && v.SubnetCount >= 2 && v.SubnetCount < ServerlessSubnets {
			p.add("producer.vpc.subnetCount", "%d: a Redshift Serverless workgroup needs subnets in at least %d availability zones (CreateWorkgroup, subnetIds)", v.SubnetCount, ServerlessSubnets)
		}
		forbid(p, "producer.vpc.routeTableIds", len(v.RouteTableIDs) > 0, byoOnly, "producer", "route tables", "producer")
		forbid(p, "producer.vpc.subnetIds", len(v.SubnetIDs) > 0, byoOnly, "producer", "subnets", "producer")
		return
	}
	checkID(p, "producer.vpc.id", "vpc", v.ID)
	c.forbidGreenfield(p, "producer")
	checkIDs(p, "producer.vpc.routeTableIds", "rtb", v.RouteTableIDs, 1, "the producer route tables that get the route to the consumer VPC")
	if c.IsServerless() && c.CreatesWarehouse() {
		checkIDs(p, "producer.vpc.subnetIds", "subnet", v.SubnetIDs, ServerlessSubnets, "the subnets of the workgroup the program creates, in three availability zones (CreateWorkgroup, subnetIds)")
	} else if c.Producer.Redshift.Create {
		checkIDs(p, "producer.vpc.subnetIds", "subnet", v.SubnetIDs, 1, "the subnets of the cluster the program creates in this existing VPC")
	} else {
		forbid(p, "producer.vpc.subnetIds", len(v.SubnetIDs) > 0, "only places a cluster the program creates (producer.redshift.create: true); remove it")
	}
}

func (c *Config) checkConsumerVPC(p *problems, block netip.Prefix) {
	v := c.Consumer.VPC
	if v.CreatesVPC() {
		public := 0
		if v.NatGateway {
			public = 1 // the NAT gateway's public subnet
		}
		v.Greenfield.check(p, "consumer", block, public)
		forbid(p, "consumer.vpc.subnetIds", len(v.SubnetIDs) > 0, byoOnly, "consumer", "subnets", "consumer")
		forbid(p, "consumer.vpc.routeTableIds", len(v.RouteTableIDs) > 0, byoOnly, "consumer", "route tables", "consumer")
		forbid(p, "consumer.vpc.s3GatewayEndpointId", v.S3GatewayEndpointID != "", byoOnly, "consumer", "S3 gateway endpoint", "consumer")
		return
	}
	checkID(p, "consumer.vpc.id", "vpc", v.ID)
	c.forbidGreenfield(p, "consumer")
	forbid(p, "consumer.vpc.natGateway", v.NatGateway, createOnly, "consumer")
	checkIDs(p, "consumer.vpc.subnetIds", "subnet", v.SubnetIDs, 2, "private subnets for Studio in at least two availability zones")
	checkIDs(p, "consumer.vpc.routeTableIds", "rtb", v.RouteTableIDs, 1, "the consumer route tables that get the route to the producer VPC")
	if v.S3GatewayEndpointID != "" {
		checkID(p, "consumer.vpc.s3GatewayEndpointId", "vpce", v.S3GatewayEndpointID)
		// The program does not own that endpoint's policy.
		forbid(p, "consumer.vpc.s3EndpointBuckets", len(v.S3EndpointBuckets) > 0,
			"limits the S3 gateway endpoint the program creates, but consumer.vpc.s3GatewayEndpointId reuses an existing one whose policy is its owner's; remove one of them")
	}
}

// MaxSubnetCount is the most availability zones an AWS region has.
const MaxSubnetCount = 6

// flowLogRetentions are the retention periods CloudWatch Logs accepts.
var flowLogRetentions = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// check validates the keys of a VPC to create; public is the number of
// public subnets that must fit next to the private ones.
func (g Greenfield) check(p *problems, side string, block netip.Prefix, public int) {
	key := side + ".vpc."
	if g.SubnetCount < 2 || g.SubnetCount > MaxSubnetCount {
		p.add(key+"subnetCount", "%d is out of range; Studio needs private subnets in 2 to %d availability zones (default %d)", g.SubnetCount, MaxSubnetCount, DefaultSubnetCount)
	} else if block.IsValid() {
		if _, err := cidr.Split(block, g.SubnetCount+public); err != nil {
			p.add(key+"cidr", "%v; use a larger block such as a /16", err)
		}
	}
	if !slices.Contains(flowLogRetentions, g.FlowLogRetentionDays) {
		p.add(key+"flowLogRetentionDays", "%d is not a CloudWatch Logs retention period; use one of %v", g.FlowLogRetentionDays, flowLogRetentions)
	}
}

// forbidGreenfield rejects greenfield keys on an existing VPC, whatever
// their value.
func (c *Config) forbidGreenfield(p *problems, side string) {
	for _, key := range []string{"subnetCount", "flowLogRetentionDays"} {
		forbid(p, side+".vpc."+key, c.Given(side+".vpc."+key), createOnly, side)
	}
}

// forbid reports key when a value is present where it has no meaning.
func forbid(p *problems, key string, present bool, format string, args ...any) {
	if present {
		p.add(key, format, args...)
	}
}

// resourceIDPatterns match EC2 resource IDs: the type's prefix, then 8 or 17 hex digits.
var resourceIDPatterns = map[string]*regexp.Regexp{}

func init() {
	for _, prefix := range []string{"vpc", "subnet", "rtb", "sg", "vpce"} {
		resourceIDPatterns[prefix] = regexp.MustCompile(`^` + prefix + `-([0-9a-f]{8}|[0-9a-f]{17})$`)
	}
}

func checkID(p *problems, key, prefix, id string) {
	if id == "" {
		p.add(key, "is required: an ID such as %s-0a1b2c3d4e5f60718", prefix)
		return
	}
	if !resourceIDPatterns[prefix].MatchString(id) {
		p.add(key, "%q is not a %s ID (%s- followed by 8 or 17 hex digits)", id, prefix, prefix)
	}
}

// checkIDs validates a list of resource IDs: at least min of them, each well
// formed, none twice.
func checkIDs(p *problems, key, prefix string, ids []string, min int, what string) {
	if len(ids) < min {
		p.add(key, "has %d entries but needs at least %d: %s", len(ids), min, what)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		checkID(p, fmt.Sprintf("%s[%d]", key, i), prefix, id)
		if seen[id] {
			p.add(fmt.Sprintf("%s[%d]", key, i), "%q is listed twice", id)
		}
		seen[id] = true
	}
}

// DefaultEndpoints are the interface endpoints Studio in VpcOnly mode and the
// notebook flow need without a NAT gateway.
var DefaultEndpoints = []string{"sagemaker.api", "sagemaker.runtime", "studio", "sts", "logs", "redshift", "redshift-data"}

func (c *Config) checkEndpoints(p *problems) {
	seen := map[string]bool{}
	for i, name := range c.Consumer.VPC.ExtraEndpoints {
		key := fmt.Sprintf("consumer.vpc.extraEndpoints[%d]", i)
		switch {
		case name == "s3":
			p.add(key, "s3 is already reachable through the S3 gateway endpoint the program creates")
		case slices.Contains(DefaultEndpoints, name):
			p.add(key, "%q is created by default; remove it (defaults: %s)", name, strings.Join(DefaultEndpoints, ", "))
		case !slices.Contains(KnownEndpoints, name):
			p.add(key, "%q is not an endpoint service this program knows; use one of %s", name, strings.Join(KnownEndpoints, ", "))
		case seen[name]:
			p.add(key, "%q is listed twice", name)
		}
		seen[name] = true
	}
	seenBucket := map[string]bool{}
	for i, bucket := range c.Consumer.VPC.S3EndpointBuckets {
		key := fmt.Sprintf("consumer.vpc.s3EndpointBuckets[%d]", i)
		switch {
		case !ValidBucketName(bucket):
			p.add(key, "%q is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit)", bucket)
		case seenBucket[bucket]:
			p.add(key, "%q is listed twice", bucket)
		}
		seenBucket[bucket] = true
	}
	if size := s3EndpointPolicySize(c.Consumer.VPC.S3EndpointBuckets); size > quota.EndpointPolicySize {
		p.add("consumer.vpc.s3EndpointBuckets", "%d buckets make the S3 gateway endpoint policy about %d characters, more than the %d AWS allows; name fewer buckets (or a few with shorter names)",
			len(c.Consumer.VPC.S3EndpointBuckets), size, quota.EndpointPolicySize)
	}
}

// s3EndpointPolicySize bounds the S3 gateway endpoint policy from above: each
// bucket is named twice (the bucket and its objects, `"arn:aws-us-gov:s3:::b",`
// and `".../*",`), and the rest of the document, the same for every stack,
// stays under a kilobyte.
func s3EndpointPolicySize(buckets []string) int {
	const rest = 1024
	const arnPrefix = len(`"arn:aws-us-gov:s3:::",`)
	size := rest
	for _, bucket := range buckets {
		size += 2*(arnPrefix+len(bucket)) + len("/*")
	}
	return size
}

// KnownEndpoints are the interface endpoint services consumer.vpc.extraEndpoints
// accepts, by their name below the region: the closed-network services of
// SageMaker, its tooling and the data services next to it. A typo fails here,
// not at apply time.
var KnownEndpoints = []string{
	"athena", "bedrock-runtime", "cloudformation", "codeartifact.api", "codeartifact.repositories",
	"codecommit", "ec2", "ec2messages", "ecr.api", "ecr.dkr", "elasticfilesystem", "events",
	"git-codecommit", "glue", "kms", "lambda", "monitoring", "notebook",
	"sagemaker.featurestore-runtime", "sagemaker.metrics", "secretsmanager", "servicecatalog",
	"sns", "sqs", "ssm", "ssmmessages", "states",
}

var (
	bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipv4Pattern   = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// ValidBucketName applies S3's naming rules for general purpose buckets.
func ValidBucketName(name string) bool {
	return bucketPattern.MatchString(name) && !ipv4Pattern.MatchString(name) &&
		!strings.Contains(name, "..") && !strings.HasPrefix(name, "xn--") && !strings.HasSuffix(name, "-s3alias")
}

func (c *Config) checkRedshift(p *problems) {
	r := c.Producer.Redshift
	if c.IsServerless() {
		c.checkServerless(p)
		c.checkDatabaseAndGroups(p)
		if r.Port < 1150 || r.Port > 65535 {
			p.add("producer.redshift.port", "%d is not a Redshift port; workgroups listen on 5431-5455 or 8191-8215 (default %d)", r.Port, DefaultRedshiftPort)
		}
		if c.Peering() && !r.Serverless.Create {
			checkID(p, "producer.redshift.securityGroupId", "sg", r.SecurityGroupID)
		}
		return
	}
	switch {
	case r.ClusterIdentifier == "":
		p.add("producer.redshift.clusterIdentifier", "is required: the identifier of the existing cluster")
	case !clusterIdentifierPattern.MatchString(r.ClusterIdentifier):
		p.add("producer.redshift.clusterIdentifier", "%q is not a Redshift cluster identifier (1-63 lower-case letters, digits or single hyphens, starting with a letter)", r.ClusterIdentifier)
	}
	if r.Port < 1150 || r.Port > 65535 {
		// Redshift CreateCluster: Port 1150-65535.
		p.add("producer.redshift.port", "%d is not a Redshift port; clusters listen on 1150-65535 (default %d)", r.Port, DefaultRedshiftPort)
	}
	if r.Create {
		forbid(p, "producer.redshift.securityGroupId", r.SecurityGroupID != "", "the program creates the security group of a cluster it creates; remove it")
		if r.Port >= 1150 && r.Port <= 65535 && !ra3Port(r.Port) {
			// Redshift CreateCluster, Port: an RA3 cluster listens on
			// 5431-5455 or 8191-8215; every type a new cluster may use is RA3.
			p.add("producer.redshift.port", "%d: a new RA3 cluster listens on 5431-5455 or 8191-8215 (AWS refuses any other port when creating it); choose one of those, such as the default %d",
				r.Port, DefaultRedshiftPort)
		}
		switch {
		case strings.HasPrefix(r.NodeType, "dc2."):
			p.add("producer.redshift.nodeType", "%q: AWS no longer creates DC2 clusters; use an RA3 node type: %s", r.NodeType, strings.Join(NodeTypes, ", "))
		case !slices.Contains(NodeTypes, r.NodeType):
			p.add("producer.redshift.nodeType", "%q is not a Redshift node type a new cluster can use: %s (default %s)", r.NodeType, strings.Join(NodeTypes, ", "), DefaultNodeType)
		}
		if r.NodeCount < 1 || r.NodeCount > 128 {
			p.add("producer.redshift.nodeCount", "%d is out of range; a cluster has 1 to 128 nodes", r.NodeCount)
		}
		switch {
		case !masterUsernamePattern.MatchString(r.MasterUsername):
			p.add("producer.redshift.masterUsername", "%q is not a Redshift user name (lower-case letters, digits and _, starting with a letter, at most 128)", r.MasterUsername)
		case isReservedWord(r.MasterUsername):
			p.add("producer.redshift.masterUsername", "%q is a Redshift reserved word; choose another name, such as %s", r.MasterUsername, DefaultMasterUsername)
		}
	} else {
		if c.Peering() {
			checkID(p, "producer.redshift.securityGroupId", "sg", r.SecurityGroupID)
		}
		const existing = "only shapes a cluster the program creates (producer.redshift.create: true); remove it"
		forbid(p, "producer.redshift.nodeType", r.NodeType != "", existing)
		forbid(p, "producer.redshift.nodeCount", c.Given("producer.redshift.nodeCount"), existing)
		forbid(p, "producer.redshift.masterUsername", r.MasterUsername != "", existing)
	}
	admins := map[string]bool{}
	for i, name := range r.AdminUsers {
		key := fmt.Sprintf("producer.redshift.adminUsers[%d]", i)
		switch {
		case strings.ToLower(name) != name && dbUserPattern.MatchString(strings.ToLower(name)):
			// Redshift folds unquoted identifiers to lower case and stores
			// them so; the profiles are compared with the stored name.
			p.add(key, "%q: Redshift stores user names in lower case; write %q", name, strings.ToLower(name))
		case !dbUserPattern.MatchString(name):
			p.add(key, "%q is not a database user name GetClusterCredentials takes (1-64 lower-case letters, digits, _ + . @ or -, starting with a letter), e.g. %s", name, DefaultMasterUsername)
		case admins[name]:
			p.add(key, "%q is listed twice", name)
		}
		admins[name] = true
	}
	c.checkDatabaseAndGroups(p)
}

// checkDatabaseAndGroups validates the database users connect to and the
// groups (a Serverless producer's roles) they may take, for either kind of
// producer.
func (c *Config) checkDatabaseAndGroups(p *problems) {
	r := c.Producer.Redshift
	switch {
	case r.Database == "":
		p.add("producer.redshift.database", "is required: the database users connect to, e.g. dev")
	case !databasePattern.MatchString(r.Database):
		p.add("producer.redshift.database", "%q is not a Redshift database name (lower-case letters, digits, _ or $, starting with a letter or _, at most 64)", r.Database)
	}
	seen := map[string]bool{}
	for i, group := range r.DBGroups {
		key := fmt.Sprintf("producer.redshift.dbGroups[%d]", i)
		switch {
		case !dbGroupPattern.MatchString(group):
			p.add(key, "%q is not a Redshift group name (lower-case letters, digits, _ or $, starting with a letter or _)", group)
		case isReservedWord(group):
			p.add(key, "%q is a Redshift reserved word and cannot name a group without quotes; choose another name", group)
		case seen[group]:
			p.add(key, "%q is listed twice", group)
		}
		seen[group] = true
	}
}

// adminUser says which admin or system user of the cluster a name is, or ""
// if it is none. A consumer-side stack knows only the default admin users and
// Redshift's own: the producer-side stack's policy denies the rest.
func (c *Config) adminUser(name string) string {
	r := c.Producer.Redshift
	if i := slices.Index(r.AdminUsers, name); i >= 0 {
		by := ""
		if !c.Given("producer.redshift.adminUsers") {
			by = " by default"
		}
		return fmt.Sprintf("producer.redshift.adminUsers[%d]%s, an admin user of the cluster", i, by)
	}
	if r.Create && name == r.MasterUsername {
		return "producer.redshift.masterUsername, the admin user of the cluster the program creates"
	}
	if slices.Contains(RedshiftSystemUsers, name) {
		return "a user Redshift keeps for itself"
	}
	return ""
}

func (c *Config) checkStudio(p *problems) {
	s := c.Consumer.Studio
	switch {
	case s.DomainName == "":
		p.add("consumer.studio.domainName", "is required: the name of the Studio domain to create")
	case !domainNamePattern.MatchString(s.DomainName):
		p.add("consumer.studio.domainName", "%q is not a SageMaker domain name (letters, digits and hyphens, starting and ending with a letter or digit, at most 63)", s.DomainName)
	case len(LifecycleConfigName(s.DomainName, "")) > maxNameLen:
		suffix := len(LifecycleConfigName("", ""))
		p.add("consumer.studio.domainName", "%q is %d characters; the JupyterLab lifecycle configuration is named after it "+
			"(<domainName>-jupyterlab-<8 hex digits>), and SageMaker names are at most %d characters, so keep it to %d",
			s.DomainName, len(s.DomainName), maxNameLen, maxNameLen-suffix)
	}
	if len(s.UserProfiles) == 0 {
		p.add("consumer.studio.userProfiles", "needs at least one user profile name, e.g. [alice]")
	}
	seen := map[string]bool{}
	for i, name := range s.UserProfiles {
		key := fmt.Sprintf("consumer.studio.userProfiles[%d]", i)
		switch {
		case !userProfilePattern.MatchString(name):
			p.add(key, "%q cannot be both a Studio user profile and a Redshift user; use lower-case letters, digits and hyphens, starting with a letter, at most 63", name)
		case len(name) < 2:
			// STS AssumeRole: SourceIdentity is 2 to 64 characters.
			p.add(key, "%q is one character; the profile name becomes the session's SourceIdentity, which STS takes from 2 to 64 characters", name)
		case isReservedWord(name):
			p.add(key, "%q is a Redshift reserved word and cannot be a database user; choose another name", name)
		case c.adminUser(name) != "":
			// The profile name becomes the DbUser: a profile named after an
			// admin would be handed the admin's credentials but for the
			// producer role's deny; refuse it before anything exists.
			p.add(key, "%q is %s; a profile becomes the database user of its name, so give this person a name of their own", name, c.adminUser(name))
		case seen[name]:
			p.add(key, "%q is listed twice", name)
		}
		seen[name] = true
	}
	c.checkMirror(p)
	c.checkStudioTeam(p)
	// Each attachment is named after its policy's name, the ARN's last
	// segment: two policies of one name, or one listed twice, would register
	// one logical name twice, which the engine refuses mid-deploy.
	attachedName := map[string]int{}
	for i, arn := range s.ExecutionRolePolicyArns {
		key := fmt.Sprintf("consumer.studio.executionRolePolicyArns[%d]", i)
		match := policyArnPattern.FindStringSubmatch(arn)
		name := arn[strings.LastIndex(arn, "/")+1:]
		first, taken := attachedName[name]
		switch {
		case match == nil:
			p.add(key, "%q is not a managed policy ARN such as %s", arn, policy.ManagedPolicy(c.Partition(), DefaultExecutionRolePolicy))
		case match[1] != c.Partition():
			p.add(key, "%q is in partition %s but region %s is in %s", arn, match[1], c.Region, c.Partition())
		case taken && s.ExecutionRolePolicyArns[first] == arn:
			p.add(key, "%q is listed twice, also as consumer.studio.executionRolePolicyArns[%d]", arn, first)
		case taken:
			p.add(key, "%q has the policy name %s of consumer.studio.executionRolePolicyArns[%d]; list each policy once, and give a policy of your own a name of its own", arn, name, first)
		}
		if !taken {
			attachedName[name] = i
		}
	}
}

// checkGuardrails refuses switches of guardrails that are off: they would
// deny nothing, silently.
func (c *Config) checkGuardrails(p *problems) {
	g := c.Consumer.Guardrails
	if g.On() {
		return
	}
	const off = "has no effect with consumer.guardrails.enabled: false; remove it, or turn the guardrails on"
	forbid(p, "consumer.guardrails.requireNetworkIsolation", g.RequireNetworkIsolation, off)
	forbid(p, "consumer.guardrails.requireSourceVpce", g.RequireSourceVpce, off)
}
