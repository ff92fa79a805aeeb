// The Guardrails component keeps Studio users inside the closed network: a managed
// policy of explicit denies, attached to the execution role, that refuses
// SageMaker resources outside the VPC's subnets and security groups, direct
// internet access, and passing any other role to SageMaker; and, whether the
// guardrails are switched on or not, an inline deny of making or changing VPC
// endpoints. Explicit denies win over the broad allows of
// AmazonSageMakerFullAccess.

package consumer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// Guardrails is the guardrail policy and its attachment.
type Guardrails struct {
	pulumi.ResourceState

	// PolicyArn is the managed policy, for other roles of the account to
	// attach; empty when Off.
	PolicyArn pulumi.StringOutput `pulumi:"policyArn"`
}

// GuardrailsArgs are the inputs of NewGuardrails. Create it with the consumer
// account's provider (pulumi.Provider).
type GuardrailsArgs struct {
	// ExecutionRoleName gets the policy attached. Required.
	ExecutionRoleName pulumi.StringInput
	// PassableRoleArns are the only roles that may be passed to SageMaker.
	// Required: the execution role at least.
	PassableRoleArns pulumi.StringArrayInput
	// SubnetIDs and SecurityGroupIDs are the only ones SageMaker resources
	// may use. Required.
	SubnetIDs        pulumi.StringArrayInput
	SecurityGroupIDs pulumi.StringArrayInput
	// SageMakerEndpointIDs are the VPC's SageMaker API endpoints; used when
	// RequireSourceVpce is set.
	SageMakerEndpointIDs pulumi.StringArrayInput
	// Switches turns the opt-in statements on.
	Switches GuardrailSwitches
	// Off leaves out the managed guardrail policy (consumer.guardrails.enabled
	// false). The VPC endpoint deny stays: it keeps the closed network
	// closed against the users themselves, which no switch may undo.
	Off bool
}

// GuardrailSwitches are the statements that break common workflows, so are opt-in.
type GuardrailSwitches struct {
	RequireNetworkIsolation bool
	RequireSourceVpce       bool
}

// NewGuardrails registers the policy and attaches it to the execution role.
func NewGuardrails(ctx *pulumi.Context, name string, args *GuardrailsArgs, opts ...pulumi.ResourceOption) (*Guardrails, error) {
	comp := &Guardrails{}
	if err := ctx.RegisterComponentResource("studioredshift:index:Guardrails", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	endpointDeny, err := NoVpcEndpointsPolicy().JSON()
	if err != nil {
		return nil, fmt.Errorf("VPC endpoint deny: %w", err)
	}
	// Inline, so it counts against no managed-policy quota of the role (10
	// per role, IAM quotas) and lives and dies with the role.
	if _, err := iam.NewRolePolicy(ctx, name+"-no-vpc-endpoints", &iam.RolePolicyArgs{
		Role:   args.ExecutionRoleName,
		Policy: pulumi.String(endpointDeny),
	}, parent); err != nil {
		return nil, fmt.Errorf("VPC endpoint deny: %w", err)
	}
	if args.Off {
		comp.PolicyArn = pulumi.String("").ToStringOutput()
		return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{})
	}

	document := pulumi.All(args.PassableRoleArns, args.SubnetIDs, args.SecurityGroupIDs, args.SageMakerEndpointIDs).ApplyT(
		func(values []any) (string, error) {
			return GuardrailPolicy(GuardrailNetwork{
				PassableRoleArns:     values[0].([]string),
				SubnetIDs:            values[1].([]string),
				SecurityGroupIDs:     values[2].([]string),
				SageMakerEndpointIDs: values[3].([]string),
			}, args.Switches).JSON()
		}).(pulumi.StringOutput)
	managed, err := iam.NewPolicy(ctx, name+"-policy", &iam.PolicyArgs{
		Description: pulumi.String("Keeps SageMaker inside the closed network of the Studio VPC"),
		Policy:      document,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("guardrail policy: %w", err)
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-execution-role", &iam.RolePolicyAttachmentArgs{
		Role:      args.ExecutionRoleName,
		PolicyArn: managed.Arn,
	}, parent); err != nil {
		return nil, fmt.Errorf("guardrail attachment: %w", err)
	}

	comp.PolicyArn = managed.Arn
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{"policyArn": managed.Arn})
}

// vpcEndpointActions make or widen a way out of the VPC: a new endpoint
// (with its own policy, to any account), an endpoint's policy or route
// tables changed, or an endpoint service of the account's own that another
// account's VPC could reach.
var vpcEndpointActions = []string{
	"ec2:CreateVpcEndpoint",
	"ec2:ModifyVpcEndpoint",
	"ec2:CreateVpcEndpointServiceConfiguration",
}

// NoVpcEndpointsPolicy refuses the execution role the VPC endpoint actions. A
// deny with no condition holds for every request; Resource is "*" because a
// deny must cover every resource type these actions take (vpc-endpoint, vpc,
// subnet, security-group, route-table ...; Service Authorization Reference,
// Amazon EC2).
func NoVpcEndpointsPolicy() policy.Document {
	return policy.New(policy.Statement{
		Sid:      "DenyVpcEndpointChanges",
		Effect:   policy.Deny,
		Action:   vpcEndpointActions,
		Resource: []string{"*"},
	})
}

// GuardrailNetwork is what the guardrails allow: everything else is denied.
type GuardrailNetwork struct {
	PassableRoleArns     []string
	SubnetIDs            []string
	SecurityGroupIDs     []string
	SageMakerEndpointIDs []string
}

// vpcCreatingActions create SageMaker resources that take a VPC
// configuration, and so carry sagemaker:VpcSubnets when one is given.
// CreateTransformJob is not among them: it takes no VPC settings and runs in
// the VPC of its model, which CreateModel must name. Denying an action whose
// requests never carry the key would deny it always.
var vpcCreatingActions = []string{
	"sagemaker:CreateAutoMLJob",
	"sagemaker:CreateAutoMLJobV2",
	"sagemaker:CreateDataQualityJobDefinition",
	"sagemaker:CreateHyperParameterTuningJob",
	"sagemaker:CreateModel",
	"sagemaker:CreateModelBiasJobDefinition",
	"sagemaker:CreateModelExplainabilityJobDefinition",
	"sagemaker:CreateModelQualityJobDefinition",
	"sagemaker:CreateMonitoringSchedule",
	"sagemaker:CreateNotebookInstance",
	"sagemaker:CreateProcessingJob",
	"sagemaker:CreateTrainingJob",
	"sagemaker:UpdateMonitoringSchedule",
}

// GuardrailPolicy is the guardrail document. Each condition is its own statement,
// because the conditions of one statement must all hold at once. Resources
// are "*": the denies are about how a resource is configured, whatever it is.
func GuardrailPolicy(n GuardrailNetwork, switches GuardrailSwitches) policy.Document {
	anySageMaker := []string{"sagemaker:*"}
	everything := []string{"*"}
	statements := []policy.Statement{
		{
			Sid:      "DenyDirectInternetAccess",
			Effect:   policy.Deny,
			Action:   anySageMaker,
			Resource: everything,
			Condition: policy.Condition{
				"Null":         {"sagemaker:DirectInternetAccess": {"false"}},
				"StringEquals": {"sagemaker:DirectInternetAccess": {"Enabled"}},
			},
		},
		{
			Sid:      "DenySubnetsOutsideTheStudioVpc",
			Effect:   policy.Deny,
			Action:   anySageMaker,
			Resource: everything,
			Condition: policy.Condition{
				"Null":                        {"sagemaker:VpcSubnets": {"false"}},
				"ForAnyValue:StringNotEquals": {"sagemaker:VpcSubnets": n.SubnetIDs},
			},
		},
		{
			Sid:       "DenyResourcesWithoutAVpc",
			Effect:    policy.Deny,
			Action:    vpcCreatingActions,
			Resource:  everything,
			Condition: policy.Condition{"Null": {"sagemaker:VpcSubnets": {"true"}}},
		},
		{
			Sid:      "DenyOtherSecurityGroups",
			Effect:   policy.Deny,
			Action:   anySageMaker,
			Resource: everything,
			Condition: policy.Condition{
				"Null":                        {"sagemaker:VpcSecurityGroupIds": {"false"}},
				"ForAnyValue:StringNotEquals": {"sagemaker:VpcSecurityGroupIds": n.SecurityGroupIDs},
			},
		},
		{
			Sid:         "DenyPassingOtherRolesToSageMaker",
			Effect:      policy.Deny,
			Action:      []string{"iam:PassRole"},
			NotResource: n.PassableRoleArns,
			Condition:   policy.Condition{"StringEquals": {"iam:PassedToService": {"sagemaker.amazonaws.com"}}},
		},
	}
	if switches.RequireNetworkIsolation {
		statements = append(statements, policy.Statement{
			Sid:      "DenyWithoutNetworkIsolation",
			Effect:   policy.Deny,
			Action:   anySageMaker,
			Resource: everything,
			Condition: policy.Condition{
				"Null": {"sagemaker:NetworkIsolation": {"false"}},
				"Bool": {"sagemaker:NetworkIsolation": {"false"}},
			},
		})
	}
	if switches.RequireSourceVpce {
		statements = append(statements, policy.Statement{
			Sid:      "DenyOutsideTheSageMakerEndpoints",
			Effect:   policy.Deny,
			Action:   anySageMaker,
			Resource: everything,
			// Unlike the other keys, an absent aws:SourceVpce means the call
			// did not come through any endpoint, so it is denied too (no
			// Null guard). Calls SageMaker makes on the caller's behalf are
			// left alone.
			Condition: policy.Condition{
				"StringNotEquals": {"aws:SourceVpce": n.SageMakerEndpointIDs},
				"Bool":            {"aws:ViaAWSService": {"false"}},
			},
		})
	}
	return policy.New(statements...)
}
