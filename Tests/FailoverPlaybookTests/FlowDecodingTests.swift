import FailoverModel
import Testing

@testable import FailoverPlaybook

/// The flow family's keys: what they decode to, and bad input at its place.
@Suite("Flow assertions decode")
struct FlowDecodingTests {
    func assertion(_ step: String) throws -> Assertion? {
        let playbook = try FamilyRegistryTests().load(step)
        guard case .expect(let expectations) = try #require(playbook.steps.last).action else { return nil }
        return expectations.first?.assertion
    }

    @Test("flow_placement and distribution: usable, between in percent, after / last")
    func decoding() throws {
        let ref = InterfaceRef(host: "server", interface: "bond0")
        #expect(
            try assertion("expect: {flow_placement: {probe: p1, bond: server/bond0, usable: [eth1, eth0], after: 1s}}")
                == .flowPlacement(probe: "p1", bond: ref, usable: ["eth1", "eth0"], window: .after(.seconds(1))))
        #expect(
            try assertion(
                "expect: {distribution: {probe: p1, bond: server/bond0, member: eth0, between: [30%, 70.5%], last: 2s}}"
            )
                == .distribution(probe: "p1", bond: ref, member: "eth0", percent: 30...70.5, window: .last(.seconds(2)))
        )
    }

    @Test("bad input: between out of range or reversed, after with last, a member that is not a slave")
    func badInput() {
        let registry = FamilyRegistryTests()
        #expect(
            registry.diagnostics(
                "expect: {distribution: {probe: p1, bond: server/bond0, member: eth0, between: [30%, 101%]}}"
            )
            .contains { $0.contains("between: expected [low%, high%]") })
        #expect(
            registry.diagnostics(
                "expect: {distribution: {probe: p1, bond: server/bond0, member: eth0, between: [70%, 30%]}}"
            )
            .contains { $0.contains("between: expected [low%, high%]") })
        #expect(
            registry.diagnostics("expect: {flow_placement: {probe: p1, bond: server/bond0, after: 1s, last: 1s}}")
                .contains { $0.contains("give 'after' or 'last', not both") })
        #expect(
            registry.diagnostics(
                "expect: {distribution: {probe: p1, bond: server/bond0, member: eth7, between: [0%, 100%]}}"
            )
            .contains { $0.contains("eth7 is not a slave of server/bond0") })
        // The registry's bond is active-backup: a warning, not an error (the check would fail).
        #expect(registry.diagnostics("expect: {flow_placement: {probe: p1, bond: server/bond0}}").isEmpty)
    }
}
