import FailoverCore
import FailoverFamilies
import FailoverModel
import Testing

@testable import FailoverPlaybook

/// The `neighbour` assertion: decoding, references on the model, and the evaluator on a scripted table.
@Suite("Neighbour family")
struct NeighbourFamilyTests {
    func diagnostics(_ step: String) -> [String] { FamilyRegistryTests().diagnostics(step) }

    static let serverMAC = MACAddress("02:00:00:00:0a:01")
    static let otherMAC = MACAddress("02:00:00:00:0a:02")

    @Test("decodes host, ip, mac (literal, same_as, permanent_of) and state (one or a list)")
    func decoding() throws {
        let playbook = try FamilyRegistryTests().load(
            "expect: {neighbour: {host: client, ip: 198.18.0.1, mac: {same_as: server/bond0}, state: [reachable, stale], within: 1s}}"
        )
        guard case .expect(let members) = try #require(playbook.steps.last).action,
            case .neighbour(let host, let ip, let expected) = try #require(members.first).assertion
        else {
            Issue.record("not a neighbour expectation")
            return
        }
        #expect(host == "client" && ip == IPAddress("198.18.0.1"))
        #expect(expected.mac == .sameAs(InterfaceRef(host: "server", interface: "bond0")))
        #expect(expected.states == [.reachable, .stale])
        #expect(members.first?.wait == .within(.seconds(1)))
        let single = try FamilyRegistryTests().load("expect: {neighbour: {host: client, ip: 2001:2::1, state: stale}}")
        guard case .expect(let others) = try #require(single.steps.last).action,
            case .neighbour(_, let v6, let loose) = try #require(others.first).assertion
        else {
            Issue.record("not a neighbour expectation")
            return
        }
        #expect(v6.family == .ipv6 && loose.mac == nil && loose.states == [.stale])
    }

    @Test("bad input: unknown host, bad state, bad MAC form, missing ip, a window key — each at its place")
    func badInput() {
        #expect(
            diagnostics("expect: {neighbour: {host: nobody, ip: 198.18.0.1}}") == [
                "t.yaml:17:32: error: steps[1].expect.neighbour.host: no host nobody; hosts: client, server"
            ])
        #expect(
            diagnostics("expect: {neighbour: {host: client, ip: 198.18.0.1, state: gone}}") == [
                "t.yaml:17:63: error: steps[1].expect.neighbour.state: unknown neighbour state 'gone'; states: "
                    + "incomplete, reachable, stale, delay, probe, failed, noarp, permanent, none"
            ])
        #expect(
            diagnostics(
                "expect: {neighbour: {host: client, ip: 198.18.0.1, mac: {same_as: server/eth0, permanent_of: server/eth1}}}"
            )
                == [
                    "t.yaml:17:61: error: steps[1].expect.neighbour.mac: a MAC, or exactly one of 'same_as', 'permanent_of'"
                ])
        #expect(
            diagnostics("expect: {neighbour: {host: client}}") == [
                "t.yaml:17:25: error: steps[1].expect.neighbour: neighbour needs 'ip'"
            ])
        #expect(
            diagnostics("expect: {neighbour: {host: client, ip: 198.18.0.1, mac: {same_as: server/eth9}}}") == [
                "t.yaml:17:61: error: steps[1].expect.neighbour.mac: no interface server/eth9; "
                    + "interfaces of server: eth0, eth1, bond0"
            ])
        let throughout = diagnostics("expect: {neighbour: {host: client, ip: 198.18.0.1, throughout: 1s}}")
        #expect(
            throughout == [
                "t.yaml:17:56: error: unknown key 'throughout' in assertion neighbour; valid keys: host, ip, mac, state, within",
                "t.yaml:17:68: error: steps[1].expect.neighbour.throughout: not allowed on neighbour: read from the "
                    + "kernel's neighbour table, polled until within",
            ], "\(throughout)")
    }

    static func check(
        _ expected: NeighbourExpectation, table: [Neighbour]?, ip: String = "198.18.0.1"
    ) async throws -> Check {
        let sources = AssertionSources(
            state: { ref in
                InterfaceState(
                    exists: true, adminUp: true, carrier: true, mac: ref.interface == "eth0" ? serverMAC : otherMAC)
            },
            neighbours: table.map { entries in { _ in entries } })
        let assertion = Assertion.neighbour(host: "client", ip: try #require(IPAddress(ip)), expected: expected)
        return try await NeighbourFamily().check(assertion, sources: sources)
    }

    static func entry(_ mac: MACAddress?, _ state: NeighbourState) -> Neighbour {
        Neighbour(interface: "eth0", ip: IPAddress("198.18.0.1")!, mac: mac, state: state)
    }

    @Test("the evaluator: MAC and state both ways; no entry fails; no table is errored")
    func evaluator() async throws {
        let sameAs = MACExpectation.sameAs(InterfaceRef(host: "server", interface: "eth0"))
        let reachable = [Self.entry(Self.serverMAC, .reachable)]
        let ok = try await Self.check(NeighbourExpectation(mac: sameAs, states: []), table: reachable)
        #expect(ok.holds && ok.error == nil && ok.actual == "198.18.0.1 dev eth0 lladdr 02:00:00:00:0a:01 REACHABLE")
        let wrongMAC = try await Self.check(
            NeighbourExpectation(mac: .literal(Self.otherMAC!), states: []), table: reachable)
        #expect(!wrongMAC.holds && wrongMAC.error == nil)
        #expect(wrongMAC.actual.hasSuffix("(wanted lladdr 02:00:00:00:0a:02)"), "\(wrongMAC.actual)")
        let wrongState = try await Self.check(NeighbourExpectation(mac: sameAs, states: [.stale]), table: reachable)
        #expect(!wrongState.holds)
        let listed = try await Self.check(
            NeighbourExpectation(mac: sameAs, states: [.stale, .reachable]), table: reachable)
        #expect(listed.holds)
        // No state given: any state holding an address; incomplete and failed do not.
        let incomplete = try await Self.check(
            NeighbourExpectation(mac: nil, states: []), table: [Self.entry(nil, .incomplete)])
        #expect(!incomplete.holds)
        let stale = try await Self.check(
            NeighbourExpectation(mac: nil, states: []), table: [Self.entry(Self.serverMAC, .stale)])
        #expect(stale.holds)
        let none = try await Self.check(NeighbourExpectation(mac: nil, states: []), table: reachable, ip: "198.18.0.9")
        #expect(!none.holds && none.error == nil && none.actual == "no entry")
        let unreadable = try await Self.check(NeighbourExpectation(mac: nil, states: []), table: nil)
        #expect(!unreadable.holds && unreadable.error != nil)
    }

    @Test(
        "fdb: learned on the expected port passes; elsewhere fails naming the port; not learned fails; no reader errors"
    )
    func forwarding() async throws {
        let topology = try FamilyRegistryTests().load("hold: 1s").topology
        let portNames = RunNames.switchPortNames(topology)
        let eth1Port = try #require(portNames[InterfaceRef(host: "server", interface: "eth1")])
        let eth0Port = try #require(portNames[InterfaceRef(host: "server", interface: "eth0")])
        func check(_ table: [ForwardingEntry]?, mac: MACExpectation = .literal(Self.serverMAC!)) async throws -> Check {
            let sources = AssertionSources(
                state: { _ in InterfaceState(exists: true, adminUp: true, carrier: true, mac: Self.serverMAC) },
                topology: topology, forwarding: table.map { entries in { _ in entries } })
            return try await NeighbourFamily().check(
                .fdb(switch: "sw1", mac: mac, port: InterfaceRef(host: "server", interface: "eth1")), sources: sources)
        }
        let onEth1 = try await check([ForwardingEntry(port: eth1Port, mac: Self.serverMAC!)])
        #expect(onEth1.holds && onEth1.actual == "02:00:00:00:0a:01 on \(eth1Port)")
        let sameAs = try await check(
            [ForwardingEntry(port: eth1Port, mac: Self.serverMAC!)],
            mac: .sameAs(InterfaceRef(host: "server", interface: "bond0")))
        #expect(sameAs.holds)
        let onEth0 = try await check([ForwardingEntry(port: eth0Port, mac: Self.serverMAC!)])
        #expect(!onEth0.holds && onEth0.error == nil)
        #expect(onEth0.actual == "02:00:00:00:0a:01 on \(eth0Port) (wanted on \(eth1Port))")
        let other = try await check([ForwardingEntry(port: eth1Port, mac: Self.otherMAC!)])
        #expect(!other.holds && other.actual == "02:00:00:00:0a:01 not learned")
        let unreadable = try await check(nil)
        #expect(!unreadable.holds && unreadable.error != nil)
    }

    @Test("fdb references: the switch exists, the port is a cable end to that switch")
    func forwardingReferences() {
        #expect(
            diagnostics("expect: {fdb: {switch: sw9, mac: 02:00:00:00:0a:01, port: server/eth1}}").first?.contains(
                "no switch") == true)
        #expect(
            diagnostics("expect: {fdb: {switch: sw1, mac: 02:00:00:00:0a:01, port: server/bond0}}").count == 1)
        #expect(diagnostics("expect: {fdb: {switch: sw1, mac: 02:00:00:00:0a:01, port: server/eth1}}") == [])
    }
}
