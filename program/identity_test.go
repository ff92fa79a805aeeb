package program

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/internal/offline"
	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// producerRoleID stands for the unique ID IAM gives the producer role: a
// session's aws:userid is "<role-id>:<session name>" (IAM User Guide,
// "Policy variables", principal key values).
const producerRoleID = "AROAEXAMPLEPRODUCER"

// producerSession is the request context of a producer role session that
// SageMaker stamped with sourceIdentity and its caller named sessionName.
func producerSession(sourceIdentity, sessionName string) map[string]string {
	return map[string]string{"aws:SourceIdentity": sourceIdentity, "aws:userid": producerRoleID + ":" + sessionName}
}

// with returns a copy of context with more keys.
func with(context map[string]string, keys ...string) map[string]string {
	out := map[string]string{}
	for key, value := range context {
		out[key] = value
	}
	for i := 0; i+1 < len(keys); i += 2 {
		out[keys[i]] = keys[i+1]
	}
	return out
}

// producerDocuments are the producer role's parsed trust and permission
// policies of a run.
func producerDocuments(t *testing.T, result *offline.Result) (trust, permissions policy.Document) {
	t.Helper()
	return parsePolicy(t, one(t, result, roleType, "producer-role"), "assumeRolePolicy"),
		parsePolicy(t, one(t, result, rolePolicyType, "producer-redshift-access"), "policy")
}

// TestInsidersChooseTheirParametersInVain plays each user who picks their own
// API parameters against the producer role's parsed documents, and the
// honest request next to each attack.
func TestInsidersChooseTheirParametersInVain(t *testing.T) {
	result := run(t, stackConfig(t, "dataapi"))
	trust, permissions := producerDocuments(t, result)
	executionRoleArn := one(t, result, roleType, "consumer-execution-role").Output("arn").(string)
	const arn = "arn:aws:redshift:us-east-1:" + producerAccount + ":"

	tests := []struct {
		name    string
		doc     policy.Document
		request request
		allowed bool
	}{
		// Item 1: the session name is the caller's to choose, and it makes
		// ${aws:userid}.
		{"bob names his producer session alice", trust, request{principal: executionRoleArn, action: "sts:AssumeRole",
			context: map[string]string{"aws:SourceIdentity": "bob", "sts:RoleSessionName": "alice"}}, false},
		{"bob names his producer session bob", trust, request{principal: executionRoleArn, action: "sts:AssumeRole",
			context: map[string]string{"aws:SourceIdentity": "bob", "sts:RoleSessionName": "bob"}}, true},
		{"a session without a SourceIdentity names itself alice", trust, request{principal: executionRoleArn, action: "sts:AssumeRole",
			context: map[string]string{"sts:RoleSessionName": "alice"}}, false},

		// Item 2: a Data API session runs as its database user, whoever
		// sends the statement.
		{"bob runs a statement in alice's Data API session", permissions, request{action: "redshift-data:ExecuteStatement", resource: arn + "cluster:analytics",
			context: with(producerSession("bob", "bob"), "redshift-data:session-owner-iam-userid", producerRoleID+":alice")}, false},
		{"bob runs a batch in alice's Data API session", permissions, request{action: "redshift-data:BatchExecuteStatement", resource: arn + "cluster:analytics",
			context: with(producerSession("bob", "bob"), "redshift-data:session-owner-iam-userid", producerRoleID+":alice")}, false},
		{"alice reuses her own Data API session", permissions, request{action: "redshift-data:ExecuteStatement", resource: arn + "cluster:analytics",
			context: with(producerSession("alice", "alice"), "redshift-data:session-owner-iam-userid", producerRoleID+":alice")}, true},
		{"alice runs a fresh statement", permissions, request{action: "redshift-data:ExecuteStatement", resource: arn + "cluster:analytics",
			context: producerSession("alice", "alice")}, true},
		{"bob reads alice's statement result", permissions, request{action: "redshift-data:GetStatementResult", resource: "*",
			context: with(producerSession("bob", "bob"), "redshift-data:statement-owner-iam-userid", producerRoleID+":alice")}, false},
		{"alice reads her own statement result", permissions, request{action: "redshift-data:GetStatementResult", resource: "*",
			context: with(producerSession("alice", "alice"), "redshift-data:statement-owner-iam-userid", producerRoleID+":alice")}, true},
		{"bob lists the role's statements", permissions, request{action: "redshift-data:ListStatements", resource: "*",
			context: with(producerSession("bob", "bob"), "redshift-data:statement-owner-iam-userid", producerRoleID+":bob")}, false},

		// Item 7: the notebook describes its own cluster, nothing else.
		{"alice describes the configured cluster", permissions, request{action: "redshift:DescribeClusters", resource: arn + "cluster:analytics",
			context: producerSession("alice", "alice")}, true},
		{"alice describes another cluster", permissions, request{action: "redshift:DescribeClusters", resource: arn + "cluster:payroll",
			context: producerSession("alice", "alice")}, false},
		{"alice lists the account's snapshots", permissions, request{action: "redshift:DescribeClusterSnapshots", resource: arn + "snapshot:analytics/nightly",
			context: producerSession("alice", "alice")}, false},
		{"alice reads the cluster's log destination", permissions, request{action: "redshift:DescribeLoggingStatus", resource: arn + "cluster:analytics",
			context: producerSession("alice", "alice")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.allowed, allows(tt.doc, tt.request))
		})
	}
}

// TestNoProfileGetsTheAdminsCredentials plays a profile named after an admin
// or Redshift's own user, made outside the program (the configuration refuses
// it), in any letter case: Redshift folds an unquoted DbUser to lower case.
func TestNoProfileGetsTheAdminsCredentials(t *testing.T) {
	created := stackConfig(t, "demo")
	setProducerKey(t, created, "masterUsername", "admin")
	stacks := map[string]struct {
		values map[string]string
		admins []string
	}{
		"existing cluster": {devConfig(t), []string{"awsuser", "rdsdb", "public"}},
		"created cluster":  {created, []string{"awsuser", "admin", "rdsdb", "public"}},
	}
	for name, stack := range stacks {
		t.Run(name, func(t *testing.T) {
			result := run(t, stack.values)
			_, permissions := producerDocuments(t, result)
			identifier := clusterIdentifierOf(t, stack.values)
			asks := func(action, sourceIdentity string) bool {
				return allows(permissions, request{
					action:   action,
					resource: "arn:aws:redshift:us-east-1:" + producerAccount + ":dbuser:" + identifier + "/" + sourceIdentity,
					context: with(producerSession(sourceIdentity, sourceIdentity),
						"redshift:DbUser", sourceIdentity, "redshift:DbName", "dev"),
				})
			}
			for _, action := range []string{"redshift:GetClusterCredentials", "redshift:CreateClusterUser"} {
				assert.True(t, asks(action, "alice"), "%s: alice is alice", action)
				for _, admin := range stack.admins {
					assert.False(t, asks(action, admin), "%s: a profile %s", action, admin)
				}
				assert.False(t, asks(action, "AWSUSER"), "%s: a profile AWSUSER, which Redshift folds to awsuser", action)
				assert.False(t, asks(action, "AwsUser"), "%s: a profile AwsUser", action)
			}
		})
	}
}

// TestAdminUsersAreConfigurable: the configured admin users are denied, and
// the document's size depends on them, not on the users.
func TestAdminUsersAreConfigurable(t *testing.T) {
	values := devConfig(t)
	setProducerKey(t, values, "adminUsers", []any{"awsuser", "etl_admin"})
	_, permissions := producerDocuments(t, run(t, values))
	anyCase := statement(t, permissions, "DenyAdminUsersInAnyCase")
	assert.Equal(t, []string{"awsuser", "etl_admin", "rdsdb", "public"}, anyCase.Condition["StringEqualsIgnoreCase"]["redshift:DbUser"])
	assert.False(t, allows(permissions, request{
		action: "redshift:GetClusterCredentials", resource: "arn:aws:redshift:us-east-1:" + producerAccount + ":dbuser:analytics/ETL_ADMIN",
		context: with(producerSession("ETL_ADMIN", "ETL_ADMIN"), "redshift:DbUser", "ETL_ADMIN", "redshift:DbName", "dev"),
	}))

	_, err := offline.Run(Run, config.Project, "dev", withUsers(t, devConfig(t), []any{"alice", "awsuser"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `consumer.studio.userProfiles[1]: "awsuser" is producer.redshift.adminUsers[0]`)
}

// setProducerKey sets producer.redshift.<key> in a stack's configuration.
func setProducerKey(t *testing.T, values map[string]string, key string, value any) {
	t.Helper()
	var producer map[string]any
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:producer"]), &producer))
	producer["redshift"].(map[string]any)[key] = value
	text, err := json.Marshal(producer)
	require.NoError(t, err)
	values["studio-redshift:producer"] = string(text)
}

func clusterIdentifierOf(t *testing.T, values map[string]string) string {
	t.Helper()
	var producer struct {
		Redshift struct {
			ClusterIdentifier string `json:"clusterIdentifier"`
		} `json:"redshift"`
	}
	require.NoError(t, json.Unmarshal([]byte(values["studio-redshift:producer"]), &producer))
	return producer.Redshift.ClusterIdentifier
}
