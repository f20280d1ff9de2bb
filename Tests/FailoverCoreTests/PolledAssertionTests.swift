import FailoverCore
import FailoverFamilies
import FailoverModel
import Logging
import Synchronization
import Testing

/// A scripted backend whose bond's LACP view changes at a given instant with no link event (as
/// the kernel's LACP does: an aggregator change sends no RTM_NEWLINK).
final class LacpScriptedBackend: NetworkBackend, Sendable {
    let base: ScriptedBackend
    let clock: SimulatedClock
    /// From this instant on, eth0 has left the active aggregator.
    let leavesAt: MonotonicInstant
    let reads = Mutex<[MonotonicInstant]>([])

    init(clock: SimulatedClock, leavesAt: MonotonicInstant) {
        self.clock = clock
        self.base = ScriptedBackend(clock: clock)
        self.leavesAt = leavesAt
    }

    func build(_ plan: RunPlan, log: ObservationLog) async throws { try await base.build(plan, log: log) }
    func perform(_ operations: [PlannedOperation]) async throws -> MonotonicInstant {
        try await base.perform(operations)
    }
    func state(of interface: InterfaceRef) async throws -> InterfaceState { try await base.state(of: interface) }
    func synchronize() async throws { try await base.synchronize() }
    func teardown() async -> [String] { await base.teardown() }

    func lacpStatus(of bond: InterfaceRef) async throws -> LacpStatus {
        let now = clock.now()
        reads.withLock { $0.append(now) }
        let left = now >= leavesAt
        return LacpStatus(
            aggregatorID: 1, actorKey: 15, partnerKey: 15, partnerMAC: MACAddress("02:00:00:00:00:aa"),
            ports: [
                LacpStatus.Port(
                    name: "eth0", aggregatorID: left ? 2 : 1, actorState: left ? 0x47 : 0x3f, partnerState: 0x3d),
                LacpStatus.Port(name: "eth1", aggregatorID: 1, actorState: 0x3f, partnerState: 0x3d),
            ])
    }
}

@Suite("polled kernel facts")
struct PolledAssertionTests {
    let clock = SimulatedClock()

    /// server/bond0 in 802.3ad with lacp_rate fast: `within: auto` is 6.3 s.
    static func playbook(_ steps: [StepAction]) -> Playbook {
        var playbook = seedPlaybook(steps: steps)
        playbook.topology.hosts[0].bonds[0].mode = .ieee8023ad
        playbook.topology.hosts[0].bonds[0].options.lacpRate = .fast
        return playbook
    }

    @Test(
        "an assertion read on demand is read again every 100 ms: it holds when the kernel changed, not at its deadline")
    func pollsUntilDeadline() async throws {
        let eth0 = InterfaceRef("server/eth0")!
        let leavesAt = clock.now().advanced(by: .milliseconds(2350))
        let backend = LacpScriptedBackend(clock: clock, leavesAt: leavesAt)
        backend.base.set("server/bond0", bondState(active: nil))
        let playbook = Self.playbook([
            .expect([
                Expectation(.lacpState(eth0, expected: LacpPortExpectation(inAggregator: false)), wait: .derived)
            ])
        ])
        let runner = PlaybookRunner(backend: backend, clock: clock, timing: .exact, logger: Logger(label: "t"))
        let record = await runner.run(playbook, names: RunNames(runID: "abcdef"))
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .passed, "\(assertion)")
        #expect(assertion.deadline?.nanoseconds == 6_300_000_000)
        // Held at the first read at or after the change: within one poll interval of it, long
        // before the deadline.
        let held = try #require(assertion.satisfiedAt)
        #expect(held >= leavesAt)
        #expect(held <= leavesAt.advanced(by: PlaybookRunner.pollInterval))
        let reads = backend.reads.withLock { $0 }
        #expect(reads.count >= 23 && reads.count <= 26, "\(reads.count) reads")
    }

    @Test("a polled assertion that never comes true fails at its deadline, read there")
    func failsAtDeadline() async throws {
        let eth0 = InterfaceRef("server/eth0")!
        let backend = LacpScriptedBackend(clock: clock, leavesAt: clock.now().advanced(by: .seconds(60)))
        backend.base.set("server/bond0", bondState(active: nil))
        let playbook = Self.playbook([
            .expect([
                Expectation(
                    .lacpState(eth0, expected: LacpPortExpectation(inAggregator: false)),
                    wait: .within(.milliseconds(1000)))
            ])
        ])
        let start = clock.now()
        let runner = PlaybookRunner(backend: backend, clock: clock, timing: .exact, logger: Logger(label: "t"))
        let record = await runner.run(playbook, names: RunNames(runID: "abcdef"))
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .failed)
        #expect(backend.reads.withLock { $0.last } == start.advanced(by: .milliseconds(1000)))
    }
}
