package cidr

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		vpc   string
		count int
		want  []string
	}{
		{"10.10.0.0/16", 2, []string{"10.10.0.0/18", "10.10.64.0/18"}},
		{"10.10.0.0/16", 3, []string{"10.10.0.0/18", "10.10.64.0/18", "10.10.128.0/18"}},
		{"10.10.0.0/16", 4, []string{"10.10.0.0/18", "10.10.64.0/18", "10.10.128.0/18", "10.10.192.0/18"}},
		{"10.10.0.0/16", 5, []string{"10.10.0.0/19", "10.10.32.0/19", "10.10.64.0/19", "10.10.96.0/19", "10.10.128.0/19"}},
		{"192.168.4.0/24", 2, []string{"192.168.4.0/26", "192.168.4.64/26"}},
		{"172.16.0.0/26", 3, []string{"172.16.0.0/28", "172.16.0.16/28", "172.16.0.32/28"}},
	}
	for _, tt := range tests {
		blocks, err := Split(netip.MustParsePrefix(tt.vpc), tt.count)
		require.NoError(t, err, tt.vpc)
		var got []string
		for _, b := range blocks {
			got = append(got, b.String())
			assert.True(t, netip.MustParsePrefix(tt.vpc).Contains(b.Addr()), "%s inside %s", b, tt.vpc)
		}
		assert.Equal(t, tt.want, got, "%s into %d", tt.vpc, tt.count)
	}
}

func TestSplitTooSmall(t *testing.T) {
	_, err := Split(netip.MustParsePrefix("10.0.0.0/27"), 2)
	assert.ErrorContains(t, err, "too small")
	_, err = Split(netip.MustParsePrefix("10.0.0.0/16"), 0)
	assert.Error(t, err)
}
