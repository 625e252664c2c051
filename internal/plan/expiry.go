package plan

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseExpiry reads --expires: a duration from now (90m, 12h, 30d, 2w) or a time
// (2026-12-31, 2026-12-31T18:00:00Z, RFC 3339 with offset). The result must be in the future.
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty expiry: give a duration such as 30d or 12h, or a time such as 2026-12-31")
	}
	var t time.Time
	if d, ok := parseDays(s); ok {
		t = now.Add(d)
	} else if d, err := time.ParseDuration(s); err == nil {
		t = now.Add(d)
	} else if tt, err := time.Parse(time.RFC3339, s); err == nil {
		t = tt
	} else if tt, err := time.Parse("2006-01-02", s); err == nil {
		t = tt
	} else {
		return time.Time{}, fmt.Errorf("expiry %q is neither a duration (90m, 12h, 30d, 2w) nor a time (2026-12-31 or 2026-12-31T18:00:00Z)", s)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("expiry %q is not in the future (now is %s)", s, now.UTC().Format(time.RFC3339))
	}
	return t.UTC().Truncate(time.Second), nil
}

func parseDays(s string) (time.Duration, bool) {
	if len(s) < 2 {
		return 0, false
	}
	unit := s[len(s)-1]
	var per time.Duration
	switch unit {
	case 'd':
		per = 24 * time.Hour
	case 'w':
		per = 7 * 24 * time.Hour
	default:
		return 0, false
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 || n > 3650 {
		return 0, false
	}
	return time.Duration(n) * per, true
}

// FormatExpiry is how the expiry tag stores a time.
func FormatExpiry(t time.Time) string { return t.UTC().Format(time.RFC3339) }
