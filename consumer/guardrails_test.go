package consumer

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// The network and roles the guardrails are given, as program/ hands them over
// from the Consumer and the Feature Store.
const (
	guardedRoleName     = "consumer-execution-role-675e1f5"
	guardedRoleArn      = "arn:aws:iam::222222222222:role/consumer-execution-role-675e1f5"
	offlineStoreRoleArn = "arn:aws:iam::222222222222:role/feature-store-offline-store-role-1c2d3e4"
	guardedSubnetA      = "subnet-0a1b2c3d4e5f60711"
	guardedSubnetB      = "subnet-0a1b2c3d4e5f60722"
	clientsGroupID      = "sg-0123456789abcdef0"
	jobsGroupID         = "sg-0fedcba9876543210"
	sageMakerAPIID      = "vpce-0a1b2c3d4e5f60718"
	sageMakerRuntimeID  = "vpce-0a1b2c3d4e5f60729"
)

func guardrailsFixture(switches GuardrailSwitches, off bool) *GuardrailsArgs {
	return &GuardrailsArgs{
		ExecutionRoleName:    pulumi.String(guardedRoleName),
		PassableRoleArns:     pulumi.StringArray{pulumi.String(guardedRoleArn), pulumi.String(offlineStoreRoleArn)},
		SubnetIDs:            pulumi.StringArray{pulumi.String(guardedSubnetA), pulumi.String(guardedSubnetB)},
		SecurityGroupIDs:     pulumi.StringArray{pulumi.String(clientsGroupID), pulumi.String(jobsGroupID)},
		SageMakerEndpointIDs: pulumi.StringArray{pulumi.String(sageMakerAPIID), pulumi.String(sageMakerRuntimeID)},
		Switches:             switches,
		Off:                  off,
	}
}

func runGuardrails(t *testing.T, args *GuardrailsArgs) *offline.Result {
	t.Helper()
	result, err := offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		guard, err := NewGuardrails(ctx, "guardrails", args, pulumi.Provider(providers[0]))
		if err != nil {
			return err
		}
		ctx.Export("policyArn", guard.PolicyArn)
		return nil
	}, testRegion, consumerAccount)
	require.NoError(t, err)
	return result
}

// TestGuardrails: one row per switch setting, asserting which statements the
// managed policy has and that the VPC endpoint deny is there in every row,
// Off included.
func TestGuardrails(t *testing.T) {
	always := []string{
		"DenyDirectInternetAccess", "DenySubnetsOutsideTheStudioVpc", "DenyResourcesWithoutAVpc",
		"DenyOtherSecurityGroups", "DenyPassingOtherRolesToSageMaker",
	}
	for _, tc := range []struct {
		name     string
		switches GuardrailSwitches
		off      bool
		extra    []string
	}{
		{name: "off", off: true},
		{name: "defaults"},
		{name: "network isolation", switches: GuardrailSwitches{RequireNetworkIsolation: true}, extra: []string{"DenyWithoutNetworkIsolation"}},
		{name: "source VPC endpoint", switches: GuardrailSwitches{RequireSourceVpce: true}, extra: []string{"DenyOutsideTheSageMakerEndpoints"}},
		{name: "both", switches: GuardrailSwitches{RequireNetworkIsolation: true, RequireSourceVpce: true},
			extra: []string{"DenyWithoutNetworkIsolation", "DenyOutsideTheSageMakerEndpoints"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			result := runGuardrails(t, guardrailsFixture(tc.switches, tc.off))
			for _, r := range result.Resources() {
				if r.InAWS() {
					assert.Equal(t, consumerAccount, r.Account, "%s %s", r.Type, r.Name)
					assert.Equal(t, "studioredshift:index:Guardrails", parentType(t, result, r), "%s is the component's child", r.Name)
				}
			}

			// Whatever the switches, the execution role may not open a way
			// out of the VPC.
			inline := result.OfType(rolePolicyType)
			require.Len(t, inline, 1)
			endpointDeny := inline[0]
			assert.Equal(t, "guardrails-no-vpc-endpoints", endpointDeny.Name)
			assert.Equal(t, guardedRoleName, endpointDeny.String("role"))
			d := document(t, endpointDeny.String("policy"))
			require.Len(t, d.Statement, 1)
			deny := d.Statement[0]
			assert.Equal(t, policy.Deny, deny.Effect)
			assert.ElementsMatch(t, []string{"ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:CreateVpcEndpointServiceConfiguration"}, deny.Action)
			assert.Equal(t, []string{"*"}, deny.Resource)
			assert.Empty(t, deny.Condition, "a deny without condition holds for every request")

			managed, hasManaged := result.Named(managedPolicyType, "guardrails-policy")
			attachment, hasAttachment := result.Named(attachmentType, "guardrails-execution-role")
			assert.Equal(t, !tc.off, hasManaged)
			assert.Equal(t, !tc.off, hasAttachment)
			if tc.off {
				assert.Empty(t, result.OfType(managedPolicyType))
				assert.Equal(t, "", result.Outputs["policyArn"], "Off exports an empty ARN")
				return
			}
			assert.Equal(t, guardedRoleName, attachment.String("role"))
			assert.Equal(t, managed.Output("arn"), attachment.String("policyArn"))
			assert.Equal(t, managed.Output("arn"), result.Outputs["policyArn"])

			guard := document(t, managed.String("policy"))
			assert.ElementsMatch(t, append(append([]string{}, always...), tc.extra...), sids(guard))
			for _, s := range guard.Statement {
				assert.Equal(t, policy.Deny, s.Effect, "%s: the guardrails only deny", s.Sid)
			}
			subnets := statement(t, guard, "DenySubnetsOutsideTheStudioVpc")
			assert.Equal(t, []string{guardedSubnetA, guardedSubnetB}, subnets.Condition["ForAnyValue:StringNotEquals"]["sagemaker:VpcSubnets"])
			assert.Equal(t, []string{"false"}, subnets.Condition["Null"]["sagemaker:VpcSubnets"], "requests without a VPC are the next statement's")
			groups := statement(t, guard, "DenyOtherSecurityGroups")
			assert.Equal(t, []string{clientsGroupID, jobsGroupID}, groups.Condition["ForAnyValue:StringNotEquals"]["sagemaker:VpcSecurityGroupIds"])
			passRole := statement(t, guard, "DenyPassingOtherRolesToSageMaker")
			assert.Equal(t, []string{"iam:PassRole"}, passRole.Action)
			assert.Equal(t, []string{guardedRoleArn, offlineStoreRoleArn}, passRole.NotResource)
			assert.Equal(t, []string{"sagemaker.amazonaws.com"}, passRole.Condition["StringEquals"]["iam:PassedToService"])
			noVpc := statement(t, guard, "DenyResourcesWithoutAVpc")
			assert.Contains(t, noVpc.Action, "sagemaker:CreateTrainingJob")
			assert.NotContains(t, noVpc.Action, "sagemaker:CreateTransformJob", "its requests never carry a VPC: it would be denied always")

			if tc.switches.RequireSourceVpce {
				vpce := statement(t, guard, "DenyOutsideTheSageMakerEndpoints")
				assert.Equal(t, []string{sageMakerAPIID, sageMakerRuntimeID}, vpce.Condition["StringNotEquals"]["aws:SourceVpce"])
				assert.Equal(t, []string{"false"}, vpce.Condition["Bool"]["aws:ViaAWSService"], "calls SageMaker makes on the caller's behalf pass")
				assert.NotContains(t, vpce.Condition, "Null", "a call through no endpoint is denied too")
			}
			if tc.switches.RequireNetworkIsolation {
				isolation := statement(t, guard, "DenyWithoutNetworkIsolation")
				assert.Equal(t, []string{"false"}, isolation.Condition["Bool"]["sagemaker:NetworkIsolation"])
			}
		})
	}
}
