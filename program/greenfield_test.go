package program

import (
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
)

// Resource types only greenfield mode creates.
const (
	vpcType             = "aws:ec2/vpc:Vpc"
	subnetType          = "aws:ec2/subnet:Subnet"
	routeTableType      = "aws:ec2/routeTable:RouteTable"
	associationType     = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	defaultGroupType    = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	natType             = "aws:ec2/natGateway:NatGateway"
	internetGatewayType = "aws:ec2/internetGateway:InternetGateway"
	eipType             = "aws:ec2/eip:Eip"
	flowLogType         = "aws:ec2/flowLog:FlowLog"
	logGroupType        = "aws:cloudwatch/logGroup:LogGroup"
	clusterType         = "aws:redshift/cluster:Cluster"
	subnetGroupType     = "aws:redshift/subnetGroup:SubnetGroup"
	parameterGroupType  = "aws:redshift/parameterGroup:ParameterGroup"
	lifecycleType       = "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig"
)

func demoConfig(t *testing.T) map[string]string { return stackConfig(t, "demo") }

// withoutNAT returns the demo configuration with the consumer's NAT gateway off.
func withoutNAT(t *testing.T) map[string]string {
	return withConsumer(t, demoConfig(t), func(c map[string]any) {
		delete(c["vpc"].(map[string]any), "natGateway")
	})
}

func inComponent(result *offline.Result, typ, component string) []offline.Resource {
	var out []offline.Resource
	for _, r := range result.OfType(typ) {
		if strings.HasSuffix(r.Parent, "::"+component) {
			out = append(out, r)
		}
	}
	return out
}

func TestDemoEveryResourceSitsInItsAccount(t *testing.T) {
	assertAccounts(t, run(t, demoConfig(t)), map[string]string{"producer": producerAccount, "consumer": consumerAccount})
}

func TestDemoLooksUpZonesWithEachSidesProvider(t *testing.T) {
	result := run(t, demoConfig(t))
	var zoneLookups []string
	services := 0
	for _, invoke := range result.Invokes() {
		switch invoke.Token {
		case "aws:index/getAvailabilityZones:getAvailabilityZones":
			zoneLookups = append(zoneLookups, invoke.Provider)
		case "aws:ec2/getVpcEndpointService:getVpcEndpointService":
			assert.Equal(t, "consumer", invoke.Provider, "the consumer's endpoint services, in its account")
			services++
		default:
			t.Errorf("unexpected lookup %s", invoke.Token)
		}
	}
	assert.ElementsMatch(t, []string{"consumer", "producer"}, zoneLookups, "one zone lookup per side")
	interfaces := 0
	for _, endpoint := range result.OfType(endpointType) {
		if endpoint.String("vpcEndpointType") == "Interface" {
			interfaces++
		}
	}
	assert.Equal(t, interfaces, services, "one lookup per interface endpoint service")
}

// TestGreenfieldZonesOfferEveryEndpointService: us-east-1c is use1-az3 in
// the mocks, where SageMaker's endpoint services are not offered, so three
// consumer subnets go to a, b and d, while the producer, which needs no
// interface endpoint, keeps the first three zones.
func TestGreenfieldZonesOfferEveryEndpointService(t *testing.T) {
	values := withConsumer(t, demoConfig(t), func(c map[string]any) { c["vpc"].(map[string]any)["subnetCount"] = 3 })
	var producer map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:producer"]), &producer))
	producer["vpc"].(map[string]any)["subnetCount"] = 3
	text, err := json.Marshal(producer)
	require.NoError(t, err)
	values["studio-redshift:producer"] = string(text)
	result := run(t, values)
	zonesOf := func(component string) []string {
		var zones []string
		for _, subnet := range inComponent(result, subnetType, component) {
			if strings.Contains(subnet.Name, "-private-") {
				zones = append(zones, subnet.String("availabilityZone"))
			}
		}
		return zones
	}
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1d"}, zonesOf("consumer-network"), "never use1-az3")
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, zonesOf("producer-network"))
	for _, zone := range zonesOf("consumer-network") {
		for _, service := range []string{"com.amazonaws.us-east-1.sagemaker.api", "aws.sagemaker.us-east-1.studio", "com.amazonaws.us-east-1.redshift-data"} {
			assert.Contains(t, offline.EndpointServiceZones("us-east-1", service), zone, "%s offers %s", zone, service)
		}
	}

	// Six subnets would need six zones that offer every service; us-east-1
	// has five: refused by key before anything is registered.
	values = withConsumer(t, demoConfig(t), func(c map[string]any) { c["vpc"].(map[string]any)["subnetCount"] = 6 })
	failed, err := offline.Run(Run, config.Project, "demo", values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumer.vpc.subnetCount: is 6, but only 5 of us-east-1's zones offer every interface endpoint service")
	assert.Contains(t, err.Error(), "us-east-1c (use1-az3) lacks com.amazonaws.us-east-1.sagemaker.api, com.amazonaws.us-east-1.sagemaker.runtime, aws.sagemaker.us-east-1.studio")
	for _, r := range failed.Resources() {
		assert.False(t, r.InAWS(), "nothing of AWS is registered: %s", r.URN)
	}
}

func TestDemoSubnetsFitTheVPCInDistinctZones(t *testing.T) {
	result := run(t, demoConfig(t))
	for side, block := range map[string]string{"consumer": consumerCIDR, "producer": producerCIDR} {
		component := side + "-network"
		vpcs := inComponent(result, vpcType, component)
		require.Len(t, vpcs, 1, side)
		vpc := vpcs[0]
		assert.Equal(t, block, vpc.String("cidrBlock"))
		assert.Equal(t, true, vpc.Input("enableDnsSupport"), "peering DNS and private endpoints need DNS support")
		assert.Equal(t, true, vpc.Input("enableDnsHostnames"))

		vpcBlock := netip.MustParsePrefix(block)
		zones := map[string]bool{}
		var private []netip.Prefix
		for _, subnet := range inComponent(result, subnetType, component) {
			assert.Equal(t, vpc.ID, subnet.String("vpcId"), subnet.URN)
			prefix := netip.MustParsePrefix(subnet.String("cidrBlock"))
			assert.True(t, vpcBlock.Contains(prefix.Addr()) && prefix.Bits() >= vpcBlock.Bits(), "%s lies outside %s", prefix, block)
			for _, other := range private {
				assert.False(t, other.Overlaps(prefix), "%s overlaps %s", prefix, other)
			}
			if strings.Contains(subnet.Name, "-private-") {
				private = append(private, prefix)
				assert.False(t, zones[subnet.String("availabilityZone")], "two private subnets in %s", subnet.String("availabilityZone"))
				zones[subnet.String("availabilityZone")] = true
			}
		}
		assert.Len(t, private, 2, "%s: subnetCount private subnets", side)
		assert.Equal(t, map[string]bool{"us-east-1a": true, "us-east-1b": true}, zones, side)

		// One private route table per zone, each associated with its subnet.
		tables := inComponent(result, routeTableType, component)
		associations := inComponent(result, associationType, component)
		privateTables := 0
		for _, table := range tables {
			if strings.Contains(table.Name, "-private-") {
				privateTables++
			}
		}
		assert.Equal(t, 2, privateTables, side)
		assert.Len(t, associations, len(inComponent(result, subnetType, component)), "every subnet has its route table")

		defaults := inComponent(result, defaultGroupType, component)
		require.Len(t, defaults, 1)
		assert.Equal(t, vpc.ID, defaults[0].String("vpcId"))
		assert.Nil(t, defaults[0].Input("ingress"), "the default security group is stripped of rules")
		assert.Nil(t, defaults[0].Input("egress"))
	}
}

func TestDemoFlowLogs(t *testing.T) {
	result := run(t, demoConfig(t))
	for _, side := range []string{"consumer", "producer"} {
		component := side + "-network"
		account := map[string]string{"consumer": consumerAccount, "producer": producerAccount}[side]
		logGroup := inComponent(result, logGroupType, component)[0]
		assert.Equal(t, 30.0, logGroup.Input("retentionInDays"), "the configured retention")

		flowLogs := inComponent(result, flowLogType, component)
		require.Len(t, flowLogs, 1)
		flowLog := flowLogs[0]
		role := inComponent(result, roleType, component)[0]
		assert.Equal(t, inComponent(result, vpcType, component)[0].ID, flowLog.String("vpcId"))
		assert.Equal(t, "ALL", flowLog.String("trafficType"))
		assert.Equal(t, "cloud-watch-logs", flowLog.String("logDestinationType"))
		assert.Equal(t, logGroup.Output("arn"), flowLog.String("logDestination"))
		assert.Equal(t, role.Output("arn"), flowLog.String("iamRoleArn"))

		trust := parsePolicy(t, role, "assumeRolePolicy")
		assert.Equal(t, []string{"vpc-flow-logs.amazonaws.com"}, trust.Statement[0].Principal.Service)
		assert.Equal(t, []string{account}, trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"])
		assert.Equal(t, []string{"arn:aws:ec2:us-east-1:" + account + ":vpc-flow-log/*"}, trust.Statement[0].Condition["ArnLike"]["aws:SourceArn"])

		delivery := parsePolicy(t, inComponent(result, rolePolicyType, component)[0], "policy")
		logGroupArn := logGroup.Output("arn").(string)
		assert.Equal(t, []string{logGroupArn, logGroupArn + ":*"}, delivery.Statement[0].Resource, "only its own log group")
	}
}

func TestDemoNATOnlyWhenAsked(t *testing.T) {
	withNAT := run(t, demoConfig(t))
	nat := one(t, withNAT, natType, "consumer-network-nat")
	publicSubnet := one(t, withNAT, subnetType, "consumer-network-public-us-east-1a")
	assert.Equal(t, publicSubnet.ID, nat.String("subnetId"), "the NAT gateway sits in the public subnet")
	assert.Equal(t, one(t, withNAT, eipType, "consumer-network-nat").Output("allocationId"), nat.String("allocationId"))
	gateway := one(t, withNAT, internetGatewayType, "consumer-network-igw")
	assert.Equal(t, one(t, withNAT, vpcType, "consumer-network-vpc").ID, gateway.String("vpcId"), "attached by the gateway resource itself")
	assert.Contains(t, nat.Dependencies, gateway.URN, "AWS refuses a NAT gateway before the internet gateway is attached (Gateway.NotAttached)")

	defaultRoutes := map[string]string{} // route table → target
	for _, route := range withNAT.OfType(routeType) {
		if route.String("destinationCidrBlock") == "0.0.0.0/0" {
			assert.Equal(t, "consumer", route.Provider, "the producer VPC has no way to the internet")
			defaultRoutes[route.String("routeTableId")] = route.String("natGatewayId") + route.String("gatewayId")
		}
	}
	assert.Equal(t, map[string]string{
		one(t, withNAT, routeTableType, "consumer-network-private-us-east-1a").ID: nat.ID,
		one(t, withNAT, routeTableType, "consumer-network-private-us-east-1b").ID: nat.ID,
		one(t, withNAT, routeTableType, "consumer-network-public").ID:             gateway.ID,
	}, defaultRoutes, "private subnets leave through the NAT gateway, the public one through the internet gateway")

	// Studio may use the NAT for HTTPS out, and nothing comes in from the world.
	internet := 0
	for _, rule := range withNAT.OfType(egressType) {
		if rule.String("cidrIpv4") == "0.0.0.0/0" {
			internet++
			assert.Equal(t, 443.0, rule.Input("fromPort"), rule.URN)
		}
	}
	assert.Equal(t, 2, internet, "one HTTPS egress rule each for the Studio clients and the jobs, none per user")
	for _, rule := range withNAT.OfType(ingressType) {
		assert.NotEqual(t, "0.0.0.0/0", rule.String("cidrIpv4"), rule.URN)
	}

	without := run(t, withoutNAT(t))
	for _, typ := range []string{natType, internetGatewayType, eipType} {
		assert.Empty(t, without.OfType(typ), "%s without natGateway", typ)
	}
	for _, route := range without.OfType(routeType) {
		assert.NotEqual(t, "0.0.0.0/0", route.String("destinationCidrBlock"), route.URN)
	}
	for _, rule := range without.OfType(egressType) {
		assert.NotEqual(t, "0.0.0.0/0", rule.String("cidrIpv4"), rule.URN)
	}
	script, err := base64.StdEncoding.DecodeString(one(t, without, lifecycleType, "consumer-jupyterlab-setup").String("studioLifecycleConfigContent"))
	require.NoError(t, err)
	assert.NotContains(t, string(script), "pip install", "without a package index the script installs nothing")
}

func TestDemoLifecycleConfiguration(t *testing.T) {
	result := run(t, demoConfig(t))
	lifecycle := one(t, result, lifecycleType, "consumer-jupyterlab-setup")
	assert.Equal(t, "JupyterLab", lifecycle.String("studioLifecycleConfigAppType"))
	script, err := base64.StdEncoding.DecodeString(lifecycle.String("studioLifecycleConfigContent"))
	require.NoError(t, err, "SageMaker takes the script base64-encoded")
	assert.Contains(t, string(script), "pip install --quiet --upgrade awswrangler")
	assert.True(t, strings.HasPrefix(string(script), "#!/bin/bash\n"))

	arn := lifecycle.Output("arn")
	for _, profile := range result.OfType(userProfileType) {
		settings := profile.Input("userSettings").(map[string]any)
		lab := settings["jupyterLabAppSettings"].(map[string]any)
		assert.Equal(t, map[string]any{"lifecycleConfigArn": arn, "instanceType": "ml.t3.medium"}, lab["defaultResourceSpec"],
			"each user's default for their JupyterLab spaces: %s", profile.URN)
		assert.Equal(t, []any{arn}, lab["lifecycleConfigArns"], profile.URN)
	}
	assert.Nil(t, one(t, result, domainType, "consumer-domain").Input("defaultUserSettings").(map[string]any)["jupyterLabAppSettings"],
		"never on the domain, which the provider cannot update in place")
}

func TestDemoClusterPosture(t *testing.T) {
	result := run(t, demoConfig(t))
	cluster := one(t, result, clusterType, "warehouse-cluster")
	key := one(t, result, keyType, "warehouse-key")
	group := one(t, result, securityGroupType, "warehouse-cluster")
	subnetGroup := one(t, result, subnetGroupType, "warehouse-subnets")
	parameters := one(t, result, parameterGroupType, "warehouse-parameters")

	assert.Equal(t, "producer", cluster.Provider)
	assert.Equal(t, "analytics", cluster.String("clusterIdentifier"))
	assert.Equal(t, "dev", cluster.String("databaseName"))
	assert.Equal(t, 5439.0, cluster.Input("port"))
	assert.Equal(t, "ra3.xlplus", cluster.String("nodeType"))
	assert.Equal(t, "single-node", cluster.String("clusterType"))
	assert.Equal(t, true, cluster.Input("encrypted"))
	assert.Equal(t, key.Output("arn"), cluster.String("kmsKeyId"), "encrypted with its own customer-managed key")
	assert.Equal(t, true, key.Input("enableKeyRotation"))
	assert.Equal(t, false, cluster.Input("publiclyAccessible"))
	assert.Equal(t, true, cluster.Input("enhancedVpcRouting"))
	assert.Equal(t, true, cluster.Input("manageMasterPassword"), "Secrets Manager keeps the admin password")
	assert.Nil(t, cluster.Input("masterPassword"), "no password in config or state")
	assert.Equal(t, false, cluster.Input("skipFinalSnapshot"))
	assert.Equal(t, "analytics-final", cluster.String("finalSnapshotIdentifier"))
	assert.True(t, cluster.Protect, "the cluster is protected")
	assert.True(t, key.Protect, "its key is protected")

	assert.Equal(t, []any{group.ID}, cluster.Input("vpcSecurityGroupIds"))
	assert.Equal(t, subnetGroup.ID, cluster.String("clusterSubnetGroupName"))
	var producerSubnets []any
	for _, subnet := range inComponent(result, subnetType, "producer-network") {
		producerSubnets = append(producerSubnets, subnet.ID)
	}
	assert.ElementsMatch(t, producerSubnets, subnetGroup.Input("subnetIds"), "the cluster sits in the private subnets")
	assert.Equal(t, parameters.ID, cluster.String("clusterParameterGroupName"))
	assert.ElementsMatch(t, []any{
		map[string]any{"name": "require_ssl", "value": "true"},
		map[string]any{"name": "enable_user_activity_logging", "value": "true"},
	}, parameters.Input("parameters"), "SSL only; the audit log records each query with its user")

	// The consumer's ingress rule lands on the created group.
	ingress := one(t, result, ingressType, "producer-cluster-ingress")
	assert.Equal(t, group.ID, ingress.String("securityGroupId"))
	assert.Equal(t, consumerCIDR, ingress.String("cidrIpv4"))
	assert.Len(t, inComponent(result, ingressType, "producer"), 1, "the cluster group has no other ingress")

	// Enhanced VPC routing sends the cluster's S3 traffic through the VPC,
	// and its group lets exactly that out.
	gateway := inComponent(result, endpointType, "producer-network")
	require.Len(t, gateway, 1)
	assert.Equal(t, "com.amazonaws.us-east-1.s3", gateway[0].String("serviceName"))
	assertClusterEgressOnlyToS3(t, result, group, gateway[0])
	assert.Empty(t, inComponent(result, endpointType, "warehouse"), "the created VPC's endpoint serves the cluster")
}

// assertClusterEgressOnlyToS3 checks the cluster group's one egress rule:
// HTTPS to the S3 prefix list of the given gateway endpoint.
func assertClusterEgressOnlyToS3(t *testing.T, result *offline.Result, group, gateway offline.Resource) {
	t.Helper()
	var egress []offline.Resource
	for _, rule := range result.OfType(egressType) {
		if rule.String("securityGroupId") == group.ID {
			egress = append(egress, rule)
		}
	}
	require.Len(t, egress, 1, "the cluster group lets out only S3")
	assert.Equal(t, "tcp", egress[0].String("ipProtocol"))
	assert.Equal(t, 443.0, egress[0].Input("fromPort"))
	assert.Equal(t, 443.0, egress[0].Input("toPort"))
	require.NotEmpty(t, gateway.Output("prefixListId"))
	assert.Equal(t, gateway.Output("prefixListId"), egress[0].String("prefixListId"))
	assert.Empty(t, egress[0].String("cidrIpv4"))
}

func TestDemoUsesTheCreatedIDs(t *testing.T) {
	result := run(t, demoConfig(t))
	consumerVPC := one(t, result, vpcType, "consumer-network-vpc")
	producerVPC := one(t, result, vpcType, "producer-network-vpc")

	request := one(t, result, peeringType, "peering-request")
	assert.Equal(t, consumerVPC.ID, request.String("vpcId"))
	assert.Equal(t, producerVPC.ID, request.String("peerVpcId"))

	// Peering routes go into the created private route tables, both ways.
	wantTables := map[string]string{}
	for _, side := range []string{"consumer", "producer"} {
		destination := map[string]string{"consumer": producerCIDR, "producer": consumerCIDR}[side]
		for _, zone := range []string{"us-east-1a", "us-east-1b"} {
			wantTables[one(t, result, routeTableType, side+"-network-private-"+zone).ID] = destination
		}
	}
	gotTables := map[string]string{}
	for _, route := range result.OfType(routeType) {
		if route.String("vpcPeeringConnectionId") != "" {
			gotTables[route.String("routeTableId")] = route.String("destinationCidrBlock")
		}
	}
	assert.Equal(t, wantTables, gotTables)

	domain := one(t, result, domainType, "consumer-domain")
	assert.Equal(t, consumerVPC.ID, domain.String("vpcId"))
	var consumerSubnets, consumerTables []any
	for _, zone := range []string{"us-east-1a", "us-east-1b"} {
		consumerSubnets = append(consumerSubnets, one(t, result, subnetType, "consumer-network-private-"+zone).ID)
		consumerTables = append(consumerTables, one(t, result, routeTableType, "consumer-network-private-"+zone).ID)
	}
	assert.Equal(t, consumerSubnets, domain.Input("subnetIds"), "Studio runs in the private subnets, never the public one")
	assert.Equal(t, consumerTables, one(t, result, endpointType, "consumer-endpoint-s3").Input("routeTableIds"))

	// The producer policy names the created cluster by its ARN.
	cluster := one(t, result, clusterType, "warehouse-cluster")
	doc := parsePolicy(t, one(t, result, rolePolicyType, "producer-redshift-access"), "policy")
	assert.Contains(t, statement(t, doc, "GetRedshiftCredentials").Resource, cluster.Output("arn"))
	assert.Equal(t, []string{cluster.Output("arn").(string)}, statement(t, doc, "DataAPIOnCluster").Resource)

	var redshift map[string]any
	text, _ := json.Marshal(result.Outputs["redshift"])
	require.NoError(t, json.Unmarshal(text, &redshift))
	assert.Equal(t, "analytics", redshift["clusterIdentifier"])
}

func TestClusterCreatedInAnExistingVPC(t *testing.T) {
	values := devConfig(t)
	var producer map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:producer"]), &producer))
	redshift := producer["redshift"].(map[string]any)
	redshift["create"] = true
	delete(redshift, "securityGroupId")
	producer["vpc"].(map[string]any)["subnetIds"] = []any{"subnet-0f1e2d3c4b5a69788", "subnet-0e1d2c3b4a5968778"}
	text, err := json.Marshal(producer)
	require.NoError(t, err)
	values["studio-redshift:producer"] = string(text)

	result := run(t, values)
	assert.Equal(t, []any{"subnet-0f1e2d3c4b5a69788", "subnet-0e1d2c3b4a5968778"},
		one(t, result, subnetGroupType, "warehouse-subnets").Input("subnetIds"))
	assert.Equal(t, "vpc-0a1b2c3d4e5f60718", one(t, result, securityGroupType, "warehouse-cluster").String("vpcId"))
	assert.Equal(t, one(t, result, securityGroupType, "warehouse-cluster").ID,
		one(t, result, ingressType, "producer-cluster-ingress").String("securityGroupId"))
	assert.Empty(t, result.OfType(vpcType), "the existing VPCs are used as they are")
	for _, invoke := range result.Invokes() {
		if invoke.Token == "aws:index/getAvailabilityZones:getAvailabilityZones" {
			assert.Equal(t, "consumer", invoke.Provider, "the producer creates no VPC, so it looks up no zones; the consumer's endpoint services do")
		}
	}

	// An S3 gateway endpoint of its own on the configured route tables,
	// since no created VPC brings one.
	gateway := one(t, result, endpointType, "warehouse-s3")
	assert.Equal(t, "producer", gateway.Provider)
	assert.Equal(t, "Gateway", gateway.String("vpcEndpointType"))
	assert.Equal(t, "com.amazonaws.us-east-1.s3", gateway.String("serviceName"))
	assert.Equal(t, "vpc-0a1b2c3d4e5f60718", gateway.String("vpcId"))
	assert.Equal(t, []any{"rtb-0a1b2c3d4e5f60718", "rtb-0b2c3d4e5f6071829"}, gateway.Input("routeTableIds"))
	assertClusterEgressOnlyToS3(t, result, one(t, result, securityGroupType, "warehouse-cluster"), gateway)
}
