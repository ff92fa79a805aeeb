package producer

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/offline"
)

const (
	warehouseType      = "studioredshift:index:Warehouse"
	clusterType        = "aws:redshift/cluster:Cluster"
	subnetGroupType    = "aws:redshift/subnetGroup:SubnetGroup"
	parameterGroupType = "aws:redshift/parameterGroup:ParameterGroup"
	loggingType        = "aws:redshift/logging:Logging"
	securityGroupType  = "aws:ec2/securityGroup:SecurityGroup"
	vpcEndpointType    = "aws:ec2/vpcEndpoint:VpcEndpoint"
)

// warehouseArgs are the example stack's cluster, created in a VPC of the
// program's (whose S3 gateway endpoint already serves its subnets), logging
// to the data account's log bucket.
func warehouseArgs() *WarehouseArgs {
	return &WarehouseArgs{
		VpcID:             pulumi.String("vpc-0a1b2c3d4e5f60718"),
		SubnetIDs:         pulumi.ToStringArray([]string{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"}),
		ClusterIdentifier: "analytics",
		Database:          "dev",
		Port:              5439,
		NodeType:          "ra3.xlplus",
		NodeCount:         2,
		MasterUsername:    "admin",
		Region:            testRegion,
		S3PrefixListID:    pulumi.String("pl-63a5400a"),
		LogBucket:         pulumi.String("producer-logs-4f1c2d7"),
		Protect:           true,
	}
}

// TestWarehouse: one row per variant of the inputs, asserting what each
// changes; every row checks the cluster's fixed guarantees too.
func TestWarehouse(t *testing.T) {
	cases := []struct {
		name   string
		change func(*WarehouseArgs)
		// clusterType is what NodeCount makes of the cluster.
		clusterType string
		// gateway: the component makes the S3 gateway endpoint itself.
		gateway    bool
		relocation any
		protect    bool
	}{
		{
			name:        "a protected multi-node cluster in a VPC of the program",
			change:      func(*WarehouseArgs) {},
			clusterType: "multi-node", protect: true,
		},
		{
			name:        "a single node, unprotected",
			change:      func(a *WarehouseArgs) { a.NodeCount, a.Protect = 1, false },
			clusterType: "single-node",
		},
		{
			name: "an existing VPC gets an S3 gateway endpoint for its route tables",
			change: func(a *WarehouseArgs) {
				a.S3PrefixListID = nil
				a.RouteTableIDs = pulumi.ToStringArray([]string{"rtb-0a1b2c3d4e5f60718", "rtb-0b2c3d4e5f6071829"})
			},
			clusterType: "multi-node", gateway: true, protect: true,
		},
		{
			name:        "relocation on, as a Redshift-managed VPC endpoint needs",
			change:      func(a *WarehouseArgs) { a.Relocation = true },
			clusterType: "multi-node", relocation: true, protect: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := warehouseArgs()
			tc.change(args)
			result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
				warehouse, err := NewWarehouse(ctx, "warehouse", args, pulumi.Provider(providers[0]))
				if err != nil {
					return err
				}
				ctx.Export("clusterIdentifier", warehouse.ClusterIdentifier)
				ctx.Export("securityGroupId", warehouse.SecurityGroupID)
				ctx.Export("endpoint", warehouse.Endpoint)
				return nil
			}, testRegion, producerAccount)
			require.NoError(t, err)

			var inAWS []string
			for _, r := range result.Resources() {
				if r.InAWS() {
					inAWS = append(inAWS, r.Type+" "+r.Name)
					childOf(t, result, r, warehouseType, producerAccount)
				}
			}
			want := []string{
				vpcEndpointType + " warehouse-s3",
				securityGroupType + " warehouse-cluster",
				keyType + " warehouse-key",
				clusterType + " warehouse-cluster",
				loggingType + " warehouse-audit-logging",
				parameterGroupType + " warehouse-parameters",
				subnetGroupType + " warehouse-subnets",
				egressRuleType + " warehouse-cluster-s3-out",
			}
			if !tc.gateway {
				want = want[1:]
			}
			assert.ElementsMatch(t, want, inAWS, "what the cluster needs, and nothing else")

			key := one(t, result, keyType, "warehouse-key")
			assert.Equal(t, tc.protect, key.Protect, "the key is protected with the cluster")
			assert.True(t, key.RetainOnDelete, "a final snapshot outlives the stack, and needs its key")
			assert.Equal(t, true, key.Input("enableKeyRotation"))
			assert.Equal(t, "Encrypts Redshift cluster analytics", key.String("description"))

			subnets := one(t, result, subnetGroupType, "warehouse-subnets")
			assert.Equal(t, []any{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"}, subnets.Input("subnetIds"))

			group := one(t, result, securityGroupType, "warehouse-cluster")
			assert.Equal(t, "vpc-0a1b2c3d4e5f60718", group.String("vpcId"))
			assert.Equal(t, true, group.Input("revokeRulesOnDelete"))
			assert.Nil(t, group.Input("ingress"), "no inline rules: ingress comes from each peering")
			assert.Nil(t, group.Input("egress"), "no inline rules: the one egress is its own resource")
			assert.Empty(t, result.OfType(ingressRuleType), "no ingress of its own")

			egress := one(t, result, egressRuleType, "warehouse-cluster-s3-out")
			assert.Equal(t, group.ID, egress.String("securityGroupId"))
			assert.Equal(t, "tcp", egress.String("ipProtocol"))
			assert.Equal(t, 443.0, egress.Input("fromPort"), "HTTPS only")
			assert.Equal(t, 443.0, egress.Input("toPort"))
			assert.Empty(t, egress.String("cidrIpv4"), "S3's prefix list, not an address range")
			if tc.gateway {
				gateway := one(t, result, vpcEndpointType, "warehouse-s3")
				assert.Equal(t, "Gateway", gateway.String("vpcEndpointType"))
				assert.Equal(t, "com.amazonaws.us-east-1.s3", gateway.String("serviceName"))
				assert.Equal(t, "vpc-0a1b2c3d4e5f60718", gateway.String("vpcId"))
				assert.Equal(t, []any{"rtb-0a1b2c3d4e5f60718", "rtb-0b2c3d4e5f6071829"}, gateway.Input("routeTableIds"))
				assert.Equal(t, gateway.Output("prefixListId"), egress.String("prefixListId"), "through the endpoint made here")
				assert.Contains(t, egress.Dependencies, gateway.URN)
			} else {
				assert.Equal(t, "pl-63a5400a", egress.String("prefixListId"), "through the VPC's own endpoint")
			}

			parameters := one(t, result, parameterGroupType, "warehouse-parameters")
			assert.Equal(t, "redshift-1.0", parameters.String("family"))
			assert.ElementsMatch(t, []any{
				map[string]any{"name": "require_ssl", "value": "true"},
				map[string]any{"name": "enable_user_activity_logging", "value": "true"},
			}, parameters.Input("parameters"), "SSL required, and every query logged with its user")

			cluster := one(t, result, clusterType, "warehouse-cluster")
			assert.Equal(t, tc.protect, cluster.Protect)
			assert.Equal(t, "analytics", cluster.String("clusterIdentifier"))
			assert.Equal(t, "dev", cluster.String("databaseName"))
			assert.Equal(t, 5439.0, cluster.Input("port"))
			assert.Equal(t, "ra3.xlplus", cluster.String("nodeType"))
			assert.Equal(t, tc.clusterType, cluster.String("clusterType"))
			assert.Equal(t, float64(args.NodeCount), cluster.Input("numberOfNodes"))
			assert.Equal(t, "admin", cluster.String("masterUsername"))
			assert.Equal(t, true, cluster.Input("manageMasterPassword"), "the password lives in Secrets Manager")
			assert.Nil(t, cluster.Input("masterPassword"), "and never in the state")
			assert.Equal(t, tc.relocation, cluster.Input("availabilityZoneRelocationEnabled"), "set only when wanted")
			assert.Equal(t, true, cluster.Input("encrypted"))
			assert.Equal(t, key.Output("arn"), cluster.String("kmsKeyId"), "with its own key")
			assert.Equal(t, false, cluster.Input("publiclyAccessible"))
			assert.Equal(t, true, cluster.Input("enhancedVpcRouting"))
			assert.Equal(t, subnets.Output("name"), cluster.String("clusterSubnetGroupName"))
			assert.Equal(t, []any{group.ID}, cluster.Input("vpcSecurityGroupIds"))
			assert.Equal(t, parameters.Output("name"), cluster.String("clusterParameterGroupName"))
			assert.Equal(t, 7.0, cluster.Input("automatedSnapshotRetentionPeriod"))
			assert.Equal(t, false, cluster.Input("skipFinalSnapshot"))
			assert.Equal(t, "analytics-final", cluster.String("finalSnapshotIdentifier"))
			assert.Nil(t, cluster.Input("logging"), "not the inline logging pulumi-aws deprecates")
			for _, dependency := range []offline.Resource{key, subnets, group, parameters} {
				assert.Contains(t, cluster.Dependencies, dependency.URN, "the cluster waits for %s", dependency.Name)
			}

			logging := one(t, result, loggingType, "warehouse-audit-logging")
			assert.Equal(t, "analytics", logging.String("clusterIdentifier"))
			assert.Contains(t, logging.Dependencies, cluster.URN, "logging is switched on for the cluster once it exists")
			assert.Equal(t, "s3", logging.String("logDestinationType"))
			assert.Equal(t, "producer-logs-4f1c2d7", logging.String("bucketName"))
			assert.Equal(t, RedshiftPrefix, logging.String("s3KeyPrefix"), "the prefix the log bucket's policy lets Redshift write")

			assert.Equal(t, "analytics", result.Outputs["clusterIdentifier"])
			assert.Equal(t, group.ID, result.Outputs["securityGroupId"], "the group the producer side admits each peering to")
			assert.Equal(t, cluster.Output("endpoint"), result.Outputs["endpoint"])
			assert.Regexp(t, `^analytics\..+\.redshift\.amazonaws\.com:5439$`, result.Outputs["endpoint"], "host:port")
		})
	}
}

// TestWarehouseLoggingWaitsForTheBucketPolicy: given the log bucket's name,
// which comes from its policy, audit logging is switched on only once
// Redshift may write there: Redshift checks the bucket when logging starts.
func TestWarehouseLoggingWaitsForTheBucketPolicy(t *testing.T) {
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		logs, err := NewLogBucket(ctx, "producer-logs", &LogBucketArgs{
			Partition: "aws", Region: testRegion, Account: producerAccount, Clusters: []string{"analytics"},
		}, pulumi.Provider(providers[0]))
		if err != nil {
			return fmt.Errorf("log bucket: %w", err)
		}
		args := warehouseArgs()
		args.LogBucket = logs.BucketName
		_, err = NewWarehouse(ctx, "warehouse", args, pulumi.Provider(providers[0]))
		return err
	}, testRegion, producerAccount)
	require.NoError(t, err)

	bucketPolicy := one(t, result, bucketPolicyType, "producer-logs-policy")
	bucket := one(t, result, bucketType, "producer-logs")
	logging := one(t, result, loggingType, "warehouse-audit-logging")
	assert.Equal(t, bucket.ID, logging.String("bucketName"))
	assert.Contains(t, logging.Dependencies, bucketPolicy.URN)
}
