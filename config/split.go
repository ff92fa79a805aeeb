package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// The parts of the system one stack deploys (studio-redshift:side).
const (
	// SideBoth deploys both accounts from one stack, with credentials for
	// both: the default.
	SideBoth = "both"
	// SideProducer deploys the data account's part for a list of consumers,
	// with the data account's credentials only.
	SideProducer = "producer"
	// SideConsumer deploys one ML account's part, reading the producer-side
	// stack's outputs, with the ML account's credentials only.
	SideConsumer = "consumer"
)

// Sides are the values studio-redshift:side takes.
var Sides = []string{SideBoth, SideProducer, SideConsumer}

// ConsumerRef is one ML account a producer-side stack serves: by the stack
// reference of its consumer-side stack, or, for a team on another Pulumi
// backend, by the values that stack would export.
type ConsumerRef struct {
	// Name keys the consumer's resources and its entry in the
	// consumerLinks output; a consumer-side stack finds itself under its
	// own stack name, so use that.
	Name string `json:"name"`
	// Stack is the consumer-side stack ("org/studio-redshift/ml-team-a").
	Stack string `json:"stack,omitempty"`
	// The values of a consumer given in configuration.
	AccountID        string `json:"accountId,omitempty"`
	ExecutionRoleArn string `json:"executionRoleArn,omitempty"`
	VPC              struct {
		ID   string `json:"id,omitempty"`
		CIDR string `json:"cidr,omitempty"`
	} `json:"vpc,omitempty"`
	// PeeringConnectionID is the peering the consumer requested (peering
	// mode), once its stack has run.
	PeeringConnectionID string `json:"peeringConnectionId,omitempty"`
	// DBUserPrefix starts the name of each of this consumer's database
	// users: its namespace in the cluster. Absent, it is derived from Name
	// (DefaultDBUserPrefix); "" gives the consumer the bare names.
	DBUserPrefix *string `json:"dbUserPrefix,omitempty"`
	// UserProfiles are the consumer's Studio user profiles, as its stack's
	// userProfiles output lists them: with a Redshift Serverless producer,
	// each gets a role of its own in the data account.
	UserProfiles []string `json:"userProfiles,omitempty"`
}

// Database-user namespaces. A prefix is a label of lower-case letters,
// digits and hyphens, starting with a letter, then one underscore. Profile
// names (and so the SourceIdentity SageMaker stamps) never contain an
// underscore, so the first underscore of a database user's name ends its
// prefix: two prefixed namespaces overlap only when their prefixes are
// equal, and none overlaps the bare namespace (names without an underscore).
const (
	// DBUserSeparator ends every non-empty prefix.
	DBUserSeparator = "_"
	// MaxDBUserPrefix keeps 48 of GetClusterCredentials' 64 DbUser
	// characters for the profile name; a consumer stack refuses a longer
	// profile by key (CheckDBUserNames).
	MaxDBUserPrefix = 16
	// MaxDBUser is GetClusterCredentials' limit on DbUser (Redshift API
	// reference: 1 to 64 characters).
	MaxDBUser = 64
)

// dbUserPrefixPattern is a non-empty prefix: a label, then the separator.
var dbUserPrefixPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,14}_$`)

// UserPrefix is the consumer's database-user prefix: the configured one, or
// the one derived from its name.
func (c ConsumerRef) UserPrefix() string {
	if c.DBUserPrefix != nil {
		return *c.DBUserPrefix
	}
	return DefaultDBUserPrefix(c.Name)
}

// DefaultDBUserPrefix derives a prefix from a consumer name: the name and
// the separator, or, for a name longer than the label allows, its first
// characters and a digest of the whole, so that two long names sharing a
// beginning still get different prefixes.
func DefaultDBUserPrefix(consumerName string) string {
	const label = MaxDBUserPrefix - len(DBUserSeparator)
	if len(consumerName) <= label {
		return consumerName + DBUserSeparator
	}
	digest := sha256.Sum256([]byte(consumerName))
	head := strings.TrimRight(consumerName[:label-9], "-")
	return head + "-" + hex.EncodeToString(digest[:])[:8] + DBUserSeparator
}

// checkDBUserPrefixes refuses malformed prefixes and namespaces that
// overlap: two consumers with one prefix would be each other's users.
func (c *Config) checkDBUserPrefixes(p *problems) {
	owner := map[string]int{}
	for i, consumer := range c.Consumers {
		key := fmt.Sprintf("consumers[%d].dbUserPrefix", i)
		prefix := consumer.UserPrefix()
		if prefix != "" && !dbUserPrefixPattern.MatchString(prefix) {
			p.add(key, "%q is not a database-user prefix: up to %d lower-case letters, digits and hyphens, starting with a letter, then one underscore (%q), "+
				"or \"\" for the bare profile names", prefix, MaxDBUserPrefix-1, "ml-team-a"+DBUserSeparator)
			continue
		}
		if other, taken := owner[prefix]; taken {
			what := fmt.Sprintf("%q", prefix)
			if consumer.DBUserPrefix == nil {
				what = fmt.Sprintf("%q (derived from the name)", prefix)
			}
			p.add(key, "%s overlaps consumers[%d]'s namespace: each consumer needs a prefix of its own, and at most one the bare names (\"\")", what, other)
			continue
		}
		owner[prefix] = i
	}
}

// CheckDBUserNames refuses, by key, a profile whose database user, prefix
// and name, is longer than GetClusterCredentials takes: for a consumer-side
// stack, which learns its prefix from the producer stack.
func CheckDBUserNames(prefix string, profiles []string) error {
	var p problems
	for i, profile := range profiles {
		if len(prefix)+len(profile) > MaxDBUser {
			p.add(fmt.Sprintf("consumer.studio.userProfiles[%d]", i), "%q becomes database user %q, %d characters; GetClusterCredentials takes at most %d: "+
				"use a profile name of at most %d characters, or ask the producer stack for a shorter consumers[].dbUserPrefix "+
				"(with Redshift Serverless, the role <prefix><profile> in the data account has IAM's limit, the same 64)",
				profile, prefix+profile, len(prefix)+len(profile), MaxDBUser, MaxDBUser-len(prefix))
		}
	}
	if len(p) > 0 {
		return p.err()
	}
	return nil
}

// consumerNamePattern keeps consumer names usable in logical names.
var consumerNamePattern = regexp.MustCompile(`^[a-z](-?[a-z0-9]){0,39}$`)

// stackNamePattern is a Pulumi stack name, bare or qualified by
// organization and project.
var stackNamePattern = regexp.MustCompile(`^([\w.-]+/){0,2}[\w.-]+$`)

// peeringIDPattern is a VPC peering connection ID.
var peeringIDPattern = regexp.MustCompile(`^pcx-([0-9a-f]{8}|[0-9a-f]{17})$`)

// Split reports whether this stack deploys one side only.
func (c *Config) Split() bool { return c.Side != SideBoth }

func (c *Config) checkSide(p *problems) {
	if !slices.Contains(Sides, c.Side) {
		p.add("side", "%q is not a side; use one of %s (default %s)", c.Side, strings.Join(Sides, ", "), SideBoth)
		return
	}
	both := "needs both accounts' credentials, which a split stack does not hold; deploy it from a stack of side both, or leave it out"
	switch c.Side {
	case SideConsumer:
		switch {
		case c.ProducerStack == "" && c.Given("producerOutputs"):
			// A producer on another backend: its outputs, pasted.
		case c.ProducerStack == "":
			p.add("producerStack", "is required for side consumer: the producer-side stack to read, e.g. acme/studio-redshift/data-platform "+
				"(or, for a producer on another backend, producerOutputs: its `pulumi stack output --json`)")
		case c.Given("producerOutputs"):
			p.add("producerOutputs", "comes with producerStack; give one: the stack to read, or its outputs for a producer on another backend")
		case !stackNamePattern.MatchString(c.ProducerStack):
			p.add("producerStack", "%q is not a stack name such as data-platform or acme/studio-redshift/data-platform", c.ProducerStack)
		}
		forbid(p, "producer", c.Given("producer"), "comes from the producer-side stack (producerStack) in a consumer-side stack; remove it")
		forbid(p, "connection", c.Given("connection"), "is the producer-side stack's (its output connection) in a consumer-side stack; remove it")
		forbid(p, "consumers", c.Given("consumers"), "only a producer-side stack lists consumers; remove it")
	case SideProducer:
		forbid(p, "consumer", c.Given("consumer"), "a producer-side stack lists its consumers under consumers, not consumer; move it")
		forbid(p, "producerStack", c.Given("producerStack"), "only a consumer-side stack refers to a producer stack; remove it")
		forbid(p, "producerOutputs", c.Given("producerOutputs"), "only a consumer-side stack reads a producer's outputs; remove it")
		if len(c.Consumers) == 0 {
			p.add("consumers", "needs at least one consumer for side producer: [{name: ml-team-a, stack: acme/studio-redshift/ml-team-a}]")
		}
	default:
		forbid(p, "consumers", c.Given("consumers"), "only a producer-side stack (side: producer) lists consumers; remove it, or set side")
		forbid(p, "producerStack", c.Given("producerStack"), "only a consumer-side stack (side: consumer) refers to a producer stack; remove it, or set side")
		forbid(p, "producerOutputs", c.Given("producerOutputs"), "only a consumer-side stack (side: consumer) reads a producer's outputs; remove it, or set side")
	}
	if c.Split() {
		forbid(p, "athena", c.Given("athena"), "%s", both)
		forbid(p, "featureStore", c.Given("featureStore"), "%s", both)
	}
}

// checkConsumers validates a producer-side stack's consumers.
func (c *Config) checkConsumers(p *problems, producerCIDR netip.Prefix) {
	seen := map[string]bool{}
	peered := peeredRanges{producer: producerCIDR}
	for i, consumer := range c.Consumers {
		key := fmt.Sprintf("consumers[%d]", i)
		switch {
		case !consumerNamePattern.MatchString(consumer.Name):
			p.add(key+".name", "%q is not a consumer name (lower-case letters, digits and single hyphens, starting with a letter, at most 40): use the consumer-side stack's name", consumer.Name)
		case seen[consumer.Name]:
			p.add(key+".name", "%q is listed twice", consumer.Name)
		}
		seen[consumer.Name] = true
		given := consumer.AccountID != "" || consumer.ExecutionRoleArn != "" || consumer.VPC.ID != "" || consumer.VPC.CIDR != "" || consumer.PeeringConnectionID != "" ||
			len(consumer.UserProfiles) > 0
		if consumer.Stack == "" {
			c.checkConsumerProfiles(p, key, consumer)
		}
		if consumer.Stack != "" {
			if !stackNamePattern.MatchString(consumer.Stack) {
				p.add(key+".stack", "%q is not a stack name such as ml-team-a or acme/studio-redshift/ml-team-a", consumer.Stack)
			}
			forbid(p, key+".stack", given, "comes with values of its own; give either stack (the values come from its outputs) or accountId, executionRoleArn and vpc")
			continue
		}
		Account{AccountID: consumer.AccountID}.check(p, key)
		if match := roleArnPattern.FindStringSubmatch(consumer.ExecutionRoleArn); match == nil {
			p.add(key+".executionRoleArn", "%q is not an IAM role ARN; give the consumer's Studio execution role (its stack's executionRoleArn output), or stack", consumer.ExecutionRoleArn)
		} else if match[2] != consumer.AccountID {
			p.add(key+".executionRoleArn", "is in account %s, not in %s.accountId %s", match[2], key, consumer.AccountID)
		}
		if c.Connection == ConnectionDataAPI {
			continue // IAM alone: no network of the consumer's is touched
		}
		checkID(p, key+".vpc.id", "vpc", consumer.VPC.ID)
		if c.Peering() {
			peered.check(p, key+".vpc.cidr", i, consumer.Name, checkCIDR(p, key+".vpc.cidr", consumer.VPC.CIDR))
			if consumer.PeeringConnectionID != "" && !peeringIDPattern.MatchString(consumer.PeeringConnectionID) {
				p.add(key+".peeringConnectionId", "%q is not a VPC peering connection ID (pcx- and 8 or 17 hex digits)", consumer.PeeringConnectionID)
			}
		}
	}
}

// checkConsumerProfiles validates the user profiles of a consumer given by
// values: a Serverless producer makes a role named <dbUserPrefix><profile>
// for each, and a cluster needs none.
func (c *Config) checkConsumerProfiles(p *problems, key string, consumer ConsumerRef) {
	if !c.IsServerless() {
		forbid(p, key+".userProfiles", len(consumer.UserProfiles) > 0,
			"only a Redshift Serverless producer makes a role per user; a cluster serves a consumer's users by its one producer role: remove it")
		return
	}
	if len(consumer.UserProfiles) == 0 {
		p.add(key+".userProfiles", "is required with a Redshift Serverless producer: the consumer's Studio user profiles (its stack's userProfiles output), "+
			"each of which gets a role in the data account, e.g. [alice, bob]")
		return
	}
	seen := map[string]bool{}
	for j, profile := range consumer.UserProfiles {
		k := fmt.Sprintf("%s.userProfiles[%d]", key, j)
		tooLong := userRoleNameProblem(consumer.UserPrefix(), profile, key+".dbUserPrefix")
		switch {
		case !userProfilePattern.MatchString(profile):
			p.add(k, "%q is not a Studio user profile name (lower-case letters, digits and hyphens, starting with a letter)", profile)
		case len(profile) < 2:
			// STS AssumeRole: SourceIdentity is 2 to 64 characters.
			p.add(k, "%q is one character; the profile name becomes the session's SourceIdentity, which STS takes from 2 to 64 characters", profile)
		case seen[profile]:
			p.add(k, "%q is listed twice", profile)
		case tooLong != "":
			p.add(k, "%s", tooLong)
		}
		seen[profile] = true
	}
}

// CheckUserRoleName refuses, by key, a profile of a consumer read from its
// stack whose role in the data account, <prefix><profile>, is longer than
// IAM takes.
func CheckUserRoleName(key, prefix, profile string) error {
	if problem := userRoleNameProblem(prefix, profile, "dbUserPrefix for this consumer"); problem != "" {
		return Errorf(key, "%s", problem)
	}
	return nil
}

// userRoleNameProblem says why <prefix><profile> cannot name a user's role
// in the data account (IAM's 64 characters), or "" when it can; prefixKey
// names what holds the prefix, the other thing to shorten.
func userRoleNameProblem(prefix, profile, prefixKey string) string {
	role := prefix + profile
	if len(role) <= maxRoleNameLen {
		return ""
	}
	return fmt.Sprintf("%q names the role %q in the data account, %d characters; IAM takes at most %d: use a profile name of at most %d characters, or a shorter %s",
		profile, role, len(role), maxRoleNameLen, maxRoleNameLen-len(prefix), prefixKey)
}

// ValidConsumerName reports whether a name can be a consumers[].name, and so
// the name of a consumer-side stack.
func ValidConsumerName(name string) bool { return consumerNamePattern.MatchString(name) }

// overlapMessage says why a peered consumer's range must not overlap the
// producer's, and what to do instead.
const overlapMessage = "%s overlaps producer.vpc.cidr %s; VPC peering cannot route between overlapping ranges: " +
	"choose other ranges, or connection " + ConnectionDataAPI + " or " + ConnectionManagedEndpoint + ", which need no route"

// consumerOverlapMessage says why two peered consumers' ranges must not
// overlap: the producer routes each consumer's range to its peering and
// admits it to the cluster, and AWS refuses a second route to the same
// destination in a route table (RouteAlreadyExists) and a second identical
// ingress rule (InvalidPermission.Duplicate), so the producer stack would
// fail for every consumer.
const consumerOverlapMessage = "%s overlaps consumers[%d] (%s) %s; the producer routes each peered consumer's range to its own peering " +
	"and one route table cannot send one range down two peerings: give one of the VPCs another range, or serve the teams whose ranges overlap " +
	"from a producer-side stack of connection " + ConnectionManagedEndpoint + " or " + ConnectionDataAPI + ", which need no route"

// peeredRanges is the one overlap rule of peering: a peered consumer's range
// overlaps neither the producer's nor another peered consumer's.
type peeredRanges struct {
	producer netip.Prefix
	seen     []peeredRange
}

type peeredRange struct {
	index int
	name  string
	block netip.Prefix
}

// check refuses, under key, a consumer's range that overlaps the producer's
// or an earlier consumer's; an invalid block was reported where it was
// parsed.
func (r *peeredRanges) check(p *problems, key string, index int, name string, block netip.Prefix) {
	if !block.IsValid() {
		return
	}
	if r.producer.IsValid() && block.Overlaps(r.producer) {
		p.add(key, overlapMessage, block, r.producer)
	}
	for _, earlier := range r.seen {
		if block.Overlaps(earlier.block) {
			p.add(key, consumerOverlapMessage, block, earlier.index, earlier.name, earlier.block)
			break // naming the first is enough to act on
		}
	}
	r.seen = append(r.seen, peeredRange{index: index, name: name, block: block})
}

// CheckPeeredCIDR refuses, by key, a consumer VPC a peering cannot route to:
// for a consumer-side stack, which learns the producer's range from the
// producer stack's outputs.
func CheckPeeredCIDR(key, consumerCIDR, producerCIDR string) error {
	var p problems
	consumerBlock := checkCIDR(&p, key, consumerCIDR)
	peered := peeredRanges{producer: checkCIDR(&p, "producer.vpc.cidr", producerCIDR)}
	peered.check(&p, key, 0, "", consumerBlock)
	return p.errOrNil()
}

// PeeredConsumer is one consumer a producer-side stack peers with, as the
// overlap rule sees it.
type PeeredConsumer struct {
	// Key names where the range comes from: consumers[1].vpc.cidr, or for a
	// consumer read from its stack, the stack output.
	Key string
	// Index is the consumer's place in consumers.
	Index int
	Name  string
	CIDR  string
}

// CheckPeeredConsumers refuses, by key, the peered consumers whose ranges
// overlap the producer's or each other's: for a producer-side stack whose
// consumers' ranges come, in part, from their stacks' outputs.
func CheckPeeredConsumers(producerCIDR string, consumers []PeeredConsumer) error {
	var p problems
	peered := peeredRanges{producer: checkCIDR(&p, "producer.vpc.cidr", producerCIDR)}
	for _, consumer := range consumers {
		peered.check(&p, consumer.Key, consumer.Index, consumer.Name, checkCIDR(&p, consumer.Key, consumer.CIDR))
	}
	return p.errOrNil()
}
