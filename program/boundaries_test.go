package program

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// studioARNs names the SageMaker resources of one domain in the consumer account.
type studioARNs struct{ domainID string }

func (a studioARNs) profile(name string) string {
	return "arn:aws:sagemaker:us-east-1:" + consumerAccount + ":user-profile/" + a.domainID + "/" + name
}

func (a studioARNs) space(name string) string {
	return "arn:aws:sagemaker:us-east-1:" + consumerAccount + ":space/" + a.domainID + "/" + name
}

// TestUserBoundariesHoldWithoutSourceIdentity evaluates the execution role's
// boundaries for sessions of the role that carry no SourceIdentity (a job, a
// pipeline step): the denies that name the caller through
// ${aws:SourceIdentity} would not apply to them, so a deny of their own
// refuses the space actions, whatever IAM makes of the unresolved variable.
func TestUserBoundariesHoldWithoutSourceIdentity(t *testing.T) {
	result := run(t, devConfig(t))
	doc := parsePolicy(t, one(t, result, rolePolicyType, "consumer-user-boundaries"), "policy")
	absence := policy.New(statement(t, doc, "DenySpacesWithoutSourceIdentity"))
	studio := studioARNs{domainID: one(t, result, domainType, "consumer-domain").ID}

	session := func(sourceIdentity string, context map[string]string) map[string]string {
		if sourceIdentity != "" {
			context["aws:SourceIdentity"] = sourceIdentity
		}
		return context
	}
	ownedBy := func(owner string) map[string]string {
		return map[string]string{"sagemaker:OwnerUserProfileArn": studio.profile(owner)}
	}
	taggedFor := func(owner string) map[string]string {
		return map[string]string{"sagemaker:ResourceTag/sagemaker:user-profile-arn": studio.profile(owner)}
	}
	tests := []struct {
		name   string
		req    request
		denied bool
		// byAbsence: the deny that holds whatever IAM does with an
		// unresolved ${aws:SourceIdentity} is the one that refuses it.
		byAbsence bool
	}{
		{"no SourceIdentity: CreateApp in bob's space", request{action: "sagemaker:CreateApp", resource: "*", context: session("", ownedBy("bob"))}, true, true},
		{"no SourceIdentity: CreateSpace for bob", request{action: "sagemaker:CreateSpace", resource: studio.space("bob-space"), context: session("", ownedBy("bob"))}, true, true},
		{"no SourceIdentity: StartSession on bob's space", request{action: "sagemaker:StartSession", resource: studio.space("bob-space"), context: session("", taggedFor("bob"))}, true, true},
		{"no SourceIdentity: UpdateSpace of bob's space", request{action: "sagemaker:UpdateSpace", resource: studio.space("bob-space"), context: session("", ownedBy("bob"))}, true, true},
		{"no SourceIdentity: a training job", request{action: "sagemaker:CreateTrainingJob", resource: "*", context: session("", map[string]string{})}, false, false},
		{"alice: StartSession on bob's space", request{action: "sagemaker:StartSession", resource: studio.space("bob-space"), context: session("alice", taggedFor("bob"))}, true, false},
		{"alice: CreateSpace for bob", request{action: "sagemaker:CreateSpace", resource: studio.space("bob-space"), context: session("alice", ownedBy("bob"))}, true, false},
		{"alice: CreateApp in her own space", request{action: "sagemaker:CreateApp", resource: "*", context: session("alice", ownedBy("alice"))}, false, false},
		{"alice: CreateSpace of her own", request{action: "sagemaker:CreateSpace", resource: studio.space("alice-space"), context: session("alice", ownedBy("alice"))}, false, false},
		{"alice: StartSession on her own space", request{action: "sagemaker:StartSession", resource: studio.space("alice-space"), context: session("alice", taggedFor("alice"))}, false, false},
		{"bob: tags alice's space as his", request{action: "sagemaker:AddTags", resource: studio.space("alice-space"), context: session("bob", map[string]string{}),
			sets: map[string][]string{"aws:TagKeys": {"project", "sagemaker:user-profile-arn"}}}, true, false},
		{"bob: removes the owner tag of alice's space", request{action: "sagemaker:DeleteTags", resource: studio.space("alice-space"), context: session("bob", map[string]string{}),
			sets: map[string][]string{"aws:TagKeys": {"sagemaker:user-profile-arn"}}}, true, false},
		{"alice: changes her own cost tag", request{action: "sagemaker:AddTags", resource: studio.space("alice-space"), context: session("alice", map[string]string{}),
			sets: map[string][]string{"aws:TagKeys": {"studio-user"}}}, true, false},
		{"alice: tags her space with a project", request{action: "sagemaker:AddTags", resource: studio.space("alice-space"), context: session("alice", map[string]string{}),
			sets: map[string][]string{"aws:TagKeys": {"project"}}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.denied, denies(doc, tt.req), "denied by the boundaries")
			assert.Equal(t, tt.byAbsence, denies(absence, tt.req), "denied for the absent SourceIdentity")
		})
	}
}
