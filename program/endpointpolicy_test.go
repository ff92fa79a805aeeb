package program

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
	"github.com/studio-redshift/studio-redshift/internal/quota"
)

// The dev stack's accounts, and one that is not the stack's.
const (
	mlAccount    = "222222222222"
	dataAccount  = "111111111111"
	otherAccount = "333333333333"
)

// endpointPolicies are the parsed policies of a run's VPC endpoints, by
// logical name; every endpoint must have one.
func endpointPolicies(t *testing.T, result *offline.Result) map[string]policy.Document {
	t.Helper()
	policies := map[string]policy.Document{}
	for _, endpoint := range result.OfType(endpointType) {
		require.NotEmpty(t, endpoint.String("policy"), "%s keeps AWS's full-access default", endpoint.URN)
		policies[endpoint.Name] = parsePolicy(t, endpoint, "policy")
	}
	return policies
}

// throughEndpoint is a request of a principal of one account to a resource
// of another, as the endpoint policy sees it. An empty account leaves its key
// out of the request context.
func throughEndpoint(action, resource, principalAccount, resourceAccount string) request {
	context := map[string]string{}
	principal := "*"
	if principalAccount != "" {
		context["aws:PrincipalAccount"] = principalAccount
		principal = fmt.Sprintf("arn:aws:sts::%s:assumed-role/consumer-execution-role/alice", principalAccount)
	}
	if resourceAccount != "" {
		context["aws:ResourceAccount"] = resourceAccount
	}
	return request{principal: principal, action: action, resource: resource, context: context}
}

func TestEndpointPoliciesAdmitOnlyTheStackAccounts(t *testing.T) {
	policies := endpointPolicies(t, run(t, devConfig(t)))
	tests := []struct {
		name     string
		endpoint string
		request  request
		allowed  bool
	}{
		{"a PutObject to a third account's bucket", "consumer-endpoint-s3",
			throughEndpoint("s3:PutObject", "arn:aws:s3:::exfiltration/data.csv", mlAccount, otherAccount), false},
		{"a PutObject to the ML account's bucket", "consumer-endpoint-s3",
			throughEndpoint("s3:PutObject", "arn:aws:s3:::sagemaker-us-east-1-222222222222/out.csv", mlAccount, mlAccount), true},
		{"a GetObject from the data account's bucket", "consumer-endpoint-s3",
			throughEndpoint("s3:GetObject", "arn:aws:s3:::ml-data/train.csv", dataAccount, dataAccount), true},
		{"keys brought from a third account, to its own bucket", "consumer-endpoint-s3",
			throughEndpoint("s3:PutObject", "arn:aws:s3:::exfiltration/data.csv", otherAccount, otherAccount), false},
		{"a third account's credentials on the ML account's bucket", "consumer-endpoint-s3",
			throughEndpoint("s3:PutObject", "arn:aws:s3:::sagemaker-us-east-1-222222222222/out.csv", otherAccount, mlAccount), false},
		{"a request whose resource account is unknown", "consumer-endpoint-s3",
			throughEndpoint("s3:PutObject", "arn:aws:s3:::exfiltration/data.csv", mlAccount, ""), false},
		{"an anonymous request", "consumer-endpoint-s3",
			throughEndpoint("s3:GetObject", "arn:aws:s3:::exfiltration/tool.sh", "", otherAccount), false},
		{"a third account's principal writing logs", "consumer-endpoint-logs",
			throughEndpoint("logs:PutLogEvents", "arn:aws:logs:us-east-1:222222222222:log-group:/aws/sagemaker/studio:*", otherAccount, mlAccount), false},
		{"writing to a third account's log group", "consumer-endpoint-logs",
			throughEndpoint("logs:PutLogEvents", "arn:aws:logs:us-east-1:333333333333:log-group:drop:*", mlAccount, otherAccount), false},
		{"the execution role writing its logs", "consumer-endpoint-logs",
			throughEndpoint("logs:PutLogEvents", "arn:aws:logs:us-east-1:222222222222:log-group:/aws/sagemaker/studio:*", mlAccount, mlAccount), true},
		{"the chain into the producer role", "consumer-endpoint-sts",
			throughEndpoint("sts:AssumeRole", "arn:aws:iam::111111111111:role/producer-role", mlAccount, dataAccount), true},
		{"assuming a third account's role", "consumer-endpoint-sts",
			throughEndpoint("sts:AssumeRole", "arn:aws:iam::333333333333:role/outside", mlAccount, otherAccount), false},
		{"the producer role's credentials call", "consumer-endpoint-redshift",
			throughEndpoint("redshift:GetClusterCredentials", "arn:aws:redshift:us-east-1:111111111111:dbuser:analytics/alice", dataAccount, dataAccount), true},
		{"a third account's cluster", "consumer-endpoint-redshift",
			throughEndpoint("redshift:GetClusterCredentials", "arn:aws:redshift:us-east-1:333333333333:dbuser:other/alice", mlAccount, otherAccount), false},
		{"a third account's Studio session", "consumer-endpoint-studio",
			throughEndpoint("sagemaker:CreateApp", "arn:aws:sagemaker:us-east-1:333333333333:app/d-other/alice/jupyterlab/default", otherAccount, ""), false},
		{"the stack's own Studio session", "consumer-endpoint-studio",
			throughEndpoint("sagemaker:CreateApp", "arn:aws:sagemaker:us-east-1:222222222222:app/d-studio/alice/jupyterlab/default", mlAccount, ""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, ok := policies[tt.endpoint]
			require.True(t, ok, "no endpoint %s", tt.endpoint)
			assert.Equal(t, tt.allowed, allows(doc, tt.request), "%s: %+v", tt.endpoint, tt.request)
		})
	}
}

func TestEveryEndpointNamesTheStackAccounts(t *testing.T) {
	values := withConsumer(t, devConfig(t), func(c map[string]any) {
		c["vpc"].(map[string]any)["extraEndpoints"] = []any{"ecr.api", "ecr.dkr", "kms", "notebook"}
	})
	for name, doc := range endpointPolicies(t, run(t, values)) {
		s := statement(t, doc, "StackAccountsOnly")
		assert.Equal(t, []string{mlAccount, dataAccount}, s.Condition["StringEquals"]["aws:PrincipalAccount"], name)
		switch name {
		case "consumer-endpoint-studio", "consumer-endpoint-notebook", "consumer-endpoint-sagemaker-api", "consumer-endpoint-sagemaker-runtime":
			assert.NotContains(t, s.Condition["StringEquals"], "aws:ResourceAccount", "%s: AWS-owned SageMaker resources pass", name)
		default:
			assert.Equal(t, []string{mlAccount, dataAccount}, s.Condition["StringEquals"]["aws:ResourceAccount"], name)
		}
	}
}

func TestTheSplitConsumerAdmitsItsOwnAccountAndTheProducers(t *testing.T) {
	_, _, producer, consumerSide := splitRounds(t)
	for name, doc := range endpointPolicies(t, consumerSide) {
		assert.Equal(t, []any{mlAccount, producer.Outputs["producerAccountId"]},
			toAny(statement(t, doc, "StackAccountsOnly").Condition["StringEquals"]["aws:PrincipalAccount"]), name)
	}
}

func toAny(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

func TestECRImageLayersPassTheGateway(t *testing.T) {
	layer := "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/sha256/0a1b"
	// ECR signs the layer URL with an account of its own.
	pull := throughEndpoint("s3:GetObject", layer, "", "")
	without := endpointPolicies(t, run(t, devConfig(t)))["consumer-endpoint-s3"]
	assert.False(t, allows(without, pull), "no ECR endpoint, no layer bucket")

	values := withConsumer(t, devConfig(t), func(c map[string]any) {
		c["vpc"].(map[string]any)["extraEndpoints"] = []any{"ecr.api", "ecr.dkr"}
	})
	gateway := endpointPolicies(t, run(t, values))["consumer-endpoint-s3"]
	assert.True(t, allows(gateway, pull), "image layers through the gateway")
	assert.False(t, allows(gateway, throughEndpoint("s3:PutObject", layer, mlAccount, "")), "reading only")
	assert.False(t, allows(gateway, throughEndpoint("s3:GetObject", "arn:aws:s3:::prod-us-east-1-starport-layer-bucket-copy/x", "", "")),
		"that bucket only")
}

// A package repository in a shared-services account is the one resource of
// another account the CodeArtifact endpoints admit, and only to the stack's
// principals, only for what pip asks of it.
func TestTheCodeArtifactEndpointsAdmitTheMirrorInItsOwnAccount(t *testing.T) {
	const (
		domain     = "arn:aws:codeartifact:us-east-1:" + otherAccount + ":domain/ml-packages"
		repository = "arn:aws:codeartifact:us-east-1:" + otherAccount + ":repository/ml-packages/pypi-store"
		mirror     = "https://ml-packages-" + otherAccount + ".d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/"
	)
	values := withConsumer(t, devConfig(t), func(c map[string]any) {
		c["studio"].(map[string]any)["pipIndexUrl"] = mirror
	})
	policies := endpointPolicies(t, run(t, values))
	tests := []struct {
		name     string
		endpoint string
		request  request
		allowed  bool
	}{
		{"pip's token for the domain", "consumer-endpoint-codeartifact-api",
			throughEndpoint("codeartifact:GetAuthorizationToken", domain, mlAccount, otherAccount), true},
		{"pip's repository endpoint", "consumer-endpoint-codeartifact-api",
			throughEndpoint("codeartifact:GetRepositoryEndpoint", repository, mlAccount, otherAccount), true},
		{"pip reading packages", "consumer-endpoint-codeartifact-repositories",
			throughEndpoint("codeartifact:ReadFromRepository", repository, mlAccount, otherAccount), true},
		{"publishing to the mirror", "consumer-endpoint-codeartifact-repositories",
			throughEndpoint("codeartifact:PublishPackageVersion", repository+"/pypi", mlAccount, otherAccount), false},
		{"another repository of that account", "consumer-endpoint-codeartifact-repositories",
			throughEndpoint("codeartifact:ReadFromRepository", "arn:aws:codeartifact:us-east-1:"+otherAccount+":repository/ml-packages/drop", mlAccount, otherAccount), false},
		{"that account's own credentials", "consumer-endpoint-codeartifact-repositories",
			throughEndpoint("codeartifact:ReadFromRepository", repository, otherAccount, otherAccount), false},
		{"the mirror's account through another endpoint", "consumer-endpoint-sts",
			throughEndpoint("sts:AssumeRole", "arn:aws:iam::"+otherAccount+":role/outside", mlAccount, otherAccount), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.allowed, allows(policies[tt.endpoint], tt.request), "%s: %+v", tt.endpoint, tt.request)
		})
	}

	// A repository of the ML account needs nothing beyond the stack's statement.
	values = withConsumer(t, devConfig(t), func(c map[string]any) {
		c["studio"].(map[string]any)["pipIndexUrl"] = "https://ml-packages-" + mlAccount + ".d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/"
	})
	for _, name := range []string{"consumer-endpoint-codeartifact-api", "consumer-endpoint-codeartifact-repositories"} {
		assert.Equal(t, []string{"StackAccountsOnly"}, sids(endpointPolicies(t, run(t, values))[name]), name)
	}
}

func TestNamedBucketsStillLimitTheGateway(t *testing.T) {
	values := withConsumer(t, devConfig(t), func(c map[string]any) {
		c["vpc"].(map[string]any)["s3EndpointBuckets"] = []any{"ml-data"}
	})
	gateway := endpointPolicies(t, run(t, values))["consumer-endpoint-s3"]
	assert.True(t, allows(gateway, throughEndpoint("s3:GetObject", "arn:aws:s3:::ml-data/train.csv", mlAccount, dataAccount)))
	assert.False(t, allows(gateway, throughEndpoint("s3:PutObject", "arn:aws:s3:::sagemaker-us-east-1-222222222222/out.csv", mlAccount, mlAccount)),
		"a bucket of the stack's account that is not named")
	assert.False(t, allows(gateway, throughEndpoint("s3:GetObject", "arn:aws:s3:::ml-data/train.csv", otherAccount, dataAccount)),
		"a third account's credentials on a named bucket")
}

func TestTheExecutionRoleMakesNoVpcEndpoints(t *testing.T) {
	for _, guardrailsOn := range []bool{true, false} {
		t.Run(fmt.Sprintf("guardrails enabled %v", guardrailsOn), func(t *testing.T) {
			result := run(t, withGuardrails(t, map[string]any{"enabled": guardrailsOn}))
			deny := one(t, result, rolePolicyType, "guardrails-no-vpc-endpoints")
			assert.Equal(t, one(t, result, roleType, "consumer-execution-role").Output("name"), deny.Input("role"))
			doc := parsePolicy(t, deny, "policy")
			role := "arn:aws:sts::222222222222:assumed-role/consumer-execution-role/alice"
			for _, action := range []string{"ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:CreateVpcEndpointServiceConfiguration"} {
				assert.True(t, denies(doc, request{principal: role, action: action, resource: "arn:aws:ec2:us-east-1:222222222222:vpc-endpoint/*"}), action)
			}
			assert.False(t, denies(doc, request{principal: role, action: "ec2:DescribeVpcEndpoints"}), "reading endpoints stays allowed")
		})
	}
}

// TestEndpointPolicyChangesUpdateInPlace runs the program before and after
// changes that touch endpoint policies: only the policy changes, never an
// input that replaces an endpoint (the provider updates policy with
// ModifyVpcEndpoint; service, VPC and type are ForceNew).
func TestEndpointPolicyChangesUpdateInPlace(t *testing.T) {
	t.Parallel()
	withVPC := func(key string, value any) map[string]string {
		return withConsumer(t, devConfig(t), func(c map[string]any) { c["vpc"].(map[string]any)[key] = value })
	}
	tests := []struct {
		name          string
		after         map[string]string
		changedPolicy []string
	}{
		{"buckets named", withVPC("s3EndpointBuckets", []any{"ml-data"}), []string{"consumer-endpoint-s3"}},
		{"an ECR endpoint added", withVPC("extraEndpoints", []any{"ecr.api", "ecr.dkr"}), []string{"consumer-endpoint-s3"}},
		{"guardrails switched off", withGuardrails(t, map[string]any{"enabled": false}), nil},
		{"a thousand users", withUsers(t, devConfig(t), userNames(1000)), nil},
	}
	before := run(t, devConfig(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := run(t, tt.after)
			for _, old := range before.OfType(endpointType) {
				changed := one(t, after, endpointType, old.Name)
				for _, forceNew := range []string{"serviceName", "vpcId", "vpcEndpointType"} {
					assert.Equal(t, old.Input(forceNew), changed.Input(forceNew), "%s %s", old.Name, forceNew)
				}
				if slices.Contains(tt.changedPolicy, old.Name) {
					assert.NotEqual(t, old.String("policy"), changed.String("policy"), old.Name)
				} else {
					assert.Equal(t, old.String("policy"), changed.String("policy"), old.Name)
				}
			}
		})
	}
}

func TestEndpointPolicySizeIsBounded(t *testing.T) {
	perimeter := consumer.EndpointPerimeter{
		Partition: "aws", Region: "us-east-1", Accounts: []string{mlAccount, dataAccount},
		Services: []string{"ecr.dkr"},
	}
	text, err := consumer.EndpointPolicy("s3", perimeter).JSON()
	require.NoError(t, err)
	assert.Less(t, len(text), quota.EndpointPolicySize/10, "a fixed document, whatever the users")

	var buckets []any
	for i := 0; i < 400; i++ {
		buckets = append(buckets, fmt.Sprintf("team-bucket-with-a-long-name-%04d", i))
	}
	_, err = offline.Run(Run, config.Project, "dev", withConsumer(t, devConfig(t), func(c map[string]any) {
		c["vpc"].(map[string]any)["s3EndpointBuckets"] = buckets
	}))
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "consumer.vpc.s3EndpointBuckets"), err.Error())
}
