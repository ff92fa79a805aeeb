package program

import (
	"path"
	"slices"
	"strings"

	"github.com/studio-redshift/studio-redshift/policy"
)

// request is one AWS API request as IAM evaluates it: who asks, for what
// action on what resource, with which request context keys.
type request struct {
	principal string
	action    string
	resource  string
	context   map[string]string
}

// allows evaluates a request against one document the way IAM does for the
// operators this project writes (StringEquals, StringNotEquals, ArnLike,
// ArnNotLike, Null, Bool, and their ...IfExists forms):
// an explicit deny wins, else some allow must match. Policy variables in
// resources and condition values are filled from the request context, as IAM
// fills them.
func allows(doc policy.Document, req request) bool {
	allowed := false
	for _, s := range doc.Statement {
		if !matches(s, req) {
			continue
		}
		if s.Effect == policy.Deny {
			return false
		}
		allowed = true
	}
	return allowed
}

// denies reports whether an explicit deny of the document matches.
func denies(doc policy.Document, req request) bool {
	for _, s := range doc.Statement {
		if s.Effect == policy.Deny && matches(s, req) {
			return true
		}
	}
	return false
}

func matches(s policy.Statement, req request) bool {
	if s.Principal != nil && !anyGlob(slices.Concat(s.Principal.AWS, s.Principal.Service), req.principal, req) {
		return false
	}
	if len(s.Action) > 0 && !anyGlob(s.Action, req.action, req) {
		return false
	}
	if len(s.Resource) > 0 && req.resource != "" && !anyGlob(s.Resource, req.resource, req) {
		return false
	}
	for operator, keys := range s.Condition {
		for key, values := range keys {
			actual, present := req.context[key]
			if !condition(operator, actual, present, values, req) {
				return false
			}
		}
	}
	return true
}

func condition(operator, actual string, present bool, values []string, req request) bool {
	// IAM: an ...IfExists operator is true when the key is absent, and
	// otherwise evaluates as the operator without the suffix.
	if base, ifExists := strings.CutSuffix(operator, "IfExists"); ifExists {
		if !present {
			return true
		}
		operator = base
	}
	switch operator {
	case "Null":
		// "true": the key must be absent; "false": it must be present.
		return (values[0] == "true") == !present
	case "StringEquals", "Bool":
		return present && anyEqual(values, actual, req)
	case "StringNotEquals":
		return present && !anyEqual(values, actual, req)
	case "ArnLike":
		return present && anyGlob(values, actual, req)
	case "ArnNotLike":
		return present && !anyGlob(values, actual, req)
	}
	panic("condition operator not modelled: " + operator)
}

func anyEqual(values []string, actual string, req request) bool {
	for _, value := range values {
		if fill(value, req) == actual {
			return true
		}
	}
	return false
}

func anyGlob(patterns []string, value string, req request) bool {
	for _, pattern := range patterns {
		if ok, _ := path.Match(strings.ReplaceAll(fill(pattern, req), "/", "\x00"), strings.ReplaceAll(value, "/", "\x00")); ok {
			return true
		}
	}
	return false
}

// fill replaces ${key} policy variables with the request's values; a variable
// the request lacks matches nothing, as in IAM.
func fill(text string, req request) string {
	for {
		start := strings.Index(text, "${")
		if start < 0 {
			return text
		}
		end := strings.Index(text[start:], "}")
		if end < 0 {
			return text
		}
		key := text[start+2 : start+end]
		value, ok := req.context[key]
		if !ok {
			value = "\x01missing\x01"
		}
		text = text[:start] + value + text[start+end+1:]
	}
}
