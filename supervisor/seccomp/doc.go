// Package seccomp turns a Docker/OCI seccomp profile into the filter vigil
// installs on the app, and into the table PID 1 uses to answer for it.
//
// # From profile to BPF
//
// LoadProfile reads a profile with moby/profiles' loader, which resolves
// each rule's includes and excludes (caps, arches, minKernel) for the running
// architecture and kernel and for the capability set the caller gives (vigil
// gives the bounding set the app will have, as Docker resolves for its
// container's; DockerCapabilities is Docker's default one), and yields a
// runtime-spec LinuxSeccomp. Malformed JSON is reported with
// file:line:column.
//
// Compile translates the LinuxSeccomp for one architecture into an ordered
// list of rules (syscall number, argument conditions, outcome) and derives
// both the BPF program and the outcome table from that one list, so they
// cannot disagree. Rules apply in profile order and the first match wins.
// Comparisons in one rule are ANDed, except that, as in runc, a rule that
// compares one argument twice becomes one rule per comparison (ORed). All
// SCMP_CMP_* operators are unsigned 64-bit, MASKED_EQ as
// (arg & value) == valueTwo. Syscall names the architecture does not know
// (other architectures, newer kernels) are skipped and listed in
// Filter.Unknown for the caller to log at debug level, as runc does; those
// syscalls get the default action.
//
// # Every non-ALLOW outcome is a notification
//
// The program returns SECCOMP_RET_ALLOW where the profile allows and
// SECCOMP_RET_USER_NOTIF for everything else: ERRNO, KILL, TRAP, TRACE, LOG,
// NOTIFY, the default action. PID 1 holds the listener, reports the
// violation, and looks up what the profile meant with Filter.Decide on
// seccomp_notif.data: ERRNO → reply with that errno, KILL → kill, LOG →
// let it continue. A plain ERRNO or KILL in the filter would happen in the
// kernel unseen.
//
// Allowed syscalls stay cheap: since Linux 5.11 the kernel remembers, per
// filter, each syscall whose result does not depend on its arguments and
// skips the program for it. Only syscalls with argument conditions or a
// non-ALLOW result run the program, and for those the path matters: the
// program is a binary search on the syscall number over intervals that
// share one handler (a return, or one syscall's argument checks), so it
// reaches any syscall's checks in about seven jumps (Docker's profile has
// 66 intervals on x86_64). libseccomp's program
// compares the number with every rule before it in turn: for personality
// (0xffffffff) under Docker's profile, about 600 instructions run against
// 35 here (bench/).
//
// # Foreign architectures
//
// A filter is compiled for one architecture. A syscall of any other audit
// architecture (i386 code via int 0x80 on x86_64) or of the x32 ABI is
// notified with outcome ActionKillProcess, Rule RuleForeignArch: the rules'
// numbers mean nothing there, allowing would bypass a deny-list profile, and
// killing is libseccomp's default for an architecture missing from a
// filter. 32-bit code does not run under vigil's filter.
//
// # Why not go-seccomp-bpf's Policy
//
// Our syscall tables (zsyscalls.go) are generated from elastic/go-seccomp-bpf
// v1.6.0's package arch (go generate; TestSyscallTables compares them), as
// static data: that package builds its maps at program start, a cost every
// vigil start would pay twice. We emit the BPF ourselves, because its Policy
// cannot express this filter: its DefaultAction must be a named action, which
// SECCOMP_RET_USER_NOTIF is not; Policy.Assemble resolves names only for
// runtime.GOARCH and fails on unknown ones; it has no masked-equal
// comparison; and its assembler does not reload the syscall number after
// comparing an argument, so a later syscall in the same group is compared
// with the argument value (TestUpstreamAssemblerClobbersA shows it). Our
// emitter uses conditional jumps within 255 instructions and "ja", whose
// offset is 32 bits, for longer ones (TestCompileLongJumps);
// TestCompileAgreement and FuzzLoadProfile run the program in
// golang.org/x/net/bpf's VM against Filter.Decide.
package seccomp
