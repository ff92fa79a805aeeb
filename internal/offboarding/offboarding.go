// Package offboarding finds what keeps a removed Studio user from being
// deleted. AWS refuses DeleteUserProfile while the user still has apps or
// owns spaces (ResourceInUse), and deleting a space deletes its home volume,
// so `pulumi up` must not be the first to find out: the off-boarding
// runbook backs the home up, deletes the apps, then the spaces, and only then
// removes the name from consumer.studio.userProfiles. This package lists, for
// each user a change removes, the spaces and apps still in the way.
package offboarding

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/studio-redshift/studio-redshift/config"
)

// Studio is what a stack file says about its Studio domain: the region,
// consumer.studio.domainName and consumer.studio.userProfiles.
type Studio struct {
	Region       string
	DomainName   string
	UserProfiles []string
}

// ReadStudio reads the Studio settings from the text of a Pulumi.<stack>.yaml.
// Only these keys are read, so the stack's secrets (secure: values) need no
// decrypting; a stack without a consumer side has no users.
func ReadStudio(stackFile []byte) (Studio, error) {
	var file struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(stackFile, &file); err != nil {
		return Studio{}, fmt.Errorf("not a stack file: %w", err)
	}
	var studio Studio
	if node, ok := file.Config[config.Project+":region"]; ok {
		if err := node.Decode(&studio.Region); err != nil {
			return Studio{}, fmt.Errorf("%s:region: %w", config.Project, err)
		}
	}
	node, ok := file.Config[config.Project+":consumer"]
	if !ok {
		return studio, nil
	}
	var consumer struct {
		Studio struct {
			DomainName   string   `yaml:"domainName"`
			UserProfiles []string `yaml:"userProfiles"`
		} `yaml:"studio"`
	}
	if err := node.Decode(&consumer); err != nil {
		return Studio{}, fmt.Errorf("%s:consumer.studio: %w", config.Project, err)
	}
	studio.DomainName = consumer.Studio.DomainName
	studio.UserProfiles = consumer.Studio.UserProfiles
	return studio, nil
}

// Removed are the users in before that after no longer lists, sorted.
func Removed(before, after []string) []string {
	var removed []string
	for _, name := range before {
		if !slices.Contains(after, name) && !slices.Contains(removed, name) {
			removed = append(removed, name)
		}
	}
	slices.Sort(removed)
	return removed
}

// Space is a Studio space as ListSpaces summarizes it.
type Space struct {
	Name string
	// Owner is the user profile that created it (OwnershipSettingsSummary),
	// for a private space and a shared one alike.
	Owner string
	// Sharing is Private or Shared (SpaceSharingSettingsSummary).
	Sharing string
}

// App is a Studio app as ListApps summarizes it.
type App struct {
	Type   string
	Name   string
	Status string
	// UserProfile is set for apps of a user (Studio Classic), Space for
	// apps that run in a space (JupyterLab, Code Editor).
	UserProfile string
	Space       string
}

// Lister answers the three questions the check asks of SageMaker.
type Lister interface {
	// DomainID is the ID of the domain of that name, and false when the
	// account has none (the stack has not been deployed).
	DomainID(ctx context.Context, domainName string) (string, bool, error)
	// Spaces are every space of the domain.
	Spaces(ctx context.Context, domainID string) ([]Space, error)
	// Apps are the apps of one user profile or of one space (exactly one of
	// the two is set), Deleted ones left out.
	Apps(ctx context.Context, domainID, userProfile, space string) ([]App, error)
}

// Blocker is a removed user who still has something that stops AWS from
// deleting the profile.
type Blocker struct {
	User   string
	Spaces []Space
	Apps   []App
}

// Check lists, for each removed user, the spaces the user owns and the apps
// of the user and of those spaces. Users with none are left out: their
// removal goes through.
func Check(ctx context.Context, lister Lister, domainID string, removed []string) ([]Blocker, error) {
	if len(removed) == 0 {
		return nil, nil
	}
	spaces, err := lister.Spaces(ctx, domainID)
	if err != nil {
		return nil, fmt.Errorf("spaces of domain %s: %w", domainID, err)
	}
	var blockers []Blocker
	for _, user := range removed {
		blocker := Blocker{User: user}
		apps, err := lister.Apps(ctx, domainID, user, "")
		if err != nil {
			return nil, fmt.Errorf("apps of user %s: %w", user, err)
		}
		blocker.Apps = append(blocker.Apps, apps...)
		for _, space := range spaces {
			if space.Owner != user {
				continue
			}
			blocker.Spaces = append(blocker.Spaces, space)
			apps, err := lister.Apps(ctx, domainID, "", space.Name)
			if err != nil {
				return nil, fmt.Errorf("apps of space %s: %w", space.Name, err)
			}
			blocker.Apps = append(blocker.Apps, apps...)
		}
		if len(blocker.Spaces) > 0 || len(blocker.Apps) > 0 {
			blockers = append(blockers, blocker)
		}
	}
	return blockers, nil
}

// Report writes what blocks each user and the runbook's commands for it.
func Report(domainID, region string, blockers []Blocker) string {
	var b strings.Builder
	for _, blocker := range blockers {
		fmt.Fprintf(&b, "user %s cannot be removed yet: AWS refuses DeleteUserProfile while the user has apps or owns spaces (ResourceInUse)\n", blocker.User)
		for _, app := range blocker.Apps {
			owner := "--user-profile-name " + app.UserProfile
			if app.Space != "" {
				owner = "--space-name " + app.Space
			}
			fmt.Fprintf(&b, "  app %s %s (%s): aws sagemaker delete-app --region %s --domain-id %s %s --app-type %s --app-name %s\n",
				app.Type, app.Name, app.Status, region, domainID, owner, app.Type, app.Name)
		}
		for _, space := range blocker.Spaces {
			fmt.Fprintf(&b, "  space %s (%s): back its home up first, deleting the space deletes its volume; then aws sagemaker delete-space --region %s --domain-id %s --space-name %s\n",
				space.Name, space.Sharing, region, domainID, space.Name)
		}
	}
	return b.String()
}

// Runner runs the AWS CLI with these arguments and returns its standard
// output.
type Runner func(ctx context.Context, args ...string) ([]byte, error)

// CLI is the Lister that asks the AWS CLI, which pages through every result
// itself. Credentials and profile come from the environment (AWS_PROFILE).
type CLI struct {
	Region string
	Run    Runner
}

func (c CLI) list(ctx context.Context, into any, args ...string) error {
	args = append(append([]string{"sagemaker"}, args...), "--region", c.Region, "--output", "json")
	out, err := c.Run(ctx, args...)
	if err != nil {
		return fmt.Errorf("aws %s: %w", strings.Join(args, " "), err)
	}
	if err := json.Unmarshal(out, into); err != nil {
		return fmt.Errorf("aws %s: unexpected answer: %w", strings.Join(args, " "), err)
	}
	return nil
}

// DomainID implements Lister with ListDomains.
func (c CLI) DomainID(ctx context.Context, domainName string) (string, bool, error) {
	var answer struct {
		Domains []struct{ DomainId, DomainName string }
	}
	if err := c.list(ctx, &answer, "list-domains"); err != nil {
		return "", false, err
	}
	for _, domain := range answer.Domains {
		if domain.DomainName == domainName {
			return domain.DomainId, true, nil
		}
	}
	return "", false, nil
}

// Spaces implements Lister with ListSpaces.
func (c CLI) Spaces(ctx context.Context, domainID string) ([]Space, error) {
	var answer struct {
		Spaces []struct {
			SpaceName                   string
			OwnershipSettingsSummary    struct{ OwnerUserProfileName string }
			SpaceSharingSettingsSummary struct{ SharingType string }
		}
	}
	if err := c.list(ctx, &answer, "list-spaces", "--domain-id-equals", domainID); err != nil {
		return nil, err
	}
	spaces := make([]Space, 0, len(answer.Spaces))
	for _, space := range answer.Spaces {
		spaces = append(spaces, Space{
			Name:    space.SpaceName,
			Owner:   space.OwnershipSettingsSummary.OwnerUserProfileName,
			Sharing: space.SpaceSharingSettingsSummary.SharingType,
		})
	}
	return spaces, nil
}

// Apps implements Lister with ListApps. AWS keeps deleted apps listed for a
// while with Status Deleted; they no longer block anything.
func (c CLI) Apps(ctx context.Context, domainID, userProfile, space string) ([]App, error) {
	args := []string{"list-apps", "--domain-id-equals", domainID}
	if space != "" {
		args = append(args, "--space-name-equals", space)
	} else {
		args = append(args, "--user-profile-name-equals", userProfile)
	}
	var answer struct {
		Apps []struct{ AppType, AppName, Status, UserProfileName, SpaceName string }
	}
	if err := c.list(ctx, &answer, args...); err != nil {
		return nil, err
	}
	var apps []App
	for _, app := range answer.Apps {
		if app.Status == "Deleted" {
			continue
		}
		apps = append(apps, App{Type: app.AppType, Name: app.AppName, Status: app.Status, UserProfile: app.UserProfileName, Space: app.SpaceName})
	}
	return apps, nil
}
