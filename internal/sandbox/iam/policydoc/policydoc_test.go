package policydoc

import (
	"errors"
	"testing"
)

const acct = "111122223333"

func user(name string, ctx map[string]string) Request {
	arn := "arn:aws:iam::" + acct + ":user/" + name
	if ctx == nil {
		ctx = map[string]string{}
	}
	return Request{Action: "sts:AssumeRole", Account: acct, Principals: []string{arn, arn}, Context: ctx}
}

func TestEvaluate(t *testing.T) {
	session := Request{Action: "sts:AssumeRole", Account: acct,
		Principals: []string{"arn:aws:iam::" + acct + ":role/team/dev", "arn:aws:sts::" + acct + ":assumed-role/dev/s1"},
		Context:    map[string]string{"aws:multifactorauthpresent": "false"}}
	mfa := map[string]string{"aws:multifactorauthpresent": "true", "aws:multifactorauthage": "60"}
	cases := []struct {
		name string
		doc  string
		req  Request
		want Decision
	}{
		{"account root", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`, user("alice", nil), Allowed},
		{"other account root", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`, user("alice", nil), NotAllowed},
		{"account id", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`, user("alice", nil), Allowed},
		{"named user in list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/bob","arn:aws:iam::111122223333:user/alice"]},"Action":"sts:AssumeRole"}]}`, user("alice", nil), Allowed},
		{"named user, other", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:AssumeRole"}]}`, user("alice", nil), NotAllowed},
		{"role with path trusts its sessions", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/team/dev"},"Action":"sts:AssumeRole"}]}`, session, Allowed},
		{"session ARN", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/dev/s1"},"Action":"sts:AssumeRole"}]}`, session, Allowed},
		{"star principal", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}`, user("alice", nil), Allowed},
		{"service principal only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, user("alice", nil), NotAllowed},
		{"other action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:TagSession"}]}`, user("alice", nil), NotAllowed},
		{"action wildcard", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"STS:Assume*"}]}`, user("alice", nil), Allowed},
		{"NotAction", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"NotAction":"sts:TagSession"}]}`, user("alice", nil), Allowed},
		{"deny wins", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:*"}]}`, user("alice", nil), Denied},
		{"deny with NotPrincipal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:*"}]}`, user("alice", nil), Denied},
		{"MFA Bool true, absent key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, user("alice", nil), NotAllowed},
		{"MFA Bool true, present", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}}]}`, user("alice", mfa), Allowed},
		{"MFA Bool false does not match an absent key", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}},{"Effect":"Allow","Principal":"*","Action":"*"}]}`, user("alice", nil), Allowed},
		{"BoolIfExists false matches an absent key", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}},{"Effect":"Allow","Principal":"*","Action":"*"}]}`, user("alice", nil), Denied},
		{"BoolIfExists false on session without MFA", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}},{"Effect":"Allow","Principal":"*","Action":"*"}]}`, session, Denied},
		{"MFA age below", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}`, user("alice", mfa), Allowed},
		{"MFA age missing", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}]}`, user("alice", nil), NotAllowed},
		{"MFA age too old", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"30"}}}]}`, user("alice", mfa), NotAllowed},
		{"Null true on absent", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Null":{"aws:MultiFactorAuthAge":"true"}}}]}`, user("alice", nil), Allowed},
		{"StringEquals external id", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"sts:ExternalId":["a","b"]}}}]}`, user("alice", map[string]string{"sts:externalid": "b"}), Allowed},
		{"StringLike session name", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringLike":{"sts:RoleSessionName":"alice-*"}}}]}`, user("alice", map[string]string{"sts:rolesessionname": "bob-1"}), NotAllowed},
		{"StringNotEquals absent key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringNotEquals":{"sts:ExternalId":"x"}}}]}`, user("alice", nil), Allowed},
		{"unknown operator never allows", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"DateMaybe":{"aws:CurrentTime":"x"}}}]}`, user("alice", nil), NotAllowed},
		{"unknown operator always denies", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"ForAnyValue:BinaryEquals":{"aws:TagKeys":"x"}}}]}`, user("alice", nil), Denied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Evaluate(tc.req); got != tc.want {
				t.Fatalf("Evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidateTrust(t *testing.T) {
	exists := func(arn string) bool { return arn == "arn:aws:iam::111122223333:user/alice" }
	cases := []struct {
		doc, msg string
	}{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole"}]}`, ""},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:AssumeRole"}]}`, `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/bob"`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/bob"},"Action":"sts:AssumeRole"}]}`, ""},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Bogus":"x"},"Action":"sts:AssumeRole"}]}`, `Invalid principal in policy: "Bogus"`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"x"},"Action":"sts:AssumeRole","Extra":1}]}`, "Syntax errors in policy."},
		{`{"Version":"2012-10-17","Statement":[{"Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`, "Missing required field Effect"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"}}]}`, "Missing required field Action"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]} {}`, "This policy contains invalid Json"},
		{`[]`, "Syntax errors in policy."},
	}
	for _, tc := range cases {
		err := ValidateTrust(tc.doc, acct, exists)
		var me *MalformedError
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("%s: %v", tc.doc, err)
		case tc.msg != "" && (!errors.As(err, &me) || me.Msg != tc.msg):
			t.Errorf("%s: got %v, want %q", tc.doc, err, tc.msg)
		}
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"sts:*", "sts:AssumeRole", true}, {"sts:Assume?ole", "sts:AssumeRole", true},
		{"a*b*c", "aXXbYYc", true}, {"a*b*c", "aXXbYY", false}, {"abc", "abcd", false}, {"*role", "sts:assumerole", true},
	}
	for _, c := range cases {
		if got := Glob(c.p, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

// TestMultivaluedConditions pins each way a multivalued key is compared: ForAllValues (every
// request value, none at all included), ForAnyValue (one value), and a plain operator on such
// a key (positive: one value matches; negated: no value matches).
func TestMultivaluedConditions(t *testing.T) {
	tags := func(v ...string) Request {
		r := user("alice", nil)
		r.Multi = map[string][]string{"aws:tagkeys": v}
		return r
	}
	allow := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":` + cond + `}]}`
	}
	cases := []struct {
		name string
		cond string
		req  Request
		want Decision
	}{
		{"all values, every one matches", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, tags("a", "b"), Allowed},
		{"all values, one does not", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, tags("a", "c"), NotAllowed},
		{"all values, none at all", `{"ForAllValues:StringEquals":{"aws:TagKeys":"a"}}`, tags(), Allowed},
		{"all values, not comparable", `{"ForAllValues:NumericEquals":{"aws:TagKeys":"1"}}`, tags("1", "x"), NotAllowed},
		{"any value, one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"b"}}`, tags("a", "b"), Allowed},
		{"any value, none matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"c"}}`, tags("a", "b"), NotAllowed},
		{"any value, none at all", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"a"}}`, tags(), NotAllowed},
		{"plain, one value matches", `{"StringEquals":{"aws:TagKeys":"b"}}`, tags("a", "b"), Allowed},
		{"plain, no value matches", `{"StringEquals":{"aws:TagKeys":"c"}}`, tags("a", "b"), NotAllowed},
		{"negated, no value matches", `{"StringNotEquals":{"aws:TagKeys":"c"}}`, tags("a", "b"), Allowed},
		{"negated, one value matches", `{"StringNotEquals":{"aws:TagKeys":"b"}}`, tags("a", "b"), NotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(allow(tc.cond))
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Evaluate(tc.req); got != tc.want {
				t.Fatalf("Evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}
