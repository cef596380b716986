#!/usr/bin/env bash
# bench/compare.sh - Petrel side by side with mosquitto (and any other broker)
# on the standard scenarios, in one run, with petrel-bench as the load.
#
#   bench/compare.sh                       # every scenario, 10 s each, 3 repetitions
#   bench/compare.sh -s fanin-q1,conn-10k -d 5 -r 5 -o results.md
#   bench/compare.sh --quick --only petrel # smoke test: seconds, not minutes
#   bench/compare.sh --broker 'other=/opt/other/bin/broker -c /tmp/other.conf:1884'
#
# Method: for each repetition, each scenario runs against each broker in
# turn (alternating, so a slow minute on a shared machine hits every
# broker alike). Every run starts a fresh broker pinned to CPU 0 and the
# generator pinned to CPU 1 (taskset). Reported per scenario and broker:
# the median and range over the repetitions of the delivered rate, the p99
# end-to-end latency, the broker's CPU seconds per million delivered
# messages (utime+stime from /proc/PID/stat around the generator run), and
# for the conn scenarios the broker's RSS per idle connection ((VmRSS with
# C connections - VmRSS with none) / C, from /proc/PID/status).
#
# Brokers get the same limits: QoS 1/2 in-flight unlimited
# (max_inflight_messages 0) and up to 100000 queued messages per session,
# so neither drops messages a fan-in burst queues for its one subscriber.
#
# Everything started here is stopped by PID when the script ends, also on
# Ctrl-C. Progress goes to stderr; the Markdown table to stdout (and -o FILE).

set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/build/bin"
MOSQUITTO=/usr/sbin/mosquitto
DURATION=10
WARMUP=1
REPS=3
SCENARIOS=""
OUTFILE=""
ONLY=""
DURABLE=0
SCALING=0
QUICK=0
PIN=1
EXTRA_BROKERS=()

ALL_SCENARIOS="fanin-q0 fanin-q1 fanin-q2 fanout-q0 latency-q0 latency-q1 fanin-q1-persistent conn-10k conn-19800"

usage() {
    cat <<EOF
usage: bench/compare.sh [-d SECONDS] [-w SECONDS] [-r N] [-s LIST] [-o FILE] [--only LIST]
                        [--broker NAME=CMD:PORT]... [--bin DIR] [--quick] [--no-pin]

  -d SECONDS    measured seconds per run (default $DURATION; conn scenarios hold 2 s)
  -w SECONDS    warm-up seconds per run (default $WARMUP)
  -r N          repetitions (default $REPS); the table shows medians and ranges
  -s LIST       scenarios, comma-separated (default: all):
                  fanin-q0 fanin-q1 fanin-q2   100 publishers -> 1 subscriber, QoS 0/1/2
                  fanout-q0                    1 publisher -> 100 subscribers, QoS 0
                  latency-q0 latency-q1        100 publishers x 100 msg/s -> 1 subscriber
                  fanin-q1-persistent          fan-in QoS 1 to a subscriber whose session is kept
                                               (stored by petrel-durable: see --durable)
                  conn-10k conn-19800          idle connections, RSS per connection
  -o FILE       also write the Markdown table to FILE
  --only LIST   brokers to run, comma-separated (petrel, mosquitto, NAMEs of --broker)
  --durable     also run "petrel-durable": Petrel with persistence true and
                persistence_sync full (acknowledgements after the fsync)
  --scaling     also run "petrel-t2": Petrel with threads 2, broker and
                generator (with --threads 2) not pinned, to compare with the
                pinned one-loop figure
  --broker NAME=CMD:PORT
                another broker: CMD (run with bash, pinned like the others) must
                listen on 127.0.0.1:PORT; repeatable
  --bin DIR     where petrel and petrel-bench are (default build/bin)
  --quick       smoke test: 1 s runs, 1 repetition, 10 publishers/subscribers,
                1000 connections (the scenario names stay the same)
  --no-pin      do not pin with taskset
EOF
}

die() {
    echo "compare.sh: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
    -d) DURATION=${2:?-d needs seconds}; shift 2 ;;
    -w) WARMUP=${2:?-w needs seconds}; shift 2 ;;
    -r) REPS=${2:?-r needs a count}; shift 2 ;;
    -s) SCENARIOS=${2:?-s needs a list}; shift 2 ;;
    -o) OUTFILE=${2:?-o needs a file}; shift 2 ;;
    --only) ONLY=${2:?--only needs a list}; shift 2 ;;
    --durable) DURABLE=1; shift ;;
    --scaling) SCALING=1; shift ;;
    --broker) EXTRA_BROKERS+=("${2:?--broker needs NAME=CMD:PORT}"); shift 2 ;;
    --bin) BIN=${2:?--bin needs a directory}; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --no-pin) PIN=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
    esac
done

[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "-r: expected a positive whole number"
[[ "$DURATION" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "-d: expected seconds"
[[ "$WARMUP" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "-w: expected seconds"
if [ "$QUICK" = 1 ]; then
    DURATION=1
    WARMUP=0.5
    REPS=1
fi
SCENARIOS=${SCENARIOS:-$ALL_SCENARIOS}
SCENARIOS=${SCENARIOS//,/ }
for s in $SCENARIOS; do
    [[ " $ALL_SCENARIOS " == *" $s "* ]] || die "unknown scenario '$s' (see --help)"
done

PETREL="$BIN/petrel"
BENCH="$BIN/petrel-bench"
[ -x "$BENCH" ] || die "no petrel-bench in $BIN (build it: cmake --build build)"

# ---- Brokers ------------------------------------------------------------------

# Each broker: NAME -> "kind|command|port" (kind petrel, mosquitto or cmd).
declare -A BROKER_SPEC
BROKERS=()
add_broker() { BROKERS+=("$1"); BROKER_SPEC[$1]="$2"; }
[ -x "$PETREL" ] && add_broker petrel "petrel||0"
[ -x "$PETREL" ] && [ "$DURABLE" = 1 ] && add_broker petrel-durable "petrel-durable||0"
[ -x "$PETREL" ] && [ "$SCALING" = 1 ] && add_broker petrel-t2 "petrel-t2||0"
[ -x "$MOSQUITTO" ] && add_broker mosquitto "mosquitto||0"
for spec in "${EXTRA_BROKERS[@]}"; do
    name=${spec%%=*}
    rest=${spec#*=}
    port=${rest##*:}
    cmd=${rest%:*}
    [[ -n "$name" && "$name" != "$spec" && "$port" =~ ^[0-9]+$ && -n "$cmd" ]] ||
        die "--broker: expected NAME=CMD:PORT, not '$spec'"
    add_broker "$name" "cmd|$cmd|$port"
done
if [ -n "$ONLY" ]; then
    keep=()
    for b in ${ONLY//,/ }; do
        [ -n "${BROKER_SPEC[$b]:-}" ] || die "--only: no broker '$b' (have: ${BROKERS[*]:-none})"
        keep+=("$b")
    done
    BROKERS=("${keep[@]}")
fi
[ ${#BROKERS[@]} -gt 0 ] || die "no broker to run (build petrel, or install mosquitto)"

# ---- Processes: started here, stopped here by PID -------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/petrel-compare.XXXXXX")
BROKER_PID=""
BENCH_PID=""

stop_pid() { # PID: SIGTERM, up to 5 s, then SIGKILL
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    stop_pid "$BENCH_PID"
    BENCH_PID=""
    stop_pid "$BROKER_PID"
    BROKER_PID=""
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "compare.sh: interrupted" >&2; exit 130' INT TERM

CPUS=$(nproc 2>/dev/null || echo 1)
if [ "$PIN" = 1 ] && { [ "$CPUS" -lt 2 ] || ! command -v taskset >/dev/null; }; then
    echo "compare.sh: fewer than 2 CPUs or no taskset: not pinning" >&2
    PIN=0
fi
pin() { # CPU COMMAND...: runs COMMAND pinned (exec keeps the PID); CPU "-": not pinned
    local cpu=$1
    shift
    if [ "$PIN" = 1 ] && [ "$cpu" != - ]; then exec taskset -c "$cpu" "$@"; else exec "$@"; fi
}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

accepts() { # PORT: true when something accepts TCP connections there
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_broker NAME DIR: starts it pinned to CPU 0; sets BROKER_PID, BROKER_PORT.
start_broker() {
    local name=$1 dir=$2 kind cmd port i
    IFS='|' read -r kind cmd port <<<"${BROKER_SPEC[$name]}"
    mkdir -p "$dir"
    local common="allow_anonymous true
max_inflight_messages 0
max_queued_messages 100000"
    case "$kind" in
    petrel | petrel-durable | petrel-t2)
        local threads=1 cpu=0
        [ "$kind" = petrel-t2 ] && threads=2 cpu=-
        printf 'listener 0 127.0.0.1\n%s\nthreads %s\n' "$common" "$threads" >"$dir/broker.conf"
        [ "$kind" = petrel-durable ] &&
            printf 'persistence true\npersistence_location %s\npersistence_sync full\n' \
                "$dir/data" >>"$dir/broker.conf"
        (cd "$dir" && pin "$cpu" "$PETREL" -c "$dir/broker.conf") >"$dir/broker.log" 2>&1 &
        ;;
    mosquitto)
        port=$(free_port)
        printf 'listener %s 127.0.0.1\n%s\n' "$port" "$common" >"$dir/broker.conf"
        # Started as root, mosquitto drops to user "mosquitto" unless told otherwise.
        [ "$(id -u)" = 0 ] && echo "user root" >>"$dir/broker.conf"
        (cd "$dir" && pin 0 "$MOSQUITTO" -c "$dir/broker.conf") >"$dir/broker.log" 2>&1 &
        ;;
    cmd)
        (cd "$dir" && pin 0 bash -c "exec $cmd") >"$dir/broker.log" 2>&1 &
        ;;
    esac
    BROKER_PID=$!
    BROKER_PORT=$port
    for i in $(seq 100); do
        if ! kill -0 "$BROKER_PID" 2>/dev/null; then
            echo "compare.sh: $name exited while starting:" >&2
            tail -5 "$dir/broker.log" >&2
            BROKER_PID=""
            return 1
        fi
        if [[ "$kind" == petrel* ]]; then
            BROKER_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1 port \([0-9]*\).*/\1/p' \
                "$dir/broker.log" | head -1)
            [ -n "$BROKER_PORT" ] && accepts "$BROKER_PORT" && return 0
        elif accepts "$BROKER_PORT"; then
            return 0
        fi
        sleep 0.1
    done
    echo "compare.sh: $name did not start listening within 10 s" >&2
    return 1
}

cpu_ticks() { # PID: utime + stime, in clock ticks
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) } # after the command name, which may hold spaces
    set -- $stat
    echo $((${12} + ${13}))
}

rss_kb() { # PID: VmRSS in KiB
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

kv() { # KEY FILE: the value of KEY=... in the last line of FILE
    tail -1 "$2" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1
}

# ---- Scenarios -------------------------------------------------------------------

scenario_args() { # NAME: petrel-bench arguments
    local n=100 c10=10000 c19=19800
    if [ "$QUICK" = 1 ]; then n=10 c10=1000 c19=1000; fi
    local run="--duration $DURATION --warmup $WARMUP"
    case "$1" in
    fanin-q0) echo "fanin --pubs $n --subs 1 -q 0 $run" ;;
    fanin-q1) echo "fanin --pubs $n --subs 1 -q 1 $run" ;;
    fanin-q2) echo "fanin --pubs $n --subs 1 -q 2 $run" ;;
    fanin-q1-persistent) echo "fanin --pubs $n --subs 1 -q 1 --persistent-subs $run" ;;
    fanout-q0) echo "fanout --pubs 1 --subs $n -q 0 $run" ;;
    latency-q0) echo "fanin --pubs $n --subs 1 --rate 100 -q 0 $run" ;;
    latency-q1) echo "fanin --pubs $n --subs 1 --rate 100 -q 1 $run" ;;
    conn-10k) echo "conn --conns $c10 --duration 2 --connect-timeout 60" ;;
    conn-19800) echo "conn --conns $c19 --duration 2 --connect-timeout 60" ;;
    esac
}

scenario_conns() { # NAME: connections a conn scenario needs (0 otherwise)
    case "$1" in
    conn-*) set -- $(scenario_args "$1"); echo "$3" ;;
    *) echo 0 ;;
    esac
}

# Raise the descriptor limit as far as allowed; both broker and generator
# inherit it (each holds one descriptor per connection, plus a few).
ulimit -n "$(ulimit -Hn)" 2>/dev/null
FD_LIMIT=$(ulimit -n)

RESULTS="$WORK/results" # scenario broker rep status rate p99 cpu_per_M rss_per_conn
: >"$RESULTS"

# run_one SCENARIO BROKER REP: one broker, one generator run; appends a result line.
run_one() {
    local sc=$1 name=$2 rep=$3 dir="$WORK/$1-$2-$3" conns rss0=0 rssc=0 t0 t1 rc
    conns=$(scenario_conns "$sc")
    if [ "$conns" -gt 0 ] && [ $((conns + 64)) -gt "$FD_LIMIT" ]; then
        echo "compare.sh: $sc skipped: needs $((conns + 64)) descriptors, ulimit -n allows $FD_LIMIT" >&2
        echo "$sc $name $rep skipped - - - -" >>"$RESULTS"
        return
    fi
    if ! start_broker "$name" "$dir"; then
        echo "$sc $name $rep broker-failed - - - -" >>"$RESULTS"
        stop_pid "$BROKER_PID"
        BROKER_PID=""
        return
    fi
    rss0=$(rss_kb "$BROKER_PID")
    t0=$(cpu_ticks "$BROKER_PID")
    local gcpu=1 gargs=()
    [ "$name" = petrel-t2 ] && gcpu=- gargs=(--threads 2) # nothing pinned (--scaling)
    (pin "$gcpu" "$BENCH" -p "$BROKER_PORT" --quiet "${gargs[@]}" $(scenario_args "$sc")) \
        >"$dir/bench.out" 2>"$dir/bench.err" &
    BENCH_PID=$!
    if [ "$conns" -gt 0 ]; then
        # Sample the broker while every connection is open.
        for _ in $(seq 600); do
            grep -q "event=connected" "$dir/bench.err" 2>/dev/null && break
            kill -0 "$BENCH_PID" 2>/dev/null || break
            sleep 0.1
        done
        sleep 0.5
        rssc=$(rss_kb "$BROKER_PID")
    fi
    wait "$BENCH_PID"
    rc=$?
    BENCH_PID=""
    t1=$(cpu_ticks "$BROKER_PID")
    stop_pid "$BROKER_PID"
    BROKER_PID=""
    record "$sc" "$name" "$rep" "$rc" "$dir" $((t1 - t0)) "$rss0" "$rssc" "$conns"
}

record() { # SCENARIO BROKER REP RC DIR CPU_TICKS RSS0 RSSC CONNS
    local sc=$1 name=$2 rep=$3 rc=$4 dir=$5 ticks=$6 rss0=$7 rssc=$8 conns=$9
    local hz status rate p99 cpu rss received connected
    hz=$(getconf CLK_TCK)
    status=ok
    [ "$rc" = 0 ] || status="exit-$rc"
    [ -s "$dir/bench.out" ] || status="no-report"
    if [ "$conns" -gt 0 ]; then
        connected=$(kv connected "$dir/bench.out")
        rss=$(awk -v a="$rss0" -v b="$rssc" -v n="${connected:-0}" \
            'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1024 / n; else print "-" }')
        echo "$sc $name $rep $status - - - $rss" >>"$RESULTS"
        echo "  $sc $name #$rep: $status connected=${connected:-?} rss_per_conn=${rss}B" >&2
        return
    fi
    rate=$(kv rate "$dir/bench.out")
    p99=$(kv p99_us "$dir/bench.out")
    received=$(kv received "$dir/bench.out")
    cpu=$(awk -v t="$ticks" -v hz="$hz" -v n="${received:-0}" \
        'BEGIN { if (n > 0) printf "%.3f", t / hz / (n / 1e6); else print "-" }')
    echo "$sc $name $rep $status ${rate:--} ${p99:--} $cpu -" >>"$RESULTS"
    echo "  $sc $name #$rep: $status rate=${rate:-?} p99_us=${p99:-?} cpu_s_per_M=$cpu" \
        "$(grep -o 'loss=[0-9]* dup=[0-9]* reorder=[0-9]*' "$dir/bench.out" 2>/dev/null)" >&2
    if [ "$status" != ok ]; then
        sed 's/^/    /' "$dir/bench.err" | tail -3 >&2
    fi
}

# ---- Summary -----------------------------------------------------------------------

# stat_of SCENARIO BROKER COLUMN FORMAT: "median (min-max)" of the ok runs, or "-".
stat_of() {
    awk -v sc="$1" -v b="$2" -v col="$3" -v fmt="$4" '
        $1 == sc && $2 == b && $4 == "ok" && $col != "-" { v[n++] = $col + 0 }
        END {
            if (!n) { print "-"; exit }
            for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            med = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
            s = sprintf(fmt, med)
            if (n > 1) s = s sprintf(" (" fmt "-" fmt ")", v[0], v[n - 1])
            print s
        }' "$RESULTS"
}

runs_of() { # SCENARIO BROKER: "ok/total", plus the other outcomes
    awk -v sc="$1" -v b="$2" '
        $1 == sc && $2 == b { n++; if ($4 == "ok") ok++; else bad[$4]++ }
        END { s = (ok + 0) "/" (n + 0); for (k in bad) s = s " " k; print s }' "$RESULTS"
}

describe() {
    case "$1" in
    fanin-q1-persistent) echo "fan-in QoS 1 to a persistent session" ;;
    fanin-*) echo "fan-in QoS ${1#fanin-q}" ;;
    fanout-*) echo "fan-out QoS ${1#fanout-q}" ;;
    latency-*) echo "latency QoS ${1#latency-q}, 100 msg/s each" ;;
    conn-*) echo "idle connections" ;;
    esac
}

summary() {
    local cpu_model
    cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $CPUS CPUs (${cpu_model:-unknown CPU})," \
        "$REPS repetition(s), ${DURATION} s measured after ${WARMUP} s warm-up;" \
        "$([ "$PIN" = 1 ] && echo "broker on CPU 0, generator on CPU 1" || echo "not pinned")."
    echo
    echo "| scenario | what | broker | delivered msg/s | p99 latency µs | broker CPU s per M msgs | broker RSS per connection (bytes) | runs ok |"
    echo "|---|---|---|---|---|---|---|---|"
    local sc b args
    for sc in $SCENARIOS; do
        args=$(scenario_args "$sc")
        for b in "${BROKERS[@]}"; do
            printf '| %s | %s: `%s` | %s | %s | %s | %s | %s | %s |\n' "$sc" "$(describe "$sc")" \
                "${args%% --duration*}" "$b" "$(stat_of "$sc" "$b" 5 '%.0f')" \
                "$(stat_of "$sc" "$b" 6 '%.0f')" "$(stat_of "$sc" "$b" 7 '%.2f')" \
                "$(stat_of "$sc" "$b" 8 '%.0f')" "$(runs_of "$sc" "$b")"
        done
    done
}

# ---- Main ----------------------------------------------------------------------------

total=0
for _ in $(seq "$REPS"); do for _ in $SCENARIOS; do total=$((total + ${#BROKERS[@]})); done; done
echo "compare.sh: $total runs (${BROKERS[*]}; $SCENARIOS; $REPS repetition(s))" >&2
n=0
for rep in $(seq "$REPS"); do
    for sc in $SCENARIOS; do
        for b in "${BROKERS[@]}"; do
            n=$((n + 1))
            echo "[$n/$total] $sc on $b, repetition $rep" >&2
            run_one "$sc" "$b" "$rep"
        done
    done
done

summary >"$WORK/table.md"
cat "$WORK/table.md"
if [ -n "$OUTFILE" ]; then
    cp "$WORK/table.md" "$OUTFILE" || die "cannot write $OUTFILE"
fi
