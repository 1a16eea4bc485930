package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// defaultPolicy is read when present and no --policy is given.
const defaultPolicy = "/etc/vigil/policy.yaml"

// policyPath is the policy to read: flag or variable, else the default
// when it exists, else none.
func policyPath(given string) string {
	if given != "" {
		return given
	}
	if _, err := os.Stat(defaultPolicy); err == nil {
		return defaultPolicy
	}
	return ""
}

// guard is what the policy and the flags ask vigil to apply to the app.
type guard struct {
	// filter is nil when neither the policy nor the flags ask for one.
	filter *seccomp.Filter
	// ruleNames name the filter's rules in events.
	ruleNames []string
	cred      supervisor.Credential
	// readOnly are the trees the policy makes read-only (files.protect:
	// enforce); own are vigil's files the app must not read then.
	readOnly, own []string
	// sensitive are the files whose reads are reported (and, with
	// enforce, denied).
	sensitive []string
	// seccompCaps are the capabilities the profile's includes and
	// excludes were resolved for; nil when no profile was loaded.
	seccompCaps []string
	// exec is the policy's exec section, nil without one.
	exec *rules.ExecSection
	// network is the policy's network section, nil without one.
	network *rules.NetworkSection
	// profileFile is the seccomp profile's file: "" for none, or the
	// built-in one's name.
	profileFile string
	// pack is the rule pack in force, nil for none; its syscall rules are
	// the filter's first packRules rules, severities their events'.
	pack       *rules.Pack
	packRules  int
	severities []events.Severity
}

// loadGuard reads the policy at policy (none when "") and the profile (a
// path or "docker-default", replacing the policy's) and compiles what they
// ask for, with the rule pack when pack is set and the policy keeps it.
func loadGuard(policy, profile string, pack bool) (guard, error) {
	var g guard
	var p *rules.Policy
	var err error
	if policy != "" {
		if p, err = rules.Load(policy); err != nil {
			return g, err
		}
		g.cred = credential(p)
		g.exec, g.network = p.Exec, p.Network
		if p.Files != nil {
			g.sensitive = p.Files.Sensitive
		}
		if f := p.Files; f != nil && f.Protect == rules.ProtectEnforce {
			g.readOnly = f.Paths
			g.own = append(g.own, f.Sensitive...)
			g.own = append(g.own, policy)
			if prof := p.ProfilePath(); prof != "" && prof != seccomp.DockerDefaultName {
				g.own = append(g.own, prof)
			}
		}
	}
	load := func(prof string) (*specs.LinuxSeccomp, error) {
		caps, err := seccompCaps(g.cred)
		if err != nil {
			return nil, err
		}
		g.seccompCaps = caps
		return seccomp.Resolve(prof, caps)
	}
	g.profileFile = profile
	if profile == "" && p != nil {
		g.profileFile = p.ProfilePath()
	}
	if pack {
		var sec *rules.RulesSection
		if p != nil {
			sec = p.Rules
		}
		if g.pack, err = loadPack(sec); err != nil {
			return g, err
		}
	}
	spec, err := seccompSpec(p, profile, load)
	if err != nil {
		return g, err
	}
	if g.pack != nil {
		spec, g.ruleNames, g.severities = withPack(spec, g.pack)
		g.packRules = len(g.ruleNames)
	}
	if spec == nil {
		return g, nil
	}
	if g.filter, err = seccomp.Compile(spec, ""); err != nil {
		return g, fmt.Errorf("%s: %w", firstOf(policy, profile, "the rule pack"), err)
	}
	for i := range spec.Syscalls[g.packRules:] {
		name := rules.ProfileRuleName(i)
		if p != nil {
			name = p.SeccompRuleName(i)
		}
		g.ruleNames = append(g.ruleNames, name)
	}
	return g, nil
}

// describe says what g applies, for vigil check.
func (g guard) describe() []string {
	var what []string
	if f := g.filter; f == nil {
		what = append(what, "no seccomp filter")
	} else {
		s := fmt.Sprintf("seccomp filter for %s, %d instructions", f.Arch, len(f.Program))
		if len(f.Unknown) > 0 {
			// Docker's profile names every architecture's syscalls: normal.
			s += fmt.Sprintf(", %d syscall names unknown on %s skipped", len(f.Unknown), f.Arch)
		}
		what = append(what, s)
	}
	if g.seccompCaps != nil {
		what = append(what, fmt.Sprintf("profile resolved for capabilities %v (%s)", g.seccompCaps, capsSource(g.cred)))
	}
	c := g.cred
	if c.SetUser {
		what = append(what, fmt.Sprintf("runs as %d:%d", c.UID, c.GID))
	}
	if c.SetGroups {
		what = append(what, fmt.Sprintf("groups %v", c.Groups))
	}
	if c.SetCaps {
		names := make([]string, len(c.Caps))
		for i, n := range c.Caps {
			names[i] = linux.CapName(n)
		}
		what = append(what, fmt.Sprintf("capabilities %v", names))
	}
	if len(g.readOnly) > 0 {
		what = append(what, fmt.Sprintf("read-only for the app %v", g.readOnly))
	}
	if len(g.sensitive) > 0 {
		what = append(what, fmt.Sprintf("sensitive %v", g.sensitive))
	}
	if g.pack != nil {
		what = append(what, fmt.Sprintf("rule pack: %d rules and %d built-in, %d off", len(g.pack.Rules), len(rules.BuiltinRules)-len(g.pack.Off), len(g.pack.Off)))
	}
	if x := g.exec; x != nil {
		drift := string(x.Drift)
		if drift == "" {
			drift = "alert with a baseline, else off"
		}
		what = append(what, fmt.Sprintf("exec drift %s, default %s, %d deny and %d allow rules", drift, x.EffectiveDefault(), len(x.Deny), len(x.Allow)))
	}
	if n := g.network; n != nil {
		what = append(what, fmt.Sprintf("network egress %s, ingress %s", direction(n, rules.DirectionEgress), direction(n, rules.DirectionIngress)))
	}
	return what
}

// seccompSpec is the filter p (nil for none) and the profile ask for, the
// profile loaded by load.
func seccompSpec(p *rules.Policy, profile string, load rules.ProfileLoader) (*specs.LinuxSeccomp, error) {
	if p == nil {
		if profile == "" {
			return nil, nil
		}
		return load(profile)
	}
	if profile != "" {
		if profile != seccomp.DockerDefaultName {
			var err error
			if profile, err = filepath.Abs(profile); err != nil {
				return nil, err
			}
		}
		if p.Seccomp == nil {
			p.Seccomp = &rules.SeccompSection{}
		}
		p.Seccomp.Profile = profile
	}
	return p.SeccompSpec(load)
}

// seccompCaps are the capabilities a profile's includes and excludes by
// caps are resolved for: the bounding set the app will have, as Docker
// resolves its profile for a container's bounding set (under a non-root
// --user too, whose effective set is empty). That is vigil's own, cut to
// the policy's capabilities when it sets them: the sandbox drops every
// other one from the app's bounding set, so a rule they would allow could
// only let through a call the kernel then refuses, unreported.
func seccompCaps(c supervisor.Credential) ([]string, error) {
	bnd, err := linux.BoundingSet()
	if err != nil {
		return nil, fmt.Errorf("reading the capabilities to resolve the seccomp profile for: %w", err)
	}
	if c.SetCaps {
		bnd = slices.DeleteFunc(bnd, func(cp int) bool { return !slices.Contains(c.Caps, cp) })
	}
	return linux.CapNames(bnd), nil
}

// capsSource says where seccompCaps took its set from, for vigil check.
func capsSource(c supervisor.Credential) string {
	if c.SetCaps {
		return "vigil's bounding set and the policy's capabilities"
	}
	return "vigil's bounding set"
}

// credential is the privilege drop p asks for; Validate has checked it.
func credential(p *rules.Policy) supervisor.Credential {
	var c supervisor.Credential
	c.UID, c.GID, c.SetUser = p.UserIDs()
	c.Groups, c.SetGroups = p.Groups, p.SetsGroups()
	c.SetCaps = p.SetsCapabilities()
	for _, name := range p.CapabilityNames() {
		if n, ok := linux.CapNumber(name); ok {
			c.Caps = append(c.Caps, n)
		}
	}
	return c
}

func firstOf(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
