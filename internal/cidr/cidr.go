// Package cidr derives subnet blocks from a VPC block: plain Go, so
// configuration validation and the network component agree on the same
// arithmetic.
package cidr

import (
	"fmt"
	"math/bits"
	"net/netip"
)

// SmallestSubnet is the smallest IPv4 subnet AWS allows (/28).
const SmallestSubnet = 28

// Split divides vpc into equal blocks, enough for count subnets but at least
// four (a /16 gives /18s), and returns the first count of them in order.
// Later growth (a public subnet, another AZ) takes the blocks left over.
func Split(vpc netip.Prefix, count int) ([]netip.Prefix, error) {
	if count < 1 {
		return nil, fmt.Errorf("cannot split %s into %d subnets", vpc, count)
	}
	newBits := max(2, bits.Len(uint(count-1)))
	size := vpc.Bits() + newBits
	if size > SmallestSubnet {
		return nil, fmt.Errorf("%s is too small for %d subnets: each would be a /%d, and AWS subnets are at least /%d", vpc, count, size, SmallestSubnet)
	}
	base := vpc.Masked().Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	step := uint32(1) << (32 - size)
	blocks := make([]netip.Prefix, count)
	for i := range blocks {
		n := start + uint32(i)*step
		addr := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		blocks[i] = netip.PrefixFrom(addr, size)
	}
	return blocks, nil
}
