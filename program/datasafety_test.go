package program

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Keys whose data outlives the stack stay when the stack lets go of them,
// even with protection lifted for a teardown: the retained home EFS, the
// cluster's final snapshot, the kept data buckets and offline store would
// otherwise become unreadable 30 days after pulumi destroy.
func TestDataKeysAreRetainedOnDelete(t *testing.T) {
	values := demoConfig(t)
	values["studio-redshift:protect"] = "false"
	result := run(t, values)

	var names []string
	for _, key := range result.OfType(keyType) {
		names = append(names, key.Name)
		assert.True(t, key.RetainOnDelete, "%s encrypts data that outlives the stack", key.URN)
		assert.False(t, key.Protect, "%s: protect follows the stack setting", key.URN)
	}
	assert.ElementsMatch(t, []string{
		"consumer-home-key",         // home EFS, retained by the domain's RetentionPolicy
		"consumer-user-data-key",    // the users' data bucket
		"warehouse-key",             // the cluster's final snapshot
		"athena-data-key",           // the Athena data bucket
		"feature-store-key",         // the offline store's objects
		"feature-store-offline-key", // the offline store bucket's default encryption
	}, names)
}
