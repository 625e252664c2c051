// Package wire writes responses in the AWS protocols the sandbox speaks:
// restJson1 (EKS), awsQuery XML (IAM, STS) and awsJson1_1 (SageMaker).
// The facts behind each choice are in shared/reference/aws-wire.md.
package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// XML namespaces of the query services.
const (
	IAMNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

type reqIDKey struct{}

// WithRequestID returns ctx carrying a request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, reqIDKey{}, id)
}

// RequestID returns the request id of ctx, or a new one.
func RequestID(ctx context.Context) string {
	if id, ok := ctx.Value(reqIDKey{}).(string); ok {
		return id
	}
	return uuid.NewString()
}

// NewRequestID makes a request id as AWS shows them (a UUID).
func NewRequestID() string { return uuid.NewString() }

// Epoch is a timestamp that marshals as JSON epoch seconds (a number, fractional), as
// restJson1 and awsJson1_1 send timestamps. The Go SDK refuses ISO strings here.
type Epoch time.Time

// MarshalJSON writes seconds since the epoch with millisecond precision.
func (e Epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return []byte(strconv.FormatInt(ms/1000, 10)), nil
	}
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)), nil
}

// UnmarshalJSON reads epoch seconds.
func (e *Epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	sec, frac := math.Modf(f)
	*e = Epoch(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

// ISO formats a time as IAM/STS XML timestamps (UTC, RFC 3339, no fractional part).
func ISO(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// WriteJSON writes a restJson1 success (Content-Type application/json).
func WriteJSON(ctx context.Context, w http.ResponseWriter, status int, v any) {
	writeJSON(ctx, w, "application/json", status, v)
}

// WriteJSON11 writes an awsJson1_1 success.
func WriteJSON11(ctx context.Context, w http.ResponseWriter, v any) {
	writeJSON(ctx, w, "application/x-amz-json-1.1", http.StatusOK, v)
}

func writeJSON(ctx context.Context, w http.ResponseWriter, ctype string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("x-amzn-RequestId", RequestID(ctx))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// RestJSONError writes a restJson1 error: the plain code in X-Amzn-ErrorType and body
// __type, the message in body "message", plus extra members (e.g. clusterName).
func RestJSONError(ctx context.Context, w http.ResponseWriter, status int, code, message string, extra map[string]any) {
	body := map[string]any{"__type": code, "message": message}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("X-Amzn-ErrorType", code)
	WriteJSON(ctx, w, status, body)
}

// JSON11Error writes an awsJson1_1 error (body __type and Message; header too).
func JSON11Error(ctx context.Context, w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	writeJSON(ctx, w, "application/x-amz-json-1.1", status, map[string]any{"__type": code, "Message": message})
}

// QueryError writes an awsQuery error document in namespace ns.
func QueryError(ctx context.Context, w http.ResponseWriter, ns string, status int, code, message string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	var buf bytes.Buffer
	buf.WriteString(`<ErrorResponse xmlns="` + ns + `"><Error><Type>` + typ + `</Type><Code>`)
	xml.EscapeText(&buf, []byte(code))
	buf.WriteString(`</Code><Message>`)
	xml.EscapeText(&buf, []byte(message))
	buf.WriteString(`</Message></Error><RequestId>` + RequestID(ctx) + `</RequestId></ErrorResponse>`)
	writeXML(ctx, w, status, buf.Bytes())
}

// QueryResult writes an awsQuery success: <{op}Response xmlns=ns><{op}Result>result</{op}Result>
// <ResponseMetadata>…</ResponseMetadata></{op}Response>. result is marshalled with encoding/xml
// as the children of the Result element (give it a struct whose fields carry xml tags); a nil
// result writes no Result element (operations without output).
func QueryResult(ctx context.Context, w http.ResponseWriter, ns, op string, result any) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, op, ns)
	if result != nil {
		enc := xml.NewEncoder(&buf)
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: op + "Result"}}); err != nil {
			QueryError(ctx, w, ns, 500, "ServiceFailure", "internal error encoding the response")
			return
		}
		enc.Flush()
	}
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, RequestID(ctx), op)
	writeXML(ctx, w, http.StatusOK, buf.Bytes())
}

func writeXML(ctx context.Context, w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", RequestID(ctx))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
