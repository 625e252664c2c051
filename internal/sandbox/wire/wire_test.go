package wire

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"
)

func TestQueryResultWrapsFieldsInResultElement(t *testing.T) {
	type user struct {
		UserName string `xml:"UserName"`
	}
	type res struct {
		User user `xml:"User"`
	}
	ctx := WithRequestID(context.Background(), "req-1")
	rec := httptest.NewRecorder()
	QueryResult(ctx, rec, IAMNamespace, "GetUser", res{User: user{UserName: "alice"}})
	want := `<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User><UserName>alice</UserName></User></GetUserResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetUserResponse>`
	if got := rec.Body.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if rec.Header().Get("x-amzn-RequestId") != "req-1" {
		t.Fatalf("request id header missing")
	}
}

func TestEpochMarshalsAsNumber(t *testing.T) {
	b, _ := json.Marshal(Epoch(time.Unix(1700000000, 123e6)))
	if string(b) != "1700000000.123" {
		t.Fatalf("got %s", b)
	}
	b, _ = json.Marshal(Epoch(time.Unix(1700000000, 0)))
	if string(b) != "1700000000" {
		t.Fatalf("got %s", b)
	}
	var e Epoch
	if err := json.Unmarshal([]byte("1700000000.5"), &e); err != nil || time.Time(e).UnixMilli() != 1700000000500 {
		t.Fatalf("unmarshal: %v %v", err, time.Time(e))
	}
}

func TestRestJSONErrorCarriesCodeTwice(t *testing.T) {
	rec := httptest.NewRecorder()
	RestJSONError(context.Background(), rec, 404, "ResourceNotFoundException", "No cluster found for name: x.", map[string]any{"clusterName": "x"})
	if rec.Code != 404 || rec.Header().Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Fatalf("status %d header %q", rec.Code, rec.Header().Get("X-Amzn-ErrorType"))
	}
	var m map[string]any
	json.Unmarshal(rec.Body.Bytes(), &m)
	if m["__type"] != "ResourceNotFoundException" || m["clusterName"] != "x" {
		t.Fatalf("body %v", m)
	}
}
