package program

import (
	"fmt"
	"strings"

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
	if cfg.IsServerless() {
		// One role per user in the data account: Redshift Serverless makes
		// each IAM identity a database user of its own (IAMR:<role name>).
		if roles := serverlessRoles(cfg); roles > quota.RolesPerAccount {
			return config.Errorf("consumer.studio.userProfiles", "%d user profiles take a role each in the data account %s (with a Redshift Serverless producer), %d roles the program makes there in all; IAM allows %d roles per account by default, and the account's other roles count too: "+
				"raise the IAM quota \"Roles per account\" first (Service Quotas, up to 5,000), or split the users over two stacks of different data accounts",
				len(cfg.Consumer.Studio.UserProfiles), cfg.Producer.AccountID, roles, quota.RolesPerAccount)
		}
	}
	if cfg.Side == config.SideProducer && cfg.Connection == config.ConnectionManagedEndpoint {
		// What configuration names now; runProducerSide checks again with
		// the accounts the consumers' stacks report.
		consumers := make([]endpointConsumer, len(cfg.Consumers))
		for i, c := range cfg.Consumers {
			consumers[i] = endpointConsumer{index: i, account: c.AccountID}
		}
		if err := checkEndpointQuotas(cfg, consumers); err != nil {
			return err
		}
	}
	return nil
}

// endpointConsumer is one consumer of a managed endpoint, as its quotas count
// it: consumers[index], in account (empty while its stack has not said).
type endpointConsumer struct {
	index   int
	account string
}

// raiseRedshiftQuota says how to raise an adjustable Redshift quota.
const raiseRedshiftQuota = "ask AWS to raise it first (adjustable: Service Quotas console, Amazon Redshift, or the Amazon Redshift Limit Increase Form)"

// checkEndpointQuotas refuses consumers of managed endpoints beyond
// Redshift's default quotas (management guide, "Quotas and limits in Amazon
// Redshift"): 5 grantee accounts per cluster, 5 endpoints per authorization
// (one ML account's), 30 endpoints per cluster. Each consumer has one VPC and
// creates one endpoint; a consumer in the data account needs no
// authorization, but its endpoint counts against the cluster's.
func checkEndpointQuotas(cfg *config.Config, consumers []endpointConsumer) error {
	cluster := cfg.Producer.Redshift.ClusterIdentifier
	if len(consumers) > quota.ManagedEndpointsPerCluster {
		return config.Errorf("consumers", "%d consumers would connect %d managed endpoints to cluster %s; Redshift allows %d per cluster by default (quota \"Redshift-managed VPC endpoints connected to a cluster\"): %s, or serve some consumers from another producer stack with connection peering or dataApi",
			len(consumers), len(consumers), cluster, quota.ManagedEndpointsPerCluster, raiseRedshiftQuota)
	}
	endpointsIn := map[string]int{}
	var grantees []string
	for _, c := range consumers {
		if c.account == "" || c.account == cfg.Producer.AccountID {
			continue
		}
		key := fmt.Sprintf("consumers[%d].accountId", c.index)
		if endpointsIn[c.account] == 0 {
			grantees = append(grantees, c.account)
			if len(grantees) > quota.EndpointGranteesPerCluster {
				return config.Errorf(key, "%s would be the %dth ML account authorized to reach cluster %s through managed endpoints; Redshift allows %d grantee accounts per cluster by default (quota \"Grantees to cluster accessed through a Redshift-managed VPC endpoint\"): %s, or serve these accounts with connection peering or dataApi from another producer stack",
					c.account, len(grantees), cluster, quota.EndpointGranteesPerCluster, raiseRedshiftQuota)
			}
		}
		endpointsIn[c.account]++
		if endpointsIn[c.account] > quota.EndpointsPerAuthorization {
			return config.Errorf(key, "account %s would have %d managed endpoints of cluster %s, one per consumer; Redshift allows %d per authorization by default (quota \"Redshift-managed VPC endpoints per authorization\"): %s, or put some of these consumers in another account",
				c.account, endpointsIn[c.account], cluster, quota.EndpointsPerAuthorization, raiseRedshiftQuota)
		}
	}
	return nil
}

// endpointConsumers are the ready consumers of a producer-side stack, with
// the accounts their stacks report.
func endpointConsumers(cfg *config.Config, ready []consumerReady) []endpointConsumer {
	var out []endpointConsumer
	for _, c := range ready {
		for i, listed := range cfg.Consumers {
			if listed.Name == c.name {
				out = append(out, endpointConsumer{index: i, account: c.accountID})
			}
		}
	}
	return out
}

// serverlessRoles are the roles a stack with a Serverless producer makes in
// the data account: one per user, and where both sides share the account,
// the consumer's own (the execution role and the features' roles), which
// countConsumerRoles bounds from above.
func serverlessRoles(cfg *config.Config) int {
	roles := len(cfg.Consumer.Studio.UserProfiles)
	if cfg.SameAccount() {
		roles += consumerRolesBound
	}
	return roles
}

// consumerRolesBound bounds the roles the consumer side makes in its account
// whatever the features: the execution role and a role per sibling feature
// (Athena, Feature Store), none per user.
const consumerRolesBound = 3

// checkServerlessConsumerRoles counts the roles a Serverless producer side
// makes in the data account, one per user of every ready consumer, against
// IAM's roles per account (IAM quotas, 1,000 by default): the consumers share
// the account's quota, so no one consumer's count shows the problem.
func checkServerlessConsumerRoles(cfg *config.Config, consumers []consumerReady) error {
	roles := 0
	var counts []string
	for _, c := range consumers {
		roles += len(c.userProfiles)
		counts = append(counts, fmt.Sprintf("%s %d", c.name, len(c.userProfiles)))
	}
	if roles > quota.RolesPerAccount {
		return config.Errorf("consumers", "the consumers' users take %d roles in the data account %s (%s), one each with a Redshift Serverless producer; IAM allows %d roles per account by default, and the account's other roles count too: "+
			"raise the IAM quota \"Roles per account\" first (Service Quotas, up to 5,000), or serve some consumers from a producer stack of another data account",
			roles, cfg.Producer.AccountID, strings.Join(counts, ", "), quota.RolesPerAccount)
	}
	return nil
}
