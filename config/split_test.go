package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// producerSide and consumerSide turn the valid configuration into one
// side's.
func producerSide(r map[string]any) {
	r["side"] = SideProducer
	delete(r, "consumer")
	r["consumers"] = []any{map[string]any{"name": "ml-team-a", "stack": "ml-team-a"}}
}

func consumerSide(r map[string]any) {
	r["side"] = SideConsumer
	delete(r, "producer")
	r["producerStack"] = "acme/studio-redshift/data-platform"
}

func TestParseSplitSides(t *testing.T) {
	raw := validRaw()
	producerSide(raw)
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err)
	assert.True(t, cfg.Split())
	assert.Equal(t, []ConsumerRef{{Name: "ml-team-a", Stack: "ml-team-a"}}, cfg.Consumers)

	raw = validRaw()
	consumerSide(raw)
	cfg, err = Parse(encode(t, raw))
	require.NoError(t, err)
	assert.Equal(t, "acme/studio-redshift/data-platform", cfg.ProducerStack)
	assert.Equal(t, "222222222222", cfg.Consumer.AccountID)

	raw = validRaw()
	consumerSide(raw)
	delete(raw, "producerStack")
	raw["producerOutputs"] = map[string]any{"region": "us-east-1", "redshift": map[string]any{"port": 5439}}
	cfg, err = Parse(encode(t, raw))
	require.NoError(t, err, "a producer on another backend: its outputs in configuration")
	assert.Equal(t, "us-east-1", cfg.ProducerOutputs["region"])
}

func TestParseRejectsSplitMistakes(t *testing.T) {
	given := func(r map[string]any, consumer map[string]any) {
		producerSide(r)
		r["consumers"] = []any{consumer}
	}
	teamB := func() map[string]any {
		return map[string]any{
			"name": "ml-team-b", "accountId": "333333333333",
			"executionRoleArn":    "arn:aws:iam::333333333333:role/studio-execution",
			"vpc":                 map[string]any{"id": "vpc-0d4e5f60718293a4b", "cidr": "10.30.0.0/16"},
			"peeringConnectionId": "pcx-0e5f60718293a4b5c",
		}
	}
	teamC := func(cidr string) map[string]any {
		return map[string]any{
			"name": "ml-team-c", "accountId": "444444444444",
			"executionRoleArn":    "arn:aws:iam::444444444444:role/studio-execution",
			"vpc":                 map[string]any{"id": "vpc-0f60718293a4b5c6d", "cidr": cidr},
			"peeringConnectionId": "pcx-0f60718293a4b5c6d",
		}
	}
	assertRejections(t, []rejection{
		{"unknown side", func(r map[string]any) { r["side"] = "data" }, "side", "use one of both, producer, consumer"},
		{"consumer side without its producer stack", func(r map[string]any) { consumerSide(r); delete(r, "producerStack") }, "producerStack", "is required for side consumer"},
		{"consumer side with producer settings", func(r map[string]any) { consumerSide(r); r["producer"] = validRaw()["producer"] }, "producer", "comes from the producer-side stack"},
		{"producer stack and pasted outputs", func(r map[string]any) { consumerSide(r); r["producerOutputs"] = map[string]any{"region": "us-east-1"} }, "producerOutputs", "give one"},
		{"pasted outputs on a producer side", func(r map[string]any) { producerSide(r); r["producerOutputs"] = map[string]any{"region": "us-east-1"} }, "producerOutputs", "only a consumer-side stack"},
		{"consumer side with a profile named after the default admin user", func(r map[string]any) {
			consumerSide(r)
			set(r, "consumer.studio.userProfiles", []any{"alice", "awsuser"})
		}, "consumer.studio.userProfiles[1]", `"awsuser" is producer.redshift.adminUsers[0]`},
		{"consumer side with a profile named rdsdb", func(r map[string]any) {
			consumerSide(r)
			set(r, "consumer.studio.userProfiles", []any{"rdsdb"})
		}, "consumer.studio.userProfiles[0]", "a user Redshift keeps for itself"},
		{"consumer side choosing the connection", func(r map[string]any) { consumerSide(r); r["connection"] = "dataApi" }, "connection", "producer-side stack's"},
		{"producer side without consumers", func(r map[string]any) { producerSide(r); delete(r, "consumers") }, "consumers", "needs at least one consumer"},
		{"producer side with a consumer object", func(r map[string]any) { producerSide(r); r["consumer"] = validRaw()["consumer"] }, "consumer", "lists its consumers under consumers"},
		{"Athena in a split stack", func(r map[string]any) {
			producerSide(r)
			r["athena"] = map[string]any{"bucket": map[string]any{"name": "analytics-data"}, "workgroup": "analytics", "database": "sales",
				"tables": []any{map[string]any{"name": "orders", "location": "orders/", "columns": []any{map[string]any{"name": "id", "type": "bigint"}}}}}
		}, "athena", "needs both accounts' credentials"},
		{"consumers on a single stack", func(r map[string]any) { r["consumers"] = []any{map[string]any{"name": "x", "stack": "x"}} }, "consumers", "only a producer-side stack"},
		{"consumer name", func(r map[string]any) { given(r, map[string]any{"name": "ML Team", "stack": "ml"}) }, "consumers[0].name", "not a consumer name"},
		{"consumer listed twice", func(r map[string]any) {
			producerSide(r)
			r["consumers"] = []any{map[string]any{"name": "a", "stack": "a"}, map[string]any{"name": "a", "stack": "b"}}
		}, "consumers[1].name", "listed twice"},
		{"stack and values", func(r map[string]any) {
			c := teamB()
			c["stack"] = "ml-team-b"
			given(r, c)
		}, "consumers[0].stack", "give either stack"},
		{"consumer without its execution role", func(r map[string]any) { c := teamB(); delete(c, "executionRoleArn"); given(r, c) }, "consumers[0].executionRoleArn", "not an IAM role ARN"},
		{"execution role of another account", func(r map[string]any) {
			c := teamB()
			c["executionRoleArn"] = "arn:aws:iam::444444444444:role/studio-execution"
			given(r, c)
		}, "consumers[0].executionRoleArn", "is in account 444444444444"},
		{"consumer VPC overlapping the producer's", func(r map[string]any) {
			c := teamB()
			c["vpc"].(map[string]any)["cidr"] = "10.20.0.0/16"
			given(r, c)
		}, "consumers[0].vpc.cidr", "overlaps producer.vpc.cidr"},
		{"two peered consumers with one range", func(r map[string]any) {
			producerSide(r)
			r["consumers"] = []any{map[string]any{"name": "ml-team-a", "stack": "ml-team-a"}, teamB(), teamC("10.30.0.0/16")}
		}, "consumers[2].vpc.cidr", "10.30.0.0/16 overlaps consumers[1] (ml-team-b) 10.30.0.0/16"},
		{"a peered consumer's range inside another's", func(r map[string]any) {
			producerSide(r)
			r["consumers"] = []any{teamB(), teamC("10.30.128.0/20")}
		}, "consumers[1].vpc.cidr", "10.30.128.0/20 overlaps consumers[0] (ml-team-b) 10.30.0.0/16"},
		{"malformed peering ID", func(r map[string]any) { c := teamB(); c["peeringConnectionId"] = "pcx-1"; given(r, c) }, "consumers[0].peeringConnectionId", "not a VPC peering connection ID"},
	})
}

// consumersWithPrefixes lists consumers by stack, each with the prefix
// given (nil: derived from its name).
func consumersWithPrefixes(r map[string]any, names []string, prefixes ...any) {
	producerSide(r)
	var consumers []any
	for i, name := range names {
		c := map[string]any{"name": name, "stack": name}
		if i < len(prefixes) && prefixes[i] != nil {
			c["dbUserPrefix"] = prefixes[i]
		}
		consumers = append(consumers, c)
	}
	r["consumers"] = consumers
}

func TestDBUserPrefixes(t *testing.T) {
	for _, tt := range []struct {
		name     string
		consumer ConsumerRef
		want     string
	}{
		{"derived from the name", ConsumerRef{Name: "ml-team-a"}, "ml-team-a_"},
		{"a name of 15 characters, whole", ConsumerRef{Name: "research-europe"}, "research-europe_"},
		{"a longer name, cut with a digest", ConsumerRef{Name: "research-europe-west"}, "resear-" + digestOf("research-europe-west") + "_"},
		{"given", ConsumerRef{Name: "ml-team-a", DBUserPrefix: ptr("ds_")}, "ds_"},
		{"the bare names", ConsumerRef{Name: "ml-team-a", DBUserPrefix: ptr("")}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			prefix := tt.consumer.UserPrefix()
			assert.Equal(t, tt.want, prefix)
			assert.LessOrEqual(t, len(prefix), MaxDBUserPrefix)
			if prefix != "" {
				assert.Regexp(t, dbUserPrefixPattern, prefix)
			}
		})
	}
	assert.NotEqual(t, DefaultDBUserPrefix("research-europe-west"), DefaultDBUserPrefix("research-europe-east"),
		"two long names sharing a beginning get prefixes of their own")

	raw := validRaw()
	consumersWithPrefixes(raw, []string{"ml-team-a", "ml-team-b", "finance"}, nil, "team-b_", "")
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err, "prefixes of their own, and one consumer with the bare names")
	assert.Equal(t, []string{"ml-team-a_", "team-b_", ""}, []string{cfg.Consumers[0].UserPrefix(), cfg.Consumers[1].UserPrefix(), cfg.Consumers[2].UserPrefix()})
}

func digestOf(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])[:8]
}

func ptr(s string) *string { return &s }

func TestParseRejectsDBUserPrefixMistakes(t *testing.T) {
	teams := []string{"ml-team-a", "ml-team-b", "ml-team-c"}
	assertRejections(t, []rejection{
		{"prefix without its separator", func(r map[string]any) { consumersWithPrefixes(r, teams, "team-a") }, "consumers[0].dbUserPrefix", "then one underscore"},
		{"prefix with two separators", func(r map[string]any) { consumersWithPrefixes(r, teams, "a_b_") }, "consumers[0].dbUserPrefix", "is not a database-user prefix"},
		{"prefix with another separator", func(r map[string]any) { consumersWithPrefixes(r, teams, "team.") }, "consumers[0].dbUserPrefix", "is not a database-user prefix"},
		{"upper-case prefix", func(r map[string]any) { consumersWithPrefixes(r, teams, "Team_") }, "consumers[0].dbUserPrefix", "lower-case letters"},
		{"prefix starting with a digit", func(r map[string]any) { consumersWithPrefixes(r, teams, "1team_") }, "consumers[0].dbUserPrefix", "starting with a letter"},
		{"prefix leaving too little for the profile name", func(r map[string]any) {
			consumersWithPrefixes(r, teams, "a-very-long-team-label_")
		}, "consumers[0].dbUserPrefix", "up to 15 lower-case letters"},
		{"two consumers with one prefix", func(r map[string]any) { consumersWithPrefixes(r, teams, "ds_", nil, "ds_") },
			"consumers[2].dbUserPrefix", `"ds_" overlaps consumers[0]'s namespace`},
		{"a given prefix equal to another's derived one", func(r map[string]any) { consumersWithPrefixes(r, teams, nil, nil, "ml-team-a_") },
			"consumers[2].dbUserPrefix", `"ml-team-a_" overlaps consumers[0]'s namespace`},
		{"a derived prefix equal to another's given one", func(r map[string]any) { consumersWithPrefixes(r, teams, "ml-team-b_") },
			"consumers[1].dbUserPrefix", `"ml-team-b_" (derived from the name) overlaps consumers[0]'s namespace`},
		{"two consumers with the bare names", func(r map[string]any) { consumersWithPrefixes(r, teams, "", "") },
			"consumers[1].dbUserPrefix", `"" overlaps consumers[0]'s namespace`},
	})
}

func TestCheckDBUserNames(t *testing.T) {
	require.NoError(t, CheckDBUserNames("ml-team-a_", []string{"alice", strings.Repeat("a", 54)}), "64 characters in all")
	require.NoError(t, CheckDBUserNames("", []string{strings.Repeat("a", 63)}), "the bare names: any profile name")
	err := CheckDBUserNames("ml-team-a_", []string{"alice", strings.Repeat("a", 55)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumer.studio.userProfiles[1]:")
	assert.Contains(t, err.Error(), "65 characters; GetClusterCredentials takes at most 64: use a profile name of at most 54 characters")
}

// TestOverlappingConsumersNeedNoRouteOutsidePeering: the Data API and a
// managed endpoint route nothing, so teams whose VPCs share a range are
// served side by side; peering refuses them and says where to turn.
func TestOverlappingConsumersNeedNoRouteOutsidePeering(t *testing.T) {
	consumers := func(connection string) map[string]any {
		raw := validRaw()
		producerSide(raw)
		raw["connection"] = connection
		var list []any
		for i, account := range []string{"333333333333", "444444444444"} {
			list = append(list, map[string]any{
				"name": fmt.Sprintf("ml-team-%d", i), "accountId": account,
				"executionRoleArn": "arn:aws:iam::" + account + ":role/studio-execution",
				"vpc":              map[string]any{"id": fmt.Sprintf("vpc-0d4e5f60718293a4%d", i), "cidr": "10.10.0.0/16"},
			})
		}
		raw["consumers"] = list
		return raw
	}
	for _, connection := range []string{ConnectionDataAPI, ConnectionManagedEndpoint} {
		raw := consumers(connection)
		raw["producer"] = map[string]any{"accountId": "111111111111", "redshift": map[string]any{"clusterIdentifier": "analytics", "database": "dev"}}
		_, err := Parse(encode(t, raw))
		assert.NoError(t, err, "%s: overlapping consumers need no route", connection)
	}
	_, err := Parse(encode(t, consumers(ConnectionPeering)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumers[1].vpc.cidr: 10.10.0.0/16 overlaps consumers[0] (ml-team-0) 10.10.0.0/16")
	assert.Contains(t, err.Error(), "connection managedEndpoint or dataApi")
}
