package program

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

const managedPolicyType = "aws:iam/policy:Policy"

// withGuardrails returns the dev configuration with consumer.guardrails set.
func withGuardrails(t *testing.T, guardrails map[string]any) map[string]string {
	return withConsumer(t, devConfig(t), func(c map[string]any) { c["guardrails"] = guardrails })
}

func guardrailDocument(t *testing.T, result *offline.Result) policy.Document {
	t.Helper()
	return parsePolicy(t, one(t, result, managedPolicyType, "guardrails-policy"), "policy")
}

func sids(doc policy.Document) []string {
	var out []string
	for _, s := range doc.Statement {
		out = append(out, s.Sid)
	}
	return out
}

func TestGuardrailsAreOnAndAttached(t *testing.T) {
	result := run(t, devConfig(t))
	managed := one(t, result, managedPolicyType, "guardrails-policy")
	executionRole := one(t, result, roleType, "consumer-execution-role")
	assert.Equal(t, "consumer", managed.Provider)

	attachment := one(t, result, attachmentType, "guardrails-execution-role")
	assert.Equal(t, executionRole.ID, attachment.String("role"))
	assert.Equal(t, managed.Output("arn"), attachment.String("policyArn"))
	assert.Equal(t, managed.Output("arn"), result.Outputs["guardrailPolicyArn"], "exported for other roles to attach")

	doc := guardrailDocument(t, result)
	assert.Equal(t, []string{
		"DenyDirectInternetAccess", "DenySubnetsOutsideTheStudioVpc", "DenyResourcesWithoutAVpc",
		"DenyOtherSecurityGroups", "DenyPassingOtherRolesToSageMaker",
	}, sids(doc), "the opt-in statements are off by default")
	for _, s := range doc.Statement {
		assert.Equal(t, policy.Deny, s.Effect, s.Sid)
	}
}

func TestGuardrailStatements(t *testing.T) {
	result := run(t, devConfig(t))
	doc := guardrailDocument(t, result)

	direct := statement(t, doc, "DenyDirectInternetAccess")
	assert.Equal(t, []string{"sagemaker:*"}, direct.Action)
	assert.Equal(t, policy.Condition{
		"Null":         {"sagemaker:DirectInternetAccess": {"false"}},
		"StringEquals": {"sagemaker:DirectInternetAccess": {"Enabled"}},
	}, direct.Condition)

	subnets := statement(t, doc, "DenySubnetsOutsideTheStudioVpc")
	assert.Equal(t, policy.Condition{
		"Null":                        {"sagemaker:VpcSubnets": {"false"}},
		"ForAnyValue:StringNotEquals": {"sagemaker:VpcSubnets": {"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"}},
	}, subnets.Condition, "only the consumer's private subnets")

	withoutVPC := statement(t, doc, "DenyResourcesWithoutAVpc")
	assert.Equal(t, policy.Condition{"Null": {"sagemaker:VpcSubnets": {"true"}}}, withoutVPC.Condition)
	for _, action := range []string{
		"sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob", "sagemaker:CreateHyperParameterTuningJob",
		"sagemaker:CreateModel", "sagemaker:CreateNotebookInstance", "sagemaker:CreateAutoMLJob", "sagemaker:CreateAutoMLJobV2",
	} {
		assert.Contains(t, withoutVPC.Action, action)
	}
	assert.NotContains(t, withoutVPC.Action, "sagemaker:CreateTransformJob", "its requests never carry a VPC, so it would always be denied")
	assert.NotContains(t, withoutVPC.Action, "sagemaker:*")

	var studioGroups []string
	for _, name := range []string{"consumer-studio", "consumer-jobs"} {
		studioGroups = append(studioGroups, one(t, result, securityGroupType, name).ID)
	}
	groups := statement(t, doc, "DenyOtherSecurityGroups")
	assert.Equal(t, []string{"false"}, groups.Condition["Null"]["sagemaker:VpcSecurityGroupIds"])
	assert.ElementsMatch(t, studioGroups, groups.Condition["ForAnyValue:StringNotEquals"]["sagemaker:VpcSecurityGroupIds"],
		"only the clients and jobs groups: no user's own group, so the document does not grow with the users")

	passRole := statement(t, doc, "DenyPassingOtherRolesToSageMaker")
	assert.Equal(t, []string{"iam:PassRole"}, passRole.Action)
	assert.Empty(t, passRole.Resource)
	assert.Equal(t, []string{one(t, result, roleType, "consumer-execution-role").Output("arn").(string)}, passRole.NotResource,
		"exactly the execution role may be passed")
	assert.Equal(t, policy.Condition{"StringEquals": {"iam:PassedToService": {"sagemaker.amazonaws.com"}}}, passRole.Condition)
}

func TestGuardrailSwitches(t *testing.T) {
	base := sids(guardrailDocument(t, run(t, devConfig(t))))

	isolated := guardrailDocument(t, run(t, withGuardrails(t, map[string]any{"requireNetworkIsolation": true})))
	assert.Equal(t, append(slices.Clone(base), "DenyWithoutNetworkIsolation"), sids(isolated), "adds exactly its statement")
	assert.Equal(t, policy.Condition{
		"Null": {"sagemaker:NetworkIsolation": {"false"}},
		"Bool": {"sagemaker:NetworkIsolation": {"false"}},
	}, statement(t, isolated, "DenyWithoutNetworkIsolation").Condition)

	result := run(t, withGuardrails(t, map[string]any{"requireSourceVpce": true}))
	vpce := guardrailDocument(t, result)
	assert.Equal(t, append(slices.Clone(base), "DenyOutsideTheSageMakerEndpoints"), sids(vpce), "adds exactly its statement")
	s := statement(t, vpce, "DenyOutsideTheSageMakerEndpoints")
	assert.ElementsMatch(t, []string{
		one(t, result, endpointType, "consumer-endpoint-sagemaker-api").ID,
		one(t, result, endpointType, "consumer-endpoint-sagemaker-runtime").ID,
	}, s.Condition["StringNotEquals"]["aws:SourceVpce"], "the program's SageMaker API endpoints")
	assert.NotContains(t, s.Condition, "Null", "an absent aws:SourceVpce (a call from outside the VPC) is denied too")
	assert.Equal(t, []string{"false"}, s.Condition["Bool"]["aws:ViaAWSService"])

	both := guardrailDocument(t, run(t, withGuardrails(t, map[string]any{"requireNetworkIsolation": true, "requireSourceVpce": true})))
	assert.Len(t, both.Statement, len(base)+2)
}

func TestGuardrailsOff(t *testing.T) {
	result := run(t, withGuardrails(t, map[string]any{"enabled": false}))
	managed := result.OfType(managedPolicyType)
	require.Len(t, managed, 1, "no managed policy but the sign-in policy, which is not a guardrail")
	assert.Equal(t, "consumer-sign-in", managed[0].Name)
	assert.Empty(t, inComponent(result, attachmentType, "guardrails"))
	assert.NotContains(t, result.Outputs, "guardrailPolicyArn")
}

func TestGuardrailsUseTheCreatedSubnets(t *testing.T) {
	result := run(t, demoConfig(t))
	var subnets []string
	for _, zone := range []string{"us-east-1a", "us-east-1b"} {
		subnets = append(subnets, one(t, result, subnetType, "consumer-network-private-"+zone).ID)
	}
	doc := guardrailDocument(t, result)
	assert.Equal(t, subnets, statement(t, doc, "DenySubnetsOutsideTheStudioVpc").Condition["ForAnyValue:StringNotEquals"]["sagemaker:VpcSubnets"],
		"the private subnets only, never the NAT gateway's public one")
}

func TestClosedNetworkEndpointsByName(t *testing.T) {
	seedList := []any{"notebook", "ec2", "ssm", "ssmmessages", "ec2messages", "ecr.api", "ecr.dkr", "kms", "monitoring", "servicecatalog", "sagemaker.featurestore-runtime"}
	values := withConsumer(t, devConfig(t), func(c map[string]any) {
		c["vpc"].(map[string]any)["extraEndpoints"] = seedList
		c["guardrails"] = map[string]any{"requireSourceVpce": true}
	})
	result := run(t, values)
	services := map[string]bool{}
	for _, endpoint := range result.OfType(endpointType) {
		services[endpoint.String("serviceName")] = true
	}
	for _, want := range []string{
		"aws.sagemaker.us-east-1.notebook", "com.amazonaws.us-east-1.ec2", "com.amazonaws.us-east-1.ssm",
		"com.amazonaws.us-east-1.ssmmessages", "com.amazonaws.us-east-1.ec2messages", "com.amazonaws.us-east-1.ecr.api",
		"com.amazonaws.us-east-1.ecr.dkr", "com.amazonaws.us-east-1.kms", "com.amazonaws.us-east-1.monitoring",
		"com.amazonaws.us-east-1.servicecatalog", "com.amazonaws.us-east-1.sagemaker.featurestore-runtime",
	} {
		assert.True(t, services[want], "missing %s", want)
	}
	s := statement(t, guardrailDocument(t, result), "DenyOutsideTheSageMakerEndpoints")
	assert.Contains(t, s.Condition["StringNotEquals"]["aws:SourceVpce"], one(t, result, endpointType, "consumer-endpoint-sagemaker-featurestore-runtime").ID,
		"Feature Store runtime calls arrive by their own endpoint")
}

func TestS3EndpointLimitedToNamedBuckets(t *testing.T) {
	gateway := one(t, run(t, devConfig(t)), endpointType, "consumer-endpoint-s3")
	assert.Equal(t, []string{"StackAccountsOnly"}, sids(parsePolicy(t, gateway, "policy")),
		"every bucket of the stack's accounts unless buckets are named")

	values := withConsumer(t, devConfig(t), func(c map[string]any) {
		c["vpc"].(map[string]any)["s3EndpointBuckets"] = []any{"ml-data", "sagemaker-us-east-1-222222222222"}
	})
	result := run(t, values)
	userData := one(t, result, bucketType, "consumer-user-data").ID
	gateway = one(t, result, endpointType, "consumer-endpoint-s3")
	doc := parsePolicy(t, gateway, "policy")
	require.Len(t, doc.Statement, 1)
	s := doc.Statement[0]
	assert.Equal(t, policy.Allow, s.Effect)
	assert.Equal(t, []string{"s3:*"}, s.Action)
	assert.Equal(t, []string{
		"arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*",
		"arn:aws:s3:::sagemaker-us-east-1-222222222222", "arn:aws:s3:::sagemaker-us-east-1-222222222222/*",
		"arn:aws:s3:::" + userData, "arn:aws:s3:::" + userData + "/*",
	}, s.Resource, "the named buckets and the users' data bucket")
	assert.Equal(t, []string{"222222222222", "111111111111"}, s.Condition["StringEquals"]["aws:PrincipalAccount"],
		"the named buckets, for the stack's principals only")
}
