package linux

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// TestMem reads a string of this process's memory both ways a Mem can:
// process_vm_readv, and /proc/PID/mem, which it falls back to.
func TestMem(t *testing.T) {
	want := strings.Repeat("vigil", 2000) // crosses pages
	buf := append([]byte(want), 0)
	addr := uintptr(unsafe.Pointer(&buf[0]))
	tests := []struct {
		name    string
		giveMem func() *Mem
	}{
		{name: "process_vm_readv", giveMem: func() *Mem { return OpenMem(os.Getpid()) }},
		{name: "/proc/PID/mem", giveMem: func() *Mem {
			m := OpenMem(os.Getpid())
			if err := m.open(); err != nil {
				t.Fatal(err)
			}
			return m
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.giveMem()
			defer m.Close()
			got, complete := m.String(addr, 1<<16)
			if got != want || !complete {
				t.Errorf("String: %d bytes (complete %v), want %d", len(got), complete, len(want))
			}
			if s, complete := m.String(addr, 100); s != want[:100] || complete {
				t.Errorf("String cut at 100: %q, %v", s, complete)
			}
			if n := m.ReadAt(make([]byte, 16), 8); n != 0 {
				t.Errorf("ReadAt of an unmapped page: %d bytes, want 0", n)
			}
		})
	}
	runtime.KeepAlive(buf)
}
