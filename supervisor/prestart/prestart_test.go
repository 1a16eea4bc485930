package prestart

import "testing"

func TestWanted(t *testing.T) {
	t.Setenv("VIGIL_POLICY", "")
	t.Setenv("VIGIL_SECCOMP_PROFILE", "")
	t.Setenv("VIGIL_EXEC_WATCH", "")
	const off = "--exec-watch=false"
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"--", "app"}, true}, // the exec watch is on by default
		{[]string{off, "--", "app"}, false},
		{[]string{"--exec-watch=true", "--", "app"}, true},
		{[]string{off, "--group", "app"}, false},
		{[]string{off, "--policy", "p.yaml", "--", "app"}, true},
		{[]string{off, "--grace=5s", "--seccomp-profile=docker-default", "app"}, true},
		{[]string{off, "--policy"}, false},                        // no value: a flag error
		{[]string{off, "--", "app", "--policy", "p.yaml"}, false}, // the app's
		{[]string{off, "app", "--seccomp-profile", "x"}, false},   // the app's
		{[]string{off, "--policyx", "p.yaml", "app"}, false},      // another flag
		{[]string{off, "--log-level", "debug", "app"}, false},     // a value, not the app
		{[]string{"--", "app", off}, true},                        // the app's
	}
	for _, tt := range tests {
		if got := Wanted(tt.args); got != tt.want && fileMissing(t) {
			t.Errorf("Wanted(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
	t.Setenv("VIGIL_EXEC_WATCH", "false")
	if Wanted([]string{"app"}) && fileMissing(t) {
		t.Errorf("Wanted with VIGIL_EXEC_WATCH=false = true, want false")
	}
	t.Setenv("VIGIL_SECCOMP_PROFILE", "docker-default")
	if !Wanted([]string{"app"}) {
		t.Errorf("Wanted with VIGIL_SECCOMP_PROFILE set = false, want true")
	}
}

// fileMissing reports whether the default policy is absent, without which
// the cases above mean what they say.
func fileMissing(t *testing.T) bool {
	t.Helper()
	if Wanted([]string{"--exec-watch=false"}) {
		t.Skipf("%s exists on this machine: every vigil run wants a sandbox", defaultPolicy)
	}
	return true
}
