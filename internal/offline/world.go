package offline

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

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

// endpointServicesNotOffered are, by zone ID, the interface endpoint services
// the mocked regions do not offer in that zone: AWS offers an endpoint
// service only in some zones of a region, and use1-az3 is the zone of
// us-east-1 that SageMaker's services (and so Studio in VpcOnly mode) leave
// out. Every other service is offered in every zone.
var endpointServicesNotOffered = map[string][]string{
	"use1-az3": {"sagemaker.api", "sagemaker.runtime", "studio", "notebook", "sagemaker.featurestore-runtime"},
}

// EndpointServiceZones are the zones, by name, where a mocked region offers
// an interface endpoint service (com.amazonaws.<region>.<service>, or
// aws.sagemaker.<region>.<service> for Studio's own).
func EndpointServiceZones(region, serviceName string) []string {
	service := serviceName
	for _, prefix := range []string{"com.amazonaws." + region + ".", "aws.sagemaker." + region + "."} {
		service = strings.TrimPrefix(service, prefix)
	}
	var zones []string
	for i, zone := range AvailabilityZones(region) {
		if !slices.Contains(endpointServicesNotOffered[zoneID(region, i)], service) {
			zones = append(zones, zone)
		}
	}
	return zones
}

// lookupEndpointService answers aws:ec2/getVpcEndpointService by service
// name, as AWS does for an AWS service: its zones by the caller's names.
func lookupEndpointService(region string, args resource.PropertyMap) (resource.PropertyMap, error) {
	name, ok := args["serviceName"]
	if !ok || !name.IsString() {
		return nil, fmt.Errorf("getVpcEndpointService without serviceName: the program looks services up by their full name")
	}
	serviceName := name.StringValue()
	if !strings.Contains(serviceName, "."+region+".") {
		return nil, fmt.Errorf("no matching EC2 VPC Endpoint Service found (%s in %s)", serviceName, region)
	}
	var zones []any
	for _, zone := range EndpointServiceZones(region, serviceName) {
		zones = append(zones, zone)
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"id": serviceName, "serviceName": serviceName, "serviceType": "Interface", "owner": "amazon",
		"serviceId": "vpce-svc-" + hexOf(serviceName, 17), "availabilityZones": zones,
		"acceptanceRequired": false, "vpcEndpointPolicySupported": true, "managesVpcEndpoints": false,
	}), nil
}
