import FailoverCore
import FailoverFamilies
import FailoverModel
import Logging
import Synchronization
import Testing

@Suite("PlaybookRunner")
struct PlaybookRunnerTests {
    let clock = SimulatedClock()
    let bond = InterfaceRef("server/bond0")!
    let eth0 = InterfaceRef("server/eth0")!

    func runner(_ backend: ScriptedBackend, timing: TimingPolicy = .exact) -> PlaybookRunner {
        PlaybookRunner(backend: backend, clock: clock, timing: timing, logger: Logger(label: "test"))
    }

    @Test("within: passes at the kernel event that makes it true, not at a polling tick")
    func waitsForEvent() async {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", bondState(active: "eth0"))
        backend.on(.pull(eth0), after: .milliseconds(37)) {
            $0[InterfaceRef("server/bond0")!] = bondState(active: "eth1")
        }
        let playbook = seedPlaybook(steps: [
            .pull(eth0),
            .expect([Expectation(.activeSlave(bond: bond, expected: "eth1"), wait: .within(.milliseconds(500)))]),
        ])
        let record = await runner(backend).run(playbook, names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .passed)
        let assertion = try! #require(record.assertions.first)
        #expect(assertion.verdict == .passed)
        #expect(assertion.actual == "eth1")
        let ack = try! #require(record.steps[0].acknowledged)
        #expect(assertion.satisfiedAt == ack.advanced(by: .milliseconds(37)))
        #expect(
            assertion.deadline == DeadlineRecord(nanoseconds: 500_000_000, source: "playbook", allowanceNanoseconds: 0))
        #expect(backend.tornDown == 1)
        // The baseline of bond0, then the change that made it true.
        #expect(record.observations.map(\.kind) == ["baseline", "link"])
        #expect(record.observations.last?.state?.activeSlave == "eth1")
    }

    @Test("within: fails at the deadline with expected vs actual, later steps are skipped")
    func failsAtDeadline() async {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", bondState(active: "eth0"))
        let playbook = seedPlaybook(steps: [
            .pull(eth0),
            .expect([Expectation(.activeSlave(bond: bond, expected: "eth1"), wait: .within(.milliseconds(500)))]),
            .plug(eth0),
        ])
        let start = clock.now()
        let record = await runner(backend).run(playbook, names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .failed)
        let assertion = try! #require(record.assertions.first)
        #expect(assertion.verdict == .failed)
        #expect(assertion.actual == "eth0")
        // Expected, actual and deadline are in the record; nothing more to explain.
        #expect(assertion.message == nil)
        #expect(assertion.ended == start.advanced(by: .milliseconds(500)))
        #expect(record.steps.map(\.verdict) == [.passed, .failed, .skipped])
        #expect(backend.performed == [.pull(eth0)])
        #expect(backend.tornDown == 1)
    }

    @Test("immediate checks do not wait")
    func immediate() async {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", bondState(active: "eth0"))
        let start = clock.now()
        let playbook = seedPlaybook(steps: [.expect([Expectation(.activeSlave(bond: bond, expected: "eth1"))])])
        let record = await runner(backend).run(playbook, names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .failed)
        #expect(record.assertions.first?.actual == "eth0")
        #expect(record.assertions.first?.message == nil)
        #expect(record.ended == start)
    }

    @Test("within: auto derives the deadline from miimon and adds the allowance, recorded as such")
    func derived() async {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", bondState(active: "eth0"))
        let playbook = seedPlaybook(
            steps: [.expect([Expectation(.activeSlave(bond: bond, expected: "eth1"), wait: .derived)])], miimon: 100)
        let timing = TimingPolicy(allowance: .milliseconds(400), allowanceReason: "TCG")
        let start = clock.now()
        let record = await runner(backend, timing: timing).run(playbook, names: RunNames(runID: "abcdef"))
        let assertion = try! #require(record.assertions.first)
        // 2 x 100ms + 0 delays + 50ms margin + 400ms allowance
        #expect(
            assertion.deadline
                == DeadlineRecord(nanoseconds: 650_000_000, source: "derived", allowanceNanoseconds: 400_000_000))
        #expect(assertion.ended == start.advanced(by: .milliseconds(650)))
        #expect(record.timers == [TimerRecord(name: "server/bond0 miimon", milliseconds: 100)])
    }

    @Test("hold waits exactly its duration")
    func hold() async {
        let backend = ScriptedBackend(clock: clock)
        let start = clock.now()
        let record = await runner(backend).run(
            seedPlaybook(steps: [.hold(.milliseconds(1500))]), names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .passed)
        #expect(record.steps[0].ended == start.advanced(by: .milliseconds(1500)))
    }

    @Test("a build error is verdict errored with the backend's message, and teardown still runs")
    func buildError() async {
        let backend = ScriptedBackend(clock: clock)
        backend.state.withLock {
            $0.buildError = BackendError(
                operation: "create bond", object: "server/bond0", detail: "Operation not supported (EOPNOTSUPP)")
        }
        let record = await runner(backend).run(seedPlaybook(steps: [.pull(eth0)]), names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .errored)
        #expect(record.message == "create bond server/bond0: Operation not supported (EOPNOTSUPP)")
        #expect(record.steps.map(\.verdict) == [.skipped])
        #expect(backend.tornDown == 1)
    }

    @Test("asking a plain interface for its active slave is errored, not failed")
    func wrongKind() async {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/eth0", InterfaceState(exists: true, adminUp: true, carrier: true))
        let playbook = seedPlaybook(steps: [.expect([Expectation(.activeSlave(bond: eth0, expected: "eth1"))])])
        let record = await runner(backend).run(playbook, names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .errored)
        #expect(record.assertions.first?.message == "server/eth0 is not a bond")
    }

    @Test("a cancelled run is errored as interrupted and tears down")
    func cancelled() async {
        let backend = ScriptedBackend(clock: clock)
        let task = Task { [clock] in
            await PlaybookRunner(backend: backend, clock: clock, logger: Logger(label: "t")).run(
                seedPlaybook(steps: [.hold(.seconds(10)), .pull(eth0)]), names: RunNames(runID: "abcdef"))
        }
        task.cancel()
        let record = await task.value
        #expect(record.verdict == .errored)
        #expect(record.message?.hasPrefix("interrupted") == true)
        #expect(backend.performed.isEmpty)
        #expect(backend.tornDown == 1)
    }
}

@Suite("AssertionEvaluator")
struct AssertionEvaluatorTests {
    let states: [InterfaceRef: InterfaceState] = [
        InterfaceRef("s/bond0")!: bondState(active: nil, carrier: false),
        InterfaceRef("s/eth0")!: slaveState(mii: .down, failures: 2, perm: "02:00:00:00:00:0a"),
        InterfaceRef("s/eth1")!: slaveState(mii: .up, failures: 0, perm: "02:00:00:00:00:01"),
    ]

    func check(_ assertion: Assertion) async throws -> Check {
        let states = self.states
        return try await AssertionEvaluator.check(assertion) { states[$0] ?? .missing }
    }

    @Test func activeSlaveNone() async throws {
        #expect(
            try await check(.activeSlave(bond: InterfaceRef("s/bond0")!, expected: nil))
                == Check(holds: true, actual: "none"))
    }

    @Test func bondMode() async throws {
        #expect(
            try await check(.bondMode(InterfaceRef("s/bond0")!, expected: .activeBackup))
                == Check(holds: true, actual: "active-backup"))
        #expect(try await check(.bondMode(InterfaceRef("s/bond0")!, expected: .balanceRR)).holds == false)
        #expect(
            try await check(.bondMode(InterfaceRef("s/eth0")!, expected: .balanceRR)).error == "s/eth0 is not a bond")
    }

    @Test func miiOfSlaveAndBond() async throws {
        #expect(try await check(.miiStatus(InterfaceRef("s/eth0")!, expected: .down)).holds)
        #expect(
            try await check(.miiStatus(InterfaceRef("s/bond0")!, expected: .up)) == Check(holds: false, actual: "down"))
    }

    @Test func linkFailures() async throws {
        #expect(try await check(.linkFailures(InterfaceRef("s/eth0")!, .atLeast(1))) == Check(holds: true, actual: "2"))
        #expect(try await check(.linkFailures(InterfaceRef("s/eth0")!, .equals(1))).holds == false)
        #expect(
            try await check(.linkFailures(InterfaceRef("s/bond0")!, .equals(0))).error == "s/bond0 is not a bond slave")
    }

    @Test func macForms() async throws {
        let bond = InterfaceRef("s/bond0")!
        #expect(try await check(.mac(bond, expected: .literal(MACAddress("02:00:00:00:00:01")!))).holds)
        #expect(try await check(.mac(bond, expected: .permanentOf(InterfaceRef("s/eth1")!))).holds)
        let wrong = try await check(.mac(bond, expected: .permanentOf(InterfaceRef("s/eth0")!)))
        #expect(wrong == Check(holds: false, actual: "02:00:00:00:00:01 (wanted 02:00:00:00:00:0a)"))
        #expect(try await check(.mac(bond, expected: .sameAs(InterfaceRef("s/eth0")!))).holds)
    }

    @Test func missingInterface() async throws {
        #expect(
            try await check(.carrier(InterfaceRef("s/eth9")!, expected: true))
                == Check(holds: false, actual: "s/eth9 does not exist"))
    }
}

/// Records the fault marks the runner hands to the probes.
private final class RecordingProbes: TrafficProbes, Sendable {
    let faults = Mutex<[FaultMark]>([])
    func start(_ names: [String]) async throws {}
    func stop(_ name: String) async throws {}
    func evaluate(_ assertion: Assertion, stepIndex: Int, faults: [FaultMark]) async throws -> ProbeEvaluation {
        ProbeEvaluation(holds: false, actual: "n/a")
    }
    func finish(faults: [FaultMark]) async -> [ProbeRecord] {
        self.faults.withLock { $0 = faults }
        return []
    }
}

@Suite("Fault polarity")
struct FaultPolarityTests {
    @Test("each fault step carries its polarity in the model; other steps have none")
    func polarityOfEachAction() {
        let ref = InterfaceRef("server/eth0")!
        let cases: [(StepAction, FaultPolarity?)] = [
            (.pull(ref), .failure), (.down(ref), .failure), (.switchDown("sw"), .failure), (.blackhole(ref), .failure),
            (.plug(ref), .repair), (.up(ref), .repair), (.switchUp("sw"), .repair), (.restore(ref), .repair),
            (.set(bond: ref, option: "primary", value: "eth1"), .reconfiguration),
            (.hold(.seconds(1)), nil), (.startProbe("p"), nil), (.stopProbe("p"), nil), (.expect([]), nil),
        ]
        for (action, polarity) in cases {
            #expect(action.faultPolarity == polarity, "\(action)")
            #expect(action.isFault == (polarity != nil), "\(action)")
        }
    }

    @Test("the runner hands each fault's polarity to the probes with its mark, in step order")
    func runnerMarksCarryPolarity() async {
        let clock = SimulatedClock()
        let backend = ScriptedBackend(clock: clock)
        let eth0 = InterfaceRef("server/eth0")!
        let probes = RecordingProbes()
        let playbook = seedPlaybook(steps: [.pull(eth0), .hold(.milliseconds(10)), .plug(eth0), .down(eth0)])
        let runner = PlaybookRunner(backend: backend, probes: probes, clock: clock, logger: Logger(label: "test"))
        let record = await runner.run(playbook, names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .passed)
        let marks = probes.faults.withLock { $0 }
        #expect(marks.map(\.stepIndex) == [0, 2, 3])
        #expect(marks.map(\.polarity) == [.failure, .repair, .failure])
    }
}
