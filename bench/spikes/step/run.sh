#!/bin/sh
# One timing session: verify, interleaved timing, phases; load before and after. Output to
# runs/NAME.txt. Usage: [SCEN=file] ./run.sh NAME [CPU] [REPS] [PASSES] [RUNS]
set -e
cd "$(dirname "$0")"
NAME=$1; CPU=${2:-1}; REPS=${3:-15}; PASSES=${4:-40}; RUNS=${5:-64}
BIN=${BIN:-/tmp/step-build/step_bench}
SCEN=${SCEN:-../../scenarios/chain.yaml}
mkdir -p runs
{
    echo "# $(date -u '+%F %T') UTC, cpu $CPU, $(git -C ../../.. rev-parse --short HEAD)"
    echo "# uptime before: $(uptime)"
    echo "# busiest processes: $(ps -eo psr,pcpu,comm --sort=-pcpu | sed -n 2,4p | tr -s ' ' | tr '\n' ';')"
    taskset -c "$CPU" "$BIN" time "$SCEN" "$RUNS" "$REPS" "$PASSES" 2>&1
    echo
    taskset -c "$CPU" "$BIN" phases "$SCEN" "$RUNS" "$REPS" "$PASSES" 2>&1 | grep -v "^captured"
    echo
    taskset -c "$CPU" "$BIN" engine "$SCEN" "$RUNS" "$PASSES" 2>&1 | grep -v "^captured"
    echo "# uptime after: $(uptime)"
    echo "# busiest processes: $(ps -eo psr,pcpu,comm --sort=-pcpu | sed -n 2,4p | tr -s ' ' | tr '\n' ';')"
    echo "# $(date -u '+%F %T') UTC"
} > "runs/$NAME.txt"
cat "runs/$NAME.txt"
