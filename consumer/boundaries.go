package consumer

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/policy"
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
//
// A deny that rests on a policy variable fails open where the variable has
// no value: AWS leaves an element with an unresolved variable unmatched
// (IAM User Guide, "IAM policy elements: Variables and tags"). Studio
// sessions carry SourceIdentity (ExecutionRoleIdentityConfig
// USER_PROFILE_NAME), and so do the jobs and pipelines a user starts from
// them: SageMaker passes the session's SourceIdentity on to what it creates
// ("Monitoring user resource access from SageMaker Studio"), so a job acts
// as the person who started it. A session of the role without one (the
// role assumed some other way) is refused the space and app actions
// outright: nothing needs them there, and it can then act on no user's
// space.
func UserBoundaryPolicy(partition, region, account, domainID string) policy.Document {
	ownProfile := policy.ARN(partition, "sagemaker", region, account, "user-profile/"+domainID+"/${aws:SourceIdentity}")
	// These actions act on domains, profiles, spaces and apps: "*" covers
	// every one of them, in this domain and any other the account has.
	everyResource := []string{"*"}
	spaceActions := []string{"sagemaker:CreateApp", "sagemaker:DeleteApp", "sagemaker:CreateSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace"}
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
			Action:   spaceActions,
			Resource: everyResource,
			Condition: policy.Condition{
				// Every space has an owner, shared ones too (AWS's "Give
				// your users access to spaces"): only the owner starts
				// apps in it. A shared space's members are refused: an
				// app there runs for no one user, and may carry its
				// owner's SourceIdentity. Requests without the key (a
				// user profile's own apps, Studio Classic) are left to
				// the statements below.
				"Null":       {"sagemaker:OwnerUserProfileArn": {"false"}},
				"ArnNotLike": {"sagemaker:OwnerUserProfileArn": {ownProfile}},
			},
		},
		policy.Statement{
			// StartSession (remote access to a space from a local IDE)
			// carries no owner key; SageMaker tags each space it creates
			// with its owner's profile ARN, the key AWS's own remote-access
			// policy uses ("Set up remote access"). A space without the tag
			// has no owner, and the negated operator denies it too: remote
			// access is for one's own private space only.
			Sid:      "DenyRemoteAccessToOtherUsersSpaces",
			Effect:   policy.Deny,
			Action:   []string{"sagemaker:StartSession"},
			Resource: everyResource,
			Condition: policy.Condition{
				"ArnNotLike": {"sagemaker:ResourceTag/sagemaker:user-profile-arn": {ownProfile}},
			},
		},
		// The statement above trusts the owner tag SageMaker puts on each
		// space: no session of the role may change it.
		reservedTagsDeny(),
		policy.Statement{
			// The two statements before the tags' name the caller through
			// ${aws:SourceIdentity}: without one, they would not apply.
			Sid:       "DenySpacesWithoutSourceIdentity",
			Effect:    policy.Deny,
			Action:    append(append([]string{}, spaceActions...), "sagemaker:StartSession"),
			Resource:  everyResource,
			Condition: policy.Condition{"Null": {"aws:SourceIdentity": {"true"}}},
		},
	)
}

// reservedTagsDeny refuses setting or removing ReservedTagKeys on any
// SageMaker resource. Tags are the caller's to change unless denied
// (AddTags takes aws:TagKeys, and AWS reserves no "sagemaker:" prefix for
// it), and the remote-access denies trust the owner tag SageMaker puts on
// each space: bob could otherwise tag alice's space as his and StartSession
// into it as alice.
func reservedTagsDeny() policy.Statement {
	return policy.Statement{
		Sid:      "DenyReservedTagChanges",
		Effect:   policy.Deny,
		Action:   []string{"sagemaker:AddTags", "sagemaker:DeleteTags"},
		Resource: []string{"*"}, // tags of any SageMaker resource
		Condition: policy.Condition{
			"ForAnyValue:StringLike": {"aws:TagKeys": ReservedTagKeys},
		},
	}
}

// ReservedTagKeys are the tag keys nobody but SageMaker and the deployer
// sets on the domain's resources: SageMaker's own (the space owner's
// sagemaker:user-profile-arn among them) and the studio-user cost tag.
var ReservedTagKeys = []string{"sagemaker:*", "studio-user"}
