package supervisor

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/linux"
	"github.com/vigilsec/vigil/supervisor/netwatch"
)

// sandboxSpec is what PID 1 tells the sandbox on its command line:
//
//	vigil __sandbox [--seccomp] [--user UID:GID] [--groups G,...] [--caps N,...]
//	    [--ro PATH]... [--hide PATH]... [--exec-only [--exec PATH]...]
//	    [--connect-tcp P,...] [--bind-tcp P,...] -- APP [ARG...]
//
// --seccomp: read the program from fd 3; --groups and --caps may be empty
// (no groups, no capabilities); capabilities are numbers; --ro, --hide,
// --exec-only, --connect-tcp and --bind-tcp are the Landlock restrictions
// (read-only, unreadable, only the --exec files may be executed, only
// those TCP ports may be connected to or bound; an empty list: none).
type sandboxSpec struct {
	seccomp          bool
	cred             linux.Credential
	readOnly, hidden []string
	execOnly         bool
	exec             []string
	tcp              netwatch.TCPPorts
	args             []string
}

func (s sandboxSpec) argv() []string {
	argv := []string{"vigil", SandboxCommand}
	if s.seccomp {
		argv = append(argv, "--seccomp")
	}
	c := s.cred
	if c.SetUser {
		argv = append(argv, "--user", fmt.Sprintf("%d:%d", c.UID, c.GID))
	}
	if c.SetGroups {
		argv = append(argv, "--groups", joinInts(c.Groups))
	}
	if c.SetCaps {
		argv = append(argv, "--caps", joinInts(c.Caps))
	}
	for _, p := range s.readOnly {
		argv = append(argv, "--ro", p)
	}
	for _, p := range s.hidden {
		argv = append(argv, "--hide", p)
	}
	if s.execOnly {
		argv = append(argv, "--exec-only")
	}
	for _, p := range s.exec {
		argv = append(argv, "--exec", p)
	}
	if s.tcp.HandleConnect {
		argv = append(argv, "--connect-tcp", joinInts(s.tcp.Connect))
	}
	if s.tcp.HandleBind {
		argv = append(argv, "--bind-tcp", joinInts(s.tcp.Bind))
	}
	return append(append(argv, "--"), s.args...)
}

func parseSandboxArgs(args []string) (sandboxSpec, error) {
	var s sandboxSpec
	for len(args) > 0 && args[0] != "--" {
		flag := args[0]
		switch flag {
		case "--seccomp":
			s.seccomp, args = true, args[1:]
			continue
		case "--exec-only":
			s.execOnly, args = true, args[1:]
			continue
		}
		if len(args) < 2 {
			return s, fmt.Errorf("flag %s needs a value", flag)
		}
		val := args[1]
		args = args[2:]
		var err error
		switch flag {
		case "--user":
			s.cred.SetUser = true
			u, g, _ := strings.Cut(val, ":")
			if s.cred.UID, err = parseID(u); err == nil {
				s.cred.GID, err = parseID(g)
			}
		case "--groups":
			s.cred.SetGroups = true
			s.cred.Groups, err = splitInts(val, parseID)
		case "--caps":
			s.cred.SetCaps = true
			s.cred.Caps, err = splitInts(val, strconv.Atoi)
		case "--ro":
			s.readOnly = append(s.readOnly, val)
		case "--hide":
			s.hidden = append(s.hidden, val)
		case "--exec":
			s.exec = append(s.exec, val)
		case "--connect-tcp":
			s.tcp.HandleConnect = true
			s.tcp.Connect, err = splitInts(val, parsePort)
		case "--bind-tcp":
			s.tcp.HandleBind = true
			s.tcp.Bind, err = splitInts(val, parsePort)
		default:
			err = fmt.Errorf("unknown flag")
		}
		if err != nil {
			return s, fmt.Errorf("%s %q: %w", flag, val, err)
		}
	}
	if len(args) < 2 || args[1] == "" {
		return s, ErrNoCommand
	}
	s.args = args[1:]
	return s, nil
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	return uint16(n), err
}

func joinInts[T uint16 | uint32 | int](v []T) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}

func splitInts[T uint16 | uint32 | int](s string, parse func(string) (T, error)) ([]T, error) {
	if s == "" {
		return nil, nil
	}
	var v []T
	for _, f := range strings.Split(s, ",") {
		n, err := parse(f)
		if err != nil {
			return nil, err
		}
		v = append(v, n)
	}
	return v, nil
}
