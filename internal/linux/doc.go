// Package linux is the one place in vigil that makes raw Linux system calls.
//
// Every call that can be interrupted is retried on EINTR here, so that the
// rest of the code never has to think about it: PID 1 receives a SIGCHLD for
// every process that dies in the container, and EINTR is normal for it.
// Nothing outside this package imports golang.org/x/sys/unix.
package linux
