#!/bin/sh
# MPI ranks (docs/cluster.md): `mpirun -np N reesim run|compare|sweep|sensitivity|search|
# calibrate` gives every CSV byte for byte as one process, for N = 1, 2, 3 and 1 or 2 threads per
# rank (more blocks than ranks, a partial last block, and fewer blocks than ranks); an invalid scenario exits 65
# with one diagnostic, an output folder that cannot be created exits 73 and nothing is written;
# a command that cannot run on ranks is refused; the assignment of blocks is dynamic (a slow rank
# runs fewer blocks, the bytes unchanged); a rank out of memory, or one whose scenario or build
# differs from rank 0's, stops every rank, and a rank that fails alone ends the job. Skips (passes)
# when reesim was built without MPI or mpirun is missing. Runs without series quantiles
# (--series-quantiles off) too.
# Usage: mpi.sh REESIM SOURCE_DIR WORKDIR
bin=$1 src=$2 work=$3
. "$src/tests/cli/lib.sh"
if ! command -v mpirun >/dev/null 2>&1 || ! ldd "$bin" 2>/dev/null | grep -q libmpi; then
    echo "skip: $bin was not built with MPI (cmake -DREESIM_MPI=ON, or make mpi)"
    exit 0
fi
rm -rf "$work" && mkdir -p "$work"
cp "$src/tests/golden/golden.yaml" "$src/tests/golden/observed.csv" "$work/"
g="$work/golden.yaml"
sed -e 's/^name: golden/name: tight/' -e 's/min: 0.4, max: 0.8}/min: 0.1, max: 0.3}/' "$g" \
    >"$work/tight.yaml"
# Root in containers and CI: Open MPI refuses it unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi() {
    n=$1
    shift
    mpirun --oversubscribe --allow-run-as-root -np "$n" "$bin" "$@"
}
status() { "$@" >"$work/stdout" 2>"$work/stderr"; echo $?; }
# Every CSV of $1 is in $2 with the same bytes, and no other.
same_csv() {
    [ "$(cd "$1" && ls ./*.csv)" = "$(cd "$2" && ls ./*.csv)" ] || return 1
    for f in "$1"/*.csv; do
        cmp -s "$f" "$2/$(basename "$f")" || {
            echo "differs: $f $2/$(basename "$f")"
            return 1
        }
    done
}

# 200 runs: 4 blocks of 64 runs, the last one partial.
check "one process" test "$(status "$bin" run "$g" -n 200 -j 2 -q -o "$work/run1")" = 0
for nj in "1 2" "2 1" "3 1" "3 2"; do
    set -- $nj
    check "run, $1 ranks x $2 threads exits 0" \
        test "$(status mpi "$1" run "$g" -n 200 -j "$2" -q -o "$work/run-$1-$2")" = 0
    check "run, $1 ranks x $2 threads: every CSV identical" same_csv "$work/run1" "$work/run-$1-$2"
done
# runs.csv.gz: every rank's threads format and compress their blocks' rows (one gzip member a
# block), rank 0 appends them: the same bytes as one process.
check "gz, one process" test "$(status "$bin" run "$g" -n 200 -j 2 -q -o "$work/gz1" --runs-csv gz)" = 0
for n in 2 3; do
    check "gz, $n ranks exits 0" \
        test "$(status mpi "$n" run "$g" -n 200 -j 1 -q -o "$work/gz$n" --runs-csv gz)" = 0
    check "gz, $n ranks: runs.csv.gz identical" cmp "$work/gz1/runs.csv.gz" "$work/gz$n/runs.csv.gz"
done
# Fewer blocks (2) than ranks (3): rank 2 has nothing to run.
check "run 70, one process" test "$(status "$bin" run "$g" -n 70 -j 1 -q -o "$work/small1")" = 0
check "run 70, 3 ranks" test "$(status mpi 3 run "$g" -n 70 -j 1 -q -o "$work/small3")" = 0
check "run 70, 3 ranks: every CSV identical" same_csv "$work/small1" "$work/small3"
# Series without quantiles (moments-only cells: ranges of 40 bytes a cell in the totals, 32 in a
# block): the same bytes on 2 and 3 ranks, each merging its part.
gate="$src/scenarios/examples/gate.yaml"
check "series quantiles off, one process" \
    test "$(status "$bin" run "$gate" -n 200 -j 2 -q --series-quantiles off -o "$work/light1")" = 0
for n in 2 3; do
    check "series quantiles off, $n ranks exits 0" \
        test "$(status mpi "$n" run "$gate" -n 200 -j 1 -q --series-quantiles off -o "$work/light$n")" = 0
    check "series quantiles off, $n ranks: every CSV identical" same_csv "$work/light1" "$work/light$n"
done
# Rank 0 alone prints: the summary once.
status mpi 2 run "$g" -n 64 -j 1 -o "$work/printed" >/dev/null
check "the summary is printed once" test "$(grep -c 'results in' "$work/stdout")" = 1
check "meta.json counts the ranks" grep -q '"ranks":[[:space:]]*2,' "$work/printed/meta.json"
check "meta.json of one process: 1 rank" grep -q '"ranks":[[:space:]]*1,' "$work/run1/meta.json"
# REESIM_MPI_TRACE (read by the program, cli/main.c): rank 0 prints the executor's figures.
(
    export REESIM_MPI_TRACE=1
    status mpi 2 run "$g" -n 200 -j 1 -q -o "$work/traced" >/dev/null
)
check "REESIM_MPI_TRACE: the figures once" test "$(grep -c '^reesim: mpi: 2 ranks' "$work/stderr")" = 1
# The merge is cut into one part per rank (docs/cluster.md): rank 1 merges part 1, so the byte
# identity above covers pieces merged away from rank 0 and totals gathered back.
check "2 ranks: 2 parts" grep -q '^reesim: mpi: 2 ranks, 4 blocks, 2 parts' "$work/stderr"
(
    export REESIM_MPI_TRACE=1
    status mpi 3 run "$g" -n 200 -j 1 -q -o "$work/traced3" >/dev/null
)
check "3 ranks: 3 parts" grep -q '^reesim: mpi: 3 ranks, 4 blocks, 3 parts' "$work/stderr"
check "3 ranks, traced: every CSV identical" same_csv "$work/run1" "$work/traced3"
status mpi 2 run "$g" -n 200 -j 1 -q -o "$work/untraced" >/dev/null
check "without it: nothing" test "$(grep -c '^reesim: mpi:' "$work/stderr")" = 0

# Dynamic assignment: blocks go to whichever rank asks, and the bytes stay those of one process.
# REESIM_MPI_SLOW=1:MS makes rank 1 sleep MS ms after each of its blocks, so the other ranks take
# more blocks (regime switching as well makes block costs uneven).
pu="$src/scenarios/policy-uncertainty-2026-2028.yaml"
check "regime switching, one process" \
    test "$(status "$bin" run "$pu" -n 640 -j 1 -q -o "$work/pu1")" = 0
for n in 2 3; do
    check "regime switching, $n ranks, rank 1 slow, exits 0" \
        test "$(export REESIM_MPI_SLOW=1:100; status mpi "$n" run "$pu" -n 640 -j 1 -q -o "$work/pu$n")" = 0
    check "regime switching, $n ranks, rank 1 slow: every CSV identical" \
        same_csv "$work/pu1" "$work/pu$n"
done
# 16 blocks on 2 ranks: a static cyclic assignment gives each rank 8; rank 1, 0.4 s slower per
# block than rank 0's few milliseconds, runs fewer (rank 0 runs ahead of the merge, within its
# window of 8 blocks).
check "slow rank, one process" \
    test "$(status "$bin" run "$g" -n 1024 -j 2 -q --runs-csv none -o "$work/slow1")" = 0
check "slow rank 1 of 2 exits 0" test "$(export REESIM_MPI_SLOW=1:400 REESIM_MPI_TRACE=1
    status mpi 2 run "$g" -n 1024 -j 1 -q --runs-csv none -o "$work/slow")" = 0
per_rank=$(sed -n 's/.*blocks run per rank: \([0-9 ]*\).*/\1/p' "$work/stderr")
echo "blocks run per rank (2 ranks, rank 1 slow): $per_rank"
check "the slow rank ran fewer than its cyclic share of 8 blocks" \
    test -n "$per_rank" -a "${per_rank#* }" -lt 8 -a "${per_rank% *}" -gt 8
check "slow rank: every CSV identical" same_csv "$work/slow1" "$work/slow"

# A rank whose statistics cannot be allocated (REESIM_MPI_NOMEM=R, a test aid): every rank stops
# with out of memory (71) and none waits for it in a collective (a hang would meet the timeout:
# 124); rank 0 says whose memory ran out, and the parent folder is left empty.
nomem() { # nomem R: 2 ranks, rank R out of memory; prints the exit code
    rm -rf "$work/nomem" && mkdir "$work/nomem"
    (export REESIM_MPI_NOMEM=$1
        status timeout -k 10 120 mpirun --oversubscribe --allow-run-as-root -np 2 "$bin" run \
            "$g" -n 200 -j 1 -q -o "$work/nomem/out")
}
check "rank 0 out of memory: every rank stops, exit 71" test "$(nomem 0)" = 71
check "rank 0 out of memory: said so" grep -q "out of memory allocating the statistics" \
    "$work/stderr"
check "rank 0 out of memory: nothing written" test -z "$(ls -A "$work/nomem")"
check "rank 1 out of memory: every rank stops, exit 71" test "$(nomem 1)" = 71
check "rank 1 out of memory: rank 0 says whose" \
    grep -q "out of memory on MPI rank 1, allocating the statistics" "$work/stderr"
check "rank 1 out of memory: nothing written" test -z "$(ls -A "$work/nomem")"
check "REESIM_MPI_NOMEM not a rank number: ignored" test "$(export REESIM_MPI_NOMEM=off
    status mpi 2 run "$g" -n 200 -j 1 -q -o "$work/nomem-off")" = 0

check "compare, one process" \
    test "$(status "$bin" compare "$g" "$work/tight.yaml" -n 200 -j 2 -q -o "$work/cmp1")" = 0
for n in 1 2 3; do
    check "compare, $n ranks exits 0" \
        test "$(status mpi "$n" compare "$g" "$work/tight.yaml" -n 200 -j 1 -q -o "$work/cmp$n-r")" = 0
    check "compare, $n ranks: every CSV identical" same_csv "$work/cmp1" "$work/cmp$n-r"
done

# sweep and sensitivity: every case's Monte Carlo runs on the ranks, in the same order as one
# process; 200 runs per case are 4 blocks, 96 runs per evaluation 2 (rank 2 of 3 has none).
t="$src/tests/explore/toy-explore.yaml"
sw="--no-explore --set gates.cn_export.approval=0.2,0.8 --set nodes.us_cars.demand=200,400"
check "sweep, one process" test "$(status "$bin" sweep "$t" $sw -n 200 -j 2 -q -o "$work/sw1")" = 0
check "sweep: 4 cases" test "$(cut -d, -f1 "$work/sw1/sweep.csv" | sort -u | grep -c '^[0-9]')" = 4
gsa="--method morris -n 2 -r 96 --boot 20"
check "sensitivity, one process" \
    test "$(status "$bin" sensitivity "$t" $gsa -j 2 -q -o "$work/gsa1")" = 0
for n in 1 2 3; do
    check "sweep, $n ranks exits 0" \
        test "$(status mpi "$n" sweep "$t" $sw -n 200 -j 1 -q -o "$work/sw$n-r")" = 0
    check "sweep, $n ranks: every CSV identical" same_csv "$work/sw1" "$work/sw$n-r"
    check "sensitivity, $n ranks exits 0" \
        test "$(status mpi "$n" sensitivity "$t" $gsa -j 1 -q -o "$work/gsa$n-r")" = 0
    check "sensitivity, $n ranks: every CSV identical" same_csv "$work/gsa1" "$work/gsa$n-r"
done
status mpi 2 sweep "$t" $sw -n 64 -j 1 -o "$work/sw-printed" >/dev/null
check "sweep: the summary is printed once" test "$(grep -c 'results in' "$work/stdout")" = 1
status mpi 2 sensitivity "$t" $gsa -j 1 -o "$work/gsa-printed" >/dev/null
check "sensitivity: the table is printed once" test "$(grep -c 'results in' "$work/stdout")" = 1

# Failures end every rank with the usual exit code, one diagnostic, no output.
check "invalid scenario on 3 ranks: 65" \
    test "$(status mpi 3 run "$src/tests/bad/bad-month.yaml" -o "$work/bad")" = 65
check "one diagnostic" test "$(grep -c 'error:' "$work/stderr")" = 1
check "no output for an invalid scenario" test ! -e "$work/bad"
: >"$work/file"
check "output under a file on 3 ranks: 73" \
    test "$(status mpi 3 run "$g" -n 200 -j 1 -o "$work/file/x")" = 73
check "one message from reesim (mpirun adds its own)" test "$(grep -c '^reesim' "$work/stderr")" = 1
check "nothing written" test ! -e "$work/file/x"
check "compare, output under a file on 2 ranks: 73" \
    test "$(status mpi 2 compare "$g" "$work/tight.yaml" -n 100 -j 1 -o "$work/file/y")" = 73
check "sweep, output under a file on 3 ranks: 73" \
    test "$(status mpi 3 sweep "$t" $sw -n 64 -j 1 -o "$work/file/s")" = 73
check "one message from reesim sweep" test "$(grep -c '^reesim' "$work/stderr")" = 1
check "sensitivity, output under a file on 3 ranks: 73" \
    test "$(status mpi 3 sensitivity "$t" $gsa -j 1 -o "$work/file/g")" = 73
check "one message from reesim sensitivity" test "$(grep -c '^reesim' "$work/stderr")" = 1

# Hosts whose files differ (an MPMD launch gives each rank its own operand): every rank loads the
# scenario itself, and all stop together before any run when one could not load it (exit 65, or
# its own status; rank 0 names it and quotes its first error) or loaded other contents than rank 0
# (the scenario's text, or its observations file: exit 65), the parent folder left empty. The
# same bytes under another path run. The code before this check exits 0 with the other host's
# scenario's runs mixed into the results.
mkdir -p "$work/host2" "$work/host3"
cp "$g" "$work/observed.csv" "$work/host2/"
cp "$g" "$work/host3/"
sed '3s/,[0-9]*$/,1/' "$work/observed.csv" >"$work/host3/observed.csv"
sed 's/capacity: 6000,/capacity: 6001,/' "$g" >"$work/other.yaml"
sed 's/^nodes:/nodez:/' "$g" >"$work/broken.yaml"
two() { # two CMD A B [args]: rank 0 runs CMD A, rank 1 CMD B; prints the exit code
    rm -rf "$work/two" && mkdir "$work/two"
    c=$1 a=$2 b=$3
    shift 3
    status timeout -k 10 120 mpirun --oversubscribe --allow-run-as-root \
        -np 1 "$bin" "$c" "$a" "$@" -o "$work/two/out" : -np 1 "$bin" "$c" "$b" "$@" -o "$work/two/out"
}
check "fixture: other.yaml differs" test -n "$(cmp "$g" "$work/other.yaml")"
check "fixture: host3's observations differ" \
    test -n "$(cmp "$work/observed.csv" "$work/host3/observed.csv")"
check "the same bytes under another path: exit 0" \
    test "$(two run "$g" "$work/host2/golden.yaml" -n 200 -j 1 -q)" = 0
check "the same bytes under another path: every CSV identical" same_csv "$work/run1" "$work/two/out"
check "another scenario on rank 1: every rank stops, exit 65" \
    test "$(two run "$g" "$work/other.yaml" -n 200 -j 1 -q)" = 65
check "another scenario on rank 1: rank 0 names the file" \
    grep -q "MPI rank 1 read other text than rank 0 from .*golden.yaml" "$work/stderr"
check "another scenario on rank 1: nothing written" test -z "$(ls -A "$work/two")"
check "other observations on rank 1: exit 65" \
    test "$(two run "$g" "$work/host3/golden.yaml" -n 200 -j 1 -q)" = 65
check "other observations on rank 1: rank 0 names the file" \
    grep -q "MPI rank 1 read other observations than rank 0 from .*observed.csv" "$work/stderr"
check "other observations on rank 1: nothing written" test -z "$(ls -A "$work/two")"
mkdir -p "$work/host5"
cp "$g" "$work/host5/"
{ sed 's/$/\r/' "$work/observed.csv"; printf '1999-01,7\r\n'; } >"$work/host5/observed.csv"
check "the same points written otherwise (CRLF, a row outside the horizon): exit 0" \
    test "$(two run "$g" "$work/host5/golden.yaml" -n 200 -j 1 -q)" = 0
check "the same points written otherwise: every CSV identical" same_csv "$work/run1" "$work/two/out"
check "rank 1 cannot load: exit 65" test "$(two run "$g" "$work/broken.yaml" -n 200 -j 1 -q)" = 65
check "rank 1 cannot load: rank 0 quotes its first error" \
    grep -q "MPI rank 1 could not load .*broken.yaml:[0-9]*:[0-9]*: error: nodez: unknown key" \
    "$work/stderr"
check "rank 1 cannot load: nothing written" test -z "$(ls -A "$work/two")"
check "rank 0 cannot load: exit 65" test "$(two run "$work/broken.yaml" "$g" -n 200 -j 1 -q)" = 65
check "rank 0 cannot load: its own diagnostics, no word of rank 1" \
    sh -c '! grep -q "MPI rank" "$1" && grep -q "error: nodez" "$1"' sh "$work/stderr"
check "rank 1 cannot open its scenario: every rank ends with its status, 66" \
    test "$(two run "$g" "$work/nowhere.yaml" -n 200 -j 1 -q)" = 66
check "rank 0 invalid, rank 1 cannot open: rank 0's status, 65" \
    test "$(two run "$work/broken.yaml" "$work/nowhere.yaml" -n 200 -j 1 -q)" = 65
rm -rf "$work/two" && mkdir "$work/two"
check "3 ranks, 1 and 2 cannot load: exit 65" \
    test "$(status timeout -k 10 120 mpirun --oversubscribe --allow-run-as-root \
        -np 1 "$bin" run "$g" -n 64 -q -o "$work/two/out" : \
        -np 1 "$bin" run "$work/nowhere.yaml" -n 64 -q -o "$work/two/out" : \
        -np 1 "$bin" run "$work/broken.yaml" -n 64 -q -o "$work/two/out")" = 65
check "3 ranks: rank 0 names the highest and counts the other" \
    grep -q "MPI rank 2 could not load .* (nor could 1 other rank): .*error: nodez" "$work/stderr"
check "3 ranks: nothing written" test -z "$(ls -A "$work/two")"
# Whether the output folder holds a file the command reads is rank 0's check: another host's
# folder of that name (here rank 1's own -o, holding its scenario) neither stops nor hangs the job.
rm -rf "$work/two" "$work/mine" && mkdir -p "$work/two" "$work/mine"
cp "$g" "$work/observed.csv" "$work/mine/"
check "rank 1's scenario inside its output folder: exit 0" \
    test "$(status timeout -k 10 120 mpirun --oversubscribe --allow-run-as-root \
        -np 1 "$bin" run "$g" -n 200 -j 1 -q -o "$work/two/out" : \
        -np 1 "$bin" run "$work/mine/golden.yaml" -n 200 -j 1 -q -o "$work/mine")" = 0
check "rank 1's scenario inside its output folder: every CSV identical" \
    same_csv "$work/run1" "$work/two/out"
check "sweep, another scenario on rank 1: exit 65" \
    test "$(two sweep "$g" "$work/other.yaml" --no-explore --set nodes.us_cars.demand=200,400 \
        -n 64 -j 1 -q)" = 65
check "sweep: nothing written" test -z "$(ls -A "$work/two")"
check "compare, another second scenario on rank 1: exit 65" \
    test "$(status timeout -k 10 120 mpirun --oversubscribe --allow-run-as-root \
        -np 1 "$bin" compare "$g" "$work/tight.yaml" -n 64 -j 1 -q -o "$work/two/out" : \
        -np 1 "$bin" compare "$g" "$work/other.yaml" -n 64 -j 1 -q -o "$work/two/out")" = 65
check "compare: nothing written" test -z "$(ls -A "$work/two")"
# Another build on a rank (the test aid REESIM_MPI_BUILD=R:TEXT): every rank stops at the start.
check "another build on rank 1: exit 70" \
    test "$(export REESIM_MPI_BUILD=1:0.0.0; status timeout -k 10 120 mpirun --oversubscribe \
        --allow-run-as-root -np 2 "$bin" run "$g" -n 64 -q -o "$work/two/out")" = 70
check "another build on rank 1: said so" grep -q "MPI rank 1 runs reesim 0.0.0, rank 0 reesim" \
    "$work/stderr"
check "another build on rank 1: nothing written" test -z "$(ls -A "$work/two")"

# A rank that fails alone where no step agrees on it (the test aid REESIM_MPI_FAIL=R: its command
# fails at once as out of memory, before any output folder, while the others wait for it at the
# load's agreement): it waits REESIM_MPI_END_WAIT (2 s) at the end for the others, then ends the
# job with its exit code, saying so; the timeout (124) means a hang.
alone() { # alone R: prints mpirun's exit code
    rm -rf "$work/two" && mkdir "$work/two"
    (export REESIM_MPI_FAIL=$1 REESIM_MPI_END_WAIT=2
        status timeout -k 10 120 mpirun --oversubscribe --allow-run-as-root -np 2 "$bin" run \
            "$g" -n 200 -j 1 -q -o "$work/two/out")
}
for r in 0 1; do
    check "rank $r fails alone: the job ends, exit 71" test "$(alone $r)" = 71
    check "rank $r fails alone: said so" \
        grep -q "MPI rank $r stopped with exit 71, and the other ranks did not end within 2 s" \
        "$work/stderr"
done
check "REESIM_MPI_FAIL not a rank number: ignored" test "$(export REESIM_MPI_FAIL=1x
    status mpi 2 run "$g" -n 64 -j 1 -q -o "$work/two/fail-off")" = 0

# search and calibrate: every evaluation's Monte Carlo runs on the ranks; rank 0's probability
# (search) or score and point (calibrate) is shared, so every rank takes the same next step.
# 150 runs per evaluation are 3 blocks (one per rank at 3 ranks); 100 runs are 2.
lev="--lever gates.cn_export.approval=0..1 --tol 0.02"
goal="P(us_cars/shortfall_share <= 0.3) >= 0.9"
check "search, one process" \
    test "$(status "$bin" search "$t" $lev --goal "$goal" -n 150 -j 2 -q -o "$work/se1")" = 0
check "search: several evaluations" test "$(wc -l <"$work/se1/search.csv")" -gt 4
cp "$src/tests/calibrate/toy-truth.yaml" "$src/tests/calibrate/toy-fit.yaml" "$work/"
"$bin" run "$work/toy-truth.yaml" -n 200 -q -o "$work/truth"
{ echo date,value
  awk -F, '$4 == "cn_magnets->us_cars" && $5 == "shipped" && $2 >= 1 { print $3 "," $11 }' \
      "$work/truth/timeseries.csv"; } >"$work/obs.csv"
cal="--iterations 8 -n 100"
check "calibrate, one process" \
    test "$(status "$bin" calibrate "$work/toy-fit.yaml" $cal -j 2 -q -o "$work/ca1")" = 0
sed 's/^name: .*/&-b/' "$work/toy-fit.yaml" >"$work/toy-fit-b.yaml"
check "fixture: toy-fit-b.yaml differs" test -n "$(cmp "$work/toy-fit.yaml" "$work/toy-fit-b.yaml")"
check "calibrate, another scenario on rank 1: exit 65" \
    test "$(two calibrate "$work/toy-fit.yaml" "$work/toy-fit-b.yaml" $cal -j 1 -q)" = 65
check "calibrate: nothing written" test -z "$(ls -A "$work/two")"

# Memory a rank alone lacks before a command's next shared step (REESIM_MPI_NOMEM=R:SITE): the
# inputs of sweep, sensitivity and search and compare's list of scenarios (inputs), a sweep's
# design, sensitivity's and calibrate's set-up (setup), the Morris and Sobol work arrays and the
# minimiser (method) are agreed like the statistics: every rank stops, exit 71, and rank 0 names
# the rank; a message only an agreement prints, so a lone failure's abort (also 71) fails it.
tx="$src/tests/explore/toy-explore.yaml"
nomem_at() { # nomem_at R:SITE CMD ARGS...: 2 ranks; prints the exit code
    rm -rf "$work/nomem" && mkdir "$work/nomem"
    site=$1
    shift
    (export REESIM_MPI_NOMEM=$site
        status timeout -k 10 120 mpirun --oversubscribe --allow-run-as-root -np 2 "$bin" "$@" \
            -j 1 -q -o "$work/nomem/out")
}
for case in "inputs|reading the inputs|sweep $tx --no-explore --set nodes.us_cars.demand=200,400 -n 64" \
    "inputs|reading the inputs|sensitivity $tx --method morris -n 2 -r 64" \
    "inputs|reading the inputs|search $tx --lever gates.cn_export.approval=0..1 --tol 0.1 --goal P(us_cars/shortfall_share<=0.3)>=0.9 -n 64" \
    "inputs|loading the scenarios|compare $g $work/tight.yaml -n 64" \
    "setup|setting up the design|sweep $tx --no-explore --set nodes.us_cars.demand=200,400 -n 64" \
    "setup|setting up the analysis|sensitivity $tx --method morris -n 2 -r 64" \
    "method|allocating the method's work arrays|sensitivity $tx --method morris -n 2 -r 64" \
    "method|allocating the method's work arrays|sensitivity $tx --method sobol -n 2 -r 64" \
    "setup|setting up the calibration|calibrate $work/toy-fit.yaml --iterations 2 -n 64" \
    "method|setting up the minimiser|calibrate $work/toy-fit.yaml --iterations 2 -n 64"; do
    site=${case%%|*} rest=${case#*|}
    what=${rest%%|*} cmd=${rest#*|}
    check "rank 1 out of memory at $site ($cmd): every rank stops, exit 71" \
        test "$(nomem_at "1:$site" $cmd)" = 71
    check "rank 1 out of memory at $site ($cmd): rank 0 names it" \
        grep -q "out of memory on MPI rank 1, $what" "$work/stderr"
    check "rank 1 out of memory at $site ($cmd): nothing written" test -z "$(ls -A "$work/nomem")"
done
check "rank 0 out of memory at method: exit 71" \
    test "$(nomem_at 0:method sensitivity "$tx" --method morris -n 2 -r 64)" = 71
check "rank 0 out of memory at method: said so" \
    grep -q "out of memory allocating the method's work arrays" "$work/stderr"
# An agreed failure never starts the lone-failure clock: with a wait of 1 ms, rank 1 would end the
# job while rank 0 still cleans up; it waits for rank 0 instead (no such message).
check "agreed failure, 1 ms end wait: exit 71" test "$(export REESIM_MPI_END_WAIT=0.001
    nomem_at 1 run "$g" -n 200)" = 71
check "agreed failure: no rank ends the job alone" sh -c '! grep -q "ending the job" "$1"' sh \
    "$work/stderr"
# Every file but meta.json (which counts the ranks).
same_files() {
    for f in "$1"/*.csv "$1"/*.yaml; do
        cmp -s "$f" "$2/$(basename "$f")" || {
            echo "differs: $f $2/$(basename "$f")"
            return 1
        }
    done
}
for n in 1 2 3; do
    check "search, $n ranks exits 0" \
        test "$(status mpi "$n" search "$t" $lev --goal "$goal" -n 150 -j 1 -q -o "$work/se$n-r")" = 0
    check "search, $n ranks: every CSV identical" same_csv "$work/se1" "$work/se$n-r"
    check "calibrate, $n ranks exits 0" \
        test "$(status mpi "$n" calibrate "$work/toy-fit.yaml" $cal -j 1 -q -o "$work/ca$n-r")" = 0
    check "calibrate, $n ranks: every CSV and YAML identical" same_files "$work/ca1" "$work/ca$n-r"
done
status mpi 2 search "$t" $lev --goal "$goal" -n 64 -j 1 -o "$work/se-printed" >/dev/null
check "search: the answer is printed once" test "$(grep -c 'results in' "$work/stdout")" = 1
status mpi 3 calibrate "$work/toy-fit.yaml" $cal -j 1 -o "$work/ca-printed" >/dev/null
check "calibrate: the table is printed once" test "$(grep -c 'results in' "$work/stdout")" = 1
check "search, output under a file on 3 ranks: 73" \
    test "$(status mpi 3 search "$t" $lev --goal "$goal" -n 64 -j 1 -o "$work/file/se")" = 73
check "one message from reesim search" test "$(grep -c '^reesim' "$work/stderr")" = 1
check "calibrate, output under a file on 3 ranks: 73" \
    test "$(status mpi 3 calibrate "$work/toy-fit.yaml" $cal -j 1 -o "$work/file/ca")" = 73
check "one message from reesim calibrate" test "$(grep -c '^reesim' "$work/stderr")" = 1

# Signals and a dead rank (docs/cluster.md, "Failures"): a long run on 2 ranks is stopped once
# rank 0 has opened its temporary output folder; every rank ends, nothing is left, not even the
# hidden temporary folder, and the exit code is 128 + the signal where Open MPI passes it on.
children() { # processes whose parent is $1
    for d in /proc/[0-9]*; do
        [ "$(cut -d' ' -f4 "$d/stat" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"
    done
}
rank_pid() { # the process of rank $1 of the running mpirun
    for q in $(children "$mpid"); do
        tr '\0' '\n' <"/proc/$q/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && echo "$q"
    done
}
# Start the long run (at most 120 s, under timeout) and wait until both ranks run and rank 0 has
# opened its temporary folder; sets tpid (timeout), mpid (mpirun) and started. With an argument
# (a wrapper of mpirun, scripts/reesim-mpirun) mpirun runs under it, and wpid is the wrapper.
long_run() {
    rm -rf "$work/sig" && mkdir -p "$work/sig"
    timeout -s KILL 120 "${1:-mpirun}" --oversubscribe --allow-run-as-root -np 2 "$bin" run \
        "$src/scenarios/baseline-2024.yaml" -n 1000000 -j 1 -o "$work/sig/out" \
        >"$work/stdout" 2>"$work/stderr" &
    tpid=$! mpid= wpid= started=no
    i=0
    while [ $i -lt 600 ]; do
        if [ -n "$1" ]; then
            [ -n "$wpid" ] || wpid=$(children "$tpid")
            [ -z "$wpid" ] || [ -n "$mpid" ] || mpid=$(children "$wpid")
        else
            [ -n "$mpid" ] || mpid=$(children "$tpid")
        fi
        if [ -n "$mpid" ] && ls -A "$work/sig" | grep -q '^\.out\.tmp\.' &&
            [ -n "$(rank_pid 0)" ] && [ -n "$(rank_pid 1)" ]; then
            started=yes
            break
        fi
        sleep 0.1
        i=$((i + 1))
    done
    sleep 1
}
ended() { # sets code, the exit code of mpirun (wait cannot run in a subshell)
    wait "$tpid"
    code=$?
}
nothing_left() {
    [ -z "$(ls -A "$work/sig")" ] || {
        ls -A "$work/sig"
        return 1
    }
}
long_run
check "long run started" test $started = yes
kill -TERM "$mpid"
ended
# Open MPI 4.1's mpirun exits 1 after a SIGINT or SIGTERM of its own, whatever the ranks return.
check "SIGTERM to mpirun: ends, exit $code (not 0)" test "$code" -ne 0
check "rank 0 says so" grep -q 'interrupted (signal 15); no output written' "$work/stderr"
check "SIGTERM to mpirun: nothing left" nothing_left
# The wrapper (scripts/reesim-mpirun) gives the usual code: 143 for SIGTERM, 130 for SIGINT.
wrap="$src/scripts/reesim-mpirun"
long_run "$wrap"
check "long run under the wrapper started" test $started = yes
kill -TERM "$wpid"
ended
check "SIGTERM to scripts/reesim-mpirun: 143" test "$code" = 143
check "SIGTERM to the wrapper: nothing left" nothing_left
long_run "$wrap"
check "long run under the wrapper started" test $started = yes
kill -INT "$wpid"
ended
check "SIGINT to scripts/reesim-mpirun: 130" test "$code" = 130
check "SIGINT to the wrapper: nothing left" nothing_left
long_run
check "long run started" test $started = yes
kill -TERM "$(rank_pid 0)" "$(rank_pid 1)"
ended
check "SIGTERM to every rank (as srun, scancel do): 143" test "$code" = 143
check "SIGTERM to every rank: nothing left" nothing_left
long_run
check "long run started" test $started = yes
kill -TERM "$(rank_pid 0)"
ended
check "SIGTERM to rank 0 alone: 143 (the others too, not 130 for 'interrupted')" test "$code" = 143
check "SIGTERM to rank 0: nothing left" nothing_left
long_run
check "long run started" test $started = yes
kill -KILL "$(rank_pid 1)"
ended
check "rank 1 killed: ends, exit $code (mpirun reports the SIGKILL: 137)" test "$code" -ne 0
check "rank 1 killed: rank 0 removed its temporary folder" nothing_left

check "discover is refused on ranks: 64" \
    test "$(status mpi 2 discover "$work/sw1" --where 'us_cars/shortfall > 0' -o "$work/dis")" = 64
check "refused as such" grep -q "does not run on several MPI ranks" "$work/stderr"
check "no discover output" test ! -e "$work/dis"
finish
