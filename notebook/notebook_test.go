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

func TestLifecycleScript(t *testing.T) {
	assert.Equal(t, "#!/bin/bash\n"+
		"# Installs AWS SDK for pandas for the notebooks of this Studio domain.\n"+
		"set -eux\n"+
		"pip install --quiet --upgrade awswrangler\n", LifecycleScript(""))
	assert.Contains(t, LifecycleScript("https://pypi.example.com/simple"),
		"pip install --quiet --upgrade --index-url 'https://pypi.example.com/simple' awswrangler\n")
	assert.Contains(t, LifecycleScript("https://x.example/it's"), `--index-url 'https://x.example/it'\''s'`,
		"a quote in the URL cannot break out of the shell word")
}
