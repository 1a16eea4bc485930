#!/bin/sh
# hello: a small app that shows its lifecycle under vigil. It starts a
# background worker, then runs until it is stopped (SIGTERM or SIGINT) or
# until HELLO_SECONDS have passed; either way it stops the worker and exits
# with HELLO_EXIT.
#
#   HELLO_SECONDS  seconds to run before exiting on its own (default: until stopped)
#   HELLO_EXIT     exit code (default 0)
set -u
code=${HELLO_EXIT:-0}
napping= # the pid of the current nap, if any

say() { echo "hello[$$]: $*"; }

# nap sleeps in the background and waits for it: a trapped signal ends a
# wait at once, whereas a foreground sleep would delay the trap until it ends.
nap() {
	sleep "$1" &
	napping=$!
	wait "$napping"
}

worker() {
	trap 'kill "$napping" 2>/dev/null; echo "worker: stopped"; exit 0' TERM
	n=0
	while :; do
		n=$((n + 1))
		echo "worker: tick $n"
		nap 1
	done
}

# finish stops the worker and exits with HELLO_EXIT.
finish() {
	say "$1, stopping the worker"
	kill "$napping" 2>/dev/null
	kill -TERM "$worker"
	wait "$worker"
	say "stopped cleanly, exit $code"
	exit "$code"
}

worker &
worker=$!
trap 'finish "got SIGTERM"' TERM
trap 'finish "got SIGINT"' INT
say "started, worker is pid $worker"
nap "${HELLO_SECONDS:-2147483647}"
finish "ran for ${HELLO_SECONDS:-}s"
