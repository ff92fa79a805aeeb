package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validRaw is a complete, valid configuration as the CLI passes it.
func validRaw() map[string]any {
	return map[string]any{
		"region":  "us-east-1",
		"tags":    map[string]any{"team": "data-platform"},
		"protect": "true",
		"producer": map[string]any{
			"accountId": "111111111111",
			"vpc": map[string]any{
				"id":            "vpc-0a1b2c3d4e5f60718",
				"cidr":          "10.20.0.0/16",
				"routeTableIds": []any{"rtb-0a1b2c3d4e5f60718"},
			},
			"redshift": map[string]any{
				"clusterIdentifier": "analytics",
				"database":          "dev",
				"securityGroupId":   "sg-0a1b2c3d4e5f60718",
				"dbGroups":          []any{"analysts"},
			},
		},
		"consumer": map[string]any{
			"accountId": "222222222222",
			"vpc": map[string]any{
				"id":            "vpc-0c3d4e5f60718293a",
				"cidr":          "10.10.0.0/16",
				"subnetIds":     []any{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"},
				"routeTableIds": []any{"rtb-0c3d4e5f60718293a"},
			},
			"studio": map[string]any{
				"domainName":   "analytics-studio",
				"userProfiles": []any{"alice", "bob"},
			},
		},
	}
}

// encode renders a configuration the way the Pulumi CLI hands it over:
// strings as they are, everything else as JSON.
func encode(t *testing.T, raw map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for key, value := range raw {
		if text, ok := value.(string); ok {
			out[key] = text
			continue
		}
		data, err := json.Marshal(value)
		require.NoError(t, err)
		out[key] = string(data)
	}
	return out
}

// set changes one value at a dotted path ("consumer.vpc.cidr"); a nil value
// deletes the key.
func set(raw map[string]any, path string, value any) {
	parts := strings.Split(path, ".")
	node := raw
	for _, part := range parts[:len(parts)-1] {
		node = node[part].(map[string]any)
	}
	if value == nil {
		delete(node, parts[len(parts)-1])
		return
	}
	node[parts[len(parts)-1]] = value
}

func TestParseValid(t *testing.T) {
	cfg, err := Parse(encode(t, validRaw()))
	require.NoError(t, err)

	assert.Equal(t, "us-east-1", cfg.Region)
	assert.True(t, cfg.Protect)
	assert.Equal(t, map[string]string{"team": "data-platform"}, cfg.Tags)
	assert.Equal(t, DefaultRedshiftPort, cfg.Producer.Redshift.Port, "port defaults to 5439")
	assert.Equal(t, []string{"arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"}, cfg.Consumer.Studio.ExecutionRolePolicyArns,
		"the execution role gets AmazonSageMakerFullAccess by default")
	assert.Equal(t, []string{"alice", "bob"}, cfg.Consumer.Studio.UserProfiles)
	assert.False(t, cfg.SameAccount())
}

// greenfield turns validRaw into a configuration that creates both VPCs and
// the cluster.
func greenfield(r map[string]any) {
	for _, side := range []string{"producer", "consumer"} {
		vpc := r[side].(map[string]any)["vpc"].(map[string]any)
		delete(vpc, "id")
		delete(vpc, "subnetIds")
		delete(vpc, "routeTableIds")
	}
	redshift := r["producer"].(map[string]any)["redshift"].(map[string]any)
	delete(redshift, "securityGroupId")
	redshift["create"] = true
}

func TestParseGreenfield(t *testing.T) {
	raw := validRaw()
	greenfield(raw)
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err)

	assert.True(t, cfg.Producer.VPC.CreatesVPC())
	assert.True(t, cfg.Consumer.VPC.CreatesVPC())
	for _, g := range []Greenfield{cfg.Producer.VPC.Greenfield, cfg.Consumer.VPC.Greenfield} {
		assert.Equal(t, Greenfield{SubnetCount: 2, FlowLogRetentionDays: 90}, g, "greenfield defaults")
	}
	r := cfg.Producer.Redshift
	assert.Equal(t, []any{"ra3.xlplus", 1, "awsuser"}, []any{r.NodeType, r.NodeCount, r.MasterUsername}, "created cluster defaults")
	assert.False(t, cfg.InstallsPackages(), "no NAT and no mirror: no lifecycle configuration")

	set(raw, "consumer.vpc.natGateway", true)
	cfg, err = Parse(encode(t, raw))
	require.NoError(t, err)
	assert.True(t, cfg.InstallsPackages(), "a NAT gateway reaches the package index")
}

func TestParseAcceptedVariants(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string]any)
		check  func(*testing.T, *Config)
	}{
		{"same account on both sides", func(r map[string]any) { set(r, "consumer.accountId", "111111111111") },
			func(t *testing.T, c *Config) { assert.True(t, c.SameAccount()) }},
		{"8-digit legacy resource IDs", func(r map[string]any) { set(r, "producer.vpc.id", "vpc-0a1b2c3d") },
			func(t *testing.T, c *Config) { assert.Equal(t, "vpc-0a1b2c3d", c.Producer.VPC.ID) }},
		{"protect off", func(r map[string]any) { r["protect"] = "false" },
			func(t *testing.T, c *Config) { assert.False(t, c.Protect) }},
		{"protect absent defaults to true", func(r map[string]any) { delete(r, "protect") },
			func(t *testing.T, c *Config) { assert.True(t, c.Protect) }},
		{"custom port", func(r map[string]any) { set(r, "producer.redshift.port", 5440) },
			func(t *testing.T, c *Config) { assert.Equal(t, 5440, c.Producer.Redshift.Port) }},
		{"admin users default to awsuser", func(r map[string]any) {},
			func(t *testing.T, c *Config) {
				assert.Equal(t, []string{"awsuser"}, c.Producer.Redshift.AdminUsers)
				assert.Equal(t, []string{"awsuser", "rdsdb", "public"}, c.Producer.Redshift.AdminUserNames())
			}},
		{"a created cluster's master user is an admin user", func(r map[string]any) {
			greenfield(r)
			set(r, "producer.redshift.masterUsername", "admin")
			set(r, "producer.redshift.adminUsers", []any{"etl_admin"})
		}, func(t *testing.T, c *Config) {
			assert.Equal(t, []string{"etl_admin", "admin", "rdsdb", "public"}, c.Producer.Redshift.AdminUserNames())
		}},
		{"no db groups", func(r map[string]any) { set(r, "producer.redshift.dbGroups", nil) },
			func(t *testing.T, c *Config) { assert.Empty(t, c.Producer.Redshift.DBGroups) }},
		{"explicit empty policy list", func(r map[string]any) { set(r, "consumer.studio.executionRolePolicyArns", []any{}) },
			func(t *testing.T, c *Config) { assert.Empty(t, c.Consumer.Studio.ExecutionRolePolicyArns) }},
		{"deployer role and profile", func(r map[string]any) {
			set(r, "producer.roleArn", "arn:aws:iam::111111111111:role/ops/deployer")
			set(r, "producer.profile", "data-prod")
		}, func(t *testing.T, c *Config) {
			assert.Equal(t, "arn:aws:iam::111111111111:role/ops/deployer", c.Producer.RoleArn)
			assert.Equal(t, "data-prod", c.Producer.Profile)
		}},
		{"extra endpoints", func(r map[string]any) { set(r, "consumer.vpc.extraEndpoints", []any{"ecr.api", "ecr.dkr"}) },
			func(t *testing.T, c *Config) {
				assert.Equal(t, []string{"ecr.api", "ecr.dkr"}, c.Consumer.VPC.ExtraEndpoints)
			}},
		{"a cluster created in an existing VPC", func(r map[string]any) {
			redshift := r["producer"].(map[string]any)["redshift"].(map[string]any)
			redshift["create"], redshift["nodeType"], redshift["nodeCount"] = true, "ra3.large", 2
			delete(redshift, "securityGroupId")
			set(r, "producer.vpc.subnetIds", []any{"subnet-0f1e2d3c4b5a69788"})
		}, func(t *testing.T, c *Config) {
			assert.True(t, c.Producer.Redshift.Create)
			assert.Equal(t, 2, c.Producer.Redshift.NodeCount)
			assert.Equal(t, Greenfield{}, c.Producer.VPC.Greenfield, "no greenfield defaults on an existing VPC")
		}},
		{"guardrails on by default", func(r map[string]any) {},
			func(t *testing.T, c *Config) {
				assert.True(t, c.Consumer.Guardrails.On())
				assert.False(t, c.Consumer.Guardrails.RequireNetworkIsolation, "opt-in")
				assert.False(t, c.Consumer.Guardrails.RequireSourceVpce, "opt-in")
			}},
		{"guardrails off", func(r map[string]any) { set(r, "consumer.guardrails", map[string]any{"enabled": false}) },
			func(t *testing.T, c *Config) { assert.False(t, c.Consumer.Guardrails.On()) }},
		{"guardrail switches", func(r map[string]any) {
			set(r, "consumer.guardrails", map[string]any{"requireNetworkIsolation": true, "requireSourceVpce": true})
		}, func(t *testing.T, c *Config) {
			assert.True(t, c.Consumer.Guardrails.On())
			assert.True(t, c.Consumer.Guardrails.RequireNetworkIsolation)
			assert.True(t, c.Consumer.Guardrails.RequireSourceVpce)
		}},
		{"S3 endpoint limited to named buckets", func(r map[string]any) {
			set(r, "consumer.vpc.s3EndpointBuckets", []any{"ml-data", "sagemaker-us-east-1-222222222222"})
		},
			func(t *testing.T, c *Config) {
				assert.Equal(t, []string{"ml-data", "sagemaker-us-east-1-222222222222"}, c.Consumer.VPC.S3EndpointBuckets)
			}},
		{"an existing S3 gateway endpoint", func(r map[string]any) { set(r, "consumer.vpc.s3GatewayEndpointId", "vpce-0a1b2c3d4e5f60718") },
			func(t *testing.T, c *Config) {
				assert.Equal(t, "vpce-0a1b2c3d4e5f60718", c.Consumer.VPC.S3GatewayEndpointID)
			}},
		{"a package mirror", func(r map[string]any) { set(r, "consumer.studio.pipIndexUrl", codeArtifactURL) },
			func(t *testing.T, c *Config) { assert.True(t, c.InstallsPackages()) }},
		{"GovCloud partition", func(r map[string]any) { r["region"] = "us-gov-west-1" },
			func(t *testing.T, c *Config) {
				assert.Equal(t, "aws-us-gov", c.Partition())
				assert.Equal(t, []string{"arn:aws-us-gov:iam::aws:policy/AmazonSageMakerFullAccess"}, c.Consumer.Studio.ExecutionRolePolicyArns)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := validRaw()
			tt.change(raw)
			cfg, err := Parse(encode(t, raw))
			require.NoError(t, err)
			tt.check(t, cfg)
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string]any)
		// key is the config key the message must name; want is a further
		// fragment saying what is wrong or what would be right.
		key, want string
	}{
		{"missing producer", func(r map[string]any) { delete(r, "producer") }, "producer", "is required"},
		{"missing consumer", func(r map[string]any) { delete(r, "consumer") }, "consumer", "is required"},
		{"missing region", func(r map[string]any) { delete(r, "region") }, "region", "is required"},
		{"malformed region", func(r map[string]any) { r["region"] = "US East" }, "region", "not an AWS region"},
		{"China region", func(r map[string]any) { r["region"] = "cn-north-1" }, "region", `"cn-north-1" is in partition aws-cn, which the program does not support`},
		{"China region, the other", func(r map[string]any) { r["region"] = "cn-northwest-1" }, "region", "cn.com.amazonaws.<region>.<service>"},
		{"isolated region", func(r map[string]any) { r["region"] = "us-iso-east-1" }, "region", "partition aws-iso, which the program does not support"},
		{"missing CIDR", func(r map[string]any) { set(r, "producer.vpc.cidr", nil) }, "producer.vpc.cidr", "is required"},
		{"missing account ID", func(r map[string]any) { set(r, "consumer.accountId", nil) }, "consumer.accountId", "is required"},
		{"short account ID", func(r map[string]any) { set(r, "consumer.accountId", "2222") }, "consumer.accountId", `"2222" is not a 12-digit AWS account ID`},
		{"unquoted account ID", func(r map[string]any) { set(r, "producer.accountId", 111111111111) }, "producer.accountId",
			"pulumi config set --path --type string 'studio-redshift:producer.accountId' 111111111111"},
		{"number in the tags", func(r map[string]any) { r["tags"] = map[string]any{"cost-center": 42} }, "tags.cost-center",
			"expected a string, got a number (42); quote it in YAML so that it stays a string (with `pulumi config set --path`, add `--type string`)"},
		{"number in the user list", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{"alice", 7}) }, "consumer.studio.userProfiles[1]",
			"expected a string, got a number (7); quote it"},
		{"string where a list belongs", func(r map[string]any) { set(r, "consumer.studio.userProfiles", "alice") }, "consumer.studio.userProfiles",
			"set each item by path: `pulumi config set --path 'studio-redshift:consumer.studio.userProfiles[0]' VALUE`"},
		{"tag value with an ampersand", func(r map[string]any) { r["tags"] = map[string]any{"team": "data & ml"} }, "tags.team", "characters AWS tags refuse"},
		{"more tags than AWS takes", func(r map[string]any) {
			tags := map[string]any{}
			for i := range 50 {
				tags[fmt.Sprintf("key%d", i)] = "x"
			}
			r["tags"] = tags
		}, "tags", "has 50 tags; AWS allows 50 per resource"},
		{"tag key with a comma", func(r map[string]any) { r["tags"] = map[string]any{"team,owner": "x"} }, "tags.team,owner", "characters AWS tags refuse"},
		{"one-character user profile", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{"alice", "b"}) }, "consumer.studio.userProfiles[1]", "SourceIdentity, which STS takes from 2 to 64"},
		{"reserved word as user profile", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{"alice", "user"}) }, "consumer.studio.userProfiles[1]", "Redshift reserved word"},
		{"profile named after the default admin user", func(r map[string]any) {
			set(r, "consumer.studio.userProfiles", []any{"alice", "bob", "carol", "awsuser"})
		}, "consumer.studio.userProfiles[3]", `"awsuser" is producer.redshift.adminUsers[0] by default, an admin user of the cluster`},
		{"profile named after a configured admin user", func(r map[string]any) {
			set(r, "producer.redshift.adminUsers", []any{"awsuser", "etl-admin"})
			set(r, "consumer.studio.userProfiles", []any{"etl-admin"})
		}, "consumer.studio.userProfiles[0]", "producer.redshift.adminUsers[1]"},
		{"profile named after a created cluster's master user", func(r map[string]any) {
			greenfield(r)
			set(r, "producer.redshift.masterUsername", "admin")
			set(r, "consumer.studio.userProfiles", []any{"alice", "admin"})
		}, "consumer.studio.userProfiles[1]", `"admin" is producer.redshift.masterUsername, the admin user of the cluster the program creates`},
		{"profile named after the created cluster's default master user", func(r map[string]any) {
			greenfield(r)
			set(r, "producer.redshift.adminUsers", []any{})
			set(r, "consumer.studio.userProfiles", []any{"awsuser"})
		}, "consumer.studio.userProfiles[0]", "producer.redshift.masterUsername"},
		{"profile named after Redshift's maintenance user", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{"rdsdb"}) },
			"consumer.studio.userProfiles[0]", `"rdsdb" is a user Redshift keeps for itself`},
		{"profile named public", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{"alice", "public"}) },
			"consumer.studio.userProfiles[1]", "a user Redshift keeps for itself"},
		{"admin user in upper case", func(r map[string]any) { set(r, "producer.redshift.adminUsers", []any{"AwsUser"}) },
			"producer.redshift.adminUsers[0]", `Redshift stores user names in lower case; write "awsuser"`},
		{"admin user that is no user name", func(r map[string]any) { set(r, "producer.redshift.adminUsers", []any{"awsuser", "etl admin"}) },
			"producer.redshift.adminUsers[1]", "not a database user name GetClusterCredentials takes"},
		{"admin user listed twice", func(r map[string]any) { set(r, "producer.redshift.adminUsers", []any{"awsuser", "awsuser"}) },
			"producer.redshift.adminUsers[1]", "listed twice"},
		{"reserved word as db group", func(r map[string]any) { set(r, "producer.redshift.dbGroups", []any{"group"}) }, "producer.redshift.dbGroups[0]", "Redshift reserved word"},
		{"domain name too long for the lifecycle configuration", func(r map[string]any) {
			set(r, "consumer.studio.pipIndexUrl", "https://pypi.example.com/simple")
			set(r, "consumer.studio.domainName", strings.Repeat("d", 44))
		}, "consumer.studio.domainName", "keep it to 43"},
		{"zero port", func(r map[string]any) { set(r, "producer.redshift.port", 0) }, "producer.redshift.port", "0 is not a Redshift port"},
		{"unknown top-level key, lower-case s", func(r map[string]any) { r["featurestore"] = "{}" }, "featurestore", `unknown key; did you mean "featureStore"?`},
		{"unknown top-level key, capital A", func(r map[string]any) { r["Athena"] = "{}" }, "Athena", `did you mean "athena"?`},
		{"unknown top-level key protekt", func(r map[string]any) { r["protekt"] = "false" }, "protekt", `did you mean "protect"?`},
		{"unknown top-level key tag", func(r map[string]any) { r["tag"] = "{}" }, "tag", `did you mean "tags"?`},
		{"malformed role ARN", func(r map[string]any) { set(r, "producer.roleArn", "deployer") }, "producer.roleArn", "not an IAM role ARN"},
		{"role ARN in another account", func(r map[string]any) { set(r, "consumer.roleArn", "arn:aws:iam::333333333333:role/deployer") }, "consumer.roleArn", "333333333333"},
		{"profile with spaces", func(r map[string]any) { set(r, "consumer.profile", "ml prod") }, "consumer.profile", "not an AWS CLI profile"},
		{"malformed VPC ID", func(r map[string]any) { set(r, "producer.vpc.id", "vpc-123") }, "producer.vpc.id", "8 or 17 hex"},
		{"VPC ID with the wrong prefix", func(r map[string]any) { set(r, "consumer.vpc.id", "subnet-0a1b2c3d4e5f60718") }, "consumer.vpc.id", "not a vpc ID"},
		{"malformed subnet ID", func(r map[string]any) {
			set(r, "consumer.vpc.subnetIds", []any{"subnet-0a1b2c3d4e5f60718", "subnet-XYZ"})
		}, "consumer.vpc.subnetIds[1]", "not a subnet ID"},
		{"malformed route table ID", func(r map[string]any) { set(r, "producer.vpc.routeTableIds", []any{"rtb-zz"}) }, "producer.vpc.routeTableIds[0]", "not a rtb ID"},
		{"no producer route tables", func(r map[string]any) { set(r, "producer.vpc.routeTableIds", []any{}) }, "producer.vpc.routeTableIds", "at least 1"},
		{"malformed S3 gateway endpoint ID", func(r map[string]any) { set(r, "consumer.vpc.s3GatewayEndpointId", "vpce-1") }, "consumer.vpc.s3GatewayEndpointId", "not a vpce ID"},
		{"existing S3 gateway endpoint with bucket limits", func(r map[string]any) {
			set(r, "consumer.vpc.s3GatewayEndpointId", "vpce-0a1b2c3d4e5f60718")
			set(r, "consumer.vpc.s3EndpointBuckets", []any{"ml-data"})
		}, "consumer.vpc.s3EndpointBuckets", "policy is its owner's"},
		{"more buckets than an endpoint policy holds", func(r map[string]any) {
			var buckets []any
			for i := 0; i < 200; i++ {
				buckets = append(buckets, fmt.Sprintf("team-bucket-with-a-long-name-%04d", i))
			}
			set(r, "consumer.vpc.s3EndpointBuckets", buckets)
		}, "consumer.vpc.s3EndpointBuckets", "more than the 20480 AWS allows"},
		{"malformed security group ID", func(r map[string]any) { set(r, "producer.redshift.securityGroupId", "sg-1") }, "producer.redshift.securityGroupId", "not a sg ID"},
		{"invalid CIDR", func(r map[string]any) { set(r, "producer.vpc.cidr", "10.20.0.0/33") }, "producer.vpc.cidr", "not an IPv4 CIDR"},
		{"CIDR with host bits", func(r map[string]any) { set(r, "consumer.vpc.cidr", "10.10.1.0/16") }, "consumer.vpc.cidr", "10.10.0.0/16"},
		{"CIDR larger than a VPC can be", func(r map[string]any) { set(r, "consumer.vpc.cidr", "10.0.0.0/8") }, "consumer.vpc.cidr", "/16 to /28"},
		{"overlapping CIDRs", func(r map[string]any) { set(r, "consumer.vpc.cidr", "10.20.128.0/17") }, "consumer.vpc.cidr", "overlaps producer.vpc.cidr"},
		{"same VPC on both sides", func(r map[string]any) { set(r, "consumer.vpc.id", "vpc-0a1b2c3d4e5f60718") }, "consumer.vpc.id", "cannot be peered with itself"},
		{"fewer than two subnets", func(r map[string]any) { set(r, "consumer.vpc.subnetIds", []any{"subnet-0a1b2c3d4e5f60718"}) }, "consumer.vpc.subnetIds", "at least 2"},
		{"duplicate subnet", func(r map[string]any) {
			set(r, "consumer.vpc.subnetIds", []any{"subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60718"})
		}, "consumer.vpc.subnetIds[1]", "listed twice"},
		{"duplicate user profile", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{"alice", "alice"}) }, "consumer.studio.userProfiles[1]", "listed twice"},
		{"upper-case user profile", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{"Alice"}) }, "consumer.studio.userProfiles[0]", "lower-case"},
		{"user profile starting with a digit", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{"1bob"}) }, "consumer.studio.userProfiles[0]", "starting with a letter"},
		{"user profile with an underscore", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{"carol_x"}) }, "consumer.studio.userProfiles[0]", "Redshift user"},
		{"user profile too long", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{strings.Repeat("a", 64)}) }, "consumer.studio.userProfiles[0]", "at most 63"},
		{"no user profiles", func(r map[string]any) { set(r, "consumer.studio.userProfiles", []any{}) }, "consumer.studio.userProfiles", "at least one"},
		{"invalid domain name", func(r map[string]any) { set(r, "consumer.studio.domainName", "analytics_studio") }, "consumer.studio.domainName", "not a SageMaker domain name"},
		{"port below Redshift's range", func(r map[string]any) { set(r, "producer.redshift.port", 80) }, "producer.redshift.port", "1150-65535"},
		{"port above 65535", func(r map[string]any) { set(r, "producer.redshift.port", 70000) }, "producer.redshift.port", "1150-65535"},
		{"port as text", func(r map[string]any) { set(r, "producer.redshift.port", "5439") }, "producer.redshift.port", "expected a whole number"},
		{"invalid cluster identifier", func(r map[string]any) { set(r, "producer.redshift.clusterIdentifier", "Analytics--1") }, "producer.redshift.clusterIdentifier", "lower-case"},
		{"invalid database", func(r map[string]any) { set(r, "producer.redshift.database", "my-db") }, "producer.redshift.database", "not a Redshift database name"},
		{"invalid db group", func(r map[string]any) { set(r, "producer.redshift.dbGroups", []any{"Data Team"}) }, "producer.redshift.dbGroups[0]", "not a Redshift group name"},
		{"unknown nested key", func(r map[string]any) {
			producer := r["producer"].(map[string]any)
			producer["accountID"] = producer["accountId"]
			delete(producer, "accountId")
		}, "producer.accountID", `did you mean "accountId"`},
		{"near-miss deep key", func(r map[string]any) { set(r, "consumer.vpc.subnets", []any{}) }, "consumer.vpc.subnets", `did you mean "subnetIds"`},
		{"unknown deep key", func(r map[string]any) { set(r, "consumer.vpc.colour", "blue") }, "consumer.vpc.colour", "allowed here: cidr, extraEndpoints"},
		{"unknown top-level key", func(r map[string]any) { r["regoin"] = "us-east-1" }, "regoin", "unknown key"},
		{"misspelt region", func(r map[string]any) { r["reigon"] = r["region"]; delete(r, "region") }, "reigon", `unknown key; did you mean "region"?`},
		{"list where an object belongs", func(r map[string]any) { set(r, "consumer.studio", []any{"alice"}) }, "consumer.studio", "expected an object"},
		{"structured key that is not JSON", func(r map[string]any) { r["producer"] = "111111111111" }, "producer", "expected an object"},
		{"protect not a boolean", func(r map[string]any) { r["protect"] = "yes" }, "protect", "true or false"},
		{"reserved tag prefix", func(r map[string]any) { r["tags"] = map[string]any{"aws:owner": "x"} }, "tags.aws:owner", "reserved"},
		{"default endpoint listed again", func(r map[string]any) { set(r, "consumer.vpc.extraEndpoints", []any{"sts"}) }, "consumer.vpc.extraEndpoints[0]", "created by default"},
		{"s3 as an interface endpoint", func(r map[string]any) { set(r, "consumer.vpc.extraEndpoints", []any{"s3"}) }, "consumer.vpc.extraEndpoints[0]", "gateway endpoint"},
		{"malformed policy ARN", func(r map[string]any) {
			set(r, "consumer.studio.executionRolePolicyArns", []any{"AmazonSageMakerFullAccess"})
		}, "consumer.studio.executionRolePolicyArns[0]", "not a managed policy ARN"},
		{"policy ARN of another partition", func(r map[string]any) {
			set(r, "consumer.studio.executionRolePolicyArns", []any{"arn:aws-cn:iam::aws:policy/AmazonSageMakerFullAccess"})
		}, "consumer.studio.executionRolePolicyArns[0]", "partition"},
		{"execution role policy listed twice", func(r map[string]any) {
			set(r, "consumer.studio.executionRolePolicyArns", []any{"arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"})
		}, "consumer.studio.executionRolePolicyArns[1]", "listed twice"},
		{"two execution role policies of one name", func(r map[string]any) {
			set(r, "consumer.studio.executionRolePolicyArns", []any{"arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", "arn:aws:iam::222222222222:policy/team/AmazonSageMakerFullAccess"})
		}, "consumer.studio.executionRolePolicyArns[1]", "has the policy name AmazonSageMakerFullAccess of consumer.studio.executionRolePolicyArns[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := validRaw()
			tt.change(raw)
			cfg, err := Parse(encode(t, raw))
			require.Error(t, err)
			assert.Nil(t, cfg)
			assert.Contains(t, err.Error(), tt.key+":", "the message names the key")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseRejectsMixedModes(t *testing.T) {
	assertRejections(t, []rejection{
		{"subnetCount on an existing VPC", func(r map[string]any) { set(r, "consumer.vpc.subnetCount", 3) }, "consumer.vpc.subnetCount", "remove consumer.vpc.id"},
		{"flow log retention on an existing VPC", func(r map[string]any) { set(r, "producer.vpc.flowLogRetentionDays", 30) }, "producer.vpc.flowLogRetentionDays", "only applies to a VPC the program creates"},
		{"NAT gateway on an existing VPC", func(r map[string]any) { set(r, "consumer.vpc.natGateway", true) }, "consumer.vpc.natGateway", "only applies to a VPC the program creates"},
		{"NAT gateway on the producer", func(r map[string]any) { greenfield(r); set(r, "producer.vpc.natGateway", true) }, "producer.vpc.natGateway", "unknown key"},
		{"subnet IDs for a created VPC", func(r map[string]any) {
			greenfield(r)
			set(r, "consumer.vpc.subnetIds", []any{"subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"})
		}, "consumer.vpc.subnetIds", "set consumer.vpc.id"},
		{"route tables for a created VPC", func(r map[string]any) {
			greenfield(r)
			set(r, "producer.vpc.routeTableIds", []any{"rtb-0a1b2c3d4e5f60718"})
		}, "producer.vpc.routeTableIds", "creates the VPC and its route tables"},
		{"security group for a created cluster", func(r map[string]any) {
			greenfield(r)
			set(r, "producer.redshift.securityGroupId", "sg-0a1b2c3d4e5f60718")
		}, "producer.redshift.securityGroupId", "creates the security group"},
		{"node type for an existing cluster", func(r map[string]any) { set(r, "producer.redshift.nodeType", "ra3.4xlarge") }, "producer.redshift.nodeType", "only shapes a cluster the program creates"},
		{"node count for an existing cluster", func(r map[string]any) { set(r, "producer.redshift.nodeCount", 2) }, "producer.redshift.nodeCount", "only shapes a cluster the program creates"},
		{"master user for an existing cluster", func(r map[string]any) { set(r, "producer.redshift.masterUsername", "admin") }, "producer.redshift.masterUsername", "only shapes a cluster the program creates"},
		{"cluster subnets without creating a cluster", func(r map[string]any) { set(r, "producer.vpc.subnetIds", []any{"subnet-0a1b2c3d4e5f60718"}) }, "producer.vpc.subnetIds", "producer.redshift.create"},
		{"created cluster in an existing VPC without subnets", func(r map[string]any) {
			set(r, "producer.redshift.create", true)
			set(r, "producer.redshift.securityGroupId", nil)
		}, "producer.vpc.subnetIds", "at least 1"},
		{"one subnet", func(r map[string]any) { greenfield(r); set(r, "consumer.vpc.subnetCount", 1) }, "consumer.vpc.subnetCount", "2 to 6"},
		{"more subnets than any region has zones", func(r map[string]any) { greenfield(r); set(r, "producer.vpc.subnetCount", 7) }, "producer.vpc.subnetCount", "2 to 6"},
		{"subnets that do not fit the VPC", func(r map[string]any) {
			greenfield(r)
			set(r, "consumer.vpc.cidr", "10.10.0.0/27")
		}, "consumer.vpc.cidr", "too small"},
		{"NAT subnet that does not fit", func(r map[string]any) {
			greenfield(r)
			set(r, "consumer.vpc.cidr", "10.10.0.0/26")
			set(r, "consumer.vpc.subnetCount", 4)
			set(r, "consumer.vpc.natGateway", true)
		}, "consumer.vpc.cidr", "too small for 5 subnets"},
		{"flow log retention CloudWatch does not offer", func(r map[string]any) { greenfield(r); set(r, "consumer.vpc.flowLogRetentionDays", 100) }, "consumer.vpc.flowLogRetentionDays", "not a CloudWatch Logs retention period"},
		{"invalid node type", func(r map[string]any) { greenfield(r); set(r, "producer.redshift.nodeType", "large") }, "producer.redshift.nodeType", "ra3.xlplus"},
		{"misspelt node type", func(r map[string]any) { greenfield(r); set(r, "producer.redshift.nodeType", "ra3.xlplsu") }, "producer.redshift.nodeType", "not a Redshift node type a new cluster can use"},
		{"DC2 node type", func(r map[string]any) { greenfield(r); set(r, "producer.redshift.nodeType", "dc2.large") }, "producer.redshift.nodeType", "no longer creates DC2"},
		{"zero nodes", func(r map[string]any) { greenfield(r); set(r, "producer.redshift.nodeCount", 0) }, "producer.redshift.nodeCount", "0 is out of range"},
		{"zero subnets", func(r map[string]any) { greenfield(r); set(r, "consumer.vpc.subnetCount", 0) }, "consumer.vpc.subnetCount", "0 is out of range"},
		{"zero flow log retention", func(r map[string]any) { greenfield(r); set(r, "producer.vpc.flowLogRetentionDays", 0) }, "producer.vpc.flowLogRetentionDays", "0 is not a CloudWatch Logs retention period"},
		{"zero subnetCount on an existing VPC", func(r map[string]any) { set(r, "consumer.vpc.subnetCount", 0) }, "consumer.vpc.subnetCount", "only applies to a VPC the program creates"},
		{"zero nodes for an existing cluster", func(r map[string]any) { set(r, "producer.redshift.nodeCount", 0) }, "producer.redshift.nodeCount", "only shapes a cluster the program creates"},
		{"reserved word as master user", func(r map[string]any) { greenfield(r); set(r, "producer.redshift.masterUsername", "user") }, "producer.redshift.masterUsername", "reserved word"},
		{"guardrail switch with the guardrails off", func(r map[string]any) {
			set(r, "consumer.guardrails", map[string]any{"enabled": false, "requireSourceVpce": true})
		}, "consumer.guardrails.requireSourceVpce", "has no effect with consumer.guardrails.enabled: false"},
		{"existing cluster in a created VPC", func(r map[string]any) {
			vpc := r["producer"].(map[string]any)["vpc"].(map[string]any)
			delete(vpc, "id")
			delete(vpc, "routeTableIds")
		}, "producer.vpc.id", "is required for an existing cluster"},
		{"too many nodes", func(r map[string]any) { greenfield(r); set(r, "producer.redshift.nodeCount", 200) }, "producer.redshift.nodeCount", "1 to 128"},
		{"invalid master user", func(r map[string]any) { greenfield(r); set(r, "producer.redshift.masterUsername", "Admin!") }, "producer.redshift.masterUsername", "not a Redshift user name"},
		{"mirror that is not https", func(r map[string]any) { set(r, "consumer.studio.pipIndexUrl", "http://pypi.internal/simple") }, "consumer.studio.pipIndexUrl", "not an https URL"},
	})
}

// rejection is one bad-input class: a change to the valid configuration, the
// key its message names and a fragment saying what is wrong or right.
type rejection struct {
	name   string
	change func(map[string]any)
	key    string
	want   string
}

func assertRejections(t *testing.T, tests []rejection) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := validRaw()
			tt.change(raw)
			_, err := Parse(encode(t, raw))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.key+":", "the message names the key")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	raw := validRaw()
	set(raw, "producer.accountId", "1")
	set(raw, "consumer.vpc.cidr", "10.20.0.0/16")
	set(raw, "consumer.studio.userProfiles", []any{"Bob"})

	_, err := Parse(encode(t, raw))
	require.Error(t, err)
	for _, key := range []string{"producer.accountId:", "consumer.vpc.cidr:", "consumer.studio.userProfiles[0]:"} {
		assert.Contains(t, err.Error(), key)
	}
}

// stackValues is validRaw as the whole stack configuration, every key
// namespaced, as the CLI hands it to a program.
func stackValues(t *testing.T) map[string]string {
	t.Helper()
	all := map[string]string{"pulumi:disable-default-providers": `["aws"]`}
	for key, value := range encode(t, validRaw()) {
		all[Project+":"+key] = value
	}
	return all
}

func TestParseStackNamespaces(t *testing.T) {
	cfg, warnings, err := ParseStack(stackValues(t))
	require.NoError(t, err)
	assert.Empty(t, warnings)
	assert.Equal(t, "us-east-1", cfg.Region)

	tests := []struct {
		name, key, value, want string
	}{
		{"misspelt namespace", "studio-redshft:region", "us-east-1", `studio-redshft:region: unknown namespace "studio-redshft"; did you mean studio-redshift:region?`},
		{"no namespace", "region", "us-east-1", "region: has no namespace; write studio-redshift:region"},
		{"misspelt key", "studio-redshift:reigon", "us-east-1", `reigon: unknown key; did you mean "region"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all := stackValues(t)
			all[tt.key] = tt.value
			_, _, err := ParseStack(all)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}

	t.Run("misspelt region reports the typo, not a missing region", func(t *testing.T) {
		all := stackValues(t)
		all["studio-redshift:reigon"] = all["studio-redshift:region"]
		delete(all, "studio-redshift:region")
		_, _, err := ParseStack(all)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `reigon: unknown key; did you mean "region"?`)
		assert.NotContains(t, err.Error(), "region: is required")
	})

	t.Run("another namespace warns", func(t *testing.T) {
		all := stackValues(t)
		all["analytics:region"] = "us-east-1"
		_, warnings, err := ParseStack(all)
		require.NoError(t, err, "another tool's keys may share the stack")
		require.Len(t, warnings, 1)
		assert.Contains(t, warnings[0], `analytics:region: no part of this program reads the namespace "analytics"`)
	})

	t.Run("aws keys warn", func(t *testing.T) {
		all := stackValues(t)
		all["aws:region"] = "eu-west-1"
		all["aws:profile"] = "default"
		cfg, warnings, err := ParseStack(all)
		require.NoError(t, err)
		assert.Equal(t, "us-east-1", cfg.Region, "aws:region changes nothing")
		require.Len(t, warnings, 2)
		assert.True(t, strings.HasPrefix(warnings[0], "aws:profile does nothing in this program"), warnings[0])
		assert.True(t, strings.HasPrefix(warnings[1], "aws:region does nothing in this program"), warnings[1])
	})
}

// TestRA3Ports: AWS creates an RA3 cluster only on 5431-5455 or 8191-8215,
// in every connection mode; an existing cluster keeps its port, unless a
// managed endpoint must reach it.
func TestRA3Ports(t *testing.T) {
	tests := []struct {
		name       string
		connection string
		create     bool
		port       int
		want       string // a fragment of the error on producer.redshift.port; "" when accepted
	}{
		{"created cluster on 5500 with peering", ConnectionPeering, true, 5500, "a new RA3 cluster listens on 5431-5455 or 8191-8215"},
		{"created cluster on 5500 with the Data API", ConnectionDataAPI, true, 5500, "a new RA3 cluster listens on 5431-5455 or 8191-8215"},
		{"created cluster on 5500 with a managed endpoint", ConnectionManagedEndpoint, true, 5500, "a new RA3 cluster listens on 5431-5455 or 8191-8215"},
		{"created cluster just above the first range", ConnectionPeering, true, 5456, "a new RA3 cluster"},
		{"created cluster just below the second range", ConnectionPeering, true, 8190, "a new RA3 cluster"},
		{"created cluster on the default port", ConnectionPeering, true, 5439, ""},
		{"created cluster at the end of the second range", ConnectionDataAPI, true, 8215, ""},
		{"created cluster at the start of the first range", ConnectionManagedEndpoint, true, 5431, ""},
		{"existing cluster keeps 5500 with peering", ConnectionPeering, false, 5500, ""},
		{"existing cluster keeps 5500 with the Data API", ConnectionDataAPI, false, 5500, ""},
		{"existing cluster on 5500 behind a managed endpoint", ConnectionManagedEndpoint, false, 5500, "Redshift-managed VPC endpoint listens on 5431-5455 or 8191-8215"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := validRaw()
			raw["connection"] = tt.connection
			if tt.connection != ConnectionPeering {
				set(raw, "producer.redshift.securityGroupId", nil)
				set(raw, "producer.vpc.routeTableIds", nil)
			}
			if tt.connection == ConnectionDataAPI {
				set(raw, "producer.redshift.dbGroups", nil)
			}
			if tt.create {
				greenfield(raw)
			}
			set(raw, "producer.redshift.port", tt.port)
			cfg, err := Parse(encode(t, raw))
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.port, cfg.Producer.Redshift.Port)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "producer.redshift.port: ")
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, 1, strings.Count(err.Error(), "producer.redshift.port"), "one message for the port: %s", err)
		})
	}
}
