// The RoleChain component is the link from the consumer's execution role to the
// producer role. It stands apart from the Consumer component because of the order AWS
// imposes: the producer role's trust names the execution role, so the
// execution role exists first, and only then can it be allowed to assume the
// producer role.

package consumer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// RoleChain lets the Studio execution role assume the producer role.
type RoleChain struct {
	pulumi.ResourceState
}

// RoleChainArgs are the inputs of NewRoleChain. Create it with the consumer
// account's provider (pulumi.Provider): the policy belongs to the execution role.
type RoleChainArgs struct {
	// ExecutionRoleName is the role that gets the permission. Required.
	ExecutionRoleName pulumi.StringInput
	// ProducerRoleArn is the only role it may assume. Required.
	ProducerRoleArn pulumi.StringInput
	// UserTag, when set, makes ProducerRoleArn the pattern of the users'
	// roles (a Serverless producer): the execution role may assume only
	// the one whose tag UserTag equals the session's SourceIdentity.
	UserTag string
}

// NewRoleChain registers the execution role's permission to assume the producer role.
func NewRoleChain(ctx *pulumi.Context, name string, args *RoleChainArgs, opts ...pulumi.ResourceOption) (*RoleChain, error) {
	comp := &RoleChain{}
	if err := ctx.RegisterComponentResource("studioredshift:index:RoleChain", name, comp, opts...); err != nil {
		return nil, err
	}
	document := args.ProducerRoleArn.ToStringOutput().ApplyT(func(producerRoleArn string) (string, error) {
		if args.UserTag != "" {
			return AssumeUserRolePolicy(producerRoleArn, args.UserTag).JSON()
		}
		return AssumeProducerRolePolicy(producerRoleArn).JSON()
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-assume-producer-role", &iam.RolePolicyArgs{
		Role:   args.ExecutionRoleName,
		Policy: document,
	}, pulumi.Parent(comp)); err != nil {
		return nil, fmt.Errorf("execution role policy: %w", err)
	}
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{})
}

// AssumeProducerRolePolicy allows assuming exactly the producer role. AWS: a session that
// carries a SourceIdentity can only chain into another role when the caller
// may also sts:SetSourceIdentity on it; the seed article shows AssumeRole alone.
func AssumeProducerRolePolicy(producerRoleArn string) policy.Document {
	return policy.New(policy.Statement{
		Sid:      "AssumeProducerRoleWithSourceIdentity",
		Effect:   policy.Allow,
		Action:   []string{"sts:AssumeRole", "sts:SetSourceIdentity"},
		Resource: []string{producerRoleArn},
	})
}

// AssumeUserRolePolicy allows assuming, on the users' path, only the role
// tagged as the session's own user: one statement for every user, whatever
// their number. sts:AssumeRole takes the role resource type and its
// aws:ResourceTag condition key (Service Authorization Reference, AWS STS;
// the IAM User Guide's "IAM tutorial: Define permissions to access AWS
// resources based on tags" assumes roles by their tags this way). The
// SourceIdentity is SageMaker's, from the user profile, and no caller can
// change it down the chain; a session without one leaves the variable
// without a value, which matches no tag ("Policy variables with no value").
func AssumeUserRolePolicy(userRolesArn, userTag string) policy.Document {
	return policy.New(policy.Statement{
		Sid:       "AssumeOwnUserRoleWithSourceIdentity",
		Effect:    policy.Allow,
		Action:    []string{"sts:AssumeRole", "sts:SetSourceIdentity"},
		Resource:  []string{userRolesArn},
		Condition: policy.Condition{"StringEquals": {"aws:ResourceTag/" + userTag: {"${aws:SourceIdentity}"}}},
	})
}
