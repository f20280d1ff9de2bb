import FailoverCore
import FailoverFamilies
import FailoverModel
import Logging
import Synchronization
import Testing

/// A `PacketCaptures` that records what the runner asked of it, and whether the backend had built
/// (start) or torn down (finish) at that moment.
final class RecordingCaptures: PacketCaptures {
    struct State {
        var events: [String] = []
        var marks: [(text: String, at: MonotonicInstant)] = []
        var evaluated: [(stepStarted: MonotonicInstant, now: MonotonicInstant)] = []
    }
    let state = Mutex(State())
    let backend: ScriptedBackend
    let records: [CaptureRecord]

    init(
        backend: ScriptedBackend, records: [CaptureRecord],
        settlesAt: MonotonicInstant = MonotonicInstant(nanoseconds: .max)
    ) {
        self.settlesAt = settlesAt
        self.backend = backend
        self.records = records
    }

    var events: [String] { state.withLock { $0.events } }

    func start(_ captures: [CaptureSpec]) async throws {
        let built = backend.state.withLock { $0.plan != nil }
        state.withLock { $0.events.append("start \(captures.map(\.name)) built=\(built)") }
    }

    func mark(_ text: String, at instant: MonotonicInstant) async {
        state.withLock {
            $0.events.append("mark")
            $0.marks.append((text, instant))
        }
    }

    /// What `evaluate` answers (by default: holds once `now` passed `settlesAt`).
    let settlesAt: MonotonicInstant

    func evaluate(
        _ assertion: Assertion, faults: [FaultMark], stepStarted: MonotonicInstant, now: MonotonicInstant,
        sourceMAC: MACAddress?
    ) async throws -> ProbeEvaluation {
        state.withLock {
            $0.events.append(
                "evaluate \(assertion.key) faults=\(faults.map(\.stepIndex)) mac=\(sourceMAC.map { "\($0)" } ?? "-")")
            $0.evaluated.append((stepStarted, now))
        }
        return ProbeEvaluation(holds: now >= settlesAt, actual: now >= settlesAt ? "settled" : "open")
    }

    func finish() async -> (records: [CaptureRecord], problems: [String]) {
        let tornDown = backend.tornDown
        state.withLock { $0.events.append("finish tornDown=\(tornDown)") }
        return (records, [])
    }
}

@Suite("PlaybookRunner captures")
struct CaptureRunnerTests {
    let clock = SimulatedClock()
    let eth0 = InterfaceRef("server/eth0")!
    static let record = CaptureRecord(
        name: "srv", label: "sw1:server-eth0", filter: "arp", received: 3, droppedByKernel: 0, droppedByInterface: 0,
        frames: 3, clockErrorNanoseconds: 800, file: "captures/t.pcapng")

    func playbook(captures: [CaptureSpec]) -> Playbook {
        var playbook = seedPlaybook(steps: [.hold(.milliseconds(10)), .pull(eth0), .plug(eth0)])
        playbook.captures = captures
        return playbook
    }

    let spec = CaptureSpec(name: "srv", target: .port(switch: "sw1", facing: InterfaceRef("server/eth0")!))

    @Test(
        "started after build and before the first step, a mark per fault step at its instant, finished before teardown")
    func lifecycle() async throws {
        let backend = ScriptedBackend(clock: clock)
        let captures = RecordingCaptures(backend: backend, records: [Self.record])
        let runner = PlaybookRunner(
            backend: backend, clock: clock, logger: Logger(label: "t"), families: StandardFamilies.evaluators,
            captures: captures)
        let record = await runner.run(playbook(captures: [spec]), names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .passed)
        #expect(captures.events == ["start [\"srv\"] built=true", "mark", "mark", "finish tornDown=0"])
        let marks = captures.state.withLock { $0.marks }
        #expect(marks.map(\.text) == ["step 2: pull server/eth0", "step 3: plug server/eth0"])
        #expect(marks.map(\.at) == [record.steps[1].started, record.steps[2].started])
        #expect(record.captures == [Self.record])
        #expect(backend.tornDown == 1)
    }

    @Test("no captures declared: the engine is not used and the record has none")
    func none() async {
        let backend = ScriptedBackend(clock: clock)
        let captures = RecordingCaptures(backend: backend, records: [Self.record])
        let runner = PlaybookRunner(
            backend: backend, clock: clock, logger: Logger(label: "t"), families: StandardFamilies.evaluators,
            captures: captures)
        let record = await runner.run(playbook(captures: []), names: RunNames(runID: "abcdef"))
        #expect(captures.events.isEmpty)
        #expect(record.captures == nil)
    }

    @Test("captures declared but no engine: errored, nothing stepped, torn down")
    func noEngine() async {
        let backend = ScriptedBackend(clock: clock)
        let record = await PlaybookRunner(backend: backend, clock: clock, logger: Logger(label: "t")).run(
            playbook(captures: [spec]), names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .errored)
        #expect(record.message?.contains("no capture engine") == true)
        #expect(backend.performed.isEmpty)
        #expect(backend.tornDown == 1)
    }
}
