package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/consumer"
	"github.com/studio-redshift/studio-redshift/peering"
	"github.com/studio-redshift/studio-redshift/producer"
)

// link is what the chosen connection leaves for the rest of the program.
type link struct {
	// peeringID is the accepted peering, empty outside peering mode.
	peeringID pulumi.StringInput
	// producerSides are what the data account adds to its network for a
	// peering; none for the connections without a network path into it.
	producerSides []producer.PeeringSide
	// endpoint is the managed endpoint, in that mode only.
	endpoint *consumer.ManagedEndpoint
}

// newConnection builds the way from Studio to the cluster that
// studio-redshift:connection names. Every mode keeps the same per-user chain
// of roles; they differ in the network path. clusterID is the cluster's
// identifier, the created cluster's output where the program creates it.
func newConnection(ctx *pulumi.Context, cfg *config.Config, providers accountProviders, studio *consumer.Consumer,
	studioVPC, clusterVPC *vpc, clusterID pulumi.StringInput) (*link, error) {
	switch cfg.Connection {
	case config.ConnectionPeering:
		peer, err := peering.NewPeering(ctx, "peering", &peering.PeeringArgs{
			ConsumerProvider:    providers.consumer,
			ProducerProvider:    providers.producer,
			ConsumerVpcID:       studioVPC.id,
			ConsumerRouteTables: studioVPC.routeTables,
			ProducerAccountID:   cfg.Producer.AccountID,
			ProducerVpcID:       clusterVPC.id,
			ProducerCIDR:        cfg.Producer.VPC.CIDR,
		})
		if err != nil {
			return nil, err
		}
		return &link{peeringID: peer.ConnectionID, producerSides: []producer.PeeringSide{{
			RouteTables:  clusterVPC.routeTables,
			ConsumerCIDR: cfg.Consumer.VPC.CIDR,
			ConnectionID: peer.ConnectionID,
		}}}, nil
	case config.ConnectionManagedEndpoint:
		endpoint, err := consumer.NewManagedEndpoint(ctx, "managed-endpoint", &consumer.ManagedEndpointArgs{
			ConsumerProvider:  providers.consumer,
			ProducerProvider:  providers.producer,
			ProducerAccountID: cfg.Producer.AccountID,
			ConsumerAccountID: cfg.Consumer.AccountID,
			ClusterIdentifier: cfg.Producer.Redshift.ClusterIdentifier,
			ClusterID:         clusterID,
			Port:              cfg.Producer.Redshift.Port,
			EndpointKey:       cfg.Consumer.AccountID + "/" + cfg.Consumer.Studio.DomainName,
			ConsumerVpcID:     studioVPC.id,
			SubnetIDs:         studioVPC.subnetIDs,
			Clients: []consumer.EndpointClient{
				{Name: "studio-clients", ID: studio.ClientsSecurityGroupID},
				{Name: "jobs", ID: studio.JobsSecurityGroupID},
			},
		})
		if err != nil {
			return nil, err
		}
		return &link{peeringID: pulumi.String(""), endpoint: endpoint}, nil
	default: // config.ConnectionDataAPI
		// IAM alone: Studio calls the Data API over its interface endpoint,
		// which the consumer side always creates.
		return &link{peeringID: pulumi.String("")}, nil
	}
}
