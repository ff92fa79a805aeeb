package producer

import (
	"github.com/studio-redshift/studio-redshift/policy"
)

// Cluster names the Redshift cluster the producer role grants access to.
type Cluster struct {
	Partition  string
	Region     string
	Account    string
	Identifier string
	Database   string
	// DBGroups are the only groups users may join; none when empty.
	DBGroups []string
}

func (c Cluster) arn(resource string) string {
	return policy.ARN(c.Partition, "redshift", c.Region, c.Account, resource)
}

// ClusterArn is the cluster's ARN.
func (c Cluster) ClusterArn() string { return c.arn("cluster:" + c.Identifier) }

// DBUserArn is the ARN of the database user named by the request. The policy
// variable stays literal: IAM fills it in per request.
func (c Cluster) DBUserArn() string { return c.arn("dbuser:" + c.Identifier + "/${redshift:DbUser}") }

// DBNameArn is the ARN of the configured database.
func (c Cluster) DBNameArn() string { return c.arn("dbname:" + c.Identifier + "/" + c.Database) }

// DBGroupArn is the ARN of one database group.
func (c Cluster) DBGroupArn(group string) string {
	return c.arn("dbgroup:" + c.Identifier + "/" + group)
}

// dbUserIsSourceIdentity is the heart of the per-user design: the database
// user asked for must equal the Studio user profile name that SageMaker
// stamped on the session as its SourceIdentity. Both sides are IAM policy
// variables and reach AWS as written.
var dbUserIsSourceIdentity = policy.Condition{
	"StringEquals": {"redshift:DbUser": {"${aws:SourceIdentity}"}},
}

// TrustPolicy lets exactly the Studio execution roles (one per consumer
// account) assume the producer role
// (and carry its SourceIdentity across), and only from sessions that carry a
// SourceIdentity (aws:SourceIdentity, the key AWS documents for a chained
// AssumeRole). It names no user: the permission policy's DbUser =
// ${aws:SourceIdentity} condition already binds each session to the database
// user of its own name, so a profile created later, even outside this
// program, chains in as itself only, and the document stays the same size
// whatever the number of users (a role trust policy has 2,048 characters,
// IAM quotas).
func TrustPolicy(executionRoleArns ...string) policy.Document {
	return policy.New(policy.Statement{
		Sid:       "StudioExecutionRoleWithSourceIdentity",
		Effect:    policy.Allow,
		Principal: &policy.Principal{AWS: executionRoleArns},
		// AWS: chaining a session that carries a SourceIdentity needs
		// sts:SetSourceIdentity next to sts:AssumeRole in the trust policy.
		Action: []string{"sts:AssumeRole", "sts:SetSourceIdentity"},
		Condition: policy.Condition{
			"Null": {"aws:SourceIdentity": {"false"}},
		},
	})
}

// PermissionPolicy is the seed article's RedshiftROAPIUserAccess policy,
// tightened where AWS allows it: credentials only for the database user named
// like the caller's SourceIdentity, only the configured groups, and the Data
// API on this cluster and on the caller's own statements.
func PermissionPolicy(c Cluster) policy.Document {
	statements := []policy.Statement{
		{
			Sid:      "GetRedshiftCredentials",
			Effect:   policy.Allow,
			Action:   []string{"redshift:GetClusterCredentials"},
			Resource: []string{c.DBNameArn(), c.DBUserArn(), c.ClusterArn()},
			// AWS: "If DbName is not specified, DbUser can log on to any
			// existing database", so the dbname ARN alone limits nothing.
			// redshift:DbName (a GetClusterCredentials condition key in the
			// service authorization reference) must equal the configured
			// database; a request without DbName has no value to match and
			// is refused.
			Condition: policy.Condition{
				"StringEquals": {
					"redshift:DbUser": dbUserIsSourceIdentity["StringEquals"]["redshift:DbUser"],
					"redshift:DbName": {c.Database},
				},
			},
		},
		{
			Sid:       "DynamicUserCreation",
			Effect:    policy.Allow,
			Action:    []string{"redshift:CreateClusterUser"},
			Resource:  []string{c.DBUserArn()},
			Condition: dbUserIsSourceIdentity,
		},
	}
	if len(c.DBGroups) > 0 {
		groups := make([]string, len(c.DBGroups))
		for i, group := range c.DBGroups {
			groups[i] = c.DBGroupArn(group)
		}
		statements = append(statements, policy.Statement{
			Sid:      "JoinConfiguredGroups",
			Effect:   policy.Allow,
			Action:   []string{"redshift:JoinGroup"},
			Resource: groups,
		})
	}
	return policy.New(append(statements,
		policy.Statement{
			Sid:    "DataAPIOnCluster",
			Effect: policy.Allow,
			Action: []string{
				"redshift-data:BatchExecuteStatement",
				"redshift-data:DescribeTable",
				"redshift-data:ExecuteStatement",
				"redshift-data:ListDatabases",
				"redshift-data:ListSchemas",
				"redshift-data:ListTables",
			},
			Resource: []string{c.ClusterArn()},
		},
		policy.Statement{
			Sid:    "DataAPIOwnStatements",
			Effect: policy.Allow,
			Action: []string{
				"redshift-data:CancelStatement",
				"redshift-data:DescribeStatement",
				"redshift-data:GetStatementResult",
				"redshift-data:ListStatements",
			},
			// These actions have no resource type; the condition limits them
			// to statements the caller itself ran.
			Resource: []string{"*"},
			Condition: policy.Condition{
				"StringEquals": {"redshift-data:statement-owner-iam-userid": {"${aws:userid}"}},
			},
		},
		policy.Statement{
			Sid:    "ReadPermissions",
			Effect: policy.Allow,
			Action: []string{"redshift:Describe*", "redshift:ViewQueriesInConsole"},
			// ViewQueriesInConsole and most Describe* actions (events,
			// versions, node offerings ...) have no resource type.
			Resource: []string{"*"},
		},
	)...)
}
