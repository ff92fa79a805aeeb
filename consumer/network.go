package consumer

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/network"
	"github.com/studio-redshift/studio-redshift/policy"
)

// studioNetwork is the consumer's security groups and VPC endpoints.
type studioNetwork struct {
	domainGroup   *ec2.SecurityGroup
	userGroups    map[string]*ec2.SecurityGroup
	endpointGroup *ec2.SecurityGroup
	// sageMakerEndpoints are the endpoints of SageMaker's APIs (sagemaker.api,
	// sagemaker.runtime ...), the ones SageMaker calls from the VPC arrive by.
	sageMakerEndpoints pulumi.StringArray
}

// Port ranges AWS documents for Studio in VpcOnly mode.
const (
	nfsPort      = 2049 // the home EFS
	appPortsFrom = 8192 // Jupyter server and kernel gateway apps of one user
	appPortsTo   = 65535
	httpsPort    = 443
)

func newStudioNetwork(ctx *pulumi.Context, name string, args *ConsumerArgs, parent pulumi.ResourceOption) (*studioNetwork, error) {
	newGroup := func(logicalName, description string) (*ec2.SecurityGroup, error) {
		group, err := ec2.NewSecurityGroup(ctx, logicalName, &ec2.SecurityGroupArgs{
			VpcId:       args.VpcID,
			Description: pulumi.String(description),
			// Rules are separate resources (the groups refer to each other);
			// revoking them first lets a destroy delete the groups.
			RevokeRulesOnDelete: pulumi.Bool(true),
			Tags:                pulumi.StringMap{"Name": pulumi.String(logicalName)},
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("security group %s: %w", logicalName, err)
		}
		return group, nil
	}

	n := &studioNetwork{userGroups: map[string]*ec2.SecurityGroup{}}
	var err error
	if n.endpointGroup, err = newGroup(name+"-endpoints", "VPC interface endpoints, HTTPS from SageMaker Studio only"); err != nil {
		return nil, err
	}
	if n.domainGroup, err = newGroup(name+"-studio", "SageMaker Studio domain default for apps of "+args.DomainName); err != nil {
		return nil, err
	}
	// AWS recommends a distinct group per user profile, so that one user's
	// apps cannot reach another's.
	for _, userName := range args.UserProfiles {
		if n.userGroups[userName], err = newGroup(name+"-studio-"+userName, "SageMaker Studio apps of user "+userName); err != nil {
			return nil, err
		}
	}

	var gatewayPolicy pulumi.StringPtrInput
	if len(args.S3EndpointBuckets) > 0 {
		text, err := S3EndpointPolicy(policy.Partition(args.Region), args.S3EndpointBuckets).JSON()
		if err != nil {
			return nil, fmt.Errorf("S3 gateway endpoint policy: %w", err)
		}
		gatewayPolicy = pulumi.String(text)
	}
	gateway, err := ec2.NewVpcEndpoint(ctx, endpointLogicalName(name, "s3"), &ec2.VpcEndpointArgs{
		VpcId:           args.VpcID,
		ServiceName:     pulumi.String(network.EndpointServiceName(args.Region, "s3")),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   args.RouteTableIDs,
		Policy:          gatewayPolicy,
		Tags:            pulumi.StringMap{"Name": pulumi.String(endpointLogicalName(name, "s3"))},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("S3 gateway endpoint: %w", err)
	}
	for _, service := range args.InterfaceEndpoints {
		logicalName := endpointLogicalName(name, service)
		endpoint, err := ec2.NewVpcEndpoint(ctx, logicalName, &ec2.VpcEndpointArgs{
			VpcId:             args.VpcID,
			ServiceName:       pulumi.String(network.EndpointServiceName(args.Region, service)),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         args.SubnetIDs,
			SecurityGroupIds:  pulumi.StringArray{n.endpointGroup.ID()},
			Tags:              pulumi.StringMap{"Name": pulumi.String(logicalName)},
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("%s endpoint: %w", service, err)
		}
		if strings.HasPrefix(service, "sagemaker.") {
			n.sageMakerEndpoints = append(n.sageMakerEndpoints, endpoint.ID())
		}
	}

	groupNames := []string{name + "-studio"}
	groups := []*ec2.SecurityGroup{n.domainGroup}
	for _, userName := range args.UserProfiles {
		groupNames = append(groupNames, name+"-studio-"+userName)
		groups = append(groups, n.userGroups[userName])
	}
	for i, group := range groups {
		groupName := groupNames[i]
		for _, rule := range studioRules(group, n.endpointGroup, gateway.PrefixListId, args) {
			if err := rule.register(ctx, groupName, parent); err != nil {
				return nil, err
			}
		}
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, groupName+"-to-endpoints", &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId:           n.endpointGroup.ID(),
			Description:               pulumi.String("HTTPS from " + groupName),
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(httpsPort),
			ToPort:                    pulumi.Int(httpsPort),
			ReferencedSecurityGroupId: group.ID(),
		}, parent); err != nil {
			return nil, fmt.Errorf("endpoint ingress from %s: %w", groupName, err)
		}
	}
	return n, nil
}

// S3EndpointPolicy limits S3 through the gateway endpoint to the named
// buckets and their objects. Endpoint policies name no principal: "*" stands
// for whoever uses the endpoint, and their own IAM policies still apply.
func S3EndpointPolicy(partition string, buckets []string) policy.Document {
	resources := make([]string, 0, 2*len(buckets))
	for _, bucket := range buckets {
		bucketArn := policy.ARN(partition, "s3", "", "", bucket)
		resources = append(resources, bucketArn, bucketArn+"/*")
	}
	return policy.New(policy.Statement{
		Sid:       "NamedBucketsOnly",
		Effect:    policy.Allow,
		Principal: &policy.Principal{AWS: []string{"*"}},
		Action:    []string{"s3:*"},
		Resource:  resources,
	})
}

// rule is one security group rule of a Studio group.
type rule struct {
	suffix      string
	egress      bool
	description string
	from, to    int
	group       *ec2.SecurityGroup
	// Exactly one peer: another group, a prefix list or a CIDR block.
	peerGroup  pulumi.StringPtrInput
	prefixList pulumi.StringPtrInput
	cidr       pulumi.StringPtrInput
}

// studioRules are the rules every Studio group gets: NFS and app traffic
// within the group both ways (AWS's VpcOnly requirements), and out only to
// the endpoints, S3 through the gateway, and the Redshift cluster.
func studioRules(group, endpointGroup *ec2.SecurityGroup, s3PrefixList pulumi.StringOutput, args *ConsumerArgs) []rule {
	self := group.ID().ToStringOutput()
	rules := []rule{
		{suffix: "nfs-in", description: "NFS to the home EFS within the group", from: nfsPort, to: nfsPort, group: group, peerGroup: self},
		{suffix: "apps-in", description: "Studio apps within the group", from: appPortsFrom, to: appPortsTo, group: group, peerGroup: self},
		{suffix: "nfs-out", egress: true, description: "NFS to the home EFS within the group", from: nfsPort, to: nfsPort, group: group, peerGroup: self},
		{suffix: "apps-out", egress: true, description: "Studio apps within the group", from: appPortsFrom, to: appPortsTo, group: group, peerGroup: self},
		{suffix: "endpoints-out", egress: true, description: "HTTPS to the VPC interface endpoints", from: httpsPort, to: httpsPort, group: group, peerGroup: endpointGroup.ID().ToStringOutput()},
		{suffix: "s3-out", egress: true, description: "HTTPS to S3 through the gateway endpoint", from: httpsPort, to: httpsPort, group: group, prefixList: s3PrefixList},
		{suffix: "redshift-out", egress: true, description: "Redshift in the producer VPC over peering", from: args.RedshiftPort, to: args.RedshiftPort, group: group, cidr: pulumi.String(args.ProducerCIDR)},
	}
	if args.InternetEgress {
		// Egress only, through the NAT gateway: package installs over HTTPS.
		rules = append(rules, rule{suffix: "internet-out", egress: true, description: "HTTPS to the internet through the NAT gateway", from: httpsPort, to: httpsPort, group: group, cidr: pulumi.String("0.0.0.0/0")})
	}
	return rules
}

func (r rule) register(ctx *pulumi.Context, groupName string, parent pulumi.ResourceOption) error {
	logicalName := groupName + "-" + r.suffix
	var err error
	if r.egress {
		_, err = vpc.NewSecurityGroupEgressRule(ctx, logicalName, &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId:           r.group.ID(),
			Description:               pulumi.String(r.description),
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(r.from),
			ToPort:                    pulumi.Int(r.to),
			ReferencedSecurityGroupId: r.peerGroup,
			PrefixListId:              r.prefixList,
			CidrIpv4:                  r.cidr,
		}, parent)
	} else {
		_, err = vpc.NewSecurityGroupIngressRule(ctx, logicalName, &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId:           r.group.ID(),
			Description:               pulumi.String(r.description),
			IpProtocol:                pulumi.String("tcp"),
			FromPort:                  pulumi.Int(r.from),
			ToPort:                    pulumi.Int(r.to),
			ReferencedSecurityGroupId: r.peerGroup,
			PrefixListId:              r.prefixList,
			CidrIpv4:                  r.cidr,
		}, parent)
	}
	if err != nil {
		return fmt.Errorf("security group rule %s: %w", logicalName, err)
	}
	return nil
}
