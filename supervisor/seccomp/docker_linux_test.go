package seccomp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const dockerProfile = "profiles/docker-default.json"

func loadDocker(t testing.TB) *Filter {
	t.Helper()
	s, err := LoadProfile(dockerProfile, DockerCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	return compile(t, s, "amd64")
}

// ruleOf finds the index of the first profile rule naming name.
func ruleOf(t *testing.T, f *Filter, name string) int {
	t.Helper()
	for _, r := range f.rules {
		if r.nr == uint32(nr(t, name)) {
			return r.out.Rule
		}
	}
	t.Fatalf("no rule for %s", name)
	return 0
}

func TestDockerProfile(t *testing.T) {
	f := loadDocker(t)
	const (
		auditI386     = 0x40000003
		cloneNewUser  = 0x10000000
		cloneVM       = 0x100
		sigchld       = 17
		afInet        = 2
		afVsock       = 40
		readImplies   = 0x0400000
		allow         = ActionAllow
		foreignKilled = ActionKillProcess
	)
	tests := []struct {
		name       string
		giveCall   string
		giveNr     int32 // used when giveCall is empty
		giveArch   uint32
		giveArgs   [6]uint64
		wantRet    uint32
		wantAction Action
		wantErrno  uint32
	}{
		{name: "allowed getppid", giveCall: "getppid", wantRet: retAllow, wantAction: allow},
		{name: "absent kexec_load", giveCall: "kexec_load", wantRet: retNotify, wantAction: ActionErrno, wantErrno: 1},
		{name: "cap-gated open_by_handle_at", giveCall: "open_by_handle_at", wantRet: retNotify, wantAction: ActionErrno, wantErrno: 1},
		{name: "personality PER_LINUX", giveCall: "personality", giveArgs: [6]uint64{0}, wantRet: retAllow, wantAction: allow},
		{name: "personality query", giveCall: "personality", giveArgs: [6]uint64{0xffffffff}, wantRet: retAllow, wantAction: allow},
		{name: "personality READ_IMPLIES_EXEC", giveCall: "personality", giveArgs: [6]uint64{readImplies}, wantRet: retNotify, wantAction: ActionErrno, wantErrno: 1},
		{name: "clone thread", giveCall: "clone", giveArgs: [6]uint64{cloneVM | sigchld}, wantRet: retAllow, wantAction: allow},
		{name: "clone new user namespace", giveCall: "clone", giveArgs: [6]uint64{cloneNewUser | sigchld}, wantRet: retNotify, wantAction: ActionErrno, wantErrno: 1},
		{name: "clone3 ENOSYS", giveCall: "clone3", wantRet: retNotify, wantAction: ActionErrno, wantErrno: 38},
		{name: "socket AF_INET", giveCall: "socket", giveArgs: [6]uint64{afInet}, wantRet: retAllow, wantAction: allow},
		{name: "socket AF_VSOCK", giveCall: "socket", giveArgs: [6]uint64{afVsock}, wantRet: retNotify, wantAction: ActionErrno, wantErrno: 1},
		{name: "unnumbered syscall", giveNr: 4000, wantRet: retNotify, wantAction: ActionErrno, wantErrno: 1},
		{name: "i386 getppid", giveNr: 64, giveArch: auditI386, wantRet: retNotify, wantAction: foreignKilled},
		{name: "x32 getppid", giveNr: 0x40000000 | 110, wantRet: retNotify, wantAction: foreignKilled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Data{Nr: tt.giveNr, Arch: tt.giveArch, Args: tt.giveArgs}
			if tt.giveCall != "" {
				d.Nr = nr(t, tt.giveCall)
			}
			if d.Arch == 0 {
				d.Arch = f.auditArch
			}
			if got := run(t, f, d); got != tt.wantRet {
				t.Errorf("BPF returned %#x, want %#x", got, tt.wantRet)
			}
			got := f.Decide(d)
			if got.Action != tt.wantAction || got.Errno != tt.wantErrno {
				t.Errorf("Decide = %v, want %v(%d)", got, tt.wantAction, tt.wantErrno)
			}
		})
	}
}

func TestDockerProfileRules(t *testing.T) {
	f := loadDocker(t)
	clone3 := ruleOf(t, f, "clone3")
	if got := f.Outcome(nr(t, "clone3"), [6]uint64{}); got.Rule != clone3 {
		t.Errorf("clone3 Outcome.Rule = %d, want %d", got.Rule, clone3)
	}
	if got := f.Outcome(nr(t, "kexec_load"), [6]uint64{}); got.Rule != RuleDefault {
		t.Errorf("kexec_load Outcome.Rule = %d, want RuleDefault", got.Rule)
	}
	if got := f.Decide(Data{Nr: 1, Arch: 1}); got.Rule != RuleForeignArch {
		t.Errorf("foreign arch Outcome.Rule = %d, want RuleForeignArch", got.Rule)
	}
}

func TestDockerProfileAgreement(t *testing.T) {
	agree(t, loadDocker(t), 20000)
}

func TestLoadProfileErrors(t *testing.T) {
	tests := []struct {
		name     string
		giveJSON string
		wantErr  string
	}{
		{name: "syntax", giveJSON: "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [}\n", wantErr: "p.json:3:16:"},
		{name: "type", giveJSON: "{\n\"defaultAction\": 7}", wantErr: "p.json:2:18:"},
		{name: "empty", giveJSON: "{}", wantErr: ErrEmptyProfile.Error()},
		{name: "name and names", giveJSON: `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}`, wantErr: "both 'name' and 'names'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.json")
			writeFile(t, path, tt.giveJSON)
			_, err := LoadProfile(path, DockerCapabilities)
			if err == nil || !contains(err.Error(), tt.wantErr) {
				t.Errorf("LoadProfile error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
