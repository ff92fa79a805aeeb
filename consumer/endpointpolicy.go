package consumer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/policy"
	"github.com/studio-redshift/studio-redshift/internal/quota"
)

// EndpointPerimeter is what the VPC endpoints let through: requests of the
// stack's accounts to resources of the stack's accounts, and the few
// AWS-owned resources Studio needs. Without endpoint policies an endpoint
// admits every principal of every account (AWS PrivateLink guide, "Control
// access to VPC endpoints using endpoint policies": the default policy
// allows full access), so a notebook could write to any account's bucket or
// log group, with credentials of any account, through the closed network.
type EndpointPerimeter struct {
	// Partition names the ARNs. Required.
	Partition string
	// Region names the AWS-owned buckets, which are regional. Required.
	Region string
	// Accounts are the stack's accounts: the consumer's and the producer's
	// (in a split consumer stack, its own and the producer's). Required.
	Accounts []string
	// S3Buckets, if set, are the only buckets of the stack's accounts that
	// S3 admits through the gateway (consumer.vpc.s3EndpointBuckets and the
	// features' buckets). Optional.
	S3Buckets []string
	// Services are the interface endpoints of the VPC: an ECR endpoint needs
	// ECR's layer bucket through the S3 gateway.
	Services []string
	// PackageRepository, if set, is the CodeArtifact repository of
	// consumer.studio.pipIndexUrl: the CodeArtifact endpoints admit the
	// stack's principals to it, also when another account owns it (a
	// shared-services account, say). Optional.
	PackageRepository *config.CodeArtifact
}

// EndpointPolicy is the policy of one endpoint: service is the name below
// the region ("sts", "sagemaker.api") or "s3" for the gateway. Endpoint
// policies name no principal of their own: "*" is whoever sends a request
// through the endpoint, and the conditions narrow it to the stack's accounts.
// The pattern is AWS's data perimeter for VPC endpoints
// (aws-samples/data-perimeter-policy-examples, vpc_endpoint_policies:
// "AllowRequestsByOrgsIdentitiesToOrgsResources" and
// "AllowRequestsToAWSOwnedResources"), with the stack's accounts where the
// examples name an organization.
func EndpointPolicy(service string, p EndpointPerimeter) policy.Document {
	everyone := &policy.Principal{AWS: []string{"*"}}
	stackPrincipals := policy.Condition{"StringEquals": {"aws:PrincipalAccount": p.Accounts}}
	stackRequests := policy.Condition{"StringEquals": {
		"aws:PrincipalAccount": p.Accounts,
		// aws:ResourceAccount is the account that owns the resource of the
		// request (IAM User Guide, "AWS global condition context keys");
		// with it a notebook cannot reach another account's bucket, log
		// group or role, even with the stack's own credentials.
		"aws:ResourceAccount": p.Accounts,
	}}

	// Every endpoint but Studio's web UI holds requests to aws:ResourceAccount:
	// AWS's data-perimeter examples hold every action through their
	// endpoints to the resource owner's organization (aws:ResourceOrgID),
	// which is the organization of that same account. Where a service left
	// the key out of a request, StringEquals would fail and the endpoint
	// refuse, the safe side; docs/first-deploy.md runs the calls
	// Studio and the notebook make.
	switch service {
	case "sagemaker.api", "sagemaker.runtime":
		// SageMaker's API reads resources AWS owns, in AWS's accounts: the
		// SageMaker Distribution images a space runs (DescribeImage,
		// DescribeImageVersion) and JumpStart's public hub
		// (arn:aws:sagemaker:<region>:aws:hub/SageMakerPublicHub), which
		// aws:ResourceAccount would refuse (IAM User Guide, "AWS global
		// condition context keys", aws:ResourceAccount: holding it to your
		// accounts "can impact" services that use resources in accounts
		// AWS owns). Another account's SageMaker resources are reachable
		// only by its own grant, so the principal's account is what is held.
		return policy.New(policy.Statement{
			Sid: "StackAccountsOnly", Effect: policy.Allow, Principal: everyone,
			Action: []string{"*"}, Resource: []string{"*"}, Condition: stackPrincipals,
		})
	case "studio", "notebook":
		// The Studio and notebook endpoints carry the web UI of a presigned
		// URL, and SageMaker authorizes every request and WebSocket frame
		// by the principal that made the URL (SageMaker API reference,
		// CreatePresignedDomainUrl); AWS documents endpoint policies for
		// them (SageMaker developer guide, "Connect to Studio through an
		// interface VPC endpoint", "Create a VPC endpoint policy for
		// Studio") but not which resource account such a frame carries, so
		// only the principal's account is checked: a presigned URL of
		// another account's domain is refused.
		return policy.New(policy.Statement{
			Sid: "StackAccountsOnly", Effect: policy.Allow, Principal: everyone,
			Action: []string{"*"}, Resource: []string{"*"}, Condition: stackPrincipals,
		})
	case "s3":
		return s3EndpointPolicy(p, everyone, stackRequests)
	case "codeartifact.api", "codeartifact.repositories":
		return codeArtifactEndpointPolicy(p, everyone, stackPrincipals, stackRequests)
	}
	return policy.New(policy.Statement{
		Sid: "StackAccountsOnly", Effect: policy.Allow, Principal: everyone,
		Action: []string{"*"}, Resource: []string{"*"}, Condition: stackRequests,
	})
}

// codeArtifactEndpointPolicy admits the stack's requests, and the stack's
// principals to the package repository in whichever account owns it: pip
// asks the codeartifact.api endpoint for a token on the domain and the
// repository's endpoint, and reads packages through
// codeartifact.repositories (CodeArtifact user guide, "Use CodeArtifact
// from a VPC"); the actions and ARNs are those of the execution role's
// consumer-package-mirror policy.
func codeArtifactEndpointPolicy(p EndpointPerimeter, everyone *policy.Principal, stackPrincipals, stackRequests policy.Condition) policy.Document {
	statements := []policy.Statement{{
		Sid: "StackAccountsOnly", Effect: policy.Allow, Principal: everyone,
		Action: []string{"*"}, Resource: []string{"*"}, Condition: stackRequests,
	}}
	if repo := p.PackageRepository; repo != nil && !slices.Contains(p.Accounts, repo.Owner) {
		for _, grant := range PackageMirrorPolicy(p.Partition, *repo).Statement {
			if !strings.HasPrefix(grant.Action[0], "codeartifact:") {
				continue // sts:GetServiceBearerToken is CodeArtifact's own call to STS
			}
			statements = append(statements, policy.Statement{
				Sid: "PackageRepository" + strings.TrimPrefix(grant.Sid, "CodeArtifact"), Effect: policy.Allow, Principal: everyone,
				Action: grant.Action, Resource: grant.Resource, Condition: stackPrincipals,
			})
		}
	}
	return policy.New(statements...)
}

// s3EndpointPolicy admits the stack's principals to the stack's buckets
// (those named, when consumer.vpc.s3EndpointBuckets limits them) and anyone
// to the AWS-owned buckets Studio's services read.
func s3EndpointPolicy(p EndpointPerimeter, everyone *policy.Principal, stackRequests policy.Condition) policy.Document {
	stack := policy.Statement{
		Sid: "StackAccountsOnly", Effect: policy.Allow, Principal: everyone,
		Action: []string{"s3:*"}, Resource: []string{"*"}, Condition: stackRequests,
	}
	if len(p.S3Buckets) > 0 {
		// The named buckets are the operator's choice, in whichever account
		// they are: only the principal is held to the stack's accounts.
		stack.Sid = "NamedBucketsOnly"
		stack.Resource = make([]string, 0, 2*len(p.S3Buckets))
		for _, bucket := range p.S3Buckets {
			bucketArn := policy.ARN(p.Partition, "s3", "", "", bucket)
			stack.Resource = append(stack.Resource, bucketArn, bucketArn+"/*")
		}
		stack.Condition = policy.Condition{"StringEquals": {"aws:PrincipalAccount": p.Accounts}}
	}
	statements := []policy.Statement{stack}
	if owned := awsOwnedObjects(p); len(owned) > 0 {
		statements = append(statements, policy.Statement{
			// AWS signs these requests itself (a presigned URL of an AWS
			// account), so no condition on the stack's accounts can hold.
			Sid: "AWSOwnedObjects", Effect: policy.Allow, Principal: everyone,
			Action: []string{"s3:GetObject"}, Resource: owned,
		})
	}
	return policy.New(statements...)
}

// awsOwnedObjects are the objects of AWS-owned buckets that the services of
// the VPC's endpoints send Studio to through the S3 gateway. Each is on the
// page that names it; what is not cited is not admitted.
//   - ECR serves image layers from prod-<region>-starport-layer-bucket
//     (Amazon ECR user guide, "Amazon ECR interface VPC endpoints", "Minimum
//     Amazon S3 bucket permissions for Amazon ECR"), when images are pulled
//     through an ecr.dkr endpoint.
//
// Considered and not admitted, because nothing the program sets up reads
// them from inside the VPC:
//   - CodeArtifact keeps package assets in AWS-owned assets-<account>-<region>
//     buckets, but "an Amazon S3 endpoint is not needed when using Python"
//     (CodeArtifact user guide, "Create the Amazon S3 gateway endpoint"): pip
//     downloads through the codeartifact.repositories endpoint, so the
//     package mirror adds no bucket.
//   - Studio's images (SageMaker Distribution) and lifecycle configurations:
//     apps pull neither through the VPC. The endpoints AWS requires for a
//     VpcOnly domain include no ECR endpoint (SageMaker developer guide,
//     "Connect Studio notebooks in a VPC to external resources"), and a
//     lifecycle script is a parameter of CreateStudioLifecycleConfig, not an
//     object.
//   - Amazon Linux repositories (amazonlinux-2-repos-<region>,
//     al2023-repos-<region>-*; AWS's data-perimeter list of service-owned
//     resources): the lifecycle script installs with pip only, never yum or
//     dnf.
//   - JumpStart's jumpstart-cache-prod-<region> (SageMaker developer guide,
//     "Model deployment security" in JumpStart): the program offers no
//     JumpStart models, and a notebook reading that bucket does so with the
//     stack's credentials on an AWS-owned resource; a team that needs it
//     lists it in consumer.vpc.s3EndpointBuckets with its own buckets.
func awsOwnedObjects(p EndpointPerimeter) []string {
	var owned []string
	if slices.Contains(p.Services, "ecr.dkr") {
		owned = append(owned, policy.ARN(p.Partition, "s3", "", "", "prod-"+p.Region+"-starport-layer-bucket/*"))
	}
	return owned
}

// endpointPolicyJSON renders an endpoint's policy and holds it to AWS's size
// limit. Nothing in the document grows with the users; only
// consumer.vpc.s3EndpointBuckets does, which validation bounds first.
func endpointPolicyJSON(service string, p EndpointPerimeter) (string, error) {
	text, err := EndpointPolicy(service, p).JSON()
	if err != nil {
		return "", fmt.Errorf("%s endpoint policy: %w", service, err)
	}
	if len(text) > quota.EndpointPolicySize {
		return "", fmt.Errorf("%s endpoint policy: %d characters, more than the %d AWS allows: name fewer buckets in consumer.vpc.s3EndpointBuckets", service, len(text), quota.EndpointPolicySize)
	}
	return text, nil
}
