#!/usr/bin/env bash
# make demo: the embedded default end to end. vigil-hub (the embedded NATS
# server) starts on a scratch store; the demo app runs under vigil as PID 1
# of a private PID namespace, with Docker's seccomp profile, its events
# published to the hub; then vigil tail prints what the hub holds, and the
# hub's dashboard API the guard it saw.
#
#   examples/demo/demo.sh UNSHARE-COMMAND...
#
# DEMO_PORT picks the hub's port (default 4222), DEMO_HTTP its dashboard's
# (default 127.0.0.1:8080: loopback only, so without auth); DEMO_KEEP=1
# keeps the hub and its dashboard up until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

port=${DEMO_PORT:-4222}
url=nats://127.0.0.1:$port
store=$(mktemp -d)
http=${DEMO_HTTP:-127.0.0.1:8080}
bin/vigil-hub --listen "127.0.0.1:$port" --store "$store" --http "$http" --insecure-no-auth 2>"$store/hub.log" &
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
echo "== vigil-hub listening on $url (store $store), dashboard on http://$http"

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

if command -v curl >/dev/null; then
	echo
	echo "\$ curl -s http://$http/api/workloads"
	curl -s "http://$http/api/workloads" || true
	echo
fi
if [[ ${DEMO_KEEP:-0} == 1 ]]; then
	echo "== the dashboard: http://$http (Ctrl-C ends the demo)"
	wait "$hub"
fi
