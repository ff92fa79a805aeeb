package program

import (
	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/quota"
)

// sharedStudioGroups are the consumer's groups that do not grow with the
// users: endpoints, Studio clients, jobs.
const sharedStudioGroups = 3

// checkQuotas refuses a configuration that would exceed a default quota
// that configuration alone can exceed, by the key that drives it, before
// anything is registered, so that `pulumi up` never meets it halfway. The
// offline plan measures every quota on what the program registers.
func checkQuotas(cfg *config.Config) error {
	if endpoints := interfaceEndpoints(cfg); len(endpoints) > quota.InterfaceEndpointsPerVPC {
		return config.Errorf("consumer.vpc.extraEndpoints", "the consumer VPC would get %d interface endpoints; AWS allows %d per VPC by default: remove some, or raise the quota first",
			len(endpoints), quota.InterfaceEndpointsPerVPC)
	}
	if groups := len(cfg.Consumer.Studio.UserProfiles) + sharedStudioGroups + quota.SageMakerDomainGroups; groups > quota.SecurityGroupsPerRegion {
		return config.Errorf("consumer.studio.userProfiles", "%d user profiles take %d security groups with the domain's own; AWS allows %d per Region by default, and the account's existing groups count too: split the users over two domains or raise the quota first",
			len(cfg.Consumer.Studio.UserProfiles), groups, quota.SecurityGroupsPerRegion)
	}
	// One producer role per consumer (IAM quotas, roles per account).
	if len(cfg.Consumers) > quota.RolesPerAccount {
		return config.Errorf("consumers", "%d consumers take a producer role each; IAM allows %d roles per account by default, and the account's other roles count too: raise the quota first (up to 5,000)",
			len(cfg.Consumers), quota.RolesPerAccount)
	}
	return nil
}
