package seccomp

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
)

//go:generate go run ./internal/gensyscalls zsyscalls.go

// archTable is one architecture's syscall table (zsyscalls.go, generated
// from go-seccomp-bpf's): static data, which costs nothing at start-up.
type archTable struct {
	name      string // Linux name: x86_64, aarch64, i386, arm
	auditArch uint32 // AUDIT_ARCH_*
	byNr      []sysEntry
	byName    []sysEntry
}

type sysEntry struct {
	name string
	nr   uint32
}

// number is the syscall number of name, if the architecture has it.
func (t *archTable) number(name string) (uint32, bool) {
	i := sort.Search(len(t.byName), func(i int) bool { return t.byName[i].name >= name })
	if i < len(t.byName) && t.byName[i].name == name {
		return t.byName[i].nr, true
	}
	return 0, false
}

// syscallName is the name of syscall nr, if the architecture has it.
func (t *archTable) syscallName(nr uint32) (string, bool) {
	i := sort.Search(len(t.byNr), func(i int) bool { return t.byNr[i].nr >= nr })
	if i < len(t.byNr) && t.byNr[i].nr == nr {
		return t.byNr[i].name, true
	}
	return "", false
}

// auditArchX86_64 is AUDIT_ARCH_X86_64, which the x32 ABI shares.
const auditArchX86_64 = 0xc000003e

// lookupArch finds the table of an architecture by GOARCH or Linux name;
// "" is the running one. x32 and architectures without a table are
// unsupported.
func lookupArch(name string) (*archTable, error) {
	if name == "" {
		name = runtime.GOARCH
	}
	switch strings.ToLower(name) {
	case "amd64", "x86_64":
		return &tableX86_64, nil
	case "arm64", "aarch64":
		return &tableAARCH64, nil
	case "386", "i386":
		return &tableI386, nil
	case "arm":
		return &tableARM, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedArch, name)
}
