package program

import (
	"github.com/studio-redshift/studio-redshift/config"
)

// Default quotas that configuration alone can exceed, checked before anything
// is registered so that `pulumi up` never meets them halfway (Amazon VPC
// quotas, https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
// The offline plan measures every quota the stack comes near on what the
// program registers.
const (
	interfaceEndpointsPerVPC = 50
	securityGroupsPerRegion  = 2500
	// sharedStudioGroups are the consumer's groups that do not grow with the
	// users (endpoints, Studio clients, jobs), and sageMakerDomainGroups the
	// two NFS groups SageMaker creates for the domain's home EFS.
	sharedStudioGroups    = 3
	sageMakerDomainGroups = 2
)

// checkQuotas refuses a configuration that would exceed a default quota, by
// the key that drives it.
func checkQuotas(cfg *config.Config) error {
	if endpoints := interfaceEndpoints(cfg); len(endpoints) > interfaceEndpointsPerVPC {
		return config.Errorf("consumer.vpc.extraEndpoints", "the consumer VPC would get %d interface endpoints; AWS allows %d per VPC by default: remove some, or raise the quota first",
			len(endpoints), interfaceEndpointsPerVPC)
	}
	if groups := len(cfg.Consumer.Studio.UserProfiles) + sharedStudioGroups + sageMakerDomainGroups; groups > securityGroupsPerRegion {
		return config.Errorf("consumer.studio.userProfiles", "%d user profiles take %d security groups with the domain's own; AWS allows %d per Region by default, and the account's existing groups count too: split the users over two domains or raise the quota first",
			len(cfg.Consumer.Studio.UserProfiles), groups, securityGroupsPerRegion)
	}
	return nil
}
