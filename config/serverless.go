package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Serverless is a Redshift Serverless workgroup as the producer: an
// existing one, by name, or one the program creates with its namespace.
// Redshift Serverless maps each IAM identity to one database user,
// IAMR:<role name> (GetCredentials takes no DbUser), so each Studio user gets
// a role of their own in the data account.
type Serverless struct {
	// WorkgroupName is the existing workgroup, or the one to create. Required.
	WorkgroupName string `json:"workgroupName"`
	// Create makes the namespace and the workgroup.
	Create bool `json:"create,omitempty"`
	// NamespaceName names a created namespace. Default: WorkgroupName.
	NamespaceName string `json:"namespaceName,omitempty"`
	// KmsKeyArn encrypts a created namespace. Default: a key the program
	// creates, with rotation on.
	KmsKeyArn string `json:"kmsKeyArn,omitempty"`
	// LogExports are the audit logs a created namespace exports to
	// CloudWatch Logs. Default: all of ServerlessLogExports.
	LogExports []string `json:"logExports,omitempty"`
	// EnhancedVpcRouting sends a created workgroup's COPY and UNLOAD traffic
	// through the VPC. Default true.
	EnhancedVpcRouting *bool `json:"enhancedVpcRouting,omitempty"`
	// BaseCapacity is a created workgroup's base capacity in RPUs. Default
	// DefaultBaseCapacity.
	BaseCapacity int `json:"baseCapacity,omitempty"`
}

// ServerlessLogExports are the audit logs a namespace exports (CreateNamespace,
// logExports): connections, user changes, and each query with its user.
var ServerlessLogExports = []string{"userlog", "connectionlog", "useractivitylog"}

// DefaultBaseCapacity is AWS's default base capacity of a workgroup, in RPUs
// (CreateWorkgroup, baseCapacity).
const DefaultBaseCapacity = 128

// Base capacity bounds (Amazon Redshift management guide, "Understanding
// Amazon Redshift Serverless capacity": 8 to 1024 RPUs, in units of 8).
const (
	minBaseCapacity  = 8
	maxBaseCapacity  = 1024
	baseCapacityStep = 8
)

// ServerlessSubnets is the number of subnets, each in its own availability
// zone, a workgroup needs (CreateWorkgroup, subnetIds: "at least three
// subnets spanning three Availability Zones").
const ServerlessSubnets = 3

// Workgroup and namespace names: 3-64 lower-case letters, digits and hyphens
// (CreateWorkgroup, workgroupName; CreateNamespace, namespaceName).
var serverlessNamePattern = regexp.MustCompile(`^[a-z0-9-]{3,64}$`)

// kmsKeyArnPattern is a KMS key ARN or key alias ARN.
var kmsKeyArnPattern = regexp.MustCompile(`^arn:(aws|aws-us-gov):kms:[a-z0-9-]+:\d{12}:(key/[0-9a-f-]{36}|key/mrk-[0-9a-f]{32}|alias/[\w/+=,.@-]+)$`)

// maxRoleNameLen is IAM's limit on a role's name (CreateRole, RoleName).
const maxRoleNameLen = 64

// ServerlessEndpoint is the interface endpoint a Serverless producer's users
// call GetCredentials through.
const ServerlessEndpoint = "redshift-serverless"

// maxTagValueLen is the longest IAM tag value (TagRole, Tag.Value).
const maxTagValueLen = 256

// DBRolesTag is the value of the RedshiftDbRoles tag: the database roles
// joined with colons.
func DBRolesTag(roles []string) string { return strings.Join(roles, ":") }

// IsServerless reports whether the producer is a Redshift Serverless workgroup.
func (c *Config) IsServerless() bool { return c.Producer.Redshift.Serverless != nil }

// CreatesWarehouse reports whether the program creates the warehouse: a
// provisioned cluster or a Serverless workgroup.
func (c *Config) CreatesWarehouse() bool {
	r := c.Producer.Redshift
	return r.Create || (r.Serverless != nil && r.Serverless.Create)
}

// UsesEnhancedVpcRouting is the workgroup's enhanced VPC routing (default on).
func (s Serverless) UsesEnhancedVpcRouting() bool {
	return s.EnhancedVpcRouting == nil || *s.EnhancedVpcRouting
}

func (c *Config) applyServerlessDefaults() {
	s := c.Producer.Redshift.Serverless
	if s == nil || !s.Create {
		return
	}
	if s.NamespaceName == "" {
		s.NamespaceName = s.WorkgroupName
	}
	if !c.Given("producer.redshift.serverless.logExports") {
		s.LogExports = slices.Clone(ServerlessLogExports)
	}
	if !c.Given("producer.redshift.serverless.baseCapacity") {
		s.BaseCapacity = DefaultBaseCapacity
	}
}

// checkServerless validates a Serverless producer and refuses the cluster
// keys and the connections and kinds of stack it cannot serve.
func (c *Config) checkServerless(p *problems) {
	s := c.Producer.Redshift.Serverless
	r := c.Producer.Redshift
	const key = "producer.redshift.serverless"
	const notCluster = "names a provisioned cluster, but producer.redshift.serverless makes the producer a Redshift Serverless workgroup; remove one of them"
	forbid(p, "producer.redshift.clusterIdentifier", r.ClusterIdentifier != "", notCluster)
	forbid(p, "producer.redshift.create", c.Given("producer.redshift.create"), "creates a provisioned cluster; a created workgroup is producer.redshift.serverless.create; remove it")
	for _, name := range []string{"nodeType", "nodeCount", "masterUsername", "adminUsers"} {
		forbid(p, "producer.redshift."+name, c.Given("producer.redshift."+name), notCluster)
	}
	switch {
	case s.WorkgroupName == "":
		p.add(key+".workgroupName", "is required: the existing workgroup, or the one to create, e.g. analytics")
	case !serverlessNamePattern.MatchString(s.WorkgroupName):
		p.add(key+".workgroupName", "%q is not a workgroup name (3-64 lower-case letters, digits and hyphens)", s.WorkgroupName)
	}
	switch c.Connection {
	case ConnectionManagedEndpoint:
		p.add("connection", "%s is not supported yet with a Redshift Serverless producer: a workgroup's managed endpoint in another account "+
			"needs the workgroup shared with that account first, which this program does not do; use %s or %s", c.Connection, ConnectionDataAPI, ConnectionPeering)
	case ConnectionPeering:
		if !s.Create {
			// The workgroup's own group gets the ingress, as a cluster's does
			// (checkRedshift asks for it in peering mode).
			break
		}
		forbid(p, "producer.redshift.securityGroupId", r.SecurityGroupID != "", "the program creates the security group of a workgroup it creates; remove it")
	}
	// The groups become each role's RedshiftDbRoles tag, the database roles
	// joined at sign-in, colon-separated (management guide, "Defining
	// database roles to grant to federated users in Amazon Redshift
	// Serverless"): an IAM tag value, which takes no $ and at most 256
	// characters (IAM, TagRole).
	for i, group := range r.DBGroups {
		forbid(p, fmt.Sprintf("producer.redshift.dbGroups[%d]", i), strings.Contains(group, "$"),
			"%q: with a Serverless producer the groups are database roles named in an IAM tag, which takes no $; rename the role", group)
	}
	if roles := DBRolesTag(r.DBGroups); len(roles) > maxTagValueLen {
		p.add("producer.redshift.dbGroups", "the roles make a RedshiftDbRoles tag of %d characters; an IAM tag value has at most %d: name fewer roles", len(roles), maxTagValueLen)
	}
	// Each user's role carries the default tags and two of its own
	// (studio-user, RedshiftDbRoles); IAM takes 50 per role (TagRole).
	if ownTags := 2; len(c.Tags) > maxTags-ownTags {
		p.add("tags", "has %d tags; with a Serverless producer each user's role carries them and %d of its own, and IAM takes %d per role, so give at most %d",
			len(c.Tags), ownTags, maxTags, maxTags-ownTags)
	}
	for i, profile := range c.Consumer.Studio.UserProfiles {
		// Each profile names its role in the data account.
		if len(profile) > maxRoleNameLen {
			p.add(fmt.Sprintf("consumer.studio.userProfiles[%d]", i), "%q is %d characters; with a Serverless producer it names an IAM role, of at most %d", profile, len(profile), maxRoleNameLen)
		}
	}
	if !s.Create {
		const existing = "only shapes a workgroup the program creates (producer.redshift.serverless.create: true); remove it"
		for _, name := range []string{"namespaceName", "kmsKeyArn", "logExports", "enhancedVpcRouting", "baseCapacity"} {
			forbid(p, key+"."+name, c.Given(key+"."+name), existing)
		}
		return
	}
	if !serverlessNamePattern.MatchString(s.NamespaceName) {
		p.add(key+".namespaceName", "%q is not a namespace name (3-64 lower-case letters, digits and hyphens)", s.NamespaceName)
	}
	if s.KmsKeyArn != "" {
		match := kmsKeyArnPattern.FindStringSubmatch(s.KmsKeyArn)
		switch {
		case match == nil:
			p.add(key+".kmsKeyArn", "%q is not a KMS key ARN such as arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", s.KmsKeyArn, c.Region, placeholderAccount(c.Producer.AccountID))
		case !strings.Contains(s.KmsKeyArn, ":kms:"+c.Region+":"):
			p.add(key+".kmsKeyArn", "%q is not in region %s; a namespace's key is in its own region", s.KmsKeyArn, c.Region)
		}
	}
	seen := map[string]bool{}
	for i, export := range s.LogExports {
		k := fmt.Sprintf("%s.logExports[%d]", key, i)
		switch {
		case !slices.Contains(ServerlessLogExports, export):
			p.add(k, "%q is not a Redshift Serverless audit log; use %s", export, strings.Join(ServerlessLogExports, ", "))
		case seen[export]:
			p.add(k, "%q is listed twice", export)
		}
		seen[export] = true
	}
	if b := s.BaseCapacity; b < minBaseCapacity || b > maxBaseCapacity || b%baseCapacityStep != 0 {
		p.add(key+".baseCapacity", "%d RPUs is not a base capacity; use %d to %d in units of %d (default %d)", b, minBaseCapacity, maxBaseCapacity, baseCapacityStep, DefaultBaseCapacity)
	}
	if r.Port >= 1150 && r.Port <= 65535 && !ra3Port(r.Port) {
		// CreateWorkgroup, port: 5431-5455 or 8191-8215.
		p.add("producer.redshift.port", "%d: a Redshift Serverless workgroup listens on 5431-5455 or 8191-8215; choose one of those, such as the default %d", r.Port, DefaultRedshiftPort)
	}
}
