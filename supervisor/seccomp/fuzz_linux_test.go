package seccomp

import (
	"testing"
)

// dockerInMiniature has one rule of each kind Docker's profile has (names
// lists, minKernel, argument comparisons of each operator, architecture
// and capability includes and excludes, errnoRet), in 1.5 KB. The fuzzer
// starts from it, not from Docker's 13 KB profile: the minimizer tries
// removing each byte of every new input it keeps, and with inputs of 13 KB
// the workers spent 27 of 30 s minimizing (FuzzLoadProfile ran 11 to
// 14,315 inputs in 30 s, all in the first seconds). Docker's whole profile
// is checked by TestDockerProfileAgreement.
const dockerInMiniature = `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 1,
	"archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
	"syscalls": [
		{"names": ["accept", "read", "write", "futex"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
		{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_LT"}]},
		{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_GT"}]},
		{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
		{"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
		{"names": ["set_tls"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm", "arm64"]}},
		{"names": ["mount", "unshare"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
		{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}], "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
		{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
		{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 9, "op": "SCMP_CMP_LE"}, {"index": 0, "value": 1, "op": "SCMP_CMP_GE"}]}
	]
}`

// FuzzLoadProfile: no profile makes ParseProfile or Compile panic, and the
// BPF of every profile that compiles agrees with the outcome table, for
// Docker's capabilities and with CAP_SYS_ADMIN added.
func FuzzLoadProfile(f *testing.F) {
	for _, seed := range []string{
		dockerInMiniature,
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}`,
		`{"defaultAction":"SCMP_ACT_KILL_PROCESS","defaultErrnoRet":5,"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":255,"valueTwo":17,"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_LOG","syscalls":[{"names":["socket"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":1,"op":"SCMP_CMP_NE"},{"index":0,"value":2,"op":"SCMP_CMP_GE"}]}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mmap"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"],"minKernel":"4.8"}}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[`,
	} {
		f.Add([]byte(seed), false)
	}
	f.Add([]byte(dockerInMiniature), true)
	withAdmin := append(append([]string(nil), DockerCapabilities...), "CAP_SYS_ADMIN")
	f.Fuzz(func(t *testing.T, data []byte, sysAdmin bool) {
		caps := DockerCapabilities
		if sysAdmin {
			caps = withAdmin
		}
		s, err := ParseProfile("fuzz.json", data, caps)
		if err != nil {
			return
		}
		filter, err := Compile(s, "amd64")
		if err != nil {
			return
		}
		agree(t, filter, 50)
	})
}
