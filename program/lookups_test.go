package program

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
)

// The dev stack's existing resources, as Pulumi.dev.yaml names them.
const (
	devConsumerVpc = "vpc-0c3d4e5f60718293a"
	devProducerVpc = "vpc-0a1b2c3d4e5f60718"
	devSubnetA     = "subnet-0a1b2c3d4e5f60718"
	devSubnetB     = "subnet-0b2c3d4e5f6071829"
	clusterSubnet  = "subnet-0f1e2d3c4b5a69788"
)

// withClusterInExistingVPC changes the dev stack to create its cluster in the
// producer's existing VPC, in clusterSubnet.
func withClusterInExistingVPC(t *testing.T, values map[string]string) map[string]string {
	t.Helper()
	var producer map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:producer"]), &producer))
	redshift := producer["redshift"].(map[string]any)
	redshift["create"] = true
	delete(redshift, "securityGroupId")
	producer["vpc"].(map[string]any)["subnetIds"] = []any{clusterSubnet}
	text, err := json.Marshal(producer)
	require.NoError(t, err)
	values["studio-redshift:producer"] = string(text)
	return values
}

func TestLookupsRefuseWhatAWSWouldRefuseLater(t *testing.T) {
	tests := []struct {
		name    string
		cluster bool // create the cluster in the existing producer VPC
		options []offline.Option
		key     string
		want    string
	}{
		{"two subnets in one zone", false, []offline.Option{
			offline.WithSubnet(devSubnetA, offline.Subnet{VpcID: devConsumerVpc, Zone: "us-east-1a"}),
			offline.WithSubnet(devSubnetB, offline.Subnet{VpcID: devConsumerVpc, Zone: "us-east-1a"}),
		}, "consumer.vpc.subnetIds[1]", devSubnetB + " is in us-east-1a like subnetIds[0]; interface endpoints take one subnet per availability zone"},
		{"a subnet where SageMaker's endpoint services are not offered", false, []offline.Option{
			offline.WithSubnet(devSubnetA, offline.Subnet{VpcID: devConsumerVpc, Zone: "us-east-1a"}),
			offline.WithSubnet(devSubnetB, offline.Subnet{VpcID: devConsumerVpc, Zone: "us-east-1c"}),
		}, "consumer.vpc.subnetIds[1]", devSubnetB + " is in us-east-1c (use1-az3), where com.amazonaws.us-east-1.sagemaker.api, " +
			"com.amazonaws.us-east-1.sagemaker.runtime, aws.sagemaker.us-east-1.studio are not offered; every interface endpoint takes a subnet in each of consumer.vpc.subnetIds, " +
			"so name subnets in zones that offer all of them: us-east-1a (use1-az1), us-east-1b (use1-az2), us-east-1d (use1-az4), us-east-1e (use1-az5), us-east-1f (use1-az6)"},
		{"a subnet of another VPC", false, []offline.Option{
			offline.WithSubnet(devSubnetB, offline.Subnet{VpcID: "vpc-0ffffffffffffffff", Zone: "us-east-1c"}),
		}, "consumer.vpc.subnetIds[1]", devSubnetB + " is in vpc-0ffffffffffffffff, not in consumer.vpc.id " + devConsumerVpc},
		{"consumer DNS hostnames off", false, []offline.Option{
			offline.WithVpc(devConsumerVpc, offline.Vpc{EnableDNSSupport: true}),
		}, "consumer.vpc.id", devConsumerVpc + " has DNS hostnames off; the interface endpoints' private DNS needs DNS support and DNS hostnames"},
		{"consumer DNS support off", false, []offline.Option{
			offline.WithVpc(devConsumerVpc, offline.Vpc{EnableDNSHostnames: true}),
		}, "consumer.vpc.id", "modify-vpc-attribute --vpc-id " + devConsumerVpc + " --enable-dns-support"},
		{"producer DNS off", false, []offline.Option{
			offline.WithVpc(devProducerVpc, offline.Vpc{EnableDNSSupport: true}),
		}, "producer.vpc.id", "DNS resolution over the peering needs DNS support and DNS hostnames"},
		{"a cluster subnet of another VPC", true, []offline.Option{
			offline.WithSubnet(clusterSubnet, offline.Subnet{VpcID: devConsumerVpc, Zone: "us-east-1a"}),
		}, "producer.vpc.subnetIds[0]", clusterSubnet + " is in " + devConsumerVpc + ", not in producer.vpc.id " + devProducerVpc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := devConfig(t)
			if tt.cluster {
				values = withClusterInExistingVPC(t, values)
			}
			result, err := offline.Run(Run, config.Project, "dev", values, tt.options...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "\n  "+tt.key+": ", "the message names the key")
			assert.Contains(t, err.Error(), tt.want)
			for _, r := range result.Resources() {
				assert.Equal(t, offline.ProviderType, r.Type, "%s registered before the lookups passed", r.URN)
			}
		})
	}
}

func TestLookupsUseEachAccountsProvider(t *testing.T) {
	// Registering no resource, a stack that fails later still shows which
	// lookups ran: make the run stop right after them.
	values := withClusterInExistingVPC(t, devConfig(t))
	result, err := offline.Run(Run, config.Project, "dev", values,
		offline.WithVpc(devProducerVpc, offline.Vpc{}))
	require.Error(t, err)
	type lookup struct{ token, provider string }
	var lookups []lookup
	for _, invoke := range result.Invokes() {
		lookups = append(lookups, lookup{invoke.Token, invoke.Provider})
	}
	expected := []lookup{{"aws:index/getAvailabilityZones:getAvailabilityZones", "consumer"}}
	for range config.DefaultEndpoints {
		expected = append(expected, lookup{"aws:ec2/getVpcEndpointService:getVpcEndpointService", "consumer"})
	}
	assert.Equal(t, append(expected, []lookup{
		{"aws:ec2/getVpc:getVpc", "consumer"},
		{"aws:ec2/getSubnet:getSubnet", "consumer"},
		{"aws:ec2/getSubnet:getSubnet", "consumer"},
		{"aws:ec2/getVpc:getVpc", "producer"},
		{"aws:ec2/getSubnet:getSubnet", "producer"},
	}...), lookups, "the consumer's zones and endpoint services, VPC and subnets through the consumer provider, the producer's through the producer's")
}

func TestMockedZonesPerRegion(t *testing.T) {
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"}, offline.AvailabilityZones("us-east-1"))
	assert.Len(t, offline.AvailabilityZones("us-west-2"), 4)
	assert.Len(t, offline.AvailabilityZones("eu-west-1"), 3, "a region without a documented count gets three")
}
