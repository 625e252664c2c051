// Package reliability holds eksaccess's reliability and security tests (issue 6): runs
// against the sandbox under faults, SIGKILL and SIGINT, concurrent runs, a corpus of
// hostile input, and a sweep of every command's output and files for the sandbox's
// secrets. It has no code of its own; see the _test.go files and testdata/corpus.
package reliability
