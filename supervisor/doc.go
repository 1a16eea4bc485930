// Package supervisor is vigil's PID 1: it starts the app, forwards signals
// to it, reaps every process that dies in the container and turns the app's
// end into vigil's exit code.
//
// # One reaper
//
// Exactly one goroutine, the loop in Run, calls wait4(-1). It is woken by
// SIGCHLD and collects every exited child with WNOHANG until none is left,
// routing the app's status by pid. The app is started with syscall.ForkExec
// and never waited on through os/exec: exec.Cmd.Wait would race the global
// reaper for the same pid, and whichever lost would see ECHILD or, worse,
// the status of a recycled pid.
//
// # Shutdown
//
// Like s6 and unlike tini, vigil does not leave the rest of the container
// to the kernel: when the app exits, or once a SIGTERM or SIGINT has been
// forwarded, every remaining descendant is sent SIGTERM and, when the grace
// period ends, SIGKILL. Run returns only when no descendant is left, with the
// app's own exit status.
//
// When vigil is not PID 1 (for example under docker run --init) it makes
// itself a child subreaper, so orphans are still reparented to it and no
// process outlives it.
package supervisor
