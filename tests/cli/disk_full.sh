#!/bin/sh
# A real full disk (docs/reliability.md, "Output sets" step 2): a run into a 200 KiB tmpfs
# fails with exit 74 naming the file and "No space left on device", leaves the old set and no
# temporary folder. The write failures come from the kernel, not from an injected fwrite: glibc
# drops a failed write's buffer, so commit's fflush used to succeed with errno 0 and the message
# said "Input/output error" (runs.csv and timeseries.csv, written in blocks by several threads);
# and a resolved scenario too large for the disk is the file named.
# Needs a private mount namespace: `unshare -rm` (root, or unprivileged user namespaces);
# skipped where it cannot mount a tmpfs.
# Usage: disk_full.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
rm -rf "$work" && mkdir -p "$work/mnt"
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
if ! unshare -rm sh -c "mount -t tmpfs -o size=200k tmpfs '$work/mnt'" 2>/dev/null; then
    echo "skip: cannot mount a tmpfs in a private namespace (unshare -rm)"
    exit 0
fi
# A 1200-month horizon: timeseries.csv alone overflows the tmpfs.
cat >"$work/long.yaml" <<'YAML'
reesim: 1
name: long
horizon: {start: 2025-01, steps: 1200}
runs: 5
seed: 1
materials:
  - {id: m, name: mat, unit: t}
nodes:
  - {id: src, model: source, region: US, params: {output: {m: 1}, capacity: 100}}
  - {id: sec, model: sector, region: US,
     params: {material: m, demand: 90, cover_weeks: 4, kg_per_unit: 1}}
links:
  - {id: l, from: src, to: sec, material: m, lead_time: 1}
YAML
# A 400 kB description: the resolved scenario alone overflows the tmpfs, after the CSV files.
awk 'BEGIN { printf "reesim: 1\nname: wordy\ndescription: \""; for (i = 0; i < 40000; i++) printf "0123456789"; print "\"" }' >"$work/wordy.yaml"
sed -n '/^horizon/,$p' "$work/long.yaml" | sed 's/steps: 1200/steps: 6/' >>"$work/wordy.yaml"
# Inside the namespace: a small old set first, then each case; prints "NAME EXIT STDERR TMP OLD"
# (TMP: temporary folders left, OLD: 1 when the old 2-run set is still there).
cat >"$work/inside.sh" <<'SH'
bin=$1 work=$2 src=$3
m=$work/mnt
mount -t tmpfs -o size=200k tmpfs "$m" || exit 99
"$bin" run "$src/scenarios/examples/source.yaml" -n 2 -j 1 -q -o "$m/out" || echo "old set: failed"
one() { # NAME ARGS...
    name=$1
    shift
    "$bin" run "$@" -q -o "$m/out" 2>"$work/$name.err"
    echo "$name $? $(cat "$work/$name.err") $(find "$m" -name '.*.tmp.*' | wc -l) $(grep -c '"runs":.*2,' "$m/out/meta.json")"
}
one timeseries "$work/long.yaml" -n 5 -j 2 --runs-csv none
one timeseries-j1 "$work/long.yaml" -n 5 -j 1 --runs-csv none
one runs "$src/scenarios/examples/source.yaml" -n 5000 -j 2 --runs-csv csv
one runs-gz "$src/scenarios/examples/source.yaml" -n 5000 -j 2 --runs-csv gz
one resolved "$work/wordy.yaml" -n 2 -j 1 --runs-csv none
SH
unshare -rm sh "$work/inside.sh" "$bin" "$work" "$src" >"$work/results"
cat "$work/results"
# Each case names its file: the resolved scenario too (printed with fprintf, so seen failed only
# at its end, its text is written by commit, which keeps the failed write's errno; before, the
# message named timeseries.csv, whose buffered tail found the disk full when the set was checked).
for kf in timeseries:timeseries.csv timeseries-j1:timeseries.csv runs:runs.csv runs-gz:runs.csv.gz \
    resolved:scenario.resolved.yaml; do
    k=${kf%%:*} file=${kf#*:}
    line=$(grep "^$k " "$work/results")
    check "$k: exit 74" test "$(echo "$line" | cut -d' ' -f2)" = 74
    check "$k: names $file and 'No space left on device'" \
        sh -c "echo \"\$1\" | grep -q \"reesim: cannot write '[^']*/out/$file': No space left on device \"" - "$line"
    check "$k: no temporary folder, the old set intact" \
        test "$(echo "$line" | awk '{ print $(NF - 1), $NF }')" = "0 1"
done
finish
