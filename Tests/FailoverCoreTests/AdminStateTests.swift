import FailoverCore
import FailoverFamilies
import FailoverModel
import Logging
import Testing

/// `admin_state` (IFF_UP) is read on the observation timeline like `carrier`: every bound just
/// inside and just outside, and errored when the interface does not exist.
@Suite("admin_state assertion")
struct AdminStateTests {
    let clock = SimulatedClock()
    let eth0 = InterfaceRef("server/eth0")!

    /// `down eth0`, the kernel clears IFF_UP `delay` after it, then one expect with `expectation`.
    func run(_ expectation: FailoverModel.Expectation, downAfter delay: Duration) async throws -> (
        AssertionRecord, MonotonicInstant
    ) {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", bondState(active: "eth0"))
        backend.set("server/eth0", slaveState(mii: .up, failures: 0, perm: "02:00:00:00:00:0a"))
        backend.on(.down(eth0), after: delay) { map in
            map[InterfaceRef("server/eth0")!]?.adminUp = false
        }
        let origin = clock.now()
        let playbook = seedPlaybook(steps: [.down(eth0), .expect([expectation])])
        let record = await PlaybookRunner(backend: backend, clock: clock, logger: Logger(label: "test")).run(
            playbook, names: RunNames(runID: "abcdef"))
        return (try #require(record.assertions.first), origin)
    }

    func adminDown(_ wait: Wait, notBefore: Duration? = nil) -> FailoverModel.Expectation {
        FailoverModel.Expectation(.adminState(eth0, expected: false), wait: wait, notBefore: notBefore)
    }

    @Test("within: down 1 ms before the deadline passes at the instant of its record")
    func withinInside() async throws {
        let (assertion, origin) = try await run(adminDown(.within(.milliseconds(300))), downAfter: .milliseconds(299))
        #expect(assertion.verdict == .passed)
        #expect(assertion.actual == "down")
        #expect(assertion.satisfiedAt == origin.advanced(by: .milliseconds(299)))
        #expect(assertion.timing?.fromTimeline == true)
    }

    @Test("within: down 1 ms after the deadline fails, still up at the deadline")
    func withinOutside() async throws {
        let (assertion, origin) = try await run(adminDown(.within(.milliseconds(300))), downAfter: .milliseconds(301))
        #expect(assertion.verdict == .failed)
        #expect(assertion.actual == "up")
        #expect(assertion.ended == origin.advanced(by: .milliseconds(300)))
    }

    @Test("not_before: down 1 ms before the lower bound fails, 1 ms after passes")
    func notBefore() async throws {
        let early = try await run(
            adminDown(.within(.milliseconds(500)), notBefore: .milliseconds(100)), downAfter: .milliseconds(99))
        #expect(early.0.verdict == .failed)
        let late = try await run(
            adminDown(.within(.milliseconds(500)), notBefore: .milliseconds(100)), downAfter: .milliseconds(101))
        #expect(late.0.verdict == .passed)
    }

    @Test("throughout: up for the whole window passes; down 1 ms before its end fails")
    func throughout() async throws {
        let up = FailoverModel.Expectation(.adminState(eth0, expected: true), wait: .throughout(.milliseconds(200)))
        #expect(try await run(up, downAfter: .milliseconds(201)).0.verdict == .passed)
        #expect(try await run(up, downAfter: .milliseconds(199)).0.verdict == .failed)
    }

    @Test("never: down 1 ms after the window passes; down inside it fails")
    func never() async throws {
        #expect(
            try await run(adminDown(.never(.milliseconds(200))), downAfter: .milliseconds(201)).0.verdict == .passed)
        #expect(
            try await run(adminDown(.never(.milliseconds(200))), downAfter: .milliseconds(199)).0.verdict == .failed)
    }

    @Test("immediate: checked once at the step's start")
    func immediate() async throws {
        let up = FailoverModel.Expectation(.adminState(eth0, expected: true))
        #expect(try await run(up, downAfter: .milliseconds(1)).0.verdict == .passed)
        #expect(try await run(adminDown(.immediate), downAfter: .milliseconds(1)).0.verdict == .failed)
    }

    @Test("an interface that does not exist is errored, never passed nor failed")
    func missingInterfaceErrors() async throws {
        let timeline = Timeline([])
        let check = try await timeline.check(
            .adminState(InterfaceRef("h/eth9")!, expected: false), at: MonotonicInstant(nanoseconds: 0))
        #expect(check.holds == false)
        #expect(check.error == "h/eth9 does not exist")
        let up = ObservationRecord(
            time: MonotonicInstant(nanoseconds: 0), host: "h", interface: "eth0", kind: "baseline", detail: "",
            state: ObservedLinkState(adminUp: true, carrier: false))
        let present = try await Timeline([up]).check(
            .adminState(InterfaceRef("h/eth0")!, expected: true), at: MonotonicInstant(nanoseconds: 0))
        #expect(present == Check(holds: true, actual: "up"))
    }
}
