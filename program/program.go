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

	"github.com/studio-redshift/studio-redshift/athena"
	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/databucket"
	"github.com/studio-redshift/studio-redshift/featurestore"
	"github.com/studio-redshift/studio-redshift/guardrails"
	"github.com/studio-redshift/studio-redshift/network"
	"github.com/studio-redshift/studio-redshift/notebook"
	"github.com/studio-redshift/studio-redshift/peering"
	"github.com/studio-redshift/studio-redshift/producer"
	"github.com/studio-redshift/studio-redshift/rolechain"
	"github.com/studio-redshift/studio-redshift/warehouse"
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

	consumerVPC, err := newVPC(ctx, cfg, vpcSpec{
		side: "consumer", account: cfg.Consumer.AccountID, provider: consumerProvider,
		id: cfg.Consumer.VPC.ID, cidr: cfg.Consumer.VPC.CIDR, greenfield: cfg.Consumer.VPC.Greenfield,
		subnetIDs: cfg.Consumer.VPC.SubnetIDs, routeTableIDs: cfg.Consumer.VPC.RouteTableIDs,
		natGateway: cfg.Consumer.VPC.NatGateway,
	})
	if err != nil {
		return err
	}
	producerVPC, err := newVPC(ctx, cfg, vpcSpec{
		side: "producer", account: cfg.Producer.AccountID, provider: producerProvider,
		id: cfg.Producer.VPC.ID, cidr: cfg.Producer.VPC.CIDR, greenfield: cfg.Producer.VPC.Greenfield,
		subnetIDs: cfg.Producer.VPC.SubnetIDs, routeTableIDs: cfg.Producer.VPC.RouteTableIDs,
		// The cluster's enhanced VPC routing sends its S3 traffic through the VPC.
		s3Gateway: true,
	})
	if err != nil {
		return err
	}

	studio, err := consumer.NewConsumer(ctx, "consumer", &consumer.ConsumerArgs{
		Region:                  cfg.Region,
		VpcID:                   consumerVPC.id,
		SubnetIDs:               consumerVPC.subnetIDs,
		RouteTableIDs:           consumerVPC.routeTableIDs(),
		InternetEgress:          cfg.Consumer.VPC.CreatesVPC() && cfg.Consumer.VPC.NatGateway,
		S3EndpointBuckets:       s3EndpointBuckets(cfg),
		InterfaceEndpoints:      interfaceEndpoints(cfg),
		DomainName:              cfg.Consumer.Studio.DomainName,
		UserProfiles:            cfg.Consumer.Studio.UserProfiles,
		ExecutionRolePolicyArns: cfg.Consumer.Studio.ExecutionRolePolicyArns,
		ProducerCIDR:            cfg.Producer.VPC.CIDR,
		RedshiftPort:            cfg.Producer.Redshift.Port,
		LifecycleScript:         lifecycleScript(cfg),
		Protect:                 cfg.Protect,
	}, pulumi.Provider(consumerProvider))
	if err != nil {
		return err
	}

	if cfg.Athena != nil {
		if err := newAthena(ctx, cfg, studio, producerProvider, consumerProvider); err != nil {
			return err
		}
	}
	// Roles the program made for SageMaker to run as: the guardrails let
	// no other role be passed to it.
	sageMakerRoles := pulumi.StringArray{studio.ExecutionRoleArn}
	if cfg.FeatureStore != nil {
		offlineStoreRole, err := newFeatureStore(ctx, cfg, studio, producerProvider, consumerProvider)
		if err != nil {
			return err
		}
		sageMakerRoles = append(sageMakerRoles, offlineStoreRole)
	}

	if cfg.Consumer.Guardrails.On() {
		guard, err := guardrails.NewGuardrails(ctx, "guardrails", &guardrails.GuardrailsArgs{
			ExecutionRoleName:    studio.ExecutionRoleName,
			PassableRoleArns:     sageMakerRoles,
			SubnetIDs:            consumerVPC.subnetIDs,
			SecurityGroupIDs:     studio.StudioSecurityGroupIDs,
			SageMakerEndpointIDs: studio.SageMakerEndpointIDs,
			Switches: guardrails.Switches{
				RequireNetworkIsolation: cfg.Consumer.Guardrails.RequireNetworkIsolation,
				RequireSourceVpce:       cfg.Consumer.Guardrails.RequireSourceVpce,
			},
		}, pulumi.Provider(consumerProvider))
		if err != nil {
			return err
		}
		ctx.Export("guardrailPolicyArn", guard.PolicyArn)
	}

	peer, err := peering.NewPeering(ctx, "peering", &peering.PeeringArgs{
		ConsumerProvider:    consumerProvider,
		ProducerProvider:    producerProvider,
		ConsumerVpcID:       consumerVPC.id,
		ConsumerRouteTables: consumerVPC.routeTables,
		ProducerAccountID:   cfg.Producer.AccountID,
		ProducerVpcID:       producerVPC.id,
		ProducerCIDR:        cfg.Producer.VPC.CIDR,
	})
	if err != nil {
		return err
	}

	redshift := cfg.Producer.Redshift
	clusterSecurityGroupID := pulumi.StringInput(pulumi.String(redshift.SecurityGroupID))
	if redshift.Create {
		cluster, err := warehouse.NewWarehouse(ctx, "warehouse", &warehouse.WarehouseArgs{
			VpcID:             producerVPC.id,
			SubnetIDs:         producerVPC.subnetIDs,
			ClusterIdentifier: redshift.ClusterIdentifier,
			Database:          redshift.Database,
			Port:              redshift.Port,
			NodeType:          redshift.NodeType,
			NodeCount:         redshift.NodeCount,
			MasterUsername:    redshift.MasterUsername,
			Protect:           cfg.Protect,
		}, pulumi.Provider(producerProvider))
		if err != nil {
			return err
		}
		clusterSecurityGroupID = cluster.SecurityGroupID
	}

	data, err := producer.NewProducer(ctx, "producer", &producer.ProducerArgs{
		Cluster: producer.Cluster{
			Partition:  cfg.Partition(),
			Region:     cfg.Region,
			Account:    cfg.Producer.AccountID,
			Identifier: redshift.ClusterIdentifier,
			Database:   redshift.Database,
			DBGroups:   redshift.DBGroups,
		},
		ClusterSecurityGroupID: clusterSecurityGroupID,
		Port:                   redshift.Port,
		ExecutionRoleArn:       studio.ExecutionRoleArn,
		UserProfiles:           cfg.Consumer.Studio.UserProfiles,
		RouteTables:            producerVPC.routeTables,
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

// newAthena lets Studio and Athena in the consumer account read the
// producer's bucket: the bucket side in the producer account, the workgroup
// and catalog in the consumer account.
func newAthena(ctx *pulumi.Context, cfg *config.Config, studio *consumer.Consumer, producerProvider, consumerProvider *aws.Provider) error {
	a := cfg.Athena
	readers := []pulumi.StringInput{studio.ExecutionRoleArn}
	for _, principal := range a.Principals {
		readers = append(readers, pulumi.String(principal))
	}
	data, err := databucket.NewDataBucket(ctx, "athena-data", &databucket.DataBucketArgs{
		Partition:    cfg.Partition(),
		Region:       cfg.Region,
		Account:      cfg.Producer.AccountID,
		Name:         a.Bucket.Name,
		Create:       a.Bucket.Create,
		KeyArn:       a.Bucket.KMSKeyArn,
		ManagePolicy: a.Bucket.ManagePolicy,
		Prefixes:     a.Bucket.Prefixes,
		Grants: []databucket.Grant{{
			Sid:           "AthenaRead",
			Principals:    readers,
			BucketActions: []string{"s3:GetBucketLocation"},
			List:          true,
			ObjectActions: []string{"s3:GetObject"},
			KeyActions:    []string{"kms:Decrypt"},
		}},
		Protect: cfg.Protect,
	}, pulumi.Provider(producerProvider))
	if err != nil {
		return err
	}
	query, err := athena.NewAthena(ctx, "athena", &athena.AthenaArgs{
		Partition:            cfg.Partition(),
		Region:               cfg.Region,
		Account:              cfg.Consumer.AccountID,
		Workgroup:            a.Workgroup,
		ResultsBucket:        a.ResultsBucket(cfg.Consumer.AccountID, cfg.Region),
		ResultsRetentionDays: a.ResultsRetentionDays,
		Database:             a.Database,
		Tables:               a.Tables,
		DataBucket:           a.Bucket.Name,
		DataPrefixes:         a.Bucket.Prefixes,
		DataKeyArn:           data.KeyArn,
		ExecutionRoleName:    studio.ExecutionRoleName,
	}, pulumi.Provider(consumerProvider))
	if err != nil {
		return err
	}

	snippet, err := notebook.AthenaSnippet(notebook.Athena{
		Region: cfg.Region, Workgroup: a.Workgroup, Database: a.Database, Table: a.Tables[0].Name,
	})
	if err != nil {
		return err
	}
	ctx.Export("athenaWorkgroup", query.WorkgroupName)
	ctx.Export("athenaDatabase", query.DatabaseName)
	ctx.Export("athenaTables", query.TableNames)
	ctx.Export("athenaAccessPolicyArn", query.AccessPolicyArn)
	ctx.Export("athenaSnippet", pulumi.String(snippet))
	if !a.Bucket.Create && !a.Bucket.ManagePolicy {
		// The bucket's owner applies (merges) it; see the README.
		ctx.Export("athenaBucketPolicy", data.Policy)
	}
	return nil
}

// newFeatureStore builds the Feature Store whose offline store is the
// producer's bucket, and returns the offline-store role.
func newFeatureStore(ctx *pulumi.Context, cfg *config.Config, studio *consumer.Consumer, producerProvider, consumerProvider *aws.Provider) (pulumi.StringOutput, error) {
	f := cfg.FeatureStore
	var studioRole *featurestore.Role
	if f.StudioReadAccess {
		studioRole = &featurestore.Role{Name: studio.ExecutionRoleName, Arn: studio.ExecutionRoleArn}
	}
	store, err := featurestore.NewFeatureStore(ctx, "feature-store", &featurestore.FeatureStoreArgs{
		ConsumerProvider:  consumerProvider,
		ProducerProvider:  producerProvider,
		Partition:         cfg.Partition(),
		Region:            cfg.Region,
		Account:           cfg.Consumer.AccountID,
		ProducerAccount:   cfg.Producer.AccountID,
		Bucket:            f.Bucket,
		Prefix:            f.Prefix,
		KeyAdministrators: f.KeyAdministrators,
		StudioRole:        studioRole,
		FeatureGroups:     f.FeatureGroups,
		Protect:           cfg.Protect,
	})
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	ctx.Export("featureGroups", store.FeatureGroupNames)
	ctx.Export("offlineStoreUri", store.OfflineStoreURI)
	ctx.Export("featureStoreKeyArn", store.KeyArn)
	if !f.Bucket.Create && !f.Bucket.ManagePolicy {
		ctx.Export("featureStoreBucketPolicy", store.BucketPolicy)
	}
	return store.RoleArn, nil
}

// interfaceEndpoints are the default endpoints, the configured extras, and
// those the optional features call (once each).
func interfaceEndpoints(cfg *config.Config) []string {
	endpoints := append(append([]string{}, config.DefaultEndpoints...), cfg.Consumer.VPC.ExtraEndpoints...)
	if cfg.Athena != nil {
		endpoints = append(endpoints, "athena", "glue")
	}
	if cfg.FeatureStore != nil && cfg.FeatureStore.OnlineStore() {
		endpoints = append(endpoints, "sagemaker.featurestore-runtime")
	}
	return compactUnique(endpoints)
}

// s3EndpointBuckets are the buckets the S3 gateway endpoint admits when the
// configuration limits it: those named, and every bucket the program's
// features use, in either account.
func s3EndpointBuckets(cfg *config.Config) []string {
	buckets := cfg.Consumer.VPC.S3EndpointBuckets
	if len(buckets) == 0 {
		return nil
	}
	buckets = append([]string{}, buckets...)
	if a := cfg.Athena; a != nil {
		buckets = append(buckets, a.Bucket.Name, a.ResultsBucket(cfg.Consumer.AccountID, cfg.Region))
	}
	if f := cfg.FeatureStore; f != nil {
		buckets = append(buckets, f.Bucket.Name)
	}
	return compactUnique(buckets)
}

// compactUnique drops repeated values, keeping the first of each.
func compactUnique(values []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, value := range values {
		if !seen[value] {
			out = append(out, value)
			seen[value] = true
		}
	}
	return out
}

// vpc is one side's network: named in configuration, or created.
type vpc struct {
	id          pulumi.StringInput
	subnetIDs   pulumi.StringArrayInput
	routeTables []network.Ref
}

func (v *vpc) routeTableIDs() pulumi.StringArray {
	ids := pulumi.StringArray{}
	for _, table := range v.routeTables {
		ids = append(ids, table.ID)
	}
	return ids
}

// vpcSpec is what configuration says of one side's VPC.
type vpcSpec struct {
	side, account, id, cidr  string
	provider                 *aws.Provider
	subnetIDs, routeTableIDs []string
	greenfield               config.Greenfield
	natGateway, s3Gateway    bool
}

// newVPC returns the configured VPC, or creates one when no id is configured.
func newVPC(ctx *pulumi.Context, cfg *config.Config, spec vpcSpec) (*vpc, error) {
	if spec.id != "" {
		return &vpc{id: pulumi.String(spec.id), subnetIDs: pulumi.ToStringArray(spec.subnetIDs), routeTables: network.Existing(spec.routeTableIDs)}, nil
	}
	created, err := network.NewNetwork(ctx, spec.side+"-network", &network.NetworkArgs{
		CIDR:                 spec.cidr,
		SubnetCount:          spec.greenfield.SubnetCount,
		NatGateway:           spec.natGateway,
		S3GatewayEndpoint:    spec.s3Gateway,
		FlowLogRetentionDays: spec.greenfield.FlowLogRetentionDays,
		Partition:            cfg.Partition(),
		Region:               cfg.Region,
		Account:              spec.account,
	}, pulumi.Provider(spec.provider))
	if err != nil {
		return nil, err
	}
	return &vpc{id: created.VpcID, subnetIDs: created.PrivateSubnetIDs, routeTables: created.PrivateRouteTables}, nil
}

// lifecycleScript installs awswrangler at every JupyterLab start, where Studio
// can reach a package index: through a NAT gateway or a configured mirror.
func lifecycleScript(cfg *config.Config) string {
	if !cfg.InstallsPackages() {
		return ""
	}
	return notebook.LifecycleScript(cfg.Consumer.Studio.PipIndexURL)
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
