package consumer

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/internal/network"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// studioNetwork is the consumer's security groups and VPC endpoints.
//
// The isolation model. SageMaker aggregates the groups of a profile's
// UserSettings with the domain's DefaultUserSettings groups (SageMaker API
// reference, UserSettings.SecurityGroups: "aggregated when specified in both
// calls"), so every group in the domain defaults sits on every user's apps. A
// group there that admitted itself would join all users' apps to each other.
// Hence:
//   - the clients group, on every Studio app through the domain defaults, has
//     no ingress at all and no rule that names itself: it only carries the
//     way out to the endpoints, S3 and Redshift, which the endpoint group and
//     the Redshift side admit with one rule each, whatever the number of users;
//   - each user profile adds one group of its own that admits only itself, on
//     the app ports AWS requires between one user's apps;
//   - SageMaker adds one group of its own (NFS to the home EFS) to every app.
//
// A Studio app therefore carries 3 groups (AWS allows 5 per network
// interface), each added user costs one group and two rules, and no shared
// group gains a rule per user (60 inbound and 60 outbound rules per group,
// Amazon VPC quotas).
type studioNetwork struct {
	clientsGroup  *ec2.SecurityGroup
	jobsGroup     *ec2.SecurityGroup
	userGroups    map[string]*ec2.SecurityGroup
	endpointGroup *ec2.SecurityGroup
	// sageMakerEndpoints are the endpoints of SageMaker's APIs (sagemaker.api,
	// sagemaker.runtime ...), the ones SageMaker calls from the VPC arrive by.
	sageMakerEndpoints pulumi.StringArray
}

// Port ranges AWS documents for Studio in VpcOnly mode.
const (
	appPortsFrom = 8192 // Jupyter server and kernel gateway apps of one user
	appPortsTo   = 65535
	httpsPort    = 443
)

// Protocols of security group rules; "-1" is every protocol (and every port).
const (
	tcp         = "tcp"
	allProtocol = "-1"
)

func newStudioNetwork(ctx *pulumi.Context, name string, args *ConsumerArgs, parent pulumi.ResourceOption) (*studioNetwork, error) {
	newGroup := func(logicalName, description string) (*ec2.SecurityGroup, error) {
		group, err := ec2.NewSecurityGroup(ctx, logicalName, &ec2.SecurityGroupArgs{
			VpcId: args.VpcID,
			// The description forces a new group (and a new group on the
			// domain forces a new domain): keep it as it is.
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
	// The logical name and description are those of the domain's group since
	// the first release: the domain's DomainSettings.SecurityGroupIds is
	// ForceNew (terraform-provider-aws #48778), so this group must stay.
	if n.clientsGroup, err = newGroup(name+"-studio", "SageMaker Studio domain default for apps of "+args.DomainName); err != nil {
		return nil, err
	}
	if n.jobsGroup, err = newGroup(name+"-jobs", "SageMaker jobs and models of domain "+args.DomainName+": members reach each other (distributed training)"); err != nil {
		return nil, err
	}
	for _, userName := range args.UserProfiles {
		if n.userGroups[userName], err = newGroup(userGroupName(name, userName), "SageMaker Studio apps of user "+userName); err != nil {
			return nil, err
		}
	}

	perimeter := endpointPerimeter(args)
	s3PrefixList, err := newS3Gateway(ctx, name, args, perimeter, parent)
	if err != nil {
		return nil, err
	}
	for _, service := range args.InterfaceEndpoints {
		logicalName := endpointLogicalName(name, service)
		// The provider updates an endpoint's policy in place with
		// ModifyVpcEndpoint (policy is not ForceNew in
		// terraform-provider-aws internal/service/ec2/vpc_endpoint.go) and
		// ignores equivalent JSON as AWS rewrites it (#22137, #28798).
		endpointPolicy, err := endpointPolicyJSON(service, perimeter)
		if err != nil {
			return nil, err
		}
		endpoint, err := ec2.NewVpcEndpoint(ctx, logicalName, &ec2.VpcEndpointArgs{
			VpcId:             args.VpcID,
			ServiceName:       pulumi.String(network.EndpointServiceName(args.Region, service)),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         args.SubnetIDs,
			SecurityGroupIds:  pulumi.StringArray{n.endpointGroup.ID()},
			Policy:            pulumi.String(endpointPolicy),
			Tags:              pulumi.StringMap{"Name": pulumi.String(logicalName)},
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("%s endpoint: %w", service, err)
		}
		if strings.HasPrefix(service, "sagemaker.") {
			n.sageMakerEndpoints = append(n.sageMakerEndpoints, endpoint.ID())
		}
	}

	for _, rule := range n.rules(name, s3PrefixList, args) {
		if err := rule.register(ctx, parent); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// userGroupName is the logical name of a user profile's own group.
func userGroupName(name, userName string) string { return name + "-studio-" + userName }

// newS3Gateway creates the S3 gateway endpoint on the Studio route tables, or
// reuses the VPC's own (a route table takes one gateway route per service, so
// a second endpoint would fail), and returns the prefix list Studio's egress
// rule names. A reused endpoint keeps its owner's policy.
func newS3Gateway(ctx *pulumi.Context, name string, args *ConsumerArgs, perimeter EndpointPerimeter, parent pulumi.ResourceOption) (pulumi.StringInput, error) {
	if args.S3PrefixListID != nil {
		return args.S3PrefixListID, nil
	}
	gatewayPolicy, err := endpointPolicyJSON("s3", perimeter)
	if err != nil {
		return nil, err
	}
	gateway, err := network.NewS3GatewayEndpoint(ctx, endpointLogicalName(name, "s3"), args.Region, args.VpcID, args.RouteTableIDs, pulumi.String(gatewayPolicy), parent)
	if err != nil {
		return nil, err
	}
	return gateway.PrefixListId, nil
}

// endpointPerimeter is what the consumer's endpoints admit.
func endpointPerimeter(args *ConsumerArgs) EndpointPerimeter {
	accounts := []string{args.Account}
	if args.ProducerAccount != "" && args.ProducerAccount != args.Account {
		accounts = append(accounts, args.ProducerAccount)
	}
	perimeter := EndpointPerimeter{
		Partition: policy.Partition(args.Region),
		Region:    args.Region,
		Accounts:  accounts,
		S3Buckets: args.S3EndpointBuckets,
		Services:  args.InterfaceEndpoints,
	}
	if args.PackageMirror != nil {
		perimeter.PackageRepository = args.PackageMirror.CodeArtifact
	}
	return perimeter
}

// rule is one security group rule.
type rule struct {
	// name is the rule's logical name.
	name        string
	egress      bool
	description string
	// protocol is tcp unless set; allProtocol takes no ports.
	protocol string
	from, to int
	group    *ec2.SecurityGroup
	// Exactly one peer: another group, a prefix list or a CIDR block.
	peerGroup  pulumi.StringInput
	prefixList pulumi.StringInput
	cidr       pulumi.StringInput
}

// rules are every rule of the Studio groups and the endpoint group. Their
// number depends on the users only through the two rules of each user's own
// group.
func (n *studioNetwork) rules(name string, s3PrefixList pulumi.StringInput, args *ConsumerArgs) []rule {
	clients := name + "-studio"
	jobs := name + "-jobs"
	var rules []rule
	// The way out, for every Studio app and every job: the endpoints, S3
	// through the gateway, over a peering the Redshift port of the producer
	// VPC and, with a NAT gateway, HTTPS to the internet (egress only, for
	// package installs). A managed endpoint adds its own rule.
	for _, g := range []struct {
		name  string
		group *ec2.SecurityGroup
	}{{clients, n.clientsGroup}, {jobs, n.jobsGroup}} {
		groupName, group := g.name, g.group
		rules = append(rules,
			rule{name: groupName + "-endpoints-out", egress: true, description: "HTTPS to the VPC interface endpoints", from: httpsPort, to: httpsPort, group: group, peerGroup: n.endpointGroup.ID()},
			rule{name: groupName + "-s3-out", egress: true, description: "HTTPS to S3 through the gateway endpoint", from: httpsPort, to: httpsPort, group: group, prefixList: s3PrefixList},
			// One rule per source group, not per user: the endpoint group's
			// inbound rules stay at two whatever the number of users.
			rule{name: groupName + "-to-endpoints", description: "HTTPS from " + groupName, from: httpsPort, to: httpsPort, group: n.endpointGroup, peerGroup: group.ID()},
		)
		if args.ProducerCIDR != "" {
			rules = append(rules, rule{name: groupName + "-redshift-out", egress: true, description: "Redshift in the producer VPC over peering", from: args.RedshiftPort, to: args.RedshiftPort, group: group, cidr: pulumi.String(args.ProducerCIDR)})
		}
		if args.InternetEgress {
			rules = append(rules, rule{name: groupName + "-internet-out", egress: true, description: "HTTPS to the internet through the NAT gateway", from: httpsPort, to: httpsPort, group: group, cidr: pulumi.String("0.0.0.0/0")})
		}
	}
	// A job's instances talk to each other on any port (distributed
	// training). No Studio app carries this group; jobs of different users
	// that use it can reach each other, as docs/security.md says.
	rules = append(rules,
		rule{name: jobs + "-within-in", description: "Instances of SageMaker jobs within the group", protocol: allProtocol, group: n.jobsGroup, peerGroup: n.jobsGroup.ID()},
		rule{name: jobs + "-within-out", egress: true, description: "Instances of SageMaker jobs within the group", protocol: allProtocol, group: n.jobsGroup, peerGroup: n.jobsGroup.ID()},
	)
	// One user's apps reach each other, and only each other.
	for _, userName := range args.UserProfiles {
		groupName, group := userGroupName(name, userName), n.userGroups[userName]
		rules = append(rules,
			rule{name: groupName + "-apps-in", description: "Studio apps of " + userName + " within the group", from: appPortsFrom, to: appPortsTo, group: group, peerGroup: group.ID()},
			rule{name: groupName + "-apps-out", egress: true, description: "Studio apps of " + userName + " within the group", from: appPortsFrom, to: appPortsTo, group: group, peerGroup: group.ID()},
		)
	}
	return rules
}

func (r rule) register(ctx *pulumi.Context, parent pulumi.ResourceOption) error {
	protocol := r.protocol
	if protocol == "" {
		protocol = tcp
	}
	var from, to pulumi.IntPtrInput
	if protocol != allProtocol {
		from, to = pulumi.Int(r.from), pulumi.Int(r.to)
	}
	var err error
	if r.egress {
		_, err = vpc.NewSecurityGroupEgressRule(ctx, r.name, &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId:           r.group.ID(),
			Description:               pulumi.String(r.description),
			IpProtocol:                pulumi.String(protocol),
			FromPort:                  from,
			ToPort:                    to,
			ReferencedSecurityGroupId: stringPtr(r.peerGroup),
			PrefixListId:              stringPtr(r.prefixList),
			CidrIpv4:                  stringPtr(r.cidr),
		}, parent)
	} else {
		_, err = vpc.NewSecurityGroupIngressRule(ctx, r.name, &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId:           r.group.ID(),
			Description:               pulumi.String(r.description),
			IpProtocol:                pulumi.String(protocol),
			FromPort:                  from,
			ToPort:                    to,
			ReferencedSecurityGroupId: stringPtr(r.peerGroup),
			PrefixListId:              stringPtr(r.prefixList),
			CidrIpv4:                  stringPtr(r.cidr),
		}, parent)
	}
	if err != nil {
		return fmt.Errorf("security group rule %s: %w", r.name, err)
	}
	return nil
}

// stringPtr passes an optional input on, nil when absent.
func stringPtr(value pulumi.StringInput) pulumi.StringPtrInput {
	if value == nil {
		return nil
	}
	return value.ToStringOutput()
}
