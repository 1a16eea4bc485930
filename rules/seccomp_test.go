package rules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// jsonLoader reads an OCI profile with encoding/json; the supervisor's
// loader would make this package's tests depend on it.
func jsonLoader(seen *string) ProfileLoader {
	return func(path string) (*specs.LinuxSeccomp, error) {
		*seen = path
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var s specs.LinuxSeccomp
		return &s, json.Unmarshal(data, &s)
	}
}

func errnoPtr(v uint) *uint { return &v }

func TestLoadExample(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if uid, gid, ok := p.UserIDs(); !ok || uid != 1000 || gid != 1000 {
		t.Errorf("UserIDs = %d, %d, %v; want 1000, 1000, true", uid, gid, ok)
	}
	if got, want := p.Groups, []uint32{1000, 16}; !reflect.DeepEqual(got, want) {
		t.Errorf("Groups = %v, want %v", got, want)
	}
	if got, want := p.CapabilityNames(), []string{"CAP_NET_BIND_SERVICE", "CAP_KILL"}; !reflect.DeepEqual(got, want) {
		t.Errorf("CapabilityNames = %v, want %v", got, want)
	}
	var seen string
	s, err := p.SeccompSpec(jsonLoader(&seen))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("testdata", "profile.json"); seen != want {
		t.Errorf("loader got %q, want %q", seen, want)
	}
	want := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: errnoPtr(13),
		Architectures:   []specs.Arch{specs.ArchX86_64},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"ptrace", "process_vm_readv"}, Action: specs.ActKillProcess},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 0xffffffff, Op: specs.OpEqualTo},
			}},
			{Names: []string{"socket"}, Action: specs.ActLog, Args: []specs.LinuxSeccompArg{
				{Index: 1, Value: 0xf, ValueTwo: 3, Op: specs.OpMaskedEqual},
			}},
			{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: errnoPtr(13)},
			{Names: []string{"read", "write", "exit_group"}, Action: specs.ActAllow},
		},
	}
	if !reflect.DeepEqual(s, want) {
		got, _ := json.MarshalIndent(s, "", " ")
		t.Errorf("SeccompSpec =\n%s", got)
	}
}

func TestSeccompSpec(t *testing.T) {
	base := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: errnoPtr(38),
		Syscalls:        []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}},
	}
	tests := []struct {
		name        string
		give        string
		wantProfile string
		wantDefault specs.LinuxSeccompAction
		wantErrno   *uint
		wantFirst   specs.LinuxSyscall
		wantRules   int
	}{
		{
			name:        "built-in profile, default kept",
			give:        "seccomp:\n  profile: docker-default\n  rules: [{names: [ptrace], action: kill-thread}]\n",
			wantProfile: DockerDefault,
			wantDefault: specs.ActErrno,
			wantErrno:   errnoPtr(38),
			wantFirst:   specs.LinuxSyscall{Names: []string{"ptrace"}, Action: specs.ActKillThread},
			wantRules:   2,
		},
		{
			name:        "default errno is EPERM",
			give:        "seccomp:\n  profile: /abs/p.json\n  defaultAction: errno\n  rules: [{names: [mkdir], action: errno}]\n",
			wantProfile: "/abs/p.json",
			wantDefault: specs.ActErrno,
			wantErrno:   errnoPtr(1),
			wantFirst:   specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: errnoPtr(1)},
			wantRules:   2,
		},
		{
			name:        "relative to the policy",
			give:        "seccomp:\n  profile: sub/p.json\n  defaultAction: kill\n",
			wantProfile: filepath.Join("/etc/vigil", "sub/p.json"),
			wantDefault: specs.ActKillProcess,
			wantFirst:   specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActAllow},
			wantRules:   1,
		},
		{
			name:        "no profile",
			give:        "seccomp:\n  defaultAction: allow\n  rules: [{names: [ptrace], action: log}]\n",
			wantDefault: specs.ActAllow,
			wantFirst:   specs.LinuxSyscall{Names: []string{"ptrace"}, Action: specs.ActLog},
			wantRules:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("/etc/vigil/policy.yaml", []byte(header+tt.give))
			if err != nil {
				t.Fatal(err)
			}
			var seen string
			s, err := p.SeccompSpec(func(path string) (*specs.LinuxSeccomp, error) {
				seen = path
				c := *base
				return &c, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if seen != tt.wantProfile {
				t.Errorf("loader got %q, want %q", seen, tt.wantProfile)
			}
			if s.DefaultAction != tt.wantDefault || !reflect.DeepEqual(s.DefaultErrnoRet, tt.wantErrno) {
				t.Errorf("default = %s %v, want %s %v", s.DefaultAction, s.DefaultErrnoRet, tt.wantDefault, tt.wantErrno)
			}
			if len(s.Syscalls) != tt.wantRules || !reflect.DeepEqual(s.Syscalls[0], tt.wantFirst) {
				t.Errorf("syscalls = %+v, want %d starting with %+v", s.Syscalls, tt.wantRules, tt.wantFirst)
			}
			if len(base.Syscalls) != 1 || *base.DefaultErrnoRet != 38 {
				t.Errorf("SeccompSpec changed the loaded profile: %+v", base)
			}
		})
	}
}

func TestSeccompSpecNone(t *testing.T) {
	p, err := Parse("p.yaml", []byte(header))
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.SeccompSpec(nil)
	if s != nil || err != nil {
		t.Errorf("SeccompSpec = %v, %v; want nil, nil without a seccomp section", s, err)
	}
}

func TestSeccompSpecInvalid(t *testing.T) {
	p := &Policy{APIVersion: APIVersion, Kind: Kind, Seccomp: &SeccompSection{
		Profile: DockerDefault,
		Rules:   []Rule{{Names: []string{"ptrace"}, Action: "deny"}},
	}}
	_, err := p.SeccompSpec(nil)
	if want := `policy: unknown action "deny": want allow, errno, kill, kill-thread or log`; err == nil || err.Error() != want {
		t.Errorf("SeccompSpec error = %v, want %s", err, want)
	}
}

func emptyLoader(string) (*specs.LinuxSeccomp, error) { return &specs.LinuxSeccomp{}, nil }

func TestSeccompRuleName(t *testing.T) {
	p, err := Parse("policy.yaml", []byte("apiVersion: vigil.dev/v1\nkind: Policy\nseccomp:\n  profile: docker-default\n  rules:\n    - {name: deny-ptrace, names: [ptrace], action: kill}\n    - {names: [mkdir], action: allow}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"deny-ptrace", "seccomp.rules.1", "seccomp.profile.0", "seccomp.profile.7"} {
		if i == 3 {
			i = 9
		}
		if got := p.SeccompRuleName(i); got != want {
			t.Errorf("SeccompRuleName(%d) = %q, want %q", i, got, want)
		}
	}
	if got := (&Policy{}).SeccompRuleName(2); got != "seccomp.profile.2" {
		t.Errorf("without a seccomp section: %q, want seccomp.profile.2", got)
	}
}
