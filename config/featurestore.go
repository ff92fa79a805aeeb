package config

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// FeatureStore is a SageMaker Feature Store in the consumer account whose
// offline store is a bucket of the producer account. Absent (nil) unless
// studio-redshift:featureStore is set.
type FeatureStore struct {
	Bucket ProducerBucket `json:"bucket"`
	// Prefix is where the offline store writes in the bucket. Default
	// "offline-store/".
	Prefix string `json:"prefix,omitempty"`
	// KeyAdministrators are consumer-account principals that administer the
	// offline store's KMS key.
	KeyAdministrators []string `json:"keyAdministrators,omitempty"`
	// StudioReadAccess lets the Studio execution role read the offline store.
	StudioReadAccess bool `json:"studioReadAccess,omitempty"`
	// BucketPolicyApplied says that the owner of an existing bucket whose
	// policy the program does not write has applied featureStoreBucketPolicy.
	// Until then no feature group is created: its first write to the offline
	// store would be refused.
	BucketPolicyApplied bool           `json:"bucketPolicyApplied,omitempty"`
	FeatureGroups       []FeatureGroup `json:"featureGroups"`
}

// FeatureGroup is one feature group.
type FeatureGroup struct {
	Name             string    `json:"name"`
	RecordIdentifier string    `json:"recordIdentifier"`
	EventTimeFeature string    `json:"eventTimeFeature"`
	OnlineStore      bool      `json:"onlineStore,omitempty"`
	Features         []Feature `json:"features"`
}

// Feature is a feature definition.
type Feature struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// DefaultOfflineStorePrefix is where the offline store writes by default.
const DefaultOfflineStorePrefix = "offline-store/"

// FeatureTypes are SageMaker's feature types.
var FeatureTypes = []string{"Integral", "Fractional", "String"}

// reservedFeatureNames are columns Feature Store adds to every offline record.
var reservedFeatureNames = []string{"is_deleted", "write_time", "api_invocation_time"}

// SageMaker's patterns for feature group and feature names.
var (
	featureGroupNamePattern = regexp.MustCompile(`^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$`)
	featureNamePattern      = regexp.MustCompile(`^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$`)
)

// OwnerAppliesPolicy reports whether the bucket's owner, not the program,
// applies the offline store's bucket policy: an existing bucket without
// managePolicy.
func (f *FeatureStore) OwnerAppliesPolicy() bool {
	return !f.Bucket.Create && !f.Bucket.ManagePolicy
}

// BucketReady reports whether the bucket admits the offline-store role, so
// that feature groups may be created: the program writes the policy, or the
// owner has applied it (two-step flow, see docs/athena-and-feature-store.md).
func (f *FeatureStore) BucketReady() bool {
	return !f.OwnerAppliesPolicy() || f.BucketPolicyApplied
}

// OnlineStore reports whether any feature group has an online store.
func (f *FeatureStore) OnlineStore() bool {
	return slices.ContainsFunc(f.FeatureGroups, func(g FeatureGroup) bool { return g.OnlineStore })
}

func (c *Config) applyFeatureStoreDefaults() {
	if f := c.FeatureStore; f != nil {
		f.Prefix = cmp.Or(f.Prefix, DefaultOfflineStorePrefix)
	}
}

func (c *Config) checkFeatureStore(p *problems) {
	f := c.FeatureStore
	if f == nil {
		return
	}
	f.Bucket.check(p, "featureStore.bucket", c.Region, c.Producer.AccountID)
	if f.Bucket.KMSKeyArn != "" {
		p.add("featureStore.bucket.kmsKeyArn", "the offline store encrypts with its own key in the consumer account; remove it")
	}
	if a := c.Athena; a != nil && a.Bucket.Name == f.Bucket.Name && (a.Bucket.Create || f.Bucket.Create || a.Bucket.ManagePolicy || f.Bucket.ManagePolicy) {
		p.add("featureStore.bucket.name", "%q is also athena.bucket.name; one bucket cannot be created or have its policy written twice, so use two buckets", f.Bucket.Name)
	}
	checkPrefix(p, "featureStore.prefix", f.Prefix)
	forbid(p, "featureStore.bucketPolicyApplied", f.BucketPolicyApplied && !f.OwnerAppliesPolicy(),
		"only applies to an existing bucket whose owner applies the policy (no bucket.create, no bucket.managePolicy); here the program writes the policy: remove it")
	checkPrincipals(p, "featureStore.keyAdministrators", f.KeyAdministrators, c.Consumer.AccountID)

	if len(f.FeatureGroups) == 0 {
		p.add("featureStore.featureGroups", "needs at least one feature group: name, recordIdentifier, eventTimeFeature, features")
	}
	seen := map[string]bool{}
	for i, group := range f.FeatureGroups {
		key := fmt.Sprintf("featureStore.featureGroups[%d]", i)
		switch {
		case group.Name == "":
			p.add(key+".name", "is required: the feature group name, e.g. customers")
		case !featureGroupNamePattern.MatchString(group.Name):
			p.add(key+".name", "%q is not a feature group name (letters and digits, single hyphens or underscores between them, at most 64)", group.Name)
		case seen[strings.ToLower(group.Name)]:
			p.add(key+".name", "%q is listed twice", group.Name)
		}
		seen[strings.ToLower(group.Name)] = true
		group.check(p, key)
	}
}

// check validates a feature group's features and the two it names.
func (g FeatureGroup) check(p *problems, key string) {
	if len(g.Features) == 0 {
		p.add(key+".features", "needs the feature definitions: {name, type} with type Integral, Fractional or String")
	}
	types := map[string]string{}
	for i, feature := range g.Features {
		itemKey := fmt.Sprintf("%s.features[%d]", key, i)
		switch {
		case !featureNamePattern.MatchString(feature.Name):
			p.add(itemKey+".name", "%q is not a feature name (letters and digits, single hyphens or underscores between them, at most 64)", feature.Name)
		case slices.Contains(reservedFeatureNames, strings.ToLower(feature.Name)):
			p.add(itemKey+".name", "%q is reserved: Feature Store adds %s to every offline record", feature.Name, strings.Join(reservedFeatureNames, ", "))
		case types[strings.ToLower(feature.Name)] != "":
			p.add(itemKey+".name", "%q is defined twice (names are compared without case)", feature.Name)
		}
		if !slices.Contains(FeatureTypes, feature.Type) {
			p.add(itemKey+".type", "%q is not a feature type; use Integral, Fractional or String", feature.Type)
		}
		types[strings.ToLower(feature.Name)] = feature.Type
	}
	switch recordType := types[strings.ToLower(g.RecordIdentifier)]; {
	case g.RecordIdentifier == "":
		p.add(key+".recordIdentifier", "is required: the feature that identifies a record")
	case recordType == "":
		p.add(key+".recordIdentifier", "%q is not among the features of this group", g.RecordIdentifier)
	}
	switch eventType := types[strings.ToLower(g.EventTimeFeature)]; {
	case g.EventTimeFeature == "":
		p.add(key+".eventTimeFeature", "is required: the feature holding each record's event time")
	case eventType == "":
		p.add(key+".eventTimeFeature", "%q is not among the features of this group", g.EventTimeFeature)
	case eventType == "Integral":
		p.add(key+".eventTimeFeature", "%q is Integral; an event time is Fractional (seconds since the epoch) or String (ISO 8601)", g.EventTimeFeature)
	}
}
