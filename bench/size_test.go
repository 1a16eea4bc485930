package bench

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"testing"
)

// BenchmarkBinarySize reports the size of the vigil binary as it ships,
// after checking that it is what ships: static and stripped.
func BenchmarkBinarySize(b *testing.B) {
	path := vigilBinary(b)
	if err := checkShippable(path); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatalf("measuring the vigil binary: %v", err)
	}
	reportOnce(b, float64(fi.Size()), "binary-bytes")
}

// checkShippable fails for a binary that would not go into a FROM scratch
// image as is: one that needs a dynamic loader, or that still has its
// symbol table (and so would be measured too big).
func checkShippable(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s as ELF: %w", path, err)
	}
	defer f.Close()
	var errs []error
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			errs = append(errs, fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0", path))
		}
	}
	if f.Section(".symtab") != nil {
		errs = append(errs, fmt.Errorf("%s has a symbol table: build it with -ldflags '-s -w'", path))
	}
	return errors.Join(errs...)
}
