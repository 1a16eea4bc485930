package supervisor

import (
	"encoding/binary"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

func TestFlagNames(t *testing.T) {
	tests := []struct {
		name string
		give uint64
		want string
	}{
		{name: "one", give: syscall.CLONE_NEWUSER, want: "CLONE_NEWUSER"},
		{name: "two", give: syscall.CLONE_NEWNS | syscall.CLONE_NEWNET, want: "CLONE_NEWNS|CLONE_NEWNET"},
		{name: "unknown bits stay", give: syscall.CLONE_NEWPID | 0x1, want: "CLONE_NEWPID|0x1"},
		{name: "none", give: 0, want: "0x0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := flagNames(tt.give, cloneFlags); got != tt.want {
				t.Errorf("flagNames(%#x) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestOpenFlags(t *testing.T) {
	tests := []struct {
		give uint64
		want string
	}{
		{give: syscall.O_RDONLY, want: "O_RDONLY"},
		{give: syscall.O_WRONLY | syscall.O_CREAT | syscall.O_TRUNC, want: "O_WRONLY|O_CREAT|O_TRUNC"},
		{give: syscall.O_RDWR | syscall.O_CLOEXEC, want: "O_RDWR|O_CLOEXEC"},
	}
	for _, tt := range tests {
		if got := openFlags(tt.give); got != tt.want {
			t.Errorf("openFlags(%#x) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

// TestReadFromMemory reads strings and addresses from this process's own
// memory, through /proc/self/mem as the notifier reads the app's.
func TestReadFromMemory(t *testing.T) {
	self := os.Getpid()
	// A string that ends right before an unmapped page would still read:
	// here, one that crosses a page boundary.
	page := make([]byte, 3*4096)
	start := 4096 - int(uintptr(unsafe.Pointer(&page[0]))%4096) + 4090
	copy(page[start:], "/crosses/a/page\x00")
	if got, ok := readString(self, uintptr(unsafe.Pointer(&page[start]))); !ok || got != "/crosses/a/page" {
		t.Errorf("readString = %q, %v; want /crosses/a/page", got, ok)
	}
	if _, ok := readString(self, 0); ok {
		t.Errorf("readString(NULL) succeeded")
	}

	in4 := make([]byte, 16)
	binary.NativeEndian.PutUint16(in4, syscall.AF_INET)
	binary.BigEndian.PutUint16(in4[2:], 8080)
	copy(in4[4:], []byte{10, 0, 0, 7})
	unix := append(binary.NativeEndian.AppendUint16(nil, syscall.AF_UNIX), "/run/app.sock\x00"...)
	tests := []struct {
		name string
		give []byte
		want string
	}{
		{name: "inet", give: in4, want: "10.0.0.7:8080"},
		{name: "unix", give: unix, want: "unix:/run/app.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := readSockaddr(self, uintptr(unsafe.Pointer(&tt.give[0])), uint64(len(tt.give)))
			if !ok || got != tt.want {
				t.Errorf("readSockaddr = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}
