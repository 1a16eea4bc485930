package seccomp

import (
	moby "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func parseProfile(data []byte, caps []string) (*specs.LinuxSeccomp, error) {
	return moby.LoadProfile(string(data), dockerSpec(caps))
}

// dockerSpec is the part of a runtime spec moby's loader looks at.
func dockerSpec(caps []string) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{
		Bounding: caps, Effective: caps, Permitted: caps,
	}}}
}
