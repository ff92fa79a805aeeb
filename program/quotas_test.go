package program

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/plan"
)

// endpointConsumersIn lists n consumers by value, the i-th in account(i).
func endpointConsumersIn(n int, account func(i int) string) []map[string]any {
	consumers := make([]map[string]any, n)
	for i := range consumers {
		consumers[i] = map[string]any{
			"name": fmt.Sprintf("team-%02d", i), "accountId": account(i),
			"executionRoleArn": "arn:aws:iam::" + account(i) + ":role/consumer-execution-role-3f9e2a1",
			"vpc":              map[string]any{"id": fmt.Sprintf("vpc-0d4e5f60718293a%02d", i)},
		}
	}
	return consumers
}

// managedEndpointProducer is a producer-side stack serving consumers through
// managed endpoints of an existing cluster.
func managedEndpointProducer(t *testing.T, consumers []map[string]any) map[string]string {
	t.Helper()
	values := stackConfig(t, "data-platform")
	values["studio-redshift:connection"] = config.ConnectionManagedEndpoint
	values["studio-redshift:producer"] = `{"accountId":"111111111111","redshift":{"clusterIdentifier":"analytics","database":"dev","port":5439}}`
	text, err := json.Marshal(consumers)
	require.NoError(t, err)
	values["studio-redshift:consumers"] = string(text)
	return values
}

// TestManagedEndpointQuotas: Redshift's defaults of 5 grantee accounts per
// cluster, 5 endpoints per authorization and 30 endpoints per cluster are
// refused by key before anything is registered, not met at the 6th
// authorization.
func TestManagedEndpointQuotas(t *testing.T) {
	inAccounts := func(accounts int) func(int) string {
		return func(i int) string { return fmt.Sprintf("4444444444%02d", i%accounts) }
	}
	// 25 teams over five ML accounts, and the rest in the data account,
	// which needs no authorization but whose endpoints count.
	fiveAccountsThenTheDataAccount := func(i int) string {
		if i < 25 {
			return inAccounts(5)(i)
		}
		return producerAccount
	}
	tests := []struct {
		name      string
		consumers []map[string]any
		key, want string // "" when accepted
	}{
		{"20 consumers in 20 accounts", endpointConsumersIn(20, inAccounts(20)),
			"consumers[5].accountId", `444444444405 would be the 6th ML account authorized to reach cluster analytics through managed endpoints; Redshift allows 5 grantee accounts per cluster by default (quota "Grantees to cluster accessed through a Redshift-managed VPC endpoint")`},
		{"20 consumers in 5 accounts", endpointConsumersIn(20, inAccounts(5)), "", ""},
		{"6 consumers in one account", endpointConsumersIn(6, inAccounts(1)),
			"consumers[5].accountId", `account 444444444400 would have 6 managed endpoints of cluster analytics, one per consumer; Redshift allows 5 per authorization by default (quota "Redshift-managed VPC endpoints per authorization")`},
		{"5 consumers in one account", endpointConsumersIn(5, inAccounts(1)), "", ""},
		{"31 consumers", endpointConsumersIn(31, fiveAccountsThenTheDataAccount),
			"consumers", `31 consumers would connect 31 managed endpoints to cluster analytics; Redshift allows 30 per cluster by default (quota "Redshift-managed VPC endpoints connected to a cluster")`},
		{"30 consumers", endpointConsumersIn(30, fiveAccountsThenTheDataAccount), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result, err := offline.Run(Run, config.Project, "data-platform", managedEndpointProducer(t, tt.consumers))
			if tt.key == "" {
				require.NoError(t, err)
				built, err := plan.Build(config.Project, "data-platform", result)
				require.NoError(t, err)
				redshiftQuotas := 0
				for _, q := range built.Quotas {
					if q.Source == "https://docs.aws.amazon.com/redshift/latest/mgmt/amazon-redshift-limits.html" {
						redshiftQuotas++
						assert.LessOrEqual(t, q.Used, q.Limit, "the plan's quota table agrees: %s", q.Name)
					}
				}
				assert.Equal(t, 3, redshiftQuotas, "each managed-endpoint quota is measured")
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.key+": "+tt.want)
			assert.Contains(t, err.Error(), "ask AWS to raise it first (adjustable: Service Quotas console, Amazon Redshift, or the Amazon Redshift Limit Increase Form)", "says how to raise it")
			assert.Empty(t, result.Resources(), "nothing is registered")
		})
	}

	t.Run("the 6th account reported by a consumer's stack", func(t *testing.T) {
		consumers := append(endpointConsumersIn(5, inAccounts(5)), map[string]any{"name": "ml-team-a", "stack": "ml-team-a"})
		result, err := offline.Run(Run, config.Project, "data-platform", managedEndpointProducer(t, consumers),
			offline.WithStackReference("ml-team-a", map[string]any{
				"executionRoleArn": "arn:aws:iam::444444444499:role/consumer-execution-role-0a1b2c3", "consumerAccountId": "444444444499",
				"consumerVpcId": "vpc-0f1e2d3c4b5a69788", "consumerVpcCidr": "10.99.0.0/16",
			}))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "consumers[5].accountId: 444444444499 would be the 6th ML account")
		for _, r := range result.Resources() {
			assert.False(t, r.InAWS(), "nothing of AWS is registered: %s", r.URN)
		}
	})

	t.Run("the plan counts each quota", func(t *testing.T) {
		result, err := offline.Run(Run, config.Project, "data-platform", managedEndpointProducer(t, endpointConsumersIn(20, inAccounts(5))))
		require.NoError(t, err)
		built, err := plan.Build(config.Project, "data-platform", result)
		require.NoError(t, err)
		used := map[string]int{}
		for _, q := range built.Quotas {
			used[q.Name] = q.Used
		}
		assert.Equal(t, 5, used["grantee accounts per cluster (managed endpoints)"])
		assert.Equal(t, 20, used["managed endpoints per cluster"], "each authorized VPC is one consumer's endpoint")
		assert.Equal(t, 4, used["managed endpoints per authorization"])
	})
}
