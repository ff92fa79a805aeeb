// Package datakey creates the customer-managed KMS keys that encrypt data
// (home EFS, clusters, buckets, offline stores) the one way the project
// wants them: rotated yearly, protected unless the stack says otherwise, and
// kept when the stack lets go of them.
package datakey

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// deletionWindowDays is the longest window AWS allows: a key scheduled for
// deletion by mistake can be recovered for 30 days.
const deletionWindowDays = 30

// New registers a key. keyPolicy may be nil for the default key policy (the
// account administers the key through IAM).
//
// Every key made here encrypts data that outlives the stack: the home EFS
// (RetentionPolicy Retain), a cluster's final snapshot, the data buckets and
// the offline store (never force-destroyed). A deleted key makes that data
// unreadable for good once the window ends, so pulumi destroy (or dropping a
// feature) leaves the key in place (RetainOnDelete) and docs/operations.md's
// teardown says when to schedule its deletion by hand.
func New(ctx *pulumi.Context, name, description string, keyPolicy pulumi.StringPtrInput, protect bool, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	return kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:          pulumi.String(description),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(deletionWindowDays),
		Policy:               keyPolicy,
	}, append(opts, pulumi.Protect(protect), pulumi.RetainOnDelete(true))...)
}
