package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// codeArtifactURL is a CodeArtifact PyPI endpoint in validRaw's region.
const codeArtifactURL = "https://ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/"

func TestPackageMirror(t *testing.T) {
	raw := validRaw()
	set(raw, "consumer.studio.pipIndexUrl", codeArtifactURL)
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err)
	mirror := cfg.PackageMirror()
	require.NotNil(t, mirror)
	assert.Equal(t, codeArtifactURL, mirror.IndexURL)
	require.NotNil(t, mirror.CodeArtifact)
	repo := *mirror.CodeArtifact
	assert.Equal(t, CodeArtifact{Domain: "ml-packages", Owner: "333333333333", Region: "us-east-1", Repository: "pypi-store"}, repo)
	assert.Equal(t, "arn:aws:codeartifact:us-east-1:333333333333:domain/ml-packages", repo.DomainArn("aws"))
	assert.Equal(t, "arn:aws:codeartifact:us-east-1:333333333333:repository/ml-packages/pypi-store", repo.RepositoryArn("aws"))

	withoutMirror, err := Parse(encode(t, validRaw()))
	require.NoError(t, err)
	assert.Nil(t, withoutMirror.PackageMirror())
}

// The index host is built from the partition's DNS suffix: a token URL that
// named amazonaws.com in a China region would reach no repository.
func TestCodeArtifactIndexPathPerPartition(t *testing.T) {
	tests := []struct{ partition, url, indexPath string }{
		{"aws", codeArtifactURL, "ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com/pypi/pypi-store/simple/"},
		{"aws-us-gov", "https://ml-packages-333333333333.d.codeartifact.us-gov-west-1.amazonaws.com/pypi/pypi-store/simple/",
			"ml-packages-333333333333.d.codeartifact.us-gov-west-1.amazonaws.com/pypi/pypi-store/simple/"},
		{"aws-cn", "https://ml-packages-333333333333.d.codeartifact.cn-north-1.amazonaws.com.cn/pypi/pypi-store/simple/",
			"ml-packages-333333333333.d.codeartifact.cn-north-1.amazonaws.com.cn/pypi/pypi-store/simple/"},
	}
	for _, tt := range tests {
		t.Run(tt.partition, func(t *testing.T) {
			mirror, err := ParseMirror(tt.url)
			require.NoError(t, err)
			require.NotNil(t, mirror.CodeArtifact)
			assert.Equal(t, tt.indexPath, mirror.CodeArtifact.IndexPath())
			assert.Equal(t, "https://"+tt.indexPath, tt.url, "the token URL names the configured host")
		})
	}
}

func TestAnyHTTPSMirrorThroughTheNATGateway(t *testing.T) {
	raw := validRaw()
	greenfield(raw)
	set(raw, "consumer.vpc.natGateway", true)
	set(raw, "consumer.studio.pipIndexUrl", "https://pypi.example.com/simple")
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err)
	assert.Nil(t, cfg.PackageMirror().CodeArtifact)
}

func TestMirrorRejects(t *testing.T) {
	const key = "consumer.studio.pipIndexUrl"
	tests := []struct {
		name, url string
		nat       bool
		want      string
	}{
		{"plain http", "http://pypi.internal/simple", true, "not an https URL"},
		{"no host", "https:///simple", true, "not an https URL"},
		{"credentials in the URL", "https://aws:secret@pypi.example.com/simple", true, "carries credentials"},
		{"a port Studio cannot reach", "https://pypi.example.com:8443/simple", true, "port 8443"},
		{"CodeArtifact without the pypi path", "https://ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com/npm/store/", false, "not a CodeArtifact PyPI repository endpoint"},
		{"CodeArtifact host without an owner", "https://ml-packages.d.codeartifact.us-east-1.amazonaws.com/pypi/store/simple/", false, "not a CodeArtifact PyPI repository endpoint"},
		{"CodeArtifact in another region", "https://ml-packages-333333333333.d.codeartifact.eu-west-1.amazonaws.com/pypi/store/simple/", false, "is in eu-west-1 but region is us-east-1"},
		{"CodeArtifact with another partition's suffix", "https://ml-packages-333333333333.d.codeartifact.us-east-1.amazonaws.com.cn/pypi/store/simple/", false, `endpoints end in "amazonaws.com", not "amazonaws.com.cn"`},
		{"a host no endpoint serves, without NAT", "https://pypi.example.com/simple", false, "not reachable from Studio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := validRaw()
			if tt.nat {
				greenfield(raw)
				set(raw, "consumer.vpc.natGateway", true)
			}
			set(raw, key, tt.url)
			_, err := Parse(encode(t, raw))
			require.Error(t, err)
			assert.Contains(t, err.Error(), key+":", "the message names the key")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
