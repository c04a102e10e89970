#!/bin/sh
# The executor across MPI ranks with fake ops (exec_mpi_test.c says what each case checks): run
# on 1, 2, 3 and 4 ranks, each run under `timeout 60` so that a protocol that hangs fails.
# Usage: exec_mpi.sh EXEC_MPI_TEST
bin=$1
# Root in containers and CI: Open MPI refuses it unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fail=0
for n in 1 2 3 4; do
    timeout -s KILL 60 mpirun --oversubscribe --allow-run-as-root -np "$n" "$bin"
    code=$?
    if [ "$code" -ne 0 ]; then
        [ "$code" -eq 137 ] && echo "FAIL: $n ranks: did not end within 60 s" ||
            echo "FAIL: $n ranks: exit $code"
        fail=1
    fi
done
exit $fail
