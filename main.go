// Command studio-redshift is a Pulumi program that lets SageMaker Studio users
// in an ML account query a Redshift cluster in a data account, privately over
// VPC peering and each as their own database user.
//
// The program itself lives in package program, so that the tests and the
// offline plan run exactly what `pulumi up` runs.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/program"
)

func main() {
	pulumi.Run(program.Run)
}
