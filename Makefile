# failover — see README.md. `make run` and `make test` do all the set-up on a fresh
# Debian/Ubuntu machine when run as root.
SWIFT      ?= swift
BUILD_FLAGS ?= -Xswiftc -warnings-as-errors
BIN        := .build/debug/failover
TESTS      := .build/debug/failoverPackageTests.xctest
# The standard playbooks: those that run on this kernel (bond playbooks among them go to the kernel
# lab's default kernel when this kernel has no bonding driver), and the bond suites, which run once
# per lab kernel: every kernel series installed in /boot with a bonding module (scripts/lab-kernels.sh;
# none when this kernel has bonding: they then run here). Override: make run LAB_KERNELS="/boot/vmlinuz-…".
HOST_SUITES := Playbooks/host Playbooks/seed-004
LAB_SUITES  := Playbooks/seed-000 Playbooks/seed-001 Playbooks/seed-002 Playbooks/options Playbooks/seed-003
# (Found when the recipe runs, after `deps` installed the kernels.)
LAB_KERNELS ?=
KERNELS_SH  = kernels="$(LAB_KERNELS)"; [ -n "$$kernels" ] || kernels=$$(scripts/lab-kernels.sh)
LAB_TESTS   := --env FAILOVER_INTEGRATION=1 -- $(TESTS) --testing-library swift-testing --filter BackendBondTests

LAB_TEST_COMMANDS = $(KERNELS_SH); \
	if [ -z "$$kernels" ]; then $(BIN) lab-exec $(LAB_TESTS); \
	else for k in $$kernels; do $(BIN) lab-exec --kernel "$$k" $(LAB_TESTS) || exit $$?; done; fi

.PHONY: all deps build run test unit integration validate format lint bench cleanup clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build --build-tests $(BUILD_FLAGS)

# The standard suite: host-kernel playbooks, then the bond suites on each lab kernel (see LAB_KERNELS).
# Both runs always run; the exit status is the last failing one's.
run: build
	@status=0; $(KERNELS_SH); \
	set -x; $(BIN) run $(HOST_SUITES) || status=$$?; \
	$(BIN) run $$(for k in $$kernels; do printf -- '--kernel %s ' "$$k"; done) $(LAB_SUITES) || status=$$?; \
	exit $$status


# Unit tests, then the privileged integration tests (root; they use network namespaces and the
# kernel lab VM; one at a time: their timing figures must not compete for the 2 cores), then the kernel-bond tests of the test bundle on a real bonding driver: on this
# kernel if it has one, else inside the kernel lab (`failover lab-exec`), once per lab kernel.
test: build lint
	$(SWIFT) test --skip-build --skip FailoverIntegrationTests
	FAILOVER_INTEGRATION=1 $(SWIFT) test --skip-build --no-parallel --filter FailoverIntegrationTests
	$(LAB_TEST_COMMANDS)

unit:
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build --skip FailoverIntegrationTests

integration: build
	FAILOVER_INTEGRATION=1 $(SWIFT) test --skip-build --no-parallel --filter FailoverIntegrationTests
	$(LAB_TEST_COMMANDS)

validate:
	$(SWIFT) build --product failover
	$(BIN) validate Playbooks

format:
	$(SWIFT) format format --in-place --parallel --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --parallel --recursive Sources Tests Package.swift

# Benchmarks (root): topology build+teardown, netlink vs one `ip` per command; probe rate and
# outage accuracy (Benchmarks/probe/README.md; FAILOVER_BENCH_SECONDS sets the no-fault trial length).
bench: deps
	$(SWIFT) build -c release --product backend-bench
	.build/release/backend-bench 15
	FAILOVER_INTEGRATION=1 FAILOVER_BENCH=1 FAILOVER_BENCH_SECONDS=$${FAILOVER_BENCH_SECONDS:-60} \
	  $(SWIFT) test -c release -Xswiftc -enable-testing --filter 'ProbeBenchmarkTests|ProbeEvaluationBenchmarkTests|CaptureBenchmarkTests'

cleanup:
	$(BIN) cleanup

clean:
	rm -rf .build
