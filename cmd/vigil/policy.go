package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// defaultPolicy is read when present and no --policy is given.
const defaultPolicy = "/etc/vigil/policy.yaml"

// errNotYet marks policy settings this version parses but cannot apply:
// vigil refuses them rather than run with less protection than asked.
var errNotYet = errors.New("not supported yet by this version of vigil")

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

// loadFilter compiles the seccomp filter that the policy at policy and the
// profile (a path or "docker-default", replacing the policy's) ask for; nil
// when neither asks for one.
func loadFilter(policy, profile string) (*seccomp.Filter, error) {
	spec, err := seccompSpec(policy, profile)
	if err != nil || spec == nil {
		return nil, err
	}
	f, err := seccomp.Compile(spec, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", firstOf(policy, profile), err)
	}
	return f, nil
}

func seccompSpec(policy, profile string) (*specs.LinuxSeccomp, error) {
	if policy == "" {
		if profile == "" {
			return nil, nil
		}
		return seccomp.Resolve(profile)
	}
	p, err := rules.Load(policy)
	if err != nil {
		return nil, err
	}
	if p.User != "" || len(p.Groups) > 0 || len(p.Capabilities) > 0 {
		return nil, fmt.Errorf("%s: user, groups and capabilities (the privilege drop): %w", policy, errNotYet)
	}
	if profile != "" {
		if profile != seccomp.DockerDefaultName {
			if profile, err = filepath.Abs(profile); err != nil {
				return nil, err
			}
		}
		if p.Seccomp == nil {
			p.Seccomp = &rules.SeccompSection{}
		}
		p.Seccomp.Profile = profile
	}
	return p.SeccompSpec(seccomp.Resolve)
}

func firstOf(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
