// Package rules is vigil's policy format: the Go types of the YAML policy
// file (apiVersion vigil.dev/v1, kind Policy), its loader and validator, its
// JSON Schema, the translation of its seccomp section into the OCI
// LinuxSeccomp the supervisor compiles, and the matchers of its exec
// section.
//
// # Errors
//
// Load and Parse report every problem of a policy at once, joined with
// errors.Join, one Problem per line formatted "file:line:column: what is
// wrong", in file order. Each Problem matches ErrInvalid. Decoding is strict:
// an unknown key, a duplicate key, a value of the wrong type, an anchor or a
// second YAML document are problems too, so that a typo never silently
// weakens a policy.
//
// # Seccomp
//
// The seccomp section names a base profile (DockerDefault or a Docker/OCI
// JSON file) and extra rules. SeccompSpec loads the profile through a
// caller-supplied ProfileLoader, so this package does not depend on the
// supervisor, prepends the extra rules (the first matching rule wins) and
// applies the defaultAction override.
//
// # Exec
//
// The exec section judges executions: ExecSection.Compile makes an
// ExecJudge, whose Judge tries the deny rules, then the allow rules, then
// the default, without allocating. Its globs are path globs ("*" within a
// segment, "**" across segments), except for arguments, where "/" is an
// ordinary character.
package rules
