#!/usr/bin/env bash
# make demo-docker: make demo with real images on a Docker engine. The
# vulnerable example's image (examples/vulnerable-web/Dockerfile, FROM the
# base layer, RUN vigil baseline) runs in a plain docker run with Docker's
# default capabilities and seccomp profile, once with policy-alert.yaml and
# once with policy-deny.yaml, its events on vigil-hub in its own container;
# attack.sh attacks it each time. The containers share an --internal
# network the demo makes: nothing the attacks send leaves this machine.
#
#   examples/demo/demo-docker.sh      (after make build examples-bin image)
#
# Needs a Docker engine and a static busybox (Debian: busybox-static).
# DEMO_KEEP=1 keeps the hub (and its dashboard on the network) until Ctrl-C;
# DEMO_TAG tags the images it builds (default dev), DEMO_BASE and
# DEMO_BUSYBOX name the base layer and the busybox image (default
# vigil-base:dev, vigil-busybox:dev: imported from the static busybox when
# missing); DEMO_LABEL labels its containers and network vigil-e2e=LABEL
# (the end-to-end tests' clean-up finds them by it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

die() { echo "make demo-docker: $*" >&2; exit 1; }
docker info >/dev/null 2>&1 || die "no Docker engine answers (make demo runs without one)"
busybox=$(command -v busybox) || die "needs a static busybox in \$PATH (Debian: apt-get install busybox-static)"
modes=${DEMO_MODES:-alert deny}
tag=${DEMO_TAG:-dev}
base=${DEMO_BASE:-vigil-base:dev}
bbimage=${DEMO_BUSYBOX:-vigil-busybox:dev}
docker image inspect "$base" >/dev/null 2>&1 || die "no base layer $base: make image builds it"
id=$$
net=vigil-demo-$id
hub=vigil-demo-hub-$id
apps=()
labels=()
if [[ -n ${DEMO_LABEL:-} ]]; then labels=(--label "vigil-e2e=$DEMO_LABEL"); fi
cleanup() {
	trap - EXIT INT TERM
	docker rm -f "$hub" "${apps[@]}" >/dev/null 2>&1 || true
	docker network rm "$net" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'echo; echo "make demo-docker: interrupted, cleaning up"; exit 130' INT TERM

if ! docker image inspect "$bbimage" >/dev/null 2>&1; then
	echo "== importing $busybox as $bbimage"
	bb=$(mktemp -d)
	mkdir "$bb/bin" && cp "$busybox" "$bb/bin/"
	for applet in $("$bb/bin/busybox" --list); do
		[[ $applet == busybox ]] || ln -s busybox "$bb/bin/$applet"
	done
	tar -C "$bb" -c bin | docker import - "$bbimage" >/dev/null
	rm -rf "$bb"
fi
echo "== building the images"
DOCKER_BUILDKIT=0 docker build -q --network=none -f examples/hub/Dockerfile -t "vigil-hub:$tag" . >/dev/null
DOCKER_BUILDKIT=0 docker build -q --network=none --build-arg "VIGIL_BASE=$base" --build-arg "BUSYBOX=$bbimage" \
	-f examples/vulnerable-web/Dockerfile -t "vigil-vulnerable-web:$tag" . >/dev/null

docker network create "${labels[@]}" --internal "$net" >/dev/null
gateway=$(docker network inspect "$net" -f '{{(index .IPAM.Config 0).Gateway}}')
docker run -d "${labels[@]}" --name "$hub" --network "$net" "vigil-hub:$tag" --http :8080 --insecure-no-auth >/dev/null
ip_of() { docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$1"; }
hub_ip=$(ip_of "$hub")
nats=nats://$hub_ip:4222
for _ in $(seq 100); do
	docker logs "$hub" 2>&1 | grep -q "vigil-hub: listening" && break
	sleep 0.1
done
echo "== vigil-hub in container $hub: $nats, its dashboard on http://$hub_ip:8080"

tables=()
for mode in $modes; do
	app=vigil-demo-app-$mode-$id
	apps+=("$app")
	echo
	echo "======== policy: $mode (/etc/vigil/policy-$mode.yaml), workload vulnerable-web-$mode"
	run=(docker run -d "${labels[@]}" --name "$app" --network "$net" -e "VIGIL_POLICY=/etc/vigil/policy-$mode.yaml"
		-e "VIGIL_NATS_URL=$nats" -e "VIGIL_WORKLOAD=vulnerable-web-$mode" "vigil-vulnerable-web:$tag")
	echo "\$ ${run[*]}"
	"${run[@]}" >/dev/null
	out=$(mktemp)
	VW_URL=http://$(ip_of "$app"):8080 VW_CALLBACK=$gateway:4444 VW_NATS=$nats VW_WORKLOAD=vulnerable-web-$mode \
		VW_ENTER="docker exec $app" VIGIL=bin/vigil ATTACKER=bin/attacker VW_PAYLOAD=$busybox \
		examples/vulnerable-web/attack.sh "$mode" | tee "$out" ||
		{ echo "== docker logs $app:"; docker logs "$app" 2>&1 | tail -30; die "attack.sh failed"; }
	tables+=("$(grep '^| ' "$out" | grep -v '^| mode' | grep -v '^|--' || true)")
	rm -f "$out"
	docker stop -t 5 "$app" >/dev/null
done

echo
echo "======== what vigil did, policy by policy"
echo "| mode  | attack         | the attack | blocked | events (rule:action) |"
echo "|-------|----------------|------------|---------|----------------------|"
printf '%s\n' "${tables[@]}"
echo
echo "every event is on the hub: bin/vigil tail --nats $nats --all; the dashboard: http://$hub_ip:8080"
if [[ ${DEMO_KEEP:-0} == 1 ]]; then
	echo "== the hub and its dashboard stay up until Ctrl-C"
	docker wait "$hub" >/dev/null
fi
