package plan

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"text/tabwriter"
)

// Text renders the plan for people: header, resources by account, IAM
// documents, the network, outputs, a cost estimate and totals. Sections are
// "== Title", their parts "-- Title".
func (p *Plan) Text() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Plan for %s, stack %s, region %s\n", p.Project, p.Stack, p.Region)
	for _, a := range p.Accounts {
		fmt.Fprintf(&b, "  %-9s account %s\n", a.Provider, a.AccountID)
	}
	b.WriteString("Offline: no AWS call was made. IDs, ARNs and name suffixes are placeholders\n" +
		"in the shape AWS returns; `pulumi up` assigns the real ones.\n")

	section(&b, "Resources by account")
	p.writeTree(&b)

	section(&b, "IAM policies")
	p.writePolicies(&b)

	section(&b, "Network")
	subsection(&b, "Routes")
	table(&b, []string{"ACCOUNT", "ROUTE TABLE", "DESTINATION", "TARGET"}, len(p.Network.Routes), func(i int) []string {
		r := p.Network.Routes[i]
		return []string{r.Provider, r.RouteTable, r.Destination, r.Target}
	})
	subsection(&b, "Security group rules")
	table(&b, []string{"ACCOUNT", "GROUP", "DIRECTION", "PROTOCOL", "PORTS", "PEER"}, len(p.Network.Rules), func(i int) []string {
		r := p.Network.Rules[i]
		return []string{r.Provider, r.Group, r.Direction, r.Protocol, r.Ports, r.Peer}
	})
	subsection(&b, "Endpoints")
	table(&b, []string{"ACCOUNT", "SERVICE", "TYPE", "PRIVATE DNS"}, len(p.Network.Endpoints), func(i int) []string {
		e := p.Network.Endpoints[i]
		privateDNS := "-"
		if e.Type == "Interface" {
			privateDNS = fmt.Sprint(e.PrivateDNS)
		}
		return []string{e.Provider, e.Service, e.Type, privateDNS}
	})

	section(&b, "Stack outputs")
	p.writeOutputs(&b)

	section(&b, "Cost estimate")
	p.writeCosts(&b)

	section(&b, "AWS default quotas")
	p.writeQuotas(&b)

	section(&b, "Totals")
	fmt.Fprintf(&b, "%d resources\n", p.Totals.Resources)
	for _, a := range p.Accounts {
		fmt.Fprintf(&b, "  %-9s %3d\n", a.Provider, a.Resources)
	}
	subsection(&b, "By type")
	for _, typ := range sortedKeys(p.Totals.ByType) {
		fmt.Fprintf(&b, "  %3d  %s\n", p.Totals.ByType[typ], typ)
	}
	return b.Bytes()
}

// section starts a top-level part of the text plan; subsection one of its
// parts. Every heading of the plan is one of the two.
func section(b *bytes.Buffer, title string) {
	fmt.Fprintf(b, "\n== %s\n", title)
}

func subsection(b *bytes.Buffer, title string) {
	fmt.Fprintf(b, "\n-- %s\n", title)
}

// writePolicies prints every IAM document, with the IDs in it named, and
// says so where a KMS key keeps AWS's default key policy.
func (p *Plan) writePolicies(b *bytes.Buffer) {
	policies := append([]Policy{}, p.Policies...)
	for _, r := range p.Resources {
		if document, _ := r.Properties["policy"].(string); r.Type == "aws:kms:Key" && document == "" {
			policies = append(policies, Policy{Kind: "key", Resource: r.Name, Type: r.Type, Provider: r.Provider, AccountID: r.AccountID})
		}
	}
	sortPolicies(policies)
	for _, pol := range policies {
		owner := pol.Resource
		if pol.Role != "" && pol.Role != pol.Resource {
			owner = pol.Resource + " on role " + pol.Role
		}
		subsection(b, fmt.Sprintf("%s policy: %s (%s account %s)", titleKind(pol.Kind), owner, pol.Provider, pol.AccountID))
		switch {
		case pol.Document != nil:
			doc, _ := json.MarshalIndent(pol.Document, "  ", "  ")
			fmt.Fprintf(b, "  %s\n", doc)
			p.writeIDs(b, string(doc))
		case pol.Arn != "":
			fmt.Fprintf(b, "  %s\n", pol.Arn)
		default:
			b.WriteString("  (default key policy: the account may use and manage the key through IAM policies)\n")
		}
	}
}

// resourceID matches the AWS IDs a policy condition names: subnets,
// security groups, VPCs, endpoints, route tables, peerings.
var resourceID = regexp.MustCompile(`\b(?:subnet|sg|vpc|vpce|rtb|pcx)-[0-9a-f]{8,17}\b`)

// writeIDs names, below a document, the resources its IDs belong to.
func (p *Plan) writeIDs(b *bytes.Buffer, doc string) {
	seen := map[string]bool{}
	var lines []string
	for _, id := range resourceID.FindAllString(doc, -1) {
		if !seen[id] {
			seen[id] = true
			name := p.names.label(id)
			if name == id {
				name = "(existing)"
			}
			lines = append(lines, fmt.Sprintf("    %s  %s", id, name))
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("  where\n")
	b.WriteString(strings.Join(lines, "\n") + "\n")
}

// writeOutputs prints each stack output; multi-line text (the snippets) as
// it reads, JSON documents (bucket policies for someone else to apply)
// indented.
func (p *Plan) writeOutputs(b *bytes.Buffer) {
	for _, name := range sortedKeys(p.Outputs) {
		value := p.Outputs[name]
		text, isText := value.(string)
		var document map[string]any
		switch {
		case isText && strings.HasPrefix(text, "{") && json.Unmarshal([]byte(text), &document) == nil:
			indented, _ := json.MarshalIndent(document, "    ", "  ")
			fmt.Fprintf(b, "%s:\n    %s\n", name, indented)
		case isText && strings.Contains(text, "\n"):
			fmt.Fprintf(b, "%s:\n", name)
			writeIndented(b, "    ", text)
		default:
			encoded, _ := json.Marshal(value)
			fmt.Fprintf(b, "%s: %s\n", name, encoded)
		}
	}
}

// writeIndented writes text line by line under prefix, without trailing
// blanks.
func writeIndented(b *bytes.Buffer, prefix, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(b, "%s\n", strings.TrimRight(prefix+line, " "))
	}
}

// writeCosts prints the monthly estimate of what the stack keeps running.
func (p *Plan) writeCosts(b *bytes.Buffer) {
	b.WriteString("What the stack keeps running, at us-east-1 on-demand rates, 730 hours a month.\n" +
		"Not included: data processed, storage, Studio apps, requests.\n")
	var stack, perUser []Cost
	for _, c := range p.Costs {
		if c.PerUser {
			perUser = append(perUser, c)
		} else {
			stack = append(stack, c)
		}
	}
	var total float64
	row := func(c Cost) []string {
		rate := "not priced here"
		if c.RateUSD > 0 {
			rate = fmt.Sprintf("$%g per %s", c.RateUSD, c.Unit)
		}
		return []string{c.Item, fmt.Sprint(c.Quantity), rate, dollars(c.MonthlyUSD)}
	}
	table(b, []string{"ITEM", "QUANTITY", "RATE", "PER MONTH"}, len(stack)+1, func(i int) []string {
		if i == len(stack) {
			return []string{"total", "", "", dollars(total)}
		}
		total += stack[i].MonthlyUSD
		return row(stack[i])
	})
	if len(perUser) == 0 {
		return
	}
	b.WriteString("\nEach Studio user's app on the profiles' default instance type, with idle shutdown\n" +
		"(consumer.studio.idleTimeoutMinutes) and without; storage not included.\n")
	table(b, []string{"PER USER", "HOURS", "RATE", "PER MONTH"}, len(perUser), func(i int) []string {
		return row(perUser[i])
	})
}

func dollars(amount float64) string {
	return fmt.Sprintf("$%.2f", amount)
}

func titleKind(kind string) string {
	switch kind {
	case "trust":
		return "Trust"
	case "inline":
		return "Inline"
	case "managed":
		return "Managed"
	case "attachment":
		return "Attached managed"
	}
	return strings.ToUpper(kind[:1]) + kind[1:]
}

func table(b *bytes.Buffer, header []string, rows int, row func(int) []string) {
	w := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "  %s\n", strings.Join(header, "\t"))
	for i := range rows {
		fmt.Fprintf(w, "  %s\n", strings.Join(row(i), "\t"))
	}
	w.Flush()
}

// writeTree prints, per account, the resources of that account under the
// components that hold them.
func (p *Plan) writeTree(b *bytes.Buffer) {
	byURN := map[string]Resource{}
	children := map[string][]Resource{}
	for _, r := range p.Resources {
		byURN[r.URN] = r
		if r.Type == "pulumi:providers:aws" {
			continue
		}
		parent := r.Parent
		if _, ok := byURN[parent]; !ok {
			parent = ""
		}
		children[parent] = append(children[parent], r)
	}
	// holds reports whether a component holds any resource of the account.
	var holds func(urn, provider string) bool
	holds = func(urn, provider string) bool {
		for _, kid := range children[urn] {
			if kid.Provider == provider || holds(kid.URN, provider) {
				return true
			}
		}
		return false
	}
	var walk func(parent, provider string, depth int)
	walk = func(parent, provider string, depth int) {
		for _, r := range children[parent] {
			component := r.Provider == ""
			if (component && !holds(r.URN, provider)) || (!component && r.Provider != provider) {
				continue
			}
			line := fmt.Sprintf("%s%s %s", strings.Repeat("  ", depth), r.Type, r.Name)
			if r.Summary != "" {
				line += "  " + r.Summary
			}
			if r.Protected {
				line += "  [protected]"
			}
			if r.RetainOnDelete {
				line += "  [retained on delete]"
			}
			b.WriteString(line + "\n")
			writeDetails(b, r, strings.Repeat("  ", depth+1))
			walk(r.URN, provider, depth+1)
		}
	}
	for _, a := range p.Accounts {
		subsection(b, fmt.Sprintf("%s account %s (%d resources)", a.Provider, a.AccountID, a.Resources))
		walk("", a.Provider, 1)
	}
}

// writeQuotas prints the quota table: per account, each quota with what the
// stack uses of it and where.
func (p *Plan) writeQuotas(b *bytes.Buffer) {
	table(b, []string{"ACCOUNT", "QUOTA", "USED", "LIMIT", "HEADROOM", "WHERE", "DRIVEN BY"}, len(p.Quotas), func(i int) []string {
		q := p.Quotas[i]
		where := q.Where
		if where == "" {
			where = "-"
		}
		return []string{q.Provider, q.Name, fmt.Sprint(q.Used), fmt.Sprint(q.Limit), fmt.Sprint(q.Headroom), where, q.Key}
	})
	b.WriteString("Sources: " + vpcQuotas + ", " + iamQuotas + ", " + endpointPolicies + ", " + studioGroups + "\n")
}

// writeDetails prints, under a resource, what its summary line cannot hold:
// the inputs whose change replaces it, and a lifecycle script as it runs.
func writeDetails(b *bytes.Buffer, r Resource, indent string) {
	if len(r.ReplaceOnChange) > 0 {
		fmt.Fprintf(b, "%sreplaces on change: %s\n", indent, strings.Join(r.ReplaceOnChange, ", "))
	}
	if content, ok := r.Properties["studioLifecycleConfigContent"].(string); ok {
		script, err := base64.StdEncoding.DecodeString(content)
		if err != nil {
			fmt.Fprintf(b, "%sscript: not base64 (%v)\n", indent, err)
			return
		}
		fmt.Fprintf(b, "%sscript, decoded:\n", indent)
		writeIndented(b, indent+"| ", string(script))
	}
}
