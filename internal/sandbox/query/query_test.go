package query

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseListsAndTags(t *testing.T) {
	body := "Action=CreateRole&Version=2010-05-08&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=&" +
		"Names.member.10=ten&Names.member.2=two&Names.member.1=one"
	r, _ := http.NewRequest("POST", "/?Extra=q", strings.NewReader(body))
	p, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Str("Action") != "CreateRole" || p.Str("Extra") != "q" {
		t.Fatalf("params = %v", p)
	}
	if got := p.List("Names"); !reflect.DeepEqual(got, []string{"one", "two", "ten"}) {
		t.Fatalf("List = %v", got)
	}
	if got := p.Tags("Tags"); !reflect.DeepEqual(got, []Tag{{"a", ""}, {"b", "2"}}) {
		t.Fatalf("Tags = %v", got)
	}
}

func TestPaginate(t *testing.T) {
	keys := []string{"a", "b", "c", "d", "e"}
	p := Params{"MaxItems": {"2"}}
	pg, err := Paginate(p, keys)
	if err != nil || pg.Start != 0 || pg.End != 2 || !pg.IsTruncated || pg.Marker == "" {
		t.Fatalf("page 1 = %+v, %v", pg, err)
	}
	p["Marker"] = []string{pg.Marker}
	pg, _ = Paginate(p, keys)
	if pg.Start != 2 || pg.End != 4 || !pg.IsTruncated {
		t.Fatalf("page 2 = %+v", pg)
	}
	// The marker names "e": after "c" is deleted, the last page still starts at "e".
	p["Marker"] = []string{pg.Marker}
	pg, _ = Paginate(p, []string{"a", "b", "d", "e"})
	if pg.Start != 3 || pg.End != 4 || pg.IsTruncated || pg.Marker != "" {
		t.Fatalf("page 3 = %+v", pg)
	}
	if _, err := Paginate(Params{"MaxItems": {"x"}}, keys); err == nil || !strings.Contains(err.Error(), "Member must be a number") {
		t.Fatalf("bad MaxItems: %v", err)
	}
}

func TestEncodePolicy(t *testing.T) {
	doc := `{"Version": "2012-10-17", "a+b": "c/d~e"}`
	enc := EncodePolicy(doc)
	if enc != "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22a%2Bb%22%3A%20%22c%2Fd~e%22%7D" {
		t.Fatalf("EncodePolicy = %s", enc)
	}
	if dec, err := url.QueryUnescape(enc); err != nil || dec != doc {
		t.Fatalf("round trip = %q, %v", dec, err)
	}
}

func TestValidatorMessages(t *testing.T) {
	var v Validator
	v.Required(Params{}, "RoleName", "roleName")
	v.Enum("x", "scope", "All", "AWS")
	err := v.Err()
	want := "ValidationError: 2 validation errors detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null; " +
		"Value 'x' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS]"
	if err == nil || err.Error() != want {
		t.Fatalf("Err = %v", err)
	}
}

func TestIDs(t *testing.T) {
	if id := NewID("AKIA", 16); len(id) != 20 || strings.Trim(id[4:], upperAlnum) != "" {
		t.Fatalf("NewID = %s", id)
	}
	if s := NewSecret(); len(s) != 40 || strings.Trim(s, secretAlphabet) != "" {
		t.Fatalf("NewSecret = %s", s)
	}
}
