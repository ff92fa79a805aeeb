package program

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/studio-redshift/studio-redshift/internal/policy"
)

// request is one AWS API request as IAM evaluates it: who asks, for what
// action on what resource, with which request context keys.
type request struct {
	principal string
	action    string
	resource  string
	context   map[string]string
	// sets are the request's multivalued context keys, such as
	// sagemaker:InstanceTypes: a key may have several values at once.
	sets map[string][]string
}

// allows evaluates a request against one document the way IAM does (IAM User
// Guide, "Policy evaluation logic"): an explicit deny wins, else some allow
// must match, else the request is implicitly denied. Policy variables in
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

// matches reports whether a statement applies to the request: every element
// present matches, and every condition holds (IAM User Guide, "Creating a
// condition with multiple context keys or values": the operators of a
// Condition block, and the keys of one operator, are ANDed).
func matches(s policy.Statement, req request) bool {
	if s.Principal != nil && !anyLike(slices.Concat(s.Principal.AWS, s.Principal.Service), req.principal, req) {
		return false
	}
	if len(s.Action) > 0 && !anyLike(s.Action, req.action, req) {
		return false
	}
	if len(s.NotAction) > 0 && anyLike(s.NotAction, req.action, req) {
		return false
	}
	if req.resource != "" {
		if len(s.Resource) > 0 && !anyLike(s.Resource, req.resource, req) {
			return false
		}
		if len(s.NotResource) > 0 && anyLike(s.NotResource, req.resource, req) {
			return false
		}
	}
	for operator, keys := range s.Condition {
		for key, values := range keys {
			if set, ok := strings.CutPrefix(operator, "ForAnyValue:"); ok {
				if !forAnyValue(set, req.sets[key], values, req) {
					return false
				}
				continue
			}
			if set, ok := strings.CutPrefix(operator, "ForAllValues:"); ok {
				if !forAllValues(set, req.sets[key], values, req) {
					return false
				}
				continue
			}
			if _, multivalued := req.sets[key]; multivalued && operator != "Null" {
				panic("a multivalued key takes a set operator: " + operator + " " + key)
			}
			actual, present := req.context[key]
			present = present || len(req.sets[key]) > 0
			if !condition(operator, actual, present, values, req) {
				return false
			}
		}
	}
	return true
}

// forAnyValue is the ForAnyValue set operator on a multivalued key (IAM
// User Guide, "Set operators for multivalued context keys"): it holds when
// at least one of the request's values satisfies the operator, a negated
// operator such as StringNotEquals being satisfied by a value that matches
// none of the policy's values; a key absent from the request, or with no
// values, does not satisfy it.
func forAnyValue(operator string, requestValues, values []string, req request) bool {
	for _, value := range requestValues {
		if condition(operator, value, true, values, req) {
			return true
		}
	}
	return false
}

// forAllValues is the ForAllValues set operator: it holds when every one of
// the request's values satisfies the operator, and so also when the key is
// absent or has no values (the same page's warning on ForAllValues with
// Allow).
func forAllValues(operator string, requestValues, values []string, req request) bool {
	for _, value := range requestValues {
		if !condition(operator, value, true, values, req) {
			return false
		}
	}
	return true
}

// condition evaluates one operator on one key, as the IAM User Guide's
// "IAM JSON policy elements: Condition operators" and "Creating a condition
// with multiple context keys or values" describe it:
//   - the values of one key are ORed: a positive operator holds when the
//     request's value matches any of them;
//   - a negated operator (StringNotEquals, StringNotLike, ArnNotLike ...)
//     holds when the value matches none of them, and also when the key is
//     absent from the request ("Evaluation logic for negated matching
//     condition operators");
//   - a positive operator on an absent key does not hold, unless it ends in
//     IfExists, which holds on an absent key ("...IfExists condition
//     operators");
//   - Null "true" holds when the key is absent, "false" when it is present.
//
// Condition values that name a policy variable the request lacks are
// handled by resolve.
func condition(operator, actual string, present bool, values []string, req request) bool {
	if operator == "Null" {
		return (values[0] == "true") == !present
	}
	base, ifExists := strings.CutSuffix(operator, "IfExists")
	if base == "Null" {
		panic("Null takes no IfExists: " + operator)
	}
	negated, positive := negation(base)
	if !present {
		// A negated operator matches an absent key; IfExists makes any
		// operator match it.
		return negated || ifExists
	}
	match := func(compare func(pattern, value string) bool) bool {
		for _, value := range values {
			if resolved, ok := resolve(value, req); ok && compare(resolved, actual) {
				return true
			}
		}
		return false
	}
	var matched bool
	switch positive {
	case "StringEquals", "Bool":
		matched = match(func(pattern, value string) bool { return pattern == value })
	case "StringEqualsIgnoreCase":
		matched = match(strings.EqualFold)
	case "StringLike", "ArnLike", "ArnEquals":
		// ArnEquals takes the same wildcards as ArnLike ("ARN condition
		// operators").
		matched = match(like)
	default:
		panic("condition operator not modelled: " + operator)
	}
	return matched != negated
}

// negation splits a negated operator into its positive form: StringNotLike
// is StringLike, negated. Bool has no negated form.
func negation(operator string) (negated bool, positive string) {
	for _, family := range []string{"String", "Arn"} {
		if rest, ok := strings.CutPrefix(operator, family+"Not"); ok {
			return true, family + rest
		}
	}
	return false, operator
}

// anyLike reports whether value matches one of the patterns, after their
// policy variables are resolved. A pattern whose variable the request lacks
// matches nothing: "If a variable that has no value in the authorization
// context is used as part of the Resource or NotResource element of a
// policy, the resource that includes a policy variable with no value will
// not match any resource" (IAM User Guide, "Policy variables with no
// value").
func anyLike(patterns []string, value string, req request) bool {
	for _, pattern := range patterns {
		if resolved, ok := resolve(pattern, req); ok && like(resolved, value) {
			return true
		}
	}
	return false
}

// like is IAM's wildcard match (StringLike, ArnLike, Action, Resource): `*`
// matches any run of characters, slashes and colons included, `?` any one
// character, and nothing else is special.
func like(pattern, value string) bool {
	escaped := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(pattern)
	// path.Match's `*` stops at a slash; IAM's does not.
	ok, _ := path.Match(strings.ReplaceAll(escaped, "/", "\x00"), strings.ReplaceAll(value, "/", "\x00"))
	return ok
}

// resolve replaces the ${key} policy variables of text with the request's
// values. It reports false when the request lacks one of them: the value is
// then "effectively null" and there is no equal or like value (IAM User
// Guide, "Policy variables with no value"), so a positive operator or a
// Resource element does not match it, and a negated operator does.
func resolve(text string, req request) (string, bool) {
	var resolved strings.Builder
	for {
		start := strings.Index(text, "${")
		if start < 0 {
			resolved.WriteString(text)
			return resolved.String(), true
		}
		end := strings.Index(text[start:], "}")
		if end < 0 {
			resolved.WriteString(text)
			return resolved.String(), true
		}
		value, ok := req.context[text[start+2:start+end]]
		if !ok {
			return "", false
		}
		resolved.WriteString(text[:start] + value)
		text = text[start+end+1:]
	}
}

// TestEvaluatorFollowsIAM pins the evaluator to the IAM User Guide's rules
// that the project's documents rest on, one row per rule.
func TestEvaluatorFollowsIAM(t *testing.T) {
	const key = "aws:SourceIdentity"
	tests := []struct {
		name      string
		condition policy.Condition
		resource  []string
		context   map[string]string
		matches   bool
	}{
		{"StringEquals on an absent key", policy.Condition{"StringEquals": {key: {"alice"}}}, nil, map[string]string{}, false},
		{"StringNotEquals on an absent key matches", policy.Condition{"StringNotEquals": {key: {"alice"}}}, nil, map[string]string{}, true},
		{"ArnNotLike on an absent key matches", policy.Condition{"ArnNotLike": {"aws:SourceArn": {"arn:aws:s3:::*"}}}, nil, map[string]string{}, true},
		{"StringNotLike on a present, unlike value", policy.Condition{"StringNotLike": {key: {"a*"}}}, nil, map[string]string{key: "bob"}, true},
		{"StringNotLike on a present, like value", policy.Condition{"StringNotLike": {key: {"a*"}}}, nil, map[string]string{key: "alice"}, false},
		{"StringEqualsIfExists on an absent key", policy.Condition{"StringEqualsIfExists": {key: {"alice"}}}, nil, map[string]string{}, true},
		{"StringEqualsIfExists on another value", policy.Condition{"StringEqualsIfExists": {key: {"alice"}}}, nil, map[string]string{key: "bob"}, false},
		{"StringEqualsIgnoreCase", policy.Condition{"StringEqualsIgnoreCase": {key: {"awsuser"}}}, nil, map[string]string{key: "AWSUSER"}, true},
		{"StringEquals is case-sensitive", policy.Condition{"StringEquals": {key: {"awsuser"}}}, nil, map[string]string{key: "AWSUSER"}, false},
		{"StringEquals on a variable without a value", policy.Condition{"StringEquals": {"sts:RoleSessionName": {"${aws:SourceIdentity}"}}}, nil,
			map[string]string{"sts:RoleSessionName": "alice"}, false},
		{"StringNotEquals on a variable without a value matches", policy.Condition{"StringNotEquals": {"sts:RoleSessionName": {"${aws:SourceIdentity}"}}}, nil,
			map[string]string{"sts:RoleSessionName": "alice"}, true},
		{"a resource with a variable without a value matches nothing", nil, []string{"arn:aws:s3:::bucket/${aws:SourceIdentity}/*"},
			map[string]string{}, false},
		{"a resource's * spans slashes", nil, []string{"arn:aws:s3:::bucket/*"}, map[string]string{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := policy.Statement{Effect: policy.Allow, Action: []string{"s3:GetObject"}, Resource: tt.resource, Condition: tt.condition}
			req := request{action: "s3:GetObject", resource: "arn:aws:s3:::bucket/alice/data.csv", context: tt.context}
			assert.Equal(t, tt.matches, matches(s, req))
		})
	}
}

// TestEvaluatorSetOperators pins the set operators to the IAM User Guide's
// "Set operators for multivalued context keys", one row per rule.
func TestEvaluatorSetOperators(t *testing.T) {
	const key = "sagemaker:InstanceTypes"
	listed := []string{"ml.t3.medium", "ml.m5.large"}
	tests := []struct {
		name      string
		condition policy.Condition
		sets      map[string][]string
		matches   bool
	}{
		{"ForAnyValue:StringNotEquals, one value outside the list", policy.Condition{"ForAnyValue:StringNotEquals": {key: listed}},
			map[string][]string{key: {"ml.t3.medium", "ml.p4d.24xlarge"}}, true},
		{"ForAnyValue:StringNotEquals, every value listed", policy.Condition{"ForAnyValue:StringNotEquals": {key: listed}},
			map[string][]string{key: {"ml.m5.large", "ml.t3.medium"}}, false},
		{"ForAnyValue on an absent key", policy.Condition{"ForAnyValue:StringNotEquals": {key: listed}}, nil, false},
		{"ForAnyValue on a key without values", policy.Condition{"ForAnyValue:StringNotEquals": {key: listed}}, map[string][]string{key: {}}, false},
		{"ForAnyValue:StringEquals, one value listed", policy.Condition{"ForAnyValue:StringEquals": {key: listed}},
			map[string][]string{key: {"ml.p4d.24xlarge", "ml.m5.large"}}, true},
		{"ForAllValues:StringEquals, one value outside", policy.Condition{"ForAllValues:StringEquals": {key: listed}},
			map[string][]string{key: {"ml.p4d.24xlarge", "ml.m5.large"}}, false},
		{"ForAllValues on an absent key holds", policy.Condition{"ForAllValues:StringEquals": {key: listed}}, nil, true},
		{"Null false on a multivalued key with values", policy.Condition{"Null": {key: {"false"}}}, map[string][]string{key: {"ml.m5.large"}}, true},
		{"Null false on an absent multivalued key", policy.Condition{"Null": {key: {"false"}}}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := policy.Statement{Effect: policy.Deny, Action: []string{"sagemaker:CreateApp"}, Condition: tt.condition}
			req := request{action: "sagemaker:CreateApp", context: map[string]string{}, sets: tt.sets}
			assert.Equal(t, tt.matches, matches(s, req))
		})
	}
}
