package supervisor

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/seccomp"
)

// A concern is a part of the guard that asks the filter to report calls
// the profile allows (files: who changes them; exec: what runs), and
// answers them. The notify loop dispatches each such call by its name to
// the concern that asked for it, and knows nothing of their rules.
type concern interface {
	// calls are what the concern asks the filter to report.
	calls() []specs.LinuxSyscall
	// handle answers one held call of a name calls gave.
	handle(n *notifier, req *linux.SeccompNotif, name string)
}

// watchConcerns makes cfg's filter report what each concern asks for (a
// filter that allows everything when cfg had none), and returns the
// concerns by call name.
func watchConcerns(cfg *Config, concerns ...concern) (map[string]concern, error) {
	var calls []specs.LinuxSyscall
	byName := map[string]concern{}
	for _, c := range concerns {
		for _, sc := range c.calls() {
			calls = append(calls, sc)
			for _, name := range sc.Names {
				byName[name] = c
			}
		}
	}
	if len(calls) == 0 {
		return nil, nil
	}
	if cfg.Seccomp == nil {
		f, err := seccomp.Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, "")
		if err != nil {
			return nil, err
		}
		cfg.Seccomp = f
	}
	return byName, cfg.Seccomp.Watch(calls)
}
