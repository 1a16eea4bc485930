package forward

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/events"
)

const header = "apiVersion: vigil.dev/v1\nkind: Forwarders\nforwarders:\n"

// loadExamples are forwarders files and what Parse says of them; the
// schema must agree on which are valid.
var loadExamples = []struct {
	name     string
	give     string
	wantErrs []string
	// schemaSkip: what the schema cannot say (unique names, environment
	// variables, files, initial ≤ max).
	schemaSkip bool
}{
	{name: "minimal", give: header + "  - {name: a, type: webhook, url: http://127.0.0.1:8080/}\n"},
	{name: "no forwarders", give: header + "  []\n"},
	{
		name:     "unknown type",
		give:     header + "  - name: a\n    type: email\n    url: http://x/\n",
		wantErrs: []string{`f.yaml:5:11: unknown type "email": want webhook, slack or falco`},
	},
	{
		name:     "bad url scheme",
		give:     header + "  - name: a\n    type: webhook\n    url: ftp://x/\n",
		wantErrs: []string{`f.yaml:6:10: url ftp://x: scheme "ftp": want http or https`},
	},
	{
		// A Slack URL's path is its secret: an error shows scheme and host.
		name:     "bad scheme of a secret url",
		give:     header + "  - name: a\n    type: slack\n    url: htps://hooks.slack.com/services/T0/B0/s3cret\n",
		wantErrs: []string{`f.yaml:6:10: url htps://hooks.slack.com: scheme "htps": want http or https`},
	},
	{
		name:     "secret url without a scheme",
		give:     header + "  - name: a\n    type: slack\n    url: hooks.slack.com/services/T0/B0/s3cret\n",
		wantErrs: []string{`f.yaml:6:10: url (not shown): scheme "": want http or https`},
	},
	{
		name:     "url without host",
		give:     header + "  - name: a\n    type: webhook\n    url: \"http:///x\"\n",
		wantErrs: []string{`f.yaml:6:10: url (not shown): no host`},
	},
	{
		name:       "duplicate name",
		give:       header + "  - {name: a, type: webhook, url: http://x/}\n  - {name: a, type: slack, url: http://y/}\n",
		wantErrs:   []string{`f.yaml:5:12: duplicate forwarder name "a" (first at line 4)`},
		schemaSkip: true,
	},
	{
		name:     "bad name",
		give:     header + "  - {name: a.b, type: webhook, url: http://x/}\n",
		wantErrs: []string{`f.yaml:4:12: name "a.b": want 1 to 63 letters, digits, '-' or '_', starting with a letter or digit`},
	},
	{
		name:     "bad severity",
		give:     header + "  - name: a\n    type: webhook\n    url: http://x/\n    filter: {minSeverity: urgent}\n",
		wantErrs: []string{`f.yaml:7:27: unknown severity "urgent": want one of info, low, medium, high, critical`},
	},
	{
		name:     "bad kind",
		give:     header + "  - name: a\n    type: webhook\n    url: http://x/\n    filter: {kinds: [exec, shell]}\n",
		wantErrs: []string{`f.yaml:7:28: unknown kind "shell": want one of exec, syscall, file, network, process, lifecycle, heartbeat, dropped`},
	},
	{
		name:     "bad duration",
		give:     header + "  - name: a\n    type: webhook\n    url: http://x/\n    timeout: 5\n",
		wantErrs: []string{`f.yaml:7:14: want a string, not int "5"`},
	},
	{
		name:     "bad duration text",
		give:     header + "  - name: a\n    type: webhook\n    url: http://x/\n    retry: {initial: soon}\n",
		wantErrs: []string{`f.yaml:7:22: "soon" is not a duration: want a number and a unit (500ms, 5s, 1m)`},
	},
	{
		name:       "initial over max",
		give:       header + "  - name: a\n    type: webhook\n    url: http://x/\n    retry: {initial: 2m}\n",
		wantErrs:   []string{`f.yaml:7:12: retry.initial 2m0s is more than retry.max 1m0s`},
		schemaSkip: true,
	},
	{
		name:     "unknown field",
		give:     header + "  - name: a\n    type: webhook\n    url: http://x/\n    secret: x\n",
		wantErrs: []string{`f.yaml:7:5: unknown key "secret": want name, type, url, headers, headersFile, filter, rateLimit, timeout or retry`},
	},
	{
		name:     "missing url",
		give:     header + "  - name: a\n    type: webhook\n",
		wantErrs: []string{`f.yaml:4:5: missing key "url"`},
	},
	{
		name:     "bad rate",
		give:     header + "  - name: a\n    type: webhook\n    url: http://x/\n    rateLimit: {perSecond: 0, burst: 0.5}\n",
		wantErrs: []string{`f.yaml:7:28: 0 is out of range: want more than 0, at most 100000`, `f.yaml:7:38: want an integer, not float "0.5"`},
	},
	{
		name:       "bad glob",
		give:       header + "  - name: a\n    type: webhook\n    url: http://x/\n    filter: {workloads: [\"[a\"]}\n",
		wantErrs:   []string{`f.yaml:7:26: pattern "[a": syntax error in pattern`},
		schemaSkip: true,
	},
	{
		name:     "reserved header",
		give:     header + "  - name: a\n    type: webhook\n    url: http://x/\n    headers: {Content-Type: text/plain}\n",
		wantErrs: []string{`f.yaml:7:15: header "Content-Type": set by vigil`},
	},
	{
		// The HTTP client would refuse every request with it.
		name:       "control character in a header",
		give:       header + "  - name: a\n    type: webhook\n    url: http://x/\n    headers: {X-Team: \"s\\x01c\"}\n",
		wantErrs:   []string{`f.yaml:7:23: header X-Team: a value cannot hold a line break, NUL or another control character`},
		schemaSkip: true,
	},
	{
		name:       "unset variable",
		give:       header + "  - name: a\n    type: webhook\n    url: http://x/\n    headers: {Authorization: \"Bearer ${VIGIL_TEST_UNSET}\"}\n",
		wantErrs:   []string{`f.yaml:7:30: header Authorization: environment variable VIGIL_TEST_UNSET is not set (or empty)`},
		schemaSkip: true,
	},
	{
		name: "every problem at once",
		give: "apiVersion: vigil.dev/v2\nkind: Forwarders\nforwarders:\n  - {name: a, type: x, url: http://x/}\n  - {name: b, type: webhook, url: \"\", timeout: 1h}\n",
		wantErrs: []string{
			`f.yaml:1:13: "vigil.dev/v2": want "vigil.dev/v1"`,
			`f.yaml:4:21: unknown type "x": want webhook, slack or falco`,
			`f.yaml:5:35: url "": scheme "": want http or https`,
			`f.yaml:5:48: 1h is out of range: want 1ms to 10m0s`,
		},
	},
	{
		name:     "not YAML",
		give:     "forwarders: [\n",
		wantErrs: []string{"f.yaml:1: invalid YAML: did not find expected node content"},
	},
	{
		name:       "alias",
		give:       header + "  - &x {name: a, type: webhook, url: http://x/}\n  - *x\n",
		wantErrs:   []string{"f.yaml:4:5: anchors and aliases are not supported", "f.yaml:5:5: anchors and aliases are not supported"},
		schemaSkip: true,
	},
	{
		name:       "two documents",
		give:       header + "  []\n---\n" + header + "  []\n",
		wantErrs:   []string{"f.yaml: more than one YAML document"},
		schemaSkip: true,
	},
}

func TestParseProblems(t *testing.T) {
	for _, tt := range loadExamples {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.give))
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("%v does not match ErrInvalid", err)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.wantErrs, "\n") {
				t.Errorf("Parse errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantErrs, "\n"))
			}
		})
	}
}

func TestLoadExample(t *testing.T) {
	t.Setenv("SIEM_TOKEN", "t0ken")
	t.Setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/secret")
	cfg, err := Load(filepath.Join("testdata", "forwarders.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Forwarders) != 3 {
		t.Fatalf("%d forwarders, want 3", len(cfg.Forwarders))
	}
	siem, oncall, sidekick := cfg.Forwarders[0], cfg.Forwarders[1], cfg.Forwarders[2]
	if siem.Headers["Authorization"] != "Bearer t0ken" || *siem.RateLimit != (RateLimit{PerSecond: 10, Burst: 20}) || siem.Filter.MinSeverity != events.SeverityMedium {
		t.Errorf("siem = %+v", siem)
	}
	if oncall.URL != "https://hooks.slack.com/services/T0/B0/secret" || oncall.Timeout != DefaultTimeout || oncall.Retry != (Retry{DefaultRetryInitial, DefaultRetryMax}) || len(oncall.Filter.Kinds) != 3 {
		t.Errorf("oncall = %+v", oncall)
	}
	if sidekick.Headers["Authorization"] != "Bearer from-file" || sidekick.Headers["X-Team"] != "sec" || sidekick.Type != TypeFalco {
		t.Errorf("sidekick = %+v", sidekick)
	}
}

func TestLoadHeadersFileProblems(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "h.txt"), []byte("Authorization Bearer x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "f.yaml")
	give := header + "  - {name: a, type: webhook, url: http://x/, headersFile: h.txt}\n  - {name: b, type: webhook, url: http://x/, headersFile: none.txt}\n"
	if err := os.WriteFile(path, []byte(give), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := []string{
		path + ":4:59: headersFile " + filepath.Join(dir, "h.txt") + ": line 1: want Name: value",
		path + ":5:59: headersFile: open " + filepath.Join(dir, "none.txt") + ": no such file or directory",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Load = %v, want\n%s", err, strings.Join(want, "\n"))
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Parse("f.yaml", []byte(header+"  - {name: a, type: webhook, url: http://x/, rateLimit: {perSecond: 2.5}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := cfg.Forwarders[0]
	if f.Timeout != 5*time.Second || f.Retry.Initial != time.Second || f.Retry.Max != time.Minute || f.RateLimit.Burst != 3 {
		t.Errorf("defaults %+v, rate %+v", f, f.RateLimit)
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "x", "EMPTY": ""}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		give, want, wantErr string
	}{
		{give: "plain", want: "plain"},
		{give: "Bearer ${A}", want: "Bearer x"},
		{give: "$$${A}$", want: "$x$"},
		{give: "$A", want: "$A"},
		{give: "${B}", wantErr: "environment variable B is not set (or empty)"},
		{give: "${EMPTY}", wantErr: "environment variable EMPTY is not set (or empty)"},
		{give: "${A", wantErr: "${ without a closing }"},
		{give: "${1x}", wantErr: "${1x}: not a variable name"},
	}
	for _, tt := range tests {
		got, err := expand(tt.give, getenv)
		if err != nil && err.Error() != tt.wantErr || err == nil && (tt.wantErr != "" || got != tt.want) {
			t.Errorf("expand(%q) = %q, %v; want %q, %q", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzLoad: Parse never panics, returns a config or an error, and what it
// accepts can be started.
func FuzzLoad(f *testing.F) {
	for _, e := range loadExamples {
		f.Add([]byte(e.give))
	}
	if data, err := os.ReadFile(filepath.Join("testdata", "forwarders.yaml")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one", cfg, err)
		}
		if err != nil {
			return
		}
		names := map[string]bool{}
		for _, fw := range cfg.Forwarders {
			if names[fw.Name] || !namePattern().MatchString(fw.Name) || checkURL(fw.URL) != nil || encoderOf(fw.Type) == nil {
				t.Fatalf("Parse accepted %+v", fw)
			}
			names[fw.Name] = true
			if fw.Retry.Initial <= 0 || fw.Retry.Initial > fw.Retry.Max || fw.Timeout <= 0 {
				t.Fatalf("Parse accepted retry %+v, timeout %v", fw.Retry, fw.Timeout)
			}
			if len(fw.Filter.subjects()) == 0 {
				t.Fatalf("no subjects for %+v", fw.Filter)
			}
		}
	})
}
