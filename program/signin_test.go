package program

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// signInTag is the principal tag the identity provider sets on a person's session.
const signInTag = "aws:PrincipalTag/" + consumer.SignInTagKey

// TestSignInOnlyAsOwnProfile evaluates the sign-in policy for a person who
// chooses the profile parameter of CreatePresignedDomainUrl: whoever opens a
// profile is that user, down to its Redshift user.
func TestSignInOnlyAsOwnProfile(t *testing.T) {
	result := run(t, devConfig(t))
	signIn := one(t, result, managedPolicyType, "consumer-sign-in")
	assert.Equal(t, signIn.Output("arn"), result.Outputs["signInPolicyArn"], "the exported ARN is the sign-in policy's")
	doc := parsePolicy(t, signIn, "policy")
	studio := studioARNs{domainID: one(t, result, domainType, "consumer-domain").ID}
	other := studioARNs{domainID: "d-000000000000"}

	person := func(tag string) map[string]string {
		if tag == "" {
			return map[string]string{}
		}
		return map[string]string{signInTag: tag}
	}
	withOwner := func(context map[string]string, owner string) map[string]string {
		context["sagemaker:ResourceTag/sagemaker:user-profile-arn"] = studio.profile(owner)
		return context
	}
	tests := []struct {
		name             string
		req              request
		allowed, refused bool // refused: an explicit deny, which no other policy can override
	}{
		{"alice opens Studio as alice", request{action: "sagemaker:CreatePresignedDomainUrl", resource: studio.profile("alice"), context: person("alice")}, true, false},
		{"alice opens Studio as bob", request{action: "sagemaker:CreatePresignedDomainUrl", resource: studio.profile("bob"), context: person("alice")}, false, true},
		{"alice opens a profile alice of another domain", request{action: "sagemaker:CreatePresignedDomainUrl", resource: other.profile("alice"), context: person("alice")}, false, true},
		{"a principal without the tag opens Studio as alice", request{action: "sagemaker:CreatePresignedDomainUrl", resource: studio.profile("alice"), context: person("")}, false, true},
		{"alice reads her own profile on the launch page", request{action: "sagemaker:DescribeUserProfile", resource: studio.profile("alice"), context: person("alice")}, true, false},
		{"alice reads bob's profile", request{action: "sagemaker:DescribeUserProfile", resource: studio.profile("bob"), context: person("alice")}, false, false},
		{"alice lists the domains", request{action: "sagemaker:ListDomains", resource: "*", context: person("alice")}, true, false},
		{"a principal without the tag lists the domains", request{action: "sagemaker:ListDomains", resource: "*", context: person("")}, false, false},
		{"alice connects her laptop to bob's space", request{action: "sagemaker:StartSession", resource: studio.space("bob-space"), context: withOwner(person("alice"), "bob")}, false, true},
		{"alice connects her laptop to her own space", request{action: "sagemaker:StartSession", resource: studio.space("alice-space"), context: withOwner(person("alice"), "alice")}, false, false},
		{"a principal without the tag connects to alice's space", request{action: "sagemaker:StartSession", resource: studio.space("alice-space"), context: withOwner(person(""), "alice")}, false, true},
		{"alice tags bob's space as hers, to connect to it", request{action: "sagemaker:AddTags", resource: studio.space("bob-space"), context: person("alice"),
			sets: map[string][]string{"aws:TagKeys": {"sagemaker:user-profile-arn"}}}, false, true},
		{"alice tags her space with a project", request{action: "sagemaker:AddTags", resource: studio.space("alice-space"), context: person("alice"),
			sets: map[string][]string{"aws:TagKeys": {"project"}}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.allowed, allows(doc, tt.req), "allowed")
			assert.Equal(t, tt.refused, denies(doc, tt.req), "explicitly denied")
		})
	}

	// The person's tag, not a list of users, names the profile: the
	// document is the same for any number of users (TestAThousandUsers
	// compares it too).
	text := signIn.String("policy")
	for _, user := range []string{"alice", "bob"} {
		assert.NotContains(t, text, "/"+user+`"`, "the policy names no user")
	}
	assert.Contains(t, text, "${"+signInTag+"}", "the policy variable reaches AWS literally")
}

// securityPageJSON returns the first ```json block of docs/security.md after
// marker.
func securityPageJSON(t *testing.T, marker string) string {
	t.Helper()
	page, err := os.ReadFile("../docs/security.md")
	require.NoError(t, err)
	text := string(page)
	at := strings.Index(text, marker)
	require.GreaterOrEqual(t, at, 0, "docs/security.md has %q", marker)
	text = text[at:]
	start := strings.Index(text, "```json\n")
	require.GreaterOrEqual(t, start, 0, "a JSON block follows %q", marker)
	text = text[start+len("```json\n"):]
	end := strings.Index(text, "```")
	require.GreaterOrEqual(t, end, 0)
	return text[:end]
}

// TestDocumentedServiceControlPolicy parses the example SCP of the sign-in
// section of docs/security.md and evaluates it for the people it must stop and the
// deployer it must not.
func TestDocumentedServiceControlPolicy(t *testing.T) {
	scp, err := policy.Parse(securityPageJSON(t, "Example SCP"))
	require.NoError(t, err, "the documented SCP is valid JSON of a policy's shape")
	require.Equal(t, policy.Version, scp.Version)

	const (
		deployer = "arn:aws:iam::" + consumerAccount + ":role/studio-deployer"
		person   = "arn:aws:iam::" + consumerAccount + ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_0123456789abcdef"
		admin    = "arn:aws:iam::" + consumerAccount + ":role/ml-admin"
	)
	studio := studioARNs{domainID: "d-abcdef123456"}
	as := func(principal, tag string, context map[string]string) map[string]string {
		context["aws:PrincipalArn"] = principal
		context["aws:PrincipalType"] = "AssumedRole"
		if tag != "" {
			context[signInTag] = tag
		}
		return context
	}
	none := func() map[string]string { return map[string]string{} }
	setsTheTag := func() map[string]string { return map[string]string{"aws:RequestTag/" + consumer.SignInTagKey: "bob"} }
	tests := []struct {
		name   string
		req    request
		denied bool
	}{
		{"alice opens Studio as alice", request{action: "sagemaker:CreatePresignedDomainUrl", resource: studio.profile("alice"), context: as(person, "alice", none())}, false},
		{"alice opens Studio as bob", request{action: "sagemaker:CreatePresignedDomainUrl", resource: studio.profile("bob"), context: as(person, "alice", none())}, true},
		{"an admin without the tag opens Studio as alice", request{action: "sagemaker:CreatePresignedDomainUrl", resource: studio.profile("alice"), context: as(admin, "", none())}, true},
		{"the deployer opens Studio as alice", request{action: "sagemaker:CreatePresignedDomainUrl", resource: studio.profile("alice"), context: as(deployer, "", none())}, false},
		{"an admin creates a profile bob", request{action: "sagemaker:CreateUserProfile", resource: studio.profile("bob"), context: as(admin, "", none())}, true},
		{"alice renames her profile's settings", request{action: "sagemaker:UpdateUserProfile", resource: studio.profile("alice"), context: as(person, "alice", none())}, true},
		{"the deployer creates a profile bob", request{action: "sagemaker:CreateUserProfile", resource: studio.profile("bob"), context: as(deployer, "", none())}, false},
		{"alice tags her role studio-user=bob", request{action: "iam:TagRole", resource: person, context: as(person, "alice", setsTheTag())}, true},
		{"an admin assumes a role with the session tag studio-user=bob", request{action: "sts:TagSession", resource: person, context: as(admin, "", setsTheTag())}, true},
		{"an admin tags a role with another key", request{action: "iam:TagRole", resource: person, context: as(admin, "", map[string]string{"aws:RequestTag/team": "ml"})}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.denied, denies(scp, tt.req))
		})
	}
}
