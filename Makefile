# Thin wrapper around CMake. Every target installs missing Debian packages first
# (scripts/deps.sh), configures and builds, so `make run` and `make test` work on a fresh machine.
BUILD    ?= build
TYPE     ?= Release
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SCENARIO ?= scenarios/baseline-2024.yaml
# `make test` = check (normal build, -Werror, ctest) + check-asan (the same suite built with
# AddressSanitizer + UBSan in $(ASAN_BUILD)) + mpi (the MPI build in $(MPI_BUILD), its
# byte-identity test across 1, 2 and 3 ranks) + fuzz (the three libFuzzer targets, $(SECONDS) s each,
# clang build in $(FUZZ_BUILD)). Each also runs alone.
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
MPI_BUILD  ?= build-mpi
FIU_BUILD  ?= build-fiu
SECONDS    ?= 60
# Sanitizer run-time options: leaks are errors (LeakSanitizer needs ptrace; where a container
# forbids it, run with ASAN_OPTIONS=detect_leaks=0), UBSan stops at the first finding.
ASAN_OPTIONS  ?= detect_leaks=1
UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

.PHONY: all deps configure build run test check check-asan mpi faults fuzz fuzz-build bench bench-scale format install clean

all: build

deps:
	@sh scripts/deps.sh $(DEPS)

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(TYPE) -DREESIM_WERROR=$(if $(WERROR),$(WERROR),OFF) $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@$(BUILD)/reesim run $(SCENARIO)

test:
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory mpi
	@$(MAKE) --no-print-directory faults
	@$(MAKE) --no-print-directory fuzz SECONDS=$(SECONDS)

check: WERROR = ON
check: DEPS = test
check: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

check-asan:
	@$(MAKE) --no-print-directory build BUILD=$(ASAN_BUILD) TYPE=Asan WERROR=ON DEPS=test
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=$(ASAN_OPTIONS) UBSAN_OPTIONS=$(UBSAN_OPTIONS) \
	    ctest --output-on-failure -j $(JOBS)

# MPI ranks (docs/cluster.md): build with -DREESIM_MPI=ON, run the tests labelled mpi.
mpi:
	@$(MAKE) --no-print-directory build BUILD=$(MPI_BUILD) WERROR=ON DEPS=test CMAKE_ARGS="-DREESIM_MPI=ON"
	@cd $(MPI_BUILD) && ctest --output-on-failure -L mpi

# The output set's own fault points (engine/io/fault.h) in a build of their own, so no other
# build links libfiu; only the program is needed by tests/cli/faults.sh.
faults:
	@$(MAKE) --no-print-directory configure BUILD=$(FIU_BUILD) WERROR=ON DEPS=test CMAKE_ARGS="-DREESIM_FIU=ON"
	@cmake --build $(FIU_BUILD) -j $(JOBS) --target reesim
	@cd $(FIU_BUILD) && ctest --output-on-failure -R '^cli_faults$$'

fuzz-build:
	@$(MAKE) --no-print-directory configure BUILD=$(FUZZ_BUILD) TYPE=Asan DEPS=test \
	    CMAKE_ARGS="-DCMAKE_C_COMPILER=clang -DREESIM_FUZZ=ON"
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_loader fuzz_sim fuzz_csv

fuzz: fuzz-build
	@ASAN_OPTIONS=$(ASAN_OPTIONS) UBSAN_OPTIONS=$(UBSAN_OPTIONS) sh tests/fuzz/run.sh $(FUZZ_BUILD) $(SECONDS)

# `make bench`: throughput and memory (reesim-bench), then where the time goes (reesim-phases:
# load, reset, steps, draws, statistics, runs.csv/.gz, tables) on the chain and historical-2025.
# `make bench-scale`: cost against runs, months and nodes on generated networks (bench/scale.sh;
# SCALE_CALLGRIND=1 for instruction counts). See bench/README.md.
bench: build
	@$(BUILD)/reesim-bench
	@$(BUILD)/reesim-phases bench/scenarios/chain.yaml scenarios/historical-2025.yaml

bench-scale: build
	@sh bench/scale.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

install: build
	@cmake --install $(BUILD)

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(MPI_BUILD)
