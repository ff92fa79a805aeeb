package consumer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// SignInTagKey is the principal tag that names the one user profile a person
// may open Studio as. The identity provider sets it (a SAML or OIDC session
// tag, or an IAM Identity Center attribute for access control) and no one
// else may: the trust and SCP examples of docs/security.md keep it so.
const SignInTagKey = "studio-user"

// newSignInPolicy registers the customer-managed policy that people's roles
// carry to open Studio. It is not attached to anything here: the roles belong
// to the identity provider (docs/security.md, "Signing in to Studio").
//
// An iam.Policy's name is ForceNew and its document updates in place as a new
// default version (IAM keeps five; the provider deletes the oldest). It counts
// against the account's customer managed policies (1,500 by default) and the
// 6,144-character managed policy size, which it stays far below whatever the
// number of users: it names no user.
func newSignInPolicy(ctx *pulumi.Context, name, partition, region, account, domainName string,
	domainID pulumi.StringOutput, parent pulumi.ResourceOption) (*iam.Policy, error) {
	document := domainID.ApplyT(func(domainID string) (string, error) {
		return SignInPolicy(partition, region, account, domainID).JSON()
	}).(pulumi.StringOutput)
	signIn, err := iam.NewPolicy(ctx, name+"-sign-in", &iam.PolicyArgs{
		Description: pulumi.String("Opens SageMaker Studio domain " + domainName + " as the user profile the " + SignInTagKey + " principal tag names, and as no other"),
		Policy:      document,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("sign-in policy: %w", err)
	}
	return signIn, nil
}

// SignInPolicy lets a person open Studio in this domain only as the user
// profile their principal tag names. Whoever may call
// CreatePresignedDomainUrl for a profile is that user: its apps run with that
// profile's SourceIdentity, which is the Redshift user. AWS's service
// authorization reference gives CreatePresignedDomainUrl the resource type
// user-profile (arn:…:user-profile/<domain-id>/<profile-name>), so a policy
// variable in that ARN binds the profile to the tag, as AWS's own example in
// "Give your users access to spaces" binds it with ${sagemaker:UserProfileName}.
//
// The denies make the policy hold next to broader ones a role may also carry
// (AmazonSageMakerFullAccess allows every profile): an explicit deny wins over
// any allow. A principal without the tag gets nothing and is refused: the
// Null conditions say so instead of relying on an unresolved variable, which
// AWS treats as matching nothing (IAM User Guide, "IAM policy elements:
// Variables and tags").
func SignInPolicy(partition, region, account, domainID string) policy.Document {
	tag := "aws:PrincipalTag/" + SignInTagKey
	ownProfile := policy.ARN(partition, "sagemaker", region, account, "user-profile/"+domainID+"/${"+tag+"}")
	tagged := policy.Condition{"Null": {tag: {"false"}}}
	untagged := policy.Condition{"Null": {tag: {"true"}}}
	return policy.New(
		policy.Statement{
			Sid:       "OpenStudioAsOwnProfile",
			Effect:    policy.Allow,
			Action:    []string{"sagemaker:CreatePresignedDomainUrl"},
			Resource:  []string{ownProfile},
			Condition: tagged,
		},
		policy.Statement{
			Sid:         "DenyStudioAsAnotherProfile",
			Effect:      policy.Deny,
			Action:      []string{"sagemaker:CreatePresignedDomainUrl"},
			NotResource: []string{ownProfile},
		},
		policy.Statement{
			// Remote access from a laptop (StartSession) is not granted here;
			// this keeps a broader policy from granting it into a space
			// another profile owns. SageMaker tags each space it creates with
			// its owner's profile ARN, the key AWS's own example uses
			// ("Set up remote access"); a space without that tag has no
			// owner, and the negated operator then denies too.
			Sid:      "DenyRemoteAccessToAnotherProfilesSpace",
			Effect:   policy.Deny,
			Action:   []string{"sagemaker:StartSession"},
			Resource: []string{"*"},
			Condition: policy.Condition{
				"ArnNotLike": {"sagemaker:ResourceTag/sagemaker:user-profile-arn": {ownProfile}},
			},
		},
		// The statement above trusts the owner tag on each space: a person
		// may not change it, whatever else their role allows.
		reservedTagsDeny(),
		policy.Statement{
			// These act on profiles and spaces of any domain: "*" covers
			// them all, for a principal that carries no tag.
			Sid:       "DenyStudioWithoutTheTag",
			Effect:    policy.Deny,
			Action:    []string{"sagemaker:CreatePresignedDomainUrl", "sagemaker:StartSession"},
			Resource:  []string{"*"},
			Condition: untagged,
		},
		policy.Statement{
			// What the console's launch flow reads ("Launch Amazon SageMaker
			// Studio"): the domain, the person's own profile, and the
			// domain's spaces and apps (a space's ARN does not name its
			// owner, so all of this domain's).
			Sid:    "ReadTheLaunchPage",
			Effect: policy.Allow,
			Action: []string{"sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile", "sagemaker:DescribeSpace", "sagemaker:DescribeApp"},
			Resource: []string{
				policy.ARN(partition, "sagemaker", region, account, "domain/"+domainID),
				ownProfile,
				policy.ARN(partition, "sagemaker", region, account, "space/"+domainID+"/*"),
				policy.ARN(partition, "sagemaker", region, account, "app/"+domainID+"/*"),
			},
			Condition: tagged,
		},
		policy.Statement{
			// The List actions have no resource type in the service
			// authorization reference: "*" is the only resource they take.
			Sid:       "ListTheLaunchPage",
			Effect:    policy.Allow,
			Action:    []string{"sagemaker:ListDomains", "sagemaker:ListUserProfiles", "sagemaker:ListSpaces", "sagemaker:ListApps"},
			Resource:  []string{"*"},
			Condition: tagged,
		},
	)
}
