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
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "us-isof-south-1": "aws-iso-f", "eu-isoe-west-1": "aws-iso-e",
	} {
		assert.Equal(t, want, Partition(region), region)
	}
	assert.Equal(t, "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", ManagedPolicy("aws", "AmazonSageMakerFullAccess"))
}

func TestRegionalEndpoint(t *testing.T) {
	for _, tt := range []struct{ region, want string }{
		{"us-east-1", "sts.us-east-1.amazonaws.com"},
		{"us-gov-west-1", "sts.us-gov-west-1.amazonaws.com"},
		{"cn-north-1", "sts.cn-north-1.amazonaws.com.cn"},
	} {
		assert.Equal(t, tt.want, RegionalEndpoint("sts", tt.region), tt.region)
	}
	assert.Empty(t, DNSSuffix("aws-iso"), "no suffix the program would use for a partition it refuses")
}
