#!/usr/bin/env bash
# make demo: the embedded default end to end. vigil-hub (the embedded NATS
# server) starts on a scratch store; the demo app runs under vigil as PID 1
# of a private PID namespace, with Docker's seccomp profile, its events
# published to the hub; then vigil tail prints what the hub holds.
#
#   examples/demo/demo.sh UNSHARE-COMMAND...
#
# DEMO_PORT picks the hub's port (default 4222).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

port=${DEMO_PORT:-4222}
url=nats://127.0.0.1:$port
store=$(mktemp -d)
bin/vigil-hub --listen "127.0.0.1:$port" --store "$store" 2>"$store/hub.log" &
hub=$!
trap 'kill "$hub" 2>/dev/null; wait "$hub" 2>/dev/null; rm -rf "$store"' EXIT
for _ in $(seq 100); do
	grep -q "vigil-hub: listening" "$store/hub.log" && break
	if ! kill -0 "$hub" 2>/dev/null; then
		cat "$store/hub.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "== vigil-hub listening on $url (store $store)"

# vigil gets Docker's default capabilities, as in a plain docker run: it
# resolves Docker's profile for them (with all of root's, the profile allows
# the demo's unshare, as Docker's does for --cap-add SYS_ADMIN).
docker_caps=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap
docker_caps+=,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap
cmd=(setpriv --bounding-set="$docker_caps" bin/vigil run --nats "$url" --outbox "$store/outbox" --workload demo
	--seccomp-profile docker-default --log-format=console --grace=2s -- examples/demo/app.sh)
echo "\$ $* ${cmd[*]}"
code=0
"$@" "${cmd[@]}" || code=$?
echo "vigil exited with code $code (the app's own)"

echo
echo "\$ bin/vigil tail --nats $url --all"
timeout 2 bin/vigil tail --nats "$url" --all || true
