import FailoverCore
import FailoverFamilies
import FailoverModel
import Logging
import Testing

@Suite("PlaybookRunner executes the run plan")
struct RunPlanRunnerTests {
    let clock = SimulatedClock()
    let bond = InterfaceRef("server/bond0")!
    let eth0 = InterfaceRef("server/eth0")!
    let names = RunNames(runID: "abcdef")

    func run(_ backend: ScriptedBackend, _ playbook: Playbook) async -> PlaybookRecord {
        await PlaybookRunner(backend: backend, clock: clock, logger: Logger(label: "test")).run(playbook, names: names)
    }

    @Test("each fault step performs the plan's operations for it; the record lists what was executed, in order")
    func executedIsPlanned() async throws {
        let backend = ScriptedBackend(clock: clock)
        let playbook = seedPlaybook(steps: [.pull(eth0), .hold(.milliseconds(10)), .plug(eth0)])
        let record = await run(backend, playbook)
        #expect(record.verdict == .passed)
        let plan = RunPlanCompiler.compile(playbook, names: names)
        #expect(record.operations == plan.operations.map(\.description))
        #expect(backend.performed == [.pull(eth0), .plug(eth0)])
        // pull: the far end of the cable goes down (the switch port), plug brings it back.
        let faults = try #require(record.operations).suffix(2)
        #expect(faults.first?.hasSuffix("link set server-eth0 down") == true, "\(faults)")
        #expect(faults.last?.hasSuffix("link set server-eth0 up") == true, "\(faults)")
    }

    @Test("a step that fails stops the run: later fault steps are not executed")
    func stopsAtFailure() async throws {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", bondState(active: "eth0"))
        let playbook = seedPlaybook(steps: [
            .pull(eth0),
            .expect([Expectation(.activeSlave(bond: bond, expected: "eth1"), wait: .immediate)]),
            .plug(eth0),
        ])
        let record = await run(backend, playbook)
        #expect(record.verdict == .failed)
        let plan = RunPlanCompiler.compile(playbook, names: names)
        #expect(
            record.operations == (plan.buildOperations + plan.steps[0].operations).map(\.description))
        #expect(record.operations?.count == plan.operations.count - 1)
    }
}
