package offline

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RunComponent runs register under the mocks in a stack of its own, the way
// a component's tests need it: the component gets the explicit providers the
// program would give it, one per account, so that its resources land in the
// account the test names and resolve their lookups there. register receives
// the providers in the order of accounts.
func RunComponent(register func(ctx *pulumi.Context, providers []pulumi.ProviderResource) error, region string, accounts ...string) (*Result, error) {
	return Run(func(ctx *pulumi.Context) error {
		providers := make([]pulumi.ProviderResource, len(accounts))
		for i, account := range accounts {
			provider, err := aws.NewProvider(ctx, "account-"+account, &aws.ProviderArgs{
				Region:            pulumi.String(region),
				AllowedAccountIds: pulumi.StringArray{pulumi.String(account)},
			})
			if err != nil {
				return err
			}
			providers[i] = provider
		}
		return register(ctx, providers)
	}, "component", "test", nil)
}
