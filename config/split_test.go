package config

import (
	"fmt"
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
