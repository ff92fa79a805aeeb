package program

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/plan"
)

// userNames returns n distinct user profile names of the length real teams
// use ("firstname-lastname", "-2" for namesakes), and one at the
// 63-character limit.
func userNames(n int) []any {
	first := []string{"alice", "bob", "carmen", "dmitri", "emeka", "fatima", "giulia", "hiroshi", "ingrid", "jamal",
		"katarzyna", "liang", "mateo", "nadia", "oluwaseun", "priya", "quentin", "rafael", "sakura", "tomasz",
		"ulrike", "valentina", "wei", "ximena", "yusuf", "zeynep", "anders", "beatriz", "chidi", "daniela",
		"eero", "francesca", "gaurav", "hannah", "ivan", "jonas", "kwame", "lucia", "mikko", "noor"}
	last := []string{"garcia", "nakamura", "okafor", "kowalski", "virtanen", "johansson", "rossi", "schmidt", "haddad", "fernandes",
		"nguyen", "oconnor", "petrov", "silva", "tanaka", "umarov", "vasquez", "williams", "xu", "yamamoto",
		"zimmermann", "andersen", "bianchi", "castillo", "dubois"}
	names := []any{strings.Repeat("a", 63)}
	for i := 0; len(names) < n; i++ {
		name := first[i%len(first)] + "-" + last[i/len(first)%len(last)]
		if round := i / (len(first) * len(last)); round > 0 {
			name += fmt.Sprintf("-%d", round+1) // namesakes
		}
		names = append(names, name)
	}
	return names
}

func withUsers(t *testing.T, values map[string]string, users []any) map[string]string {
	t.Helper()
	return withConsumer(t, values, func(c map[string]any) { c["studio"].(map[string]any)["userProfiles"] = users })
}

// awsResources counts what the stack creates in AWS: no components, no providers.
func awsResources(result *offline.Result) int {
	n := 0
	for _, r := range result.Resources() {
		if r.InAWS() {
			n++
		}
	}
	return n
}

// iamDocuments are every IAM document of a run, by resource.
func iamDocuments(result *offline.Result) map[string]string {
	documents := map[string]string{}
	for typ, property := range map[string]string{
		roleType: "assumeRolePolicy", rolePolicyType: "policy", managedPolicyType: "policy",
		keyType: "policy", "aws:s3/bucketPolicy:BucketPolicy": "policy", endpointType: "policy",
	} {
		for _, r := range result.OfType(typ) {
			if text := r.String(property); text != "" {
				documents[r.URN] = text
			}
		}
	}
	return documents
}

// thousandUsers runs a stack with userNames(1000), once per test binary
// (run keeps it): the run takes about half a second, and several tests read
// it.
func thousandUsers(t *testing.T, stack string) *offline.Result {
	t.Helper()
	return run(t, withUsers(t, stackConfig(t, stack), userNames(1000)))
}

// TestAThousandUsers runs both example stacks with 1,000 users and checks
// what a real team meets first: the default quotas, the cost of each user,
// the shared documents, and the isolation between users.
func TestAThousandUsers(t *testing.T) {
	t.Parallel()
	for _, stack := range []struct {
		name         string
		clusterGroup func(*testing.T, *offline.Result) string
	}{
		{"dev", func(*testing.T, *offline.Result) string { return "sg-0a1b2c3d4e5f60718" }},
		{"demo", func(t *testing.T, r *offline.Result) string {
			return one(t, r, securityGroupType, "warehouse-cluster").ID
		}},
	} {
		t.Run(stack.name, func(t *testing.T) {
			t.Parallel()
			values := stackConfig(t, stack.name)
			two := run(t, values)
			thousand := thousandUsers(t, stack.name)

			// Every default quota holds, and only the Region's security
			// groups and network interfaces grow with the users.
			small, err := plan.Build(config.Project, stack.name, two)
			require.NoError(t, err)
			large, err := plan.Build(config.Project, stack.name, thousand)
			require.NoError(t, err)
			require.NoError(t, large.Exceeded())
			require.Equal(t, len(small.Quotas), len(large.Quotas))
			for i, q := range large.Quotas {
				if q.Provider == "consumer" && (q.Name == "VPC security groups per Region" || strings.HasPrefix(q.Name, "network interfaces per Region")) {
					assert.Equal(t, small.Quotas[i].Used+998, q.Used, "one %s per added user", q.Name)
					continue
				}
				assert.Equal(t, small.Quotas[i].Used, q.Used, "%s %s does not grow with the users", q.Provider, q.Name)
			}

			// Each added user costs its profile, its group and the group's
			// two rules: four resources, nothing shared.
			assert.Equal(t, 4*998, awsResources(thousand)-awsResources(two), "resources per added user")
			assert.Len(t, thousand.OfType(userProfileType), 1000)

			// No shared document grows with the users: every IAM document is
			// the same with 2 users as with 1,000.
			assert.Equal(t, iamDocuments(two), iamDocuments(thousand))
			for _, document := range []offline.Resource{
				one(t, thousand, managedPolicyType, "consumer-sign-in"), one(t, thousand, rolePolicyType, "consumer-user-boundaries"),
				one(t, thousand, rolePolicyType, "consumer-instance-types"), one(t, thousand, rolePolicyType, "consumer-user-data"),
				one(t, thousand, bucketPolicyType, "consumer-user-data-policy"),
			} {
				assert.Contains(t, iamDocuments(thousand), document.URN, "the sign-in policy, the user boundaries, the instance types' deny and the per-user data documents are among them")
			}

			assertIsolatedAndReachable(t, thousand, studioTopology{
				producerCIDR: producerCIDR, consumerCIDR: consumerCIDR, port: 5439, clusterGroup: stack.clusterGroup(t, thousand),
			})
		})
	}
}

// TestALaterProfileChainsInAsItselfOnly evaluates the parsed documents for a
// profile that no configuration lists, such as one made in the console after
// the last deploy: SageMaker stamps its sessions with its own name.
func TestALaterProfileChainsInAsItselfOnly(t *testing.T) {
	result := run(t, devConfig(t))
	executionRoleArn := one(t, result, roleType, "consumer-execution-role").Output("arn").(string)
	trust := parsePolicy(t, one(t, result, roleType, "producer-role"), "assumeRolePolicy")
	permissions := parsePolicy(t, one(t, result, rolePolicyType, "producer-redshift-access"), "policy")

	assume := func(principal string, context map[string]string) bool {
		return allows(trust, request{principal: principal, action: "sts:AssumeRole", context: context})
	}
	carol := map[string]string{"aws:SourceIdentity": "carol", "sts:RoleSessionName": "carol"}
	assert.True(t, assume(executionRoleArn, carol), "carol, unknown to the stack, chains in")
	assert.False(t, assume(executionRoleArn, map[string]string{"sts:RoleSessionName": "carol"}), "a session without a SourceIdentity is refused")
	assert.False(t, assume("arn:aws:iam::222222222222:role/other", carol), "only the execution role")

	const cluster = "arn:aws:redshift:us-east-1:" + producerAccount + ":"
	credentials := func(sourceIdentity, dbUser string) bool {
		return allows(permissions, request{
			action: "redshift:GetClusterCredentials", resource: cluster + "dbuser:analytics/" + dbUser,
			context: map[string]string{"aws:SourceIdentity": sourceIdentity, "redshift:DbUser": dbUser, "redshift:DbName": "dev"},
		})
	}
	assert.True(t, credentials("carol", "carol"), "carol becomes carol")
	assert.False(t, credentials("carol", "alice"), "carol never becomes alice")
	assert.False(t, credentials("bob", "alice"), "bob never becomes alice")
}
