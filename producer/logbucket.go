// The LogBucket component is the bucket of one account that receives its audit
// trail: the Redshift cluster's audit logs and the S3 server access logs of
// the data buckets other accounts read. One per account the stack writes
// logs in, shared by every source, kept when the stack goes.

package producer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// Key prefixes of the two kinds of logs.
const (
	RedshiftPrefix = "redshift/"
	AccessPrefix   = "s3-access/"
)

// LogBucket is the log bucket.
type LogBucket struct {
	pulumi.ResourceState

	// BucketName comes from the bucket policy, so whatever is given it as an
	// input (a Redshift logging configuration, an S3 logging configuration)
	// waits until the log services may write: both check the bucket's
	// permissions when they are switched on.
	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	BucketArn  pulumi.StringOutput `pulumi:"bucketArn"`
}

// AccessLogsOf is where the server access logs of one source bucket go: its
// own prefix here. The bucket must be among SourceBuckets.
func (b *LogBucket) AccessLogsOf(bucket string) *AccessLogs {
	return &AccessLogs{Bucket: b.BucketName, Prefix: AccessPrefix + bucket + "/"}
}

// LogBucketArgs are the inputs of NewLogBucket. Create it with the account's
// provider (pulumi.Provider).
type LogBucketArgs struct {
	// Partition, Region and Account place the bucket and scope who may write
	// (the confused-deputy guard). Required.
	Partition, Region, Account string
	// Clusters are the identifiers of the Redshift clusters that write their
	// audit logs here. Optional.
	Clusters []string
	// SourceBuckets are the buckets whose server access logs land here; AWS
	// requires them in the same account and region. Optional.
	SourceBuckets []string
	// Protect guards the bucket against deletion; it is also kept on delete.
	Protect bool
}

// NewLogBucket registers the bucket, its protections and its policy.
func NewLogBucket(ctx *pulumi.Context, name string, args *LogBucketArgs, opts ...pulumi.ResourceOption) (*LogBucket, error) {
	comp := &LogBucket{}
	if err := ctx.RegisterComponentResource("studioredshift:index:LogBucket", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	// Named by Pulumi (name plus a random suffix): logs of several stacks in
	// one account never meet. Logs are the record of who read what: never
	// deleted with the stack.
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{}, parent, pulumi.Protect(args.Protect), pulumi.RetainOnDelete(true))
	if err != nil {
		return nil, fmt.Errorf("log bucket: %w", err)
	}
	if err := PrivateBucket(ctx, name, bucket, parent); err != nil {
		return nil, err
	}
	// S3-managed keys, not KMS: server access logs are delivered only to a
	// bucket whose default encryption is SSE-S3 (S3 user guide, "Enabling
	// Amazon S3 server access logging"); that Redshift's audit log delivery
	// takes the same is on docs/first-deploy.md.
	if err := EncryptWithS3Keys(ctx, name, bucket, parent); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, parent); err != nil {
		return nil, fmt.Errorf("log bucket versioning: %w", err)
	}
	document := bucket.Arn.ApplyT(func(bucketArn string) (string, error) {
		return LogBucketPolicy(args.Partition, args.Region, args.Account, bucketArn, args.Clusters, args.SourceBuckets).JSON()
	}).(pulumi.StringOutput)
	bucketPolicy, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: document,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("log bucket policy: %w", err)
	}

	comp.BucketName = bucketPolicy.Bucket
	comp.BucketArn = bucket.Arn
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"bucketName": comp.BucketName,
		"bucketArn":  comp.BucketArn,
	})
}

// LogBucketPolicy lets Redshift write the clusters' audit logs and S3 the source
// buckets' access logs, each under its own prefix and only for this
// account's sources (aws:SourceAccount, aws:SourceArn), and refuses requests
// without TLS.
func LogBucketPolicy(partition, region, account, bucketArn string, clusters, sourceBuckets []string) policy.Document {
	var statements []policy.Statement
	thisAccount := map[string][]string{"aws:SourceAccount": {account}}
	if len(clusters) > 0 {
		clusterArns := make([]string, len(clusters))
		for i, cluster := range clusters {
			clusterArns[i] = policy.ARN(partition, "redshift", region, account, "cluster:"+cluster)
		}
		// AWS, "Bucket permissions for Amazon Redshift audit logging":
		// s3:PutObject and s3:GetBucketAcl for the Redshift service.
		redshift := &policy.Principal{Service: []string{"redshift.amazonaws.com"}}
		fromClusters := policy.Condition{"StringEquals": thisAccount, "ArnLike": {"aws:SourceArn": clusterArns}}
		statements = append(statements,
			policy.Statement{
				Sid: "RedshiftAuditLogsBucketAcl", Effect: policy.Allow, Principal: redshift,
				Action: []string{"s3:GetBucketAcl"}, Resource: []string{bucketArn}, Condition: fromClusters,
			},
			policy.Statement{
				Sid: "RedshiftAuditLogs", Effect: policy.Allow, Principal: redshift,
				Action: []string{"s3:PutObject"}, Resource: []string{bucketArn + "/" + RedshiftPrefix + "*"}, Condition: fromClusters,
			},
		)
	}
	if len(sourceBuckets) > 0 {
		sources := make([]string, len(sourceBuckets))
		for i, source := range sourceBuckets {
			sources[i] = policy.ARN(partition, "s3", "", "", source)
		}
		// AWS, "Enabling Amazon S3 server access logging": the logging
		// service principal writes, for the named source buckets only.
		statements = append(statements, policy.Statement{
			Sid: "S3ServerAccessLogs", Effect: policy.Allow,
			Principal: &policy.Principal{Service: []string{"logging.s3.amazonaws.com"}},
			Action:    []string{"s3:PutObject"}, Resource: []string{bucketArn + "/" + AccessPrefix + "*"},
			Condition: policy.Condition{"StringEquals": thisAccount, "ArnLike": {"aws:SourceArn": sources}},
		})
	}
	return policy.New(append(statements, DataBucketPolicy(bucketArn, nil, nil, nil).Statement...)...)
}
