// Package bench holds vigil's benchmarks; it has no code of its own.
//
// # What is measured
//
// The `vigil run` foundation, as whole processes next to the init programs
// people use today (tini, dumb-init) and the bare command:
//   - BenchmarkStartup: fork, exec and wait of `/bin/true` under each, and
//     under bench/floor, the lower bound of any init built on vigil's
//     required libraries;
//   - BenchmarkIdleRSS: the resident memory of the init itself, one second
//     after it started `sleep 1000`;
//   - BenchmarkBinarySize: the size of the static, stripped vigil binary.
//
// And seccomp: BenchmarkNotify, the round trip of a notified system call;
// BenchmarkAllowedSyscall, the cost of an allowed one with no filter,
// under vigil's compile of Docker's default profile and under libseccomp's
// (libseccomp/harness.c, built at run time): getppid, which the kernel's
// action cache answers, and personality, whose argument makes every
// program run.
//
// The benchmarks only report; the targets are judged by run.sh, because a
// shared machine is too noisy for timing assertions. See README.md.
package bench
