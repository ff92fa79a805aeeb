package plan

import (
	"fmt"
	"math"
)

// Cost is one line of the plan's monthly estimate: what the stack keeps
// running whether or not anyone uses it. Usage (data processed, storage,
// Studio apps, requests) is not estimated.
type Cost struct {
	Item string `json:"item"`
	// PerUser marks what one Studio user's app costs a month, outside the
	// stack's total.
	PerUser  bool    `json:"perUser,omitempty"`
	Quantity float64 `json:"quantity"`
	// Unit is what Rate is charged per: "endpoint-zone-hour", "hour",
	// "key-month".
	Unit       string  `json:"unit"`
	RateUSD    float64 `json:"rateUsd"`
	MonthlyUSD float64 `json:"monthlyUsd"`
}

// hoursPerMonth is AWS's own monthly figure in its pricing examples.
const hoursPerMonth = 730

// On-demand rates in us-east-1, from AWS's pricing pages; other regions
// differ by a few percent.
const (
	// AWS PrivateLink pricing: "Pricing per VPC endpoint per AZ ($/hour)".
	interfaceEndpointRate = 0.01
	// Amazon VPC pricing, NAT gateway: "Price per NAT gateway ($/hour)".
	natGatewayRate = 0.045
	// Amazon VPC pricing, public IPv4 address: "$0.005 per IP per hour".
	publicIPv4Rate = 0.005
	// AWS KMS pricing: "Each AWS KMS key that you create in KMS costs
	// $1/month" (each rotation adds $1, for the first two).
	kmsKeyRate = 1.0
)

// redshiftNodeRates are Amazon Redshift pricing's on-demand rates per node
// hour; a node type not listed is shown without a price.
var redshiftNodeRates = map[string]float64{
	"ra3.xlplus":   1.086,
	"ra3.4xlarge":  3.26,
	"ra3.16xlarge": 13.04,
}

// estimateCosts prices what the plan creates: interface endpoints per zone,
// NAT gateways and their public addresses, created clusters' nodes, KMS keys.
func estimateCosts(p *Plan) []Cost {
	var endpointZones float64
	costs := []Cost{}
	add := func(item string, quantity float64, unit string, rate float64) {
		if quantity > 0 {
			costs = append(costs, Cost{Item: item, Quantity: quantity, Unit: unit, RateUSD: rate,
				MonthlyUSD: monthly(quantity, unit, rate)})
		}
	}
	for _, r := range p.Resources {
		switch r.Type {
		case "aws:ec2:VpcEndpoint":
			if r.Properties["vpcEndpointType"] == "Interface" {
				subnets, _ := r.Properties["subnetIds"].([]any)
				endpointZones += float64(len(subnets))
			}
		case "aws:redshift:Cluster":
			nodes, _ := r.Properties["numberOfNodes"].(float64)
			nodeType := fmt.Sprint(r.Properties["nodeType"])
			add("Redshift "+nodeType+" node", math.Max(nodes, 1), "hour", redshiftNodeRates[nodeType])
		}
	}
	add("interface endpoint, per zone", endpointZones, "endpoint-zone-hour", interfaceEndpointRate)
	add("NAT gateway", float64(p.Totals.ByType["aws:ec2:NatGateway"]), "hour", natGatewayRate)
	add("public IPv4 address", float64(p.Totals.ByType["aws:ec2:Eip"]), "hour", publicIPv4Rate)
	add("KMS key", float64(p.Totals.ByType["aws:kms:Key"]), "key-month", kmsKeyRate)
	return append(costs, perUserCosts(p)...)
}

// Working month of the per-user estimate: a user works 8 hours on 21 days.
const (
	workingDays  = 21
	workingHours = 8
)

// studioInstanceRates are Amazon SageMaker pricing's on-demand rates of
// Studio's JupyterLab and Code Editor instances in us-east-1, per hour, for
// the default instance types; another type is shown without a price.
var studioInstanceRates = map[string]float64{
	"ml.t3.medium": 0.05,
	"ml.t3.large":  0.1,
	"ml.m5.large":  0.115,
	"ml.m5.xlarge": 0.23,
}

// perUserCosts compares, for the first user profile's default instance type,
// a user whose app idle shutdown stops after each working day with one whose
// app never stops: what idle shutdown saves per user.
func perUserCosts(p *Plan) []Cost {
	for _, r := range p.Resources {
		if r.Type != "aws:sagemaker:UserProfile" {
			continue
		}
		settings, _ := r.Properties["userSettings"].(map[string]any)
		team := teamSettingsOf(settings)
		if team.instanceType == "" || team.idleMinutes == 0 {
			return nil
		}
		rate := studioInstanceRates[team.instanceType]
		hours := math.Min(workingDays*(workingHours+float64(team.idleMinutes)/60), hoursPerMonth)
		return []Cost{
			{Item: fmt.Sprintf("Studio user, %s shut down after %d idle minutes (%d h on %d days)", team.instanceType, team.idleMinutes, workingHours, workingDays),
				PerUser: true, Quantity: hours, Unit: "app-hour", RateUSD: rate, MonthlyUSD: math.Round(hours*rate*100) / 100},
			{Item: fmt.Sprintf("Studio user, %s never stopped", team.instanceType),
				PerUser: true, Quantity: hoursPerMonth, Unit: "app-hour", RateUSD: rate, MonthlyUSD: math.Round(hoursPerMonth*rate*100) / 100},
		}
	}
	return nil
}

// teamSettings are what the plan shows of a profile's team settings.
type teamSettings struct {
	idleMinutes  int
	instanceType string
}

// teamSettingsOf reads the idle timeout and JupyterLab's default instance
// type from a profile's userSettings input.
func teamSettingsOf(settings map[string]any) teamSettings {
	var team teamSettings
	lab, _ := settings["jupyterLabAppSettings"].(map[string]any)
	if spec, ok := lab["defaultResourceSpec"].(map[string]any); ok {
		team.instanceType, _ = spec["instanceType"].(string)
	}
	if lifecycle, ok := lab["appLifecycleManagement"].(map[string]any); ok {
		if idle, ok := lifecycle["idleSettings"].(map[string]any); ok {
			if minutes, ok := idle["idleTimeoutInMinutes"].(float64); ok {
				team.idleMinutes = int(minutes)
			}
		}
	}
	return team
}

func monthly(quantity float64, unit string, rate float64) float64 {
	if unit == "key-month" {
		return quantity * rate
	}
	return math.Round(quantity*rate*hoursPerMonth*100) / 100
}
