package filewatch

import "testing"

func TestIsUnder(t *testing.T) {
	for _, tt := range []struct {
		path, dir string
		want      bool
	}{
		{"/var/cache", "/var/cache", true},
		{"/var/cache/x", "/var/cache", true},
		{"/var/cache/x", "/var/cache/", true},
		{"/var/cache2", "/var/cache", false},
		{"/etc", "/", true},
		{"/", "/", true},
		{"/var", "/var/cache", false},
	} {
		if got := IsUnder(tt.path, tt.dir); got != tt.want {
			t.Errorf("IsUnder(%q, %q) = %v, want %v", tt.path, tt.dir, got, tt.want)
		}
	}
}
