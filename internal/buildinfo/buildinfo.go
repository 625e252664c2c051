// Package buildinfo says which eksaccess a binary is.
package buildinfo

import "runtime/debug"

// Version is what --version prints: override (an -ldflags stamp) when set, else the module
// version (go install eksaccess@v1.2.3), else the VCS revision the binary was built from.
func Version(override string) string {
	bi, _ := debug.ReadBuildInfo() // nil when the binary carries none
	return From(override, bi)
}

// From is Version for a given build info.
func From(override string, bi *debug.BuildInfo) string {
	if override != "" && override != "dev" {
		return override
	}
	if bi == nil {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, modified, at := "", false, ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		case "vcs.time":
			at = s.Value
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "dev-" + rev
	if modified {
		v += "-dirty"
	}
	if at != "" {
		v += " (" + at + ")"
	}
	return v
}
