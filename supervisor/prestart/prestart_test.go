package prestart

import "testing"

func TestWanted(t *testing.T) {
	t.Setenv("VIGIL_POLICY", "")
	t.Setenv("VIGIL_SECCOMP_PROFILE", "")
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"--", "app"}, false},
		{[]string{"--group", "app"}, false},
		{[]string{"--policy", "p.yaml", "--", "app"}, true},
		{[]string{"--grace=5s", "--seccomp-profile=docker-default", "app"}, true},
		{[]string{"--policy"}, false},                        // no value: a flag error
		{[]string{"--", "app", "--policy", "p.yaml"}, false}, // the app's
		{[]string{"app", "--seccomp-profile", "x"}, false},   // the app's
		{[]string{"--policyx", "p.yaml", "app"}, false},      // another flag
		{[]string{"--log-level", "debug", "app"}, false},     // a value, not the app
	}
	for _, tt := range tests {
		if got := Wanted(tt.args); got != tt.want && fileMissing(t) {
			t.Errorf("Wanted(%q) = %v, want %v", tt.args, got, tt.want)
		}
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
	if Wanted(nil) {
		t.Skipf("%s exists on this machine: every vigil run wants a sandbox", defaultPolicy)
	}
	return true
}
