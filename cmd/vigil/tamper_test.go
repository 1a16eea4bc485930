package main_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
	"github.com/vigilsec/vigil/internal/natstest"
)

// TestTamperReported: with no files.protect (nothing keeps the app from
// vigil's files), an app running as root that appends to the baseline and
// the policy, moves the outbox's cursor and adds a file to the outbox is
// reported, each change once, critical, rule files.vigil; vigil's own
// writes to the outbox (a storm of violations published, the cursor
// advanced) are not.
func TestTamperReported(t *testing.T) {
	tree := t.TempDir()
	if err := os.WriteFile(filepath.Join(tree, "app"), []byte("app"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "baseline")
	if code, _, stderr := runVigil(t, modes[1], nil, "baseline", "--out", base, tree); code != 0 {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	policy := writeFile(t, "policy.yaml", "apiVersion: vigil.dev/v1\nkind: Policy\n")
	tests := []struct {
		name   string
		script string
		want   []string // paths reported, under dir, box or as given
	}{
		{name: "vigil's own writes", script: "true"},
		{
			name: "tampering",
			script: `printf x >> "$BASE" && echo '# x' >> "$POLICY" && printf 'garbage12345' > "$BOX/cursor" && ` +
				`echo x > "$BOX/seg-00000000000000ff.log"`,
			want: []string{"$BOX/cursor", "$BOX/seg-00000000000000ff.log", base, policy},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := natstest.Start(t)
			box := t.TempDir()
			argv, env := app(t, "violate")
			env = append(env, "VIGILTEST_N=200", "VIGILTEST_EVERY=1ms", "BASE="+base, "POLICY="+policy, "BOX="+box)
			script := `"$0" && ` + tt.script
			args := append([]string{"run", "--nats", srv.URL(), "--outbox", box, "--workload", "tamper", "--policy", policy,
				"--baseline", base, "--seccomp-profile", denyGetpgid(t), "--log-level=error", "--", "sh", "-c", script}, argv...)
			code, stdout, stderr := runVigil(t, modes[0], append(env, dockerCaps...), args...)
			if code != 0 || stdout != "done 200\n" {
				t.Fatalf("exit %d, stdout %q; want 0 and done 200\nstderr:\n%s", code, stdout, stderr)
			}
			var got []string
			for _, ev := range srv.StreamEvents(natsbus.StreamName) {
				var d events.FileDetails
				if ev.Rule != "files.vigil" || ev.DetailsAs(&d) != nil {
					continue
				}
				if ev.Severity != events.SeverityCritical || d.Change != "tampered" {
					t.Errorf("%s: severity %s, change %s; want critical, tampered", d.Path, ev.Severity, d.Change)
				}
				got = append(got, strings.Replace(d.Path, box, "$BOX", 1))
			}
			slices.Sort(got)
			slices.Sort(tt.want)
			if !slices.Equal(got, tt.want) {
				t.Errorf("files.vigil events for %q, want %q", got, tt.want)
			}
		})
	}
}
