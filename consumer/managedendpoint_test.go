package consumer

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshift"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/offline"
)

const (
	clusterName   = "analytics"
	clusterPort   = 5439
	consumerVpc   = "vpc-0c1d2e3f4a5b6c7d8"
	studioClients = "sg-0a1b2c3d4e5f60718"
	jobs          = "sg-0b2c3d4e5f6071829"
	endpointKey   = consumerAccount + "/studio-team-a"

	authorizationType = "aws:redshift/endpointAuthorization:EndpointAuthorization"
	endpointType      = "aws:redshift/endpointAccess:EndpointAccess"
	subnetGroupType   = "aws:redshift/subnetGroup:SubnetGroup"
	ingressType       = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	egressType        = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	clusterType       = "aws:redshift/cluster:Cluster"
)

var subnets = []string{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"}

// newCluster registers the cluster the program would create, so that the
// component's ClusterID is its output, as the program passes it.
func newCluster(ctx *pulumi.Context, provider pulumi.ProviderResource) (*redshift.Cluster, error) {
	return redshift.NewCluster(ctx, "cluster", &redshift.ClusterArgs{
		ClusterIdentifier: pulumi.String(clusterName),
		NodeType:          pulumi.String("ra3.xlplus"),
		NumberOfNodes:     pulumi.Int(2),
		Port:              pulumi.Int(clusterPort),
		MasterUsername:    pulumi.String("admin"),
	}, pulumi.Provider(provider))
}

// inAWS returns the resources AWS would hold, other than the test's cluster,
// by type.
func inAWS(result *offline.Result) map[string][]offline.Resource {
	byType := map[string][]offline.Resource{}
	for _, r := range result.Resources() {
		if r.InAWS() && r.Type != clusterType {
			byType[r.Type] = append(byType[r.Type], r)
		}
	}
	return byType
}

func requireChildOf(t *testing.T, result *offline.Result, r offline.Resource, typ string) {
	t.Helper()
	parent, ok := result.ByURN(r.Parent)
	require.True(t, ok, "%s has a registered parent", r.Name)
	assert.Equal(t, typ, parent.Type, "%s is a child of the component", r.Name)
}

// TestManagedEndpoint: the producer account authorizes the consumer
// account's VPC on the cluster; the consumer account creates the endpoint on
// Studio's subnets behind a group that admits the cluster port from the
// client groups alone. The endpoint waits for the authorization and both for
// the cluster. In one account, or where the producer stack authorizes, the
// component authorizes nothing.
func TestManagedEndpoint(t *testing.T) {
	tests := []struct {
		name string
		// accounts are the providers' accounts, consumer first.
		accounts []string
		// producerProvider is whether the component gets the producer's.
		producerProvider bool
		// authorizes is whether it registers the authorization;
		// resourceOwner is the endpoint's, empty in one account.
		authorizes    bool
		resourceOwner string
	}{
		{"two accounts", []string{consumerAccount, producerAccount}, true, true, producerAccount},
		{"one account: AWS authorizes only other accounts", []string{producerAccount}, true, false, ""},
		{"consumer stack: the producer stack authorizes", []string{consumerAccount, producerAccount}, false, false, producerAccount},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			consumer := test.accounts[0]
			result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
				producer := providers[len(providers)-1]
				cluster, err := newCluster(ctx, producer)
				if err != nil {
					return err
				}
				args := &ManagedEndpointArgs{
					ConsumerProvider:  providers[0].(*aws.Provider),
					ProducerAccountID: test.accounts[len(test.accounts)-1],
					ConsumerAccountID: consumer,
					ClusterIdentifier: clusterName,
					Port:              clusterPort,
					ClusterID:         cluster.ClusterIdentifier,
					EndpointKey:       endpointKey,
					ConsumerVpcID:     pulumi.String(consumerVpc),
					SubnetIDs:         pulumi.ToStringArray(subnets),
					Clients: []EndpointClient{
						{Name: "studio-clients", ID: pulumi.String(studioClients)},
						{Name: "jobs", ID: pulumi.String(jobs)},
					},
				}
				if test.producerProvider {
					args.ProducerProvider = producer.(*aws.Provider)
				}
				endpoint, err := NewManagedEndpoint(ctx, "managed-endpoint", args)
				if err != nil {
					return err
				}
				ctx.Export("address", endpoint.Address)
				ctx.Export("port", endpoint.Port)
				ctx.Export("securityGroupId", endpoint.SecurityGroupID)
				return nil
			}, "us-east-1", test.accounts...)
			require.NoError(t, err)
			cluster, ok := result.Named(clusterType, "cluster")
			require.True(t, ok)

			byType := inAWS(result)
			authorizations := 0
			if test.authorizes {
				authorizations = 1
			}
			// A subnet group, a security group, a rule each way per client
			// group and the endpoint: whatever the number of users.
			assert.Len(t, byType, 5+authorizations, "nothing of other types")
			for typ, count := range map[string]int{
				authorizationType: authorizations, subnetGroupType: 1, securityGroupType: 1, ingressType: 2, egressType: 2, endpointType: 1,
			} {
				assert.Len(t, byType[typ], count, typ)
			}

			var authorization offline.Resource
			if test.authorizes {
				authorization = byType[authorizationType][0]
				assert.Equal(t, "managed-endpoint-authorization", authorization.Name)
				assert.Equal(t, producerAccount, authorization.Account, "the cluster's owner authorizes")
				assert.Equal(t, consumerAccount, authorization.String("account"))
				assert.Equal(t, clusterName, authorization.String("clusterIdentifier"))
				assert.Equal(t, []any{consumerVpc}, authorization.Input("vpcIds"), "the consumer VPC, not every VPC of the account")
				assert.Contains(t, authorization.Dependencies, cluster.URN,
					"AuthorizeEndpointAccess fails for a cluster not yet created, and the provider does not retry it")
				requireChildOf(t, result, authorization, "studioredshift:index:ManagedEndpoint")
			}

			subnetGroup := byType[subnetGroupType][0]
			assert.Equal(t, "managed-endpoint-subnets", subnetGroup.Name)
			assert.Equal(t, consumer, subnetGroup.Account)
			assert.Equal(t, []any{subnets[0], subnets[1]}, subnetGroup.Input("subnetIds"))
			requireChildOf(t, result, subnetGroup, "studioredshift:index:ManagedEndpoint")

			group := byType[securityGroupType][0]
			assert.Equal(t, "managed-endpoint", group.Name)
			assert.Equal(t, consumer, group.Account)
			assert.Equal(t, consumerVpc, group.String("vpcId"))
			assert.Equal(t, true, group.Input("revokeRulesOnDelete"))
			assert.Nil(t, group.Input("ingress"), "rules are resources of their own")
			assert.Nil(t, group.Input("egress"))
			requireChildOf(t, result, group, "studioredshift:index:ManagedEndpoint")

			for _, client := range []struct{ name, id string }{{"studio-clients", studioClients}, {"jobs", jobs}} {
				ingress, ok := result.Named(ingressType, "managed-endpoint-in-from-"+client.name)
				require.True(t, ok, client.name)
				assert.Equal(t, consumer, ingress.Account)
				assert.Equal(t, group.ID, ingress.String("securityGroupId"))
				assert.Equal(t, client.id, ingress.String("referencedSecurityGroupId"), "from the client group alone")
				assert.Nil(t, ingress.Input("cidrIpv4"), "no address range")
				assert.Equal(t, "tcp", ingress.String("ipProtocol"))
				assert.Equal(t, float64(clusterPort), ingress.Input("fromPort"))
				assert.Equal(t, float64(clusterPort), ingress.Input("toPort"))
				requireChildOf(t, result, ingress, "studioredshift:index:ManagedEndpoint")

				egress, ok := result.Named(egressType, "managed-endpoint-out-of-"+client.name)
				require.True(t, ok, client.name)
				assert.Equal(t, consumer, egress.Account)
				assert.Equal(t, client.id, egress.String("securityGroupId"))
				assert.Equal(t, group.ID, egress.String("referencedSecurityGroupId"), "to the endpoint alone")
				assert.Nil(t, egress.Input("cidrIpv4"))
				assert.Equal(t, "tcp", egress.String("ipProtocol"))
				assert.Equal(t, float64(clusterPort), egress.Input("fromPort"))
				assert.Equal(t, float64(clusterPort), egress.Input("toPort"))
			}

			endpoint := byType[endpointType][0]
			assert.Equal(t, "managed-endpoint", endpoint.Name)
			assert.Equal(t, consumer, endpoint.Account, "the endpoint is the consumer account's")
			assert.Equal(t, EndpointName(endpointKey), endpoint.String("endpointName"))
			assert.Equal(t, clusterName, endpoint.String("clusterIdentifier"))
			assert.Equal(t, test.resourceOwner, endpoint.String("resourceOwner"))
			assert.Equal(t, subnetGroup.ID, endpoint.String("subnetGroupName"))
			assert.Equal(t, []any{group.ID}, endpoint.Input("vpcSecurityGroupIds"))
			assert.Contains(t, endpoint.Dependencies, cluster.URN, "the endpoint waits for the cluster")
			if test.authorizes {
				assert.Contains(t, endpoint.Dependencies, authorization.URN,
					"CreateEndpointAccess fails for an account not yet authorized, and no input says so")
			}
			requireChildOf(t, result, endpoint, "studioredshift:index:ManagedEndpoint")

			assert.Equal(t, endpoint.Output("address"), result.Outputs["address"])
			assert.Equal(t, float64(clusterPort), result.Outputs["port"])
			assert.Equal(t, group.ID, result.Outputs["securityGroupId"])
		})
	}
}

// TestEndpointName: Redshift takes 1-30 characters, lower-case letters,
// digits and hyphens, starting with a letter, without two hyphens in a row
// or one at the end (CreateEndpointAccess, EndpointName). The name is fixed
// once created, so it is a function of the key alone.
func TestEndpointName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z][a-z0-9-]{0,29}$`)
	keys := []string{
		"",
		consumerAccount + "/studio-team-a",
		consumerAccount + "/studio-team-b",
		"333333333333/studio-team-a",
		strings.Repeat("a-very-long-domain-name/", 20),
		"UPPER_CASE and spaces/ünïcode",
	}
	seen := map[string]string{}
	for _, key := range keys {
		name := EndpointName(key)
		assert.Regexp(t, valid, name, "key %q", key)
		assert.LessOrEqual(t, len(name), 30, "key %q", key)
		assert.NotContains(t, name, "--", "key %q", key)
		assert.False(t, strings.HasSuffix(name, "-"), "key %q", key)
		assert.Equal(t, name, EndpointName(key), "stable for key %q", key)
		if other, ok := seen[name]; ok {
			t.Errorf("keys %q and %q share the endpoint name %s", other, key, name)
		}
		seen[name] = key
	}
}
