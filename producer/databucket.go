// The DataBucket component is a bucket of the producer account that principals of
// the consumer account may use: either created here (encrypted with its own
// key, public access blocked, versioned, TLS only, protected) or an existing
// one, named in configuration, whose policy the program writes only when
// allowed to, since a bucket policy replaces whatever the bucket had.

package producer

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/datakey"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// BucketGrant is what one set of principals may do with the bucket.
type BucketGrant struct {
	// Sid prefixes the statements of this grant. Required.
	Sid string
	// Principals are role or user ARNs. Required.
	Principals []pulumi.StringInput
	// BucketActions apply to the bucket itself (s3:GetBucketLocation ...).
	BucketActions []string
	// List grants s3:ListBucket, limited to the bucket's prefixes.
	List bool
	// ObjectActions apply to the objects under the prefixes.
	ObjectActions []string
	// KeyActions are allowed on the bucket's KMS key, through S3 only.
	KeyActions []string
}

// AccessLogs is a destination for S3 server access logs: a bucket of the same
// account and region, and a key prefix in it.
type AccessLogs struct {
	Bucket pulumi.StringInput
	Prefix string
}

// DataBucket is the producer's bucket and what grants others access to it.
type DataBucket struct {
	pulumi.ResourceState

	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	BucketArn  pulumi.StringOutput `pulumi:"bucketArn"`
	// KeyArn is the bucket's KMS key; empty when it has none.
	KeyArn pulumi.StringOutput `pulumi:"keyArn"`
	// Policy is the bucket policy the grants need, whether or not the
	// program applied it.
	Policy pulumi.StringOutput `pulumi:"policy"`
	// Grants are the resources that give the access (the bucket policy, key
	// grants), for whatever must wait until access works. Depending on the
	// component itself would not do: Pulumi Go expands a component into the
	// children it knows of at that moment, which may be none yet.
	Grants []pulumi.Resource
}

// DataBucketArgs are the inputs of NewDataBucket. Create it with the producer
// account's provider (pulumi.Provider).
type DataBucketArgs struct {
	// Partition, Region and Account place the bucket. Required.
	Partition, Region, Account string
	// Name is the bucket's name. Required.
	Name string
	// Create makes the bucket; otherwise it exists.
	Create bool
	// KeyArn is an existing bucket's KMS key, if it has one.
	KeyArn string
	// ManagePolicy writes an existing bucket's policy (a created bucket's is
	// always written).
	ManagePolicy bool
	// Prefixes limit the grants to these key prefixes; empty means all keys.
	Prefixes []string
	// Grants are who may do what. Required.
	Grants []BucketGrant
	// AccessLogs is where a created bucket's S3 server access logs go, so
	// that who read the data has an answer. Required with Create.
	AccessLogs *AccessLogs
	// Protect guards a created bucket and its key against deletion.
	Protect bool
}

// NewDataBucket registers the bucket (when created), its key, its policy and
// the key grants.
func NewDataBucket(ctx *pulumi.Context, name string, args *DataBucketArgs, opts ...pulumi.ResourceOption) (*DataBucket, error) {
	comp := &DataBucket{}
	if err := ctx.RegisterComponentResource("studioredshift:index:DataBucket", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	bucketArn := policy.ARN(args.Partition, "s3", "", "", args.Name)

	document := pulumi.All(principalLists(args.Grants)...).ApplyT(func(values []any) (string, error) {
		return DataBucketPolicy(bucketArn, args.Prefixes, args.Grants, resolved(values)).JSON()
	}).(pulumi.StringOutput)

	keyArn := pulumi.String(args.KeyArn).ToStringOutput()
	// The policy names a created bucket by its ID, so that it waits for it.
	bucketRef := pulumi.String(args.Name).ToStringOutput()
	if args.Create {
		key, bucket, err := newBucket(ctx, name, args, parent)
		if err != nil {
			return nil, err
		}
		keyArn = key.Arn
		bucketRef = bucket.ID().ToStringOutput()
	} else if args.KeyArn != "" {
		// The key of an existing bucket has a policy of its own that this
		// program must not replace; grants add to it.
		for _, grant := range args.Grants {
			if len(grant.KeyActions) == 0 {
				continue
			}
			for i, principal := range grant.Principals {
				keyGrant, err := kms.NewGrant(ctx, fmt.Sprintf("%s-%s-%d", name, grant.Sid, i), &kms.GrantArgs{
					KeyId:            pulumi.String(args.KeyArn),
					GranteePrincipal: principal,
					Operations:       pulumi.ToStringArray(grantOperations(grant.KeyActions)),
				}, parent)
				if err != nil {
					return nil, fmt.Errorf("key grant %s: %w", grant.Sid, err)
				}
				comp.Grants = append(comp.Grants, keyGrant)
			}
		}
	}

	if args.Create || args.ManagePolicy {
		bucketPolicy, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
			Bucket: bucketRef,
			Policy: document,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("bucket policy: %w", err)
		}
		comp.Grants = append(comp.Grants, bucketPolicy)
	}

	comp.BucketName = pulumi.String(args.Name).ToStringOutput()
	comp.BucketArn = pulumi.String(bucketArn).ToStringOutput()
	comp.KeyArn = keyArn
	comp.Policy = document
	return comp, ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"bucketName": comp.BucketName,
		"bucketArn":  comp.BucketArn,
		"keyArn":     comp.KeyArn,
		"policy":     comp.Policy,
	})
}

// principalLists are the grants' principals, one array input per grant, for
// pulumi.All; resolved turns what it yields back into lists.
func principalLists(grants []BucketGrant) []any {
	lists := make([]any, len(grants))
	for i, grant := range grants {
		lists[i] = pulumi.StringArray(grant.Principals)
	}
	return lists
}

func resolved(values []any) [][]string {
	lists := make([][]string, len(values))
	for i, value := range values {
		lists[i] = value.([]string)
	}
	return lists
}

// newBucket creates the bucket with its key and its protections.
func newBucket(ctx *pulumi.Context, name string, args *DataBucketArgs, parent pulumi.ResourceOption) (*kms.Key, *s3.BucketV2, error) {
	keyPolicy := pulumi.All(principalLists(args.Grants)...).ApplyT(func(values []any) (string, error) {
		return DataKeyPolicy(args.Partition, args.Region, args.Account, args.Grants, resolved(values)).JSON()
	}).(pulumi.StringOutput)
	key, err := datakey.New(ctx, name+"-key", "Encrypts S3 bucket "+args.Name, keyPolicy, args.Protect, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("bucket key: %w", err)
	}
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		Bucket: pulumi.String(args.Name),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, nil, fmt.Errorf("bucket: %w", err)
	}
	if err := PrivateBucket(ctx, name, bucket, parent); err != nil {
		return nil, nil, err
	}
	if logs := args.AccessLogs; logs != nil {
		if _, err := s3.NewBucketLoggingV2(ctx, name+"-access-logs", &s3.BucketLoggingV2Args{
			Bucket:       bucket.ID(),
			TargetBucket: logs.Bucket,
			TargetPrefix: pulumi.String(logs.Prefix),
		}, parent); err != nil {
			return nil, nil, fmt.Errorf("access logging: %w", err)
		}
	}
	if _, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, parent); err != nil {
		return nil, nil, fmt.Errorf("versioning: %w", err)
	}
	if err := EncryptWithKey(ctx, name, bucket, key.Arn, parent); err != nil {
		return nil, nil, err
	}
	return key, bucket, nil
}

// EncryptWithKey sets a bucket's default encryption to its own KMS key.
func EncryptWithKey(ctx *pulumi.Context, name string, bucket *s3.BucketV2, keyArn pulumi.StringInput, parent pulumi.ResourceOption) error {
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm:   pulumi.String("aws:kms"),
				KmsMasterKeyId: keyArn,
			},
			// One data key per bucket, not per object: far fewer KMS calls.
			BucketKeyEnabled: pulumi.Bool(true),
		}},
	}, parent); err != nil {
		return fmt.Errorf("%s encryption: %w", name, err)
	}
	return nil
}

// PrivateBucket blocks every form of public access to a bucket and turns ACLs off,
// so the bucket's owner owns every object, whoever wrote it.
func PrivateBucket(ctx *pulumi.Context, name string, bucket *s3.BucketV2, parent pulumi.ResourceOption) error {
	if _, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent); err != nil {
		return fmt.Errorf("%s public access block: %w", name, err)
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent); err != nil {
		return fmt.Errorf("%s ownership controls: %w", name, err)
	}
	return nil
}

// EncryptWithS3Keys sets a bucket's default encryption to S3-managed keys
// (SSE-S3), for buckets whose writers cannot use a KMS key: Athena results,
// and the log bucket, since AWS log delivery writes only to SSE-S3 buckets.
func EncryptWithS3Keys(ctx *pulumi.Context, name string, bucket *s3.BucketV2, parent pulumi.ResourceOption) error {
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, parent); err != nil {
		return fmt.Errorf("%s encryption: %w", name, err)
	}
	return nil
}

// DataBucketPolicy grants each grant's principals their actions, on the prefixes
// only, and refuses requests without TLS. No aws:SourceVpc or aws:SourceVpce
// condition: Athena reads S3 from its own network, not through the caller's
// VPC endpoint, so such a condition would lock Athena out.
func DataBucketPolicy(bucketArn string, prefixes []string, grants []BucketGrant, principals [][]string) policy.Document {
	var statements []policy.Statement
	for i, grant := range grants {
		who := &policy.Principal{AWS: principals[i]}
		if len(grant.BucketActions) > 0 {
			statements = append(statements, policy.Statement{
				Sid: grant.Sid + "Bucket", Effect: policy.Allow, Principal: who,
				Action: grant.BucketActions, Resource: []string{bucketArn},
			})
		}
		if grant.List {
			list := policy.Statement{
				Sid: grant.Sid + "List", Effect: policy.Allow, Principal: who,
				Action: []string{"s3:ListBucket"}, Resource: []string{bucketArn},
			}
			if len(prefixes) > 0 {
				list.Condition = policy.Condition{"StringLike": {"s3:prefix": PrefixPatterns(prefixes)}}
			}
			statements = append(statements, list)
		}
		if len(grant.ObjectActions) > 0 {
			statements = append(statements, policy.Statement{
				Sid: grant.Sid + "Objects", Effect: policy.Allow, Principal: who,
				Action: grant.ObjectActions, Resource: ObjectArns(bucketArn, prefixes),
			})
		}
	}
	return policy.New(append(statements, policy.Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    policy.Deny,
		Principal: &policy.Principal{AWS: []string{"*"}},
		Action:    []string{"s3:*"},
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: policy.Condition{"Bool": {"aws:SecureTransport": {"false"}}},
	})...)
}

// DataKeyPolicy keeps the key administered by its own account and lets each
// grant's principals use it, through S3 in this region only.
func DataKeyPolicy(partition, region, account string, grants []BucketGrant, principals [][]string) policy.Document {
	statements := []policy.Statement{{
		Sid:       "AccountAdministersTheKey",
		Effect:    policy.Allow,
		Principal: &policy.Principal{AWS: []string{policy.ARN(partition, "iam", "", account, "root")}},
		Action:    []string{"kms:*"},
		// In a key policy "*" is the key itself.
		Resource: []string{"*"},
	}}
	for i, grant := range grants {
		if len(grant.KeyActions) == 0 {
			continue
		}
		statements = append(statements, policy.Statement{
			Sid:       grant.Sid + "Key",
			Effect:    policy.Allow,
			Principal: &policy.Principal{AWS: principals[i]},
			Action:    grant.KeyActions,
			Resource:  []string{"*"},
			Condition: policy.Condition{"StringEquals": {"kms:ViaService": {policy.RegionalEndpoint("s3", region)}}},
		})
	}
	return policy.New(statements...)
}

// ReaderStatements are the reader's half of a cross-account read: what the
// reader's own account must allow (the bucket policy being the other half).
// Sids start with sid; the key statement is left out when keyArn is empty.
func ReaderStatements(sid, region, bucketArn string, prefixes []string, keyArn string) []policy.Statement {
	list := policy.Statement{
		Sid:      sid + "List",
		Effect:   policy.Allow,
		Action:   []string{"s3:ListBucket"},
		Resource: []string{bucketArn},
	}
	if len(prefixes) > 0 {
		list.Condition = policy.Condition{"StringLike": {"s3:prefix": PrefixPatterns(prefixes)}}
	}
	statements := []policy.Statement{
		{Sid: sid + "Location", Effect: policy.Allow, Action: []string{"s3:GetBucketLocation"}, Resource: []string{bucketArn}},
		list,
		{Sid: sid + "Objects", Effect: policy.Allow, Action: []string{"s3:GetObject"}, Resource: ObjectArns(bucketArn, prefixes)},
	}
	if keyArn != "" {
		statements = append(statements, policy.Statement{
			Sid:       sid + "Decrypt",
			Effect:    policy.Allow,
			Action:    []string{"kms:Decrypt"},
			Resource:  []string{keyArn},
			Condition: policy.Condition{"StringEquals": {"kms:ViaService": {policy.RegionalEndpoint("s3", region)}}},
		})
	}
	return statements
}

// ObjectArns are the object ARNs under the prefixes, or all objects.
func ObjectArns(bucketArn string, prefixes []string) []string {
	if len(prefixes) == 0 {
		return []string{bucketArn + "/*"}
	}
	arns := make([]string, len(prefixes))
	for i, prefix := range prefixes {
		arns[i] = bucketArn + "/" + prefix + "*"
	}
	return arns
}

// PrefixPatterns are the s3:prefix patterns that admit listing under the prefixes.
func PrefixPatterns(prefixes []string) []string {
	out := make([]string, len(prefixes))
	for i, prefix := range prefixes {
		out[i] = prefix + "*"
	}
	return out
}

// grantOperations turns kms: actions into KMS grant operation names.
func grantOperations(actions []string) []string {
	out := make([]string, len(actions))
	for i, action := range actions {
		out[i] = action[len("kms:"):]
	}
	return out
}
