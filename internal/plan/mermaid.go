package plan

import (
	"bytes"
	"encoding/json"
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
		} else {
			// No peering says which VPC: the nodes still belong to the account.
			for _, node := range d.inVPC[a.Provider] {
				line(2, "%s", node)
			}
		}
		for _, node := range d.outside[a.Provider] {
			line(2, "%s", node)
		}
		line(1, "end")
	}
	for _, node := range d.between {
		line(1, "%s", node)
	}
	sort.SliceStable(d.edges, func(i, j int) bool { return d.edges[i].rank < d.edges[j].rank })
	for _, e := range d.edges {
		line(1, "%s", e.text)
	}
	return b.Bytes()
}

// Edges join nodes only, never subgraphs: Mermaid mislays a nested
// subgraph that an edge names (mermaid-js/mermaid #2429), which drew the
// producer VPC outside its account. What spans both accounts (the peering)
// or neither (the internet) is a node between the account boxes.
type diagram struct {
	vpcs    map[string]string   // provider → "vpc-… 10.0.0.0/16"
	inVPC   map[string][]string // provider → node lines inside its VPC
	outside map[string][]string // provider → node lines outside the VPC
	between []string            // node lines outside every account
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
	rankInternet
	rankData
)

// shownUsers is how many user names the diagram spells out; the rest are
// counted, so a stack of 1,000 users still draws one readable node.
const shownUsers = 5

// usersLabel is "Studio users: alice, bob" or, for many,
// "Studio users: alice, bob, … (1,000)".
func usersLabel(users []any) string {
	names := make([]string, 0, shownUsers)
	for i, u := range users {
		if i == shownUsers {
			names = append(names, fmt.Sprintf("… (%s)", thousands(len(users))))
			break
		}
		names = append(names, fmt.Sprint(u))
	}
	return "Studio users: " + strings.Join(names, ", ")
}

// thousands writes n with comma separators: 1000 → "1,000".
func thousands(n int) string {
	digits := fmt.Sprint(n)
	for i := len(digits) - 3; i > 0; i -= 3 {
		digits = digits[:i] + "," + digits[i:]
	}
	return digits
}

// nodeID turns a logical name into a Mermaid node ID.
func nodeID(prefix, name string) string {
	return prefix + "_" + strings.ReplaceAll(name, "-", "_")
}

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

	var domain, cluster, consumerCIDR, created string
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
			d.between = append(d.between, fmt.Sprintf(`peering{{"VPC peering %s<br/>routes both ways"}}`, r.Name))
		case "aws:sagemaker:Domain":
			domain = "studio_domain"
			d.inVPC[r.Provider] = append(d.inVPC[r.Provider], fmt.Sprintf(`%s["Studio domain %s<br/>%s, %s auth"]`,
				domain, r.Properties["domainName"], r.Properties["appNetworkAccessType"], r.Properties["authMode"]))
			if users, ok := p.Outputs["userProfiles"].([]any); ok {
				d.outside[r.Provider] = append(d.outside[r.Provider], fmt.Sprintf(`users(["%s"])`, usersLabel(users)))
				d.add(rankUsers, "users --> %s", domain)
			}
		case "aws:iam:Role":
			roleNodes[r.Arn] = nodeID("role", r.Name)
		case "aws:redshift:Cluster":
			created = fmt.Sprintf("<br/>created: %v× %s", r.Properties["numberOfNodes"], r.Properties["nodeType"])
		}
	}

	if redshift, ok := p.Outputs["redshift"].(map[string]any); ok {
		cluster = "redshift_cluster"
		provider := "producer"
		d.inVPC[provider] = append(d.inVPC[provider], fmt.Sprintf(`%s[("Redshift %s:%v<br/>database %s%s")]`,
			cluster, redshift["clusterIdentifier"], redshift["port"], redshift["database"], created))
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
			case pol.Kind == "inline" && cluster != "" && s.Effect == "Allow" && slices.Contains(s.Action, "redshift:GetClusterCredentials"):
				// The grant, not the denies of the admin users.
				d.add(rankGrant, `role_%s -->|"GetClusterCredentials as DbUser = SourceIdentity"| %s`, strings.ReplaceAll(pol.Role, "-", "_"), cluster)
			}
		}
	}
	if domain != "" && cluster != "" && len(d.between) > 0 {
		for _, rule := range p.Network.Rules {
			if rule.Direction == "ingress" && rule.Provider == "producer" && rule.Peer == consumerCIDR {
				d.add(rankQuery, `%s -->|"TCP %s"| peering`, domain, rule.Ports)
				d.add(rankPeering, `peering -->|"TCP %s"| %s`, rule.Ports, cluster)
				break
			}
		}
	}
	p.connectionPath(d, domain, cluster)
	p.internetPath(d, domain)
	p.dataPaths(d, roleNodes)
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

// shortService drops the region prefix: com.amazonaws.us-east-1.sts → sts.
func shortService(service, region string) string {
	if _, after, ok := strings.Cut(service, "."+region+"."); ok {
		return after
	}
	return service
}

// internetPath draws a NAT gateway the stack creates: the private subnets'
// 0.0.0.0/0 route to it and the HTTPS egress that lets Studio use it.
func (p *Plan) internetPath(d *diagram, domain string) {
	for _, r := range p.Resources {
		if r.Type != "aws:ec2:NatGateway" {
			continue
		}
		routed := slices.ContainsFunc(p.Network.Routes, func(route Route) bool {
			return route.Destination == "0.0.0.0/0" && route.Target == r.Name
		})
		egress := slices.ContainsFunc(p.Network.Rules, func(rule Rule) bool {
			return rule.Provider == r.Provider && rule.Direction == "egress" && rule.Ports == "443" && rule.Peer == "0.0.0.0/0"
		})
		d.inVPC[r.Provider] = append(d.inVPC[r.Provider], fmt.Sprintf(`nat_gateway["NAT gateway %s<br/>in a public subnet"]`, r.Name))
		d.between = append(d.between, `internet(("internet"))`)
		if domain != "" && routed && egress {
			d.add(rankInternet, `%s -->|"HTTPS 443 egress, route 0.0.0.0/0"| nat_gateway`, domain)
		}
		d.add(rankInternet, `nat_gateway -->|"internet gateway"| internet`)
		return
	}
}

// dataPaths draws the buckets the stack creates and, from their policies,
// who reads or writes them; an Athena workgroup with its results bucket; the
// feature groups with the role that writes their offline store.
func (p *Plan) dataPaths(d *diagram, roleNodes map[string]string) {
	bucketNodes := map[string]string{} // bucket name → node ID
	for _, r := range p.Resources {
		if r.Type == "aws:s3:BucketV2" {
			node := nodeID("bucket", r.Name)
			bucketNodes[fmt.Sprint(r.Properties["bucket"])] = node
			bucket, ok := r.Properties["bucket"].(string)
			if !ok {
				bucket = r.Name + " (named by Pulumi)"
			}
			d.outside[r.Provider] = append(d.outside[r.Provider], fmt.Sprintf(`%s[("S3 %s")]`, node, bucket))
		}
	}
	for _, r := range p.Resources {
		switch r.Type {
		case "aws:athena:Workgroup":
			node := nodeID("athena", strings.TrimPrefix(r.Name, "athena-"))
			d.outside[r.Provider] = append(d.outside[r.Provider], fmt.Sprintf(`%s["Athena workgroup %s"]`, node, r.Properties["name"]))
			configuration, _ := json.Marshal(r.Properties["configuration"])
			for _, bucket := range sortedKeys(bucketNodes) {
				if strings.Contains(string(configuration), "s3://"+bucket+"/") {
					d.add(rankData, `%s -->|"query results"| %s`, node, bucketNodes[bucket])
				}
			}
		case "aws:sagemaker:FeatureGroup":
			node := nodeID("feature_group", r.Properties["featureGroupName"].(string))
			d.outside[r.Provider] = append(d.outside[r.Provider], fmt.Sprintf(`%s["feature group %s"]`, node, r.Properties["featureGroupName"]))
			if role := roleNodes[fmt.Sprint(r.Properties["roleArn"])]; role != "" {
				d.add(rankData, `%s -->|"offline store written as"| %s`, node, role)
			}
		}
	}
	// One arrow per role and bucket, however many statements grant it.
	type access struct {
		role, bucket         string
		writes, crossAccount bool
	}
	var grants []*access
	for _, pol := range p.Policies {
		bucketNode := bucketNodes[p.bucketOf(pol)]
		if pol.Kind != "bucket" || pol.Document == nil || bucketNode == "" {
			continue
		}
		for _, s := range pol.Document.Statement {
			if s.Effect != "Allow" || s.Principal == nil {
				continue
			}
			for _, principal := range s.Principal.AWS {
				role := roleNodes[principal]
				if role == "" {
					continue
				}
				i := slices.IndexFunc(grants, func(a *access) bool { return a.role == role && a.bucket == bucketNode })
				if i < 0 {
					grants = append(grants, &access{role: role, bucket: bucketNode, crossAccount: p.providerOf(principal) != pol.Provider})
					i = len(grants) - 1
				}
				grants[i].writes = grants[i].writes || slices.ContainsFunc(s.Action, func(action string) bool { return strings.HasPrefix(action, "s3:Put") })
			}
		}
	}
	for _, a := range grants {
		label := "reads"
		if a.writes {
			label = "writes"
		}
		if a.crossAccount {
			label += ", cross-account"
		}
		d.add(rankData, `%s -->|"%s"| %s`, a.role, label, a.bucket)
	}
}

// bucketOf is the bucket a bucket policy applies to.
func (p *Plan) bucketOf(pol Policy) string {
	for _, r := range p.Resources {
		if r.Name == pol.Resource && r.Type == "aws:s3:BucketPolicy" {
			return fmt.Sprint(r.Properties["bucket"])
		}
	}
	return ""
}

// providerOf is the account (by provider) of the resource with this ARN.
func (p *Plan) providerOf(arn string) string {
	for _, r := range p.Resources {
		if r.Arn == arn {
			return r.Provider
		}
	}
	return ""
}

// connectionPath draws the way to the cluster of the modes without a
// peering: a Redshift-managed endpoint in the consumer VPC, or the Data API
// through its interface endpoint.
func (p *Plan) connectionPath(d *diagram, domain, cluster string) {
	if domain == "" || cluster == "" {
		return
	}
	for _, r := range p.Resources {
		if r.Type != "aws:redshift:EndpointAccess" {
			continue
		}
		d.inVPC[r.Provider] = append(d.inVPC[r.Provider], `managed_endpoint["Redshift-managed VPC endpoint<br/>authorized for this VPC by the data account"]`)
		for _, rule := range p.Network.Rules {
			if rule.Direction == "ingress" && rule.Group == r.Name {
				d.add(rankQuery, `%s -->|"TCP %s"| managed_endpoint`, domain, rule.Ports)
				break
			}
		}
		d.add(rankPeering, `managed_endpoint -->|"AWS PrivateLink"| %s`, cluster)
		return
	}
	if p.Outputs["connection"] == "dataApi" {
		d.add(rankQuery, `endpoints -->|"Redshift Data API, as DbUser = SourceIdentity"| %s`, cluster)
	}
}
