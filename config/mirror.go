package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// Mirror is the package index Studio's lifecycle configuration installs
// from (consumer.studio.pipIndexUrl).
type Mirror struct {
	// IndexURL is the index as configured.
	IndexURL string
	// CodeArtifact is set when IndexURL is a CodeArtifact repository
	// endpoint: the script then fetches a token, the execution role may read
	// the repository, and the VPC gets CodeArtifact's endpoints.
	CodeArtifact *CodeArtifact
}

// CodeArtifact is a CodeArtifact repository, as its PyPI endpoint names it.
type CodeArtifact struct {
	Domain, Owner, Region, Repository string
}

// DomainArn is the domain's ARN (GetAuthorizationToken's resource).
func (r CodeArtifact) DomainArn(partition string) string {
	return policy.ARN(partition, "codeartifact", r.Region, r.Owner, "domain/"+r.Domain)
}

// RepositoryArn is the repository's ARN (ReadFromRepository's resource).
func (r CodeArtifact) RepositoryArn(partition string) string {
	return policy.ARN(partition, "codeartifact", r.Region, r.Owner, "repository/"+r.Domain+"/"+r.Repository)
}

// IndexPath is the repository's PyPI index without its scheme, for a URL
// that carries a token: "<domain>-<owner>.d.codeartifact.<region>.<partition's DNS suffix>/pypi/<repo>/simple/".
func (r CodeArtifact) IndexPath() string {
	return r.Domain + "-" + r.Owner + ".d." + policy.RegionalEndpoint("codeartifact", r.Region) + "/pypi/" + r.Repository + "/simple/"
}

// CodeArtifactEndpoints are the interface endpoints pip needs for a
// CodeArtifact mirror (AWS, "Create VPC endpoints for CodeArtifact"): the API
// for the token, the repositories for the packages. Python packages need no
// S3 access (AWS, "Create the Amazon S3 gateway endpoint": "An Amazon S3
// endpoint is not needed when using Python or Swift package formats").
var CodeArtifactEndpoints = []string{"codeartifact.api", "codeartifact.repositories"}

var (
	// AWS, "Connect to a repository with pip": the repository endpoint is
	// https://<domain>-<owner>.d.codeartifact.<region>.amazonaws.com/pypi/<repository>/simple/,
	// amazonaws.com.cn in the China regions.
	codeArtifactHost = regexp.MustCompile(`^([a-z0-9][a-z0-9-]{0,48}[a-z0-9])-(\d{12})\.d\.codeartifact\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?)$`)
	codeArtifactPath = regexp.MustCompile(`^/pypi/([A-Za-z0-9][A-Za-z0-9._-]{1,99})/simple/?$`)
)

const codeArtifactExample = "https://<domain>-<owner account>.d.codeartifact.<region>.amazonaws.com/pypi/<repository>/simple/"

// ParseMirror reads a package index URL: https, and when it names
// CodeArtifact, a well-formed repository endpoint.
func ParseMirror(indexURL string) (*Mirror, error) {
	u, err := url.Parse(indexURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an https URL of a package index, such as %s", indexURL, codeArtifactExample)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q carries credentials; they would be stored in the lifecycle configuration for anyone in the account to read: name the index without them", indexURL)
	}
	if port := u.Port(); port != "" && port != "443" {
		return nil, fmt.Errorf("%q uses port %s; Studio's security groups let HTTPS out on 443 only", indexURL, port)
	}
	mirror := &Mirror{IndexURL: indexURL}
	if !strings.Contains(u.Hostname(), ".codeartifact.") {
		return mirror, nil
	}
	host := codeArtifactHost.FindStringSubmatch(u.Hostname())
	path := codeArtifactPath.FindStringSubmatch(u.Path)
	if host == nil || path == nil {
		return nil, fmt.Errorf("%q is not a CodeArtifact PyPI repository endpoint such as %s", indexURL, codeArtifactExample)
	}
	if suffix := policy.DNSSuffix(policy.Partition(host[3])); host[4] != suffix {
		return nil, fmt.Errorf("%q names region %s, whose endpoints end in %q, not %q", indexURL, host[3], suffix, host[4])
	}
	mirror.CodeArtifact = &CodeArtifact{Domain: host[1], Owner: host[2], Region: host[3], Repository: path[1]}
	return mirror, nil
}

// PackageMirror is the configured package index, or nil when there is none.
// The configuration is validated, so the URL parses.
func (c *Config) PackageMirror() *Mirror {
	if c.Consumer.Studio.PipIndexURL == "" {
		return nil
	}
	mirror, _ := ParseMirror(c.Consumer.Studio.PipIndexURL)
	return mirror
}

// checkMirror accepts a mirror Studio can reach: a CodeArtifact repository in
// the stack's region (through its interface endpoints, which the program
// adds), or any https index when a NAT gateway lets Studio out. Any other
// host is blocked by the Studio security groups, whose HTTPS egress goes
// only to the VPC endpoints and S3.
func (c *Config) checkMirror(p *problems) {
	const key = "consumer.studio.pipIndexUrl"
	if c.Consumer.Studio.PipIndexURL == "" {
		return
	}
	mirror, err := ParseMirror(c.Consumer.Studio.PipIndexURL)
	switch {
	case err != nil:
		p.add(key, "%v", err)
	case mirror.CodeArtifact != nil && mirror.CodeArtifact.Region != c.Region:
		p.add(key, "the CodeArtifact repository is in %s but region is %s; interface endpoints serve their own region only: use a repository in %s", mirror.CodeArtifact.Region, c.Region, c.Region)
	case mirror.CodeArtifact == nil && !c.InternetEgress():
		p.add(key, "%q is not reachable from Studio: without consumer.vpc.natGateway its security groups let HTTPS out only to the VPC endpoints and S3; use a CodeArtifact repository endpoint (%s), or a created VPC with natGateway: true", mirror.IndexURL, codeArtifactExample)
	}
}
