package netwatch

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// readHosts returns the addresses path, a hosts(5) file, gives the names
// (canonical, see [canonicalName]) that it has; a missing file has none.
func readHosts(path string, names []string) (map[string][]netip.Addr, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading hosts: %w", err)
	}
	defer f.Close()
	hosts, err := parseHosts(f, func(name string) bool { _, ok := slices.BinarySearch(names, name); return ok })
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return hosts, nil
}

// parseHosts returns the addresses of the names that want wants, as glibc's
// files backend gives them: of every line that has the name, as canonical
// name or alias, in the order of the file (at most maxAddrs). A comment
// starts at '#'; a line whose address does not parse is skipped. Names
// compare in ASCII lower case without a trailing dot; addresses lose their
// zone and IPv4-mapped IPv6 becomes IPv4, as in [Names.Lookup].
func parseHosts(r io.Reader, want func(name string) bool) (map[string][]netip.Addr, error) {
	hosts := make(map[string][]netip.Addr)
	err := eachLine(r, "#", func(fields []string) {
		addr, err := netip.ParseAddr(fields[0])
		if err != nil {
			return
		}
		addr = addrKey(addr)
		for _, name := range fields[1:] {
			name = lowerASCII(strings.TrimSuffix(name, "."))
			if want(name) && len(hosts[name]) < maxAddrs && !slices.Contains(hosts[name], addr) {
				hosts[name] = append(hosts[name], addr)
			}
		}
	})
	return hosts, err
}

// canonicalNames returns names in canonical form, sorted and without
// duplicates, and a problem for each that is not a host name.
func canonicalNames(names []string) ([]string, []error) {
	var errs []error
	out := make([]string, 0, len(names))
	for _, s := range names {
		name, err := canonicalName(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return slices.Compact(out), errs
}

// canonicalName is s in ASCII lower case without its trailing dot, if s is
// a host name: what [Names] keeps and compares.
func canonicalName(s string) (string, error) {
	name := lowerASCII(strings.TrimSuffix(s, "."))
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("DNS name %q: %w", s, err)
	}
	return name, nil
}

func checkName(name string) error {
	if _, err := netip.ParseAddr(name); err == nil {
		return errors.New("an IP address, not a name")
	}
	if len(name) > 253 {
		return errors.New("longer than 253 characters")
	}
	labels := strings.Split(name, ".")
	for _, label := range labels {
		if err := checkLabel(label); err != nil {
			return err
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return errors.New("all digits at the end: libc takes it for an IPv4 address")
	}
	return nil
}

func checkLabel(label string) error {
	switch {
	case label == "":
		return errors.New("an empty label")
	case label == "*":
		return errors.New("a wildcard: only names that resolve can be kept")
	case len(label) > 63:
		return fmt.Errorf("label %q longer than 63 characters", label)
	case label[0] == '-' || label[len(label)-1] == '-':
		return fmt.Errorf("label %q begins or ends with '-'", label)
	}
	for _, c := range label {
		if c >= 0x80 {
			return fmt.Errorf("label %q is not ASCII: write an internationalized name in its xn-- form", label)
		}
		if !isNameChar(byte(c)) {
			return fmt.Errorf("label %q has %q: letters, digits, '-' and '_' only", label, c)
		}
	}
	return nil
}

func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// lowerASCII is s with A-Z in lower case and every other byte as it is:
// DNS compares names so (strings.ToLower would also fold the Kelvin sign
// into a k).
func lowerASCII(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
