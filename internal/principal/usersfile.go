package principal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits that turn "someone passed the wrong file" into a clear error rather than a flood
// of lookups: no principal ARN is longer than 2048 characters.
const (
	MaxUsersFileSize = 16 << 20
	MaxLineLen       = 4096
)

// FileOptions tune ReadUsersFile.
type FileOptions struct {
	// Partition is the caller's partition when known: an ARN from another partition can
	// never be granted on the caller's clusters, so it is a problem.
	Partition string
}

// UsersFile is a parsed users file.
type UsersFile struct {
	Name string
	Refs []Ref // one per distinct principal, in file order, first occurrence kept
	// Duplicates are informational: lines that repeat an earlier principal and were dropped.
	Duplicates []Problem
}

// ParseUsersFile reads a users file: one principal per line (IAM user name, role/NAME,
// role/PATH/NAME or ARN). It accepts a UTF-8 BOM, CRLF or lone-CR line ends, a missing final
// newline, blank lines, surrounding whitespace, whole-line "# …" comments and trailing
// " # …" comments (the # must follow whitespace), and drops duplicates. Anything else is
// collected into an *InputError listing every bad line as FILE:LINE; so is a file without
// any principal.
func ParseUsersFile(name string, r io.Reader) ([]Ref, error) {
	uf, err := ReadUsersFile(name, r, FileOptions{})
	if err != nil {
		return nil, err
	}
	return uf.Refs, nil
}

// ReadUsersFile is ParseUsersFile with options, also returning the duplicates it dropped.
// On an *InputError the returned UsersFile still holds the good lines.
func ReadUsersFile(name string, r io.Reader, opts FileOptions) (*UsersFile, error) {
	uf := &UsersFile{Name: name}
	var ie InputError
	data, err := io.ReadAll(io.LimitReader(r, MaxUsersFileSize+1))
	if err != nil {
		// An unreadable users file (a directory, an I/O error) is bad input like a bad line:
		// report it as FILE: … (exit 2), without repeating the path the *PathError holds.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		ie.Add(FileSource(name, 0), "cannot read the users file: %v: check the file exists and is readable", err)
		return uf, &ie
	}
	if len(data) > MaxUsersFileSize {
		ie.Add(FileSource(name, 0), "the file is larger than %d MiB: a users file lists one principal per line; check the file name", MaxUsersFileSize>>20)
		return uf, &ie
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		ie.Add(FileSource(name, 0), "the file is UTF-16 encoded: save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)")
		return uf, &ie
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))

	first := map[string]int{} // dedupe key → line of first occurrence
	for n, text := range splitLines(data) {
		src := FileSource(name, n+1)
		raw, msg := cleanLine(text)
		if msg != "" {
			ie.Add(src, "%s", msg)
			continue
		}
		if raw == "" {
			continue
		}
		t, err := ParseRef(raw)
		if err != nil {
			ie.Add(src, "%v", err)
			continue
		}
		if t.Kind == RefARN && opts.Partition != "" && t.ARN.Partition != opts.Partition {
			ie.Add(src, "%s is in partition %s, but your credentials are in %s: grant it with credentials for %s, or use the principal's %s ARN",
				raw, t.ARN.Partition, opts.Partition, t.ARN.Partition, opts.Partition)
			continue
		}
		k := t.key()
		if l, dup := first[k]; dup {
			uf.Duplicates = append(uf.Duplicates, Problem{Source: src, Msg: fmt.Sprintf("%s repeats line %d; the repeat is ignored", raw, l)})
			continue
		}
		first[k] = n + 1
		uf.Refs = append(uf.Refs, Ref{Raw: raw, Source: src})
	}
	if len(uf.Refs) == 0 && len(ie.Problems) == 0 {
		ie.Add(FileSource(name, 0), "no principals in the file (only blank lines and comments): list one IAM user name, role/NAME or ARN per line")
	}
	return uf, ie.Err()
}

// splitLines splits at \n, \r\n and a lone \r (old Mac editors), so line numbers match what
// an editor shows. A final line without a newline is kept.
func splitLines(data []byte) [][]byte {
	var lines [][]byte
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			lines = append(lines, data)
			break
		}
		lines = append(lines, data[:i])
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return lines
}

// cleanLine strips comments and surrounding whitespace from one line. It returns the
// principal text ("" for a blank or comment line) or, for a line no principal can be read
// from, a message saying what is wrong and what to do.
func cleanLine(b []byte) (string, string) {
	switch {
	case bytes.IndexByte(b, 0) >= 0:
		return "", "the line contains a NUL byte, so this looks like a binary file: give a text file with one principal per line"
	case !utf8.Valid(b):
		return "", "the line is not valid UTF-8: save the file as UTF-8"
	case len(b) > MaxLineLen:
		return "", fmt.Sprintf("the line is %d bytes long, more than any principal (limit %d): check that this is a users file", len(b), MaxLineLen)
	}
	s := string(b)
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			s = s[:i]
			break
		}
	}
	s = strings.TrimFunc(s, unicode.IsSpace)
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return "", fmt.Sprintf("%q contains %s: put one principal per line, and start comments with \" #\"", clip(s), describeRune(s, i, r))
	}
	return s, ""
}
