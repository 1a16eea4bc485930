package seccomp

import (
	_ "embed"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DockerDefaultName is the name of the built-in copy of Docker's default
// profile, usable wherever a profile path is.
const DockerDefaultName = "docker-default"

// dockerDefault is Docker's default profile (moby/profiles, Apache 2.0).
//
//go:embed profiles/docker-default.json
var dockerDefault []byte

// Resolve loads the profile named by nameOrPath, DockerDefaultName or a
// path to a Docker/OCI JSON profile, resolved for the capabilities caps
// (see ParseProfile).
func Resolve(nameOrPath string, caps []string) (*specs.LinuxSeccomp, error) {
	if nameOrPath == DockerDefaultName {
		s, err := ParseProfile(DockerDefaultName, dockerDefault, caps)
		if err != nil {
			return nil, fmt.Errorf("bug: the built-in profile: %w", err)
		}
		return s, nil
	}
	return LoadProfile(nameOrPath, caps)
}
