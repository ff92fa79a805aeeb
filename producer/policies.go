package producer

import (
	"github.com/studio-redshift/studio-redshift/internal/policy"
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
	// AdminUsers are the database users whose credentials the producer role
	// is denied: the admin users and Redshift's own (config's
	// Redshift.AdminUserNames), as Redshift stores them, lower case.
	AdminUsers []string
}

func (c Cluster) arn(resource string) string {
	return policy.ARN(c.Partition, "redshift", c.Region, c.Account, resource)
}

// ClusterArn is the cluster's ARN.
func (c Cluster) ClusterArn() string { return c.arn("cluster:" + c.Identifier) }

// DBUserArn is the ARN of the database users of a namespace: with the bare
// names, the user named by the request (the policy variable stays literal:
// IAM fills it in per request); with a prefix, the users whose names start
// with it. Not "<prefix>${redshift:DbUser}": IAM matches the resource
// against the requested DbUser, which already carries the prefix, so that
// form would name "<prefix><prefix>alice" and match no request at all.
func (c Cluster) DBUserArn(users DBUsers) string {
	if users.Prefix == "" {
		return c.arn("dbuser:" + c.Identifier + "/${redshift:DbUser}")
	}
	return c.arn("dbuser:" + c.Identifier + "/" + users.Prefix + "*")
}

// DBUserNamedArn is the ARN of one database user.
func (c Cluster) DBUserNamedArn(user string) string {
	return c.arn("dbuser:" + c.Identifier + "/" + user)
}

// DBNameArn is the ARN of the configured database.
func (c Cluster) DBNameArn() string { return c.arn("dbname:" + c.Identifier + "/" + c.Database) }

// DBGroupArn is the ARN of one database group.
func (c Cluster) DBGroupArn(group string) string {
	return c.arn("dbgroup:" + c.Identifier + "/" + group)
}

// DBUsers is the namespace of database users one producer role serves: one
// consumer's.
type DBUsers struct {
	// Prefix starts every name ("ml-team-a_"); empty for the bare profile
	// names.
	Prefix string
	// Separator, where set, is the character that ends every prefix of the
	// cluster's other namespaces. A bare namespace beside prefixed ones is
	// kept to names without it: an ML account's administrator, who can
	// give a session any SourceIdentity, must not reach "ml-team-b_alice"
	// through the bare names.
	Separator string
}

// dbUserIsSourceIdentity is the heart of the per-user design: the database
// user asked for must equal the namespace's prefix followed by the Studio
// user profile name that SageMaker stamped on the session as its
// SourceIdentity. Both sides are IAM policy variables and reach AWS as
// written; a session without a SourceIdentity leaves the variable
// unresolved and matches nothing.
func dbUserIsSourceIdentity(users DBUsers) policy.Condition {
	condition := policy.Condition{
		"StringEquals": {"redshift:DbUser": {users.Prefix + "${aws:SourceIdentity}"}},
	}
	if users.Prefix == "" && users.Separator != "" {
		condition["StringNotLike"] = map[string][]string{"redshift:DbUser": {"*" + users.Separator + "*"}}
	}
	return condition
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
			// The session is named after its SourceIdentity. The session
			// name is the caller's to choose (AssumeRole, RoleSessionName),
			// and it becomes the second half of ${aws:userid}
			// ("role-id:caller-specified-role-name", IAM User Guide,
			// "Policy variables", principal key values), which the Data
			// API's statement and session owner checks compare: bob's
			// session named alice would own alice's statements.
			// sts:RoleSessionName is the key AWS documents for this
			// ("IAM and AWS STS condition context keys"; AWS Security Blog,
			// "Easily control the naming of individual IAM role sessions",
			// whose trust policies compare it with a policy variable);
			// a session without a
			// SourceIdentity leaves the variable without a value, and
			// StringEquals then does not match ("Policy variables with no
			// value").
			"StringEquals": {"sts:RoleSessionName": {"${aws:SourceIdentity}"}},
		},
	})
}

// credentialActions hand out a database user's credentials or create it.
// JoinGroup needs no deny of its own: Redshift checks it only inside a
// GetClusterCredentials call that names DbGroups, which the admin deny
// already refuses. GetClusterCredentialsWithIAM takes no DbUser (the database
// user is the IAM role itself) and the policy grants it nowhere.
var credentialActions = []string{"redshift:GetClusterCredentials", "redshift:CreateClusterUser"}

// PermissionPolicy is the seed article's RedshiftROAPIUserAccess policy,
// tightened where AWS allows it: credentials only for the database user named
// like the caller's SourceIdentity (in the consumer's namespace) and never
// for an admin or Redshift's own users, only the configured groups, the Data
// API on this cluster and on the caller's own statements and sessions, and a
// description of this cluster only. Its size depends on the configured groups
// and admin users, never on the number of Studio users.
func PermissionPolicy(c Cluster, users DBUsers) policy.Document {
	dbUser := dbUserIsSourceIdentity(users)
	statements := []policy.Statement{
		{
			Sid:      "GetRedshiftCredentials",
			Effect:   policy.Allow,
			Action:   []string{"redshift:GetClusterCredentials"},
			Resource: []string{c.DBNameArn(), c.DBUserArn(users), c.ClusterArn()},
			// AWS: "If DbName is not specified, DbUser can log on to any
			// existing database", so the dbname ARN alone limits nothing.
			// redshift:DbName (a GetClusterCredentials condition key in the
			// service authorization reference) must equal the configured
			// database; a request without DbName has no value to match and
			// is refused.
			Condition: withDBName(dbUser, c.Database),
		},
		{
			Sid:       "DynamicUserCreation",
			Effect:    policy.Allow,
			Action:    []string{"redshift:CreateClusterUser"},
			Resource:  []string{c.DBUserArn(users)},
			Condition: dbUser,
		},
	}
	if len(c.AdminUsers) > 0 {
		admins := make([]string, len(c.AdminUsers))
		for i, user := range c.AdminUsers {
			admins[i] = c.DBUserNamedArn(user)
		}
		statements = append(statements,
			// A session whose SourceIdentity is an admin's name (a profile
			// made outside the program) passes the allows above; these
			// denies win over them.
			policy.Statement{
				Sid:      "DenyAdminUsers",
				Effect:   policy.Deny,
				Action:   credentialActions,
				Resource: admins,
			},
			// ARNs match case-sensitively, but Redshift folds an unquoted
			// DbUser to lower case: a profile AWSUSER, made outside the
			// program (SageMaker takes upper case), would ask for
			// dbuser:<cluster>/AWSUSER and log on as awsuser. The
			// condition compares the name in any case
			// (StringEqualsIgnoreCase, IAM User Guide, "String condition
			// operators"; redshift:DbUser is a condition key of both
			// actions in the service authorization reference).
			// Its resource is every user of the cluster, written without a
			// policy variable, so that the deny cannot fail open on one
			// left without a value.
			policy.Statement{
				Sid:       "DenyAdminUsersInAnyCase",
				Effect:    policy.Deny,
				Action:    credentialActions,
				Resource:  []string{c.DBUserNamedArn("*")},
				Condition: policy.Condition{"StringEqualsIgnoreCase": {"redshift:DbUser": c.AdminUsers}},
			},
		)
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
	statements = append(statements, dataAPIStatements("DataAPIOnCluster", c.ClusterArn())...)
	return policy.New(append(statements,
		// The snippet looks up the cluster's endpoint (peering) with
		// DescribeClusters(ClusterIdentifier); DescribeClusters takes the
		// cluster resource type, so this grants no other cluster, snapshot
		// or log destination of the data account. The managed endpoint's
		// address comes with the snippet, and the Data API needs no
		// describe: no action without a resource type is granted.
		policy.Statement{
			Sid:      "DescribeTheCluster",
			Effect:   policy.Allow,
			Action:   []string{"redshift:DescribeClusters"},
			Resource: []string{c.ClusterArn()},
		},
	)...)
}

// withDBName adds the database condition to a copy of the DbUser condition.
func withDBName(dbUser policy.Condition, database string) policy.Condition {
	condition := policy.Condition{}
	for operator, keys := range dbUser {
		condition[operator] = map[string][]string{}
		for key, values := range keys {
			condition[operator][key] = values
		}
	}
	condition["StringEquals"]["redshift:DbName"] = []string{database}
	return condition
}

// dataAPIStatements let the caller run SQL through the Data API on one
// warehouse (a cluster or a Serverless workgroup, by its ARN), and read and
// cancel only the statements and reuse only the sessions it owns itself.
func dataAPIStatements(sid, warehouseArn string) []policy.Statement {
	return []policy.Statement{
		{
			Sid:    sid,
			Effect: policy.Allow,
			Action: []string{
				"redshift-data:BatchExecuteStatement",
				"redshift-data:DescribeTable",
				"redshift-data:ExecuteStatement",
				"redshift-data:ListDatabases",
				"redshift-data:ListSchemas",
				"redshift-data:ListTables",
			},
			Resource: []string{warehouseArn},
		},
		// ExecuteStatement and BatchExecuteStatement with a SessionId run
		// in that database session, as its database user, with no DbUser
		// the conditions above could check. The service authorization
		// reference gives both actions redshift-data:session-owner-iam-userid,
		// present only when a session is reused: it must be the caller's
		// own ${aws:userid}, which the trust makes the user's name. The
		// Null condition keeps fresh statements, which carry no such key,
		// out of the deny (a negated operator matches an absent key). A
		// request that reuses a session names no cluster (SessionId
		// replaces ClusterIdentifier), so the deny takes every resource:
		// a deny, unlike an allow, only narrows by being broad.
		{
			Sid:      "DenyOtherUsersDataAPISessions",
			Effect:   policy.Deny,
			Action:   []string{"redshift-data:BatchExecuteStatement", "redshift-data:ExecuteStatement"},
			Resource: []string{"*"},
			Condition: policy.Condition{
				"Null":            {"redshift-data:session-owner-iam-userid": {"false"}},
				"StringNotEquals": {"redshift-data:session-owner-iam-userid": {"${aws:userid}"}},
			},
		},
		{
			Sid:    "DataAPIOwnStatements",
			Effect: policy.Allow,
			// ListStatements is left out: every user's session is a session
			// of the one producer role, and ListStatements (RoleLevel true
			// by default) lists every statement the role ran, other users'
			// SQL text included. AWS lists statement-owner-iam-userid for
			// it too, but not that it filters the list rather than
			// authorize the call; the snippet needs no list, and a user
			// keeps the Id ExecuteStatement returns.
			Action: []string{
				"redshift-data:CancelStatement",
				"redshift-data:DescribeStatement",
				"redshift-data:GetStatementResult",
			},
			// These actions have no resource type; the condition limits them
			// to statements the caller itself ran.
			Resource: []string{"*"},
			Condition: policy.Condition{
				"StringEquals": {"redshift-data:statement-owner-iam-userid": {"${aws:userid}"}},
			},
		},
	}
}
