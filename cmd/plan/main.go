// Command plan shows everything `pulumi up` would build for a stack, with no
// AWS account and no Pulumi CLI: it runs the real program under Pulumi's mock
// engine with the stack's configuration and prints the result.
//
//	go run ./cmd/plan [-stack dev] [-dir .] [-json | -diagram mermaid] [-out FILE] [-set path=value ...] [-set-str path=value ...]
package main

import (
	"os"

	"github.com/studio-redshift/studio-redshift/internal/plan"
	"github.com/studio-redshift/studio-redshift/program"
)

func main() {
	os.Exit(plan.Command(os.Args[1:], os.Stdout, os.Stderr, program.Run))
}
