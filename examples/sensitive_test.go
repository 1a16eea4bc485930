//go:build e2e

package examples_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/events"
)

// largeImage builds, on the example image, one with 100 MB more in 400
// files, an /etc/shadow, and its baseline taken again: reading and
// rescanning it takes vigil seconds, beside the app.
func largeImage(t *testing.T, imgs images) string {
	t.Helper()
	image := "vigil-e2e-large:" + runID
	dockerfile := fmt.Sprintf(`FROM %s
RUN mkdir -p /data && i=0 && while [ $i -lt 400 ]; do \
      mkdir -p /data/d$((i %% 40)) && dd if=/dev/urandom of=/data/d$((i %% 40))/f$i bs=256k count=1 2>/dev/null; \
      i=$((i+1)); done && echo 'root:$6$salt$hash:19000:0:99999:7:::' > /etc/shadow && chmod 600 /etc/shadow
RUN ["/usr/local/bin/vigil", "baseline"]
`, imgs.hello)
	if _, err := dockerWithInput(strings.NewReader(dockerfile), "build", "--network=none", "--force-rm", "--tag", image, "-"); err != nil {
		t.Fatalf("building the large image: %v", err)
	}
	fixture.built = append(fixture.built, image)
	return image
}

// TestSensitiveReadAtStart: with files.sensitive: [/etc/shadow], a read of
// it is reported however soon after the start it comes, while vigil still
// reads and rescans a large baseline (it was not, from 0 to 1.2 s after
// the start: vigil's own open of the file to hash it was merged with the
// app's by the kernel, and taken for vigil's).
func TestSensitiveReadAtStart(t *testing.T) {
	imgs := testImages(t)
	image := largeImage(t, imgs)
	policy := writeProfile(t, "apiVersion: vigil.dev/v1\nkind: Policy\nfiles:\n  sensitive: [/etc/shadow]\n")
	opts := append(mountOpts(t, policy, "/etc/vigil/policy.yaml"), "--env", "VIGIL_WORKLOAD=e2e", "--env", "VIGIL_LOG_LEVEL=warn")
	for _, delay := range []string{"0", "0.05", "0.2", "0.5", "1", "2.5"} {
		t.Run("after-"+delay+"s", func(t *testing.T) {
			// The app lives on while vigil's first rescan (100 MB at 64 MB/s)
			// hashes /etc/shadow itself.
			code, _, stderr := runSeccomp(t, image, opts, "sh", "-c", "sleep "+delay+" && cat /etc/shadow >/dev/null && sleep 3")
			reads := 0
			for _, line := range strings.Split(stderr, "\n") {
				if !strings.Contains(line, `"rule":"files.sensitive"`) {
					continue
				}
				ev, err := events.Decode([]byte(line))
				if err != nil {
					t.Fatalf("an event that does not decode: %v\n%s", err, line)
				}
				var d events.FileDetails
				if ev.DetailsAs(&d) == nil && d.Path == "/etc/shadow" && d.Change == "opened" {
					reads++
				}
			}
			if code != 0 || reads != 1 {
				t.Errorf("exit %d, %d reports of the read of /etc/shadow, want 0 and 1\nstderr:\n%s", code, reads, stderr)
			}
		})
	}
}
