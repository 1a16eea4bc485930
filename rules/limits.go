package rules

// The limits of a policy (docs/policy.md, "Limits"). A policy is read by
// PID 1 before the app starts: what it may make vigil build must stay
// proportional to a file a person writes, whatever the file holds. Each
// limit is far above what a real policy needs, and an error names it.
const (
	// MaxPolicyBytes caps a policy file. The YAML parser builds a node of
	// about 200 bytes for each item, and an item can be 2 bytes of text
	// ("a,"): at this size vigil check peaks at 35 MB (measured; 3.4 GB
	// for 8.5 MB before any limit). vigil's example policy is 670 bytes,
	// 4096 one-line rules 130 KiB.
	MaxPolicyBytes = 256 << 10

	// maxRules caps seccomp.rules: the kernel takes at most 4096 BPF
	// instructions in a filter, and each rule needs at least one.
	maxRules = 4096
	// maxItems caps every other list (names, args, paths, sensitive,
	// trees, groups, capabilities).
	maxItems = 4096
	// maxString caps every string: PATH_MAX.
	maxString = 4096
	// maxProblems caps the problems reported: past it, a file is not a
	// policy with typos, and printing each would flood the terminal.
	maxProblems = 100
)
