//go:build e2e

package examples_test

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// TestBaselineInImage: the example image records its baseline at build
// time (RUN vigil baseline, the last step of examples/hello/Dockerfile);
// a container of it verifies clean, whatever the runtime mounts over the
// image (/etc/hosts, /etc/resolv.conf, /proc…), and reports tampering
// done at run time.
func TestBaselineInImage(t *testing.T) {
	imgs := testImages(t)
	code, stdout, stderr := runSeccomp(t, imgs.hello, nil, "/usr/local/bin/vigil", "verify")
	if code != 0 || stdout != "" {
		t.Fatalf("verify in a fresh container: exit %d, stdout %q, stderr %q; want 0 and nothing", code, stdout, stderr)
	}
	tamper := "echo evil >> /app/hello && echo x > /bin/dropper && chmod 4755 /bin/dropper && rm /bin/yes && " +
		"exec /usr/local/bin/vigil verify"
	code, stdout, stderr = runSeccomp(t, imgs.hello, nil, "sh", "-c", tamper)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			got = append(got, f[0]+" "+strings.TrimSuffix(f[1], ":"))
		}
	}
	want := "content /app/hello\nadded /bin/dropper\nremoved /bin/yes"
	if code != 1 || strings.Join(got, "\n") != want {
		t.Errorf("verify after tampering: exit %d, changes\n%s\nwant exit 1 and\n%s\nstdout:\n%s\nstderr:\n%s", code, strings.Join(got, "\n"), want, stdout, stderr)
	}
	// Under vigil run (the image's entrypoint), the same tampering is
	// reported as it happens, as file events on stderr.
	code, _, stderr = runSeccomp(t, imgs.hello, []string{"--env", "VIGIL_WORKLOAD=e2e"}, "sh", "-c",
		"echo evil >> /app/hello && chmod 4755 /bin/busybox && sleep 0.3")
	var fileEvents []string
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.Contains(line, `"kind":"file"`) {
			continue
		}
		ev, err := eventsDecode(line)
		if err != nil {
			t.Fatalf("a file event that does not decode: %v\n%s", err, line)
		}
		fileEvents = append(fileEvents, ev)
	}
	wantEvents := "content /app/hello high\nmode /bin/busybox critical"
	if code != 0 || strings.Join(fileEvents, "\n") != wantEvents {
		t.Errorf("under vigil run: exit %d, file events\n%s\nwant exit 0 and\n%s\nstderr:\n%s", code, strings.Join(fileEvents, "\n"), wantEvents, stderr)
	}
}

// eventsDecode summarises a file event line as "change path severity".
func eventsDecode(line string) (string, error) {
	ev, err := events.Decode([]byte(line))
	if err != nil {
		return "", err
	}
	var d events.FileDetails
	if err := ev.DetailsAs(&d); err != nil {
		return "", err
	}
	return d.Change + " " + d.Path + " " + string(ev.Severity), nil
}

// TestProtectEnforceInDocker: a policy with files.protect: enforce in a
// plain docker run (Docker's capabilities and seccomp profile): Landlock
// makes the protected paths read-only for the app and vigil's own files
// unreadable; the rest stays writable.
func TestProtectEnforceInDocker(t *testing.T) {
	imgs := testImages(t)
	policy := writeProfile(t, "apiVersion: vigil.dev/v1\nkind: Policy\nfiles:\n  protect: enforce\n  paths: [/app, /bin]\n")
	opts := append(mountOpts(t, policy, "/etc/vigil/policy.yaml"), "--env", "VIGIL_WORKLOAD=e2e")
	try := func(name, cmd string) string {
		return cmd + " 2>/dev/null && echo " + name + "=ok || echo " + name + "=denied"
	}
	script := strings.Join([]string{
		try("write-app", "echo evil >> /app/hello"),
		try("drop-bin", "echo x > /bin/dropper"),
		try("read-baseline", "cat /etc/vigil/baseline >/dev/null"),
		try("read-policy", "cat /etc/vigil/policy.yaml >/dev/null"),
		try("run-app", "HELLO_SECONDS=0 /app/hello >/dev/null"),
		try("write-usr", "echo x > /usr/new"),
	}, "; ")
	code, stdout, stderr := runSeccomp(t, imgs.hello, opts, "sh", "-c", script)
	want := "write-app=denied\ndrop-bin=denied\nread-baseline=denied\nread-policy=denied\nrun-app=ok\nwrite-usr=ok\n"
	if code != 0 || stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant 0 and\n%s\nstderr:\n%s", code, stdout, want, stderr)
	}
}
