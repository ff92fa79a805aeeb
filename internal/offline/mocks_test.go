package offline

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAvailabilityZonesPerRegion(t *testing.T) {
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"}, AvailabilityZones("us-east-1"))
	assert.Len(t, AvailabilityZones("us-west-2"), 4)
	assert.Len(t, AvailabilityZones("eu-west-1"), 3, "a region without a documented count gets three")
	assert.Equal(t, "use1-az1", zoneID("us-east-1", 0))
	assert.Equal(t, "apse1-az2", zoneID("ap-southeast-1", 1))
	assert.Equal(t, "euc1-az3", zoneID("eu-central-1", 2))
}
