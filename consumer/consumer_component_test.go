package consumer

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// The accounts of every component test: the data account and the ML account.
const (
	producerAccount = "111111111111"
	consumerAccount = "222222222222"
	testRegion      = "us-east-1"
)

// Type tokens the consumer's tests look resources up by.
const (
	roleType              = "aws:iam/role:Role"
	managedPolicyType     = "aws:iam/policy:Policy"
	rolePolicyType        = "aws:iam/rolePolicy:RolePolicy"
	attachmentType        = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	kmsKeyType            = "aws:kms/key:Key"
	kmsAliasType          = "aws:kms/alias:Alias"
	securityGroupType     = "aws:ec2/securityGroup:SecurityGroup"
	ingressRuleType       = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	egressRuleType        = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	vpcEndpointType       = "aws:ec2/vpcEndpoint:VpcEndpoint"
	domainType            = "aws:sagemaker/domain:Domain"
	userProfileType       = "aws:sagemaker/userProfile:UserProfile"
	lifecycleConfigType   = "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig"
	consumerComponentType = "studioredshift:index:Consumer"
)

// consumerFixture is a consumer side as program/ builds it for a stack with
// two users, a peered producer VPC and no NAT gateway.
func consumerFixture() *ConsumerArgs {
	return &ConsumerArgs{
		Region:          testRegion,
		Account:         consumerAccount,
		ProducerAccount: producerAccount,
		VpcID:           pulumi.String("vpc-0a1b2c3d4e5f60718"),
		SubnetIDs:       pulumi.StringArray{pulumi.String("subnet-0a1b2c3d4e5f60711"), pulumi.String("subnet-0a1b2c3d4e5f60722")},
		RouteTableIDs:   pulumi.StringArray{pulumi.String("rtb-0a1b2c3d4e5f60711"), pulumi.String("rtb-0a1b2c3d4e5f60722")},
		InterfaceEndpoints: []string{
			"sagemaker.api", "sagemaker.runtime", "studio", "sts", "logs",
		},
		DomainName:              "ml-team-a",
		UserProfiles:            []string{"alice", "bob"},
		ExecutionRolePolicyArns: []string{"arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"},
		ProducerCIDR:            "10.20.0.0/16",
		RedshiftPort:            5439,
		Protect:                 true,
		Team: StudioTeam{
			IdleTimeoutMinutes: 60,
			InstanceTypes:      []string{"ml.t3.medium", "ml.m5.large"},
			SpaceStorageGb:     20,
			UserDataBucket:     "studio-users-caab89fc-222222222222-us-east-1",
		},
	}
}

// runConsumer registers the Consumer in the consumer account and exports
// every output of its Go struct under the struct's pulumi tag.
func runConsumer(t *testing.T, args *ConsumerArgs) *offline.Result {
	t.Helper()
	result, err := runConsumerErr(args)
	require.NoError(t, err)
	return result
}

func runConsumerErr(args *ConsumerArgs) (*offline.Result, error) {
	return offline.RunComponent(func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error {
		c, err := NewConsumer(ctx, "consumer", args, pulumi.Provider(providers[0]))
		if err != nil {
			return err
		}
		ctx.Export("executionRoleArn", c.ExecutionRoleArn)
		ctx.Export("userDataBucket", c.UserDataBucket)
		ctx.Export("executionRoleName", c.ExecutionRoleName)
		ctx.Export("domainId", c.DomainID)
		ctx.Export("domainUrl", c.DomainURL)
		ctx.Export("kmsKeyArn", c.KmsKeyArn)
		ctx.Export("studioSecurityGroupIds", c.StudioSecurityGroupIDs)
		ctx.Export("clientsSecurityGroupId", c.ClientsSecurityGroupID)
		ctx.Export("jobsSecurityGroupId", c.JobsSecurityGroupID)
		ctx.Export("endpointSecurityGroupId", c.EndpointSecurityGroupID)
		ctx.Export("userProfileNames", c.UserProfileNames)
		ctx.Export("sageMakerEndpointIds", c.SageMakerEndpointIDs)
		ctx.Export("signInPolicyArn", c.SignInPolicyArn)
		return nil
	}, testRegion, consumerAccount)
}

// mustNamed finds one resource by type and logical name.
func mustNamed(t *testing.T, result *offline.Result, typ, name string) offline.Resource {
	t.Helper()
	r, ok := result.Named(typ, name)
	require.True(t, ok, "%s %s is registered", typ, name)
	return r
}

// parentType is the type of a resource's parent.
func parentType(t *testing.T, result *offline.Result, r offline.Resource) string {
	t.Helper()
	parent, ok := result.ByURN(r.Parent)
	require.True(t, ok, "%s has a registered parent", r.Name)
	return parent.Type
}

// document parses a JSON policy input.
func document(t *testing.T, text string) policy.Document {
	t.Helper()
	require.NotEmpty(t, text, "a policy document")
	var d policy.Document
	require.NoError(t, json.Unmarshal([]byte(text), &d))
	require.Equal(t, policy.Version, d.Version)
	return d
}

// statement finds a statement by its Sid.
func statement(t *testing.T, d policy.Document, sid string) policy.Statement {
	t.Helper()
	for _, s := range d.Statement {
		if s.Sid == sid {
			return s
		}
	}
	require.Failf(t, "no statement", "Sid %s in %+v", sid, d)
	return policy.Statement{}
}

func sids(d policy.Document) []string {
	var out []string
	for _, s := range d.Statement {
		out = append(out, s.Sid)
	}
	return out
}

// strs reads a list input ([]any of strings) as []string.
func strs(value any) []string {
	list, _ := value.([]any)
	out := make([]string, 0, len(list))
	for _, v := range list {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// field walks nested map inputs: field(r.Input("a"), "b", "c").
func field(value any, path ...string) any {
	for _, key := range path {
		m, ok := value.(map[string]any)
		if !ok {
			return nil
		}
		value = m[key]
	}
	return value
}

// TestConsumerChildrenAreInTheConsumerAccount: every AWS resource of the
// component is its child (directly, or through its own LogBucket) and lands
// in the account of the provider it was given.
func TestConsumerChildrenAreInTheConsumerAccount(t *testing.T) {
	result := runConsumer(t, consumerFixture())
	count := 0
	for _, r := range result.Resources() {
		if !r.InAWS() {
			continue
		}
		count++
		assert.Equal(t, consumerAccount, r.Account, "%s %s", r.Type, r.Name)
		assert.Equal(t, testRegion, r.Region, "%s %s", r.Type, r.Name)
		// The ML account's log bucket is a LogBucket component of its own,
		// itself the Consumer's child.
		owner := parentType(t, result, r)
		if owner == "studioredshift:index:LogBucket" {
			bucket, ok := result.ByURN(r.Parent)
			require.True(t, ok)
			owner = parentType(t, result, bucket)
		}
		assert.Equal(t, consumerComponentType, owner, "%s %s is the Consumer's child", r.Type, r.Name)
		assert.True(t, strings.HasPrefix(r.Name, "consumer-"), "%s is named after the component", r.Name)
	}
	assert.Greater(t, count, 30, "the role, key, groups, rules, endpoints, domain and profiles")
}

// TestConsumerExecutionRole: the one role every user's apps run as, which
// SageMaker alone assumes, and with SetSourceIdentity; the configured managed
// policies attached by their name.
func TestConsumerExecutionRole(t *testing.T) {
	result := runConsumer(t, consumerFixture())
	roles := result.OfType(roleType)
	require.Len(t, roles, 1, "one execution role for every user")
	role := roles[0]
	assert.Equal(t, "consumer-execution-role", role.Name)
	assert.Contains(t, role.String("description"), "ml-team-a")

	trust := document(t, role.String("assumeRolePolicy"))
	require.Len(t, trust.Statement, 1)
	s := trust.Statement[0]
	assert.Equal(t, policy.Allow, s.Effect)
	require.NotNil(t, s.Principal)
	assert.Equal(t, []string{"sagemaker.amazonaws.com"}, s.Principal.Service)
	assert.Empty(t, s.Principal.AWS, "no account or role may assume it")
	assert.ElementsMatch(t, []string{"sts:AssumeRole", "sts:SetSourceIdentity"}, s.Action,
		"ExecutionRoleIdentityConfig needs SetSourceIdentity in the trust")

	attachment := mustNamed(t, result, attachmentType, "consumer-execution-role-AmazonSageMakerFullAccess")
	assert.Equal(t, role.ID, attachment.String("role"))
	assert.Equal(t, "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", attachment.String("policyArn"))
	assert.Len(t, result.OfType(attachmentType), 1, "only the configured policies")

	withoutPolicies := consumerFixture()
	withoutPolicies.ExecutionRolePolicyArns = nil
	assert.Empty(t, runConsumer(t, withoutPolicies).OfType(attachmentType), "empty attaches none")
}

// TestConsumerUserGroupsAdmitOnlyThemselves: each user's group has exactly
// two rules, both naming the group itself on the app ports; the clients
// group on every app has no ingress at all; no ingress rule admits a CIDR.
func TestConsumerUserGroupsAdmitOnlyThemselves(t *testing.T) {
	args := consumerFixture()
	args.UserProfiles = []string{"alice", "bob", "carol"}
	result := runConsumer(t, args)

	groupIDs := map[string]string{} // logical name → ID
	for _, group := range result.OfType(securityGroupType) {
		groupIDs[group.Name] = group.ID
		assert.Equal(t, "vpc-0a1b2c3d4e5f60718", group.String("vpcId"))
		assert.Equal(t, true, group.Input("revokeRulesOnDelete"), "%s: rules revoked first, so a destroy can delete the groups", group.Name)
	}
	assert.Len(t, groupIDs, 3+3, "endpoints, clients, jobs and one per user")

	rulesOf := map[string][]offline.Resource{} // group ID → its rules
	for _, typ := range []string{ingressRuleType, egressRuleType} {
		for _, r := range result.OfType(typ) {
			rulesOf[r.String("securityGroupId")] = append(rulesOf[r.String("securityGroupId")], r)
		}
	}
	for _, user := range args.UserProfiles {
		own := groupIDs["consumer-studio-"+user]
		require.NotEmpty(t, own, user)
		rules := rulesOf[own]
		require.Len(t, rules, 2, "%s's group: one rule in, one out", user)
		for _, r := range rules {
			assert.Equal(t, own, r.String("referencedSecurityGroupId"), "%s: %s names %s's own group, no other", user, r.Name, user)
			assert.Equal(t, "tcp", r.String("ipProtocol"))
			assert.Equal(t, float64(8192), r.Input("fromPort"))
			assert.Equal(t, float64(65535), r.Input("toPort"))
			assert.Empty(t, r.String("cidrIpv4"))
		}
		mustNamed(t, result, ingressRuleType, "consumer-studio-"+user+"-apps-in")
		mustNamed(t, result, egressRuleType, "consumer-studio-"+user+"-apps-out")
	}

	clients := groupIDs["consumer-studio"]
	for _, r := range result.OfType(ingressRuleType) {
		assert.NotEqual(t, clients, r.String("securityGroupId"), "%s: the clients group, on every user's apps, admits nothing", r.Name)
		assert.Empty(t, r.String("cidrIpv4"), "%s: no ingress from an address range", r.Name)
		assert.Empty(t, r.String("prefixListId"), "%s", r.Name)
		assert.NotEmpty(t, r.String("referencedSecurityGroupId"), "%s admits a group", r.Name)
	}
	for _, r := range rulesOf[clients] {
		assert.NotEqual(t, clients, r.String("referencedSecurityGroupId"), "%s: the clients group never names itself", r.Name)
	}

	// The endpoints admit the clients and jobs groups, one rule each,
	// whatever the number of users.
	endpointIngress := []string{}
	for _, r := range result.OfType(ingressRuleType) {
		if r.String("securityGroupId") == groupIDs["consumer-endpoints"] {
			endpointIngress = append(endpointIngress, r.String("referencedSecurityGroupId"))
			assert.Equal(t, float64(443), r.Input("fromPort"))
		}
	}
	assert.ElementsMatch(t, []string{clients, groupIDs["consumer-jobs"]}, endpointIngress)
}

// TestConsumerEgressVariants: the peering and the NAT gateway each add one
// way out per Studio group, and nothing else.
func TestConsumerEgressVariants(t *testing.T) {
	for _, tc := range []struct {
		name           string
		producerCIDR   string
		internetEgress bool
	}{
		{"closed, no peering", "", false},
		{"peered producer VPC", "10.20.0.0/16", false},
		{"NAT gateway", "", true},
		{"both", "10.20.0.0/16", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := consumerFixture()
			args.ProducerCIDR, args.InternetEgress = tc.producerCIDR, tc.internetEgress
			result := runConsumer(t, args)
			for _, group := range []string{"consumer-studio", "consumer-jobs"} {
				redshift, hasRedshift := result.Named(egressRuleType, group+"-redshift-out")
				assert.Equal(t, tc.producerCIDR != "", hasRedshift, "%s: Redshift rule only over a peering", group)
				if hasRedshift {
					assert.Equal(t, tc.producerCIDR, redshift.String("cidrIpv4"))
					assert.Equal(t, float64(5439), redshift.Input("fromPort"))
					assert.Equal(t, float64(5439), redshift.Input("toPort"))
				}
				internet, hasInternet := result.Named(egressRuleType, group+"-internet-out")
				assert.Equal(t, tc.internetEgress, hasInternet, "%s: internet only with a NAT gateway", group)
				if hasInternet {
					assert.Equal(t, "0.0.0.0/0", internet.String("cidrIpv4"))
					assert.Equal(t, float64(443), internet.Input("fromPort"), "HTTPS only")
				}
			}
			for _, r := range result.OfType(ingressRuleType) {
				assert.Empty(t, r.String("cidrIpv4"), "%s: egress options never open ingress", r.Name)
			}
		})
	}
}

// TestConsumerEndpoints: one interface endpoint per service with private DNS
// in the Studio subnets behind the endpoint group, each with a policy that
// admits the stack's accounts only; the S3 gateway on the route tables, or
// the VPC's own prefix list instead.
func TestConsumerEndpoints(t *testing.T) {
	args := consumerFixture()
	result := runConsumer(t, args)
	endpointGroup := mustNamed(t, result, securityGroupType, "consumer-endpoints")
	accounts := []string{consumerAccount, producerAccount}

	for _, service := range args.InterfaceEndpoints {
		endpoint := mustNamed(t, result, vpcEndpointType, "consumer-endpoint-"+strings.ReplaceAll(service, ".", "-"))
		serviceName := "com.amazonaws.us-east-1." + service
		if service == "studio" {
			serviceName = "aws.sagemaker.us-east-1.studio" // AWS names Studio's web UI service so
		}
		assert.Equal(t, serviceName, endpoint.String("serviceName"))
		assert.Equal(t, "Interface", endpoint.String("vpcEndpointType"))
		assert.Equal(t, true, endpoint.Input("privateDnsEnabled"))
		assert.Equal(t, []string{"subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"}, strs(endpoint.Input("subnetIds")))
		assert.Equal(t, []string{endpointGroup.ID}, strs(endpoint.Input("securityGroupIds")))

		d := document(t, endpoint.String("policy"))
		require.Len(t, d.Statement, 1, service)
		s := d.Statement[0]
		assert.Equal(t, policy.Allow, s.Effect)
		assert.ElementsMatch(t, accounts, s.Condition["StringEquals"]["aws:PrincipalAccount"], service)
		if service == "studio" || strings.HasPrefix(service, "sagemaker.") {
			assert.NotContains(t, s.Condition["StringEquals"], "aws:ResourceAccount",
				"the web UI, and SageMaker's API, which reads AWS-owned images and hubs, are held by their principal only")
		} else {
			assert.ElementsMatch(t, accounts, s.Condition["StringEquals"]["aws:ResourceAccount"], service)
		}
	}

	gateway := mustNamed(t, result, vpcEndpointType, "consumer-endpoint-s3")
	assert.Equal(t, "Gateway", gateway.String("vpcEndpointType"))
	assert.Equal(t, []string{"rtb-0a1b2c3d4e5f60711", "rtb-0a1b2c3d4e5f60722"}, strs(gateway.Input("routeTableIds")))
	gatewayPolicy := document(t, gateway.String("policy"))
	stack := statement(t, gatewayPolicy, "StackAccountsOnly")
	assert.Equal(t, []string{"s3:*"}, stack.Action)
	assert.ElementsMatch(t, accounts, stack.Condition["StringEquals"]["aws:ResourceAccount"])
	assert.Len(t, result.OfType(vpcEndpointType), len(args.InterfaceEndpoints)+1)

	s3Out := mustNamed(t, result, egressRuleType, "consumer-studio-s3-out")
	assert.Equal(t, gateway.Output("prefixListId"), s3Out.String("prefixListId"), "Studio reaches S3 through its gateway")
}

// TestConsumerS3Variants: the VPC's own S3 gateway replaces the created one;
// named buckets narrow the created one's policy.
func TestConsumerS3Variants(t *testing.T) {
	t.Run("existing gateway", func(t *testing.T) {
		args := consumerFixture()
		args.S3PrefixListID = pulumi.String("pl-63a5400a")
		result := runConsumer(t, args)
		_, created := result.Named(vpcEndpointType, "consumer-endpoint-s3")
		assert.False(t, created, "a route table takes one S3 gateway: the VPC's own serves")
		for _, group := range []string{"consumer-studio", "consumer-jobs"} {
			assert.Equal(t, "pl-63a5400a", mustNamed(t, result, egressRuleType, group+"-s3-out").String("prefixListId"))
		}
	})
	t.Run("named buckets", func(t *testing.T) {
		args := consumerFixture()
		args.S3EndpointBuckets = []string{"team-a-datasets", "team-a-models"}
		result := runConsumer(t, args)
		d := document(t, mustNamed(t, result, vpcEndpointType, "consumer-endpoint-s3").String("policy"))
		assert.Equal(t, []string{"NamedBucketsOnly"}, sids(d))
		assert.Equal(t, []string{
			"arn:aws:s3:::team-a-datasets", "arn:aws:s3:::team-a-datasets/*",
			"arn:aws:s3:::team-a-models", "arn:aws:s3:::team-a-models/*",
		}, d.Statement[0].Resource)
		assert.ElementsMatch(t, []string{consumerAccount, producerAccount}, d.Statement[0].Condition["StringEquals"]["aws:PrincipalAccount"])
	})
}

// TestConsumerSageMakerEndpointIDs: the output lists the sagemaker.*
// endpoints, and only those.
func TestConsumerSageMakerEndpointIDs(t *testing.T) {
	result := runConsumer(t, consumerFixture())
	api := mustNamed(t, result, vpcEndpointType, "consumer-endpoint-sagemaker-api")
	runtime := mustNamed(t, result, vpcEndpointType, "consumer-endpoint-sagemaker-runtime")
	assert.Equal(t, []any{api.ID, runtime.ID}, result.Outputs["sageMakerEndpointIds"])
}

// TestConsumerDomain: VpcOnly with IAM sign-in, the home key, the clients
// group as the only default, SourceIdentity from the profile name, home
// directories retained, and protect as configured.
func TestConsumerDomain(t *testing.T) {
	for _, protect := range []bool{true, false} {
		t.Run(fmt.Sprintf("protect=%v", protect), func(t *testing.T) {
			args := consumerFixture()
			args.Protect = protect
			result := runConsumer(t, args)
			domain := mustNamed(t, result, domainType, "consumer-domain")
			role := mustNamed(t, result, roleType, "consumer-execution-role")
			key := mustNamed(t, result, kmsKeyType, "consumer-home-key")
			clients := mustNamed(t, result, securityGroupType, "consumer-studio")

			assert.Equal(t, protect, domain.Protect, "the domain holds every user's home")
			assert.Equal(t, "ml-team-a", domain.String("domainName"))
			assert.Equal(t, "IAM", domain.String("authMode"))
			assert.Equal(t, "VpcOnly", domain.String("appNetworkAccessType"))
			assert.Equal(t, "vpc-0a1b2c3d4e5f60718", domain.String("vpcId"))
			assert.Equal(t, []string{"subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"}, strs(domain.Input("subnetIds")))
			assert.Equal(t, key.Output("arn"), domain.String("kmsKeyId"))
			assert.Equal(t, "USER_PROFILE_NAME", field(domain.Input("domainSettings"), "executionRoleIdentityConfig"))
			assert.Equal(t, []string{clients.ID}, strs(field(domain.Input("domainSettings"), "securityGroupIds")))
			for _, settings := range []string{"defaultUserSettings", "defaultSpaceSettings"} {
				assert.Equal(t, role.Output("arn"), field(domain.Input(settings), "executionRole"), settings)
				assert.Equal(t, []string{clients.ID}, strs(field(domain.Input(settings), "securityGroups")),
					"%s: only the clients group, which admits no one, sits on every user's apps", settings)
			}
			assert.Equal(t, "Retain", field(domain.Input("retentionPolicy"), "homeEfsFileSystem"))
		})
	}
}

// TestConsumerDomainInputsHoldAcrossChanges: what changes week to week (the
// users, the NAT gateway, the peering, the lifecycle script, the package
// mirror) leaves every input of the domain as it was: the provider cannot
// update a VpcOnly domain in place (terraform-provider-aws #45528), and its
// VPC, subnets, key and groups replace it (#48778).
func TestConsumerDomainInputsHoldAcrossChanges(t *testing.T) {
	before := runConsumer(t, consumerFixture())

	changed := consumerFixture()
	changed.UserProfiles = []string{"alice", "carol", "dave"}
	changed.InternetEgress = true
	changed.ProducerCIDR = ""
	changed.ExecutionRolePolicyArns = nil
	changed.LifecycleScript = "#!/bin/bash\npip install --quiet redshift_connector\n"
	changed.PackageMirror = &config.Mirror{
		IndexURL:     "https://ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/",
		CodeArtifact: &config.CodeArtifact{Domain: "ml-packages", Owner: "333333333333", Region: testRegion, Repository: "pypi-store"},
	}
	after := runConsumer(t, changed)

	domainBefore := mustNamed(t, before, domainType, "consumer-domain")
	domainAfter := mustNamed(t, after, domainType, "consumer-domain")
	assert.Equal(t, domainBefore.Inputs.Mappable(), domainAfter.Inputs.Mappable())
	for _, name := range []string{"consumer-studio", "consumer-jobs", "consumer-endpoints"} {
		assert.Equal(t, mustNamed(t, before, securityGroupType, name).Inputs.Mappable(), mustNamed(t, after, securityGroupType, name).Inputs.Mappable(),
			"%s: its description forces a new group, and a new clients group a new domain", name)
	}
	assert.Equal(t, mustNamed(t, before, kmsKeyType, "consumer-home-key").Inputs.Mappable(), mustNamed(t, after, kmsKeyType, "consumer-home-key").Inputs.Mappable())

	// What did change: the profiles and their groups follow the users.
	_, bob := after.Named(userProfileType, "consumer-user-bob")
	assert.False(t, bob, "bob is gone")
	_, dave := after.Named(securityGroupType, "consumer-studio-dave")
	assert.True(t, dave, "dave has his own group")
	assert.Equal(t, []any{"alice", "carol", "dave"}, after.Outputs["userProfileNames"])
}

// TestConsumerUserProfiles: one profile per user in the domain, running as the
// execution role, with the user's own group; the backfilled image paths are
// ignored; with a lifecycle script it is each profile's default, and the
// configuration outlives its replacement.
func TestConsumerUserProfiles(t *testing.T) {
	for _, script := range []string{"", "#!/bin/bash\npip install --quiet redshift_connector\n"} {
		t.Run(fmt.Sprintf("lifecycle=%v", script != ""), func(t *testing.T) {
			args := consumerFixture()
			args.LifecycleScript = script
			result := runConsumer(t, args)
			domain := mustNamed(t, result, domainType, "consumer-domain")
			role := mustNamed(t, result, roleType, "consumer-execution-role")
			lifecycle, hasLifecycle := result.Named(lifecycleConfigType, "consumer-jupyterlab-setup")
			assert.Equal(t, script != "", hasLifecycle)
			if hasLifecycle {
				assert.True(t, lifecycle.RetainOnDelete, "AWS refuses to delete a configuration running apps started with")
				assert.Equal(t, "JupyterLab", lifecycle.String("studioLifecycleConfigAppType"))
				assert.Equal(t, config.LifecycleConfigName("ml-team-a", script), lifecycle.String("studioLifecycleConfigName"))
			}

			require.Len(t, result.OfType(userProfileType), len(args.UserProfiles))
			for _, user := range args.UserProfiles {
				profile := mustNamed(t, result, userProfileType, "consumer-user-"+user)
				own := mustNamed(t, result, securityGroupType, "consumer-studio-"+user)
				assert.Equal(t, user, profile.String("userProfileName"))
				assert.Equal(t, domain.ID, profile.String("domainId"))
				settings := profile.Input("userSettings")
				assert.Equal(t, role.Output("arn"), field(settings, "executionRole"))
				assert.Equal(t, []string{own.ID}, strs(field(settings, "securityGroups")), "%s's own group, and no other user's", user)
				assert.Equal(t, BackfilledProfilePaths, profile.IgnoreChanges)
				lab := field(settings, "jupyterLabAppSettings")
				if hasLifecycle {
					arn := lifecycle.Output("arn")
					assert.Equal(t, arn, field(lab, "defaultResourceSpec", "lifecycleConfigArn"))
					assert.Equal(t, []any{arn}, field(lab, "lifecycleConfigArns"))
				} else {
					assert.Nil(t, field(lab, "lifecycleConfigArns"), "no script, no lifecycle configuration")
					assert.Nil(t, field(lab, "defaultResourceSpec", "lifecycleConfigArn"))
				}
			}
		})
	}
}

// TestConsumerSignInPolicy: a managed policy, attached to nothing, that opens
// Studio in this domain as the profile the principal tag names.
func TestConsumerSignInPolicy(t *testing.T) {
	result := runConsumer(t, consumerFixture())
	domain := mustNamed(t, result, domainType, "consumer-domain")
	signIn := mustNamed(t, result, managedPolicyType, "consumer-sign-in")
	assert.Contains(t, signIn.String("description"), "ml-team-a")
	for _, attachment := range result.OfType(attachmentType) {
		assert.NotEqual(t, signIn.Output("arn"), attachment.String("policyArn"), "the identity provider's roles carry it, not the execution role")
	}

	d := document(t, signIn.String("policy"))
	ownProfile := "arn:aws:sagemaker:us-east-1:222222222222:user-profile/" + domain.ID + "/${aws:PrincipalTag/studio-user}"
	open := statement(t, d, "OpenStudioAsOwnProfile")
	assert.Equal(t, policy.Allow, open.Effect)
	assert.Equal(t, []string{"sagemaker:CreatePresignedDomainUrl"}, open.Action)
	assert.Equal(t, []string{ownProfile}, open.Resource, "the domain's ID, resolved, and the tag's variable as written")
	assert.Equal(t, []string{"false"}, open.Condition["Null"]["aws:PrincipalTag/studio-user"])
	other := statement(t, d, "DenyStudioAsAnotherProfile")
	assert.Equal(t, policy.Deny, other.Effect)
	assert.Equal(t, []string{ownProfile}, other.NotResource)
	read := statement(t, d, "ReadTheLaunchPage")
	assert.Contains(t, read.Resource, "arn:aws:sagemaker:us-east-1:222222222222:domain/"+domain.ID)
	assert.Equal(t, signIn.Output("arn"), result.Outputs["signInPolicyArn"])
}

// TestConsumerUserBoundaries: the execution role's inline denies name this
// domain's profiles through the session's SourceIdentity.
func TestConsumerUserBoundaries(t *testing.T) {
	result := runConsumer(t, consumerFixture())
	domain := mustNamed(t, result, domainType, "consumer-domain")
	role := mustNamed(t, result, roleType, "consumer-execution-role")
	boundaries := mustNamed(t, result, rolePolicyType, "consumer-user-boundaries")
	assert.Equal(t, role.ID, boundaries.String("role"))

	d := document(t, boundaries.String("policy"))
	assert.ElementsMatch(t, []string{
		"DenyStudioSignIn", "DenyDomainAndProfileChanges", "DenyOtherUsersAppsAndSpaces",
		"DenyRemoteAccessToOtherUsersSpaces", "DenyReservedTagChanges", "DenySpacesWithoutSourceIdentity",
	}, sids(d))
	assert.Equal(t, policy.Condition{"ForAnyValue:StringLike": {"aws:TagKeys": {"sagemaker:*", "studio-user"}}},
		statement(t, d, "DenyReservedTagChanges").Condition, "SageMaker's tags and the cost tag are not the role's to change")
	for _, s := range d.Statement {
		assert.Equal(t, policy.Deny, s.Effect, s.Sid)
	}
	ownProfile := "arn:aws:sagemaker:us-east-1:222222222222:user-profile/" + domain.ID + "/${aws:SourceIdentity}"
	assert.Equal(t, []string{ownProfile}, statement(t, d, "DenyOtherUsersAppsAndSpaces").Condition["ArnNotLike"]["sagemaker:OwnerUserProfileArn"])
	assert.Equal(t, []string{ownProfile}, statement(t, d, "DenyRemoteAccessToOtherUsersSpaces").Condition["ArnNotLike"]["sagemaker:ResourceTag/sagemaker:user-profile-arn"])
	assert.Contains(t, statement(t, d, "DenyStudioSignIn").Action, "sagemaker:CreatePresignedDomainUrl")
}

// TestConsumerHomeKey: the home EFS key is protected as configured and
// always retained, rotates, has an alias after the domain, and the execution
// role may use it through SageMaker and EC2 only.
func TestConsumerHomeKey(t *testing.T) {
	for _, protect := range []bool{true, false} {
		t.Run(fmt.Sprintf("protect=%v", protect), func(t *testing.T) {
			args := consumerFixture()
			args.Protect = protect
			result := runConsumer(t, args)
			key := mustNamed(t, result, kmsKeyType, "consumer-home-key")
			assert.Equal(t, protect, key.Protect)
			assert.True(t, key.RetainOnDelete, "a deleted key makes the retained home directories unreadable")
			assert.Equal(t, true, key.Input("enableKeyRotation"))

			alias := mustNamed(t, result, kmsAliasType, "consumer-home-key")
			assert.Equal(t, "alias/ml-team-a-home-", alias.String("namePrefix"))
			assert.Equal(t, key.ID, alias.String("targetKeyId"))

			use := mustNamed(t, result, rolePolicyType, "consumer-home-key-use")
			assert.Equal(t, mustNamed(t, result, roleType, "consumer-execution-role").ID, use.String("role"))
			d := document(t, use.String("policy"))
			require.Len(t, d.Statement, 2)
			for _, s := range d.Statement {
				assert.Equal(t, []string{key.Output("arn").(string)}, s.Resource, "%s: the home key only", s.Sid)
				assert.ElementsMatch(t, []string{"sagemaker.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"},
					s.Condition["StringEquals"]["kms:ViaService"], s.Sid)
			}
			assert.Equal(t, []string{"true"}, statement(t, d, "GrantsForSpaceVolumes").Condition["Bool"]["kms:GrantIsForAWSResource"])
		})
	}
}

// TestConsumerPackageMirror: a CodeArtifact mirror gets the execution role
// the right to read that repository, and its endpoints admit it; another
// index needs no permission.
func TestConsumerPackageMirror(t *testing.T) {
	repo := &config.CodeArtifact{Domain: "ml-packages", Owner: "333333333333", Region: testRegion, Repository: "pypi-store"}
	for _, tc := range []struct {
		name   string
		mirror *config.Mirror
		policy bool
	}{
		{"none", nil, false},
		{"plain index", &config.Mirror{IndexURL: "https://pypi.example.com/simple/"}, false},
		{"CodeArtifact of the ML account", &config.Mirror{IndexURL: "https://ml-packages-222222222222.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/",
			CodeArtifact: &config.CodeArtifact{Domain: "ml-packages", Owner: consumerAccount, Region: testRegion, Repository: "pypi-store"}}, true},
		{"CodeArtifact", &config.Mirror{IndexURL: "https://ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/", CodeArtifact: repo}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := consumerFixture()
			args.PackageMirror = tc.mirror
			if tc.policy {
				args.InterfaceEndpoints = append(args.InterfaceEndpoints, "codeartifact.api", "codeartifact.repositories")
			}
			result := runConsumer(t, args)
			mirror, ok := result.Named(rolePolicyType, "consumer-package-mirror")
			assert.Equal(t, tc.policy, ok)
			if !ok {
				return
			}
			d := document(t, mirror.String("policy"))

			owner := tc.mirror.CodeArtifact.Owner
			repository := "arn:aws:codeartifact:us-east-1:" + owner + ":repository/ml-packages/pypi-store"
			assert.Equal(t, []string{"arn:aws:codeartifact:us-east-1:" + owner + ":domain/ml-packages"}, statement(t, d, "CodeArtifactToken").Resource)
			assert.Equal(t, []string{repository}, statement(t, d, "CodeArtifactRead").Resource)
			bearer := statement(t, d, "CodeArtifactBearerToken")
			assert.Equal(t, []string{"codeartifact.amazonaws.com"}, bearer.Condition["StringEquals"]["sts:AWSServiceName"])

			endpoint := document(t, mustNamed(t, result, vpcEndpointType, "consumer-endpoint-codeartifact-api").String("policy"))
			if owner == consumerAccount {
				assert.Equal(t, []string{"StackAccountsOnly"}, sids(endpoint), "the stack's own repository needs no statement of its own")
				return
			}
			// The repository's owner is outside the stack's accounts: the
			// endpoint admits the stack's principals to it by name.
			read := statement(t, endpoint, "PackageRepositoryRead")
			assert.Equal(t, []string{repository}, read.Resource)
			assert.ElementsMatch(t, []string{consumerAccount, producerAccount}, read.Condition["StringEquals"]["aws:PrincipalAccount"])
		})
	}
}

// TestConsumerSingleAccountPerimeter: a stack whose producer is its own
// account names that account once in every endpoint policy.
func TestConsumerSingleAccountPerimeter(t *testing.T) {
	args := consumerFixture()
	args.ProducerAccount = consumerAccount
	result := runConsumer(t, args)
	for _, endpoint := range result.OfType(vpcEndpointType) {
		d := document(t, endpoint.String("policy"))
		for _, s := range d.Statement {
			if accounts, ok := s.Condition["StringEquals"]["aws:PrincipalAccount"]; ok {
				assert.Equal(t, []string{consumerAccount}, accounts, "%s %s", endpoint.Name, s.Sid)
			}
		}
	}
}

// TestConsumerOutputs: every output of the Go struct resolves to the
// resource it names.
func TestConsumerOutputs(t *testing.T) {
	result := runConsumer(t, consumerFixture())
	role := mustNamed(t, result, roleType, "consumer-execution-role")
	domain := mustNamed(t, result, domainType, "consumer-domain")
	key := mustNamed(t, result, kmsKeyType, "consumer-home-key")
	clients := mustNamed(t, result, securityGroupType, "consumer-studio")
	jobs := mustNamed(t, result, securityGroupType, "consumer-jobs")
	endpoints := mustNamed(t, result, securityGroupType, "consumer-endpoints")

	assert.Equal(t, role.Output("arn"), result.Outputs["executionRoleArn"])
	assert.Equal(t, role.ID, result.Outputs["executionRoleName"])
	assert.Equal(t, domain.ID, result.Outputs["domainId"])
	assert.Equal(t, domain.Output("url"), result.Outputs["domainUrl"])
	assert.Equal(t, key.Output("arn"), result.Outputs["kmsKeyArn"])
	assert.Equal(t, clients.ID, result.Outputs["clientsSecurityGroupId"])
	assert.Equal(t, jobs.ID, result.Outputs["jobsSecurityGroupId"])
	assert.Equal(t, []any{clients.ID, jobs.ID}, result.Outputs["studioSecurityGroupIds"],
		"the groups jobs and models may use: no user's own group")
	assert.Equal(t, endpoints.ID, result.Outputs["endpointSecurityGroupId"])
	assert.Equal(t, []any{"alice", "bob"}, result.Outputs["userProfileNames"])
	assert.Equal(t, mustNamed(t, result, managedPolicyType, "consumer-sign-in").Output("arn"), result.Outputs["signInPolicyArn"])
}

// TestConsumerRefusesAnOversizedGatewayPolicy: named buckets beyond what an
// endpoint policy holds are refused before the endpoint is registered, with
// the key to change.
func TestConsumerRefusesAnOversizedGatewayPolicy(t *testing.T) {
	args := consumerFixture()
	for i := range 400 {
		args.S3EndpointBuckets = append(args.S3EndpointBuckets, fmt.Sprintf("team-a-datasets-of-a-long-bucket-name-%03d", i))
	}
	result, err := runConsumerErr(args)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s3 endpoint policy")
	assert.Contains(t, err.Error(), "name fewer buckets in consumer.vpc.s3EndpointBuckets")
	_, registered := result.Named(vpcEndpointType, "consumer-endpoint-s3")
	assert.False(t, registered)
}
