package seccomp

import (
	"os"
	"testing"
)

func FuzzLoadProfile(f *testing.F) {
	docker, err := os.ReadFile(dockerProfile)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(docker)
	for _, seed := range []string{
		`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}`,
		`{"defaultAction":"SCMP_ACT_KILL_PROCESS","defaultErrnoRet":5,"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":255,"valueTwo":17,"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_LOG","syscalls":[{"names":["socket"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":1,"op":"SCMP_CMP_NE"},{"index":0,"value":2,"op":"SCMP_CMP_GE"}]}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mmap"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"],"minKernel":"4.8"}}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseProfile("fuzz.json", data, DockerCapabilities)
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
