import FailoverCore
import FailoverModel
import Foundation
import Synchronization
import Testing

@testable import FailoverFamilies
@testable import FailoverPlaybook

/// The LACP family: decoding and diagnostics of `lacp_aggregator` and `lacp_state`, their
/// checks against a kernel's LACP view (each condition just met and just missed), the errored
/// cases, and `within: auto` from the timers of bond_3ad.c.
@Suite("LACP family")
struct LacpFamilyTests {
    static func yaml(_ expect: String, serverMode: String = "802.3ad") -> String {
        """
        name: lacp
        topology:
          switches:
            - name: sw1
              lags: {po1: {ports: [server/eth0, server/eth1], lacp_rate: fast}}
          hosts:
            server:
              cables: {eth0: sw1, eth1: sw1}
              bonds:
                bond0: {mode: \(serverMode), miimon: 100, slaves: [eth0, eth1], address: 198.18.0.1/24}
            client:
              cables: {eth0: sw1}
              address: {eth0: 198.18.0.2/24}
        steps:
          - expect: \(expect)

        """
    }

    static func load(_ yaml: String) throws -> Playbook { try PlaybookLoader.load(yaml: yaml, file: "l.yaml").playbook }

    static func diagnostics(_ yaml: String) -> [String] {
        do {
            return try PlaybookLoader.load(yaml: yaml, file: "l.yaml").warnings.map(\.description)
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    static func assertion(_ expect: String) throws -> Assertion {
        let playbook = try load(yaml(expect))
        guard case .expect(let expectations) = try #require(playbook.steps.first).action,
            let first = expectations.first
        else { throw CocoaError(.coderInvalidValue) }
        return first.assertion
    }

    static let mac = MACAddress("02:00:00:00:00:aa")
    static let inSync: UInt16 = 0x3d  // activity, aggregation, synchronization, collecting, distributing
    static func status(ports: [(String, Int?, UInt16?)], aggregator: Int? = 1) -> LacpStatus {
        LacpStatus(
            aggregatorID: aggregator, actorKey: 15, partnerKey: 15, partnerMAC: mac,
            ports: ports.map { LacpStatus.Port(name: $0.0, aggregatorID: $0.1, actorState: $0.2, partnerState: $0.2) })
    }

    @Test("lacp_aggregator and lacp_state decode every key")
    func decodes() throws {
        let aggregator = try Self.assertion(
            "{lacp_aggregator: {bond: server/bond0, ports: [eth0, eth1], partner_system: \"02:00:00:00:00:aa\", partner_key: 15, id: 1, within: auto}}"
        )
        #expect(
            aggregator
                == .lacpAggregator(
                    bond: InterfaceRef(host: "server", interface: "bond0"),
                    expected: LacpAggregatorExpectation(
                        ports: ["eth0", "eth1"], partnerSystem: Self.mac, partnerKey: 15, id: 1)))
        #expect(aggregator.family == .lacp)
        let state = try Self.assertion(
            "{lacp_state: {interface: sw1/server-eth0, in_aggregator: false, actor: {distributing: false, defaulted: true}, partner: {timeout: true}, within: 2s}}"
        )
        #expect(
            state
                == .lacpState(
                    InterfaceRef(host: "sw1", interface: "server-eth0"),
                    expected: LacpPortExpectation(
                        actor: LacpBits([.distributing: false, .defaulted: true]), partner: LacpBits([.timeout: true]),
                        inAggregator: false)))
        #expect(state.expectedText == "not in the active aggregator, actor !distributing,defaulted, partner timeout")
        #expect(
            LacpPortExpectation(actor: LacpBits([.distributing: false, .defaulted: true])).description
                == "actor !distributing,defaulted")
    }

    @Test(
        "bad LACP assertions are refused at their line and column",
        arguments: [
            (
                "{lacp_state: {interface: server/eth0, actor: {synced: true}}}",
                "l.yaml:15:59: error: unknown key 'synced' in LACP state bits; valid keys: activity, timeout, aggregation, synchronization, collecting, distributing, defaulted, expired"
            ),
            (
                "{lacp_state: {interface: server/eth0}}",
                "l.yaml:15:27: error: steps[0].expect.lacp_state: give at least one of in_aggregator, actor, partner"
            ),
            (
                "{lacp_aggregator: {bond: server/bond0, within: 1s}}",
                "l.yaml:15:32: error: steps[0].expect.lacp_aggregator: give at least one of ports, partner_system, partner_key, id"
            ),
            (
                "{lacp_aggregator: {bond: server/bond9, ports: [eth0]}}",
                "l.yaml:15:38: error: steps[0].expect.lacp_aggregator.bond: no bond or switch LAG server/bond9"
            ),
            (
                "{lacp_aggregator: {bond: server/bond0, ports: [eth0, eth7]}}",
                "l.yaml:15:59: error: steps[0].expect.lacp_aggregator.ports: eth7 is not a slave of server/bond0; slaves: eth0, eth1"
            ),
            (
                "{lacp_state: {interface: client/eth0, in_aggregator: true}}",
                "l.yaml:15:38: error: steps[0].expect.lacp_state.interface: client/eth0 is not a slave of a bond nor a port of a switch LAG"
            ),
            (
                "{lacp_state: {interface: server/eth0, in_aggregator: true, throughout: 1s}}",
                "l.yaml:15:84: error: steps[0].expect.lacp_state.throughout: not allowed on lacp_state: read from the kernel (netlink, cross-checked with /proc/net/bonding), polled until within"
            ),
        ])
    func refused(expect: String, message: String) {
        let found = Self.diagnostics(Self.yaml(expect))
        #expect(found.contains(message), "\(found)")
    }

    @Test("an LACP assertion on a bond that is not 802.3ad loads with a warning (its check is errored)")
    func notLACP() {
        let found = Self.diagnostics(
            Self.yaml("{lacp_state: {interface: server/eth0, in_aggregator: true}}", serverMode: "active-backup"))
        #expect(
            found == [
                "l.yaml:15:38: warning: steps[0].expect.lacp_state.interface: server/bond0 is active-backup, not 802.3ad: the check will be errored"
            ])
        #expect(Self.diagnostics(Self.yaml("{lacp_state: {interface: sw1/server-eth1, in_aggregator: true}}")).isEmpty)
    }

    @Test("the aggregator: exactly these ports, this partner system, key and id; none active fails")
    func aggregator() {
        let both = Self.status(ports: [("eth0", 1, Self.inSync), ("eth1", 1, Self.inSync)])
        let oneLeft = Self.status(ports: [("eth0", 2, 0x47), ("eth1", 1, Self.inSync)])
        func holds(_ expected: LacpAggregatorExpectation, _ status: LacpStatus) -> Bool {
            LacpFamily.evaluate(expected, status).holds
        }
        #expect(holds(LacpAggregatorExpectation(ports: ["eth1", "eth0"]), both))
        #expect(!holds(LacpAggregatorExpectation(ports: ["eth0"]), both))  // one more than expected
        #expect(!holds(LacpAggregatorExpectation(ports: ["eth0", "eth1"]), oneLeft))  // one less
        #expect(holds(LacpAggregatorExpectation(ports: ["eth1"]), oneLeft))
        #expect(holds(LacpAggregatorExpectation(partnerSystem: Self.mac), both))
        #expect(!holds(LacpAggregatorExpectation(partnerSystem: MACAddress("02:00:00:00:00:ab")), both))
        #expect(holds(LacpAggregatorExpectation(partnerKey: 15), both))
        #expect(!holds(LacpAggregatorExpectation(partnerKey: 16), both))
        #expect(holds(LacpAggregatorExpectation(id: 1), both))
        #expect(!holds(LacpAggregatorExpectation(id: 2), both))
        let none = Self.status(ports: [("eth0", nil, nil)], aggregator: nil)
        let check = LacpFamily.evaluate(LacpAggregatorExpectation(ports: []), none)
        #expect(!check.holds && check.error == nil && check.actual == "no active aggregator")
        #expect(
            LacpFamily.evaluate(LacpAggregatorExpectation(ports: ["eth1"]), oneLeft).actual
                == "aggregator 1 (ports eth1, partner system 02:00:00:00:00:aa, partner key 15, actor key 15)")
    }

    @Test("a port: in or out of the active aggregator, each required bit set or clear; an unknown port is errored")
    func port() {
        let status = Self.status(ports: [("eth0", 2, 0x47), ("eth1", 1, Self.inSync)])
        func holds(_ expected: LacpPortExpectation, _ port: String) -> Bool {
            LacpFamily.evaluate(expected, port: port, status).holds
        }
        #expect(holds(LacpPortExpectation(inAggregator: true), "eth1"))
        #expect(!holds(LacpPortExpectation(inAggregator: true), "eth0"))
        #expect(holds(LacpPortExpectation(inAggregator: false), "eth0"))
        #expect(!holds(LacpPortExpectation(inAggregator: false), "eth1"))
        for bit in LacpStateBit.allCases {
            let set = Self.inSync & bit.mask != 0
            #expect(holds(LacpPortExpectation(actor: LacpBits([bit: set])), "eth1"), "\(bit)")
            #expect(!holds(LacpPortExpectation(actor: LacpBits([bit: !set])), "eth1"), "\(bit)")
            #expect(holds(LacpPortExpectation(partner: LacpBits([bit: set])), "eth1"), "\(bit)")
            #expect(!holds(LacpPortExpectation(partner: LacpBits([bit: !set])), "eth1"), "\(bit)")
        }
        #expect(holds(LacpPortExpectation(actor: LacpBits([.defaulted: true, .distributing: false])), "eth0"))
        #expect(
            LacpFamily.evaluate(LacpPortExpectation(inAggregator: false), port: "eth0", status).actual
                == "eth0 not in the active aggregator (port's aggregator 2, active 1), actor activity,timeout,aggregation,defaulted, partner activity,timeout,aggregation,defaulted"
        )
        let missing = LacpFamily.evaluate(LacpPortExpectation(inAggregator: true), port: "eth9", status)
        #expect(!missing.holds && missing.error == "eth9 is not a slave of the bond (slaves: eth0, eth1)")
        // No state reported (no aggregator): a required bit fails, whatever its value.
        let unknown = Self.status(ports: [("eth0", nil, nil)])
        #expect(
            !LacpFamily.evaluate(LacpPortExpectation(actor: LacpBits([.expired: false])), port: "eth0", unknown).holds)
    }

    @Test(
        "checked through the family: the bond of a LAG port is found by its switch port name; nothing to read is errored"
    )
    func throughFamily() async throws {
        let playbook = try Self.load(Self.yaml("{lacp_state: {interface: sw1/server-eth0, in_aggregator: true}}"))
        let assertion = Assertion.lacpState(
            InterfaceRef(host: "sw1", interface: "server-eth0"), expected: LacpPortExpectation(inAggregator: true))
        let asked = Mutex<[InterfaceRef]>([])
        let sources = AssertionSources(
            state: { _ in InterfaceState(exists: true, adminUp: true, carrier: true, mac: nil) },
            topology: playbook.topology,
            lacp: { ref in
                asked.withLock { $0.append(ref) }
                return Self.status(ports: [("server-eth0", 1, Self.inSync), ("server-eth1", 1, Self.inSync)])
            })
        let check = try await LacpFamily().check(assertion, sources: sources)
        #expect(check.holds && check.error == nil)
        #expect(asked.withLock { $0 } == [InterfaceRef(host: "sw1", interface: "po1")])
        let unread = try await LacpFamily().check(
            assertion, sources: AssertionSources(state: { _ in .missing }, topology: playbook.topology))
        #expect(!unread.holds && unread.error == "no LACP state can be read here")
    }

    @Test("within: auto is the LACP timers of bond_3ad.c: timeout + 3 s (expired to defaulted) + 3 ticks")
    func deadline() throws {
        #expect(LacpFamily.deadline(.fast).0 == .milliseconds(6300))
        #expect(LacpFamily.deadline(.slow).0 == .milliseconds(93300))
        let playbook = try Self.load(Self.yaml("{lacp_state: {interface: sw1/server-eth0, in_aggregator: true}}"))
        let lagPort = Assertion.lacpState(
            InterfaceRef(host: "sw1", interface: "server-eth0"), expected: LacpPortExpectation(inAggregator: true))
        #expect(LacpFamily().derivedDeadline(lagPort, in: playbook.topology)?.0 == .milliseconds(6300))  // po1: fast
        let hostPort = Assertion.lacpState(
            InterfaceRef(host: "server", interface: "eth0"), expected: LacpPortExpectation(inAggregator: true))
        // bond0: slow (no lacp_rate given).
        #expect(LacpFamily().derivedDeadline(hostPort, in: playbook.topology)?.0 == .milliseconds(93300))
    }
}
