package rules

import (
	"strconv"
	"strings"
)

// Drift says what vigil does when the app executes a file that is not in
// the build-time baseline, or whose content changed since.
type Drift string

// The drift modes.
const (
	// DriftOff does not judge executions against the baseline.
	DriftOff Drift = "off"
	// DriftAlert reports them (the default when a baseline exists).
	DriftAlert Drift = "alert"
	// DriftDeny also refuses them, with Landlock: the execute right is
	// granted only on the baseline's executable files.
	DriftDeny Drift = "deny"
)

// Verdict is what vigil does with an execution a rule (or the default)
// matches.
type Verdict string

// The verdicts.
const (
	VerdictAllow Verdict = "allow" // run, not reported
	VerdictAlert Verdict = "alert" // run and reported
	VerdictDeny  Verdict = "deny"  // refused (EACCES) and reported
)

// ExecSection judges every execve and execveat of the app and its
// descendants.
type ExecSection struct {
	// Drift is "" when not set: DriftAlert with a baseline, else DriftOff
	// (see EffectiveDrift).
	Drift Drift
	// Default is what an execution no rule matches gets; "" is
	// VerdictAllow.
	Default Verdict
	// Deny rules are tried first, then Allow rules; the first match wins.
	Deny, Allow []ExecRule

	pos positions
}

// ExecRule matches an execution. Every condition that is set must hold;
// within one condition, any of its patterns may match. A rule with no
// condition is invalid.
type ExecRule struct {
	// Name names the rule in events; "" means exec.deny.<index> or
	// exec.allow.<index>.
	Name string
	// Path are globs on the resolved path of the file executed (symlinks
	// resolved): "*", "?" and "[a-z]" within one path segment, a "**"
	// segment across any number of segments, none included ("/tmp/**" is
	// /tmp and everything under it). Absolute, or starting with "**".
	Path []string
	// Program are globs on the program's name: the base name of argv[0]
	// or of the resolved path (either), so that a multi-call binary such as
	// busybox is judged by the applet it runs.
	Program []string
	// Args are globs that must each match a whole argument after argv[0]
	// (at least one each). Arguments are not paths: "*" also matches "/",
	// so that "-e*" catches "-e/bin/sh" as well as "-e".
	Args []string
	// Parent are globs on the calling program (the process that executes,
	// as it was before the exec): its name (the base name of its exe or of
	// its argv[0]) or its exe path. A script is its interpreter: its exe
	// and argv[0] are /bin/sh, not the script.
	Parent []string
	// UID are the caller's real uids, as decimal numbers or inclusive
	// "first-last" ranges, below 4294967295.
	UID []string

	pos positions
}

// ExecDefaultRule is the rule an execution no rule matches is reported
// under.
const ExecDefaultRule = "exec.default"

// EffectiveDrift is the drift mode in force: Drift when set, else
// DriftAlert when the image has a baseline and DriftOff without one. It is
// Drift as written even without a baseline (drift: deny with nothing to
// compare with): the caller decides what that means. s may be nil.
func (s *ExecSection) EffectiveDrift(haveBaseline bool) Drift {
	switch {
	case s != nil && s.Drift != "":
		return s.Drift
	case haveBaseline:
		return DriftAlert
	}
	return DriftOff
}

// EffectiveDefault is the verdict of an execution no rule matches:
// Default, or VerdictAllow when "". s may be nil.
func (s *ExecSection) EffectiveDefault() Verdict {
	if s == nil || s.Default == "" {
		return VerdictAllow
	}
	return s.Default
}

// PathOnly reports whether the rule's only condition is Path and every
// path is literal (no glob metacharacter): such a deny rule can be
// enforced without a race, by Landlock withholding the execute right,
// rather than judged from memory the caller could change.
func (r *ExecRule) PathOnly() bool {
	if len(r.Path) == 0 || len(r.Program)+len(r.Args)+len(r.Parent)+len(r.UID) > 0 {
		return false
	}
	for _, p := range r.Path {
		if strings.ContainsAny(p, metachars) {
			return false
		}
	}
	return true
}

// ruleName is the rule's name in events: Name, or exec.<list>.<index>.
func (r *ExecRule) ruleName(list string, i int) string {
	if r.Name != "" {
		return r.Name
	}
	return "exec." + list + "." + strconv.Itoa(i)
}
