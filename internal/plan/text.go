package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
)

// Text renders the plan for people: header, resources by account, IAM
// documents, the network, outputs and totals.
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
	for _, pol := range p.Policies {
		owner := pol.Resource
		if pol.Role != "" && pol.Role != pol.Resource {
			owner = pol.Resource + " on role " + pol.Role
		}
		fmt.Fprintf(&b, "\n%s policy: %s (%s account %s)\n", titleKind(pol.Kind), owner, pol.Provider, pol.AccountID)
		if pol.Document == nil {
			fmt.Fprintf(&b, "  %s\n", pol.Arn)
			continue
		}
		doc, _ := json.MarshalIndent(pol.Document, "  ", "  ")
		fmt.Fprintf(&b, "  %s\n", doc)
	}

	section(&b, "Network")
	b.WriteString("\nRoutes\n")
	table(&b, []string{"ACCOUNT", "ROUTE TABLE", "DESTINATION", "TARGET"}, len(p.Network.Routes), func(i int) []string {
		r := p.Network.Routes[i]
		return []string{r.Provider, r.RouteTable, r.Destination, r.Target}
	})
	b.WriteString("\nSecurity group rules\n")
	table(&b, []string{"ACCOUNT", "GROUP", "DIRECTION", "PROTOCOL", "PORTS", "PEER"}, len(p.Network.Rules), func(i int) []string {
		r := p.Network.Rules[i]
		return []string{r.Provider, r.Group, r.Direction, r.Protocol, r.Ports, r.Peer}
	})
	b.WriteString("\nEndpoints\n")
	table(&b, []string{"ACCOUNT", "SERVICE", "TYPE", "PRIVATE DNS"}, len(p.Network.Endpoints), func(i int) []string {
		e := p.Network.Endpoints[i]
		privateDNS := "-"
		if e.Type == "Interface" {
			privateDNS = fmt.Sprint(e.PrivateDNS)
		}
		return []string{e.Provider, e.Service, e.Type, privateDNS}
	})

	section(&b, "Stack outputs")
	for _, name := range sortedKeys(p.Outputs) {
		value := p.Outputs[name]
		if text, ok := value.(string); ok && strings.Contains(text, "\n") {
			fmt.Fprintf(&b, "%s:\n", name)
			for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
				fmt.Fprintf(&b, "%s\n", strings.TrimRight("    "+line, " "))
			}
			continue
		}
		encoded, _ := json.Marshal(value)
		fmt.Fprintf(&b, "%s: %s\n", name, encoded)
	}

	section(&b, "AWS default quotas")
	p.writeQuotas(&b)

	section(&b, "Totals")
	fmt.Fprintf(&b, "%d resources\n", p.Totals.Resources)
	for _, a := range p.Accounts {
		fmt.Fprintf(&b, "  %-9s %3d\n", a.Provider, a.Resources)
	}
	b.WriteString("By type\n")
	for _, typ := range sortedKeys(p.Totals.ByType) {
		fmt.Fprintf(&b, "  %3d  %s\n", p.Totals.ByType[typ], typ)
	}
	return b.Bytes()
}

func section(b *bytes.Buffer, title string) {
	fmt.Fprintf(b, "\n== %s\n", title)
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
			b.WriteString(line + "\n")
			walk(r.URN, provider, depth+1)
		}
	}
	for _, a := range p.Accounts {
		fmt.Fprintf(b, "\n%s account %s (%d resources)\n", a.Provider, a.AccountID, a.Resources)
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
	b.WriteString("Sources: " + vpcQuotas + ", " + iamQuotas + ", " + studioGroups + "\n")
}
