package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Defaults of the settings a team's Studio runs with; each lives on the user
// profiles and the execution role, never on the domain (which the provider
// cannot update in place: terraform-provider-aws #45528).
const (
	// DefaultIdleTimeoutMinutes is the shortest idle timeout AWS takes.
	DefaultIdleTimeoutMinutes = 60
	// DefaultSpaceStorageGb is the default and the largest EBS volume of a
	// user's private space.
	DefaultSpaceStorageGb = 20
)

// AWS ranges of the same settings: IdleSettings.IdleTimeoutInMinutes takes 60
// to 525,600 (a year), DefaultEbsStorageSettings' sizes 5 to 16,384 GB
// (SageMaker API reference, "IdleSettings", "DefaultEbsStorageSettings").
const (
	MinIdleTimeoutMinutes = 60
	MaxIdleTimeoutMinutes = 525600
	MinSpaceStorageGb     = 5
	MaxSpaceStorageGb     = 16384
)

// DefaultInstanceTypes are consumer.studio.instanceTypes when not given: a
// few general-purpose CPU types, the first (AWS's own default for JupyterLab
// and Code Editor) being each profile's default.
var DefaultInstanceTypes = []string{"ml.t3.medium", "ml.t3.large", "ml.m5.large", "ml.m5.xlarge"}

// StudioInstanceTypes are the instance types Studio's JupyterLab and Code
// Editor apps run on: the values of ResourceSpec.InstanceType (SageMaker API
// reference, "ResourceSpec"; the list by family and price is on "Amazon
// SageMaker AI instance types available for use with Studio",
// docs.aws.amazon.com/sagemaker/latest/dg/notebooks-available-instance-types.html)
// without "system", the free instance of Studio Classic's JupyterServer that
// nobody chooses, and ml.geospatial.interactive, which only the geospatial
// image runs on. The types not allowed are hidden in the Studio UI by name,
// and AWS refuses a hidden type it does not know, so the list holds AWS's
// names only.
var StudioInstanceTypes = slices.Concat(
	sizes("ml.t3", "medium", "large", "xlarge", "2xlarge"),
	sizes("ml.m5", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
	sizes("ml.m5d", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
	sizes("ml.m6i", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
	sizes("ml.m6id", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
	sizes("ml.m7i", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
	sizes("ml.c5", "large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge"),
	sizes("ml.c6i", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
	sizes("ml.c6id", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
	sizes("ml.c7i", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
	sizes("ml.r5", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
	sizes("ml.r6i", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
	sizes("ml.r6id", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
	sizes("ml.r7i", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
	sizes("ml.g4dn", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
	sizes("ml.g5", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
	sizes("ml.g6", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
	sizes("ml.g6e", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
	sizes("ml.p3", "2xlarge", "8xlarge", "16xlarge"),
	[]string{"ml.p3dn.24xlarge", "ml.p4d.24xlarge", "ml.p4de.24xlarge", "ml.p5.48xlarge", "ml.p5en.48xlarge"},
	sizes("ml.trn1", "2xlarge", "32xlarge"),
	[]string{"ml.trn1n.32xlarge"},
)

// sizes names the sizes of one instance family.
func sizes(family string, sizes ...string) []string {
	names := make([]string, len(sizes))
	for i, size := range sizes {
		names[i] = family + "." + size
	}
	return names
}

// HiddenInstanceTypes are the Studio instance types not in allowed, in
// StudioInstanceTypes' order: the ones the Studio UI does not offer.
func HiddenInstanceTypes(allowed []string) []string {
	var hidden []string
	for _, name := range StudioInstanceTypes {
		if !slices.Contains(allowed, name) {
			hidden = append(hidden, name)
		}
	}
	return hidden
}

// UserDataBucket is the name of the ML account's bucket of per-user data:
// one per domain, account and region, at most 49 characters whatever the
// domain's name (S3 takes 63), in lower case as S3 requires. It holds no
// "sagemaker": AmazonSageMakerFullAccess grants object access to every
// bucket whose name does, which would open every user's prefix to all.
func (c *Config) UserDataBucket() string {
	digest := sha256.Sum256([]byte(c.Consumer.Studio.DomainName))
	return fmt.Sprintf("studio-users-%s-%s-%s", hex.EncodeToString(digest[:])[:8], c.Consumer.AccountID, c.Region)
}

// StudioUserTag is the tag key every user profile carries with its name, and
// SageMaker copies to the apps the profile launches (SageMaker API reference,
// "AddTags"): the cost-allocation tag to activate.
const StudioUserTag = "studio-user"

func (c *Config) applyStudioTeamDefaults() {
	s := &c.Consumer.Studio
	if !c.Given("consumer.studio.idleTimeoutMinutes") {
		s.IdleTimeoutMinutes = DefaultIdleTimeoutMinutes
	}
	if !c.Given("consumer.studio.instanceTypes") {
		s.InstanceTypes = slices.Clone(DefaultInstanceTypes)
	}
	if !c.Given("consumer.studio.spaceStorageGb") {
		s.SpaceStorageGb = DefaultSpaceStorageGb
	}
}

// checkStudioTeam refuses idle timeouts, instance types and space sizes AWS
// would refuse, and a tag the program sets itself.
func (c *Config) checkStudioTeam(p *problems) {
	s := c.Consumer.Studio
	if t := s.IdleTimeoutMinutes; t < MinIdleTimeoutMinutes || t > MaxIdleTimeoutMinutes {
		p.add("consumer.studio.idleTimeoutMinutes", "%d is out of range; AWS shuts idle apps down after %d to %d minutes (a year); default %d",
			t, MinIdleTimeoutMinutes, MaxIdleTimeoutMinutes, DefaultIdleTimeoutMinutes)
	}
	if g := s.SpaceStorageGb; g < MinSpaceStorageGb || g > MaxSpaceStorageGb {
		p.add("consumer.studio.spaceStorageGb", "%d is out of range; a space's EBS volume is %d to %d GB; default %d",
			g, MinSpaceStorageGb, MaxSpaceStorageGb, DefaultSpaceStorageGb)
	}
	if len(s.InstanceTypes) == 0 {
		p.add("consumer.studio.instanceTypes", "needs at least one instance type, e.g. [%s]", DefaultInstanceTypes[0])
	}
	seen := map[string]bool{}
	for i, name := range s.InstanceTypes {
		key := fmt.Sprintf("consumer.studio.instanceTypes[%d]", i)
		switch {
		case !slices.Contains(StudioInstanceTypes, name):
			p.add(key, "%q is not an instance type Studio's JupyterLab and Code Editor run on; %s", name, suggestInstanceType(name))
		case seen[name]:
			p.add(key, "%q is listed twice", name)
		}
		seen[name] = true
	}
	if _, ok := c.Tags[StudioUserTag]; ok {
		p.add("tags."+StudioUserTag, "is the tag the program gives each user profile with the profile's name; remove it from the default tags")
	}
}

// suggestInstanceType names the Studio types of the family a name asks for,
// or the family list when the family is unknown.
func suggestInstanceType(name string) string {
	family := name
	if i := strings.LastIndex(name, "."); i > 0 {
		family = name[:i]
	}
	var same []string
	for _, known := range StudioInstanceTypes {
		if strings.HasPrefix(known, family+".") {
			same = append(same, known)
		}
	}
	if len(same) > 0 {
		return "this family has " + strings.Join(same, ", ")
	}
	return "use a name such as ml.t3.medium or ml.m5.xlarge (the list: docs.aws.amazon.com/sagemaker/latest/dg/notebooks-available-instance-types.html)"
}
