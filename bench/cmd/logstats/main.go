// Command logstats summarises the sandbox's JSON-lines request log for the benchmarks:
// calls per operation (answered, throttled, other errors), mutating calls and the time the
// calls spanned. -skip N ignores the first N lines, so one log can hold several phases.
//
//	go run ./bench/cmd/logstats -log bench/tmp/requests.jsonl -skip 120 -format md
//
// -format kv prints shell-friendly key=value totals; md a Markdown table; both prints both.
// -account ID counts only the calls of callers in that account.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

type record struct {
	Time       time.Time `json:"time"`
	Service    string    `json:"service"`
	Operation  string    `json:"operation"`
	Status     int       `json:"status"`
	ErrorCode  string    `json:"errorCode"`
	DurationMS float64   `json:"duration_ms"`
	Mutating   bool      `json:"mutating"`
	Fault      string    `json:"fault"`
	Caller     string    `json:"caller"`
}

// accountOf is the account of a caller ARN ("" when it has none).
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

type opStats struct {
	service, op       string
	calls, ok         int
	throttled, errors int
	mutating          bool
	durMS             float64
}

func main() {
	path := flag.String("log", "", "request log (JSON lines)")
	skip := flag.Int("skip", 0, "ignore this many leading lines")
	format := flag.String("format", "both", "kv, md or both")
	account := flag.String("account", "", "count only the calls of callers in this account")
	flag.Parse()
	if *path == "" {
		fmt.Fprintln(os.Stderr, "logstats: -log FILE is required")
		os.Exit(2)
	}
	f, err := os.Open(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "logstats:", err)
		os.Exit(1)
	}
	defer f.Close()
	if err := run(f, os.Stdout, *skip, *format, *account); err != nil {
		fmt.Fprintln(os.Stderr, "logstats:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer, skip int, format, account string) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	ops := map[string]*opStats{}
	var first, last time.Time
	line := 0
	for sc.Scan() {
		line++
		if line <= skip || len(sc.Bytes()) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if account != "" && accountOf(r.Caller) != account {
			continue
		}
		key := r.Service + "/" + r.Operation
		s := ops[key]
		if s == nil {
			s = &opStats{service: r.Service, op: r.Operation}
			ops[key] = s
		}
		s.calls++
		s.durMS += r.DurationMS
		s.mutating = s.mutating || r.Mutating
		switch {
		case r.Fault == "throttle":
			s.throttled++
		case r.Status >= 200 && r.Status < 300:
			s.ok++
		default:
			s.errors++
		}
		if first.IsZero() || r.Time.Before(first) {
			first = r.Time
		}
		end := r.Time.Add(time.Duration(r.DurationMS * float64(time.Millisecond)))
		if end.After(last) {
			last = end
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var calls, ok, throttled, errs, mutOK, mutCalls int
	perService := map[string]int{} // answered (not throttled) calls per service
	for _, k := range keys {
		s := ops[k]
		calls += s.calls
		ok += s.ok
		throttled += s.throttled
		errs += s.errors
		perService[s.service] += s.calls - s.throttled
		if s.mutating {
			mutCalls += s.calls
			mutOK += s.ok
		}
	}
	span := 0.0
	if !first.IsZero() {
		span = last.Sub(first).Seconds()
	}
	if format == "kv" || format == "both" {
		fmt.Fprintf(out, "calls=%d\nok=%d\nthrottled=%d\nerrors=%d\nmutating_ok=%d\nmutating_calls=%d\nspan_s=%.3f\n",
			calls, ok, throttled, errs, mutOK, mutCalls, span)
		svcs := make([]string, 0, len(perService))
		for s := range perService {
			svcs = append(svcs, s)
		}
		sort.Strings(svcs)
		for _, s := range svcs {
			fmt.Fprintf(out, "answered_%s=%d\n", s, perService[s])
		}
		for _, k := range keys {
			s := ops[k]
			fmt.Fprintf(out, "ok_%s=%d\n", s.op, s.ok)
		}
	}
	if format == "md" || format == "both" {
		fmt.Fprintln(out, "| service | operation | mutating | calls | ok | throttled | other errors | mean ms |")
		fmt.Fprintln(out, "|---|---|---|---:|---:|---:|---:|---:|")
		for _, k := range keys {
			s := ops[k]
			fmt.Fprintf(out, "| %s | %s | %v | %d | %d | %d | %d | %.1f |\n",
				s.service, s.op, s.mutating, s.calls, s.ok, s.throttled, s.errors, s.durMS/float64(s.calls))
		}
		fmt.Fprintf(out, "| **total** | | | %d | %d | %d | %d | |\n", calls, ok, throttled, errs)
	}
	return nil
}
