// Package creds formats temporary AWS credentials for shells and tools (export lines, JSON,
// the credential_process protocol) and runs a command with them in its environment.
//
// Credentials only ever go to the writer a caller passes (stdout of `eksaccess assume`) or to
// a child's environment: nothing here writes them to stderr or puts them in an error.
package creds

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Credentials are temporary credentials from STS AssumeRole.
type Credentials struct {
	AccessKeyID     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey"`
	SessionToken    string    `json:"SessionToken"`
	Expiration      time.Time `json:"Expiration"`
	AssumedRoleArn  string    `json:"AssumedRoleArn"`
}

// Var is an environment variable to set besides the credentials (AWS_ENDPOINT_URL, AWS_REGION).
type Var struct {
	Name, Value string
}

// Shell is a shell dialect for export lines.
type Shell string

// Shells.
const (
	Bash       Shell = "bash"
	Zsh        Shell = "zsh"
	Fish       Shell = "fish"
	PowerShell Shell = "powershell"
)

// ParseShell accepts bash, zsh, sh, fish, powershell (pwsh).
func ParseShell(s string) (Shell, error) {
	switch strings.ToLower(s) {
	case "", "bash", "sh":
		return Bash, nil
	case "zsh":
		return Zsh, nil
	case "fish":
		return Fish, nil
	case "powershell", "pwsh":
		return PowerShell, nil
	}
	return "", fmt.Errorf("unknown shell %q: use bash, zsh, fish or powershell", s)
}

// Format is an output format of `eksaccess assume`.
type Format string

// Formats.
const (
	FormatEnv               Format = "env"
	FormatJSON              Format = "json"
	FormatCredentialProcess Format = "credential-process"
)

// ParseFormat accepts env, json and credential-process.
func ParseFormat(s string) (Format, error) {
	switch Format(strings.ToLower(s)) {
	case "", FormatEnv:
		return FormatEnv, nil
	case FormatJSON:
		return FormatJSON, nil
	case FormatCredentialProcess, "credential_process":
		return FormatCredentialProcess, nil
	}
	return "", fmt.Errorf("unknown --format %q: use env, json or credential-process", s)
}

// Unset are the variables that would override or confuse the assumed credentials: an
// explicit profile wins over environment credentials in aws-sdk-go-v2, and stale
// expiry/security-token variables mislead other tools.
var Unset = []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION"}

// Vars are the variables the credentials set, in order, followed by extra.
func Vars(c Credentials, extra ...Var) []Var {
	out := []Var{
		{"AWS_ACCESS_KEY_ID", c.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", c.SecretAccessKey},
		{"AWS_SESSION_TOKEN", c.SessionToken},
	}
	return append(out, extra...)
}

// Write prints c in format (the env format as shell, with extra variables; now dates its
// expiry comment).
func Write(w io.Writer, format Format, shell Shell, c Credentials, extra []Var, now time.Time) error {
	switch format {
	case FormatJSON:
		return WriteJSON(w, c)
	case FormatCredentialProcess:
		return WriteCredentialProcess(w, c)
	}
	return WriteEnv(w, shell, c, extra, now)
}

// WriteEnv writes lines for `eval` in shell: set the credentials and extra, unset what would
// override them, and a comment with the expiry.
func WriteEnv(w io.Writer, shell Shell, c Credentials, extra []Var, now time.Time) error {
	var b strings.Builder
	for _, v := range Vars(c, extra...) {
		switch shell {
		case Fish:
			fmt.Fprintf(&b, "set -gx %s %s;\n", v.Name, fishQuote(v.Value))
		case PowerShell:
			fmt.Fprintf(&b, "$env:%s = %s\n", v.Name, psQuote(v.Value))
		default:
			fmt.Fprintf(&b, "export %s=%s\n", v.Name, ShellQuote(v.Value))
		}
	}
	for _, name := range Unset {
		switch shell {
		case Fish:
			fmt.Fprintf(&b, "set -e %s;\n", name)
		case PowerShell:
			fmt.Fprintf(&b, "Remove-Item Env:%s -ErrorAction SilentlyContinue\n", name)
		default:
			fmt.Fprintf(&b, "unset %s\n", name)
		}
	}
	exp := c.Expiration.UTC().Format(time.RFC3339)
	// Whole minutes: STS truncates the expiry to the second, so "59m59s" would be noise.
	left := c.Expiration.Sub(now).Round(time.Minute)
	if left < time.Minute {
		left = c.Expiration.Sub(now).Round(time.Second)
	}
	fmt.Fprintf(&b, "# %s expires %s (in %s)\n", c.AssumedRoleArn, exp, left)
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonCreds struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
	AssumedRoleArn  string `json:"AssumedRoleArn"`
}

// WriteJSON writes {AccessKeyId, SecretAccessKey, SessionToken, Expiration, AssumedRoleArn}.
func WriteJSON(w io.Writer, c Credentials) error {
	return writeIndented(w, jsonCreds{c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expiration.UTC().Format(time.RFC3339), c.AssumedRoleArn})
}

type processCreds struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
}

// WriteCredentialProcess writes the JSON the AWS SDKs read from a credential_process command
// (Version 1, Expiration in RFC 3339).
func WriteCredentialProcess(w io.Writer, c Credentials) error {
	return writeIndented(w, processCreds{1, c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expiration.UTC().Format(time.RFC3339)})
}

func writeIndented(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

var safeUnquoted = regexp.MustCompile(`^[A-Za-z0-9_./:+=@%,-]+$`)

// ShellQuote quotes s for POSIX shells (bash, zsh, sh): unchanged when it has only safe
// characters, else in single quotes, each embedded quote written as quote-backslash-quote-quote.
func ShellQuote(s string) string {
	if safeUnquoted.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote quotes for fish, where \ and ' are escaped inside single quotes.
func fishQuote(s string) string {
	if safeUnquoted.MatchString(s) {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// psQuote quotes for PowerShell in double quotes, escaping its specials with a backtick.
func psQuote(s string) string {
	r := strings.NewReplacer("`", "``", `"`, "`\"", "$", "`$")
	return `"` + r.Replace(s) + `"`
}

// SessionName is the default role session name for a caller: the IAM user name, or for a
// role session its session name, or for a federated user its name; so that a shared role's
// sessions (CloudTrail, EKS audit logs) still say who did what.
func SessionName(callerArn string) string {
	parts := strings.SplitN(callerArn, ":", 6)
	name := ""
	if len(parts) == 6 {
		res := parts[5]
		switch {
		case strings.HasPrefix(res, "user/"):
			name = res[strings.LastIndex(res, "/")+1:]
		case strings.HasPrefix(res, "assumed-role/"):
			if segs := strings.Split(res, "/"); len(segs) >= 3 {
				name = segs[len(segs)-1]
			}
		case strings.HasPrefix(res, "federated-user/"):
			name = strings.TrimPrefix(res, "federated-user/")
		case res == "root":
			name = "root"
		}
	}
	return SanitizeSessionName(name)
}

var badSessionRune = regexp.MustCompile(`[^\w+=,.@-]`)

// SanitizeSessionName makes s a valid RoleSessionName: characters outside [\w+=,.@-]
// become '-', at most 64, at least 2 (an empty name becomes "eksaccess").
func SanitizeSessionName(s string) string {
	s = badSessionRune.ReplaceAllString(s, "-")
	if len(s) > 64 {
		s = s[:64]
	}
	switch len(s) {
	case 0:
		return "eksaccess"
	case 1:
		return s + "-eksaccess"
	}
	return s
}

// ValidSessionName reports whether STS accepts s as a RoleSessionName.
func ValidSessionName(s string) bool {
	return len(s) >= 2 && len(s) <= 64 && !badSessionRune.MatchString(s)
}

// ParseDuration reads a session duration as a Go duration (1h, 90m) or whole seconds, and
// checks STS's bounds (15m to 12h).
func ParseDuration(s string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.Atoi(s); err == nil {
		d = time.Duration(n) * time.Second
	} else {
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("--duration %q is not a duration: give e.g. 1h, 90m or 3600 (seconds)", s)
		}
	}
	if d%time.Second != 0 {
		return 0, fmt.Errorf("--duration %s is not a whole number of seconds", d)
	}
	if d < 15*time.Minute || d > 12*time.Hour {
		return 0, fmt.Errorf("--duration %s is out of range: STS allows 15m to 12h (and at most the role's maximum session duration)", d)
	}
	return d, nil
}

// EndpointVars point tools at endpoint (when set) and region: AWS_ENDPOINT_URL, and both
// AWS_REGION (the SDKs) and AWS_DEFAULT_REGION (the aws CLI v1 reads only that one).
func EndpointVars(endpoint, region string) []Var {
	var vars []Var
	if endpoint != "" {
		vars = append(vars, Var{Name: "AWS_ENDPOINT_URL", Value: endpoint})
	}
	if region != "" {
		vars = append(vars, Var{Name: "AWS_REGION", Value: region}, Var{Name: "AWS_DEFAULT_REGION", Value: region})
	}
	return vars
}
