package offline

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// VpcEndpoint is an existing VPC endpoint as a lookup returns it.
type VpcEndpoint struct {
	VpcID, ServiceName, Type, PrefixListID string
	RouteTableIDs                          []string
}

// WithVpcEndpoint makes a lookup of id find this endpoint, for tests of
// configuration that does not match the account.
func WithVpcEndpoint(id string, endpoint VpcEndpoint) Option {
	return func(m *Mocks) { m.vpcEndpoints[id] = endpoint }
}

// assumeConfiguredEndpoints answers lookups of the endpoints configuration
// names the way a correct configuration implies: the consumer's
// s3GatewayEndpointId is the S3 gateway of the consumer VPC on its route
// tables. An offline plan cannot see the account; tests that need another
// answer use WithVpcEndpoint.
func (m *Mocks) assumeConfiguredEndpoints(config map[string]string) {
	var consumer struct {
		VPC struct {
			ID                  string   `json:"id"`
			RouteTableIDs       []string `json:"routeTableIds"`
			S3GatewayEndpointID string   `json:"s3GatewayEndpointId"`
		} `json:"vpc"`
	}
	if json.Unmarshal([]byte(config[m.project+":consumer"]), &consumer) != nil || consumer.VPC.S3GatewayEndpointID == "" {
		return
	}
	if _, ok := m.vpcEndpoints[consumer.VPC.S3GatewayEndpointID]; ok {
		return
	}
	region := config[m.project+":region"]
	m.vpcEndpoints[consumer.VPC.S3GatewayEndpointID] = VpcEndpoint{
		VpcID: consumer.VPC.ID, ServiceName: "com.amazonaws." + region + ".s3", Type: "Gateway",
		PrefixListID: "pl-" + hexOf(region+"/s3", 8), RouteTableIDs: consumer.VPC.RouteTableIDs,
	}
}

// lookupVpcEndpoint answers aws:ec2/getVpcEndpoint by id, as AWS does: an
// endpoint it does not know is an error.
func (m *Mocks) lookupVpcEndpoint(args resource.PropertyMap) (resource.PropertyMap, error) {
	id := args["id"].StringValue()
	endpoint, ok := m.vpcEndpoints[id]
	if !ok {
		return nil, fmt.Errorf("no matching EC2 VPC Endpoint found (%s)", id)
	}
	tables := make([]any, len(endpoint.RouteTableIDs))
	for i, table := range endpoint.RouteTableIDs {
		tables[i] = table
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"id": id, "vpcId": endpoint.VpcID, "serviceName": endpoint.ServiceName, "vpcEndpointType": endpoint.Type,
		"prefixListId": endpoint.PrefixListID, "routeTableIds": tables,
	}), nil
}
