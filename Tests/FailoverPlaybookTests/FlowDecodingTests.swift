import FailoverFamilies
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

    @Test("flow_loss decodes with scope last_fault by default, run on request")
    func lossDecoding() throws {
        let ref = InterfaceRef(host: "server", interface: "bond0")
        #expect(
            try assertion("expect: {flow_loss: {probe: p1, bond: server/bond0, member: eth0}}")
                == .flowLoss(probe: "p1", bond: ref, member: "eth0", scope: .lastFault))
        #expect(
            try assertion("expect: {flow_loss: {probe: p1, bond: server/bond0, member: eth1, scope: run}}")
                == .flowLoss(probe: "p1", bond: ref, member: "eth1", scope: .run))
    }

    /// Flows 40000 and 40002 left on eth0, 40001 and 40003 on eth1.
    static let members: [Int: [String]] = [40_000: ["eth0"], 40_001: ["eth1"], 40_002: ["eth0"], 40_003: ["eth1"]]

    static func loss(_ lost: [Int]) -> [FlowLoss] {
        lost.enumerated().map { FlowLoss(flow: $0.offset, sourcePort: 40_000 + $0.offset, lost: $0.element) }
    }

    @Test("flow_loss: the flows on the member lost ≥ 1, the others 0 passes; one packet either way fails")
    func lossDecision() {
        #expect(FlowFamily.decideLoss(Self.loss([12, 0, 1, 0]), members: Self.members, member: "eth0").0)
        // A flow on eth0 that lost nothing fails (the member did not blackhole it).
        let spared = FlowFamily.decideLoss(Self.loss([12, 0, 0, 0]), members: Self.members, member: "eth0")
        #expect(!spared.0)
        #expect(spared.1.contains("flow 40002 on eth0: lost 0  ✗"))
        // A flow on eth1 that lost one packet fails.
        let other = FlowFamily.decideLoss(Self.loss([12, 1, 3, 0]), members: Self.members, member: "eth0")
        #expect(!other.0)
        #expect(other.1.contains("flow 40001 on eth1: lost 1  ✗"))
        // A flow no capture saw cannot be judged innocent.
        var unseen = Self.members
        unseen[40_003] = nil
        #expect(!FlowFamily.decideLoss(Self.loss([12, 0, 1, 0]), members: unseen, member: "eth0").0)
    }
}
