package rules

// APIVersion and Kind are the only values a policy's apiVersion and kind
// may have.
const (
	APIVersion = "vigil.dev/v1"
	Kind       = "Policy"
)

// DockerDefault is the built-in profile name: Docker's default seccomp
// profile, embedded in the binary. A ProfileLoader must resolve it.
const DockerDefault = "docker-default"

// Policy is a vigil policy file.
type Policy struct {
	APIVersion string
	Kind       string
	// Seccomp is nil when the policy has no seccomp section.
	Seccomp *SeccompSection
	// Exec is nil when the policy has no exec section.
	Exec *ExecSection
	// Files is nil when the policy has no files section.
	Files *FilesSection
	// Network is nil when the policy has no network section.
	Network *NetworkSection
	// Rules is nil when the policy has no rules section: the default rule
	// pack, whole.
	Rules *RulesSection
	// User is "uid:gid", the ids the app runs as; "" keeps vigil's own.
	User string
	// Groups are the app's supplementary group ids.
	Groups []uint32
	// Capabilities are kept after the privilege drop, as written: with or
	// without the CAP_ prefix. CapabilityNames normalises them.
	Capabilities []string

	file string // name Parse was given: labels problems, anchors profile paths
	pos  positions
}

// Protect says what vigil does about the baseline's files.
type Protect string

// The protect modes.
const (
	// ProtectDetect reports changes (the default).
	ProtectDetect Protect = "detect"
	// ProtectEnforce also makes Paths read-only for the app, and vigil's
	// own files (policy, profile, baseline) unreadable, with Landlock.
	ProtectEnforce Protect = "enforce"
)

// FilesSection is file integrity: what vigil does about the image's files.
type FilesSection struct {
	// Trees are what vigil baseline records when given no path (default /).
	Trees []string
	// Protect is ProtectDetect when "".
	Protect Protect
	// Paths are the absolute paths made read-only with ProtectEnforce.
	Paths []string
	// Sensitive are files (or directories of files) whose reads are
	// reported, and, with ProtectEnforce, denied.
	Sensitive []string

	pos positions
}

// The values of rules.pack.
const (
	PackDefault = "default"
	PackOff     = "off"
)

// RulesSection says which rules of the default rule pack apply.
type RulesSection struct {
	// Pack is PackDefault (when "") or PackOff: no pack rule at all.
	Pack string
	// Disable are pack rules turned off, by name; Enable the opt-in ones
	// turned on (OptInRules).
	Disable []string
	Enable  []string

	pos positions
}

// PackOn reports whether the default rule pack applies; s may be nil.
func (s *RulesSection) PackOn() bool { return s == nil || s.Pack != PackOff }

// Disabled are the pack rules s turns off; s may be nil.
func (s *RulesSection) Disabled() []string {
	if s == nil {
		return nil
	}
	return s.Disable
}

// Enabled are the opt-in rules s turns on; s may be nil.
func (s *RulesSection) Enabled() []string {
	if s == nil {
		return nil
	}
	return s.Enable
}

// SeccompSection is the seccomp filter: a base profile, an optional default
// action override, and extra rules evaluated before the profile's.
type SeccompSection struct {
	// Profile is DockerDefault or a path to a Docker/OCI JSON profile,
	// relative to the policy file's directory. It may be empty only when
	// DefaultAction is set: the rules alone then make the filter.
	Profile string
	// DefaultAction overrides the profile's; "" keeps it.
	DefaultAction Action
	// DefaultErrno is the errno of DefaultAction errno (a number or a name
	// such as EACCES); "" means EPERM.
	DefaultErrno string
	// Rules are evaluated in order before the profile's; the first match
	// wins.
	Rules []Rule

	pos positions
}

// Rule gives the action for some syscalls, optionally only when arguments
// match.
type Rule struct {
	// Name names the rule in events; "" means seccomp.rules.<index>.
	Name string
	// Names are syscall names. They are not checked here: names the
	// architecture does not have are skipped when the filter is compiled.
	Names  []string
	Action Action
	// Errno is the errno of Action errno, a number (1..4095) or a name such
	// as EACCES; "" means EPERM.
	Errno string
	// Args must all hold for the rule to match, except that several
	// conditions on the same argument are alternatives (as in runc).
	Args []ArgCondition

	pos positions
}

// ArgCondition compares one syscall argument, as an unsigned 64-bit value.
type ArgCondition struct {
	// Index is the argument, 0..5.
	Index int
	Op    Op
	// Value is the operand; for OpMaskedEq it is the mask.
	Value uint64
	// ValueTwo is, for OpMaskedEq only, the value the masked argument must
	// equal: (arg & Value) == ValueTwo, as in the OCI spec.
	ValueTwo *uint64

	pos positions
}

// Action is what happens to a matching syscall.
type Action string

// Actions. ActionKill kills the whole process; ActionKillThread only the
// calling thread (vigil's supervisor kills the process for both).
const (
	ActionAllow      Action = "allow"
	ActionErrno      Action = "errno"
	ActionKill       Action = "kill"
	ActionKillThread Action = "kill-thread"
	ActionLog        Action = "log"
)

// Op is an argument comparison.
type Op string

// Ops, all unsigned 64-bit.
const (
	OpEq       Op = "eq"
	OpNe       Op = "ne"
	OpLt       Op = "lt"
	OpLe       Op = "le"
	OpGt       Op = "gt"
	OpGe       Op = "ge"
	OpMaskedEq Op = "masked-eq"
)
