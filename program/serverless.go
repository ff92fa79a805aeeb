package program

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshiftserverless"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/producer"
)

// serverlessWorkgroup is the producer's workgroup: what the users' roles and
// the peering need of it.
type serverlessWorkgroup struct {
	arn pulumi.StringInput
	// group gets the peering's ingress: the configured one of an existing
	// workgroup, the created workgroup's own.
	group pulumi.StringInput
}

// newServerlessWorkgroup creates the configured namespace and workgroup, or
// looks the existing workgroup up: its ARN names its ID, which configuration
// does not know, and the users' policy names the workgroup exactly.
func newServerlessWorkgroup(ctx *pulumi.Context, cfg *config.Config, provider *aws.Provider, workgroupVPC *vpc) (*serverlessWorkgroup, error) {
	r := cfg.Producer.Redshift
	s := r.Serverless
	if !s.Create {
		found, err := redshiftserverless.LookupWorkgroup(ctx, &redshiftserverless.LookupWorkgroupArgs{WorkgroupName: s.WorkgroupName}, pulumi.Provider(provider))
		if err != nil {
			return nil, config.Errorf("producer.redshift.serverless.workgroupName", "%q: no such workgroup in account %s, region %s (%v); name an existing workgroup, or set create: true",
				s.WorkgroupName, cfg.Producer.AccountID, cfg.Region, err)
		}
		return &serverlessWorkgroup{arn: pulumi.String(found.Arn), group: pulumi.String(r.SecurityGroupID)}, nil
	}
	workgroup, err := producer.NewWorkgroup(ctx, "workgroup", &producer.WorkgroupArgs{
		NamespaceName:      s.NamespaceName,
		WorkgroupName:      s.WorkgroupName,
		Database:           r.Database,
		Port:               r.Port,
		KmsKeyArn:          s.KmsKeyArn,
		LogExports:         s.LogExports,
		EnhancedVpcRouting: s.UsesEnhancedVpcRouting(),
		BaseCapacity:       s.BaseCapacity,
		VpcID:              workgroupVPC.id,
		SubnetIDs:          workgroupVPC.subnetIDs,
		Region:             cfg.Region,
		S3PrefixListID:     workgroupVPC.s3PrefixListID,
		RouteTableIDs:      workgroupVPC.routeTableIDs(),
		Protect:            cfg.Protect,
	}, pulumi.Provider(provider))
	if err != nil {
		return nil, err
	}
	return &serverlessWorkgroup{arn: workgroup.Arn, group: workgroup.SecurityGroupID}, nil
}

// userRolePath is the IAM path of this stack's user roles.
func userRolePath(ctx *pulumi.Context) string {
	return producer.UserRolePath(config.Project, ctx.Stack())
}

// newServerlessSide is the producer side of a Serverless producer: a role
// per user, and the peering's routes back and ingress where the VPCs are
// peered. It returns the pattern of the users' roles, which the execution
// role's one statement names.
func newServerlessSide(ctx *pulumi.Context, cfg *config.Config, provider *aws.Provider, studio *consumer.Consumer, connection *link, workgroup *serverlessWorkgroup) (pulumi.StringOutput, error) {
	path := userRolePath(ctx)
	if _, err := producer.NewServerlessUsers(ctx, "serverless-users", &producer.ServerlessUsersArgs{
		ExecutionRoleArn: studio.ExecutionRoleArn,
		WorkgroupArn:     workgroup.arn,
		WorkgroupName:    cfg.Producer.Redshift.Serverless.WorkgroupName,
		Path:             path,
		UserProfiles:     cfg.Consumer.Studio.UserProfiles,
		DBRoles:          cfg.Producer.Redshift.DBGroups,
	}, pulumi.Provider(provider)); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("users' roles: %w", err)
	}
	if len(connection.producerSides) > 0 {
		if _, err := producer.NewProducer(ctx, "producer", &producer.ProducerArgs{
			Peerings:               connection.producerSides,
			ClusterSecurityGroupID: workgroup.group,
			Port:                   cfg.Producer.Redshift.Port,
		}, pulumi.Provider(provider)); err != nil {
			return pulumi.StringOutput{}, err
		}
	}
	return pulumi.String(producer.UserRolesArn(cfg.Partition(), cfg.Producer.AccountID, path)).ToStringOutput(), nil
}
