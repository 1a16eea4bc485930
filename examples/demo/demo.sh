#!/usr/bin/env bash
# make demo: the vulnerable example (examples/vulnerable-web) under vigil,
# attacked, on the embedded default, with no Docker and no NATS installed.
#
#   examples/demo/demo.sh
#
# vigil-hub (the embedded NATS server, and its dashboard) starts on a
# scratch store. The app runs in a small root filesystem made here (a static
# busybox, the app, vigil, its baseline), under vigil as PID 1 of private
# PID, mount and network namespaces with Docker's default capabilities, once
# with policy-alert.yaml and once with policy-deny.yaml. attack.sh attacks it
# each time and prints the events vigil published and what was blocked.
# Everything the attacks send stays in the demo's network namespace and on
# the veth pair that joins it to this machine (10.250.0.0/30).
#
# Needs root (namespaces, a veth pair), ip (iproute2), unshare and nsenter
# (util-linux), and a static busybox (Debian: busybox-static).
# DEMO_HTTP is the dashboard's address (default 127.0.0.1:8080, loopback
# only, so without auth); DEMO_KEEP=1 keeps the hub and the dashboard up
# until Ctrl-C; DEMO_MODES picks the runs (default "alert deny"); DEMO_BIN is
# where the binaries are (default bin, what make demo builds).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

die() { echo "make demo: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root, for network namespaces and a veth pair (sudo make demo)"
for tool in ip unshare nsenter setpriv chroot; do
	command -v "$tool" >/dev/null || die "needs $tool (Debian: apt-get install iproute2 util-linux)"
done
busybox=$(command -v busybox) || die "needs a static busybox in \$PATH (Debian: apt-get install busybox-static)"
bin=${DEMO_BIN:-bin}
for b in vigil vigil-hub vulnerable-web attacker; do
	[[ -x $bin/$b ]] || die "$bin/$b is missing: run make demo (it builds them)"
done

http=${DEMO_HTTP:-127.0.0.1:8080}
modes=${DEMO_MODES:-alert deny}
host_ip=10.250.0.1 app_ip=10.250.0.2
netns=vigil-demo-$$
work=$(mktemp -d /tmp/vigil-demo.XXXXXX)
hub="" guard=""
cleanup() {
	trap - EXIT INT TERM
	if [[ -n $guard ]]; then kill "$guard" 2>/dev/null || true; fi
	if [[ -n $hub ]]; then kill "$hub" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	ip netns del "$netns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "make demo: interrupted, cleaning up"; exit 130' INT TERM

# The app's root filesystem, as the example's Dockerfile builds its image.
root=$work/root
mkdir -p "$root"/{bin,app,usr/local/bin,etc/vigil,tmp,proc,dev,root,var/lib/vigil/outbox}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
chroot "$root" /bin/busybox true 2>/dev/null || die "$busybox is not static: it cannot run in the demo's root (Debian: busybox-static)"
for applet in $("$root/bin/busybox" --list); do
	[[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
done
cp "$bin/vulnerable-web" "$root/app/vulnerable-web"
cp "$bin/vigil" "$root/usr/local/bin/vigil"
cp examples/vulnerable-web/policy-alert.yaml examples/vulnerable-web/policy-deny.yaml "$root/etc/vigil/"
examples/vulnerable-web/rootfs-etc.sh "$root"
echo "== the app's root filesystem: $root; its baseline, as the image's last build step:"
unshare --pid --fork --mount sh -c "mount -t proc proc '$root/proc' && exec chroot '$root' /usr/local/bin/vigil baseline" 2>&1 |
	sed 's/^/    /'

# The network: a namespace for the app, joined to this machine by a veth pair.
ip netns add "$netns"
ip link add "vd$$" type veth peer name eth0 netns "$netns"
ip addr add "$host_ip/30" dev "vd$$"
ip link set "vd$$" up
ip -n "$netns" addr add "$app_ip/30" dev eth0
ip -n "$netns" link set eth0 up
ip -n "$netns" link set lo up

mkdir "$work/hub"
"$bin/vigil-hub" --listen "$host_ip:4222" --store "$work/hub" --http "$http" --insecure-no-auth 2>"$work/hub.log" &
hub=$!
for _ in $(seq 100); do
	grep -q "vigil-hub: listening" "$work/hub.log" && break
	kill -0 "$hub" 2>/dev/null || { cat "$work/hub.log" >&2; die "vigil-hub did not start"; }
	sleep 0.1
done
nats=nats://$host_ip:4222
echo "== vigil-hub listening on $nats (store $work/hub), its dashboard on http://$http"

# Docker's default capabilities, as in a plain docker run.
docker_caps=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap
docker_caps+=,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap

tables=()
for mode in $modes; do
	workload=vulnerable-web-$mode
	echo
	echo "======== policy: $mode (examples/vulnerable-web/policy-$mode.yaml), workload $workload"
	cmd="mount -t proc proc '$root/proc' && mount --rbind /dev '$root/dev' && exec"
	cmd+=" setpriv --bounding-set=$docker_caps chroot '$root' /usr/local/bin/vigil run"
	cmd+=" --policy /etc/vigil/policy-$mode.yaml --nats $nats --workload $workload --grace 2s -- /app/vulnerable-web"
	echo "\$ ip netns exec $netns unshare --kill-child=SIGTERM --pid --fork --mount sh -c \"$cmd\""
	ip netns exec "$netns" unshare --kill-child=SIGTERM --pid --fork --mount sh -c "$cmd" 2>"$work/guard-$mode.log" &
	guard=$!
	pid=""
	for _ in $(seq 50); do
		read -r pid _ <"/proc/$guard/task/$guard/children" 2>/dev/null && [[ -n $pid ]] && break
		sleep 0.1
	done
	[[ -n $pid ]] || { cat "$work/guard-$mode.log" >&2; die "the guard did not start"; }
	out=$work/attack-$mode.out
	VW_URL=http://$app_ip:8080 VW_CALLBACK=$host_ip:4444 VW_NATS=$nats VW_WORKLOAD=$workload \
		VW_ENTER="nsenter -t $pid -p -m -n -r -w" VIGIL=$bin/vigil ATTACKER=$bin/attacker \
		VW_PAYLOAD=$root/bin/busybox examples/vulnerable-web/attack.sh "$mode" | tee "$out" ||
		{ echo "== vigil's log:"; cat "$work/guard-$mode.log"; die "attack.sh failed"; }
	tables+=("$(grep '^| ' "$out" | grep -v '^| mode' || true)")
	kill -TERM "$pid" 2>/dev/null || true
	wait "$guard" 2>/dev/null || true
	guard=""
done

echo
echo "======== what vigil did, policy by policy"
echo "| mode  | attack         | the attack | blocked | events (rule:action) |"
echo "|-------|----------------|------------|---------|----------------------|"
printf '%s\n' "${tables[@]}"
echo
echo "every event is on the hub: $bin/vigil tail --nats $nats --all; the dashboard: http://$http"
if [[ ${DEMO_KEEP:-0} == 1 ]]; then
	echo "== the hub and its dashboard stay up until Ctrl-C"
	wait "$hub"
fi
