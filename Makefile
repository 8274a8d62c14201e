# The README's two commands: `make run` and `make test`.
# Both install what is missing (scripts/install-deps), build (Release), then run.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: deps configure build run test clean format tidy bench

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

# The main job: check every scenario under scenarios/ against its expectations.
run: build
	@$(BUILD)/faultline check scenarios

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@bench/compare-spin.sh

format:
	@find model sim proofs kernel-shim cli tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

tidy: build
	@find model sim proofs kernel-shim cli -name '*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	@rm -rf $(BUILD)
