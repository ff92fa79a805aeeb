package notebook

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedshiftSnippet(t *testing.T) {
	snippet, err := RedshiftSnippet(Redshift{
		Region:            "eu-west-1",
		ProducerRoleArn:   "arn:aws:iam::111111111111:role/producer-role-1a2b3c4",
		ClusterIdentifier: "analytics",
		Database:          "dev",
		DBGroups:          []string{"analysts", "readers"},
	})
	require.NoError(t, err)
	for _, want := range []string{
		`REGION = "eu-west-1"`,
		`PRODUCER_ROLE_ARN = "arn:aws:iam::111111111111:role/producer-role-1a2b3c4"`,
		`sts.assume_role(RoleArn=PRODUCER_ROLE_ARN, RoleSessionName=user)`,
		`cluster_identifier="analytics"`,
		`database="dev"`,
		`user=user,`,
		`db_groups=["analysts","readers"]`,
		`json.load(metadata_file)["UserProfileName"]`,
	} {
		assert.Contains(t, snippet, want)
	}
}

func TestRedshiftSnippetWithoutGroups(t *testing.T) {
	snippet, err := RedshiftSnippet(Redshift{Region: "us-east-1", ProducerRoleArn: "arn", ClusterIdentifier: "c", Database: "d"})
	require.NoError(t, err)
	assert.Contains(t, snippet, "db_groups=[],", "an empty Python list, never null")
	assert.False(t, strings.Contains(snippet, "null"))
}
