#!/usr/bin/env bash
# Builds rampart and rampart-bench, starts a server on a fresh data directory
# (embedded SQLite) with its own admin, runs every scenario BENCH_RUNS times
# and prints the runs and their medians. With BENCH_POSTGRES=1 it does the
# same against a second server on a private PostgreSQL schema.
#
# Settings (environment):
#   BENCH_CLIENTS=64  BENCH_QUERY_CLIENTS=64,1  BENCH_DURATION=20s
#   BENCH_WARMUP=3s  BENCH_RUNS=3  BENCH_SCENARIOS=pointread,insert,query,login
#   BENCH_DOCS=100000
#   BENCH_SQLITE=0 (skip the SQLite server)
#   BENCH_POSTGRES=1  BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable
#   BENCH_PG_SCENARIOS=$BENCH_SCENARIOS  BENCH_KEEP=1 (keep the work directory)
#   BENCH_TRANSPORTS=rest (a comma list of rest, grpc, connect, grpc-web, ws,
#     tcp, unix: the pointread scenario is measured over each)
set -euo pipefail

cd "$(dirname "$0")/.."

clients=${BENCH_CLIENTS:-64}
# A latency target is also measured with one client: with 64 closed-loop
# clients the median is mostly time spent queueing behind the others.
query_clients=${BENCH_QUERY_CLIENTS:-64,1}
duration=${BENCH_DURATION:-20s}
warmup=${BENCH_WARMUP:-3s}
runs=${BENCH_RUNS:-3}
scenarios=${BENCH_SCENARIOS:-pointread,insert,query,login}
docs=${BENCH_DOCS:-100000}
pg_url=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
pg_scenarios=${BENCH_PG_SCENARIOS:-$scenarios}
bench_transports=${BENCH_TRANSPORTS:-rest}

work=$(mktemp -d "${TMPDIR:-/tmp}/rampart-bench.XXXXXX")
server_pid=""
pg_schema=""

cleanup() {
	if [[ -n $server_pid ]]; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [[ -n $pg_schema ]] && command -v psql >/dev/null; then
		psql -q "$pg_url" -c "DROP SCHEMA IF EXISTS $pg_schema CASCADE" >/dev/null 2>&1 || true
	fi
	if [[ -z ${BENCH_KEEP:-} ]]; then
		rm -rf "$work"
	else
		echo "work directory kept: $work" >&2
	fi
}
trap cleanup EXIT

log() { echo "$(date +%T) $*" >&2; }

# free_port asks the kernel for an unused loopback port, avoiding ports that
# other services on shared hosts use.
free_port() {
	python3 - <<'EOF'
import socket
reserved = {4222, 5432, 5672, 6379, 3306, 1883}
while True:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    if port not in reserved:
        print(port)
        break
EOF
}

log "building into $work"
go build -o "$work/rampart" ./cmd/rampart
go build -o "$work/rampart-bench" ./bench

# start_server NAME [extra serve flags...]: admin, server, wait for /readyz.
start_server() {
	local name=$1
	shift
	local data="$work/$name-data"
	public="127.0.0.1:$(free_port)"
	admin="127.0.0.1:$(free_port)"
	tcp="127.0.0.1:$(free_port)"
	sock="$work/$name.sock"
	export BENCH_ADMIN_USER=bench-admin
	BENCH_ADMIN_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	export BENCH_ADMIN_PASSWORD
	printf '%s\n' "$BENCH_ADMIN_PASSWORD" |
		"$work/rampart" admin create --data "$data" --username "$BENCH_ADMIN_USER" --password-stdin "$@" >/dev/null
	# Every bench client comes from 127.0.0.1: one address's anonymous rate
	# limit would throttle the login scenario, so it is lifted for the bench.
	RAMPART_AUTH_RATE_LIMIT_PER_MINUTE=10000000 RAMPART_AUTH_RATE_LIMIT_BURST=100000 \
		RAMPART_LISTEN_TCP="$tcp" RAMPART_LISTEN_UNIX="$sock" \
		"$work/rampart" serve --data "$data" --listen "$public" --admin-listen "$admin" "$@" \
		>"$work/$name-server.log" 2>&1 &
	server_pid=$!
	ca="$data/tls/ca.crt"
	for _ in $(seq 300); do
		if [[ -f $ca ]] && curl -fsS --cacert "$ca" "https://$public/readyz" >/dev/null 2>&1; then
			log "$name server ready on $public (admin $admin), pid $server_pid"
			return
		fi
		if ! kill -0 "$server_pid" 2>/dev/null; then
			cat "$work/$name-server.log" >&2
			echo "server exited" >&2
			exit 1
		fi
		sleep 0.1
	done
	cat "$work/$name-server.log" >&2
	echo "server not ready after 30s" >&2
	exit 1
}

stop_server() {
	kill -TERM "$server_pid"
	wait "$server_pid" || true
	server_pid=""
}

# bench ENGINE SCENARIOS: a table per scenario with every run and the
# medians, all also kept in $work/results.tsv for the summary.
bench() {
	local engine=$1 s n
	for s in ${2//,/ }; do
		n=$clients
		[[ $s == query ]] && n=$query_clients
		local ts=rest
		[[ $s == pointread ]] && ts=$bench_transports
		for t in ${ts//,/ }; do
			"$work/rampart-bench" -server "https://$public" -admin "https://$admin" -ca "$ca" \
				-tcp "tcp+tls://$tcp" -unix "unix://$sock" -transport "$t" \
				-server-pid "$server_pid" -engine "$engine" -scenario "$s" \
				-clients "$n" -duration "$duration" -warmup "$warmup" -runs "$runs" -docs "$docs" \
				-tsv "$work/results.tsv"
		done
	done
}

log "host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

if [[ ${BENCH_SQLITE:-1} != 0 ]]; then
	start_server sqlite
	bench sqlite "$scenarios"
	stop_server
fi

if [[ ${BENCH_POSTGRES:-} == 1 ]]; then
	pg_schema="bench_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	cat >"$work/postgres.yaml" <<EOF
database:
  driver: postgres
  postgres:
    url: "$pg_url"
    schema: $pg_schema
EOF
	start_server postgres --config "$work/postgres.yaml"
	bench postgres "$pg_scenarios"
	stop_server
fi

align() { if command -v column >/dev/null; then column -t -s $'\t'; else cat; fi; }

echo
if ((runs > 1)); then
	echo "Medians of $runs runs:"
	awk -F'\t' 'NR == 1 || $3 == "median"' "$work/results.tsv" | align
else
	align <"$work/results.tsv"
fi
