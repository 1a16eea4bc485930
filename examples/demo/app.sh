#!/bin/sh
# The app of `make demo`: it shows what vigil does as PID 1. It leaves
# orphans behind (vigil reaps them), a helper that stops politely on SIGTERM,
# and one that ignores SIGTERM (vigil kills it when the grace period ends),
# makes a call Docker's seccomp profile denies (vigil, enforcing that profile
# itself here, reports it; under a real docker run Docker's own filter
# refuses it first and vigil never sees it: docs/seccomp.md), then
# exits with code 3, which becomes vigil's exit code.
set -u
say() { echo "demo app[$$]: $*"; }

say "started; vigil is PID $(cut -d' ' -f4 /proc/$$/stat) (my parent)"
for i in 1 2 3 4 5; do (sleep 0.2 &); done
say "left 5 orphans behind; vigil adopts and reaps them"
(trap 'echo "polite helper: got SIGTERM, leaving"; exit 0' TERM; while :; do sleep 0.1; done) &
(trap '' TERM; exec sleep 600) &
say "started a polite helper and one that ignores SIGTERM"
say "trying to make a user namespace; Docker's profile denies it, vigil reports it"
say "(here vigil enforces that profile; in a real docker run Docker's own filter refuses it first, and vigil sees nothing)"
unshare -U true 2>/dev/null || say "unshare was denied"
sleep 0.5
say "exiting with code 3; vigil stops what I leave running"
exit 3
