package principal

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

type refLine struct {
	raw  string
	line int
}

func refLines(refs []Ref) []refLine {
	var out []refLine
	for _, r := range refs {
		out = append(out, refLine{r.Raw, r.Source.Line})
	}
	return out
}

func problemStrings(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestReadUsersFileGood(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []refLine
		dups  []string
	}{
		{"plain", "alice\nbob\n", []refLine{{"alice", 1}, {"bob", 2}}, nil},
		{"no final newline", "alice\nbob", []refLine{{"alice", 1}, {"bob", 2}}, nil},
		{"CRLF", "alice\r\nbob\r\n", []refLine{{"alice", 1}, {"bob", 2}}, nil},
		{"CRLF without final newline", "alice\r\nbob", []refLine{{"alice", 1}, {"bob", 2}}, nil},
		{"lone CR", "alice\rbob\r", []refLine{{"alice", 1}, {"bob", 2}}, nil},
		{"mixed endings", "alice\r\n\rbob\ncarol", []refLine{{"alice", 1}, {"bob", 3}, {"carol", 4}}, nil},
		{"BOM", "\ufeffalice\nbob\n", []refLine{{"alice", 1}, {"bob", 2}}, nil},
		{"whitespace", "  alice\t\n\tbob  \n \u00a0carol\u00a0\n", []refLine{{"alice", 1}, {"bob", 2}, {"carol", 3}}, nil},
		{"blank lines", "\n\n  \nalice\n\t\n\nbob\n\n", []refLine{{"alice", 4}, {"bob", 7}}, nil},
		{"comments", "# team A\nalice # lead\nbob\t# on leave\n   # indented comment\nrole/EKSFullAccessRole #\n", []refLine{{"alice", 2}, {"bob", 3}, {"role/EKSFullAccessRole", 5}}, nil},
		{"hash inside a role path is not a comment", "arn:aws:iam::111122223333:role/a#b/r\n", []refLine{{"arn:aws:iam::111122223333:role/a#b/r", 1}}, nil},
		{"duplicates", "alice\nbob\nalice\nAlice # same IAM user\nrole/r\nrole/r\n", []refLine{{"alice", 1}, {"bob", 2}, {"role/r", 5}},
			[]string{"users.txt:3: alice repeats line 1; the repeat is ignored", "users.txt:4: Alice repeats line 1; the repeat is ignored", "users.txt:6: role/r repeats line 5; the repeat is ignored"}},
		{"all forms", "alice\nrole/EKSFullAccessRole\nrole/team/apps/dev-role\narn:aws:iam::111122223333:user/eng/bob\narn:aws:iam::444455556666:role/x\n",
			[]refLine{{"alice", 1}, {"role/EKSFullAccessRole", 2}, {"role/team/apps/dev-role", 3}, {"arn:aws:iam::111122223333:user/eng/bob", 4}, {"arn:aws:iam::444455556666:role/x", 5}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			uf, err := ReadUsersFile("users.txt", strings.NewReader(tc.input), FileOptions{Partition: "aws"})
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got := refLines(uf.Refs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("refs = %v, want %v", got, tc.want)
			}
			for _, r := range uf.Refs {
				if r.Source.File != "users.txt" {
					t.Errorf("source file %q", r.Source.File)
				}
			}
			if got := problemStrings(uf.Duplicates); !reflect.DeepEqual(got, tc.dups) {
				t.Errorf("duplicates = %q, want %q", got, tc.dups)
			}
		})
	}
}

func TestReadUsersFileBad(t *testing.T) {
	tests := []struct {
		name  string
		input string
		opts  FileOptions
		want  []string
		good  []refLine // the good lines still returned
	}{
		{"empty", "", FileOptions{}, []string{"users.txt: no principals in the file (only blank lines and comments): list one IAM user name, role/NAME or ARN per line"}, nil},
		{"only comments", "\ufeff# nobody yet\r\n\r\n", FileOptions{}, []string{"users.txt: no principals in the file (only blank lines and comments): list one IAM user name, role/NAME or ARN per line"}, nil},
		{"every bad line listed", "alice\nbad!name\nbob smith\n" + strings.Repeat("x", 65) + "\nrole/\narn:aws:iam::111122223333:policy/p\ncarol\nuser#1\n", FileOptions{}, []string{
			`users.txt:2: user name "bad!name" contains '!': IAM names use only letters, digits and + = , . @ _ -`,
			`users.txt:3: "bob smith" contains a space: put one principal per line, and start comments with " #"`,
			`users.txt:4: user name "` + strings.Repeat("x", 20) + `…" is 65 characters long: IAM allows at most 64`,
			`users.txt:5: "role/": empty role name: IAM role names have 1 to 64 characters`,
			`users.txt:6: invalid ARN "arn:aws:iam::1111222…": "policy" is not an IAM user or role: principal ARNs look like arn:aws:iam::111122223333:user/NAME or arn:aws:iam::111122223333:role/NAME`,
			`users.txt:8: user name "user#1" contains '#': IAM names use only letters, digits and + = , . @ _ -; a comment needs a space before the # (alice # note)`,
		}, []refLine{{"alice", 1}, {"carol", 7}}},
		{"tab inside", "alice\tbob\n", FileOptions{}, []string{`users.txt:1: "alice\tbob" contains a tab: put one principal per line, and start comments with " #"`}, nil},
		{"NUL bytes", "alice\nbo\x00b\n", FileOptions{}, []string{"users.txt:2: the line contains a NUL byte, so this looks like a binary file: give a text file with one principal per line"}, []refLine{{"alice", 1}}},
		{"not UTF-8", "alice\n\xffbob\n", FileOptions{}, []string{"users.txt:2: the line is not valid UTF-8: save the file as UTF-8"}, []refLine{{"alice", 1}}},
		{"absurd line", "alice\n" + strings.Repeat("a", 5000) + "\n", FileOptions{}, []string{"users.txt:2: the line is 5000 bytes long, more than any principal (limit 4096): check that this is a users file"}, []refLine{{"alice", 1}}},
		{"UTF-16", "\xff\xfea\x00l\x00", FileOptions{}, []string{"users.txt: the file is UTF-16 encoded: save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)"}, nil},
		{"other partition", "arn:aws-cn:iam::111122223333:user/alice\narn:aws:iam::111122223333:user/bob\n", FileOptions{Partition: "aws"}, []string{
			"users.txt:1: arn:aws-cn:iam::111122223333:user/alice is in partition aws-cn, but your credentials are in aws: grant it with credentials for aws-cn, or use the principal's aws ARN",
		}, []refLine{{"arn:aws:iam::111122223333:user/bob", 2}}},
		{"partition unknown is not checked", "arn:aws-cn:iam::111122223333:user/alice\n", FileOptions{}, nil, []refLine{{"arn:aws-cn:iam::111122223333:user/alice", 1}}},
		{"zero-width space", "al\u200bice\n", FileOptions{}, []string{`users.txt:1: user name "al\u200bice" contains an invisible zero-width character: IAM names use only letters, digits and + = , . @ _ -`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			uf, err := ReadUsersFile("users.txt", strings.NewReader(tc.input), tc.opts)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
			} else {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("error %v (%T), want *InputError", err, err)
				}
				if got := problemStrings(ie.Problems); !reflect.DeepEqual(got, tc.want) {
					t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
				}
			}
			if got := refLines(uf.Refs); !reflect.DeepEqual(got, tc.good) {
				t.Errorf("good refs = %v, want %v", got, tc.good)
			}
		})
	}
}

func TestParseUsersFile(t *testing.T) {
	refs, err := ParseUsersFile("u.txt", strings.NewReader("alice\r\nalice\r\nbob"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Ref{{Raw: "alice", Source: FileSource("u.txt", 1)}, {Raw: "bob", Source: FileSource("u.txt", 3)}}
	if !reflect.DeepEqual(refs, want) {
		t.Errorf("refs = %+v, want %+v", refs, want)
	}
	refs, err = ParseUsersFile("u.txt", strings.NewReader("ok\nbad!\n"))
	if refs != nil || errString(err) != `u.txt:2: user name "bad!" contains '!': IAM names use only letters, digits and + = , . @ _ -` {
		t.Errorf("bad file: %v, %v", refs, err)
	}
}

func TestReadUsersFileTooLarge(t *testing.T) {
	big := strings.NewReader(strings.Repeat("alice\n", MaxUsersFileSize/6+1))
	_, err := ReadUsersFile("big.txt", big, FileOptions{})
	if got, want := errString(err), "big.txt: the file is larger than 16 MiB: a users file lists one principal per line; check the file name"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}
