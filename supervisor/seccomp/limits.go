package seccomp

// MaxProfileBytes caps a profile file LoadProfile reads (a regular file:
// not a device, not a FIFO). Docker's default profile is 13 KiB of JSON and
// a profile vigil learn writes a few KiB; 1 MiB of profile takes about
// 27 MB of memory to decode, and vigil reads it as PID 1, before the app
// starts.
const MaxProfileBytes = 1 << 20
