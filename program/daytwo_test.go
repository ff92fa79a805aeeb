package program

import (
	"encoding/base64"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
)

// TestWeeklyChangesLeaveTheDomainAlone runs the program twice, before and
// after a change users make every week, and checks that the domain's inputs
// are the same: the provider cannot update a VpcOnly domain in place
// (terraform-provider-aws #45528), so any diff there would fail `pulumi up`.
func TestWeeklyChangesLeaveTheDomainAlone(t *testing.T) {
	withMirror := func(values map[string]string, url string) map[string]string {
		return withConsumer(t, values, func(c map[string]any) { c["studio"].(map[string]any)["pipIndexUrl"] = url })
	}
	tests := []struct {
		name          string
		before, after func() map[string]string
	}{
		{"a user added", func() map[string]string { return devConfig(t) },
			func() map[string]string { return withUsers(t, devConfig(t), []any{"alice", "bob", "carol"}) }},
		{"a user removed", func() map[string]string { return devConfig(t) },
			func() map[string]string { return withUsers(t, devConfig(t), []any{"alice"}) }},
		{"a package mirror set", func() map[string]string { return devConfig(t) },
			func() map[string]string {
				return withMirror(devConfig(t), "https://ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/")
			}},
		{"the package mirror changed", func() map[string]string {
			return withMirror(devConfig(t), "https://ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/")
		},
			func() map[string]string {
				return withMirror(devConfig(t), "https://ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com/pypi/internal/simple/")
			}},
		{"the package mirror removed", func() map[string]string {
			return withMirror(devConfig(t), "https://ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/")
		},
			func() map[string]string { return devConfig(t) }},
		{"the NAT gateway switched off", func() map[string]string { return demoConfig(t) },
			func() map[string]string { return withoutNAT(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, after := run(t, tt.before()), run(t, tt.after())
			assert.Equal(t, one(t, before, domainType, "consumer-domain").Inputs, one(t, after, domainType, "consumer-domain").Inputs,
				"the domain's inputs do not change")

			// A changed script is a new configuration under a new name, and
			// every profile moves to it; the old one is then detached and
			// can be deleted.
			old, changed := one(t, before, lifecycleType, "consumer-jupyterlab-setup"), one(t, after, lifecycleType, "consumer-jupyterlab-setup")
			if old.String("studioLifecycleConfigContent") != changed.String("studioLifecycleConfigContent") {
				assert.NotEqual(t, old.String("studioLifecycleConfigName"), changed.String("studioLifecycleConfigName"))
			} else {
				assert.Equal(t, old.String("studioLifecycleConfigName"), changed.String("studioLifecycleConfigName"))
			}
			for _, profile := range after.OfType(userProfileType) {
				settings := profile.Input("userSettings").(map[string]any)["jupyterLabAppSettings"].(map[string]any)
				assert.Equal(t, []any{changed.Output("arn")}, settings["lifecycleConfigArns"], profile.URN)
			}
		})
	}
}

func TestLifecycleConfigurationIsNamedByItsContent(t *testing.T) {
	result := run(t, devConfig(t))
	lifecycle := one(t, result, lifecycleType, "consumer-jupyterlab-setup")
	script, err := base64.StdEncoding.DecodeString(lifecycle.String("studioLifecycleConfigContent"))
	require.NoError(t, err)
	assert.Equal(t, config.LifecycleConfigName("analytics-studio", string(script)), lifecycle.String("studioLifecycleConfigName"))
	assert.Regexp(t, `^analytics-studio-jupyterlab-[0-9a-f]{8}$`, lifecycle.String("studioLifecycleConfigName"))
	assert.NotEqual(t, config.LifecycleConfigName("analytics-studio", "a"), config.LifecycleConfigName("analytics-studio", "b"))
}

func TestSpacesMayUseTheDomainKey(t *testing.T) {
	result := run(t, devConfig(t))
	keyArn := one(t, result, keyType, "consumer-home-key").Output("arn").(string)
	use := one(t, result, rolePolicyType, "consumer-home-key-use")
	assert.Equal(t, one(t, result, roleType, "consumer-execution-role").ID, use.String("role"))
	doc := parsePolicy(t, use, "policy")
	via := map[string][]string{"kms:ViaService": {"sagemaker.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"}}

	volumes := statement(t, doc, "SpaceVolumesWithTheDomainKey")
	assert.ElementsMatch(t, []string{"kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:ReEncrypt*"}, volumes.Action)
	assert.Equal(t, []string{keyArn}, volumes.Resource, "the domain's key only")
	assert.Equal(t, via, volumes.Condition["StringEquals"])

	grants := statement(t, doc, "GrantsForSpaceVolumes")
	assert.Equal(t, []string{"kms:CreateGrant"}, grants.Action)
	assert.Equal(t, []string{keyArn}, grants.Resource)
	assert.Equal(t, via, grants.Condition["StringEquals"])
	assert.Equal(t, map[string][]string{"kms:GrantIsForAWSResource": {"true"}}, grants.Condition["Bool"])
}

func TestAnExistingS3GatewayIsReused(t *testing.T) {
	const endpointID = "vpce-0a1b2c3d4e5f60718"
	values := withConsumer(t, devConfig(t), func(c map[string]any) { c["vpc"].(map[string]any)["s3GatewayEndpointId"] = endpointID })
	result := run(t, values)
	for _, endpoint := range result.OfType(endpointType) {
		assert.NotEqual(t, "Gateway", endpoint.String("vpcEndpointType"), "no second S3 gateway on the same route tables: %s", endpoint.URN)
	}
	// The Studio groups' egress names the existing endpoint's prefix list.
	clients := one(t, result, securityGroupType, "consumer-studio").ID
	var prefixLists []string
	for _, r := range rulesOf(securityGroupRules(result), clients, true) {
		if r.prefixList != "" {
			prefixLists = append(prefixLists, r.prefixList)
		}
	}
	assert.Len(t, prefixLists, 1)
	assert.Regexp(t, `^pl-[0-9a-f]{8}$`, prefixLists[0])
}

func TestAnExistingS3GatewayThatDoesNotFitIsRefused(t *testing.T) {
	const endpointID = "vpce-0a1b2c3d4e5f60718"
	values := func() map[string]string {
		return withConsumer(t, devConfig(t), func(c map[string]any) { c["vpc"].(map[string]any)["s3GatewayEndpointId"] = endpointID })
	}
	fits := offline.VpcEndpoint{VpcID: "vpc-0c3d4e5f60718293a", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway",
		PrefixListID: "pl-63a5400a", RouteTableIDs: []string{"rtb-0c3d4e5f60718293a"}}
	tests := []struct {
		name     string
		endpoint func(offline.VpcEndpoint) offline.VpcEndpoint
		key      string
	}{
		{"in another VPC", func(e offline.VpcEndpoint) offline.VpcEndpoint { e.VpcID = "vpc-0ffffffffffffffff"; return e }, "consumer.vpc.s3GatewayEndpointId"},
		{"of another service", func(e offline.VpcEndpoint) offline.VpcEndpoint {
			e.ServiceName = "com.amazonaws.us-east-1.dynamodb"
			return e
		}, "consumer.vpc.s3GatewayEndpointId"},
		{"an interface endpoint", func(e offline.VpcEndpoint) offline.VpcEndpoint { e.Type = "Interface"; return e }, "consumer.vpc.s3GatewayEndpointId"},
		{"not on a configured route table", func(e offline.VpcEndpoint) offline.VpcEndpoint { e.RouteTableIDs = nil; return e }, "consumer.vpc.routeTableIds[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result, err := offline.Run(Run, config.Project, "dev", values(), offline.WithVpcEndpoint(endpointID, tt.endpoint(fits)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.key+":")
			for _, r := range result.Resources() {
				assert.Equal(t, offline.ProviderType, r.Type, "nothing but the providers is registered: %s", r.URN)
			}
		})
	}
}

func TestTooManyUsersForTheRegionsSecurityGroupsAreRefused(t *testing.T) {
	result, err := offline.Run(Run, config.Project, "dev", withUsers(t, devConfig(t), userNames(2496)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumer.studio.userProfiles: 2496 user profiles take 2501 security groups")
	assert.Empty(t, result.Resources(), "refused before anything is registered")
}

// TestNoUserActsAsAnotherInStudio evaluates the execution role's boundaries
// for what alice's notebook could try with the one role all users share.
func TestNoUserActsAsAnotherInStudio(t *testing.T) {
	result := run(t, devConfig(t))
	boundaries := one(t, result, rolePolicyType, "consumer-user-boundaries")
	assert.Equal(t, one(t, result, roleType, "consumer-execution-role").ID, boundaries.String("role"))
	doc := parsePolicy(t, boundaries, "policy")
	domainID := one(t, result, domainType, "consumer-domain").ID
	profile := func(name string) string {
		return "arn:aws:sagemaker:us-east-1:" + consumerAccount + ":user-profile/" + domainID + "/" + name
	}
	asAlice := func(action, resource string, context map[string]string) request {
		context["aws:SourceIdentity"] = "alice"
		return request{action: action, resource: resource, context: context}
	}

	assert.True(t, denies(doc, asAlice("sagemaker:CreatePresignedDomainUrl", profile("bob"), map[string]string{})),
		"alice cannot open Studio as bob")
	assert.True(t, denies(doc, asAlice("sagemaker:CreateUserProfile", profile("bob"), map[string]string{})),
		"nor make a profile named bob, whose sessions would carry SourceIdentity bob")
	assert.True(t, denies(doc, asAlice("sagemaker:CreateApp", "*", map[string]string{"sagemaker:OwnerUserProfileArn": profile("bob")})),
		"nor start an app in bob's space")
	assert.False(t, denies(doc, asAlice("sagemaker:CreateApp", "*", map[string]string{"sagemaker:OwnerUserProfileArn": profile("alice")})),
		"her own space's apps are hers")
	assert.False(t, denies(doc, asAlice("sagemaker:CreateApp", "*", map[string]string{})), "shared spaces, which have no owner, stay open")
	assert.False(t, denies(doc, asAlice("sagemaker:CreateTrainingJob", "*", map[string]string{})), "jobs are the guardrails' business")
}

// leaves flattens a property value into its leaf values by dotted path, as
// ignoreChanges names them: userSettings.jupyterLabAppSettings.… .
func leaves(prefix string, value any, into map[string]any) {
	switch v := value.(type) {
	case map[string]any:
		for key, inner := range v {
			path := key
			if prefix != "" {
				path = prefix + "." + key
			}
			leaves(path, inner, into)
		}
	case []any:
		for i, inner := range v {
			leaves(fmt.Sprintf("%s[%d]", prefix, i), inner, into)
		}
	default:
		into[prefix] = v
	}
}

// diffAgainstState is what the provider would update: the input paths whose
// value in the new inputs differs from what the state holds (the outputs AWS
// returned, back-filled values included), leaving out the paths the
// resource's ignoreChanges names. Computed-only outputs (arn, the home UID)
// are not inputs and are not compared.
func diffAgainstState(state, inputs map[string]any, ignored []string) []string {
	was, now := map[string]any{}, map[string]any{}
	for key := range inputs {
		leaves(key, state[key], was)
		leaves(key, inputs[key], now)
	}
	var differing []string
	for path := range mergedKeys(was, now) {
		if was[path] != now[path] && !slices.Contains(ignored, path) {
			differing = append(differing, path)
		}
	}
	slices.Sort(differing)
	return differing
}

func mergedKeys(a, b map[string]any) map[string]bool {
	keys := map[string]bool{}
	for key := range a {
		keys[key] = true
	}
	for key := range b {
		keys[key] = true
	}
	return keys
}

// TestASecondUpLeavesAThousandProfilesAlone deploys 1,000 users, whose
// profiles AWS back-fills with the JupyterLab default image and its alias
// (terraform-provider-aws #39894; the mocks answer so), then runs again with
// one user added: no existing profile has anything to update, because the
// program ignores exactly those two paths.
func TestASecondUpLeavesAThousandProfilesAlone(t *testing.T) {
	t.Parallel()
	users := userNames(1000)
	first := thousandUsers(t, "dev")
	second := run(t, withUsers(t, devConfig(t), append(slices.Clone(users), "newcomer")))

	state := map[string]map[string]any{}
	for _, profile := range first.OfType(userProfileType) {
		state[profile.URN] = profile.Outputs.Mappable()
	}
	require.Len(t, state, 1000)
	backfilled := []string{
		"userSettings.jupyterLabAppSettings.defaultResourceSpec.sagemakerImageArn",
		"userSettings.jupyterLabAppSettings.defaultResourceSpec.sagemakerImageVersionAlias",
	}
	compared := 0
	for _, profile := range second.OfType(userProfileType) {
		was, existed := state[profile.URN]
		if !existed {
			assert.Equal(t, "newcomer", profile.String("userProfileName"))
			continue
		}
		compared++
		inputs := profile.Inputs.Mappable()
		require.Equal(t, backfilled, diffAgainstState(was, inputs, nil),
			"%s: without ignoreChanges the back-filled image and alias alone would differ", profile.URN)
		assert.ElementsMatch(t, backfilled, profile.IgnoreChanges, "%s ignores exactly the back-filled paths", profile.URN)
		assert.Empty(t, diffAgainstState(was, inputs, profile.IgnoreChanges), "%s: nothing to update", profile.URN)
	}
	assert.Equal(t, 1000, compared)
}
