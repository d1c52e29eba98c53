#!/usr/bin/env bash
# benchmarks.sh measures the daemon with `outreach bench` and writes
# docs/benchmarks.md from the command's own output: no number in that file
# is typed by hand. It needs Redis, PostgreSQL, Postfix's smtp-sink and
# smtp-source (Debian: apt-get install postfix), jq, and Go.
#
#   scripts/benchmarks.sh            # everything (about 10-20 minutes)
#   QUICK=1 scripts/benchmarks.sh    # small runs, to try the script
#
# Settings (environment; defaults in brackets):
#   OUTREACH_REDIS_URL     [redis://127.0.0.1:6379/0]
#   OUTREACH_DATABASE_URL  [postgres://postgres@127.0.0.1:5432/outreach_bench?sslmode=disable]
#                          (the database must exist: createdb outreach_bench)
#   SMTP_SINK_ADDR         [127.0.0.1:2525]; smtp-sink is started there unless
#                          something listens already, and stopped at the end
#   OUTREACH_WORKERS, OUTREACH_SMTP_CONNS: the daemon's; unset, its defaults
#   OUT                    [docs/benchmarks.md]
#   SKIP_GO_BENCH=1        skip the go test -bench stage benchmarks
#   SKIP_BIG_CAMPAIGN=1    skip the campaign of 1,000,000 residents
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${OUT:-docs/benchmarks.md}
export OUTREACH_REDIS_URL=${OUTREACH_REDIS_URL:-redis://127.0.0.1:6379/0}
export OUTREACH_DATABASE_URL=${OUTREACH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/outreach_bench?sslmode=disable}
SMTP_SINK_ADDR=${SMTP_SINK_ADDR:-127.0.0.1:2525}
export OUTREACH_SMTP_URL="smtp://${SMTP_SINK_ADDR}?tls=none"
export OUTREACH_EMAIL_FROM=${OUTREACH_EMAIL_FROM:-office@example.com}
export OUTREACH_QUIET_HOURS=off

EMAIL_JOBS=50000 URGENT=20 SMS_JOBS=3000 SMS_RATE=100 BACKLOG=1000000 CAMPAIGN_BIG=1000000
if [[ -n ${QUICK:-} ]]; then
	EMAIL_JOBS=5000 SMS_JOBS=300 BACKLOG=20000 CAMPAIGN_BIG=20000
fi

for tool in jq go smtp-source smtp-sink; do
	command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "benchmarks.sh: $tool not found" >&2; exit 2; }
done
PATH=$PATH:/usr/sbin

work=$(mktemp -d)
sink_pid=
cleanup() {
	[[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

host=${SMTP_SINK_ADDR%:*} port=${SMTP_SINK_ADDR##*:}
if ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
	sink_user=()
	[[ $(id -u) == 0 ]] && sink_user=(-u nobody)
	smtp-sink "${sink_user[@]}" -c "$SMTP_SINK_ADDR" 1000 >/dev/null 2>&1 &
	sink_pid=$!
	sleep 0.5
fi

echo "building outreach..." >&2
go build -o "$work/outreach" ./cmd/outreach

# cpu_snapshot prints busy and idle jiffies of the machine and the CPU
# ticks used so far by redis-server, postgres and smtp-sink: every process
# of that name, with the children it reaped (PostgreSQL's backends that
# ended count in the postmaster's). Other users of these services count too.
proc_ticks() { local s=0 p t; for p in $(pgrep -x "$1" || true); do t=$(awk '{print $14+$15+$16+$17}' "/proc/$p/stat" 2>/dev/null || echo 0); s=$((s + t)); done; echo $s; }
cpu_snapshot() {
	awk '/^cpu /{printf "%d %d ", $2+$3+$4+$7+$8, $5+$6}' /proc/stat
	echo "$(proc_ticks redis-server) $(proc_ticks postgres) $(proc_ticks smtp-sink)"
}

# bench NAME ARGS...: one run; its stdout (table and JSON) in $work/NAME.out,
# the CPU it and the services used in $work/NAME.cpu.
bench() {
	local name=$1
	shift
	echo "== outreach bench $*" >&2
	echo "outreach bench $*" | sed 's/ --cpuprofile [^ ]*//' >"$work/$name.cmd"
	local before after
	before=$(cpu_snapshot)
	/usr/bin/time -f '%U %S %e' -o "$work/$name.time" "$work/outreach" bench "$@" >"$work/$name.out" 2>"$work/$name.err" || true
	after=$(cpu_snapshot)
	echo "$before $after $(cat "$work/$name.time")" >"$work/$name.cpu"
	tail -n 1 "$work/$name.out" | jq -e . >/dev/null || { echo "run $name failed:" >&2; tail "$work/$name.err" >&2; exit 1; }
}

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
uptime_start=$(uptime)

redis_bench=$(redis-benchmark -u "$OUTREACH_REDIS_URL" -q -n 100000 -c 8 -t set,get 2>/dev/null | tr '\r' '\n' | grep 'requests per second' || true)

bench email --jobs "$EMAIL_JOBS" --urgent "$URGENT" --cpuprofile "$work/email.prof"
bench campaign --jobs "$EMAIL_JOBS" --campaign
bench sms --jobs "$SMS_JOBS" --channel sms --sms-rate "$SMS_RATE" --baseline=false
bench backlog --jobs "$BACKLOG" --prefill --baseline=false
if [[ -z ${SKIP_BIG_CAMPAIGN:-} ]]; then
	bench bigcampaign --jobs "$CAMPAIGN_BIG" --campaign --baseline=false
fi

go_bench=
if [[ -z ${SKIP_GO_BENCH:-} ]]; then
	echo "== go test -bench (render, archive, SMTP send)" >&2
	go_bench=$(OUTREACH_TEST_DATABASE_URL=${OUTREACH_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable} \
		go test -run '^$' -bench 'BenchmarkRender|BenchmarkRecord|BenchmarkSend' -benchtime 2s \
		./templates ./outreach/store/postgres ./outreach/store/sqlite ./outreach/email 2>&1 |
		grep -E '^(Benchmark|ok|FAIL|pkg:)' || true)
fi
uptime_end=$(uptime)
finished=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

json() { tail -n 1 "$work/$1.out"; }
table() { head -n -1 "$work/$1.out"; }
# cpu_line NAME: machine busy share and CPU seconds per process during a run.
cpu_line() {
	read -r b0 i0 r0 g0 s0 b1 i1 r1 g1 s1 user sys wall <"$work/$1.cpu"
	awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) -v r=$((r1 - r0)) -v g=$((g1 - g0)) -v s=$((s1 - s0)) \
		-v u="$user" -v y="$sys" -v w="$wall" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		printf "over the whole command (%.1f s: setup, smtp-source baseline if any, the run, the check, the cleanup) the machine was %.0f%% busy; CPU seconds: outreach bench %.2f (user %.2f, sys %.2f), redis-server %.2f, postgres %.2f, smtp-sink %.2f (these three: all of their processes, other users too)\n",
			w, 100*b/(b+i), u+y, u, y, r/hz, g/hz, s/hz }'
}
verdict() { if [[ $1 == true ]]; then echo "**met**"; else echo "**not met**"; fi; }

email_ok=$(json email | jq '.ratio >= 0.85 and .lost == 0 and .duplicates == 0')
cpu_ok=$(json email | jq '.daemon_cpu_us_per_job <= 120 and .db_backends > 0 and .db_cpu_us_per_job <= 40 and .redis_cpu_us_per_job <= 20')
first_ok=$(json campaign | jq '.first_accepted_ms > 0 and .first_accepted_ms <= 100')
campaign_ok=$(json campaign | jq '.campaign_ratio >= 0.7 and .lost == 0 and .duplicates == 0')
big_row=
if [[ -z ${SKIP_BIG_CAMPAIGN:-} ]]; then
	big_ok=$(json bigcampaign | jq '.peak_rss_mb <= 150 and .lost == 0 and .duplicates == 0')
	big_row=$(json bigcampaign | jq -r --arg v "$(verdict "$big_ok")" '"| a campaign of \(.jobs) residents expands and sends with peak RSS <= 150 MB | \(.peak_rss_mb) MB (lost \(.lost), duplicated \(.duplicates)) | \($v) |"')
	big_row+=$'\n'
fi
urgent_ok=$(json email | jq '.urgent_p99_ms <= 50')
rss_ok=$(json backlog | jq '.peak_rss_mb <= 100 and .lost == 0 and .duplicates == 0')
sms_ok=$(json sms | jq '(.sms_rate_deviation_pct | fabs) <= 5 and .lost == 0 and .duplicates == 0')

{
	cat <<EOF
# Benchmarks

Generated by \`scripts/benchmarks.sh\` from the output of \`outreach bench\`;
do not edit by hand, run the script again. Started $started, finished $finished.

## The machine

- $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -m | awk '/^Mem:/ {print $2}') MB RAM, $(go version | cut -d' ' -f3), Redis $(redis-server --version | cut -d' ' -f3 | cut -d= -f2), PostgreSQL $(psql --version | cut -d' ' -f3-)
- Redis, PostgreSQL (the archive), \`smtp-sink\` and the daemon all share these CPUs over loopback.
- \`uptime\` at the start: \`$uptime_start\`
- \`uptime\` at the end: \`$uptime_end\`

The load average counts everything else running on the machine too; on a shared machine
the figures below move with it (each run reports its own load at start and end).

## Targets

| target | measured | verdict |
|---|---|---|
| email to smtp-sink, PostgreSQL archive: >= 0.85 x smtp-source's rate in the same run, 0 lost, 0 duplicated | $(json email | jq -r '"\(.throughput_per_s | floor) jobs/s; smtp-source \(.baseline_per_s | floor) msgs/s over \(.baseline_sessions) sessions; ratio \(.ratio * 100 | round / 100); lost \(.lost), duplicated \(.duplicates)"') | $(verdict "$email_ok") |
| CPU per job: the daemon <= 120 µs, the archive database <= 40 µs, Redis <= 20 µs | $(json email | jq -r '"daemon \(.daemon_cpu_us_per_job | round) µs, the daemons\u0027 PostgreSQL backends \(.db_cpu_us_per_job | round) µs (whole server \(.db_server_cpu_us_per_job | round) µs), Redis \(.redis_cpu_us_per_job | round) µs"') | $(verdict "$cpu_ok") |
| a campaign of $EMAIL_JOBS residents created through the campaign service: start -> first message accepted <= 100 ms | $(json campaign | jq -r '"\(.first_accepted_ms) ms"') | $(verdict "$first_ok") |
| the same campaign: start -> all archived >= 0.7 x smtp-source's rate in the same run, 0 lost, 0 duplicated | $(json campaign | jq -r '"\(.campaign_per_s | floor) jobs/s (\(.all_archived_s * 100 | round / 100) s); smtp-source \(.baseline_per_s | floor) msgs/s; ratio \(.campaign_ratio * 100 | round / 100); lost \(.lost), duplicated \(.duplicates)"') | $(verdict "$campaign_ok") |
| urgent p99 <= 50 ms while $EMAIL_JOBS bulk jobs drain | $(json email | jq -r '"\(.urgent_p99_ms) ms over \(.urgent) urgent jobs"') | $(verdict "$urgent_ok") |
| peak RSS <= 100 MB with a backlog of $BACKLOG jobs in the stream | $(json backlog | jq -r '"\(.peak_rss_mb) MB (all \(.jobs) enqueued before the daemon started; lost \(.lost), duplicated \(.duplicates))"') | $(verdict "$rss_ok") |
${big_row}| SMS to the Twilio stand-in: the configured rate held within 5% | $(json sms | jq -r '"\(.sms_rate_per_s * 100 | round / 100)/s at the stand-in for a limit of \(.sms_rate_limit)/s (\(.sms_rate_deviation_pct * 100 | round / 100)%); at most \(.sms_peak_1s) within one second"') | $(verdict "$sms_ok") |

## Side by side

One row per figure, one column per run of this script: \`smtp-source\` as the email
run measured it just before the daemon ran, \`outreach bench\` with jobs on the stream,
and \`outreach bench --campaign\` (the campaign run measured its own smtp-source
baseline too; the ratio is to that one). CPU is per message or job, in µs; the archive
database's is its backends that served the daemons' connections, read from /proc over
the run alone (the whole server, other users included, in brackets); Redis's is the
server process's over the run (other clients included).

| | smtp-source | outreach jobs | outreach campaign |
|---|---|---|---|
$(paste <(json email | jq -r '
	"| rate | \(.baseline_per_s | floor) msgs/s (\(.baseline_sessions) sessions) | \(.throughput_per_s | floor) jobs/s",
	"| ratio to smtp-source | 1 | \(.ratio * 100 | round / 100)",
	"| CPU per message: the sender | \(.baseline_cpu_us_per_msg | round) µs (smtp-source) | \(.daemon_cpu_us_per_job | round) µs (daemon)",
	"| CPU per message: archive database | - | \(.db_cpu_us_per_job | round) µs (\(.db_server_cpu_us_per_job | round) µs)",
	"| CPU per message: Redis | - | \(.redis_cpu_us_per_job | round) µs",
	"| start -> first message accepted | - | -",
	"| lost / duplicated | - | \(.lost) / \(.duplicates)"') \
	<(json campaign | jq -r '
	" | \(.campaign_per_s | floor) jobs/s, start -> all archived |",
	" | \(.campaign_ratio * 100 | round / 100) |",
	" | \(.daemon_cpu_us_per_job | round) µs (daemon, its expansion included) |",
	" | \(.db_cpu_us_per_job | round) µs (\(.db_server_cpu_us_per_job | round) µs) |",
	" | \(.redis_cpu_us_per_job | round) µs |",
	" | \(.first_accepted_ms) ms |",
	" | \(.lost) / \(.duplicates) |"') | tr -d '\t')

Load: $(json email | jq -r '"the email run started at a 1-minute load average of \(.load1_start) and ended at \(.load1_end)"'); $(json campaign | jq -r '"the campaign run \(.load1_start) and \(.load1_end)"') (on $(nproc) CPUs).

## Reading the figures

$(json email | jq -r '"- CPU: the daemon (the `outreach bench` process) used \(.cpu_us_per_job | round) µs of CPU per email job; smtp-source used \(.baseline_cpu_us_per_msg | round) µs per message. smtp-source only speaks SMTP; a job also decodes, dedupes, renders two templates (text and HTML), builds a MIME message, and is archived and acked. smtp-sink, Redis and PostgreSQL run on the same two CPUs."')
- The email run: $(cpu_line email)
- So the email ratio is bounded by CPU, not by round trips: when the machine is busy all the time, a job that costs several times smtp-source's CPU cannot reach 0.85 of its rate. What was done about round trips: a read batch costs one lock call per shard, one resident query and one outcomes query (not one of each per job); a batch's acks and lock releases go in one round trip (one pipeline: XACK per lane, one unlock script per shard); archive writes are batched (under load the recorder holds a write up to 3 ms for up to 48 records; urgent records go at once); the SMTP client pipelines MAIL/RCPT/DATA (RFC 2920) and writes the message text whole, with no RSET after an accepted one, and when another message waits for a connection its MAIL/RCPT/DATA go in the same write as the message text before it (one write and one read a message in a busy pool, instead of two of each); connections stay open; a read batch's outcomes look-up probes the job index per job (a statement prepared once had kept a plan made for the empty archive, a sequential scan of every delivery for every batch).
- Where the rest of the CPU goes (the profile below, and \`perf\` on the PostgreSQL backends): in the daemon, what a message still renders per resident (each template's constant parts are executed once per job data and estate and kept), building the MIME text (our own writer), GC, and the syscalls of Redis, SMTP and PostgreSQL. In PostgreSQL, a new delivery is a heap row, an entry in each of the deliveries indexes that Search, Walk, the purge and the status callbacks use, a history event row, its share of the batch's appended count deltas (a row per campaign and status and per hour, estate, channel and status, folded into the stored counts by a compaction every second), and their WAL; each archive commit adds a WAL write and flush, a fixed cost of the backend's CPU whatever the batch, which is why the batch size of the archive's writes matters as much as the row.
- Urgent jobs are read by a reader of their own and taken by the next worker that is free, ahead of the queued bulk jobs; they still wait for a free SMTP connection and for their archive write, and on a busy machine (see the load average) every one of those steps waits for a CPU.

## Email, $EMAIL_JOBS bulk jobs and $URGENT urgent ones

\`\`\`
$(cat "$work/email.cmd")
\`\`\`

\`\`\`
$(table email)
\`\`\`

$(cpu_line email)

Where the daemon's CPU went (\`go tool pprof -top -cum\`, the pipeline's own frames):

\`\`\`
$(go tool pprof -top -cum -nodecount=400 "$work/outreach" "$work/email.prof" 2>/dev/null |
		grep -E 'flat%|outreach/(dispatch|email|templates|store|queue)|go-mail|text/template|html/template|pgx/v5\.\(\*Conn\)|go-redis/v9\.\(\*baseClient\)\.process|runtime\.gcBgMarkWorker$|syscall\.Syscall$' |
		grep -vE 'func[0-9]|bench\.' | head -n 40)
\`\`\`

## A campaign of $EMAIL_JOBS residents

\`--campaign\` creates the residents (tagged with the run's id) and, once the daemon
reads the stream, one campaign for that tag through the daemon's campaign service
(what \`POST /v1/campaigns\` does); the daemon's scheduler expands it and the
dispatcher sends it. "first accepted" is when the daemon first counted a message
accepted by SMTP and archived; "all archived" when the last delivery was archived.

\`\`\`
$(cat "$work/campaign.cmd")
\`\`\`

\`\`\`
$(table campaign)
\`\`\`

$(cpu_line campaign)

## SMS at a configured rate

\`\`\`
$(cat "$work/sms.cmd")
\`\`\`

\`\`\`
$(table sms)
\`\`\`

## A backlog of $BACKLOG jobs

Every job is in the stream before the daemon starts (\`--prefill\`); it reads
100 entries at a time and hands them on only as workers free up, so the backlog
stays in Redis.

\`\`\`
$(cat "$work/backlog.cmd")
\`\`\`

\`\`\`
$(table backlog)
\`\`\`

$(cpu_line backlog)

$(if [[ -z ${SKIP_BIG_CAMPAIGN:-} ]]; then cat <<EOB
## A campaign of $CAMPAIGN_BIG residents

\`\`\`
$(cat "$work/bigcampaign.cmd")
\`\`\`

\`\`\`
$(table bigcampaign)
\`\`\`

$(cpu_line bigcampaign)

EOB
fi)
## Limits of the machine, measured in the same run

- \`smtp-source\` to \`smtp-sink\` (the email run's baseline): $(json email | jq -r '"\(.baseline_per_s | floor) msgs/s: `\(.baseline_command)`"')
- \`redis-benchmark -q -n 100000 -c 8 -t set,get\`:
$(sed 's/^/  - /' <<<"$redis_bench")
EOF
	if [[ -n $go_bench ]]; then
		cat <<EOF

## Stage benchmarks

\`go test -run '^\$' -bench 'BenchmarkRender|BenchmarkRecord|BenchmarkSend' -benchtime 2s ./templates ./outreach/store/postgres ./outreach/store/sqlite ./outreach/email\`
(render one message; archive batches of 100 deliveries in each store; email over 4 pooled
connections to the in-process SMTP server):

\`\`\`
$go_bench
\`\`\`
EOF
	fi
	cat <<EOF

## The JSON lines

\`\`\`
$(json email)
$(json campaign)
$(json sms)
$(json backlog)
$([[ -z ${SKIP_BIG_CAMPAIGN:-} ]] && json bigcampaign)
\`\`\`

## Reproduce

\`\`\`sh
createdb -h 127.0.0.1 -U postgres outreach_bench   # once
smtp-sink -u nobody -c $SMTP_SINK_ADDR 1000 &       # the script starts it when nothing listens there
scripts/benchmarks.sh
\`\`\`

Each run alone, with the same environment
(\`OUTREACH_REDIS_URL\`, \`OUTREACH_DATABASE_URL\`, \`OUTREACH_SMTP_URL=smtp://$SMTP_SINK_ADDR?tls=none\`,
\`OUTREACH_EMAIL_FROM\`, \`OUTREACH_QUIET_HOURS=off\`):

\`\`\`sh
$(cat "$work/email.cmd")
$(cat "$work/campaign.cmd")
$(cat "$work/sms.cmd")
$(cat "$work/backlog.cmd")
$([[ -z ${SKIP_BIG_CAMPAIGN:-} ]] && cat "$work/bigcampaign.cmd")
\`\`\`
EOF
} >"$OUT"
echo "wrote $OUT" >&2
