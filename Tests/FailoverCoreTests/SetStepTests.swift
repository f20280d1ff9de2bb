import FailoverCore
import FailoverFamilies
import FailoverModel
import Logging
import Testing

/// `set` steps: expected refusals (`expect_error`), the read-back of accepted changes, the
/// `option` assertion, and how a refused `set` without an expectation is reported.
@Suite("PlaybookRunner set steps")
struct SetStepTests {
    let clock = SimulatedClock()
    let bond = InterfaceRef("server/bond0")!
    let eth0 = InterfaceRef("server/eth0")!

    func runner(_ backend: ScriptedBackend) -> PlaybookRunner {
        PlaybookRunner(backend: backend, clock: clock, logger: Logger(label: "test"))
    }

    static func refusal(_ errno: Int32, _ text: String, kernel: String? = nil, likely: String? = nil)
        -> KernelRefusal
    {
        KernelRefusal(
            request: "updelay on fo-server/bond0", errno: errno, errnoText: text, kernelMessage: kernel,
            likelyReason: likely)
    }

    static func bond(options: [String: String]) -> InterfaceState {
        var state = bondState(active: "eth0")
        state.bond?.options = options
        return state
    }

    @Test("expect_error: refused with the expected errno passes, and the run goes on")
    func expectedRefusalPasses() async throws {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", Self.bond(options: ["updelay": "0"]))
        let set = StepAction.set(bond: bond, option: "updelay", value: "200", expectError: "EPERM")
        backend.refuse(
            set, with: Self.refusal(1, "Operation not permitted", likely: "MII monitoring is disabled (miimon 0)"))
        let playbook = seedPlaybook(steps: [set, .pull(eth0)], miimon: 0)
        let record = await runner(backend).run(playbook, names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .passed)
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .passed)
        #expect(assertion.stepIndex == 0)
        #expect(assertion.expected == "EPERM")
        #expect(assertion.actual.hasPrefix("EPERM (Operation not permitted, errno 1)"))
        #expect(assertion.actual.contains("MII monitoring is disabled"))
        #expect(record.steps.map(\.verdict) == [.passed, .passed])
        #expect(backend.performed == [set, .pull(eth0)])
        #expect(record.message == nil)
    }

    @Test("expect_error: an alias names the same errno (ENOTSUP is EOPNOTSUPP)")
    func aliasMatches() async throws {
        let backend = ScriptedBackend(clock: clock)
        let set = StepAction.set(bond: bond, option: "updelay", value: "200", expectError: "ENOTSUP")
        backend.refuse(set, with: Self.refusal(95, "Operation not supported"))
        let record = await runner(backend).run(seedPlaybook(steps: [set]), names: RunNames(runID: "abcdef"))
        #expect(record.assertions.map(\.verdict) == [.passed])
        #expect(record.assertions.first?.actual.hasPrefix("EOPNOTSUPP") == true)
    }

    @Test("expect_error: the kernel accepting the change fails the step, says so, and the run goes on")
    func acceptedFails() async throws {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", Self.bond(options: ["updelay": "0"]))
        let set = StepAction.set(bond: bond, option: "updelay", value: "250", expectError: "EPERM")
        backend.onPerform(set) { $0[InterfaceRef("server/bond0")!]?.bond?.options["updelay"] = "200" }
        let playbook = seedPlaybook(steps: [set, .pull(eth0)])
        let record = await runner(backend).run(playbook, names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .failed)
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .failed)
        #expect(assertion.actual == "accepted by the kernel (updelay reads back 200)")
        #expect(record.steps.map(\.verdict) == [.failed, .passed])
        #expect(record.steps[0].readBack == "200")
        #expect(backend.performed == [set, .pull(eth0)])
    }

    @Test("expect_error: another errno fails, naming it with the kernel's text")
    func otherErrnoFails() async throws {
        let backend = ScriptedBackend(clock: clock)
        let set = StepAction.set(bond: bond, option: "updelay", value: "200", expectError: "EPERM")
        backend.refuse(set, with: Self.refusal(22, "Invalid argument", kernel: "invalid option value"))
        let playbook = seedPlaybook(steps: [set, .pull(eth0)])
        let record = await runner(backend).run(playbook, names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .failed)
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .failed)
        #expect(
            assertion.actual
                == "refused with EINVAL (Invalid argument, errno 22); the kernel says \"invalid option value\"")
        #expect(record.steps.map(\.verdict) == [.failed, .passed])
        #expect(backend.performed == [set, .pull(eth0)])
    }

    @Test("a refused set without expect_error errors the run and names the step once")
    func refusedWithoutExpectation() async throws {
        let backend = ScriptedBackend(clock: clock)
        let set = StepAction.set(bond: bond, option: "active_slave", value: "eth1")
        backend.refuse(
            set,
            with: KernelRefusal(
                request: "active_slave on fo-server/bond0", errno: 22, errnoText: "Invalid argument",
                kernelMessage: nil, likelyReason: "link down: eth1's MII status is down"))
        let playbook = seedPlaybook(steps: [set, .pull(eth0)])
        let record = await runner(backend).run(playbook, names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .errored)
        #expect(record.assertions.isEmpty)
        #expect(record.steps.map(\.verdict) == [.errored, .skipped])
        let message = try #require(record.steps[0].message)
        #expect(
            message
                == "the kernel refused active_slave on fo-server/bond0: EINVAL (Invalid argument, errno 22); "
                + "likely: link down: eth1's MII status is down")
        #expect(!message.contains(set.description))
        #expect(record.message == "step 1 errored; the run stopped there")
        #expect(backend.performed == [set])
    }

    @Test("an accepted set records the value read back from the kernel")
    func readBack() async throws {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", Self.bond(options: ["updelay": "0"]))
        let set = StepAction.set(bond: bond, option: "updelay", value: "250")
        backend.onPerform(set) { $0[InterfaceRef("server/bond0")!]?.bond?.options["updelay"] = "200" }
        let record = await runner(backend).run(seedPlaybook(steps: [set]), names: RunNames(runID: "abcdef"))
        #expect(record.verdict == .passed)
        #expect(record.steps.first?.readBack == "200")
    }

    @Test("option: passes on the kernel's value, fails on another, errors when not reported")
    func optionAssertion() async throws {
        let state = Self.bond(options: ["updelay": "200", "primary": "none"])
        func check(_ assertion: Assertion) async throws -> Check {
            try await AssertionEvaluator.check(assertion) { _ in state }
        }
        let passes = try await check(.option(bond: bond, name: "updelay", expected: "200"))
        #expect(passes == Check(holds: true, actual: "200"))
        let fails = try await check(.option(bond: bond, name: "updelay", expected: "250"))
        #expect(fails == Check(holds: false, actual: "200"))
        let none = try await check(.option(bond: bond, name: "primary", expected: "eth0"))
        #expect(none == Check(holds: false, actual: "none"))
        let missing = try await check(.option(bond: bond, name: "downdelay", expected: "0"))
        #expect(!missing.holds)
        #expect(missing.error != nil)
        let slave = try await AssertionEvaluator.check(.option(bond: eth0, name: "updelay", expected: "0")) { _ in
            slaveState(mii: .up, failures: 0, perm: "02:00:00:00:00:0a")
        }
        #expect(slave.error == "server/eth0 is not a bond")
    }

    @Test("option within a deadline: waits for the kernel to report the value")
    func optionWaited() async throws {
        let backend = ScriptedBackend(clock: clock)
        backend.set("server/bond0", Self.bond(options: ["updelay": "0"]))
        backend.on(.pull(eth0), after: .milliseconds(30)) {
            $0[InterfaceRef("server/bond0")!]?.bond?.options["updelay"] = "200"
        }
        let playbook = seedPlaybook(steps: [
            .pull(eth0),
            .expect([
                Expectation(.option(bond: bond, name: "updelay", expected: "200"), wait: .within(.milliseconds(100)))
            ]),
            .expect([Expectation(.option(bond: bond, name: "updelay", expected: "0"))]),
        ])
        let record = await runner(backend).run(playbook, names: RunNames(runID: "abcdef"))
        #expect(record.assertions.map(\.verdict) == [.passed, .failed])
        #expect(record.assertions.last?.actual == "200")
    }
}
