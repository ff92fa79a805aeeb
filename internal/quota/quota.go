// Package quota holds the AWS default quotas the program checks, once, for
// the up-time refusal in program and the offline plan's quota table.
package quota

// Amazon VPC quotas, https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html.
const (
	RulesPerSecurityGroup      = 60 // inbound, and outbound apiece
	SecurityGroupsPerInterface = 5
	SecurityGroupsPerRegion    = 2500
	NetworkInterfacesPerRegion = 5000
	GatewayEndpointsPerRegion  = 20
	InterfaceEndpointsPerVPC   = 50
	RoutesPerRouteTable        = 50
	PeeringsPerVPC             = 50
)

// IAM quotas, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html;
// documents are counted without white space.
const (
	RolesPerAccount        = 1000
	TrustPolicyLength      = 2048
	ManagedPolicySize      = 6144
	InlinePoliciesPerRole  = 10240
	ManagedPoliciesPerRole = 10
)

// EndpointPolicySize is the most characters a VPC endpoint policy may have,
// white space included (AWS PrivateLink guide, "Control access to VPC
// endpoints using endpoint policies").
const EndpointPolicySize = 20480

// SageMaker creates two security groups in the VPC for each domain (inbound
// and outbound NFS to the home EFS) and puts one of them on every Studio app.
const (
	SageMakerDomainGroups = 2
	SageMakerAppGroups    = 1
)

// Amazon Redshift quotas of managed VPC endpoints, each adjustable,
// https://docs.aws.amazon.com/redshift/latest/mgmt/amazon-redshift-limits.html.
const (
	// "Grantees to cluster accessed through a Redshift-managed VPC
	// endpoint": the accounts a cluster's owner may authorize.
	EndpointGranteesPerCluster = 5
	// "Redshift-managed VPC endpoints connected to a cluster".
	ManagedEndpointsPerCluster = 30
	// "Redshift-managed VPC endpoints per authorization": the endpoints one
	// authorized account may create.
	EndpointsPerAuthorization = 5
)
