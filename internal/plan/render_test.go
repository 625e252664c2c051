package plan

import (
	"fmt"
	"strings"
	"testing"
)

func TestManyAlikeNotesAreSummedUp(t *testing.T) {
	var notes []string
	for i := 0; i < 40; i++ {
		notes = append(notes, fmt.Sprintf("arn:aws:iam::111122223333:user/u%02d is managed by eksaccess but no longer in the file: kept", i))
	}
	notes = append(notes, "2 entries not in the file and not managed by eksaccess: left alone")
	var b strings.Builder
	writeNotes(&b, notes, false)
	if got := strings.Count(b.String(), "\n"); got != 2 || !strings.Contains(b.String(), "note: 40 entries (arn:aws:iam::111122223333:user/u00, arn:aws:iam::111122223333:user/u01, … — all listed with -v) is managed by eksaccess") {
		t.Fatalf("summary:\n%s", b.String())
	}
	b.Reset()
	writeNotes(&b, notes, true)
	if got := strings.Count(b.String(), "\n"); got != 41 {
		t.Fatalf("-v lists every note, got %d lines", got)
	}
}
