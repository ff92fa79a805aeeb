package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validFeatureStore() map[string]any {
	return map[string]any{
		"bucket":            map[string]any{"name": "feature-offline-111111111111", "create": true},
		"keyAdministrators": []any{"arn:aws:iam::222222222222:role/Administrator"},
		"studioReadAccess":  true,
		"featureGroups": []any{map[string]any{
			"name":             "customers",
			"recordIdentifier": "customer_id",
			"eventTimeFeature": "event_time",
			"onlineStore":      true,
			"features": []any{
				map[string]any{"name": "customer_id", "type": "Integral"},
				map[string]any{"name": "event_time", "type": "Fractional"},
				map[string]any{"name": "segment", "type": "String"},
			},
		}},
	}
}

func TestParseFeatureStore(t *testing.T) {
	raw := validRaw()
	raw["featureStore"] = validFeatureStore()
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err)
	require.NotNil(t, cfg.FeatureStore)
	assert.Equal(t, "offline-store/", cfg.FeatureStore.Prefix, "default prefix")
	assert.True(t, cfg.FeatureStore.OnlineStore())

	cfg, err = Parse(encode(t, validRaw()))
	require.NoError(t, err)
	assert.Nil(t, cfg.FeatureStore, "off unless configured")
}

func TestParseFeatureStoreRejects(t *testing.T) {
	group := func(f map[string]any) map[string]any { return f["featureGroups"].([]any)[0].(map[string]any) }
	features := func(f map[string]any) []any { return group(f)["features"].([]any) }
	tests := []struct {
		name   string
		change func(f map[string]any)
		key    string
		want   string
	}{
		{"invalid bucket name", func(f map[string]any) { f["bucket"].(map[string]any)["name"] = "Feature_Offline" }, "featureStore.bucket.name", "not an S3 bucket name"},
		{"key for an existing offline bucket", func(f map[string]any) {
			f["bucket"] = map[string]any{"name": "existing", "kmsKeyArn": "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
		}, "featureStore.bucket.kmsKeyArn", "its own key in the consumer account"},
		{"invalid prefix", func(f map[string]any) { f["prefix"] = "offline" }, "featureStore.prefix", "ending with /"},
		{"key administrator of the producer", func(f map[string]any) {
			f["keyAdministrators"] = []any{"arn:aws:iam::111111111111:role/Administrator"}
		}, "featureStore.keyAdministrators[0]", "only principals of the consumer account"},
		{"policy applied by hand to a bucket the program manages", func(f map[string]any) { f["bucketPolicyApplied"] = true }, "featureStore.bucketPolicyApplied", "the program writes the policy"},
		{"no feature groups", func(f map[string]any) { f["featureGroups"] = []any{} }, "featureStore.featureGroups", "at least one feature group"},
		{"invalid group name", func(f map[string]any) { group(f)["name"] = "customers.v2" }, "featureStore.featureGroups[0].name", "not a feature group name"},
		{"group twice", func(f map[string]any) {
			f["featureGroups"] = append(f["featureGroups"].([]any), group(f))
		}, "featureStore.featureGroups[1].name", "listed twice"},
		{"no features", func(f map[string]any) { group(f)["features"] = []any{} }, "featureStore.featureGroups[0].features", "feature definitions"},
		{"unknown feature type", func(f map[string]any) { features(f)[2].(map[string]any)["type"] = "Integer" }, "featureStore.featureGroups[0].features[2].type", "Integral, Fractional or String"},
		{"invalid feature name", func(f map[string]any) { features(f)[2].(map[string]any)["name"] = "customer segment" }, "featureStore.featureGroups[0].features[2].name", "not a feature name"},
		{"reserved feature name", func(f map[string]any) { features(f)[2].(map[string]any)["name"] = "write_time" }, "featureStore.featureGroups[0].features[2].name", "reserved"},
		{"feature defined twice", func(f map[string]any) { features(f)[2].(map[string]any)["name"] = "Customer_ID" }, "featureStore.featureGroups[0].features[2].name", "defined twice"},
		{"record identifier not a feature", func(f map[string]any) { group(f)["recordIdentifier"] = "id" }, "featureStore.featureGroups[0].recordIdentifier", "not among the features"},
		{"missing record identifier", func(f map[string]any) { delete(group(f), "recordIdentifier") }, "featureStore.featureGroups[0].recordIdentifier", "is required"},
		{"event time not a feature", func(f map[string]any) { group(f)["eventTimeFeature"] = "ts" }, "featureStore.featureGroups[0].eventTimeFeature", "not among the features"},
		{"integral event time", func(f map[string]any) { group(f)["eventTimeFeature"] = "customer_id" }, "featureStore.featureGroups[0].eventTimeFeature", "Fractional"},
		{"misspelt group key", func(f map[string]any) { group(f)["recordIdentifer"] = "customer_id" }, "featureStore.featureGroups[0].recordIdentifer", `did you mean "recordIdentifier"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := validRaw()
			featureStore := validFeatureStore()
			tt.change(featureStore)
			raw["featureStore"] = featureStore
			_, err := Parse(encode(t, raw))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.key+":", "the message names the key")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestFeatureStoreAndAthenaCannotShareACreatedBucket(t *testing.T) {
	raw := validRaw()
	athena := validAthena()
	featureStore := validFeatureStore()
	featureStore["bucket"] = map[string]any{"name": "analytics-data-111111111111"}
	raw["athena"], raw["featureStore"] = athena, featureStore
	_, err := Parse(encode(t, raw))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "featureStore.bucket.name: \"analytics-data-111111111111\" is also athena.bucket.name")
}
