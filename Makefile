# failover — see README.md. `make run` and `make test` do all the set-up on a fresh
# Debian/Ubuntu machine when run as root.
SWIFT      ?= swift
BUILD_FLAGS ?= -Xswiftc -warnings-as-errors
BIN        := .build/debug/failover
STANDARD   := Playbooks/host Playbooks/seed-000 Playbooks/seed-001 Playbooks/options Playbooks/seed-003 Playbooks/seed-004

.PHONY: all deps build run test unit integration validate format lint bench cleanup clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build --build-tests $(BUILD_FLAGS)

# The standard suite: host-kernel playbooks, then the seed-001, options and seed-003 bond suites (in the kernel lab
# when this kernel has no bonding driver).
run: build
	$(BIN) run $(STANDARD)

TESTS      := .build/debug/failoverPackageTests.xctest

# Unit tests, then the privileged integration tests (root; they use network namespaces and the
# kernel lab VM; one at a time: their timing figures must not compete for the 2 cores), then the kernel-bond tests of the test bundle on a real bonding driver: on this
# kernel if it has one, else inside the kernel lab (`failover lab-exec`).
test: build lint
	$(SWIFT) test --skip-build --skip FailoverIntegrationTests
	FAILOVER_INTEGRATION=1 $(SWIFT) test --skip-build --no-parallel --filter FailoverIntegrationTests
	$(BIN) lab-exec --env FAILOVER_INTEGRATION=1 -- $(TESTS) --testing-library swift-testing --filter BackendBondTests

unit:
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build --skip FailoverIntegrationTests

integration: build
	FAILOVER_INTEGRATION=1 $(SWIFT) test --skip-build --no-parallel --filter FailoverIntegrationTests
	$(BIN) lab-exec --env FAILOVER_INTEGRATION=1 -- $(TESTS) --testing-library swift-testing --filter BackendBondTests

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
	  $(SWIFT) test -c release -Xswiftc -enable-testing --filter 'ProbeBenchmarkTests|ProbeEvaluationBenchmarkTests'

cleanup:
	$(BIN) cleanup

clean:
	rm -rf .build
