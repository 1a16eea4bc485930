// Command iouring is a probe of the seccomp end-to-end tests: it calls
// io_uring_setup, which Docker 20.10's default seccomp profile allows and
// the current one (moby/profiles, which vigil's tests load) denies, so a
// container can make a call that only vigil's filter answers. It prints
// "io_uring_setup=ERRNO" and exits with that errno: 0 when the call succeeded.
//
// busybox cannot make such a call: whatever Docker's own filter denies, it
// answers with an errno, which the kernel ranks above vigil's notification.
package main

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// sysIOUringSetup is io_uring_setup's number on every architecture but alpha.
const sysIOUringSetup = 425

// ioUringParams is struct io_uring_params (120 bytes); zero asks for defaults.
type ioUringParams [120]byte

func main() {
	var p ioUringParams
	fd, _, errno := syscall.Syscall(sysIOUringSetup, 1, uintptr(unsafe.Pointer(&p)), 0)
	if errno == 0 {
		syscall.Close(int(fd))
	}
	fmt.Printf("io_uring_setup=%d\n", int(errno))
	os.Exit(int(errno))
}
