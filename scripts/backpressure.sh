#!/usr/bin/env bash
# The archive away with a backlog: `outreach serve` on a PostgreSQL archive
# reached through socat, a Redis and Postfix's smtp-sink of the script's
# own; socat is stopped (nothing listens where the archive was), N jobs are
# enqueued, and for 60 s the daemon's RSS and the queue are printed every
# 10 s; then socat comes back and the script waits until everything is
# delivered. Everything it starts it stops by PID; the schema it creates in
# the PostgreSQL database it drops.
#
#   scripts/backpressure.sh [BINARY]       # default: go build ./cmd/outreach
#   N=5000 PGURL=postgres://postgres@127.0.0.1:5432/test scripts/backpressure.sh
#
# Needs redis-server, redis-cli, psql, socat and smtp-sink on PATH.
set -u
cd "$(dirname "$0")/.."
repo=$(pwd)
N=${N:-5000}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432/test}
work=$(mktemp -d)
BIN=${1:-}
if [ -z "$BIN" ]; then BIN=$work/outreach; go build -o "$BIN" ./cmd/outreach || exit 1; fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT=$(free_port); SMTPPORT=$(free_port); PGPROXY=$(free_port); HTTPPORT=$(free_port)
pghostport=$(echo "$PGURL" | sed -E 's#^[a-z]+://([^@]*@)?([^/?]+).*#\2#')
SCHEMA=backpressure_$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
proxied=$(echo "$PGURL" | sed -E "s#^([a-z]+://([^@]*@)?)[^/?]+#\1127.0.0.1:$PGPROXY#")
sep='?'; case "$proxied" in *\?*) sep='&';; esac
psql -q "$PGURL" -c "CREATE SCHEMA $SCHEMA" || exit 1
cd "$work"
redis-server --port "$RPORT" --save '' --appendonly no >redis.log 2>&1 & RP=$!
smtp-sink -u nobody "127.0.0.1:$SMTPPORT" 1000 >/dev/null 2>&1 & SP=$!
setsid socat "TCP-LISTEN:$PGPROXY,fork,reuseaddr" "TCP:$pghostport" & XP=$!
DP=
cleanup() {
  [ -n "$DP" ] && kill "$DP" 2>/dev/null && wait "$DP" 2>/dev/null
  kill -- -"$XP" 2>/dev/null; kill "$SP" "$RP" 2>/dev/null; wait "$SP" "$RP" 2>/dev/null
  psql -q "$PGURL" -c "DROP SCHEMA $SCHEMA CASCADE" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
sleep 0.5
export OUTREACH_REDIS_URL=redis://127.0.0.1:$RPORT OUTREACH_DATABASE_URL="$proxied${sep}sslmode=disable&search_path=$SCHEMA" \
  OUTREACH_SMTP_URL="smtp://127.0.0.1:$SMTPPORT?tls=none" OUTREACH_EMAIL_FROM=office@example.com \
  OUTREACH_HTTP_ADDR=127.0.0.1:$HTTPPORT OUTREACH_API_AUTH=off OUTREACH_LOG_FORMAT=json OUTREACH_QUIET_HOURS=off
"$BIN" residents import "$repo/outreach/resident/testdata/residents.csv" >/dev/null || exit 1
"$BIN" serve >d.out 2>d.err & DP=$!
for _ in $(seq 100); do grep -q "daemon running" d.err && break; sleep 0.1; done
rss() { awk '/VmRSS/{print $2}' "/proc/$DP/status"; }
q() {
  redis-cli -p "$RPORT" XINFO GROUPS outreach:jobs | awk 'prev=="pending"{p=$0} prev=="lag"{l=$0} {prev=$0} END{printf "pending=%s lag=%s ", p, l}'
  echo "delayed=$(redis-cli -p "$RPORT" ZCARD outreach:jobs:delayed) dead=$(redis-cli -p "$RPORT" XLEN outreach:jobs:dead)"
}
echo "daemon running, RSS $(rss) kB"
kill -- -"$XP"; sleep 0.3
echo "archive away (nothing listens on its port); enqueue $N jobs"
for i in $(seq "$N"); do
  printf "XADD outreach:jobs * job '{\"id\":\"bp-%d\",\"kind\":\"maintenance_notice\",\"resident_id\":\"r-1004\",\"data\":{\"title\":\"Water\",\"area\":\"Building 2\",\"start\":\"2026-12-02T09:00:00+08:00\",\"end\":\"2026-12-02T12:00:00+08:00\"}}'\n" "$i"
done | redis-cli -p "$RPORT" >/dev/null
for t in 10 20 30 40 50 60; do sleep 10; echo "t=${t}s archive away: RSS $(rss) kB $(q)"; done
setsid socat "TCP-LISTEN:$PGPROXY,fork,reuseaddr" "TCP:$pghostport" & XP=$!
back=$(date +%s.%N); echo "archive back"
for _ in $(seq 600); do case "$(q)" in *"pending=0 lag=0 delayed=0"*) break;; esac; sleep 1; done
echo "settled $(echo "$(date +%s.%N) - $back" | bc | cut -c1-5) s after: RSS $(rss) kB $(q)"
echo "archived: $(psql -tA "$PGURL" -c "select status, count(*) from $SCHEMA.deliveries group by 1" | tr '\n' ' ')"
echo "log lines: $(wc -l <d.err); 'archive unavailable': $(grep -c 'archive unavailable' d.err); retries scheduled: $(grep -c 'retry scheduled' d.err)"
