package config

import (
	"fmt"
	"slices"
	"strings"
)

// The ways Studio reaches the cluster (studio-redshift:connection).
const (
	// ConnectionPeering peers the two VPCs and routes between them: the
	// seed article's path, and the default.
	ConnectionPeering = "peering"
	// ConnectionDataAPI uses only the Redshift Data API, over its interface
	// endpoint: no network path to the cluster at all.
	ConnectionDataAPI = "dataApi"
	// ConnectionManagedEndpoint puts a Redshift-managed VPC endpoint of the
	// cluster in the consumer VPC, authorized by the data account.
	ConnectionManagedEndpoint = "managedEndpoint"
)

// Connections are the values studio-redshift:connection takes.
var Connections = []string{ConnectionPeering, ConnectionDataAPI, ConnectionManagedEndpoint}

// ra3Ports are the ports a new RA3 cluster may listen on (Redshift API
// reference, CreateCluster: Port), and those a cluster reached through a
// Redshift-managed VPC endpoint must listen on, whatever its age (management
// guide, "Working with Redshift-managed VPC endpoints"). An existing RA3
// cluster may keep a port outside them.
var ra3Ports = [][2]int{{5431, 5455}, {8191, 8215}}

// ra3Port reports whether port is in ra3Ports.
func ra3Port(port int) bool {
	for _, ports := range ra3Ports {
		if ports[0] <= port && port <= ports[1] {
			return true
		}
	}
	return false
}

// Peering reports whether the VPCs are peered.
func (c *Config) Peering() bool { return c.Connection == ConnectionPeering }

// UsesProducerVPC reports whether the program touches the producer's VPC:
// to peer with it, or to create the cluster in it. Otherwise the cluster is
// reached without any network path into the data account's VPC.
func (c *Config) UsesProducerVPC() bool { return c.Peering() || c.CreatesWarehouse() }

func (c *Config) checkConnection(p *problems) {
	if !slices.Contains(Connections, c.Connection) {
		p.add("connection", "%q is not a connection mode; use one of %s (default %s)", c.Connection, strings.Join(Connections, ", "), ConnectionPeering)
		return
	}
	r := c.Producer.Redshift
	if c.Connection == ConnectionManagedEndpoint {
		// A created cluster's port is checked with the cluster, in every mode.
		if !r.Create && !ra3Port(r.Port) {
			p.add("producer.redshift.port", "%d: a cluster reached through a Redshift-managed VPC endpoint listens on 5431-5455 or 8191-8215; "+
				"set the cluster's port in that range (an existing cluster's port can be changed with modify-cluster)", r.Port)
		}
		// All node types a new cluster may use are RA3, which managed
		// endpoints need; an existing cluster's type and its relocation
		// setting are checked by AWS (see docs/connection-modes.md).
	}
	if c.Connection == ConnectionDataAPI && !c.IsServerless() {
		for i := range r.DBGroups {
			p.add(fmt.Sprintf("producer.redshift.dbGroups[%d]", i), "the Data API cannot join database groups (ExecuteStatement takes no DbGroups); "+
				"grant users directly, or use connection %s or %s", ConnectionPeering, ConnectionManagedEndpoint)
		}
	}
	if c.Peering() {
		return
	}
	// No network path: nothing in the data account's network is touched.
	reason := fmt.Sprintf("connection %s opens no network path into the producer VPC, so nothing uses it; remove it, or use connection %s", c.Connection, ConnectionPeering)
	forbid(p, "producer.redshift.securityGroupId", r.SecurityGroupID != "", "%s", reason)
	if !c.CreatesWarehouse() {
		forbid(p, "producer.vpc.routeTableIds", len(c.Producer.VPC.RouteTableIDs) > 0, "%s", reason)
	}
}
