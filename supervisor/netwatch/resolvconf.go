package netwatch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// glibc's bounds (resolv.h: MAXNS, RES_MAXRETRANS, RES_MAXRETRY).
const (
	maxServers  = 3
	maxTimeout  = 30 * time.Second
	maxAttempts = 5
)

// resolvConf is what vigil takes from resolv.conf(5): which servers to ask
// and how.
type resolvConf struct {
	servers  []netip.AddrPort
	timeout  time.Duration // 0: not set
	attempts int           // 0: not set
	useVC    bool          // options use-vc: TCP only
}

// readResolvConf reads path; a missing file is an empty one, as for libc.
func readResolvConf(path string) (resolvConf, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return resolvConf{}, nil
	}
	if err != nil {
		return resolvConf{}, fmt.Errorf("reading resolver configuration: %w", err)
	}
	defer f.Close()
	rc, err := parseResolvConf(f)
	if err != nil {
		return resolvConf{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return rc, nil
}

// parseResolvConf reads nameserver and options lines as glibc does: a
// comment starts at '#' or ';', a server that is not an IP address is
// skipped, and so is every one after the third.
func parseResolvConf(r io.Reader) (resolvConf, error) {
	var rc resolvConf
	err := eachLine(r, "#;", func(fields []string) {
		switch fields[0] {
		case "nameserver":
			rc.addServer(fields[1:])
		case "options":
			rc.setOptions(fields[1:])
		}
	})
	return rc, err
}

func (rc *resolvConf) addServer(args []string) {
	if len(args) == 0 || len(rc.servers) == maxServers {
		return
	}
	if addr, err := netip.ParseAddr(args[0]); err == nil {
		rc.servers = append(rc.servers, netip.AddrPortFrom(addr.Unmap(), 53))
	}
}

func (rc *resolvConf) setOptions(opts []string) {
	for _, opt := range opts {
		key, value, _ := strings.Cut(opt, ":")
		switch key {
		case "timeout":
			if n, ok := optionNumber(value, int(maxTimeout/time.Second)); ok {
				rc.timeout = time.Duration(n) * time.Second
			}
		case "attempts":
			if n, ok := optionNumber(value, maxAttempts); ok {
				rc.attempts = n
			}
		case "use-vc", "usevc", "tcp":
			rc.useVC = true
		}
	}
}

// optionNumber is value bounded to [1, most]: glibc makes a timeout of 0
// one second; an attempts of 0 would never ask.
func optionNumber(value string, most int) (int, bool) {
	n, err := strconv.Atoi(value)
	if err != nil {
		return 0, false
	}
	return min(max(n, 1), most), true
}

// eachLine calls fn with the fields of every line of r that has any, the
// comment (from any byte of comment on) cut off.
func eachLine(r io.Reader, comment string, fn func(fields []string)) error {
	s := bufio.NewScanner(r)
	line := 0
	for s.Scan() {
		line++
		text := s.Text()
		if i := strings.IndexAny(text, comment); i >= 0 {
			text = text[:i]
		}
		if fields := strings.Fields(text); len(fields) > 0 {
			fn(fields)
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}
