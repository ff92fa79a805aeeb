package consumer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// newPackageMirrorPolicy lets the execution role, which the lifecycle
// configuration runs as, read the CodeArtifact repository it installs from.
// A mirror that is not CodeArtifact needs no permission.
func newPackageMirrorPolicy(ctx *pulumi.Context, name string, args *ConsumerArgs, executionRole *iam.Role, parent pulumi.ResourceOption) error {
	if args.PackageMirror == nil || args.PackageMirror.CodeArtifact == nil {
		return nil
	}
	document, err := PackageMirrorPolicy(policy.Partition(args.Region), *args.PackageMirror.CodeArtifact).JSON()
	if err != nil {
		return fmt.Errorf("package mirror policy: %w", err)
	}
	return inlinePolicy(ctx, name+"-package-mirror", executionRole.Name, pulumi.String(document), parent)
}

// PackageMirrorPolicy is what pip needs of a CodeArtifact repository (AWS,
// "Using CodeArtifact with pip" and the service authorization reference):
// a token for the domain, the repository's endpoint and packages, and the
// bearer token STS issues for CodeArtifact.
func PackageMirrorPolicy(partition string, repo config.CodeArtifact) policy.Document {
	return policy.New(
		policy.Statement{
			Sid:      "CodeArtifactToken",
			Effect:   policy.Allow,
			Action:   []string{"codeartifact:GetAuthorizationToken"},
			Resource: []string{repo.DomainArn(partition)},
		},
		policy.Statement{
			Sid:      "CodeArtifactRead",
			Effect:   policy.Allow,
			Action:   []string{"codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"},
			Resource: []string{repo.RepositoryArn(partition)},
		},
		policy.Statement{
			Sid:    "CodeArtifactBearerToken",
			Effect: policy.Allow,
			Action: []string{"sts:GetServiceBearerToken"},
			// sts:GetServiceBearerToken has no resource type; the condition
			// limits it to CodeArtifact.
			Resource:  []string{"*"},
			Condition: policy.Condition{"StringEquals": {"sts:AWSServiceName": {"codeartifact.amazonaws.com"}}},
		},
	)
}
