// Package program is the studio-redshift Pulumi program: configuration, the
// two accounts' providers, the consumer and producer sides, the peering
// between them, the optional features, and the stack outputs. main.go runs it
// under the Pulumi engine; tests and the offline plan run the same function
// under mocks.
package program

import (
	"encoding/json"
	"os"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/producer"
)

// accountProviders are the explicit providers, one per account; every
// resource is created with exactly one of them.
type accountProviders struct {
	producer, consumer *aws.Provider
}

// Run builds the whole system. Invalid configuration fails here, before any
// resource is registered.
func Run(ctx *pulumi.Context) error {
	cfg, warnings, err := config.ParseStack(engineConfig(ctx))
	for _, warning := range warnings {
		_ = ctx.Log.Warn(warning, nil) // a warning that cannot be logged is not worth failing for
	}
	if err != nil {
		return err
	}
	if err := checkQuotas(cfg); err != nil {
		return err
	}
	// The kind of stack, chosen once: both accounts, or one side of them.
	switch cfg.Side {
	case config.SideProducer:
		return runProducerSide(ctx, cfg)
	case config.SideConsumer:
		return runConsumerSide(ctx, cfg)
	}
	providers, err := newProviders(ctx, cfg)
	if err != nil {
		return err
	}
	found, err := checkExisting(ctx, cfg, providers)
	if err != nil {
		return err
	}

	// What configuration names in the accounts is looked up before anything
	// is created, so that a mismatch fails by key, not halfway through.
	s3PrefixList, err := existingS3Gateway(ctx, cfg, providers.consumer)
	if err != nil {
		return err
	}

	// The ML account: Studio in its private VPC.
	consumerVPC, err := newVPC(ctx, cfg, consumerSpec(cfg, providers.consumer, found.consumerZones))
	if err != nil {
		return err
	}
	studio, err := newStudio(ctx, cfg, providers.consumer, consumerVPC, s3PrefixList)
	if err != nil {
		return err
	}

	// The data account: the cluster's VPC where the program creates the
	// cluster or peers with it, the log bucket and the cluster's group.
	var producerVPC *vpc
	if cfg.UsesProducerVPC() {
		if producerVPC, err = newVPC(ctx, cfg, producerSpec(cfg, providers.producer)); err != nil {
			return err
		}
	}
	producerLogs, err := newProducerLogs(ctx, cfg, providers.producer)
	if err != nil {
		return err
	}
	var workgroup *serverlessWorkgroup
	var clusterGroup, clusterID pulumi.StringInput
	if cfg.IsServerless() {
		workgroup, err = newServerlessWorkgroup(ctx, cfg, providers.producer, producerVPC)
	} else {
		clusterGroup, clusterID, err = producerCluster(ctx, cfg, providers.producer, producerVPC, producerLogs)
	}
	if err != nil {
		return err
	}

	// Between them: the connection the configuration chooses, the producer
	// role (a Serverless producer's: a role per user), and the execution
	// role's permission to assume it.
	connection, err := newConnection(ctx, cfg, providers, studio, consumerVPC, producerVPC, clusterID)
	if err != nil {
		return err
	}
	var producerRoleArn pulumi.StringOutput
	chain := &consumer.RoleChainArgs{ExecutionRoleName: studio.ExecutionRoleName}
	if workgroup != nil {
		producerRoleArn, err = newServerlessSide(ctx, cfg, providers.producer, studio, connection, workgroup)
		chain.UserTag = producer.UserTag
	} else {
		producerRoleArn, err = newDataSide(ctx, cfg, providers.producer, studio, connection, clusterGroup)
	}
	if err != nil {
		return err
	}
	chain.ProducerRoleArn = producerRoleArn
	if _, err := consumer.NewRoleChain(ctx, "role-chain", chain, pulumi.Provider(providers.consumer)); err != nil {
		return err
	}

	// The sibling features, each off unless configured, and the guardrails
	// around all of them.
	sageMakerRoles, err := newFeatures(ctx, cfg, providers, studio, producerLogs)
	if err != nil {
		return err
	}
	if err := newGuardrails(ctx, cfg, providers.consumer, studio, consumerVPC, sageMakerRoles); err != nil {
		return err
	}

	exportCore(ctx, cfg, studio, consumerVPC, producerRoleArn, "", connection)
	return nil
}

// newProviders builds the two providers.
func newProviders(ctx *pulumi.Context, cfg *config.Config) (accountProviders, error) {
	producer, err := newProvider(ctx, "producer", cfg, cfg.Producer.Account)
	if err != nil {
		return accountProviders{}, err
	}
	consumer, err := newProvider(ctx, "consumer", cfg, cfg.Consumer.Account)
	if err != nil {
		return accountProviders{}, err
	}
	return accountProviders{producer: producer, consumer: consumer}, nil
}

// newProvider is the explicit provider of one account. allowedAccountIds makes
// AWS credentials for any other account fail before anything is changed.
func newProvider(ctx *pulumi.Context, name string, cfg *config.Config, account config.Account) (*aws.Provider, error) {
	args := &aws.ProviderArgs{
		Region:            pulumi.String(cfg.Region),
		AllowedAccountIds: pulumi.StringArray{pulumi.String(account.AccountID)},
	}
	if account.RoleArn != "" {
		args.AssumeRole = &aws.ProviderAssumeRoleArgs{
			RoleArn:     pulumi.String(account.RoleArn),
			SessionName: pulumi.String(config.Project + "-" + ctx.Stack()),
		}
	}
	if account.Profile != "" {
		args.Profile = pulumi.String(account.Profile)
	}
	if len(cfg.Tags) > 0 {
		args.DefaultTags = &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(cfg.Tags)}
	}
	return aws.NewProvider(ctx, name, args)
}

// engineConfig is the stack's whole configuration, every namespace, as the
// CLI hands it to a program in PULUMI_CONFIG, or as the offline plan and the
// tests hand it over in the context (config.WithEngineConfig): the SDK
// answers only for keys a program names, and a key the program does not know
// must be reported, not ignored. Without either, the project keys the SDK
// knows are all there is.
func engineConfig(ctx *pulumi.Context) map[string]string {
	if all, ok := config.EngineConfigFrom(ctx.Context()); ok {
		return all
	}
	var all map[string]string
	if err := json.Unmarshal([]byte(os.Getenv(pulumi.EnvConfig)), &all); err == nil && all != nil {
		return all
	}
	all = map[string]string{}
	for _, key := range config.Keys {
		if value, ok := ctx.GetConfig(config.Project + ":" + key); ok {
			all[config.Project+":"+key] = value
		}
	}
	return all
}
