package consumer

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/policy"
)

// newUserBoundaries keeps each user to itself on the SageMaker side of the
// chain. Every user's apps run as the one execution role, and
// AmazonSageMakerFullAccess would let alice's notebook open Studio as bob
// (CreatePresignedDomainUrl), or make a profile named bob, whose sessions
// SageMaker stamps with SourceIdentity bob: the Redshift user bob. These
// explicit denies win over any allow, whatever policies are attached.
func newUserBoundaries(ctx *pulumi.Context, name, partition, region, account string, role pulumi.StringInput,
	domainID pulumi.StringOutput, parent pulumi.ResourceOption) error {
	document := domainID.ApplyT(func(domainID string) (string, error) {
		return UserBoundaryPolicy(partition, region, account, domainID).JSON()
	}).(pulumi.StringOutput)
	return inlinePolicy(ctx, name+"-user-boundaries", role, document, parent)
}

// UserBoundaryPolicy denies the execution role what would let one user act
// as another: signing in to Studio (users sign in with their own
// principals, never from a notebook), changing domains and profiles (the
// deployer's job), and apps and spaces owned by another profile (the
// condition AWS uses in "Give your users access to spaces"), the caller's
// own profile being the one named by the session's SourceIdentity.
func UserBoundaryPolicy(partition, region, account, domainID string) policy.Document {
	ownProfile := policy.ARN(partition, "sagemaker", region, account, "user-profile/"+domainID+"/${aws:SourceIdentity}")
	// These actions act on domains and profiles: "*" covers every one of
	// them, in this domain and any other the account has.
	everyResource := []string{"*"}
	return policy.New(
		policy.Statement{
			Sid:      "DenyStudioSignIn",
			Effect:   policy.Deny,
			Action:   []string{"sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl"},
			Resource: everyResource,
		},
		policy.Statement{
			Sid:    "DenyDomainAndProfileChanges",
			Effect: policy.Deny,
			Action: []string{
				"sagemaker:CreateDomain", "sagemaker:UpdateDomain", "sagemaker:DeleteDomain",
				"sagemaker:CreateUserProfile", "sagemaker:UpdateUserProfile", "sagemaker:DeleteUserProfile",
			},
			Resource: everyResource,
		},
		policy.Statement{
			Sid:      "DenyOtherUsersAppsAndSpaces",
			Effect:   policy.Deny,
			Action:   []string{"sagemaker:CreateApp", "sagemaker:DeleteApp", "sagemaker:CreateSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace"},
			Resource: everyResource,
			Condition: policy.Condition{
				// Shared spaces have no owner and stay open to all.
				"Null":       {"sagemaker:OwnerUserProfileArn": {"false"}},
				"ArnNotLike": {"sagemaker:OwnerUserProfileArn": {ownProfile}},
			},
		},
	)
}
