package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// LogRecord is one line of the request log: one per request the AWS listener answered
// (or dropped, for the reset knob).
type LogRecord struct {
	Time       time.Time `json:"time"`
	RequestID  string    `json:"requestId"`
	Service    string    `json:"service"`             // eks, iam, sts, sagemaker ("" when unknown)
	Operation  string    `json:"operation"`           // e.g. CreateAccessEntry
	Caller     string    `json:"caller,omitempty"`    // ARN of the verified caller
	Status     int       `json:"status"`              // HTTP status; 0 when the connection was dropped
	ErrorCode  string    `json:"errorCode,omitempty"` // AWS error code of a failed call
	DurationMS float64   `json:"duration_ms"`
	Mutating   bool      `json:"mutating"`
	// Fault names the knob that decided the outcome: throttle, fault, reset-before
	// (dropped before the handler ran), reset-after (handler ran, answer dropped).
	Fault string `json:"fault,omitempty"`
}

type requestLog struct {
	mu      sync.Mutex
	records []LogRecord
	f       *os.File
	enc     *json.Encoder
	err     error // first write error, reported by Close
}

func openRequestLog(path string) (*requestLog, error) {
	l := &requestLog{}
	if path == "" {
		return l, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open request log %s: %w", path, err)
	}
	l.f = f
	l.enc = json.NewEncoder(f)
	return l, nil
}

func (l *requestLog) add(rec LogRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, rec)
	if l.enc != nil {
		if err := l.enc.Encode(rec); err != nil && l.err == nil {
			l.err = err
		}
	}
}

func (l *requestLog) snapshot() []LogRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LogRecord(nil), l.records...)
}

func (l *requestLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f, l.enc = nil, nil
	if l.err != nil {
		return fmt.Errorf("write request log: %w", l.err)
	}
	return err
}
