// Package datakey creates the customer-managed KMS keys that encrypt data
// (home EFS, clusters, buckets, offline stores) the one way the project
// wants them: rotated yearly, recoverable for the longest window after a
// mistaken deletion, and protected unless the stack says otherwise.
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
func New(ctx *pulumi.Context, name, description string, keyPolicy pulumi.StringPtrInput, protect bool, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	return kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:          pulumi.String(description),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(deletionWindowDays),
		Policy:               keyPolicy,
	}, append(opts, pulumi.Protect(protect))...)
}
