#!/usr/bin/env bash
# run.sh runs the `vigil run` benchmarks and judges them against the
# targets. `make bench` calls it from the repo root; it works from anywhere.
#
# Environment:
#   BENCHTIME       go test -benchtime of each run (default 500x)
#   COUNT           go test -count; the summary takes the median of the
#                   runs' medians (default 5)
#   SYSCALLS        calls each child of BenchmarkAllowedSyscall times
#                   (default 10000000); it runs COUNT children per filter
#                   set-up, for getppid and for personality
#   BASELINE        1 (default) runs BenchmarkBaseline and BenchmarkVerify
#                   once each (vigil against aide, ~2.5 min); 0 skips them
#   BASELINE_TREES  the trees they record (default /usr/lib/x86_64-linux-gnu
#                   and /usr/share), colon-separated
#   HYPERFINE_RUNS  runs of each command in the hyperfine cross-check
#                   (default 300; 0 skips it)
#   BUS_RUNS        runs of BenchmarkBusThroughput and BenchmarkOutboxReplay
#                   (100,000 and 50,000 events each; default 3)
#   EXEC            1 (default) runs BenchmarkExecLoop (-benchtime 10x) and
#                   BenchmarkJudgedExec (-benchtime ${EXEC_CALLS}x), COUNT
#                   runs each (~4 min with COUNT=5); 0 skips them
#   EXEC_CALLS      execs each child of BenchmarkJudgedExec times (default 2000)
#   VIGIL_BENCH_EXEC_POLICY  a policy for their vigil-policy line (the
#                   default rule pack once written); unset skips it
#   NET             1 (default) runs BenchmarkConnect (-benchtime
#                   ${NET_CALLS}x) and BenchmarkHTTPNewConn (-benchtime 10x:
#                   ten pairs with a bare client each), COUNT runs each
#                   (~11 min with COUNT=5); 0 skips them
#   NET_CALLS       connects each child of BenchmarkConnect times (default 2000)
#   BENCH_OUT       keep the raw go test output in this file, for benchstat
#
# It reports and never fails on a MISS: a shared machine is too noisy for
# a timing to gate anything. MB here is 10^6 bytes.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

benchtime=${BENCHTIME:-500x}
count=${COUNT:-5}
hyperfine_runs=${HYPERFINE_RUNS:-300}
syscalls=${SYSCALLS:-10000000}
baseline=${BASELINE:-1}
bus_runs=${BUS_RUNS:-3}
exec_benchmarks=${EXEC:-1}
exec_calls=${EXEC_CALLS:-2000}
net_benchmarks=${NET:-1}
net_calls=${NET_CALLS:-2000}

# The targets of the `vigil run` foundation.
max_overhead_ms=3
max_rss_mb=10
max_size_mb=15
# ... and of the seccomp issue.
max_notify_us=10
max_filter_ns=40 # an allowed syscall under vigil's filter, over unfiltered
# ... and of the file integrity issue.
min_aide_ratio=5 # vigil baseline's throughput over aide --init's
max_file_event_ms=100 # a write to a baseline file until its event, p99
# ... and of the NATS bus issue.
max_bus_p99_ms=5        # a violation until a subscriber has it, p99
min_bus_rate=50000      # events/s from one guard into JetStream
max_bus_rss_mb=20       # the guard's RSS with a live connection
# ... and of the exec watch issue.
max_exec_loop_pct=15 # a loop of 2,000 /usr/bin/true under vigil, over bare
max_idle_watch_pct=1 # vigil's CPU watching 200 idle processes, % of a core
# ... and of the hub issue.
min_hub_rate=20000 # events/s from the stream into the hub's view
max_sse_ms=1000    # the page behind the bus: one event until 50 SSE clients have it, p99
# ... and of the network issue.
max_net_loss_pct=10 # HTTP requests on new connections/s under a 50-rule egress policy, fewer than bare

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/vigil
floor=$tmp/floor
raw=${BENCH_OUT:-$tmp/bench.txt}

# build builds vigil as it ships (static, trimmed, stripped), and the floor
# program (bench/floor) the same way for the hyperfine cross-check.
build() {
	echo "== building $bin"
	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$bin" ./cmd/vigil
	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$floor" ./bench/floor
}

# machine prints what the numbers were measured on, and of which code.
machine() {
	echo "== machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')," \
		"kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%F)"
	echo "== vigil: $(git describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
}

# run_benchmarks runs every benchmark in bench/ on the binary just built,
# and BenchmarkAllowedSyscall, whose op is one system call, on its own
# with $syscalls calls per child.
run_benchmarks() {
	echo "== go test -bench . (the slow ones on their own) -benchtime $benchtime -count $count"
	(cd bench && VIGIL_BENCH_BIN=$bin go test -run '^$' -bench . -skip 'AllowedSyscall|Baseline|Verify|BusThroughput|OutboxReplay|ExecLoop|JudgedExec|IdleWatch|Connect|HTTPNewConn|HubIngest|HubSSE' \
		-benchtime "$benchtime" -count "$count") |
		tee "$raw"
	echo "== go test -bench 'BusThroughput|OutboxReplay' -benchtime ${bus_runs}x -count 1"
	(cd bench && go test -run '^$' -bench 'BusThroughput|OutboxReplay' -benchtime "${bus_runs}x" -count 1) |
		tee -a "$raw"
	echo "== go test -bench HubIngest -benchtime ${bus_runs}x -count 1; -bench HubSSE -benchtime 300x -count 1"
	(cd bench && go test -run '^$' -bench HubIngest -benchtime "${bus_runs}x" -count 1) |
		tee -a "$raw"
	(cd bench && go test -run '^$' -bench HubSSE -benchtime 300x -count 1) |
		tee -a "$raw"
	echo "== go test -bench AllowedSyscall -benchtime ${syscalls}x -count $count"
	(cd bench && go test -run '^$' -bench AllowedSyscall -benchtime "${syscalls}x" -count "$count") |
		tee -a "$raw"
	if [[ $exec_benchmarks == 1 ]]; then
		echo "== go test -bench ExecLoop -benchtime 10x -count $count"
		(cd bench && VIGIL_BENCH_BIN=$bin go test -run '^$' -bench ExecLoop -benchtime 10x -count "$count") |
			tee -a "$raw"
		echo "== go test -bench IdleWatch -benchtime 1x -count $count"
		(cd bench && VIGIL_BENCH_BIN=$bin go test -run '^$' -bench IdleWatch -benchtime 1x -count "$count") |
			tee -a "$raw"
		echo "== go test -bench JudgedExec -benchtime ${exec_calls}x -count $count"
		(cd bench && VIGIL_BENCH_BIN=$bin go test -run '^$' -bench JudgedExec -benchtime "${exec_calls}x" -count "$count") |
			tee -a "$raw"
	fi
	if [[ $net_benchmarks == 1 ]]; then
		echo "== go test -bench Connect -benchtime ${net_calls}x -count $count"
		(cd bench && VIGIL_BENCH_BIN=$bin go test -run '^$' -bench Connect -benchtime "${net_calls}x" -count "$count") |
			tee -a "$raw"
		echo "== go test -bench HTTPNewConn -benchtime 10x -count $count"
		(cd bench && VIGIL_BENCH_BIN=$bin go test -run '^$' -bench HTTPNewConn -benchtime 10x -count "$count") |
			tee -a "$raw"
	fi
	if [[ $baseline == 1 ]]; then
		echo "== go test -bench 'Baseline|Verify' -benchtime 1x -count 1"
		(cd bench && VIGIL_BENCH_BIN=$bin go test -run '^$' -bench 'Baseline|Verify' -benchtime 1x -count 1) |
			tee -a "$raw"
	fi
}

# metric prints the median, over the -count runs, of the value reported
# with UNIT by benchmark NAME (without its -GOMAXPROCS suffix). It fails
# when there is none, for example when the benchmark was skipped.
metric() {
	awk -v name="$1" -v unit="$2" '
		/^Benchmark/ { sub(/-[0-9]+$/, "", $1) }
		$1 == name { for (i = 3; i <= NF; i++) if ($i == unit) print $(i - 1) }' "$raw" |
		sort -g |
		awk '{ v[NR] = $1 }
			END {
				if (NR == 0) exit 1
				print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			}'
}

# calc prints the value of an awk expression.
calc() {
	awk "BEGIN { printf \"%.2f\", $1 }"
}

# verdict prints PASS when value < max, MISS otherwise.
verdict() {
	awk -v v="$1" -v max="$2" 'BEGIN { print (v + 0 < max + 0) ? "PASS" : "MISS" }'
}

row() {
	printf '%-34s %12s   %-9s %s\n' "$@"
}

# median_ms prints the median wall time of a Startup sub-benchmark, or
# fails when it did not run.
median_ms() {
	local ns
	ns=$(metric "BenchmarkStartup/$1" median-ns) || return 1
	calc "$ns / 1e6"
}

# row_ms prints a median in ms or, when there is none, that the benchmark
# was skipped and why (its third argument).
row_ms() {
	if [[ -n $2 ]]; then
		row "$1" "$2 ms"
	else
		row "$1" "skipped" "" "(${3:-not run})"
	fi
}

summary() {
	local bare vigil seccomp tini dumb_init rss size ms
	bare=$(median_ms bare)
	vigil=$(median_ms vigil)
	tini=$(median_ms tini) || tini=""
	dumb_init=$(median_ms dumb-init) || dumb_init=""
	echo
	echo "== summary (medians of $count runs of $benchtime)"
	row "measure" "measured" "target" "result"
	row_ms "/bin/true, median" "$bare"
	row_ms "vigil run -- /bin/true, median" "$vigil"
	seccomp=$(median_ms vigil-seccomp) || seccomp=""
	row_ms "  with Docker's seccomp profile" "$seccomp"
	row_ms "tini -- /bin/true, median" "$tini" "not installed: apt-get install tini"
	row_ms "dumb-init /bin/true, median" "$dumb_init" "not installed: apt-get install dumb-init"
	if [[ -n $tini ]]; then
		row "vigil / tini" "$(calc "$vigil / $tini")x"
	fi
	ms=$(calc "$vigil - $bare")
	row "vigil overhead over bare" "$ms ms" "< $max_overhead_ms ms" "$(verdict "$ms" "$max_overhead_ms")"
	if [[ -n $seccomp ]]; then
		ms=$(calc "$seccomp - $bare")
		row "  with Docker's seccomp profile" "$ms ms" "< $max_overhead_ms ms" "$(verdict "$ms" "$max_overhead_ms")"
	fi
	floor_rows "$bare"
	rss=$(calc "$(metric BenchmarkIdleRSS/vigil rss-KiB) * 1024 / 1e6")
	row "vigil idle RSS" "$rss MB" "< $max_rss_mb MB" "$(verdict "$rss" "$max_rss_mb")"
	if rss=$(metric BenchmarkIdleRSS/vigil-seccomp rss-KiB); then
		rss=$(calc "$rss * 1024 / 1e6")
		row "  with Docker's seccomp profile" "$rss MB" "< $max_rss_mb MB" "$(verdict "$rss" "$max_rss_mb")"
	fi
	if rss=$(metric BenchmarkIdleRSS/tini rss-KiB); then
		row "tini idle RSS (context)" "$(calc "$rss * 1024 / 1e6") MB"
	fi
	size=$(calc "$(metric BenchmarkBinarySize binary-bytes) / 1e6")
	row "vigil binary (static, stripped)" "$size MB" "< $max_size_mb MB" "$(verdict "$size" "$max_size_mb")"
	notify_rows
	# Within 1 ns counts as a tie for getppid: the kernel's cache answers
	# it under both filters, and the runs' spread is larger than that.
	allowed_rows getppid 1
	# personality(0xffffffff) is allowed for that argument only, so each
	# call runs the programs: here vigil's must not be slower.
	allowed_rows personality 0
	baseline_rows
	bus_rows
	hub_rows
	exec_rows
	net_rows
}

# hub_rows reports the hub: events/s from the stream into its view, and
# one event until 50 SSE clients have it.
hub_rows() {
	local rate p99
	if rate=$(metric BenchmarkHubIngest/hub events/s); then
		row "hub ingest, events/s" "$(calc "$rate / 1")" "> $min_hub_rate" \
			"$(awk -v r="$rate" -v m="$min_hub_rate" 'BEGIN { print (r + 0 > m + 0) ? "PASS" : "MISS" }')"
		row "  nats.go publish alone" "$(calc "$(metric BenchmarkHubIngest/nats.go-publish events/s) / 1")"
	fi
	if p99=$(metric BenchmarkHubSSE p99-ns); then
		p99=$(calc "$p99 / 1e6")
		row "bus to 50 SSE clients, p50" "$(calc "$(metric BenchmarkHubSSE p50-ns) / 1e6") ms"
		row "bus to 50 SSE clients, p99" "$p99 ms" "< $max_sse_ms ms" "$(verdict "$p99" "$max_sse_ms")"
	fi
}

# net_rows reports the network concern: one connect, held under vigil, over
# bare (each child paired with a bare one), and HTTP requests per second,
# each on a new connection (each run paired with a bare client).
net_rows() {
	local name us rate pct
	if us=$(metric BenchmarkConnect/bare p50-us); then
		row "connect+close, bare, p50" "$(calc "$us") us"
		for name in tini split-notify vigil vigil-egress50; do
			us=$(metric "BenchmarkConnect/$name" added-us) || continue
			row "  $name, added" "$(calc "$us") us"
		done
	fi
	rate=$(metric BenchmarkHTTPNewConn/bare req/s) || return 0
	row "HTTP, a new connection each, bare" "$(calc "$rate / 1") req/s"
	for name in tini split-notify vigil vigil-egress50; do
		rate=$(metric "BenchmarkHTTPNewConn/$name" req/s) || continue
		pct=$(calc "$(metric "BenchmarkHTTPNewConn/$name" fewer-%)")
		case $name in
		vigil-egress50)
			row "HTTP, $name" "$(calc "$rate / 1") req/s" "" ""
			row "  fewer than bare" "$pct %" "< $max_net_loss_pct %" "$(verdict "$pct" "$max_net_loss_pct")"
			;;
		*) row "HTTP, $name" "$(calc "$rate / 1") req/s" "" "(fewer $pct %)" ;;
		esac
	done
}

# exec_rows reports the exec watch: the shell loop per exec and over bare
# (each run paired with a bare loop), and one judged exec with its split.
exec_rows() {
	local name us pct
	us=$(metric BenchmarkExecLoop/bare us/exec) || return 0
	row "exec loop, bare" "$(calc "$us") us/exec"
	for name in tini vigil-no-watch vigil vigil-drift vigil-policy; do
		us=$(metric "BenchmarkExecLoop/$name" us/exec) || continue
		pct=$(calc "$(metric "BenchmarkExecLoop/$name" added-%)")
		case $name in
		vigil | vigil-policy)
			row "exec loop, $name" "$(calc "$us") us/exec" "" ""
			row "  added over bare" "$pct %" "< $max_exec_loop_pct %" "$(verdict "$pct" "$max_exec_loop_pct")"
			;;
		*) row "exec loop, $name" "$(calc "$us") us/exec" "" "(added $pct %)" ;;
		esac
	done
	if pct=$(metric BenchmarkIdleWatch/vigil core%); then
		row "200 idle processes, tini's CPU" "$(calc "$(metric BenchmarkIdleWatch/tini core% || echo 0)") %"
		row "200 idle processes, vigil's CPU" "$(calc "$pct") %" "< $max_idle_watch_pct %" "$(verdict "$pct" "$max_idle_watch_pct")"
	fi
	us=$(metric BenchmarkJudgedExec/bare p50-us) || return 0
	row "one exec from Go, bare, p50" "$(calc "$us") us"
	for name in vigil-no-watch vigil vigil-drift vigil-policy split-notify split-inspect split-decide-drift; do
		us=$(metric "BenchmarkJudgedExec/$name" added-us) || continue
		row "  $name, added" "$(calc "$us") us"
	done
	if us=$(metric BenchmarkJudgedExec/split-decide-drift inspect-us); then
		row "  Inspect while held" "$(calc "$us") us"
		row "  Decide (drift), hashed/cached" "$(calc "$(metric BenchmarkJudgedExec/split-decide-drift decide-first-us)")/$(calc "$(metric BenchmarkJudgedExec/split-decide-drift decide-us)") us"
		row "  Report, after the answer" "$(calc "$(metric BenchmarkJudgedExec/split-decide-drift report-us)") us"
	fi
}

# bus_rows reports the NATS bus against nats.go alone.
bus_rows() {
	local p99 rate rss ms
	if p99=$(metric BenchmarkBusLatency/vigil p99-ns); then
		row "violation to subscriber, p50" "$(calc "$(metric BenchmarkBusLatency/vigil p50-ns) / 1e6") ms"
		p99=$(calc "$p99 / 1e6")
		row "violation to subscriber, p99" "$p99 ms" "< $max_bus_p99_ms ms" "$(verdict "$p99" "$max_bus_p99_ms")"
		row "  nats.go sync publish, p50/p99" "$(calc "$(metric BenchmarkBusLatency/nats.go-sync p50-ns) / 1e6")/$(calc "$(metric BenchmarkBusLatency/nats.go-sync p99-ns) / 1e6") ms"
	fi
	if rate=$(metric BenchmarkBusThroughput/vigil events/s); then
		row "events/s into JetStream" "$(calc "$rate / 1")" "> $min_bus_rate" \
			"$(awk -v r="$rate" -v m="$min_bus_rate" 'BEGIN { print (r + 0 > m + 0) ? "PASS" : "MISS" }')"
		row "  nats.go async, no outbox" "$(calc "$(metric BenchmarkBusThroughput/nats.go-async events/s) / 1")"
		row "outbox replay, events/s" "$(calc "$(metric BenchmarkOutboxReplay events/s) / 1")"
	fi
	if rss=$(metric BenchmarkIdleRSS/vigil-nats rss-KiB); then
		rss=$(calc "$rss * 1024 / 1e6")
		row "vigil idle RSS, NATS connected" "$rss MB" "< $max_bus_rss_mb MB" "$(verdict "$rss" "$max_bus_rss_mb")"
	fi
	if ms=$(median_ms vigil-nats); then
		row "vigil run --nats -- /bin/true" "$ms ms" "" "(connect, started and stopped acknowledged)"
	fi
}

# floor_rows reports bench/floor's overheads over bare ($1): the least an
# init built on vigil's required libraries pays, without a sandbox and
# with only the compile of Docker's profile. A target below its floor
# cannot be met by any vigil on this machine.
floor_rows() {
	local floor ms
	floor=$(median_ms floor) || return 0
	ms=$(calc "$floor - $1")
	row "floor overhead (bench/floor)" "$ms ms" "" "the least for the plain line"
	floor=$(median_ms floor-seccomp) || return 0
	ms=$(calc "$floor - $1")
	row "  with the profile's compile" "$ms ms" "" "the least for the profile line"
}

# baseline_rows reports the file watch's latency, and vigil baseline and
# verify against aide when they ran.
baseline_rows() {
	local vigil aide workers what p50 p99
	p50=$(calc "$(metric BenchmarkFileEvent p50-ns) / 1e6")
	p99=$(calc "$(metric BenchmarkFileEvent p99-ns) / 1e6")
	row "file write to event, p50" "$p50 ms"
	row "file write to event, p99" "$p99 ms" "< $max_file_event_ms ms" "$(verdict "$p99" "$max_file_event_ms")"
	for what in Baseline Verify; do
		vigil=$(metric "Benchmark$what/vigil" MB/s) || continue
		row "$what: vigil" "$(calc "$vigil") MB/s" "" "$(calc "$(metric "Benchmark$what/vigil" files/s)") files/s"
		aide=$(metric "Benchmark$what/aide" MB/s) || { row "  aide" "skipped" "" "(apt-get install aide)"; continue; }
		workers=$(metric "Benchmark$what/aide-workers" MB/s)
		row "  aide (1 worker, its default)" "$(calc "$aide") MB/s"
		row "  aide --workers=$(nproc)" "$(calc "$workers") MB/s"
		if [[ $what == Baseline ]]; then
			local best ratio
			best=$(awk -v a="$aide" -v w="$workers" 'BEGIN { print (a > w) ? a : w }')
			ratio=$(calc "$vigil / $best")
			row "  vigil / aide's best" "${ratio}x" ">= ${min_aide_ratio}x" \
				"$(awk -v r="$ratio" -v m="$min_aide_ratio" 'BEGIN { print (r + 0 >= m + 0) ? "PASS" : "MISS" }')"
		fi
	done
}

# allowed_ns prints the median ns per call of an AllowedSyscall
# sub-benchmark (SYSCALL/SET-UP), or fails when it did not run.
allowed_ns() {
	local ns
	ns=$(metric "BenchmarkAllowedSyscall/$1" ns/call) || return 1
	calc "$ns"
}

# allowed_rows reports what seccomp costs SYSCALL ($1), which the profile
# allows, and judges vigil's filter against libseccomp's with a slack of
# $2 ns.
allowed_rows() {
	local sc=$1 slack=$2 none vigil lib stacked c_none c_lib ns
	none=$(allowed_ns "$sc/none")
	vigil=$(allowed_ns "$sc/vigil")
	lib=$(allowed_ns "$sc/libseccomp") || lib=""
	stacked=$(allowed_ns "$sc/vigil-on-libseccomp") || stacked=""
	c_none=$(allowed_ns "$sc/c-none") || c_none=""
	c_lib=$(allowed_ns "$sc/c-libseccomp") || c_lib=""
	local why="libseccomp-dev not installed: apt-get install libseccomp-dev"
	row "allowed $sc, bare" "$none ns"
	row "  under vigil's filter" "$vigil ns"
	row_ns "  under libseccomp's filter" "$lib" "$why"
	row_ns "  vigil's on libseccomp's" "$stacked" "$why"
	row_ns "  C loop, bare" "$c_none" "$why"
	row_ns "  C loop, libseccomp's own load" "$c_lib" "$why"
	ns=$(calc "$vigil - $none")
	row "vigil's filter over bare" "$ns ns" "< $max_filter_ns ns" "$(verdict "$ns" "$max_filter_ns")"
	local target="<= libseccomp"
	[[ $slack == 0 ]] || target+="+$slack"
	if [[ -n $lib ]]; then
		row "vigil's filter vs libseccomp's" "$vigil vs $lib ns" "$target" \
			"$(awk -v v="$vigil" -v l="$lib" -v s="$slack" 'BEGIN { print (v + 0 <= l + s) ? "PASS" : "MISS" }')"
	else
		row "vigil's filter vs libseccomp's" "skipped" "" "($why)"
	fi
}

# row_ns prints a value in ns or, when there is none, that the benchmark
# was skipped and why (its third argument).
row_ns() {
	if [[ -n $2 ]]; then
		row "$1" "$2 ns"
	else
		row "$1" "skipped" "" "(${3:-not run})"
	fi
}

# notify_rows reports the round trip of a notified (reported) system call.
notify_rows() {
	local mode us
	for mode in sync-wakeup plain; do
		if us=$(metric "BenchmarkNotify/$mode" p50-ns); then
			us=$(calc "$us / 1e3")
			if [[ $mode == sync-wakeup ]]; then
				row "notified syscall p50 ($mode)" "$us us" "< $max_notify_us us" "$(verdict "$us" "$max_notify_us")"
			else
				row "notified syscall p50 ($mode)" "$us us"
			fi
			row "notified syscall p99 ($mode)" "$(calc "$(metric "BenchmarkNotify/$mode" p99-ns) / 1e3") us"
		else
			row "notified syscall ($mode)" "skipped"
		fi
	done
}

# crosscheck measures the same command lines with hyperfine, an independent
# harness, so that a bug in ours would show as a disagreement.
crosscheck() {
	echo
	if [[ $hyperfine_runs == 0 ]]; then
		echo "== hyperfine cross-check skipped (HYPERFINE_RUNS=0)"
		return
	fi
	local tool
	for tool in hyperfine jq; do
		if ! command -v "$tool" >/dev/null; then
			echo "== hyperfine cross-check skipped: $tool not installed (apt-get install $tool)"
			return
		fi
	done
	echo "== hyperfine cross-check ($hyperfine_runs runs each, medians)"
	local json=$tmp/hyperfine.json name ms
	local args=(-N --warmup 20 --runs "$hyperfine_runs" --style none --export-json "$json"
		-n bare /bin/true -n vigil "$bin run -- /bin/true"
		-n vigil-seccomp "$bin run --seccomp-profile docker-default -- /bin/true"
		-n floor "$floor -- /bin/true"
		-n floor-seccomp "$floor --seccomp-profile docker-default -- /bin/true")
	if command -v tini >/dev/null; then
		args+=(-n tini "tini -- /bin/true")
	fi
	if command -v dumb-init >/dev/null; then
		args+=(-n dumb-init "dumb-init /bin/true")
	fi
	# Its warnings about outliers are left out: the medians shrug them off.
	if ! hyperfine "${args[@]}" 2>"$tmp/hyperfine.err"; then
		cat "$tmp/hyperfine.err" >&2
		echo "hyperfine failed" >&2
		return 1
	fi
	jq -r '.results[] | "\(.command) \(.median * 1000)"' "$json" |
		while read -r name ms; do
			row "$name, median" "$(calc "$ms") ms"
		done
	for name in vigil vigil-seccomp floor floor-seccomp; do
		ms=$(jq -r --arg n "$name" '(.results | map({(.command): .median}) | add) | (.[$n] - .bare) * 1000' "$json")
		row "$name overhead over bare" "$(calc "$ms") ms"
	done
}

machine
build
run_benchmarks
summary
crosscheck
