package program

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/peering"
	"github.com/studio-redshift/studio-redshift/producer"
)

// Split stacks: the data account's and each ML account's part of the system
// deployed by stacks that each hold one account's credentials, in this
// order (docs/split-stacks.md):
//
//  1. the producer side: the cluster's network and each consumer's role's
//     ARN to be and database-user prefix;
//  2. each consumer side: Studio, its execution role, and the peering
//     request or nothing more, reading the producer's outputs;
//  3. the producer side again: a role for every consumer whose execution
//     role now exists, trusting it alone, the acceptance, routes and
//     ingress, or the endpoint authorization;
//  4. the consumer side again, for peering and managed endpoints only: the
//     routes and DNS option of the accepted peering, or the endpoint.
//
// No IAM document names a principal before it exists: the producer trusts
// only execution roles a consumer stack has made. What waits on the other
// stack is reported by name in the output pending and as a warning.

// link states, as the producer side reports them to each consumer.
const (
	linkTrusted    = "trusted"
	linkAccepted   = "peeringAccepted"
	linkAuthorized = "endpointAuthorized"
)

// What else the producer side tells each consumer in its consumerLinks
// entry: the consumer's own producer role (its ARN to be, until it trusts
// the consumer) and its namespace of database users.
const (
	linkRoleArn      = "producerRoleArn"
	linkDBUserPrefix = "dbUserPrefix"
	// linkUserRolesArn is, with a Serverless producer, the pattern of the
	// consumer's users' roles (its own path), and producerRoleArn is empty:
	// a consumer stack of a version that knew only a cluster stops as
	// pending instead of assuming a pattern.
	linkUserRolesArn = "userRolesArn"
)

// consumerReady is one consumer as the producer side sees it.
type consumerReady struct {
	name, accountID, executionRoleArn, vpcID, cidr, peeringID string
	// userProfiles are its Studio users, for a Serverless producer's roles.
	userProfiles []string
}

// runProducerSide deploys the data account's part for the listed consumers.
func runProducerSide(ctx *pulumi.Context, cfg *config.Config) error {
	provider, err := newProvider(ctx, "producer", cfg, cfg.Producer.Account)
	if err != nil {
		return err
	}
	if _, err := checkExisting(ctx, cfg, accountProviders{producer: provider}); err != nil {
		return err
	}
	// The consumers first: what the overlap rule refuses of them, and their
	// stacks' accounts, which count against the managed-endpoint quotas, are
	// refused before any resource of AWS is registered.
	consumers, pending, err := readConsumers(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.Connection == config.ConnectionManagedEndpoint {
		if err := checkEndpointQuotas(cfg, endpointConsumers(cfg, consumers)); err != nil {
			return err
		}
	}
	if cfg.IsServerless() {
		if err := checkServerlessConsumerRoles(cfg, consumers); err != nil {
			return err
		}
	}
	var clusterVPC *vpc
	if cfg.UsesProducerVPC() {
		if clusterVPC, err = newVPC(ctx, cfg, producerSpec(cfg, provider)); err != nil {
			return err
		}
	}
	logs, err := newProducerLogs(ctx, cfg, provider)
	if err != nil {
		return err
	}
	var workgroup *serverlessWorkgroup
	var clusterGroup, clusterID pulumi.StringInput
	if cfg.IsServerless() {
		if workgroup, err = newServerlessWorkgroup(ctx, cfg, provider, clusterVPC); err != nil {
			return err
		}
		clusterGroup = workgroup.group
	} else if clusterGroup, clusterID, err = producerCluster(ctx, cfg, provider, clusterVPC, logs); err != nil {
		return err
	}

	redshift := cfg.Producer.Redshift
	// One role per consumer, each trusting that consumer's execution role
	// once it exists, each serving that consumer's namespace of database
	// users. Every listed consumer has its entry in consumerLinks from the
	// first run on: its role's ARN to be and its prefix are what its stack
	// needs first.
	roles := make([]producer.ConsumerRole, len(cfg.Consumers))
	roleOf := map[string]int{} // consumer name → its index in roles
	links := pulumi.Map{}
	for i, c := range cfg.Consumers {
		roles[i] = producer.ConsumerRole{
			Key:     c.Name,
			Name:    producerRoleName(cfg, c.Name),
			DBUsers: producer.DBUsers{Prefix: c.UserPrefix(), Separator: config.DBUserSeparator},
		}
		roleOf[c.Name] = i
		links[c.Name] = pulumi.Map{linkTrusted: pulumi.Bool(false), linkAccepted: pulumi.Bool(false), linkAuthorized: pulumi.Bool(false)}
	}
	var peerings []producer.PeeringSide
	endpointVPCs := map[string][]string{}              // account → VPCs, for managed endpoints
	awaitingAuthorization := map[string][]pulumi.Map{} // account → its consumers' link states
	for _, c := range consumers {
		roles[roleOf[c.name]].ExecutionRoleArn = pulumi.String(c.executionRoleArn)
		if workgroup != nil {
			if err := newConsumerUsers(ctx, cfg, provider, workgroup, c); err != nil {
				return err
			}
		}
		state := links[c.name].(pulumi.Map)
		state[linkTrusted] = pulumi.Bool(true)
		switch cfg.Connection {
		case config.ConnectionPeering:
			if c.peeringID == "" {
				pending = append(pending, fmt.Sprintf("consumer %s has not requested the peering yet: run its stack, then this one again", c.name))
				break
			}
			acceptance, err := peering.NewAcceptance(ctx, "peering-"+c.name, &peering.AcceptanceArgs{ConnectionID: c.peeringID}, pulumi.Provider(provider))
			if err != nil {
				return err
			}
			peerings = append(peerings, producer.PeeringSide{
				Key: c.name, RouteTables: clusterVPC.routeTables, ConsumerCIDR: c.cidr, ConnectionID: acceptance.ConnectionID,
			})
			// What AWS reports: the consumer side routes only an active peering.
			state[linkAccepted] = acceptance.Accepted
		case config.ConnectionManagedEndpoint:
			if c.accountID == cfg.Producer.AccountID {
				state[linkAuthorized] = pulumi.Bool(true) // AWS authorizes only other accounts
				break
			}
			endpointVPCs[c.accountID] = append(endpointVPCs[c.accountID], c.vpcID)
			awaitingAuthorization[c.accountID] = append(awaitingAuthorization[c.accountID], state)
		}
	}
	// One authorization per account and cluster, listing its VPCs.
	for _, account := range slices.Sorted(maps.Keys(endpointVPCs)) {
		authorization, err := producer.NewEndpointAuthorization(ctx, "endpoint-"+account, &producer.EndpointAuthorizationArgs{
			ConsumerAccountID: account, ClusterIdentifier: clusterID, ConsumerVpcIDs: endpointVPCs[account],
		}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		for _, state := range awaitingAuthorization[account] {
			state[linkAuthorized] = authorization.Authorized
		}
	}

	args := &producer.ProducerArgs{
		Cluster:                clusterOf(cfg),
		Roles:                  roles,
		Peerings:               peerings,
		ClusterSecurityGroupID: clusterGroup,
		Port:                   redshift.Port,
	}
	if workgroup != nil {
		// The users' roles serve a workgroup's consumers: no producer role,
		// and the component only where there is a peering to serve.
		args.Cluster, args.Roles = producer.Cluster{}, nil
	}
	var data *producer.Producer
	if workgroup == nil || len(peerings) > 0 {
		if data, err = producer.NewProducer(ctx, "producer", args, pulumi.Provider(provider)); err != nil {
			return err
		}
	}

	ctx.Export("side", pulumi.String(cfg.Side))
	ctx.Export("region", pulumi.String(cfg.Region))
	ctx.Export("connection", pulumi.String(cfg.Connection))
	ctx.Export("producerAccountId", pulumi.String(cfg.Producer.AccountID))
	// Each consumer's role and prefix are in its consumerLinks entry. The
	// producer side has no one role, and its producerRoleArn stays empty:
	// a consumer stack of a version that read it stops as pending instead
	// of chaining into a role that is gone.
	for _, c := range cfg.Consumers {
		state := links[c.Name].(pulumi.Map)
		state[linkDBUserPrefix] = pulumi.String(c.UserPrefix())
		if workgroup != nil {
			state[linkRoleArn] = pulumi.String("")
			state[linkUserRolesArn] = pulumi.String(producer.UserRolesArn(cfg.Partition(), cfg.Producer.AccountID, consumerUserRolePath(ctx, c.Name)))
			continue
		}
		state[linkRoleArn] = data.RoleArns.MapIndex(pulumi.String(c.Name))
	}
	ctx.Export("producerRoleArn", pulumi.String(""))
	if workgroup != nil {
		ctx.Export("redshiftWorkgroup", pulumi.String(workgroupName(cfg)))
	}
	producerVpcID := pulumi.String(cfg.Producer.VPC.ID).ToStringOutput()
	if clusterVPC != nil {
		producerVpcID = clusterVPC.id.ToStringOutput()
	}
	ctx.Export("producerVpcId", producerVpcID)
	ctx.Export("producerVpcCidr", pulumi.String(cfg.Producer.VPC.CIDR))
	ctx.Export("redshift", redshiftOutput(cfg))
	ctx.Export("consumerLinks", links)
	exportPending(ctx, pending)
	return nil
}

// readConsumers resolves the producer side's consumers: from configuration,
// or from the outputs of their stacks. A consumer whose stack has not made
// its execution role yet is pending, never trusted: IAM refuses a trust
// policy naming a principal that does not exist.
func readConsumers(ctx *pulumi.Context, cfg *config.Config) ([]consumerReady, []string, error) {
	var ready []consumerReady
	var pending []string
	var peered []config.PeeredConsumer // every ready consumer's range, for the one overlap rule
	for i, c := range cfg.Consumers {
		if c.Stack == "" {
			ready = append(ready, consumerReady{name: c.Name, accountID: c.AccountID, executionRoleArn: c.ExecutionRoleArn,
				vpcID: c.VPC.ID, cidr: c.VPC.CIDR, peeringID: c.PeeringConnectionID, userProfiles: c.UserProfiles})
			peered = append(peered, config.PeeredConsumer{Key: fmt.Sprintf("consumers[%d].vpc.cidr", i), Index: i, Name: c.Name, CIDR: c.VPC.CIDR})
			continue
		}
		ref, err := pulumi.NewStackReference(ctx, "consumer-"+c.Name, &pulumi.StackReferenceArgs{Name: pulumi.String(c.Stack)})
		if err != nil {
			return nil, nil, err
		}
		outputs := stackOutputs{ref: ref, stack: c.Stack}
		values, missing, err := stringOutputs(outputs, "executionRoleArn", "consumerAccountId", "consumerVpcId", "consumerVpcCidr", "peeringConnectionId")
		if err != nil {
			return nil, nil, err
		}
		// peeringConnectionId is read last: missing alone, the consumer's
		// role exists and it is ready, its peering pending (below).
		if len(missing) > 0 && missing[0] != "peeringConnectionId" {
			pending = append(pending, fmt.Sprintf("consumer %s: its stack %s has no %s yet: run it (pulumi up -s %s), then this one again",
				c.Name, c.Stack, strings.Join(missing, ", "), c.Stack))
			continue
		}
		consumer := consumerReady{name: c.Name, executionRoleArn: values[0], accountID: values[1], vpcID: values[2], cidr: values[3], peeringID: values[4]}
		if cfg.IsServerless() {
			if consumer.userProfiles, err = stackProfiles(outputs, i, c); err != nil {
				return nil, nil, err
			}
		}
		peered = append(peered, config.PeeredConsumer{
			Key: fmt.Sprintf("consumers[%d] (%s, its stack %s's consumerVpcCidr)", i, c.Name, c.Stack), Index: i, Name: c.Name, CIDR: consumer.cidr,
		})
		ready = append(ready, consumer)
	}
	// Peering routes each range to its own peering and admits it to the
	// cluster: ranges that overlap the producer's or each other's fail the
	// producer stack at apply, for every consumer. The Data API and managed
	// endpoints route nothing, so overlapping teams are fine there.
	if cfg.Peering() {
		if err := config.CheckPeeredConsumers(cfg.Producer.VPC.CIDR, peered); err != nil {
			return nil, nil, err
		}
	}
	return ready, pending, nil
}

// stackProfiles reads a consumer stack's userProfiles output: with a
// Serverless producer each profile gets a role named <prefix><profile>,
// which IAM takes up to 64 characters (CreateRole, RoleName).
func stackProfiles(outputs outputSource, index int, c config.ConsumerRef) ([]string, error) {
	value, err := outputs.value("userProfiles")
	if err != nil {
		return nil, err
	}
	listed, _ := value.([]any)
	profiles := make([]string, 0, len(listed))
	for j, entry := range listed {
		profile, _ := entry.(string)
		key := fmt.Sprintf("consumers[%d] (%s, its stack %s's userProfiles[%d])", index, c.Name, c.Stack, j)
		if err := config.CheckUserRoleName(key, c.UserPrefix(), profile); err != nil {
			return nil, err
		}
		profiles = append(profiles, profile)
	}
	return profiles, nil
}

// consumerUserRolePath is the IAM path of one consumer's users' roles.
func consumerUserRolePath(ctx *pulumi.Context, consumerName string) string {
	return producer.ConsumerUserRolePath(config.Project, ctx.Stack(), consumerName)
}

// newConsumerUsers makes one ready consumer's users' roles: each named
// <dbUserPrefix><profile>, the database user IAMR:<dbUserPrefix><profile>,
// on the consumer's own path, trusting that consumer's execution role alone.
func newConsumerUsers(ctx *pulumi.Context, cfg *config.Config, provider pulumi.ProviderResource, workgroup *serverlessWorkgroup, c consumerReady) error {
	listed := cfg.Consumers[slices.IndexFunc(cfg.Consumers, func(ref config.ConsumerRef) bool { return ref.Name == c.name })]
	if _, err := producer.NewServerlessUsers(ctx, "serverless-users-"+c.name, &producer.ServerlessUsersArgs{
		ExecutionRoleArn: pulumi.String(c.executionRoleArn),
		WorkgroupArn:     workgroup.arn,
		WorkgroupName:    cfg.Producer.Redshift.Serverless.WorkgroupName,
		Path:             consumerUserRolePath(ctx, c.name),
		UserProfiles:     c.userProfiles,
		DBRoles:          cfg.Producer.Redshift.DBGroups,
		RoleNamePrefix:   listed.UserPrefix(),
		ChildName:        "serverless-users",
	}, pulumi.Provider(provider)); err != nil {
		return fmt.Errorf("consumer %s's users' roles: %w", c.name, err)
	}
	return nil
}

// runConsumerSide deploys one ML account's part, reading the producer-side
// stack's outputs for everything of the data account.
func runConsumerSide(ctx *pulumi.Context, cfg *config.Config) error {
	if !config.ValidConsumerName(ctx.Stack()) {
		return config.Errorf("side", "consumer: the producer stack lists this consumer under its stack name %q, which consumers[].name cannot be (lower-case letters, digits and single hyphens, starting with a letter, at most 40): use such a stack name", ctx.Stack())
	}
	provider, err := newProvider(ctx, "consumer", cfg, cfg.Consumer.Account)
	if err != nil {
		return err
	}
	facts, err := readProducer(ctx, cfg)
	if err != nil {
		return err
	}
	found, err := checkExisting(ctx, cfg, accountProviders{consumer: provider})
	if err != nil {
		return err
	}
	s3PrefixList, err := existingS3Gateway(ctx, cfg, provider)
	if err != nil {
		return err
	}
	consumerVPC, err := newVPC(ctx, cfg, consumerSpec(cfg, provider, found.consumerZones))
	if err != nil {
		return err
	}
	studio, err := newStudio(ctx, cfg, provider, consumerVPC, s3PrefixList)
	if err != nil {
		return err
	}

	var pending []string
	if !facts.link[linkTrusted] {
		pending = append(pending, fmt.Sprintf("the producer role does not trust this stack's execution role yet: run the producer stack %s (pulumi up -s %s)", cfg.ProducerStack, cfg.ProducerStack))
	}
	connection := &link{peeringID: pulumi.String("")}
	switch cfg.Connection {
	case config.ConnectionPeering:
		request, err := peering.NewRequest(ctx, "peering", &peering.RequestArgs{
			VpcID: consumerVPC.id, RouteTables: consumerVPC.routeTables,
			ProducerAccountID: cfg.Producer.AccountID, ProducerVpcID: cfg.Producer.VPC.ID, ProducerCIDR: cfg.Producer.VPC.CIDR,
			Accepted: facts.link[linkAccepted],
		}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		connection.peeringID = request.ConnectionID
		if !facts.link[linkAccepted] {
			pending = append(pending, fmt.Sprintf("the peering is not accepted yet, so it has no routes: run the producer stack %s, then this one again", cfg.ProducerStack))
		}
	case config.ConnectionManagedEndpoint:
		if !facts.link[linkAuthorized] {
			pending = append(pending, fmt.Sprintf("the data account has not authorized this account's managed endpoint yet: run the producer stack %s, then this one again", cfg.ProducerStack))
			break
		}
		if connection, err = newConnection(ctx, cfg, accountProviders{consumer: provider}, studio, consumerVPC, nil, pulumi.String(cfg.Producer.Redshift.ClusterIdentifier)); err != nil {
			return err
		}
	}

	chain := &consumer.RoleChainArgs{ExecutionRoleName: studio.ExecutionRoleName, ProducerRoleArn: pulumi.String(facts.roleArn)}
	if cfg.IsServerless() {
		// The roles on this consumer's own path whose tag names the
		// session's user: one statement, whatever the number of users.
		chain.UserTag = producer.UserTag
	}
	if _, err := consumer.NewRoleChain(ctx, "role-chain", chain, pulumi.Provider(provider)); err != nil {
		return err
	}
	if err := newGuardrails(ctx, cfg, provider, studio, consumerVPC, pulumi.StringArray{studio.ExecutionRoleArn}); err != nil {
		return err
	}
	ctx.Export("side", pulumi.String(cfg.Side))
	exportCore(ctx, cfg, studio, consumerVPC, pulumi.String(facts.roleArn).ToStringOutput(), facts.dbUserPrefix, connection)
	ctx.Export("dbUserPrefix", pulumi.String(facts.dbUserPrefix))
	exportPending(ctx, pending)
	return nil
}

// producerFacts are what a consumer-side stack reads of the producer side.
type producerFacts struct {
	// roleArn and dbUserPrefix are this consumer's own producer role and
	// namespace of database users; with a Serverless producer, roleArn is
	// the pattern of its users' roles (userRolesArn).
	roleArn, dbUserPrefix string
	// link is this consumer's entry in the producer's consumerLinks.
	link map[string]bool
}

// readProducer reads the producer-side stack's outputs into cfg, as if they
// were configuration, and this consumer's link state. Without them nothing
// can be built: the error says which stack to run.
func readProducer(ctx *pulumi.Context, cfg *config.Config) (*producerFacts, error) {
	var outputs outputSource = pastedOutputs(cfg.ProducerOutputs)
	producerName := "whose outputs producerOutputs holds"
	if cfg.ProducerStack != "" {
		ref, err := pulumi.NewStackReference(ctx, "producer-stack", &pulumi.StackReferenceArgs{Name: pulumi.String(cfg.ProducerStack)})
		if err != nil {
			return nil, err
		}
		outputs, producerName = stackOutputs{ref: ref, stack: cfg.ProducerStack}, cfg.ProducerStack
	}
	names := []string{"region", "connection", "producerAccountId", "producerVpcId", "producerVpcCidr"}
	values, missing, err := stringOutputs(outputs, names...)
	if err != nil {
		return nil, err
	}
	redshift, err := outputs.value("redshift")
	if err != nil {
		return nil, err
	}
	redshiftFacts, _ := redshift.(map[string]any)
	if redshiftFacts == nil {
		missing = append(missing, "redshift")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("pending: the producer stack %s has not produced %s yet: run it first (pulumi up -s %s), then this stack; "+
			"offline, supply its outputs with -stack-outputs %s=FILE", producerName, strings.Join(missing, ", "), producerName, producerName)
	}
	if values[0] != cfg.Region {
		return nil, config.Errorf("region", "%s, but the producer stack %s is in %s; both sides must be in one region", cfg.Region, producerName, values[0])
	}
	cfg.Connection = values[1]
	cfg.Producer.AccountID = values[2]
	cfg.Producer.VPC.ID, cfg.Producer.VPC.CIDR = values[3], values[4]
	r := &cfg.Producer.Redshift
	r.ClusterIdentifier, _ = redshiftFacts["clusterIdentifier"].(string)
	r.Database, _ = redshiftFacts["database"].(string)
	if port, ok := redshiftFacts["port"].(float64); ok {
		r.Port = int(port)
	}
	// A Serverless producer names its workgroup: the snippet signs in to
	// it, and Studio's VPC gets its interface endpoint.
	r.Serverless = nil
	if workgroup, _ := redshiftFacts["workgroupName"].(string); workgroup != "" {
		r.Serverless = &config.Serverless{WorkgroupName: workgroup}
	}
	r.DBGroups = nil
	if groups, ok := redshiftFacts["dbGroups"].([]any); ok {
		for _, group := range groups {
			r.DBGroups = append(r.DBGroups, fmt.Sprint(group))
		}
	}
	if cfg.Peering() {
		if err := config.CheckPeeredCIDR("consumer.vpc.cidr", cfg.Consumer.VPC.CIDR, cfg.Producer.VPC.CIDR); err != nil {
			return nil, err
		}
	}

	facts := &producerFacts{link: map[string]bool{}}
	links, err := outputs.value("consumerLinks")
	if err != nil {
		return nil, err
	}
	all, _ := links.(map[string]any)
	mine, _ := all[ctx.Stack()].(map[string]any)
	for _, state := range []string{linkTrusted, linkAccepted, linkAuthorized} {
		facts.link[state], _ = mine[state].(bool)
	}
	// The role and the namespace are this consumer's own: without its
	// entry there is nothing this stack may assume.
	facts.roleArn, _ = mine[linkRoleArn].(string)
	if cfg.IsServerless() {
		facts.roleArn, _ = mine[linkUserRolesArn].(string)
	}
	prefix, hasPrefix := mine[linkDBUserPrefix].(string)
	if facts.roleArn == "" || !hasPrefix {
		if cfg.ProducerStack == "" {
			return nil, config.Errorf("producerOutputs", "has no consumerLinks.%s.%s and .%s, this stack's producer role and database-user prefix: "+
				"list this stack in the producer stack's consumers (name: %s), run it, and paste its `pulumi stack output --json` again",
				ctx.Stack(), linkRoleArn, linkDBUserPrefix, ctx.Stack())
		}
		return nil, fmt.Errorf("pending: the producer stack %s has no producer role for this stack in consumerLinks.%s yet: "+
			"list it in that stack's consumers (name: %s) and run it first (pulumi up -s %s), then this stack; "+
			"offline, supply its outputs with -stack-outputs %s=FILE", producerName, ctx.Stack(), ctx.Stack(), producerName, producerName)
	}
	facts.dbUserPrefix = prefix
	if err := config.CheckDBUserNames(prefix, cfg.Consumer.Studio.UserProfiles); err != nil {
		return nil, err
	}
	return facts, nil
}

// stackOutputs reads a referenced stack's outputs as plain values: what a
// stack builds depends on them, and resources are never made inside an
// apply.
type stackOutputs struct {
	ref   *pulumi.StackReference
	stack string
}

func (s stackOutputs) value(name string) (any, error) {
	details, err := s.ref.GetOutputDetails(name)
	if err != nil {
		// The engine fails a reference to a stack that does not exist, even
		// before its first run: the referenced stack must be created first.
		return nil, fmt.Errorf("stack %s cannot be read (%w): create it first (pulumi stack init %s); a stack that exists but has not run yet only leaves this one pending",
			s.stack, err, s.stack)
	}
	if details.SecretValue != nil {
		return details.SecretValue, nil
	}
	return details.Value, nil
}

// outputSource is where a stack's outputs come from: a StackReference, or
// configuration for a stack on another backend.
type outputSource interface {
	value(name string) (any, error)
}

// pastedOutputs are a stack's outputs given in configuration.
type pastedOutputs map[string]any

func (p pastedOutputs) value(name string) (any, error) { return p[name], nil }

// stringOutputs reads string outputs and names those that are missing or
// empty.
func stringOutputs(s outputSource, names ...string) ([]string, []string, error) {
	values := make([]string, len(names))
	var missing []string
	for i, name := range names {
		value, err := s.value(name)
		if err != nil {
			return nil, nil, err
		}
		values[i], _ = value.(string)
		if values[i] == "" {
			missing = append(missing, name)
		}
	}
	return values, missing, nil
}

// exportPending reports what waits on another stack, in the output pending
// and as warnings in `pulumi up`.
func exportPending(ctx *pulumi.Context, pending []string) {
	for _, message := range pending {
		_ = ctx.Log.Warn("pending: "+message, nil) // a warning that cannot be logged is not worth failing for
	}
	ctx.Export("pending", pulumi.ToStringArray(append([]string{}, pending...)))
}

// producerRoleName is one consumer's producer role's name in a split stack,
// where the consumer names its ARN before the role exists: derived from the
// cluster, the region and the consumer (role names are unique per account,
// cluster identifiers only per region), within IAM's 64 characters, a digest
// keeping cut names apart.
func producerRoleName(cfg *config.Config, consumerName string) string {
	const suffix = "-studio-users"
	base := cfg.Producer.Redshift.ClusterIdentifier + "-" + cfg.Region + "-" + consumerName
	if len(base)+len(suffix) > 64 {
		digest := sha256.Sum256([]byte(base))
		base = base[:64-len(suffix)-9] + "-" + hex.EncodeToString(digest[:])[:8]
	}
	return base + suffix
}

// clusterOf names the cluster the producer role grants access to.
func clusterOf(cfg *config.Config) producer.Cluster {
	r := cfg.Producer.Redshift
	return producer.Cluster{
		Partition: cfg.Partition(), Region: cfg.Region, Account: cfg.Producer.AccountID,
		Identifier: r.ClusterIdentifier, Database: r.Database, DBGroups: r.DBGroups,
		AdminUsers: r.AdminUserNames(),
	}
}
