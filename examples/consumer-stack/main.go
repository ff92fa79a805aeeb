// Command consumer-stack is what a data team's own Pulumi stack looks like
// when it builds on a studio-redshift stack: it reads that stack's outputs
// through a StackReference, requiring each output it uses, never by copying
// values, and
// uses the peering connection and the producer role.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sagemaker"
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
	studioRedshiftStack, routeTableID, producerCIDR string
}

func readSettings(ctx *pulumi.Context) (settings, error) {
	var s settings
	for key, target := range map[string]*string{
		"studioRedshiftStack": &s.studioRedshiftStack,
		"routeTableId":        &s.routeTableID,
		"producerCidr":        &s.producerCIDR,
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
	if _, err := ec2.NewRoute(ctx, "to-redshift", &ec2.RouteArgs{
		RouteTableId:           pulumi.String(cfg.routeTableID),
		DestinationCidrBlock:   pulumi.String(cfg.producerCIDR),
		VpcPeeringConnectionId: peeringConnectionID,
	}, pulumi.Provider(mlProvider)); err != nil {
		return err
	}

	// Notebooks find the producer role and the cluster in a settings file,
	// kept current by the platform stack's outputs.
	script := pulumi.All(producerRoleArn, region, redshift).ApplyT(func(values []any) (string, error) {
		file, err := json.Marshal(map[string]any{
			"producerRoleArn": values[0],
			"region":          values[1],
			"redshift":        values[2],
		})
		if err != nil {
			return "", err
		}
		content := "#!/bin/bash\nset -eu\nmkdir -p \"$HOME/.config\"\ncat > \"$HOME/.config/studio-redshift.json\" <<'SETTINGS'\n" + string(file) + "\nSETTINGS\n"
		return base64.StdEncoding.EncodeToString([]byte(content)), nil
	}).(pulumi.StringOutput)
	lifecycle, err := sagemaker.NewStudioLifecycleConfig(ctx, "redshift-settings", &sagemaker.StudioLifecycleConfigArgs{
		StudioLifecycleConfigName:    pulumi.String("data-team-redshift-settings"),
		StudioLifecycleConfigAppType: pulumi.String("JupyterLab"),
		StudioLifecycleConfigContent: script,
	}, pulumi.Provider(mlProvider))
	if err != nil {
		return err
	}

	ctx.Export("settingsLifecycleConfigArn", lifecycle.Arn)
	return nil
}
