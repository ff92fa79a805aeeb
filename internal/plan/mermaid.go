package plan

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Mermaid renders a flowchart of the two accounts, their VPCs, the peering,
// the endpoints and the role chain, drawn from what the program registered.
// It shows logical names, never placeholder IDs, so it stays stable and can
// live in README.md.
func (p *Plan) Mermaid() []byte {
	d := p.diagramFacts()
	var b bytes.Buffer
	line := func(depth int, format string, args ...any) {
		fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), fmt.Sprintf(format, args...))
	}

	line(0, "flowchart LR")
	for _, a := range p.Accounts {
		line(1, `subgraph %s["%s account %s"]`, a.Provider, a.Provider, a.AccountID)
		if vpc := d.vpcs[a.Provider]; vpc != "" {
			line(2, `subgraph %s_vpc["VPC %s"]`, a.Provider, vpc)
			for _, node := range d.inVPC[a.Provider] {
				line(3, "%s", node)
			}
			line(2, "end")
		}
		for _, node := range d.outside[a.Provider] {
			line(2, "%s", node)
		}
		line(1, "end")
	}
	sort.SliceStable(d.edges, func(i, j int) bool { return d.edges[i].rank < d.edges[j].rank })
	for _, e := range d.edges {
		line(1, "%s", e.text)
	}
	return b.Bytes()
}

type diagram struct {
	vpcs    map[string]string   // provider → "vpc-… 10.0.0.0/16"
	inVPC   map[string][]string // provider → node lines inside its VPC
	outside map[string][]string // provider → node lines outside the VPC
	edges   []edge
}

// edge is one arrow; rank orders them along the story: users, the role
// chain, then the network paths.
type edge struct {
	rank int
	text string
}

const (
	rankUsers = iota
	rankRunsAs
	rankAssume
	rankGrant
	rankQuery
	rankPeering
	rankEndpoints
)

func (d *diagram) add(rank int, format string, args ...any) {
	d.edges = append(d.edges, edge{rank, fmt.Sprintf(format, args...)})
}

func (p *Plan) diagramFacts() *diagram {
	d := &diagram{vpcs: map[string]string{}, inVPC: map[string][]string{}, outside: map[string][]string{}}
	// A side's CIDR is where the other side's peering routes point.
	cidrOf := func(provider, connection string) string {
		for _, r := range p.Network.Routes {
			if r.Provider != provider && r.Target == connection {
				return r.Destination
			}
		}
		return ""
	}

	var domain, cluster, consumerCIDR string
	roleNodes := map[string]string{} // role ARN → node ID
	for _, r := range p.Resources {
		switch r.Type {
		case "aws:ec2:VpcPeeringConnection":
			consumerVPC := p.names.label(fmt.Sprint(r.Properties["vpcId"]))
			producerVPC := p.names.label(fmt.Sprint(r.Properties["peerVpcId"]))
			consumerCIDR = cidrOf(r.Provider, r.Name)
			d.vpcs[r.Provider] = strings.TrimSpace(consumerVPC + " " + consumerCIDR)
			for _, a := range p.Accounts {
				if a.Provider != r.Provider {
					d.vpcs[a.Provider] = strings.TrimSpace(producerVPC + " " + cidrOf(a.Provider, r.Name))
				}
			}
			d.add(rankPeering, `%s_vpc <-->|"VPC peering, routes both ways"| %s_vpc`, r.Provider, otherProvider(p, r.Provider))
		case "aws:sagemaker:Domain":
			domain = "studio_domain"
			d.inVPC[r.Provider] = append(d.inVPC[r.Provider], fmt.Sprintf(`%s["Studio domain %s<br/>%s, %s auth"]`,
				domain, r.Properties["domainName"], r.Properties["appNetworkAccessType"], r.Properties["authMode"]))
			if users, ok := p.Outputs["userProfiles"].([]any); ok {
				names := make([]string, len(users))
				for i, u := range users {
					names[i] = fmt.Sprint(u)
				}
				d.outside[r.Provider] = append(d.outside[r.Provider], fmt.Sprintf(`users(["Studio users: %s"])`, strings.Join(names, ", ")))
				d.add(rankUsers, "users --> %s", domain)
			}
		case "aws:iam:Role":
			roleNodes[r.Arn] = "role_" + strings.ReplaceAll(r.Name, "-", "_")
		}
	}

	if redshift, ok := p.Outputs["redshift"].(map[string]any); ok {
		cluster = "redshift_cluster"
		provider := "producer"
		d.inVPC[provider] = append(d.inVPC[provider], fmt.Sprintf(`%s[("Redshift %s:%v<br/>database %s")]`,
			cluster, redshift["clusterIdentifier"], redshift["port"], redshift["database"]))
	}

	var services []string
	endpointProvider := ""
	for _, e := range p.Network.Endpoints {
		if e.Type == "Interface" {
			services = append(services, shortService(e.Service, p.Region))
			endpointProvider = e.Provider
		}
	}
	if len(services) > 0 {
		d.inVPC[endpointProvider] = append(d.inVPC[endpointProvider], fmt.Sprintf(`endpoints["interface endpoints, private DNS<br/>%s"]`, strings.Join(services, ", ")))
		d.inVPC[endpointProvider] = append(d.inVPC[endpointProvider], `s3_gateway["S3 gateway endpoint"]`)
		if domain != "" {
			d.add(rankEndpoints, `%s -->|"HTTPS 443"| endpoints`, domain)
			d.add(rankEndpoints, `%s -->|"HTTPS 443"| s3_gateway`, domain)
		}
	}

	// The role chain, from the trust policies and the Redshift grant.
	for _, r := range p.Resources {
		if r.Type == "aws:sagemaker:Domain" {
			if settings, ok := r.Properties["defaultUserSettings"].(map[string]any); ok {
				if node := roleNodes[fmt.Sprint(settings["executionRole"])]; node != "" {
					d.add(rankRunsAs, `%s -->|"runs as, SourceIdentity = user profile"| %s`, domain, node)
				}
			}
		}
	}
	for _, pol := range p.Policies {
		if pol.Document == nil {
			continue
		}
		for _, s := range pol.Document.Statement {
			switch {
			case pol.Kind == "trust" && s.Principal != nil:
				for _, principal := range s.Principal.AWS {
					if from := roleNodes[principal]; from != "" {
						d.add(rankAssume, `%s -->|"%s"| role_%s`, from, strings.Join(s.Action, " + "), strings.ReplaceAll(pol.Role, "-", "_"))
					}
				}
			case pol.Kind == "inline" && cluster != "" && slices.Contains(s.Action, "redshift:GetClusterCredentials"):
				d.add(rankGrant, `role_%s -->|"GetClusterCredentials as DbUser = SourceIdentity"| %s`, strings.ReplaceAll(pol.Role, "-", "_"), cluster)
			}
		}
	}
	if domain != "" && cluster != "" {
		for _, rule := range p.Network.Rules {
			if rule.Direction == "ingress" && rule.Provider == "producer" && rule.Peer == consumerCIDR {
				d.add(rankQuery, `%s -->|"TCP %s over the peering"| %s`, domain, rule.Ports, cluster)
				break
			}
		}
	}
	// Roles appear where they take part in the chain; others (flow log
	// delivery) would only crowd the picture.
	for _, r := range p.Resources {
		if r.Type != "aws:iam:Role" {
			continue
		}
		node := roleNodes[r.Arn]
		for _, e := range d.edges {
			if strings.HasPrefix(e.text, node+" ") || strings.HasSuffix(e.text, " "+node) {
				d.outside[r.Provider] = append(d.outside[r.Provider], fmt.Sprintf(`%s["role %s"]`, node, r.Name))
				break
			}
		}
	}
	return d
}

func otherProvider(p *Plan, provider string) string {
	for _, a := range p.Accounts {
		if a.Provider != provider {
			return a.Provider
		}
	}
	return provider
}

// shortService drops the region prefix: com.amazonaws.us-east-1.sts → sts.
func shortService(service, region string) string {
	if _, after, ok := strings.Cut(service, "."+region+"."); ok {
		return after
	}
	return service
}
