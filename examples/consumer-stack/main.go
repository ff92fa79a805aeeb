// Command consumer-stack is what a data team's own Pulumi stack looks like
// when it builds on a studio-redshift stack: it reads that stack's outputs
// through a StackReference, requiring each output it uses, never copying
// values into its own config. It routes the team's subnets to the data
// account over the platform's peering and publishes what the team's jobs
// need to reach Redshift as themselves.
//
// It is a module of its own, with no import of studio-redshift's packages,
// so that it works when copied into another repository.
package main

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(run)
}

// requireOutput is RequireOutput, which the Go SDK lacks: an output the
// referenced stack does not have fails the deployment, with its name, instead
// of reaching resources as nothing.
func requireOutput(stack *pulumi.StackReference, name string) pulumi.AnyOutput {
	return pulumi.All(stack.Name, stack.GetOutput(pulumi.String(name))).ApplyT(func(values []any) (any, error) {
		if values[1] == nil {
			return nil, fmt.Errorf("stack %v has no output %q", values[0], name)
		}
		return values[1], nil
	}).(pulumi.AnyOutput)
}

// requireString is requireOutput for a string output.
func requireString(stack *pulumi.StackReference, name string) pulumi.StringOutput {
	return requireOutput(stack, name).ApplyT(func(value any) (string, error) {
		text, ok := value.(string)
		if !ok {
			return "", fmt.Errorf("output %q is a %T, not a string", name, value)
		}
		return text, nil
	}).(pulumi.StringOutput)
}

// settings are the stack's own configuration keys.
type settings struct {
	studioRedshiftStack, routeTableID string
}

func readSettings(ctx *pulumi.Context) (settings, error) {
	var s settings
	for key, target := range map[string]*string{
		"studioRedshiftStack": &s.studioRedshiftStack,
		"routeTableId":        &s.routeTableID,
	} {
		value, ok := ctx.GetConfig("consumer-stack:" + key)
		if !ok || value == "" {
			return s, fmt.Errorf("consumer-stack:%s is required; see Pulumi.yaml", key)
		}
		*target = value
	}
	return s, nil
}

func run(ctx *pulumi.Context) error {
	cfg, err := readSettings(ctx)
	if err != nil {
		return err
	}
	platform, err := pulumi.NewStackReference(ctx, "studio-redshift", &pulumi.StackReferenceArgs{
		Name: pulumi.String(cfg.studioRedshiftStack),
	})
	if err != nil {
		return err
	}
	region := requireString(platform, "region")
	mlAccount := requireString(platform, "consumerAccountId")
	peeringConnectionID := requireString(platform, "peeringConnectionId")
	producerCIDR := requireString(platform, "producerVpcCidr")
	producerRoleArn := requireString(platform, "producerRoleArn")
	redshift := requireOutput(platform, "redshift")

	// The team's resources live in the ML account: the platform stack says
	// which one, and the provider refuses any other.
	mlProvider, err := aws.NewProvider(ctx, "ml-account", &aws.ProviderArgs{
		Region:            region,
		AllowedAccountIds: pulumi.StringArray{mlAccount},
	})
	if err != nil {
		return err
	}

	// The team's batch subnets reach Redshift over the platform's peering.
	// Their route table must be in the platform's consumer VPC: the data
	// account routes back to, and the cluster admits, that VPC's range.
	if _, err := ec2.NewRoute(ctx, "to-redshift", &ec2.RouteArgs{
		RouteTableId:           pulumi.String(cfg.routeTableID),
		DestinationCidrBlock:   producerCIDR,
		VpcPeeringConnectionId: peeringConnectionID,
	}, pulumi.Provider(mlProvider)); err != nil {
		return err
	}

	// What the team's jobs pass to STS and Redshift. Notebooks get the same
	// from the platform's own notebookSnippet; Studio lifecycle
	// configurations belong to the platform's domain, which this stack
	// does not own, so it creates none.
	ctx.Export("redshiftAccess", pulumi.Map{
		"region":          region,
		"producerRoleArn": producerRoleArn,
		"redshift":        redshift,
	})
	return nil
}
