#!/bin/sh
# Regenerate the golden outputs in tests/golden/expected from the current build. Results are
# meant to change only on purpose: review `git diff tests/golden` and say why in the commit.
# Usage: tests/update-golden.sh [BUILD_DIR]   (default: build)
set -eu
cd "$(dirname "$0")/.."
bin=${1:-build}/reesim
tmp=$(mktemp -d)
"$bin" run tests/golden/golden.yaml -q -o "$tmp/out" --check-balance
for f in timeseries.csv summary.csv runs.csv fit.csv fit_summary.csv variance.csv; do
    cp "$tmp/out/$f" tests/golden/expected/$f
done
rm -rf "$tmp"
echo "updated tests/golden/expected; review with: git diff --stat tests/golden"
