package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serverless makes the valid configuration's producer an existing Serverless
// workgroup reached through the Data API.
func serverless(r map[string]any) {
	r["connection"] = ConnectionDataAPI
	redshift := r["producer"].(map[string]any)["redshift"].(map[string]any)
	delete(redshift, "clusterIdentifier")
	delete(redshift, "securityGroupId")
	redshift["serverless"] = map[string]any{"workgroupName": "analytics"}
	delete(r["producer"].(map[string]any)["vpc"].(map[string]any), "routeTableIds")
}

// createdServerless makes it a workgroup the program creates in three
// subnets of the existing producer VPC.
func createdServerless(r map[string]any) {
	serverless(r)
	set(r, "producer.redshift.serverless.create", true)
	set(r, "producer.vpc.subnetIds", []any{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829", "subnet-0c3d4e5f60718293a"})
	// An S3 gateway endpoint on them serves COPY and UNLOAD, as for a created cluster.
	set(r, "producer.vpc.routeTableIds", []any{"rtb-0a1b2c3d4e5f60718"})
}

func TestServerlessDefaults(t *testing.T) {
	raw := validRaw()
	createdServerless(raw)
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err)
	s := cfg.Producer.Redshift.Serverless
	require.NotNil(t, s)
	assert.True(t, cfg.IsServerless())
	assert.True(t, cfg.CreatesWarehouse())
	assert.Equal(t, "analytics", s.NamespaceName, "the namespace is named after the workgroup")
	assert.Equal(t, ServerlessLogExports, s.LogExports)
	assert.True(t, s.UsesEnhancedVpcRouting())
	assert.Equal(t, DefaultBaseCapacity, s.BaseCapacity)
	assert.Equal(t, []string{"analysts"}, cfg.Producer.Redshift.DBGroups, "the groups become database roles, also with the Data API")
}

func TestServerlessAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string]any)
	}{
		{"existing workgroup over the Data API", serverless},
		{"existing workgroup over peering", func(r map[string]any) {
			serverless(r)
			r["connection"] = ConnectionPeering
			set(r, "producer.vpc.routeTableIds", []any{"rtb-0a1b2c3d4e5f60718"})
			set(r, "producer.redshift.securityGroupId", "sg-0a1b2c3d4e5f60718")
		}},
		{"created workgroup with every setting", func(r map[string]any) {
			createdServerless(r)
			set(r, "producer.redshift.serverless.namespaceName", "analytics-ns")
			set(r, "producer.redshift.serverless.kmsKeyArn", "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab")
			set(r, "producer.redshift.serverless.logExports", []any{"connectionlog"})
			set(r, "producer.redshift.serverless.enhancedVpcRouting", false)
			set(r, "producer.redshift.serverless.baseCapacity", 8)
		}},
		{"created workgroup in a created VPC of three zones", func(r map[string]any) {
			createdServerless(r)
			set(r, "producer.vpc.id", nil)
			set(r, "producer.vpc.subnetIds", nil)
			set(r, "producer.vpc.routeTableIds", nil)
			set(r, "producer.vpc.subnetCount", 3)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := validRaw()
			tt.change(raw)
			_, err := Parse(encode(t, raw))
			require.NoError(t, err)
		})
	}
}

func TestServerlessRejects(t *testing.T) {
	with := func(change func(map[string]any), path string, value any) func(map[string]any) {
		return func(r map[string]any) { change(r); set(r, path, value) }
	}
	assertRejections(t, []rejection{
		{"workgroup without a name", with(serverless, "producer.redshift.serverless.workgroupName", nil), "producer.redshift.serverless.workgroupName", "is required"},
		{"workgroup name in upper case", with(serverless, "producer.redshift.serverless.workgroupName", "Analytics"), "producer.redshift.serverless.workgroupName", "not a workgroup name"},
		{"cluster identifier beside the workgroup", with(serverless, "producer.redshift.clusterIdentifier", "analytics"), "producer.redshift.clusterIdentifier", "remove one of them"},
		{"cluster create beside the workgroup", with(serverless, "producer.redshift.create", true), "producer.redshift.create", "producer.redshift.serverless.create"},
		{"node type beside the workgroup", with(serverless, "producer.redshift.nodeType", "ra3.xlplus"), "producer.redshift.nodeType", "provisioned cluster"},
		{"admin users beside the workgroup", with(serverless, "producer.redshift.adminUsers", []any{"awsuser"}), "producer.redshift.adminUsers", "provisioned cluster"},
		{"unknown serverless key", with(serverless, "producer.redshift.serverless.workgroupname", "x"), "producer.redshift.serverless.workgroupname", "unknown key"},
		{"managed endpoint", with(serverless, "connection", ConnectionManagedEndpoint), "connection", "not supported yet with a Redshift Serverless producer"},
		{"existing workgroup over peering without its group", func(r map[string]any) {
			serverless(r)
			r["connection"] = ConnectionPeering
			set(r, "producer.vpc.routeTableIds", []any{"rtb-0a1b2c3d4e5f60718"})
		}, "producer.redshift.securityGroupId", "is required"},
		{"created workgroup with a group of its own", func(r map[string]any) {
			createdServerless(r)
			r["connection"] = ConnectionPeering
			set(r, "producer.redshift.securityGroupId", "sg-0a1b2c3d4e5f60718")
		}, "producer.redshift.securityGroupId", "creates the security group of a workgroup"},
		{"namespace setting on an existing workgroup", with(serverless, "producer.redshift.serverless.baseCapacity", 64), "producer.redshift.serverless.baseCapacity", "only shapes a workgroup the program creates"},
		{"two subnets", with(createdServerless, "producer.vpc.subnetIds", []any{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"}), "producer.vpc.subnetIds", "needs at least 3"},
		{"created VPC of two zones", func(r map[string]any) {
			createdServerless(r)
			set(r, "producer.vpc.id", nil)
			set(r, "producer.vpc.subnetIds", nil)
			set(r, "producer.vpc.routeTableIds", nil)
		}, "producer.vpc.subnetCount", "at least 3 availability zones"},
		{"base capacity not a multiple of 8", with(createdServerless, "producer.redshift.serverless.baseCapacity", 12), "producer.redshift.serverless.baseCapacity", "8 to 1024 in units of 8"},
		{"base capacity above AWS's most", with(createdServerless, "producer.redshift.serverless.baseCapacity", 2048), "producer.redshift.serverless.baseCapacity", "not a base capacity"},
		{"unknown log export", with(createdServerless, "producer.redshift.serverless.logExports", []any{"querylog"}), "producer.redshift.serverless.logExports[0]", "not a Redshift Serverless audit log"},
		{"log export twice", with(createdServerless, "producer.redshift.serverless.logExports", []any{"userlog", "userlog"}), "producer.redshift.serverless.logExports[1]", "listed twice"},
		{"malformed KMS key", with(createdServerless, "producer.redshift.serverless.kmsKeyArn", "alias/redshift"), "producer.redshift.serverless.kmsKeyArn", "not a KMS key ARN"},
		{"KMS key of another region", with(createdServerless, "producer.redshift.serverless.kmsKeyArn", "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
			"producer.redshift.serverless.kmsKeyArn", "not in region us-east-1"},
		{"namespace name too short", with(createdServerless, "producer.redshift.serverless.namespaceName", "ns"), "producer.redshift.serverless.namespaceName", "not a namespace name"},
		{"port a workgroup refuses", with(createdServerless, "producer.redshift.port", 6000), "producer.redshift.port", "5431-5455 or 8191-8215"},
		{"database role with a dollar", with(serverless, "producer.redshift.dbGroups", []any{"analysts$"}), "producer.redshift.dbGroups[0]", "IAM tag, which takes no $"},
		{"database roles longer than a tag value", func(r map[string]any) {
			serverless(r)
			roles := []any{}
			for _, name := range []string{"a", "b", "c", "d", "e"} {
				roles = append(roles, name+strings.Repeat("x", 60))
			}
			set(r, "producer.redshift.dbGroups", roles)
		}, "producer.redshift.dbGroups", "an IAM tag value has at most 256"},
		{"more tags than a user's role takes", func(r map[string]any) {
			serverless(r)
			tags := map[string]any{}
			for i := range 49 {
				tags[fmt.Sprintf("key%d", i)] = "x"
			}
			r["tags"] = tags
		}, "tags", "has 49 tags; with a Serverless producer each user's role carries them and 2 of its own"},
	})
}

// serverlessProducerSide is a Serverless producer-side stack serving ml-team-a
// by its stack and ml-team-b by values, with profiles.
func serverlessProducerSide(r map[string]any) {
	serverless(r)
	producerSide(r)
	r["consumers"] = append(r["consumers"].([]any), map[string]any{
		"name": "ml-team-b", "accountId": "333333333333",
		"executionRoleArn": "arn:aws:iam::333333333333:role/studio-execution",
		"userProfiles":     []any{"alice", "carol"},
	})
}

func TestServerlessSplitStacks(t *testing.T) {
	raw := validRaw()
	serverlessProducerSide(raw)
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err, "a Serverless producer serves consumer stacks")
	assert.Equal(t, []string{"alice", "carol"}, cfg.Consumers[1].UserProfiles)

	teamB := func(change func(map[string]any)) func(map[string]any) {
		return func(r map[string]any) {
			serverlessProducerSide(r)
			change(r["consumers"].([]any)[1].(map[string]any))
		}
	}
	long := strings.Repeat("a", 54) // ml-team-b_ and 54 characters: 64
	assertRejections(t, []rejection{
		{"a consumer by values without its profiles", teamB(func(c map[string]any) { delete(c, "userProfiles") }),
			"consumers[1].userProfiles", "is required with a Redshift Serverless producer"},
		{"a profile that is not one", teamB(func(c map[string]any) { c["userProfiles"] = []any{"alice", "Bob"} }),
			"consumers[1].userProfiles[1]", "not a Studio user profile name"},
		{"a profile of one character", teamB(func(c map[string]any) { c["userProfiles"] = []any{"a"} }),
			"consumers[1].userProfiles[0]", "one character"},
		{"a profile listed twice", teamB(func(c map[string]any) { c["userProfiles"] = []any{"alice", "alice"} }),
			"consumers[1].userProfiles[1]", "listed twice"},
		{"a role name longer than IAM takes", teamB(func(c map[string]any) { c["userProfiles"] = []any{long + "a"} }),
			"consumers[1].userProfiles[0]", "65 characters; IAM takes at most 64: use a profile name of at most 54 characters"},
		{"profiles beside a consumer's stack", func(r map[string]any) {
			serverlessProducerSide(r)
			r["consumers"].([]any)[0].(map[string]any)["userProfiles"] = []any{"alice"}
		}, "consumers[0].stack", "comes with values of its own"},
		{"profiles for a cluster", func(r map[string]any) {
			producerSide(r)
			r["consumers"] = []any{map[string]any{"name": "ml-team-b", "accountId": "333333333333",
				"executionRoleArn": "arn:aws:iam::333333333333:role/studio-execution",
				"vpc":              map[string]any{"id": "vpc-0d4e5f60718293a4b", "cidr": "10.30.0.0/16"},
				"userProfiles":     []any{"alice"}}}
		}, "consumers[0].userProfiles", "only a Redshift Serverless producer makes a role per user"},
	})
	raw = validRaw()
	teamB(func(c map[string]any) { c["userProfiles"] = []any{long} })(raw)
	_, err = Parse(encode(t, raw))
	require.NoError(t, err, "a role name of 64 characters")
}
