package program

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/internal/offline"
)

const (
	endpointAccessType        = "aws:redshift/endpointAccess:EndpointAccess"
	endpointAuthorizationType = "aws:redshift/endpointAuthorization:EndpointAuthorization"
	redshiftSubnetGroupType   = "aws:redshift/subnetGroup:SubnetGroup"
)

// TestConnectionModes runs each mode's example stack and checks what it
// builds in each account, that nothing routes between the VPCs outside
// peering, and that users stay apart and reach Redshift the mode's way.
func TestConnectionModes(t *testing.T) {
	t.Parallel()
	t.Run("dataApi", func(t *testing.T) {
		result := run(t, stackConfig(t, "dataapi"))
		assertNoNetworkPathBetweenTheVPCs(t, result)
		assert.Empty(t, result.OfType(endpointAccessType))
		assert.Empty(t, inAccount(result, "producer", ""), "no network resource in the data account: only IAM")
		producerTypes := map[string]bool{}
		for _, r := range inAccount(result, "producer", "any") {
			producerTypes[r.Type] = true
		}
		assert.Equal(t, map[string]bool{roleType: true, rolePolicyType: true}, producerTypes, "the data account gets the producer role and its policy")

		var services []string
		for _, endpoint := range result.OfType(endpointType) {
			services = append(services, endpoint.String("serviceName"))
		}
		assert.Contains(t, services, "com.amazonaws.us-east-1.redshift-data", "the Data API's endpoint is Studio's way to Redshift")
		assertIsolatedAndReachable(t, result, studioTopology{consumerCIDR: "10.10.0.0/16", port: 5439})

		assert.Equal(t, "dataApi", result.Outputs["connection"])
		assert.Equal(t, "", result.Outputs["peeringConnectionId"])
		snippet := result.Outputs["notebookSnippet"].(string)
		for _, want := range []string{`data_api = session.client("redshift-data")`, "ClusterIdentifier=CLUSTER_IDENTIFIER, Database=DATABASE, DbUser=user"} {
			assert.Contains(t, snippet, want)
		}
		assert.NotContains(t, snippet, "redshift_connector", "no connection to the cluster's port")
		assertPython(t, snippet)
	})

	t.Run("managedEndpoint", func(t *testing.T) {
		result := run(t, stackConfig(t, "endpoint"))
		assertNoNetworkPathBetweenTheVPCs(t, result)

		authorization := one(t, result, endpointAuthorizationType, "managed-endpoint-authorization")
		access := one(t, result, endpointAccessType, "managed-endpoint")
		subnets := one(t, result, redshiftSubnetGroupType, "managed-endpoint-subnets")
		group := one(t, result, securityGroupType, "managed-endpoint")
		consumerVPC := one(t, result, "aws:ec2/vpc:Vpc", "consumer-network-vpc")

		assert.Equal(t, "producer", authorization.Provider, "the data account authorizes")
		assert.Equal(t, consumerAccount, authorization.String("account"))
		assert.Equal(t, "analytics", authorization.String("clusterIdentifier"))
		assert.Equal(t, []any{consumerVPC.ID}, authorization.Input("vpcIds"), "only the Studio VPC, not every VPC of the ML account")

		assert.Equal(t, "consumer", access.Provider, "the ML account owns the endpoint")
		assert.Equal(t, consumer.EndpointName(consumerAccount+"/analytics-endpoint"), access.String("endpointName"))
		assert.Regexp(t, `^[a-z][a-z0-9-]{0,29}$`, access.String("endpointName"), "Redshift's endpoint name pattern")
		assert.Equal(t, producerAccount, access.String("resourceOwner"))
		assert.Equal(t, subnets.Output("name"), access.String("subnetGroupName"))
		assert.Equal(t, []any{group.ID}, access.Input("vpcSecurityGroupIds"))
		assert.Contains(t, access.Dependencies, authorization.URN, "the endpoint waits for its authorization")
		assert.Equal(t, "consumer", subnets.Provider)
		assert.Equal(t, stringsOf(one(t, result, domainType, "consumer-domain").Input("subnetIds")), stringsOf(subnets.Input("subnetIds")),
			"on Studio's private subnets")

		cluster := one(t, result, clusterType, "warehouse-cluster")
		assert.Equal(t, true, cluster.Input("availabilityZoneRelocationEnabled"), "managed endpoints need relocation on")
		assert.True(t, strings.HasPrefix(cluster.String("nodeType"), "ra3."), "managed endpoints need RA3")

		assertIsolatedAndReachable(t, result, studioTopology{consumerCIDR: "10.0.0.0/16", port: 5439, managedEndpointGroup: group.ID})
		for _, r := range rulesOf(securityGroupRules(result), group.ID, false) {
			assert.Equal(t, [2]int{5439, 5439}, [2]int{r.from, r.to}, "the endpoint admits the cluster port only: %s", r.urn)
		}

		assert.Equal(t, "managedEndpoint", result.Outputs["connection"])
		assert.Equal(t, access.Output("address"), result.Outputs["redshiftEndpointAddress"])
		snippet := result.Outputs["notebookSnippet"].(string)
		assert.Contains(t, snippet, `endpoint = {"Address": "`+access.Output("address").(string)+`", "Port": 5439}`)
		assert.Contains(t, snippet, "ClusterIdentifier=CLUSTER_IDENTIFIER", "the cluster is named explicitly, not taken from the host name")
		assert.NotContains(t, snippet, "describe_clusters")
		assertPython(t, snippet)
	})

	t.Run("managedEndpoint in one account needs no authorization", func(t *testing.T) {
		values := withConsumer(t, stackConfig(t, "endpoint"), func(c map[string]any) { c["accountId"] = producerAccount })
		result := run(t, values)
		assert.Empty(t, result.OfType(endpointAuthorizationType))
		assert.Nil(t, one(t, result, endpointAccessType, "managed-endpoint").Input("resourceOwner"))
	})
}

// inAccount lists a provider's AWS resources; kind "" keeps the network
// ones (EC2 and VPC types), "any" keeps all.
func inAccount(result *offline.Result, provider, kind string) []offline.Resource {
	var out []offline.Resource
	for _, r := range result.Resources() {
		if !r.InAWS() || r.Provider != provider {
			continue
		}
		if kind == "any" || strings.HasPrefix(r.Type, "aws:ec2/") || strings.HasPrefix(r.Type, "aws:vpc/") {
			out = append(out, r)
		}
	}
	return out
}

func assertNoNetworkPathBetweenTheVPCs(t *testing.T, result *offline.Result) {
	t.Helper()
	for _, typ := range []string{peeringType, accepterType, optionsType} {
		assert.Empty(t, result.OfType(typ), "no %s outside peering mode", typ)
	}
	for _, route := range result.OfType(routeType) {
		assert.NotEmpty(t, route.String("natGatewayId")+route.String("gatewayId"), "only internet routes, none between the VPCs: %s", route.URN)
	}
	for _, r := range securityGroupRules(result) {
		if r.cidr != "" && r.cidr != "0.0.0.0/0" {
			t.Errorf("%s opens an address range; outside peering no rule names the other VPC", r.urn)
		}
	}
}

// TestNoUserBecomesAnotherThroughTheDataAPI evaluates the producer role's
// parsed policy for the requests the Data API makes on a user's behalf:
// ExecuteStatement on the cluster, and the credentials it fetches for the
// DbUser the statement names.
func TestNoUserBecomesAnotherThroughTheDataAPI(t *testing.T) {
	result := run(t, stackConfig(t, "dataapi"))
	permissions := parsePolicy(t, one(t, result, rolePolicyType, "producer-redshift-access"), "policy")
	const cluster = "arn:aws:redshift:us-east-1:" + producerAccount + ":"

	execute := request{action: "redshift-data:ExecuteStatement", resource: cluster + "cluster:analytics"}
	assert.True(t, allows(permissions, execute), "statements on the configured cluster")
	execute.resource = cluster + "cluster:other"
	assert.False(t, allows(permissions, execute), "no other cluster")

	credentials := func(sourceIdentity, dbUser, dbName string) bool {
		return allows(permissions, request{
			action: "redshift:GetClusterCredentials", resource: cluster + "dbuser:analytics/" + dbUser,
			context: map[string]string{"aws:SourceIdentity": sourceIdentity, "redshift:DbUser": dbUser, "redshift:DbName": dbName},
		})
	}
	assert.True(t, credentials("bob", "bob", "dev"), "bob runs statements as bob")
	assert.False(t, credentials("bob", "alice", "dev"), "bob's statement as DbUser alice is refused")
	assert.False(t, credentials("bob", "bob", "payroll"), "and only in the configured database")
}

func TestConnectionValidation(t *testing.T) {
	tests := []struct {
		name   string
		stack  string
		change func(map[string]string)
		key    string
	}{
		{"unknown mode", "dev", func(v map[string]string) { v["studio-redshift:connection"] = "transitGateway" }, "connection"},
		{"overlapping CIDRs with peering", "dataapi", func(v map[string]string) { delete(v, "studio-redshift:connection") }, "consumer.vpc.cidr"},
		{"managed endpoint port out of range", "endpoint", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], `"port":5439`, `"port":5500`, 1)
		}, "producer.redshift.port"},
		{"created cluster on a port RA3 refuses, with peering", "demo", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], `"create":true`, `"create":true,"port":5500`, 1)
		}, "producer.redshift.port"},
		{"managed endpoint with a DC2 cluster", "endpoint", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], `"ra3.xlplus"`, `"dc2.large"`, 1)
		}, "producer.redshift.nodeType"},
		{"Data API with database groups", "dataapi", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], `"database":"dev"`, `"database":"dev","dbGroups":["analysts"]`, 1)
		}, "producer.redshift.dbGroups[0]"},
		{"Data API with the cluster's security group", "dataapi", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], `"database":"dev"`, `"database":"dev","securityGroupId":"sg-0a1b2c3d4e5f60718"`, 1)
		}, "producer.redshift.securityGroupId"},
		{"Data API with producer route tables", "dataapi", func(v map[string]string) {
			v["studio-redshift:producer"] = strings.Replace(v["studio-redshift:producer"], `"cidr":"10.10.0.0/16"`, `"cidr":"10.10.0.0/16","routeTableIds":["rtb-0a1b2c3d4e5f60718"]`, 1)
		}, "producer.vpc.routeTableIds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := stackConfig(t, tt.stack)
			tt.change(values)
			result, err := offline.Run(Run, config.Project, "dev", values)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.key+":")
			assert.Empty(t, result.Resources(), "nothing is registered")
		})
	}
}

// TestTheEndpointWaitsForTheCreatedCluster: AuthorizeEndpointAccess and
// CreateEndpointAccess fail for a cluster that does not exist yet, and the
// provider tries each once. On the first up of a stack that creates the
// cluster, both must take the cluster's own identifier output, which the
// engine records as a dependency on the cluster; with an existing cluster
// nothing is waited for.
func TestTheEndpointWaitsForTheCreatedCluster(t *testing.T) {
	t.Run("both accounts, first up with a created cluster", func(t *testing.T) {
		result := run(t, stackConfig(t, "endpoint"))
		cluster := one(t, result, clusterType, "warehouse-cluster")
		authorization := one(t, result, endpointAuthorizationType, "managed-endpoint-authorization")
		access := one(t, result, endpointAccessType, "managed-endpoint")
		for _, r := range []offline.Resource{authorization, access} {
			assert.Contains(t, r.Dependencies, cluster.URN, "%s waits for the cluster", r.URN)
			assert.Equal(t, cluster.Output("clusterIdentifier"), r.String("clusterIdentifier"), "%s names the created cluster", r.URN)
		}
	})

	t.Run("the next up, a user added, leaves the authorization and the endpoint as they are", func(t *testing.T) {
		first := run(t, stackConfig(t, "endpoint"))
		next := run(t, withUsers(t, stackConfig(t, "endpoint"), []any{"alice", "bob", "carol"}))
		assert.Len(t, next.OfType(userProfileType), len(first.OfType(userProfileType))+1, "what changed: one profile more")
		for _, r := range []struct{ typ, name string }{
			{endpointAuthorizationType, "managed-endpoint-authorization"},
			{endpointAccessType, "managed-endpoint"},
			{clusterType, "warehouse-cluster"},
		} {
			assert.Equal(t, one(t, first, r.typ, r.name).Inputs, one(t, next, r.typ, r.name).Inputs,
				"%s: the identifier output resolves to the same name, so nothing is replaced", r.name)
		}
	})

	t.Run("producer side serving consumers by values, first up with a created cluster", func(t *testing.T) {
		values := stackConfig(t, "data-platform")
		values["studio-redshift:connection"] = config.ConnectionManagedEndpoint
		values["studio-redshift:producer"] = `{"accountId":"111111111111","vpc":{"cidr":"10.20.0.0/16"},"redshift":{"create":true,"clusterIdentifier":"analytics","database":"dev"}}`
		values["studio-redshift:consumers"] = `[{"name":"research","accountId":"333333333333","executionRoleArn":"arn:aws:iam::333333333333:role/research","vpc":{"id":"vpc-0d4e5f60718293a4b"}}]`
		result := runStack(t, "data-platform", values, nil)
		cluster := one(t, result, clusterType, "warehouse-cluster")
		authorization := one(t, result, endpointAuthorizationType, "endpoint-333333333333-authorization")
		assert.Contains(t, authorization.Dependencies, cluster.URN, "the authorization waits for the cluster")
		assert.Equal(t, "analytics", authorization.String("clusterIdentifier"))
	})

	t.Run("an existing cluster is named as configured", func(t *testing.T) {
		values := stackConfig(t, "endpoint")
		values["studio-redshift:producer"] = `{"accountId":"111111111111","redshift":{"clusterIdentifier":"analytics","database":"dev","port":5439}}`
		result := run(t, values)
		assert.Empty(t, result.OfType(clusterType))
		authorization := one(t, result, endpointAuthorizationType, "managed-endpoint-authorization")
		assert.Equal(t, "analytics", authorization.String("clusterIdentifier"))
		for _, dependency := range authorization.Dependencies {
			assert.NotContains(t, dependency, clusterType, "no cluster to wait for")
		}
		assert.Contains(t, one(t, result, endpointAccessType, "managed-endpoint").Dependencies, authorization.URN,
			"the endpoint still waits for its authorization")
	})
}
