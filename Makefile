# Thin wrapper around CMake. Every target installs missing Debian packages first
# (scripts/deps.sh), configures and builds, so `make run` and `make test` work on a fresh machine.
BUILD    ?= build
TYPE     ?= Release
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SCENARIO ?= scenarios/baseline-2024.yaml

.PHONY: all deps configure build run test bench format install clean

all: build

deps:
	@sh scripts/deps.sh $(DEPS)

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(TYPE) -DREESIM_WERROR=$(if $(WERROR),$(WERROR),OFF) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@$(BUILD)/reesim run $(SCENARIO)

test: WERROR = ON
test: DEPS = test
test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@$(BUILD)/reesim-bench

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

install: build
	@cmake --install $(BUILD)

clean:
	@rm -rf $(BUILD)
