import FailoverCore
import FailoverFamilies
import FailoverLinux
import FailoverModel
import FailoverNetlink
import FailoverPlaybook
import Foundation
import Logging
import Synchronization
import Testing

/// Delegates to the real backend; the first barrier (the start of the first `expect` step)
/// schedules a fault `delay` later, issued while that step is being evaluated.
final class DelayedFaultBackend: NetworkBackend, Sendable {
    let inner: NamespaceBackend
    let fault: [PlannedOperation]
    let delay: Duration
    private let issued = Mutex<Task<MonotonicInstant, any Error>?>(nil)

    init(_ inner: NamespaceBackend, fault: [PlannedOperation], delay: Duration) {
        self.inner = inner
        self.fault = fault
        self.delay = delay
    }

    /// When the delayed fault was sent (nil if never).
    func faultSent() async throws -> MonotonicInstant? {
        guard let task = issued.withLock({ $0 }) else { return nil }
        return try await task.value
    }

    func build(_ plan: RunPlan, log: ObservationLog) async throws { try await inner.build(plan, log: log) }
    func perform(_ operations: [PlannedOperation]) async throws -> MonotonicInstant {
        try await inner.perform(operations)
    }
    func state(of interface: InterfaceRef) async throws -> InterfaceState { try await inner.state(of: interface) }
    func teardown() async -> [String] {
        _ = try? await faultSent()
        return await inner.teardown()
    }
    func synchronize() async throws {
        issued.withLock { task in
            guard task == nil else { return }
            let (inner, fault, delay) = (self.inner, self.fault, self.delay)
            task = Task {
                try await Task.sleep(for: delay)
                let sent = MonotonicInstant(nanoseconds: MonotonicTime.now())
                _ = try await inner.perform(fault)
                return sent
            }
        }
        try await inner.synchronize()
    }
}

/// Verdicts from the real observation timeline on the host kernel (no bonds): the instant an
/// assertion records is the timestamp of the netlink event that decided it.
@Suite(.serialized, .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct TimelineRunTests {
    let logger = Logger(label: "test.timeline")
    static let topology = """
        topology:
          switches: [sw1]
          hosts:
            h1: {cables: {eth0: sw1}}
            h2: {cables: {eth0: sw1}}
        """

    func run(_ steps: String, pullAfter delay: Duration) async throws -> (PlaybookRecord, MonotonicInstant?) {
        let yaml = "name: timeline\n" + Self.topology + "\nsteps:\n" + steps
        let playbook = try PlaybookLoader.load(yaml: yaml, file: "timeline.yaml").playbook
        let names = RunNames.random()
        let pull = RunPlanCompiler.operations(
            for: .pull(InterfaceRef(host: "h1", interface: "eth0")), in: playbook.topology, names: names)
        let backend = DelayedFaultBackend(NamespaceBackend(logger: logger), fault: pull, delay: delay)
        let record = await PlaybookRunner(backend: backend, clock: LinuxMonotonicClock(), logger: logger).run(
            playbook, names: names)
        return (record, try await backend.faultSent())
    }

    /// Times of h1/eth0 records whose state says carrier `up`, after `after`.
    func carrierRecords(_ record: PlaybookRecord, up: Bool, after: MonotonicInstant) -> [MonotonicInstant] {
        record.observations.filter {
            $0.host == "h1" && $0.interface == "eth0" && $0.state?.carrier == up && $0.time > after
        }.map(\.time)
    }

    @Test(
        "not_before/within pass on a carrier lost mid-step; pull then carrier down within 300ms",
        .timeLimit(.minutes(2)))
    func lowerAndUpperBound() async throws {
        let (record, sent) = try await run(
            """
              - expect: {carrier: {interface: h1/eth0, is: down, not_before: 100ms, within: 1s}}
              - plug: h1/eth0
              - expect: {carrier: {interface: h1/eth0, is: up, within: 300ms}}
              - expect: {carrier: {interface: h1/eth0, is: up, throughout: 300ms}}
              - pull: h1/eth0
              - expect: {carrier: {interface: h1/eth0, is: down, within: 300ms}}

            """, pullAfter: .milliseconds(250))
        #expect(
            record.verdict == .passed,
            "\(record.message ?? "") \(record.assertions.map { "\($0.actual) \($0.message ?? "")" })")
        let sentAt = try #require(sent)
        #expect(record.observations.contains { $0.kind == "baseline" && $0.host == "h1" && $0.interface == "eth0" })
        let bounded = try #require(record.assertions.first)
        let at = try #require(bounded.satisfiedAt)
        // The instant is the first logged carrier-down of h1/eth0, after the delayed pull was sent.
        #expect(carrierRecords(record, up: false, after: bounded.started).first == at)
        #expect(at >= sentAt)
        let elapsed = at.duration(since: bounded.started)
        #expect(elapsed >= .milliseconds(250) && elapsed <= .seconds(1), "\(elapsed)")
        // throughout: nothing changed on the timeline between its start and its end.
        let window = record.assertions[2]
        #expect(window.satisfiedAt == nil)
        #expect(window.ended >= window.started.advanced(by: .milliseconds(300)))
        #expect(
            carrierRecords(record, up: false, after: window.started).allSatisfy {
                $0 > window.started.advanced(by: .milliseconds(300))
            })
        // After the pull: down within 300 ms, at the logged instant of the carrier loss, or at
        // the step's start when that was logged before the step began.
        let last = try #require(record.assertions.last)
        let downAt = try #require(last.satisfiedAt)
        let pull = record.steps[4]
        #expect(pull.text == "pull h1/eth0")
        let lost = try #require(carrierRecords(record, up: false, after: pull.started).first)
        // A carrier-down record already in the log when the step's first barrier completed counts
        // as at the start (the kernel emitted it before the pull's acknowledgement; only its
        // receipt was stamped a little later): then the instant is the step's start.
        let settledAtStart = downAt == last.started && lost.duration(since: last.started) < .milliseconds(5)
        #expect(downAt == max(lost, last.started) || settledAtStart, "\(downAt) \(lost) \(last.started)")
        #expect(downAt.duration(since: last.started) <= .milliseconds(300))
    }

    @Test(
        "throughout broken and a deadline missed by a carrier lost mid-step: both fail at logged instants",
        .timeLimit(.minutes(2)))
    func brokenWindow() async throws {
        let (record, sent) = try await run(
            """
              - expect:
                  - carrier: {interface: h1/eth0, is: up, throughout: 1s}
                  - carrier: {interface: h1/eth0, is: down, within: 100ms}
              - plug: h1/eth0

            """, pullAfter: .milliseconds(250))
        #expect(record.verdict == .failed, "\(record.message ?? "")")
        #expect(record.assertions.map(\.verdict) == [.failed, .failed])
        let sentAt = try #require(sent)
        let window = record.assertions[0]
        let broken = try #require(window.satisfiedAt)
        #expect(carrierRecords(record, up: false, after: window.started).first == broken)
        #expect(broken >= sentAt)
        let elapsed = broken.duration(since: window.started)
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(1), "\(elapsed)")
        #expect(window.actual == "down")
        #expect(window.message == "broken after \(formatted(elapsed)); must hold for 1000ms")
        // The deadline member became true after its deadline, at the same logged instant.
        let late = record.assertions[1]
        #expect(late.actual == "up")
        #expect(late.satisfiedAt == broken)
        #expect(late.message == "became down after \(formatted(elapsed)); deadline 100ms")
        #expect(record.steps.map(\.verdict) == [.failed, .skipped])
    }

    @Test("barrier: returns only once every event queued before it was handled; fails once stopped")
    func barrier() async throws {
        let names = RunNames.random()
        let namespace = names.namespace("a")
        let fd = try NetworkNamespace.create(namespace)
        defer {
            close(fd)
            _ = try? NetworkNamespace.delete(namespace)
        }
        let socket = try RouteSocket(namespace: namespace, namespaceFD: fd)
        defer { socket.close() }
        try socket.perform(
            LinkRequest.createVeth(name: "m0", peerName: "m1", peerNamespaceFD: nil), operation: "veth", object: "m0")
        let handled = Mutex<[Bool]>([])
        let gate = DispatchSemaphore(value: 0)
        let blockFirst = Mutex(true)
        let monitor = try LinkMonitor(
            namespace: namespace, namespaceFD: fd,
            handler: { event in
                if case .link(let link, _, _) = event, link.name == "m0" {
                    handled.withLock { $0.append(link.isAdminUp) }
                }
                if blockFirst.withLock({ value in
                    defer { value = false }
                    return value
                }) {
                    gate.wait()
                }
            })
        defer { monitor.stop() }
        try socket.setAdminState("m0", up: true)  // the handler blocks on the first event
        try socket.setAdminState("m0", up: false)  // queued behind it
        let done = Mutex(false)
        let barrier = Task {
            try await monitor.synchronize()
            done.withLock { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!done.withLock { $0 }, "the barrier passed events still queued")
        gate.signal()
        try await barrier.value
        #expect(handled.withLock { $0.last } == false, "\(handled.withLock { $0 })")
        monitor.stop()
        await #expect(throws: (any Error).self) { try await monitor.synchronize() }
    }

    func formatted(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        if ms == ms.rounded() { return "\(Int(ms))ms" }
        return "\((ms * 10).rounded() / 10)ms"
    }
}
