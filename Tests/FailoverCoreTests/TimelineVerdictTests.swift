import FailoverCore
import FailoverFamilies
import FailoverModel
import Logging
import Synchronization
import Testing

/// Verdicts come from the timestamped observation timeline: every bound is tested just inside
/// and just outside, and members of one `expect` list share the step's start as time origin.
@Suite("Timeline verdicts")
struct TimelineVerdictTests {
    let clock = SimulatedClock()
    let bond = InterfaceRef("server/bond0")!
    let eth0 = InterfaceRef("server/eth0")!
    let eth1 = InterfaceRef("server/eth1")!

    /// bond0 active on eth0, both slaves up; `pull eth0` then one `expect` step with `members`.
    /// Each reaction runs `delay` after the pull (which is also the start of the expect step).
    func run(
        _ members: [FailoverModel.Expectation], reactions: [(Duration, Bool, ScriptedBackend.Change)]
    ) async -> (PlaybookRecord, ScriptedBackend, MonotonicInstant) {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", bondState(active: "eth0"))
        backend.set("server/eth0", slaveState(mii: .up, failures: 0, perm: "02:00:00:00:00:0a"))
        backend.set("server/eth1", slaveState(mii: .up, failures: 0, perm: "02:00:00:00:00:0b"))
        for (delay, observed, change) in reactions {
            backend.on(.pull(eth0), after: delay, observed: observed, change)
        }
        let origin = clock.now()
        let playbook = seedPlaybook(steps: [.pull(eth0), .expect(members)])
        let record = await PlaybookRunner(backend: backend, clock: clock, logger: Logger(label: "test")).run(
            playbook, names: RunNames(runID: "abcdef"))
        return (record, backend, origin)
    }

    static func failover(_ map: inout [InterfaceRef: InterfaceState]) {
        map[InterfaceRef("server/bond0")!] = bondState(active: "eth1")
    }

    static func eth0Down(_ map: inout [InterfaceRef: InterfaceState]) {
        map[InterfaceRef("server/eth0")!] = slaveState(mii: .down, failures: 1, perm: "02:00:00:00:00:0a")
    }

    func activeSlave(_ name: String, _ wait: Wait, notBefore: Duration? = nil) -> FailoverModel.Expectation {
        FailoverModel.Expectation(.activeSlave(bond: bond, expected: name), wait: wait, notBefore: notBefore)
    }

    @Test("within: true 1 ms before the deadline passes, at the instant of its record")
    func withinInside() async throws {
        let (record, backend, origin) = await run(
            [activeSlave("eth1", .within(.milliseconds(300)))], reactions: [(.milliseconds(299), true, Self.failover)])
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .passed)
        #expect(assertion.satisfiedAt == origin.advanced(by: .milliseconds(299)))
        #expect(assertion.started == origin)
        #expect(assertion.timing == AssertionTimingRecord(mode: "within", fromTimeline: true))
        #expect(!backend.barriers.isEmpty)
    }

    @Test("within: true 1 ms after the deadline fails, decided at the deadline after a barrier")
    func withinOutside() async throws {
        let (record, backend, origin) = await run(
            [activeSlave("eth1", .within(.milliseconds(300)))], reactions: [(.milliseconds(301), true, Self.failover)])
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .failed)
        #expect(assertion.actual == "eth0")
        #expect(assertion.satisfiedAt == nil)
        #expect(assertion.message == nil)
        #expect(assertion.ended == origin.advanced(by: .milliseconds(300)))
        #expect(backend.barriers.contains(origin.advanced(by: .milliseconds(300))))
    }

    @Test("a second member that came true after its own deadline fails although the first still waited")
    func secondMemberLate() async throws {
        // The failover is logged 345 ms after the step began; the carrier change at 400 ms
        // keeps the step (and a sequential checker) busy until then.
        let (record, _, origin) = await run(
            [
                FailoverModel.Expectation(.miiStatus(eth0, expected: .down), wait: .within(.milliseconds(500))),
                activeSlave("eth1", .within(.milliseconds(300))),
            ],
            reactions: [(.milliseconds(345), true, Self.failover), (.milliseconds(400), true, Self.eth0Down)])
        #expect(record.assertions.map(\.verdict) == [.passed, .failed])
        #expect(record.verdict == .failed)
        let late = record.assertions[1]
        #expect(late.started == origin)
        #expect(late.actual == "eth0")
        #expect(late.message == "became eth1 after 345ms; deadline 300ms")
        #expect(late.satisfiedAt == origin.advanced(by: .milliseconds(345)))
        #expect(record.assertions[0].satisfiedAt == origin.advanced(by: .milliseconds(400)))
    }

    @Test("an immediate member is checked at the step's start, not after the members before it")
    func immediateAtOrigin() async throws {
        let (record, _, origin) = await run(
            [
                activeSlave("eth1", .within(.milliseconds(500))),
                FailoverModel.Expectation(.miiStatus(eth0, expected: .down)),
            ],
            reactions: [(.milliseconds(100), true, Self.eth0Down), (.milliseconds(200), true, Self.failover)])
        #expect(record.assertions.map(\.verdict) == [.passed, .failed])
        #expect(record.assertions[1].actual == "up")
        #expect(record.assertions[1].ended == origin)
        #expect(record.assertions[0].satisfiedAt == origin.advanced(by: .milliseconds(200)))
    }

    @Test("an immediate member that holds at the start passes with the start as its instant")
    func immediateHolds() async throws {
        let (record, _, origin) = await run(
            [FailoverModel.Expectation(.miiStatus(eth0, expected: .up))],
            reactions: [(.milliseconds(1), true, Self.eth0Down)])
        #expect(record.assertions.first?.verdict == .passed)
        #expect(record.assertions.first?.satisfiedAt == origin)
    }

    @Test(
        "not_before: true just before the lower bound fails, at or just after it passes",
        arguments: [(499, Verdict.failed), (500, .passed), (501, .passed)])
    func notBefore(milliseconds: Int, verdict: Verdict) async throws {
        let (record, _, origin) = await run(
            [activeSlave("eth1", .within(.seconds(1)), notBefore: .milliseconds(500))],
            reactions: [(.milliseconds(milliseconds), true, Self.failover)])
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == verdict)
        #expect(assertion.satisfiedAt == origin.advanced(by: .milliseconds(milliseconds)))
        #expect(assertion.timing?.notBeforeNanoseconds == 500_000_000)
        if verdict == .failed {
            #expect(assertion.message == "held after 499ms; not before 500ms")
            // Decided as soon as it was seen, not at the deadline.
            #expect(assertion.ended == origin.advanced(by: .milliseconds(499)))
        }
    }

    @Test("not_before with within: never true by the deadline fails")
    func notBeforeNever() async throws {
        let (record, _, _) = await run(
            [activeSlave("eth1", .within(.seconds(1)), notBefore: .milliseconds(500))],
            reactions: [(.milliseconds(1001), true, Self.failover)])
        #expect(record.assertions.first?.verdict == .failed)
    }

    @Test(
        "throughout: broken 1 ms before its end fails at that instant; broken at the end fails; after it passes",
        arguments: [(499, Verdict.failed), (500, .failed), (501, .passed)])
    func throughout(milliseconds: Int, verdict: Verdict) async throws {
        let (record, _, origin) = await run(
            [FailoverModel.Expectation(.miiStatus(eth0, expected: .up), wait: .throughout(.milliseconds(500)))],
            reactions: [(.milliseconds(milliseconds), true, Self.eth0Down)])
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == verdict)
        #expect(
            assertion.timing
                == AssertionTimingRecord(mode: "throughout", windowNanoseconds: 500_000_000, fromTimeline: true))
        if verdict == .failed {
            let at = origin.advanced(by: .milliseconds(milliseconds))
            #expect(assertion.satisfiedAt == at)
            #expect(assertion.actual == "down")
            #expect(assertion.message == "broken after \(milliseconds)ms; must hold for 500ms")
            #expect(assertion.ended == at)
        } else {
            #expect(assertion.satisfiedAt == nil)
            #expect(assertion.actual == "up")
            #expect(assertion.ended == origin.advanced(by: .milliseconds(500)))
        }
    }

    @Test("throughout: not holding at the start fails at the start")
    func throughoutBrokenAtStart() async throws {
        let (record, _, origin) = await run(
            [FailoverModel.Expectation(.miiStatus(eth0, expected: .down), wait: .throughout(.milliseconds(500)))],
            reactions: [])
        #expect(record.assertions.first?.verdict == .failed)
        #expect(record.assertions.first?.satisfiedAt == origin)
        #expect(record.assertions.first?.message == "broken at the start of the step; must hold for 500ms")
    }

    @Test(
        "never: violated 1 ms before its end fails; 1 ms after passes",
        arguments: [(499, Verdict.failed), (501, .passed)])
    func never(milliseconds: Int, verdict: Verdict) async throws {
        let (record, _, origin) = await run(
            [activeSlave("eth1", .never(.milliseconds(500)))],
            reactions: [(.milliseconds(milliseconds), true, Self.failover)])
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == verdict)
        if verdict == .failed {
            #expect(assertion.satisfiedAt == origin.advanced(by: .milliseconds(499)))
            #expect(assertion.message == "held after 499ms; must not hold for 500ms")
        } else {
            #expect(assertion.satisfiedAt == nil)
            #expect(assertion.ended == origin.advanced(by: .milliseconds(500)))
        }
    }

    @Test("a change logged during the first barrier, stamped just after the step's start, held at the start")
    func settledAtOrigin() async throws {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/eth0", slaveState(mii: .up, failures: 0, perm: "02:00:00:00:00:0a"))
        // The pull's change reaches the kernel before its ack; its record is received 20 us
        // after the expect step began, while the step's first barrier is waited for.
        backend.on(.pull(eth0), after: .zero, observed: false, Self.eth0Down)
        let origin = clock.now()
        backend.state.withLock {
            $0.lateRecords = [
                ObservationRecord(
                    time: origin.advanced(by: .microseconds(20)), host: "server", interface: "eth0", kind: "slave",
                    detail: "mii down",
                    state: ObservedLinkState(
                        adminUp: true, carrier: false, mii: .down, slaveState: "backup", linkFailures: 1))
            ]
        }
        let playbook = seedPlaybook(steps: [
            .pull(eth0),
            .expect([
                FailoverModel.Expectation(.miiStatus(eth0, expected: .down), wait: .throughout(.milliseconds(100))),
                FailoverModel.Expectation(.miiStatus(eth0, expected: .down)),
            ]),
        ])
        let record = await PlaybookRunner(backend: backend, clock: clock, logger: Logger(label: "test")).run(
            playbook, names: RunNames(runID: "abcdef"))
        #expect(record.assertions.map(\.verdict) == [.passed, .passed], "\(record.assertions.map(\.message))")
        #expect(record.assertions[1].satisfiedAt == origin)
    }

    @Test("a change the observer did not log makes the verdict errored, never passed")
    func observerAndKernelDisagree() async throws {
        let (record, _, _) = await run(
            [activeSlave("eth0", .throughout(.milliseconds(300)))],
            reactions: [(.milliseconds(100), false, Self.failover)])
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .errored)
        #expect(assertion.message == "observer and kernel disagree: the log says eth0, the kernel eth1")
    }

    @Test("a barrier that fails makes timeline assertions errored")
    func barrierFails() async throws {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", bondState(active: "eth0"))
        backend.state.withLock {
            $0.barrierError = BackendError(operation: "barrier", object: "ns", detail: "socket closed")
        }
        let playbook = seedPlaybook(steps: [.expect([activeSlave("eth0", .immediate)])])
        let record = await PlaybookRunner(backend: backend, clock: clock, logger: Logger(label: "test")).run(
            playbook, names: RunNames(runID: "abcdef"))
        #expect(record.assertions.first?.verdict == .errored)
        #expect(record.assertions.first?.message == "observation barrier: barrier ns: socket closed")
    }

    @Test("not_before not shorter than a derived deadline is errored, not waited for")
    func notBeforePastDerived() async throws {
        // miimon 100: 2 x 100 ms + 50 ms margin = 250 ms.
        let (record, _, origin) = await run(
            [activeSlave("eth1", .derived, notBefore: .milliseconds(250))],
            reactions: [(.milliseconds(260), true, Self.failover)])
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .errored)
        #expect(assertion.stepIndex == 1)
        #expect(assertion.message == "not_before 250ms is not shorter than the deadline 250ms")
        #expect(assertion.ended == origin)
    }

    @Test("a static property checked once is read at the step's start")
    func staticOnce() async throws {
        let (record, _, origin) = await run(
            [FailoverModel.Expectation(.bondMode(bond, expected: .activeBackup))], reactions: [])
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .passed)
        #expect(assertion.satisfiedAt == origin)
        #expect(assertion.timing == AssertionTimingRecord(mode: "immediate", fromTimeline: false))
    }
}

@Suite("Timeline")
struct TimelineTests {
    let eth0 = InterfaceRef("h/eth0")!
    func at(_ ms: UInt64) -> MonotonicInstant { MonotonicInstant(nanoseconds: ms * 1_000_000) }
    func link(_ ms: UInt64, carrier: Bool) -> ObservationRecord {
        ObservationRecord(
            time: at(ms), host: "h", interface: "eth0", kind: "link", detail: "",
            state: ObservedLinkState(adminUp: true, carrier: carrier))
    }

    @Test("the state at an instant is the last record stamped at or before it")
    func stateAt() async throws {
        let timeline = Timeline([
            link(10, carrier: true),
            ObservationRecord(time: at(15), host: "h", interface: "eth0", kind: "address", detail: "added"),
            link(20, carrier: false), link(20, carrier: true), link(30, carrier: false),
        ])
        #expect(timeline.state(of: eth0, at: at(9)) == nil)
        #expect(timeline.state(of: eth0, at: at(10))?.carrier == true)
        #expect(timeline.state(of: eth0, at: at(19))?.carrier == true)
        // Two records with one timestamp (one datagram): the later one is the state.
        #expect(timeline.state(of: eth0, at: at(20))?.carrier == true)
        #expect(timeline.state(of: eth0, at: at(30))?.carrier == false)
        #expect(timeline.changeTimes(of: [eth0], after: at(10), through: at(30)) == [at(20), at(30)])
        #expect(try await timeline.check(.carrier(eth0, expected: false), at: at(29)).holds == false)
        #expect(try await timeline.check(.carrier(eth0, expected: false), at: at(30)).holds)
        #expect(
            try await timeline.check(.carrier(InterfaceRef("h/eth9")!, expected: true), at: at(30))
                == Check(holds: false, actual: "h/eth9 does not exist"))
    }

    @Test("an observer that stopped on an error is reported for its host only")
    func observerFailure() {
        let timeline = Timeline([
            ObservationRecord(time: at(1), host: "h", interface: "*", kind: "observer_error", detail: "recv: EBADF")
        ])
        #expect(timeline.observerFailure(on: [eth0]) == "recv: EBADF")
        #expect(timeline.observerFailure(on: [InterfaceRef("g/eth0")!]) == nil)
    }
}
