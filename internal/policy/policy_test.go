package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSONKeepsPolicyVariablesLiteral(t *testing.T) {
	doc := New(Statement{
		Effect:    Allow,
		Action:    []string{"redshift:GetClusterCredentials"},
		Resource:  []string{"arn:aws:redshift:us-east-1:111111111111:dbuser:analytics/${redshift:DbUser}"},
		Condition: Condition{"StringEquals": {"redshift:DbUser": {"${aws:SourceIdentity}"}}},
	})
	text, err := doc.JSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"Version": "2012-10-17",
		"Statement": [{
			"Effect": "Allow",
			"Action": ["redshift:GetClusterCredentials"],
			"Resource": ["arn:aws:redshift:us-east-1:111111111111:dbuser:analytics/${redshift:DbUser}"],
			"Condition": {"StringEquals": {"redshift:DbUser": ["${aws:SourceIdentity}"]}}
		}]
	}`, text)

	parsed, err := Parse(text)
	require.NoError(t, err)
	assert.Equal(t, doc, parsed, "documents survive a round trip")
}

func TestJSONRejectsAnEmptyDocument(t *testing.T) {
	_, err := New().JSON()
	assert.ErrorContains(t, err, "no statements")
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-central-2": "aws", "us-gov-west-1": "aws-us-gov", "cn-north-1": "aws-cn",
	} {
		assert.Equal(t, want, Partition(region), region)
	}
	assert.Equal(t, "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", ManagedPolicy("aws", "AmazonSageMakerFullAccess"))
}
