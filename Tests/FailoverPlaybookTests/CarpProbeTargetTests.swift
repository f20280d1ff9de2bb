import FailoverModel
import Foundation
import Testing

@testable import FailoverPlaybook

/// A probe addressed to a CARP group's VIP: `to: {carp: G}`.
@Suite("Probe to a CARP VIP (decoding)")
struct CarpProbeTargetTests {
    static func yaml(probe: String) -> String {
        CarpTopologyTests.yaml(CarpTopologyTests.group()).replacingOccurrences(
            of: "steps:\n", with: "probes:\n  - \(probe)\nsteps:\n")
    }

    @Test("to: {carp: outside} decodes to the group, forward; the plan names the VIP and the members")
    func decodes() throws {
        let playbook = try CarpTopologyTests.load(Self.yaml(probe: "{name: v, from: client, to: {carp: outside}}"))
        let probe = try #require(playbook.probes.first)
        #expect(probe.toGroup == "outside")
        #expect(probe.to == "outside")
        #expect(probe.from == "client")
        #expect(probe.direction == .forward)
        // An ordinary probe has no group.
        let plain = try CarpTopologyTests.load(Self.yaml(probe: "{name: p, from: client, to: r1}"))
        #expect(plain.probes.first?.toGroup == nil)
    }

    @Test(
        "errors at the value: an unknown group, another key, a member as the sender, reverse/both, to_address",
        arguments: [
            ("{name: v, from: client, to: {carp: inside}}", "probes[0].to.carp: no carp group inside; groups: outside"),
            ("{name: v, from: client, to: {vip: outside}}", "unknown key 'vip' in probe target"),
            ("{name: v, from: client, to: {}}", "probes[0].to: expected a host name or {carp: GROUP}"),
            (
                "{name: v, from: r1, to: {carp: outside}}",
                "probes[0].from: r1 is a member of carp group outside; the probe needs a client"
            ),
            (
                "{name: v, from: client, to: {carp: outside}, direction: both}",
                "probes[0].direction: a probe to a carp group's VIP is forward only (client → VIP)"
            ),
            (
                "{name: v, from: client, to: {carp: outside}, direction: reverse}",
                "probes[0].direction: a probe to a carp group's VIP is forward only (client → VIP)"
            ),
            (
                "{name: v, from: client, to: {carp: outside}, to_address: 198.18.0.1}",
                "probes[0].to_address: a probe to a carp group goes to its VIP; leave to_address out"
            ),
        ])
    func errors(probe: String, message: String) {
        let diagnostics = CarpTopologyTests.diagnostics(Self.yaml(probe: probe))
        #expect(diagnostics.contains { $0.hasPrefix("c.yaml:") && $0.contains(message) }, "\(diagnostics)")
        // forward (the default, or written) is accepted.
        #expect(
            CarpTopologyTests.diagnostics(
                Self.yaml(probe: "{name: v, from: client, to: {carp: outside}, direction: forward}")) == [])
    }
}
