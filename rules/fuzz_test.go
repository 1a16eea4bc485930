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
		if p.Seccomp != nil {
			if _, err := p.SeccompSpec(emptyLoader); err != nil {
				t.Fatalf("SeccompSpec: %v", err)
			}
		}
	})
}
