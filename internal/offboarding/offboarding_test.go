package offboarding

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// account is a fake consumer account as the AWS CLI reports it: its answers
// are built from these fields and checked against the arguments the CLI
// would need.
type account struct {
	t      *testing.T
	spaces []map[string]any
	apps   []map[string]any
	calls  []string
}

func (a *account) run(_ context.Context, args ...string) ([]byte, error) {
	a.calls = append(a.calls, strings.Join(args, " "))
	flag := func(name string) string {
		i := slices.Index(args, name)
		if i < 0 || i+1 >= len(args) {
			return ""
		}
		return args[i+1]
	}
	require.Equal(a.t, "sagemaker", args[0])
	require.Equal(a.t, "eu-west-1", flag("--region"), "every call names the stack's region")
	require.Equal(a.t, "json", flag("--output"))
	switch args[1] {
	case "list-domains":
		return json.Marshal(map[string]any{"Domains": []map[string]any{
			{"DomainId": "d-other", "DomainName": "another-studio"},
			{"DomainId": "d-analytics", "DomainName": "analytics-studio"},
		}})
	case "list-spaces":
		require.Equal(a.t, "d-analytics", flag("--domain-id-equals"))
		return json.Marshal(map[string]any{"Spaces": a.spaces})
	case "list-apps":
		require.Equal(a.t, "d-analytics", flag("--domain-id-equals"))
		user, space := flag("--user-profile-name-equals"), flag("--space-name-equals")
		require.True(a.t, (user == "") != (space == ""), "one of user and space: %v", args)
		var apps []map[string]any
		for _, app := range a.apps {
			if (user != "" && app["UserProfileName"] == user) || (space != "" && app["SpaceName"] == space) {
				apps = append(apps, app)
			}
		}
		return json.Marshal(map[string]any{"Apps": apps})
	}
	return nil, fmt.Errorf("unexpected call %v", args)
}

func space(name, owner, sharing string) map[string]any {
	return map[string]any{
		"DomainId": "d-analytics", "SpaceName": name, "Status": "InService",
		"OwnershipSettingsSummary":    map[string]any{"OwnerUserProfileName": owner},
		"SpaceSharingSettingsSummary": map[string]any{"SharingType": sharing},
	}
}

func spaceApp(space, name, status string) map[string]any {
	return map[string]any{"DomainId": "d-analytics", "SpaceName": space, "AppType": "JupyterLab", "AppName": name, "Status": status}
}

func TestCheckListsWhatBlocksEachRemovedUser(t *testing.T) {
	tests := []struct {
		name    string
		spaces  []map[string]any
		apps    []map[string]any
		removed []string
		want    []Blocker
	}{
		{
			name:    "a private space with a running JupyterLab app",
			spaces:  []map[string]any{space("alice-lab", "alice", "Private"), space("bob-lab", "bob", "Private")},
			apps:    []map[string]any{spaceApp("alice-lab", "default", "InService"), spaceApp("bob-lab", "default", "InService")},
			removed: []string{"alice"},
			want: []Blocker{{User: "alice",
				Spaces: []Space{{Name: "alice-lab", Owner: "alice", Sharing: "Private"}},
				Apps:   []App{{Type: "JupyterLab", Name: "default", Status: "InService", Space: "alice-lab"}},
			}},
		},
		{
			name:    "a stopped space still blocks: the space itself is in use",
			spaces:  []map[string]any{space("alice-lab", "alice", "Private")},
			apps:    []map[string]any{spaceApp("alice-lab", "default", "Deleted")},
			removed: []string{"alice"},
			want:    []Blocker{{User: "alice", Spaces: []Space{{Name: "alice-lab", Owner: "alice", Sharing: "Private"}}}},
		},
		{
			name:    "a shared space the user created",
			spaces:  []map[string]any{space("team-lab", "alice", "Shared")},
			removed: []string{"alice"},
			want:    []Blocker{{User: "alice", Spaces: []Space{{Name: "team-lab", Owner: "alice", Sharing: "Shared"}}}},
		},
		{
			name:    "a Studio Classic app of the user",
			apps:    []map[string]any{{"DomainId": "d-analytics", "UserProfileName": "alice", "AppType": "JupyterServer", "AppName": "default", "Status": "Failed"}},
			removed: []string{"alice"},
			want:    []Blocker{{User: "alice", Apps: []App{{Type: "JupyterServer", Name: "default", Status: "Failed", UserProfile: "alice"}}}},
		},
		{
			name:    "only deleted apps and other users' spaces",
			spaces:  []map[string]any{space("bob-lab", "bob", "Private")},
			apps:    []map[string]any{{"DomainId": "d-analytics", "UserProfileName": "alice", "AppType": "JupyterServer", "AppName": "default", "Status": "Deleted"}},
			removed: []string{"alice"},
		},
		{
			name:   "no user removed asks nothing",
			spaces: []map[string]any{space("alice-lab", "alice", "Private")},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			fake := &account{t: t, spaces: test.spaces, apps: test.apps}
			lister := CLI{Region: "eu-west-1", Run: fake.run}
			blockers, err := Check(context.Background(), lister, "d-analytics", test.removed)
			require.NoError(t, err)
			assert.Equal(t, test.want, blockers)
			if len(test.removed) == 0 {
				assert.Empty(t, fake.calls)
			}
		})
	}
}

// TestCheckAtAThousandUsers removes two of 1,000 users, each with a space:
// only theirs are reported, with one ListSpaces for the domain and ListApps
// per removed user and per space of theirs, not per user of the domain.
func TestCheckAtAThousandUsers(t *testing.T) {
	fake := &account{t: t}
	var before []string
	for i := range 1000 {
		user := fmt.Sprintf("user%04d", i)
		before = append(before, user)
		fake.spaces = append(fake.spaces, space(user+"-lab", user, "Private"))
		fake.apps = append(fake.apps, spaceApp(user+"-lab", "default", "InService"))
	}
	after := slices.DeleteFunc(slices.Clone(before), func(user string) bool { return user == "user0007" || user == "user0500" })
	removed := Removed(before, after)
	require.Equal(t, []string{"user0007", "user0500"}, removed)

	blockers, err := Check(context.Background(), CLI{Region: "eu-west-1", Run: fake.run}, "d-analytics", removed)
	require.NoError(t, err)
	require.Len(t, blockers, 2)
	assert.Equal(t, "user0007", blockers[0].User)
	assert.Equal(t, []Space{{Name: "user0007-lab", Owner: "user0007", Sharing: "Private"}}, blockers[0].Spaces)
	assert.Len(t, fake.calls, 1+2*2, "one list-spaces, then per removed user its apps and its space's apps")

	report := Report("d-analytics", "eu-west-1", blockers)
	assert.Contains(t, report, "aws sagemaker delete-app --region eu-west-1 --domain-id d-analytics --space-name user0500-lab --app-type JupyterLab --app-name default")
	assert.Contains(t, report, "aws sagemaker delete-space --region eu-west-1 --domain-id d-analytics --space-name user0500-lab")
	assert.NotContains(t, report, "user0008")
}

func TestDomainIDByName(t *testing.T) {
	lister := CLI{Region: "eu-west-1", Run: (&account{t: t}).run}
	id, exists, err := lister.DomainID(context.Background(), "analytics-studio")
	require.NoError(t, err)
	assert.True(t, exists)
	assert.Equal(t, "d-analytics", id)
	_, exists, err = lister.DomainID(context.Background(), "never-deployed")
	require.NoError(t, err)
	assert.False(t, exists)
}

func TestAnAWSErrorNamesTheCall(t *testing.T) {
	lister := CLI{Region: "eu-west-1", Run: func(context.Context, ...string) ([]byte, error) {
		return nil, fmt.Errorf("exit status 254")
	}}
	_, err := Check(context.Background(), lister, "d-analytics", []string{"alice"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "aws sagemaker list-spaces --domain-id-equals d-analytics --region eu-west-1")
}

func TestReadStudio(t *testing.T) {
	tests := []struct {
		name  string
		stack string
		want  Studio
	}{
		{
			name: "a consumer side, secrets elsewhere left undecrypted",
			stack: `config:
  studio-redshift:region: eu-west-1
  studio-redshift:producer:
    redshift:
      password:
        secure: AAABAKx
  studio-redshift:consumer:
    studio:
      domainName: analytics-studio
      userProfiles: [alice, bob]
`,
			want: Studio{Region: "eu-west-1", DomainName: "analytics-studio", UserProfiles: []string{"alice", "bob"}},
		},
		{
			name:  "a producer side has no users",
			stack: "config:\n  studio-redshift:region: eu-west-1\n  studio-redshift:side: producer\n",
			want:  Studio{Region: "eu-west-1"},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			studio, err := ReadStudio([]byte(test.stack))
			require.NoError(t, err)
			assert.Equal(t, test.want, studio)
		})
	}
	_, err := ReadStudio([]byte("config:\n  studio-redshift:consumer:\n    studio:\n      userProfiles: alice\n"))
	assert.ErrorContains(t, err, "studio-redshift:consumer.studio")
}

func TestRemoved(t *testing.T) {
	assert.Equal(t, []string{"alice", "carol"}, Removed([]string{"carol", "bob", "alice", "alice"}, []string{"bob", "dave"}))
	assert.Empty(t, Removed([]string{"alice"}, []string{"alice", "bob"}))
}
