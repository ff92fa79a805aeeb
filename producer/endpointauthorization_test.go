package producer

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshift"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/offline"
)

// TestEndpointAuthorization: a producer stack's authorization of one
// consumer account lists that account's VPCs on the created cluster, in the
// producer account, and Authorized reports what AWS read back.
func TestEndpointAuthorization(t *testing.T) {
	const authorizationType = "aws:redshift/endpointAuthorization:EndpointAuthorization"
	vpcs := []string{"vpc-0c1d2e3f4a5b6c7d8", "vpc-0d2e3f4a5b6c7d8e9"}
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		// The created cluster, whose identifier output the program passes.
		cluster, err := redshift.NewCluster(ctx, "cluster", &redshift.ClusterArgs{
			ClusterIdentifier: pulumi.String("analytics"),
			NodeType:          pulumi.String("ra3.xlplus"),
			NumberOfNodes:     pulumi.Int(2),
			MasterUsername:    pulumi.String("admin"),
		}, pulumi.Provider(providers[0]))
		if err != nil {
			return err
		}
		authorization, err := NewEndpointAuthorization(ctx, "endpoint-"+consumerAccount, &EndpointAuthorizationArgs{
			ConsumerAccountID: consumerAccount,
			ClusterIdentifier: cluster.ClusterIdentifier,
			ConsumerVpcIDs:    vpcs,
		}, pulumi.Provider(providers[0]))
		if err != nil {
			return err
		}
		ctx.Export("authorized", authorization.Authorized)
		return nil
	}, testRegion, producerAccount)
	require.NoError(t, err)
	cluster := one(t, result, "aws:redshift/cluster:Cluster", "cluster")

	var inAWS []string
	for _, r := range result.Resources() {
		if r.InAWS() && r.URN != cluster.URN {
			inAWS = append(inAWS, r.Type)
		}
	}
	assert.Equal(t, []string{authorizationType}, inAWS, "the authorization alone")
	authorization := one(t, result, authorizationType, "endpoint-"+consumerAccount+"-authorization")
	childOf(t, result, authorization, "studioredshift:index:EndpointAuthorization", producerAccount)
	assert.Equal(t, consumerAccount, authorization.String("account"))
	assert.Equal(t, "analytics", authorization.String("clusterIdentifier"))
	assert.Equal(t, []any{vpcs[0], vpcs[1]}, authorization.Input("vpcIds"), "the account's endpoint VPCs, in one authorization")
	assert.Contains(t, authorization.Dependencies, cluster.URN, "the authorization waits for the cluster")

	assert.Equal(t, true, result.Outputs["authorized"])
}
