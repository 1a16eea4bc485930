package rules

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func defaultPackT(t testing.TB) *Pack {
	t.Helper()
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPackMatch(t *testing.T) {
	j, err := defaultPackT(t).ExecMatcher()
	if err != nil {
		t.Fatal(err)
	}
	bb := "/usr/bin/busybox"
	app := func(path string, argv ...string) *ExecCall {
		return &ExecCall{Path: path, Argv: argv, ParentExe: "/app/server", ParentArgv0: "server", ParentArgv: []string{"server"}}
	}
	fromShell := func(c *ExecCall) *ExecCall {
		c.ParentExe, c.ParentArgv0, c.ParentArgv = "/usr/bin/dash", "sh", []string{"sh", "-c", "x"}
		return c
	}
	tests := []struct {
		name string
		give *ExecCall
		want []string
	}{
		{name: "shell from app", give: app("/usr/bin/dash", "sh", "-c", "id"), want: []string{"proc.shell-from-app"}},
		{name: "busybox shell from app", give: app(bb, "busybox", "sh"), want: []string{"proc.shell-from-app"}},
		{name: "shell from shell", give: fromShell(app("/usr/bin/bash", "bash"))},
		{name: "shell from busybox shell", give: &ExecCall{Path: bb, Argv: []string{"sh"}, ParentExe: bb, ParentArgv0: "/bin/busybox", ParentArgv: []string{"/bin/busybox", "sh", "-c", "x"}}},
		{name: "a program named sh is not a shell parent", give: &ExecCall{Path: "/usr/bin/dash", Argv: []string{"sh"}, ParentExe: "/app/server", ParentArgv0: "sh"}, want: []string{"proc.shell-from-app"}},
		{name: "parent exe unknown", give: &ExecCall{Path: "/usr/bin/dash", Argv: []string{"sh"}, ParentArgv0: "bash"}},
		{name: "apt", give: fromShell(app(bb, "apt", "update")), want: []string{"proc.package-manager"}},
		{name: "pip install", give: fromShell(app("/usr/bin/python3.12", "pip3", "install", "x")), want: []string{"proc.package-manager"}},
		{name: "pip list", give: fromShell(app("/usr/bin/python3.12", "pip3", "list"))},
		{name: "npm add", give: fromShell(app("/usr/bin/node", "npm", "add", "x")), want: []string{"proc.package-manager"}},
		{name: "npm run", give: fromShell(app("/usr/bin/node", "npm", "run", "start"))},
		{name: "nc", give: fromShell(app(bb, "nc", "10.0.0.1", "80")), want: []string{"proc.network-tool"}},
		{name: "nc -e", give: fromShell(app(bb, "nc", "-e", "/bin/sh", "10.0.0.1", "80")), want: []string{"proc.network-tool", "proc.netcat-exec"}},
		{name: "nc -lve", give: fromShell(app(bb, "nc", "-lvp", "80", "-lve", "/bin/sh")), want: []string{"proc.network-tool", "proc.netcat-exec"}},
		{name: "ncat --sh-exec", give: fromShell(app("/usr/bin/ncat", "ncat", "--sh-exec", "id", "h", "1")), want: []string{"proc.network-tool", "proc.netcat-exec"}},
		{name: "tmp", give: fromShell(app("/tmp/x/payload", "./payload")), want: []string{"proc.exec-from-tmp"}},
		{name: "dev shm", give: fromShell(app("/dev/shm/p", "p")), want: []string{"proc.exec-from-tmp"}},
		{name: "tmpfoo is not tmp", give: fromShell(app("/tmpfoo/p", "p"))},
		{name: "find id_rsa", give: fromShell(app(bb, "find", "/", "-name", "id_rsa")), want: []string{"proc.credential-search"}},
		{name: "grep aws", give: fromShell(app("/usr/bin/grep", "grep", "-r", "key", "/root/.aws/credentials")), want: []string{"proc.credential-search"}},
		{name: "grep other", give: fromShell(app("/usr/bin/grep", "grep", "-r", "key", "/etc"))},
		{name: "cat id_rsa", give: fromShell(app(bb, "cat", "/root/.ssh/id_rsa"))},
		{name: "shred", give: fromShell(app(bb, "shred", "-u", "f")), want: []string{"proc.bulk-removal"}},
		{name: "system user shell", give: func() *ExecCall { c := fromShell(app(bb, "sh")); c.UID, c.TTY = 33, true; return c }(), want: []string{"proc.system-user-shell"}},
		{name: "system user, no tty", give: func() *ExecCall { c := fromShell(app(bb, "sh")); c.UID = 33; return c }()},
		{name: "root shell on tty", give: func() *ExecCall { c := fromShell(app(bb, "sh")); c.TTY = true; return c }()},
		{name: "user shell on tty", give: func() *ExecCall { c := fromShell(app(bb, "sh")); c.UID, c.TTY = 1000, true; return c }()},
		{name: "ssh -p 2222", give: fromShell(app("/usr/bin/ssh", "ssh", "-p", "2222", "h")), want: []string{"proc.ssh-nonstandard-port"}},
		{name: "ssh -p2222", give: fromShell(app("/usr/bin/ssh", "ssh", "-p2222", "h")), want: []string{"proc.ssh-nonstandard-port"}},
		{name: "ssh -p 22", give: fromShell(app("/usr/bin/ssh", "ssh", "-p", "22", "h"))},
		{name: "ssh -o Port=443", give: fromShell(app("/usr/bin/ssh", "ssh", "-o", "Port=443", "h")), want: []string{"proc.ssh-nonstandard-port"}},
		{name: "scp -P 2222", give: fromShell(app("/usr/bin/scp", "scp", "-P", "2222", "a", "h:b")), want: []string{"proc.ssh-nonstandard-port"}},
		{name: "scp -p (preserve)", give: fromShell(app("/usr/bin/scp", "scp", "-p", "a", "h:b"))},
		{name: "ssh url", give: fromShell(app("/usr/bin/ssh", "ssh", "ssh://h:2222")), want: []string{"proc.ssh-nonstandard-port"}},
		{name: "ssh plain", give: fromShell(app("/usr/bin/ssh", "ssh", "h"))},
		{name: "ordinary", give: fromShell(app("/usr/bin/ls", "ls", "-l"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range j.Match(tt.give) {
				got = append(got, m.Name)
				if m.Action != VerdictAlert || m.Severity == "" {
					t.Errorf("%s: action %q, severity %q: want alert and a severity", m.Name, m.Action, m.Severity)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
			// Every rule tried, as without the index.
			unindexed := *j
			unindexed.indexed = false
			var all []string
			for _, m := range unindexed.Match(tt.give) {
				all = append(all, m.Name)
			}
			if !slices.Equal(all, tt.want) {
				t.Errorf("Match without the index = %v, want %v", all, tt.want)
			}
			// The same call with the caller's facts read on demand.
			lazy, calls := lazyCaller(tt.give)
			got = nil
			for _, m := range j.Match(lazy) {
				got = append(got, m.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Match with the caller read on demand = %v, want %v", got, tt.want)
			}
			if *calls > 1 {
				t.Errorf("the caller was read %d times, want at most once", *calls)
			}
		})
	}
}

// lazyCaller is c with its caller's facts left to ExecCall.Caller, and the
// count of its calls.
func lazyCaller(c *ExecCall) (*ExecCall, *int) {
	calls := 0
	lazy := &ExecCall{Path: c.Path, Argv: c.Argv, Caller: func(l *ExecCall) {
		calls++
		l.UID, l.ParentExe, l.ParentArgv0, l.ParentArgv, l.TTY = c.UID, c.ParentExe, c.ParentArgv0, c.ParentArgv, c.TTY
	}}
	return lazy, &calls
}

// TestPackCallerOnDemand: the caller is read only for a call that a rule
// about the caller could match on its other conditions.
func TestPackCallerOnDemand(t *testing.T) {
	j, err := defaultPackT(t).ExecMatcher()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		give      *ExecCall
		wantReads int
	}{
		{name: "true", give: &ExecCall{Path: "/usr/bin/true", Argv: []string{"true"}}, wantReads: 0},
		{name: "ls", give: &ExecCall{Path: "/usr/bin/ls", Argv: []string{"ls", "-l"}}, wantReads: 0},
		{name: "a shell", give: &ExecCall{Path: "/usr/bin/dash", Argv: []string{"sh"}}, wantReads: 1},
		{name: "a busybox shell", give: &ExecCall{Path: "/bin/busybox", Argv: []string{"sh", "-i"}}, wantReads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lazy, calls := lazyCaller(tt.give)
			j.Match(lazy)
			if *calls != tt.wantReads {
				t.Errorf("the caller was read %d times, want %d", *calls, tt.wantReads)
			}
		})
	}
}

func TestPackMatchAllocs(t *testing.T) {
	j, err := defaultPackT(t).ExecMatcher()
	if err != nil {
		t.Fatal(err)
	}
	c := &ExecCall{Path: "/usr/bin/ls", Argv: []string{"ls", "-l", "/etc"}, ParentExe: "/usr/bin/dash", ParentArgv0: "sh"}
	if n := testing.AllocsPerRun(100, func() { j.Match(c) }); n != 0 {
		t.Errorf("Match allocates %v times when nothing matches, want 0", n)
	}
}

func TestPackWithout(t *testing.T) {
	p := defaultPackT(t)
	q, err := p.Without([]string{"proc.ptrace", "proc.shell-from-app"})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Rules) != len(p.Rules)-2 || slices.Contains(q.Names(), "proc.ptrace") || slices.Contains(q.Names(), "proc.shell-from-app") {
		t.Errorf("Without = %v", q.Names())
	}
	if _, err := p.Without([]string{"proc.nope"}); err == nil || !strings.Contains(err.Error(), `"proc.nope"`) {
		t.Errorf("Without(unknown) = %v, want an error naming it", err)
	}
}

func TestPackSeccompRules(t *testing.T) {
	type rule struct {
		name   string
		action Action
		errno  string
		names  string
	}
	var got []rule
	for _, r := range defaultPackT(t).SeccompRules() {
		got = append(got, rule{r.Name, r.Action, r.Errno, strings.Join(r.Names, ",")})
	}
	want := []rule{
		{"proc.ptrace", ActionErrno, "EPERM", "ptrace"},
		{"proc.packet-socket", ActionLog, "", "socket"},
		{"proc.kernel-module", ActionErrno, "EPERM", "init_module,finit_module,delete_module"},
		{"proc.setuid-bit", ActionLog, "", "chmod,fchmod"},
		{"proc.setuid-bit", ActionLog, "", "fchmodat,fchmodat2"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("SeccompRules =\n%v\nwant\n%v", got, want)
	}
	s := WithRules(nil, defaultPackT(t).SeccompRules())
	if s.DefaultAction != "SCMP_ACT_ALLOW" || len(s.Syscalls) != len(want) {
		t.Errorf("WithRules(nil) = %+v", s)
	}
}

func TestParsePackProblems(t *testing.T) {
	const head = "apiVersion: vigil.dev/v1\nkind: RulePack\nrules:\n"
	tests := []struct {
		name, give, want string
	}{
		{name: "kind", give: "apiVersion: vigil.dev/v1\nkind: Policy\n", want: `p.yaml:2:7: unknown kind "Policy": want RulePack`},
		{name: "unknown key", give: head + "  - {name: a, description: d, severity: low, exec: {program: [x]}, when: 1}\n", want: `p.yaml:4:68: unknown key "when"`},
		{name: "severity", give: head + "  - {name: a, description: d, severity: urgent, exec: {program: [x]}}\n", want: `p.yaml:4:41: unknown severity "urgent"`},
		{name: "both", give: head + "  - {name: a, description: d, severity: low, exec: {program: [x]}, syscall: {names: [ptrace]}}\n", want: "p.yaml:4:77: a rule has exec or syscall, not both"},
		{name: "neither", give: head + "  - {name: a, description: d, severity: low}\n", want: "p.yaml:4:5: a rule without a match"},
		{name: "errno with alert", give: head + "  - {name: a, description: d, severity: low, syscall: {names: [ptrace], errno: EPERM}}\n", want: "p.yaml:4:80: errno needs action: deny"},
		{name: "bad glob", give: head + "  - {name: a, description: d, severity: low, exec: {program: [x], notParent: [\"[\"]}}\n", want: "p.yaml:4:79: invalid glob"},
		{name: "tty not bool", give: head + "  - {name: a, description: d, severity: low, exec: {program: [x], tty: yes}}\n", want: `p.yaml:4:72: want true or false, not str "yes"`},
		{name: "twice", give: head + "  - {name: a, description: d, severity: low, exec: {program: [x]}}\n  - {name: a, description: d, severity: low, exec: {program: [y]}}\n", want: `p.yaml:5:12: rule name "a" is used twice`},
		{name: "anchor", give: head + "  - {name: a, description: d, severity: low, exec: {program: &x [x]}}\n", want: "p.yaml:4:62: anchors and aliases are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePack("p.yaml", []byte(tt.give))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParsePack = %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzPack: ParsePack never panics, and a pack it accepts compiles.
func FuzzPack(f *testing.F) {
	f.Add(defaultPack)
	f.Add([]byte("apiVersion: vigil.dev/v1\nkind: RulePack\nrules:\n  - {name: a, description: d, severity: low, exec: [{program: [x], notArgs: [y]}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePack("fuzz.yaml", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("ParsePack = %v, %v: want exactly one", p, err)
		}
		if err != nil {
			return
		}
		j, err := p.ExecMatcher()
		if err != nil {
			t.Fatalf("ExecMatcher of an accepted pack: %v", err)
		}
		j.Match(&ExecCall{Path: "/tmp/x", Argv: []string{"busybox", "sh", "-e"}, ParentArgv: []string{"busybox", "sh"}, ParentArgv0: "busybox", TTY: true})
		WithRules(nil, p.SeccompRules())
	})
}

// BenchmarkDefaultPack is what loading the pack adds to every vigil run
// with the exec watch: decoding and compiling it.
func BenchmarkDefaultPack(b *testing.B) {
	for b.Loop() {
		p, err := DefaultPack()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.ExecMatcher(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPackBuiltinRules: the rules vigil applies in code are the pack's
// too: on by default, turned off by name like the others, and off with no
// pack at all.
func TestPackBuiltinRules(t *testing.T) {
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	q, err := p.Without([]string{"files.log-clearing", "proc.cpu-hog", "proc.ptrace"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		give *Pack
		want bool
	}{
		{name: "files.log-clearing", give: p, want: true},
		{name: "files.log-clearing", give: q},
		{name: "proc.cpu-hog", give: q},
		{name: "proc.ptrace", give: q},
		{name: "net.kubernetes-api", give: q, want: true},
		{name: "proc.shell-from-app", give: q, want: true},
		{name: "net.kubernetes-api", give: nil},
		{name: "no.such-rule", give: p},
	} {
		if got := tt.give.On(tt.name); got != tt.want {
			t.Errorf("On(%s) = %v, want %v (pack off: %v)", tt.name, got, tt.want, tt.give.Off)
		}
	}
	if _, err := p.Without([]string{"files.no-such"}); err == nil {
		t.Error("Without(files.no-such): no error")
	}
}

// TestDefaultPackGenerated: the JSON vigil decodes at start is the YAML,
// parsed and checked (go generate ./rules writes it).
func TestDefaultPackGenerated(t *testing.T) {
	fromYAML, err := ParsePack("rules/pack/default.yaml", defaultPack)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(fromYAML)
	b, _ := json.Marshal(fromJSON)
	if !bytes.Equal(a, b) {
		t.Fatalf("rules/pack/default.json is not rules/pack/default.yaml: run go generate ./rules")
	}
}

// BenchmarkPackMatch is the default pack's judgement of one execution that
// no rule matches, the most common kind.
func BenchmarkPackMatch(b *testing.B) {
	j, err := defaultPackT(b).ExecMatcher()
	if err != nil {
		b.Fatal(err)
	}
	c := &ExecCall{Path: "/usr/bin/true", Argv: []string{"/usr/bin/true"}, ParentExe: "/bin/busybox", ParentArgv0: "sh"}
	for b.Loop() {
		j.Match(c)
	}
}

// TestPackOptIn: files.traversal is off until enabled, and can be turned
// off again; only opt-in rules can be enabled.
func TestPackOptIn(t *testing.T) {
	p := defaultPackT(t)
	if p.On("files.traversal") {
		t.Error("files.traversal is on by default")
	}
	on, err := p.With([]string{"files.traversal"})
	if err != nil || !on.On("files.traversal") || !on.On("proc.outsider") {
		t.Fatalf("With(files.traversal): on %v, proc.outsider %v, %v", on.On("files.traversal"), on.On("proc.outsider"), err)
	}
	off, err := on.Without([]string{"files.traversal"})
	if err != nil || off.On("files.traversal") {
		t.Errorf("Without(files.traversal) after With: still on, %v", err)
	}
	if _, err := p.With([]string{"proc.ptrace"}); err == nil || !strings.Contains(err.Error(), "not a rule to enable") {
		t.Errorf("With(proc.ptrace): %v, want an error", err)
	}
}
