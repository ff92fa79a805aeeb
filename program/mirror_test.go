package program

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// codeArtifactMirror is a CodeArtifact PyPI endpoint in the dev stack's region.
const codeArtifactMirror = "https://ml-packages-" + consumerAccount + ".d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/"

// With a CodeArtifact mirror and no NAT gateway, everything pip needs is in
// place: the token fetched in the script, the execution role's permissions,
// CodeArtifact's endpoints (once each, also when listed by the user), and
// no internet egress.
func TestCodeArtifactMirrorWorksWithoutInternet(t *testing.T) {
	values := withConsumer(t, devConfig(t), func(c map[string]any) {
		c["studio"].(map[string]any)["pipIndexUrl"] = codeArtifactMirror
		c["vpc"].(map[string]any)["extraEndpoints"] = []any{"codeartifact.api"}
		c["vpc"].(map[string]any)["s3EndpointBuckets"] = []any{"ml-data"}
	})
	result := run(t, values)

	lifecycle := one(t, result, lifecycleType, "consumer-jupyterlab-setup")
	script, err := base64.StdEncoding.DecodeString(lifecycle.String("studioLifecycleConfigContent"))
	require.NoError(t, err)
	assert.Contains(t, string(script), `get_authorization_token(domain=domain, domainOwner=owner, durationSeconds=900)`)
	assert.Contains(t, string(script), `'us-east-1' 'ml-packages' '`+consumerAccount+`'`)

	mirrorPolicy := one(t, result, rolePolicyType, "consumer-package-mirror")
	assert.Equal(t, one(t, result, roleType, "consumer-execution-role").ID, mirrorPolicy.String("role"))
	assert.Contains(t, mirrorPolicy.Parent, "studioredshift:index:Consumer::consumer")
	doc := parsePolicy(t, mirrorPolicy, "policy")
	const arnPrefix = "arn:aws:codeartifact:us-east-1:" + consumerAccount + ":"
	token := statement(t, doc, "CodeArtifactToken")
	assert.Equal(t, []string{"codeartifact:GetAuthorizationToken"}, token.Action)
	assert.Equal(t, []string{arnPrefix + "domain/ml-packages"}, token.Resource)
	read := statement(t, doc, "CodeArtifactRead")
	assert.ElementsMatch(t, []string{"codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"}, read.Action)
	assert.Equal(t, []string{arnPrefix + "repository/ml-packages/pypi-store"}, read.Resource)
	bearer := statement(t, doc, "CodeArtifactBearerToken")
	assert.Equal(t, []string{"sts:GetServiceBearerToken"}, bearer.Action)
	assert.Equal(t, []string{"*"}, bearer.Resource, "the action has no resource type")
	assert.Equal(t, policy.Condition{"StringEquals": {"sts:AWSServiceName": {"codeartifact.amazonaws.com"}}}, bearer.Condition)

	services := map[string]int{}
	for _, endpoint := range result.OfType(endpointType) {
		services[endpoint.String("serviceName")]++
		if endpoint.String("vpcEndpointType") == "Gateway" {
			// Python packages come from the repositories endpoint, not S3
			// (AWS, "Create the Amazon S3 gateway endpoint").
			assert.Equal(t, []string{"NamedBucketsOnly"}, sids(parsePolicy(t, endpoint, "policy")))
		}
	}
	assert.Equal(t, 1, services["com.amazonaws.us-east-1.codeartifact.api"], "listed and implied: created once")
	assert.Equal(t, 1, services["com.amazonaws.us-east-1.codeartifact.repositories"])
	for _, endpoint := range result.OfType(endpointType) {
		if endpoint.String("vpcEndpointType") == "Interface" {
			assert.Equal(t, true, endpoint.Input("privateDnsEnabled"), "pip resolves the repository host through private DNS: %s", endpoint.URN)
		}
	}
	for _, rule := range result.OfType(egressType) {
		assert.NotEqual(t, "0.0.0.0/0", rule.String("cidrIpv4"), "a mirror opens no internet egress: %s", rule.URN)
	}
}

func TestNoMirrorNoMirrorPolicy(t *testing.T) {
	result := run(t, demoConfig(t))
	_, ok := result.Named(rolePolicyType, "consumer-package-mirror")
	assert.False(t, ok, "PyPI through the NAT gateway needs no permission")
	for _, endpoint := range result.OfType(endpointType) {
		assert.NotContains(t, endpoint.String("serviceName"), "codeartifact")
	}
}
