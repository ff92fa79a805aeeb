package program

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/consumer/notebook"
	"github.com/studio-redshift/studio-redshift/producer"
)

// newStudio is the consumer side: Studio, its role, key, security groups and
// endpoints.
func newStudio(ctx *pulumi.Context, cfg *config.Config, provider *aws.Provider, studioVPC *vpc, s3PrefixList pulumi.StringInput) (*consumer.Consumer, error) {
	return consumer.NewConsumer(ctx, "consumer", &consumer.ConsumerArgs{
		Region:                  cfg.Region,
		Account:                 cfg.Consumer.AccountID,
		ProducerAccount:         cfg.Producer.AccountID,
		VpcID:                   studioVPC.id,
		SubnetIDs:               studioVPC.subnetIDs,
		RouteTableIDs:           studioVPC.routeTableIDs(),
		InternetEgress:          cfg.InternetEgress(),
		S3EndpointBuckets:       s3EndpointBuckets(cfg),
		S3PrefixListID:          s3PrefixList,
		InterfaceEndpoints:      interfaceEndpoints(cfg),
		DomainName:              cfg.Consumer.Studio.DomainName,
		UserProfiles:            cfg.Consumer.Studio.UserProfiles,
		ExecutionRolePolicyArns: cfg.Consumer.Studio.ExecutionRolePolicyArns,
		ProducerCIDR:            peeredCIDR(cfg),
		RedshiftPort:            cfg.Producer.Redshift.Port,
		LifecycleScript:         lifecycleScript(cfg),
		PackageMirror:           cfg.PackageMirror(),
		Team: consumer.StudioTeam{
			IdleTimeoutMinutes: cfg.Consumer.Studio.IdleTimeoutMinutes,
			InstanceTypes:      cfg.Consumer.Studio.InstanceTypes,
			SpaceStorageGb:     cfg.Consumer.Studio.SpaceStorageGb,
			UserDataBucket:     cfg.UserDataBucket(),
		},
		Protect: cfg.Protect,
	}, pulumi.Provider(provider))
}

// producerCluster is the cluster's security group and identifier: the
// configured ones, or the created cluster's outputs (creating it). What takes
// the created cluster's identifier output waits for the cluster: the endpoint
// authorization and the endpoint would otherwise be created beside it, and
// the provider makes each with one call and no retry
// (terraform-provider-aws, internal/service/redshift/endpoint_authorization.go,
// endpoint_access.go), which Redshift refuses for a cluster not yet there.
func producerCluster(ctx *pulumi.Context, cfg *config.Config, provider *aws.Provider, clusterVPC *vpc, logs *producer.LogBucket) (group, identifier pulumi.StringInput, err error) {
	redshift := cfg.Producer.Redshift
	if !redshift.Create {
		return pulumi.String(redshift.SecurityGroupID), pulumi.String(redshift.ClusterIdentifier), nil
	}
	cluster, err := producer.NewWarehouse(ctx, "warehouse", &producer.WarehouseArgs{
		VpcID:             clusterVPC.id,
		SubnetIDs:         clusterVPC.subnetIDs,
		ClusterIdentifier: redshift.ClusterIdentifier,
		Database:          redshift.Database,
		Port:              redshift.Port,
		NodeType:          redshift.NodeType,
		NodeCount:         redshift.NodeCount,
		MasterUsername:    redshift.MasterUsername,
		Region:            cfg.Region,
		S3PrefixListID:    clusterVPC.s3PrefixListID,
		RouteTableIDs:     clusterVPC.routeTableIDs(),
		LogBucket:         logs.BucketName,
		Relocation:        cfg.Connection == config.ConnectionManagedEndpoint,
		Protect:           cfg.Protect,
	}, pulumi.Provider(provider))
	if err != nil {
		return nil, nil, err
	}
	return cluster.SecurityGroupID, cluster.ClusterIdentifier, nil
}

// newDataSide is the producer side: the role Studio users assume, the routes
// back and the cluster's ingress. It returns the role's ARN. The one
// consumer keeps the bare names: its users are the organization's.
func newDataSide(ctx *pulumi.Context, cfg *config.Config, provider *aws.Provider, studio *consumer.Consumer, connection *link, clusterGroup pulumi.StringInput) (pulumi.StringOutput, error) {
	data, err := producer.NewProducer(ctx, "producer", &producer.ProducerArgs{
		Cluster:                clusterOf(cfg),
		Roles:                  []producer.ConsumerRole{{ExecutionRoleArn: studio.ExecutionRoleArn}},
		Peerings:               connection.producerSides,
		ClusterSecurityGroupID: clusterGroup,
		Port:                   cfg.Producer.Redshift.Port,
	}, pulumi.Provider(provider))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return data.RoleArns.MapIndex(pulumi.String("")), nil
}

// exportCore exports the outputs of the core system (DESIGN.md's names).
// dbUserPrefix is this consumer's namespace of database users: "" in a
// stack of both sides.
func exportCore(ctx *pulumi.Context, cfg *config.Config, studio *consumer.Consumer, studioVPC *vpc, producerRoleArn pulumi.StringOutput, dbUserPrefix string, connection *link) {
	redshift := cfg.Producer.Redshift
	endpointAddress := pulumi.String("").ToStringOutput()
	endpointPort := pulumi.Int(0).ToIntOutput()
	if connection.endpoint != nil {
		endpointAddress, endpointPort = connection.endpoint.Address, connection.endpoint.Port
	}
	snippet := pulumi.All(producerRoleArn, endpointAddress, endpointPort).ApplyT(func(values []any) (string, error) {
		return notebook.RedshiftSnippet(notebook.Redshift{
			Region:            cfg.Region,
			ProducerRoleArn:   values[0].(string),
			DBUserPrefix:      dbUserPrefix,
			ClusterIdentifier: redshift.ClusterIdentifier,
			Database:          redshift.Database,
			DBGroups:          redshift.DBGroups,
			Connection:        cfg.Connection,
			EndpointAddress:   values[1].(string),
			EndpointPort:      values[2].(int),
			WorkgroupName:     workgroupName(cfg),
			UserRoleArnPrefix: userRoleArnPrefix(cfg, values[0].(string)),
		})
	}).(pulumi.StringOutput)

	ctx.Export("connection", pulumi.String(cfg.Connection))
	if connection.endpoint != nil {
		ctx.Export("redshiftEndpointAddress", connection.endpoint.Address)
	}
	ctx.Export("region", pulumi.String(cfg.Region))
	ctx.Export("producerAccountId", pulumi.String(cfg.Producer.AccountID))
	ctx.Export("consumerAccountId", pulumi.String(cfg.Consumer.AccountID))
	ctx.Export("executionRoleArn", studio.ExecutionRoleArn)
	ctx.Export("producerRoleArn", producerRoleArn)
	ctx.Export("peeringConnectionId", connection.peeringID)
	ctx.Export("studioDomainId", studio.DomainID)
	ctx.Export("studioDomainUrl", studio.DomainURL)
	ctx.Export("userProfiles", studio.UserProfileNames)
	// For the identity provider's roles: opens Studio as one's own profile.
	ctx.Export("signInPolicyArn", studio.SignInPolicyArn)
	// Each user's own data: s3://<bucket>/users/<profile>/.
	ctx.Export("userDataBucket", studio.UserDataBucket)
	ctx.Export("producerVpcCidr", pulumi.String(cfg.Producer.VPC.CIDR))
	ctx.Export("redshift", redshiftOutput(cfg))
	if cfg.IsServerless() {
		ctx.Export("redshiftWorkgroup", pulumi.String(workgroupName(cfg)))
	}
	ctx.Export("notebookSnippet", snippet)
	// What a SageMaker job or model must name to pass the guardrails.
	ctx.Export("studioSubnetIds", studioVPC.subnetIDs)
	ctx.Export("studioSecurityGroupIds", studio.StudioSecurityGroupIDs)
	// What a producer-side stack reads of a consumer-side one.
	ctx.Export("consumerVpcId", studioVPC.id)
	ctx.Export("consumerVpcCidr", pulumi.String(cfg.Consumer.VPC.CIDR))
}

// lifecycleScript installs awswrangler at every JupyterLab start, where Studio
// can reach a package index: through a NAT gateway or a configured mirror.
// Elsewhere it does nothing, but it is there all the same: the provider sends
// no lifecycle settings at all for a profile that has none, so a profile
// would keep a configuration once attached, and that configuration could
// never be deleted. Switching installs on or off only changes the script.
func lifecycleScript(cfg *config.Config) string {
	if !cfg.InstallsPackages() {
		return noPackageIndexScript
	}
	return notebook.LifecycleScript(cfg.PackageMirror())
}

// noPackageIndexScript is the lifecycle script of a Studio that reaches no
// package index.
const noPackageIndexScript = "#!/bin/bash\n" +
	"# No package index is reachable from this Studio domain (no NAT gateway and\n" +
	"# no consumer.studio.pipIndexUrl), so nothing is installed at start.\n" +
	"exit 0\n"

// interfaceEndpoints are the default endpoints, the configured extras, and
// those the optional features call (once each).
func interfaceEndpoints(cfg *config.Config) []string {
	endpoints := append(append([]string{}, config.DefaultEndpoints...), cfg.Consumer.VPC.ExtraEndpoints...)
	if cfg.IsServerless() {
		// GetCredentials and GetWorkgroup (com.amazonaws.<region>.redshift-serverless,
		// AWS PrivateLink "AWS services that integrate with AWS PrivateLink").
		endpoints = append(endpoints, config.ServerlessEndpoint)
	}
	if cfg.Athena != nil {
		endpoints = append(endpoints, "athena", "glue")
	}
	if cfg.FeatureStore != nil && cfg.FeatureStore.OnlineStore() {
		endpoints = append(endpoints, "sagemaker.featurestore-runtime")
	}
	if mirror := cfg.PackageMirror(); mirror != nil && mirror.CodeArtifact != nil {
		// Also when listed in extraEndpoints: each service once.
		endpoints = append(endpoints, config.CodeArtifactEndpoints...)
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
	buckets = append(buckets, cfg.UserDataBucket())
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

// peeredCIDR is the producer VPC's block where Studio reaches it over the
// peering, and empty for the connections without a network path into it.
func peeredCIDR(cfg *config.Config) string {
	if !cfg.Peering() {
		return ""
	}
	return cfg.Producer.VPC.CIDR
}

// redshiftOutput is the output redshift: what a notebook or a consumer-side
// stack needs to know of the cluster.
func redshiftOutput(cfg *config.Config) pulumi.Map {
	r := cfg.Producer.Redshift
	output := pulumi.Map{
		"clusterIdentifier": pulumi.String(r.ClusterIdentifier),
		"database":          pulumi.String(r.Database),
		"port":              pulumi.Int(r.Port),
		"dbGroups":          pulumi.ToStringArray(append([]string{}, r.DBGroups...)),
	}
	if cfg.IsServerless() {
		output["workgroupName"] = pulumi.String(workgroupName(cfg))
	}
	return output
}

// workgroupName is the Serverless producer's workgroup, "" for a cluster.
func workgroupName(cfg *config.Config) string {
	if !cfg.IsServerless() {
		return ""
	}
	return cfg.Producer.Redshift.Serverless.WorkgroupName
}

// userRoleArnPrefix is the ARN of a Serverless producer's user roles without
// the name that ends each, "" for a cluster: the pattern of the roles
// (producer.UserRolesArn) the execution role may assume, without its *.
func userRoleArnPrefix(cfg *config.Config, userRolesArn string) string {
	if !cfg.IsServerless() {
		return ""
	}
	return strings.TrimSuffix(userRolesArn, "*")
}
