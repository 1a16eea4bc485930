package main

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/rules"
	"github.com/vigilsec/vigil/supervisor"
)

// The values of --rules.
const (
	rulesDefault = "default"
	rulesOff     = "off"
)

// packWanted says whether vigil run applies the rule pack: only with the
// exec watch on (it judges what the pack's exec rules match) and --rules
// not off.
func packWanted(flag string, execWatch bool) (bool, error) {
	switch flag {
	case rulesDefault:
	case rulesOff:
		return false, nil
	default:
		return false, fmt.Errorf("--rules %q: want %s or %s", flag, rulesDefault, rulesOff)
	}
	return execWatch && supervisor.SeccompNotifyAvailable(), nil
}

// loadPack is the default rule pack with the opt-in rules the policy's
// rules section (nil: none) turns on, less those it turns off; nil when it
// turns the pack off.
func loadPack(sec *rules.RulesSection) (*rules.Pack, error) {
	if !sec.PackOn() {
		return nil, nil
	}
	p, err := rules.DefaultPack()
	if err != nil {
		return nil, fmt.Errorf("bug: the default rule pack: %w", err)
	}
	if p, err = p.With(sec.Enabled()); err != nil {
		return nil, err
	}
	return p.Without(sec.Disabled())
}

// withPack puts the pack's syscall rules before spec's (nil: no filter
// yet; the pack's rules then make one that allows everything else), and
// says how many there are, with their names and severities in events.
func withPack(spec *specs.LinuxSeccomp, p *rules.Pack) (*specs.LinuxSeccomp, []string, []events.Severity) {
	rs := p.SeccompRules()
	if len(rs) == 0 {
		return spec, nil, nil
	}
	names := make([]string, len(rs))
	sevs := make([]events.Severity, len(rs))
	for i := range rs {
		names[i], sevs[i] = rs[i].Name, events.Severity(p.SeverityOf(rs[i].Name))
	}
	return rules.WithRules(spec, rs), names, sevs
}

// packState is the rule pack's state for the started event.
func packState(p *rules.Pack, want bool, flag string) string {
	switch {
	case p != nil:
		return rulesDefault + " (" + strconv.Itoa(len(p.Rules)) + " rules)"
	case flag == rulesOff:
		return rulesOff + " (--rules=off)"
	case !want:
		return rulesOff + " (the exec watch is off)"
	}
	return rulesOff + " (policy: rules.pack off)"
}
