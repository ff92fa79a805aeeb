// The EndpointAuthorization component is a producer-side stack's half of a
// Redshift-managed VPC endpoint: the data account lets a consumer account's
// VPCs have an endpoint of the cluster. The endpoint itself, and the whole of
// it in a stack of both sides, is the consumer's ManagedEndpoint.

package producer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/redshift"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AuthorizeEndpointAccess lets the consumer account's VPCs have an endpoint of the
// cluster: only those VPCs, not every VPC of the account. AWS takes one
// authorization per account and cluster (EndpointAuthorizationAlreadyExists),
// so all of an account's VPCs are in it.
//
// AuthorizeEndpointAccess fails for a cluster that does not exist yet, and
// the provider calls it once, without retry
// (internal/service/redshift/endpoint_authorization.go): clusterID must be
// the created cluster's output, which orders the authorization after it.
func AuthorizeEndpointAccess(ctx *pulumi.Context, name, account string, clusterID pulumi.StringInput, vpcIDs pulumi.StringArrayInput, opts ...pulumi.ResourceOption) (*redshift.EndpointAuthorization, error) {
	authorization, err := redshift.NewEndpointAuthorization(ctx, name+"-authorization", &redshift.EndpointAuthorizationArgs{
		Account:           pulumi.String(account),
		ClusterIdentifier: clusterID,
		VpcIds:            vpcIDs,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("endpoint authorization: %w", err)
	}
	return authorization, nil
}

// EndpointAuthorization is a producer-side stack's authorization of one consumer
// account's managed endpoints.
type EndpointAuthorization struct {
	pulumi.ResourceState

	// Authorized is true once AWS reports the authorization: the provider
	// reads it back with DescribeEndpointAuthorization after creating it,
	// and its grantee is then the consumer account. pulumi-aws 6.83.2's
	// EndpointAuthorization has no status output (account, grantee, grantor,
	// vpcIds, allowedAllVpcs and endpointCount only).
	Authorized pulumi.BoolOutput `pulumi:"authorized"`
}

// EndpointAuthorizationArgs are the inputs of NewEndpointAuthorization. Create it with the
// producer account's provider (pulumi.Provider).
type EndpointAuthorizationArgs struct {
	// ConsumerAccountID's VPCs ConsumerVpcIDs may have an endpoint of the
	// cluster ClusterIdentifier: the created cluster's output, so that the
	// authorization waits for it, or an existing cluster's identifier.
	// Required.
	ConsumerAccountID string
	ClusterIdentifier pulumi.StringInput
	ConsumerVpcIDs    []string
}

// NewEndpointAuthorization registers the authorization of one consumer account.
func NewEndpointAuthorization(ctx *pulumi.Context, name string, args *EndpointAuthorizationArgs, opts ...pulumi.ResourceOption) (*EndpointAuthorization, error) {
	comp := &EndpointAuthorization{}
	if err := ctx.RegisterComponentResource("studioredshift:index:EndpointAuthorization", name, comp, opts...); err != nil {
		return nil, err
	}
	authorization, err := AuthorizeEndpointAccess(ctx, name, args.ConsumerAccountID, args.ClusterIdentifier, pulumi.ToStringArray(args.ConsumerVpcIDs), pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	comp.Authorized = pulumi.All(authorization.ID(), authorization.Grantee).ApplyT(func(values []any) bool {
		id, _ := values[0].(pulumi.ID)
		grantee, _ := values[1].(string)
		return id != "" && grantee == args.ConsumerAccountID
	}).(pulumi.BoolOutput)
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{"authorized": comp.Authorized})
}
