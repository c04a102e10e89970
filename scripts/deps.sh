#!/bin/sh
# Install the Debian packages reesim needs, when they are missing.
# Runs apt-get itself when it can (root, or sudo without a password); otherwise prints
# the exact command and fails, so `make` never half-builds on a machine without them.
set -eu
# Build: compiler, CMake, libraries. Test (`deps.sh test`): cmocka, clang-format for the format
# check, Debian's pandas to prove every CSV reads unchanged, help2man for the man page; clang,
# its sanitizer/libFuzzer run-times and its OpenMP library for the fuzz build (`make fuzz`); Open MPI
# for the MPI build (`make mpi`).
pkgs="cmake make gcc pkg-config libgsl-dev libyaml-dev librandom123-dev libcjson-dev libmd-dev zlib1g-dev libcmocka-dev help2man"
[ "${1:-}" = test ] && pkgs="$pkgs clang-format python3-pandas python3-numpy python3-yaml gnuplot-nox fiu-utils libfiu-dev clang libclang-rt-14-dev libomp-dev openmpi-bin libopenmpi-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "reesim: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
else
    echo "reesim: cannot install them here; run:" >&2
    echo "    sudo apt-get install -y$missing" >&2
    exit 1
fi
