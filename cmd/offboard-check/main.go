// Command offboard-check fails when a change removes Studio users who still
// have apps or own spaces: AWS refuses DeleteUserProfile for them
// (ResourceInUse), so `pulumi up` would fail half-way, and deleting their
// spaces deletes the home volumes. CI runs it before `pulumi up`; docs/operations.md's
// off-boarding runbook says what to do with what it lists.
//
//	go run ./cmd/offboard-check -stack prod -base REV [-dir .] [-domain-id d-...]
//
// The users removed are those consumer.studio.userProfiles lists in the
// stack file at git revision REV (the one deployed before) and no longer
// lists in the working tree. The AWS CLI asks the consumer account, with the
// credentials of the environment (AWS_PROFILE), in the stack's region.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/studio-redshift/studio-redshift/internal/offboarding"
)

func main() {
	awsCLI := func(region string) offboarding.Lister {
		return offboarding.CLI{Region: region, Run: func(ctx context.Context, args ...string) ([]byte, error) {
			command := exec.CommandContext(ctx, "aws", args...)
			command.Stderr = os.Stderr
			return command.Output()
		}}
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, awsCLI))
}

// noRevision is how GitHub names the revision before a branch's first push.
const noRevision = "0000000000000000000000000000000000000000"

func run(ctx context.Context, args []string, stdout, stderr io.Writer, newLister func(region string) offboarding.Lister) int {
	flags := flag.NewFlagSet("offboard-check", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stack := flags.String("stack", "", "the stack: reads Pulumi.<stack>.yaml (required)")
	dir := flags.String("dir", ".", "the project directory, holding Pulumi.<stack>.yaml, inside a git work tree")
	base := flags.String("base", "", "the git `revision` deployed before, such as origin/main or the push's previous commit; "+
		"empty or all zeros: nothing to compare, the check passes")
	domainID := flags.String("domain-id", "", "the Studio domain's ID (stack output domainId); default: looked up by consumer.studio.domainName")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(stderr, "offboard-check: "+format+"\n", args...)
		return code
	}
	switch {
	case flags.NArg() > 0:
		return fail(2, "unexpected argument %q; flags only (see -h)", flags.Arg(0))
	case *stack == "":
		return fail(2, "-stack is required")
	}
	// A fully qualified stack (org/project/stack) keeps its file under the last part.
	file := "Pulumi." + (*stack)[strings.LastIndex(*stack, "/")+1:] + ".yaml"
	if *base == "" || *base == noRevision {
		fmt.Fprintf(stdout, "no previous revision of %s to compare with: no user is removed\n", file)
		return 0
	}

	text, err := os.ReadFile(filepath.Join(*dir, file))
	if err != nil {
		return fail(1, "%v", err)
	}
	after, err := offboarding.ReadStudio(text)
	if err != nil {
		return fail(1, "%s: %v", file, err)
	}
	text, found, err := fileAt(ctx, *dir, *base, file)
	if err != nil {
		return fail(1, "%v", err)
	}
	if !found {
		fmt.Fprintf(stdout, "%s is new since %s: no user is removed\n", file, *base)
		return 0
	}
	before, err := offboarding.ReadStudio(text)
	if err != nil {
		return fail(1, "%s at %s: %v", file, *base, err)
	}
	removed := offboarding.Removed(before.UserProfiles, after.UserProfiles)
	if len(removed) == 0 {
		fmt.Fprintf(stdout, "%s removes no user since %s\n", file, *base)
		return 0
	}

	// The removed users live in the domain as it was deployed.
	lister := newLister(before.Region)
	if *domainID == "" {
		id, exists, err := lister.DomainID(ctx, before.DomainName)
		if err != nil {
			return fail(1, "%v", err)
		}
		if !exists {
			fmt.Fprintf(stdout, "no Studio domain %s in %s: nothing deployed to remove\n", before.DomainName, before.Region)
			return 0
		}
		*domainID = id
	}
	blockers, err := offboarding.Check(ctx, lister, *domainID, removed)
	if err != nil {
		return fail(1, "%v", err)
	}
	if len(blockers) > 0 {
		fmt.Fprint(stderr, offboarding.Report(*domainID, before.Region, blockers))
		return fail(1, "%d of the %d users removed from consumer.studio.userProfiles still have apps or spaces; "+
			"follow the off-boarding runbook in docs/operations.md, then run again", len(blockers), len(removed))
	}
	fmt.Fprintf(stdout, "removed users %s have no apps and no spaces in domain %s: their profiles can be deleted\n",
		strings.Join(removed, ", "), *domainID)
	return 0
}

// fileAt is the text of file (relative to dir) at a git revision, and false
// when the file did not exist there. A revision git does not know is an
// error: the check cannot say what was removed.
func fileAt(ctx context.Context, dir, revision, file string) ([]byte, bool, error) {
	git := func(args ...string) ([]byte, error) {
		var stderr strings.Builder
		command := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		command.Stderr = &stderr
		out, err := command.Output()
		if err != nil {
			return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	if _, err := git("rev-parse", "--verify", "--quiet", revision+"^{commit}"); err != nil {
		return nil, false, fmt.Errorf("revision %s is not in this clone (fetch it, or check out with fetch-depth: 0): %w", revision, err)
	}
	// ls-tree and show read paths relative to dir, as ./ says for show.
	listed, err := git("ls-tree", "--name-only", revision, "--", file)
	if err != nil {
		return nil, false, err
	}
	if strings.TrimSpace(string(listed)) == "" {
		return nil, false, nil
	}
	text, err := git("show", revision+":./"+file)
	if err != nil {
		return nil, false, err
	}
	return text, true, nil
}
