package rules

import (
	"os"
	"path/filepath"
	"testing"
)

func testdataFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", name))
}

// FuzzParse: Parse never panics, returns a policy or an error, and a policy
// it accepts validates, converts and compiles.
func FuzzParse(f *testing.F) {
	for _, e := range examples {
		f.Add([]byte(e.give))
	}
	if data, err := testdataFile("example.yaml"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one", p, err)
		}
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate rejects: %v", err)
		}
		j, err := p.Exec.Compile()
		if err != nil {
			t.Fatalf("Parse accepted an exec section Compile rejects: %v", err)
		}
		j.Judge(&ExecCall{Path: "/usr/bin/nc", Argv: []string{"nc", "-e", "/bin/sh"}, ParentExe: "/usr/sbin/nginx", ParentArgv0: "nginx"})
		checkNetwork(t, p.Network)
		if p.Seccomp != nil {
			if _, err := p.SeccompSpec(emptyLoader); err != nil {
				t.Fatalf("SeccompSpec: %v", err)
			}
		}
	})
}

// checkNetwork fails when a network section Parse accepted holds what the
// judge cannot compile: every destination and port must parse again.
func checkNetwork(t *testing.T, s *NetworkSection) {
	if s == nil {
		return
	}
	for _, d := range []*NetDirection{s.Egress, s.Ingress} {
		if d == nil {
			continue
		}
		for _, r := range append(append([]NetRule{}, d.Deny...), d.Allow...) {
			for _, p := range r.Peers() {
				if _, err := ParseDestination(p); err != nil {
					t.Fatalf("Parse accepted destination %q: %v", p, err)
				}
			}
			for _, p := range r.Ports {
				if _, err := ParsePortRange(p); err != nil {
					t.Fatalf("Parse accepted port %q: %v", p, err)
				}
			}
		}
	}
}

// FuzzNetworkItems: a destination or port either parses to one kind of
// thing or is an error, and never panics.
func FuzzNetworkItems(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "::ffff:10.0.0.0/104", "db.example.com.", "unix:/run/*.sock", "unix:@x", "fe80::1%eth0", "443", "8000-8100", "1-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDestination(s); err == nil {
			kinds := 0
			for _, set := range []bool{d.Prefix.IsValid(), d.Name != "", d.Unix != ""} {
				if set {
					kinds++
				}
			}
			if kinds != 1 || d.Prefix.IsValid() && d.Prefix.Addr().Is4In6() && d.Prefix.Bits() >= 96 {
				t.Fatalf("ParseDestination(%q) = %+v: want exactly one kind, unmapped", s, d)
			}
		}
		if r, err := ParsePortRange(s); err == nil && r.First > r.Last {
			t.Fatalf("ParsePortRange(%q) = %+v", s, r)
		}
	})
}
