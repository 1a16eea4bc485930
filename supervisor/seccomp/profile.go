package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/vigilsec/vigil/internal/boundedfile"
)

// DockerCapabilities is Docker's default capability set, what a container
// of `docker run` without --cap-add, --cap-drop or --privileged has.
// Resolved for it, Docker's profile keeps the rule allowing clone only
// without namespace flags and drops the CAP_SYS_ADMIN, CAP_SYS_PTRACE, …
// rules.
var DockerCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// LoadProfile reads a Docker or OCI seccomp profile from path, a regular
// file of at most MaxProfileBytes, and resolves it for caps. See
// ParseProfile.
func LoadProfile(path string, caps []string) (*specs.LinuxSeccomp, error) {
	data, err := boundedfile.Read(path, MaxProfileBytes)
	if err != nil {
		return nil, fmt.Errorf("loading seccomp profile: %w", err)
	}
	return ParseProfile(path, data, caps)
}

// ParseProfile decodes a profile with moby/profiles' loader, which resolves
// includes and excludes by the running architecture and kernel and by
// caps, the names (CAP_SYS_ADMIN) of the capability bounding set the app
// will have: Docker resolves a profile for its container's bounding set.
// name only labels errors, which carry line:column for malformed JSON.
func ParseProfile(name string, data []byte, caps []string) (*specs.LinuxSeccomp, error) {
	s, err := parseProfile(data, caps)
	if err != nil {
		return nil, fmt.Errorf("loading seccomp profile %s%s: %w", name, position(data, err), err)
	}
	if s == nil {
		return nil, fmt.Errorf("loading seccomp profile %s: %w", name, ErrEmptyProfile)
	}
	return s, nil
}

// position is ":line:column" of a JSON decoding error, or "".
func position(data []byte, err error) string {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		offset int64
	)
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	default:
		return ""
	}
	line, col := lineColumn(data, offset)
	return fmt.Sprintf(":%d:%d", line, col)
}

// lineColumn locates the byte before offset (encoding/json's offsets count
// the bytes read, including the offending one), 1-based.
func lineColumn(data []byte, offset int64) (line, col int) {
	at := int(min(max(offset-1, 0), int64(len(data))))
	before := data[:at]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = at - bytes.LastIndexByte(before, '\n')
	return line, col
}
