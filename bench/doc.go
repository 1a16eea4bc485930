// Package bench holds vigil's benchmarks; it has no code of its own.
//
// # What is measured
//
// The `vigil run` foundation, as whole processes next to the init programs
// people use today (tini, dumb-init) and the bare command:
//   - BenchmarkStartup: fork, exec and wait of `/bin/true` under each;
//   - BenchmarkIdleRSS: the resident memory of the init itself, one second
//     after it started `sleep 1000`;
//   - BenchmarkBinarySize: the size of the static, stripped vigil binary.
//
// The benchmarks only report; the targets are judged by run.sh, because a
// shared machine is too noisy for timing assertions. See README.md.
package bench
