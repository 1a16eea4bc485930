package seccomp

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestDockerProfileCaps resolves Docker's profile for several capability
// sets: its includes and excludes by caps must follow the set given, as
// Docker's do for a container's bounding set.
func TestDockerProfileCaps(t *testing.T) {
	withSysAdmin := append([]string{"CAP_SYS_ADMIN"}, DockerCapabilities...)
	const sigchld = 17
	var (
		allowed = Outcome{Action: ActionAllow}
		eperm   = Outcome{Action: ActionErrno, Errno: uint32(unix.EPERM)}
		enosys  = Outcome{Action: ActionErrno, Errno: uint32(unix.ENOSYS)}
	)
	tests := []struct {
		name     string
		giveCaps []string
		giveCall string
		giveArgs [6]uint64
		want     Outcome // Action and Errno only
	}{
		{name: "defaults: clone CLONE_NEWNS", giveCaps: DockerCapabilities, giveCall: "clone",
			giveArgs: [6]uint64{unix.CLONE_NEWNS | sigchld}, want: eperm},
		{name: "defaults: unshare CLONE_NEWNS", giveCaps: DockerCapabilities, giveCall: "unshare",
			giveArgs: [6]uint64{unix.CLONE_NEWNS}, want: eperm},
		{name: "defaults: mount", giveCaps: DockerCapabilities, giveCall: "mount", want: eperm},
		{name: "defaults: clone3", giveCaps: DockerCapabilities, giveCall: "clone3", want: enosys},
		{name: "defaults: chroot", giveCaps: DockerCapabilities, giveCall: "chroot", want: allowed},
		{name: "SYS_ADMIN: clone CLONE_NEWNS", giveCaps: withSysAdmin, giveCall: "clone",
			giveArgs: [6]uint64{unix.CLONE_NEWNS | sigchld}, want: allowed},
		{name: "SYS_ADMIN: unshare CLONE_NEWNS", giveCaps: withSysAdmin, giveCall: "unshare",
			giveArgs: [6]uint64{unix.CLONE_NEWNS}, want: allowed},
		{name: "SYS_ADMIN: mount", giveCaps: withSysAdmin, giveCall: "mount", want: allowed},
		{name: "SYS_ADMIN: clone3", giveCaps: withSysAdmin, giveCall: "clone3", want: allowed},
		{name: "SYS_ADMIN: reboot still denied", giveCaps: withSysAdmin, giveCall: "reboot", want: eperm},
		{name: "none: chroot", giveCaps: []string{}, giveCall: "chroot", want: eperm},
		{name: "none: clone thread", giveCaps: []string{}, giveCall: "clone",
			giveArgs: [6]uint64{unix.CLONE_VM | unix.CLONE_THREAD}, want: allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadProfile(dockerProfile, tt.giveCaps)
			if err != nil {
				t.Fatal(err)
			}
			f := compile(t, s, "amd64")
			d := Data{Nr: nr(t, tt.giveCall), Arch: f.auditArch, Args: tt.giveArgs}
			got := f.Decide(d)
			if got.Action != tt.want.Action || got.Errno != tt.want.Errno {
				t.Errorf("Decide = %v, want %v(%d)", got, tt.want.Action, tt.want.Errno)
			}
			if ret := run(t, f, d); ret != wantRet(got) {
				t.Errorf("BPF returned %#x, want %#x for %v", ret, wantRet(got), got)
			}
		})
	}
}
