// Package program is the studio-redshift Pulumi program: configuration, the
// two accounts' providers, the consumer and producer sides, the peering
// between them, and the stack outputs. main.go runs it under the Pulumi
// engine; tests and offline tools run the same function under mocks.
package program

import (
	"encoding/json"
	"os"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/notebook"
	"github.com/studio-redshift/studio-redshift/peering"
	"github.com/studio-redshift/studio-redshift/producer"
	"github.com/studio-redshift/studio-redshift/rolechain"
)

// Run builds the whole system. Invalid configuration fails here, before any
// resource is registered.
func Run(ctx *pulumi.Context) error {
	cfg, err := config.Parse(rawConfig(ctx))
	if err != nil {
		return err
	}

	producerProvider, err := newProvider(ctx, "producer", cfg, cfg.Producer.Account)
	if err != nil {
		return err
	}
	consumerProvider, err := newProvider(ctx, "consumer", cfg, cfg.Consumer.Account)
	if err != nil {
		return err
	}

	studio, err := consumer.NewConsumer(ctx, "consumer", &consumer.ConsumerArgs{
		Region:                  cfg.Region,
		VpcID:                   cfg.Consumer.VPC.ID,
		SubnetIDs:               cfg.Consumer.VPC.SubnetIDs,
		RouteTableIDs:           cfg.Consumer.VPC.RouteTableIDs,
		InterfaceEndpoints:      append(append([]string{}, config.DefaultEndpoints...), cfg.Consumer.VPC.ExtraEndpoints...),
		DomainName:              cfg.Consumer.Studio.DomainName,
		UserProfiles:            cfg.Consumer.Studio.UserProfiles,
		ExecutionRolePolicyArns: cfg.Consumer.Studio.ExecutionRolePolicyArns,
		ProducerCIDR:            cfg.Producer.VPC.CIDR,
		RedshiftPort:            cfg.Producer.Redshift.Port,
		Protect:                 cfg.Protect,
	}, pulumi.Provider(consumerProvider))
	if err != nil {
		return err
	}

	peer, err := peering.NewPeering(ctx, "peering", &peering.PeeringArgs{
		ConsumerProvider:      consumerProvider,
		ProducerProvider:      producerProvider,
		ConsumerVpcID:         cfg.Consumer.VPC.ID,
		ConsumerRouteTableIDs: cfg.Consumer.VPC.RouteTableIDs,
		ProducerAccountID:     cfg.Producer.AccountID,
		ProducerVpcID:         cfg.Producer.VPC.ID,
		ProducerCIDR:          cfg.Producer.VPC.CIDR,
	})
	if err != nil {
		return err
	}

	redshift := cfg.Producer.Redshift
	data, err := producer.NewProducer(ctx, "producer", &producer.ProducerArgs{
		Cluster: producer.Cluster{
			Partition:  cfg.Partition(),
			Region:     cfg.Region,
			Account:    cfg.Producer.AccountID,
			Identifier: redshift.ClusterIdentifier,
			Database:   redshift.Database,
			DBGroups:   redshift.DBGroups,
		},
		ClusterSecurityGroupID: redshift.SecurityGroupID,
		Port:                   redshift.Port,
		ExecutionRoleArn:       studio.ExecutionRoleArn,
		UserProfiles:           cfg.Consumer.Studio.UserProfiles,
		RouteTableIDs:          cfg.Producer.VPC.RouteTableIDs,
		ConsumerCIDR:           cfg.Consumer.VPC.CIDR,
		PeeringConnectionID:    peer.ConnectionID,
	}, pulumi.Provider(producerProvider))
	if err != nil {
		return err
	}

	if _, err := rolechain.NewRoleChain(ctx, "role-chain", &rolechain.RoleChainArgs{
		ExecutionRoleName: studio.ExecutionRoleName,
		ProducerRoleArn:   data.RoleArn,
	}, pulumi.Provider(consumerProvider)); err != nil {
		return err
	}

	snippet := data.RoleArn.ApplyT(func(producerRoleArn string) (string, error) {
		return notebook.RedshiftSnippet(notebook.Redshift{
			Region:            cfg.Region,
			ProducerRoleArn:   producerRoleArn,
			ClusterIdentifier: redshift.ClusterIdentifier,
			Database:          redshift.Database,
			DBGroups:          redshift.DBGroups,
		})
	}).(pulumi.StringOutput)

	ctx.Export("region", pulumi.String(cfg.Region))
	ctx.Export("producerAccountId", pulumi.String(cfg.Producer.AccountID))
	ctx.Export("consumerAccountId", pulumi.String(cfg.Consumer.AccountID))
	ctx.Export("executionRoleArn", studio.ExecutionRoleArn)
	ctx.Export("producerRoleArn", data.RoleArn)
	ctx.Export("peeringConnectionId", peer.ConnectionID)
	ctx.Export("studioDomainId", studio.DomainID)
	ctx.Export("studioDomainUrl", studio.DomainURL)
	ctx.Export("userProfiles", studio.UserProfileNames)
	ctx.Export("redshift", pulumi.Map{
		"clusterIdentifier": pulumi.String(redshift.ClusterIdentifier),
		"database":          pulumi.String(redshift.Database),
		"port":              pulumi.Int(redshift.Port),
		"dbGroups":          pulumi.ToStringArray(append([]string{}, redshift.DBGroups...)),
	})
	ctx.Export("notebookSnippet", snippet)
	return nil
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

// rawConfig collects the project namespace's values, keyed without the
// namespace. The engine hands a program only the keys it asks for; where it
// also lists the whole configuration (PULUMI_CONFIG, set by the CLI), keys the
// program does not know are included so that a typo is reported, not ignored.
func rawConfig(ctx *pulumi.Context) map[string]string {
	raw := map[string]string{}
	for _, key := range config.Keys {
		if value, ok := ctx.GetConfig(config.Project + ":" + key); ok {
			raw[key] = value
		}
	}
	var all map[string]string
	if err := json.Unmarshal([]byte(os.Getenv(pulumi.EnvConfig)), &all); err == nil {
		for key := range all {
			if name, ok := strings.CutPrefix(key, config.Project+":"); ok {
				if _, known := raw[name]; !known {
					raw[name] = all[key]
				}
			}
		}
	}
	return raw
}
