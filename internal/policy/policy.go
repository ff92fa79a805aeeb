// Package policy holds IAM policy documents as Go values, so that the program
// builds them with the type checker's help and tests read them back as data.
package policy

import (
	"encoding/json"
	"fmt"
)

// Version is the IAM policy language version every document uses; the policy
// variables (${aws:SourceIdentity}, ${redshift:DbUser}) only work with it.
const Version = "2012-10-17"

// Document is an IAM policy or trust policy.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document. Lists are always written as JSON
// arrays, which IAM accepts everywhere it accepts a single string.
type Statement struct {
	Sid         string     `json:"Sid,omitempty"`
	Effect      string     `json:"Effect"`
	Principal   *Principal `json:"Principal,omitempty"`
	Action      []string   `json:"Action,omitempty"`
	NotAction   []string   `json:"NotAction,omitempty"`
	Resource    []string   `json:"Resource,omitempty"`
	NotResource []string   `json:"NotResource,omitempty"`
	Condition   Condition  `json:"Condition,omitempty"`
}

// Principal names who a trust or resource policy statement applies to.
type Principal struct {
	AWS     []string `json:"AWS,omitempty"`
	Service []string `json:"Service,omitempty"`
}

// Condition maps an operator (StringEquals, Null, ...) to condition keys and
// their values. Values are lists so that one shape serves every operator.
type Condition map[string]map[string][]string

// Effects.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// New returns a document of the given statements.
func New(statements ...Statement) Document {
	return Document{Version: Version, Statement: statements}
}

// JSON renders the document as IAM receives it. Policy variables such as
// ${aws:SourceIdentity} pass through unchanged: encoding/json escapes none of
// their characters.
func (d Document) JSON() (string, error) {
	if len(d.Statement) == 0 {
		return "", fmt.Errorf("policy document has no statements")
	}
	out, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("policy document: %w", err)
	}
	return string(out), nil
}

// Parse reads a document rendered by JSON (or by AWS) back into its Go shape.
func Parse(text string) (Document, error) {
	var doc Document
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return Document{}, fmt.Errorf("parse policy document: %w", err)
	}
	return doc, nil
}
