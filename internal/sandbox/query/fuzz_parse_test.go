package query

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"testing"
)

// FuzzParse: the awsQuery request parsing of the sandbox's IAM and STS (form body and URL
// query, .member.N lists, Tags, Marker/MaxItems pagination) never panics on any request, and
// pagination always answers a page inside the list.
func FuzzParse(f *testing.F) {
	f.Add("POST", "/", "application/x-www-form-urlencoded", []byte("Action=CreateUser&Version=2010-05-08&UserName=alice&Tags.member.1.Key=team&Tags.member.1.Value=a"))
	f.Add("POST", "/?Action=ListUsers", "text/plain", []byte("MaxItems=2&Marker=YWxpY2U"))
	f.Add("GET", "/?Action=ListRoles&MaxItems=0&Marker=%%", "", []byte(nil))
	f.Add("POST", "/", "application/x-www-form-urlencoded", []byte("Names.member.2=b&Names.member.1=a&Names.member.-1=x&Names.member.99999999999999999999=y&Names.member.1.Extra=z"))
	f.Add("POST", "/", "application/x-www-form-urlencoded", []byte("MaxItems=1001&Marker="))
	f.Fuzz(func(t *testing.T, method, target, ctype string, body []byte) {
		raw := method + " " + target + " HTTP/1.1\r\nHost: iam.amazonaws.com\r\nContent-Type: " + ctype + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body)
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader([]byte(raw))))
		if err != nil {
			return
		}
		p, err := Parse(r)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse returned an untyped error %T: %v", err, err)
			}
			return
		}
		p.Str("Action")
		for _, n := range []string{"Names", "Tags", "PolicyArns"} {
			p.List(n)
			p.Tags(n)
		}
		var v Validator
		v.Int(p, "MaxItems", "maxItems", 1, 1000)
		v.Bool(p, "Force", "force")
		_ = v.Err()
		keys := []string{"alice", "bob", "carol", "dave"}
		pg, err := Paginate(p, keys)
		if err != nil {
			return
		}
		if pg.Start < 0 || pg.Start > pg.End || pg.End > len(keys) || pg.IsTruncated != (pg.End < len(keys)) {
			t.Fatalf("page %+v of %d keys", pg, len(keys))
		}
	})
}
