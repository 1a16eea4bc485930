package rules

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestErrnoNumbers checks the errno table against the kernel headers'
// numbers, as x/sys knows them.
func TestErrnoNumbers(t *testing.T) {
	aliases := map[string]string{"EOPNOTSUPP": "ENOTSUP"}
	for name, v := range errnos {
		want := name
		if a, ok := aliases[name]; ok {
			want = a
		}
		if got := unix.ErrnoName(unix.Errno(v)); got != want {
			t.Errorf("errno %s = %d, which is %s", name, v, got)
		}
	}
}
