public import FailoverCore
public import FailoverModel
public import FailoverPlaybook
import Yams

/// LACP of 802.3ad bonds (a host's bond or a switch's LAG), read from the kernel (netlink
/// IFLA_BOND_AD_INFO and IFLA_BOND_SLAVE_AD_*, cross-checked with /proc/net/bonding: a
/// disagreement is errored) and polled until `within`:
///
/// ```yaml
/// - expect: {lacp_aggregator: {bond: server/bond0, ports: [eth0, eth1], partner_system: "02:00:00:00:00:aa", within: auto}}
/// - expect: {lacp_state: {interface: server/eth0, in_aggregator: false, partner: {synchronization: false}, within: auto}}
/// ```
/// `lacp_aggregator`: the bond's active aggregator has exactly these `ports`, this
/// `partner_system` MAC, `partner_key`, `id` (each optional, at least one). `lacp_state`: the
/// port is (not) in the bond's active aggregator, and its `actor` / `partner` state bits
/// (activity, timeout, aggregation, synchronization, collecting, distributing, defaulted,
/// expired) are set (`true`) or clear (`false`); bits not named are not looked at.
/// `within: auto`: the LACP timers of bond_3ad.c for the bond's `lacp_rate`: its timeout (fast
/// 3 s, slow 90 s) + the expired-to-defaulted short timeout (3 s) + 3 state-machine ticks
/// (300 ms): 6.3 s or 93.3 s (`deadline(_:)`).
public struct LacpFamily: Family, AssertionFamily {
    public init() {}

    public var name: String { "lacp" }
    public var evaluators: [AssertionFamilyID: any AssertionFamily] { [.lacp: self] }

    static let polled = "read from the kernel (netlink, cross-checked with /proc/net/bonding), polled until within"

    public var assertionEntries: [AssertionEntry] {
        [
            AssertionEntry(
                key: "lacp_aggregator", subject: "bond", keys: ["ports", "partner_system", "partner_key", "id"],
                timing: .withinOnly(reason: "lacp_aggregator: \(Self.polled)"), derivesDeadline: true
            ) { Self.decodeAggregator($0) },
            AssertionEntry(
                key: "lacp_state", subject: "interface", keys: ["in_aggregator", "actor", "partner"],
                timing: .withinOnly(reason: "lacp_state: \(Self.polled)"), derivesDeadline: true
            ) { Self.decodeState($0) },
        ]
    }

    static func decodeAggregator(_ input: AssertionInput) -> Assertion? {
        let reader = input.reader
        let path = input.path
        guard let bond = reader.ref(input.subjectNode, input.subjectPath) else { return nil }
        var expected = LacpAggregatorExpectation()
        var ok = true
        if let node = input.view["ports"] {
            if let items = reader.list(node, "\(path).ports") {
                var ports: [String] = []
                for (index, item) in items.enumerated() {
                    guard let name = reader.string(item, "\(path).ports[\(index)]", expected: "a slave name") else {
                        ok = false
                        continue
                    }
                    ports.append(name)
                }
                expected.ports = ports
            } else {
                ok = false
            }
        }
        if let node = input.view["partner_system"] {
            if let mac = reader.mac(node, "\(path).partner_system") { expected.partnerSystem = mac } else { ok = false }
        }
        if let node = input.view["partner_key"] {
            if let key = reader.int(node, "\(path).partner_key", range: 0...65535) {
                expected.partnerKey = key
            } else {
                ok = false
            }
        }
        if let node = input.view["id"] {
            if let id = reader.int(node, "\(path).id", range: 0...65535) { expected.id = id } else { ok = false }
        }
        guard ok else { return nil }
        if expected.ports == nil && expected.partnerSystem == nil && expected.partnerKey == nil && expected.id == nil {
            reader.error(
                input.view.keyNode("bond"), "\(path): give at least one of ports, partner_system, partner_key, id")
            return nil
        }
        return .lacpAggregator(bond: bond, expected: expected)
    }

    static func decodeState(_ input: AssertionInput) -> Assertion? {
        let reader = input.reader
        let path = input.path
        guard let port = reader.ref(input.subjectNode, input.subjectPath) else { return nil }
        var expected = LacpPortExpectation()
        var ok = true
        if let node = input.view["in_aggregator"] {
            if let value = reader.bool(node, "\(path).in_aggregator") {
                expected.inAggregator = value
            } else {
                ok = false
            }
        }
        func bits(_ key: String) -> LacpBits? {
            guard let node = input.view[key] else { return LacpBits() }
            let bitsPath = "\(path).\(key)"
            guard
                let view = reader.mapping(
                    node, bitsPath, expected: "a mapping of state bits to true/false, like {distributing: true}")
            else { return nil }
            var required: [LacpStateBit: Bool] = [:]
            var good = true
            for entry in view.entries {
                guard let bit = LacpStateBit(rawValue: entry.key) else {
                    reader.error(
                        entry.keyNode,
                        NodeReader.unknownKeyMessage(
                            entry.key, allowed: LacpStateBit.allCases.map(\.rawValue), context: "LACP state bits"))
                    good = false
                    continue
                }
                guard let set = reader.bool(entry.value, "\(bitsPath).\(entry.key)") else {
                    good = false
                    continue
                }
                required[bit] = set
            }
            return good ? LacpBits(required) : nil
        }
        let actor = bits("actor")
        let partner = bits("partner")
        guard ok, let actor, let partner else { return nil }
        expected.actor = actor
        expected.partner = partner
        if expected.inAggregator == nil && actor.isEmpty && partner.isEmpty {
            reader.error(
                input.view.keyNode("interface"), "\(path): give at least one of in_aggregator, actor, partner")
            return nil
        }
        return .lacpState(port, expected: expected)
    }

    /// The 802.3ad bond `ref` names: a host's bond, or a switch's LAG (`sw1/po1`).
    enum BondKind {
        case host(Bond)
        case lag(SwitchLAG)

        var mode: BondMode {
            switch self {
            case .host(let bond): bond.mode
            case .lag(let lag): lag.mode
            }
        }

        var lacpRate: LACPRate {
            switch self {
            case .host(let bond): bond.options.lacpRate ?? .slow
            case .lag(let lag): lag.options.lacpRate ?? .slow
            }
        }
    }

    static func bond(at ref: InterfaceRef, in topology: Topology) -> BondKind? {
        if let bond = topology.bond(at: ref) { return .host(bond) }
        if let lag = topology.switch(named: ref.host)?.lags.first(where: { $0.name == ref.interface }) {
            return .lag(lag)
        }
        return nil
    }

    /// The bond a port `ref` is a slave of: a host bond's slave, or a switch LAG's member (named
    /// as the switch names its port, `server-eth0`).
    static func bond(ofPort ref: InterfaceRef, in topology: Topology) -> (InterfaceRef, BondKind)? {
        if let bond = topology.host(named: ref.host)?.bonds.first(where: { $0.slaves.contains(ref.interface) }) {
            return (InterfaceRef(host: ref.host, interface: bond.name), .host(bond))
        }
        guard let sw = topology.switch(named: ref.host) else { return nil }
        let names = RunNames.switchPortNames(topology)
        for lag in sw.lags where lag.ports.contains(where: { names[$0] == ref.interface }) {
            return (InterfaceRef(host: ref.host, interface: lag.name), .lag(lag))
        }
        return nil
    }

    public var checkers: [any StepChecker] {
        [
            ExpectationCheck { expectation, mark, context in
                let topology = context.index.topology
                switch expectation.assertion {
                case .lacpAggregator(let ref, let expected):
                    let at = mark("bond")
                    guard let kind = Self.bond(at: ref, in: topology) else {
                        context.error(at, "\(at.path): no bond or switch LAG \(ref)")
                        return
                    }
                    guard kind.mode == .ieee8023ad else {
                        context.warning(
                            at, "\(at.path): \(ref) is \(kind.mode.rawValue), not 802.3ad: the check will be errored")
                        return
                    }
                    if case .host(let bond) = kind {
                        for port in expected.ports ?? [] where !bond.slaves.contains(port) {
                            let portsMark = mark("ports")
                            context.error(
                                portsMark,
                                "\(portsMark.path): \(port) is not a slave of \(ref); slaves: \(TopologyIndex.list(bond.slaves))"
                            )
                        }
                    }
                case .lacpState(let ref, _):
                    let at = mark("interface")
                    guard let (bond, kind) = Self.bond(ofPort: ref, in: topology) else {
                        context.error(
                            at, "\(at.path): \(ref) is not a slave of a bond nor a port of a switch LAG")
                        return
                    }
                    if kind.mode != .ieee8023ad {
                        context.warning(
                            at, "\(at.path): \(bond) is \(kind.mode.rawValue), not 802.3ad: the check will be errored")
                    }
                default:
                    return
                }
            }
        ]
    }

    public func readsTimeline(_ assertion: Assertion) -> Bool { false }

    public func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check {
        guard let read = sources.lacp else {
            return Check(holds: false, actual: "not read", error: "no LACP state can be read here")
        }
        switch assertion {
        case .lacpAggregator(let bond, let expected):
            return Self.evaluate(expected, try await read(bond))
        case .lacpState(let port, let expected):
            guard let topology = sources.topology, let (bond, _) = Self.bond(ofPort: port, in: topology) else {
                return Check(holds: false, actual: "n/a", error: "\(port) is not a port of a known 802.3ad bond")
            }
            return Self.evaluate(expected, port: port.interface, try await read(bond))
        default:
            return Check(holds: false, actual: "n/a", error: "\(assertion.key) is not an LACP assertion")
        }
    }

    /// The aggregator expectation against what the kernel reports.
    static func evaluate(_ expected: LacpAggregatorExpectation, _ status: LacpStatus) -> Check {
        guard let id = status.aggregatorID else { return Check(holds: false, actual: status.description) }
        var holds = true
        if let ports = expected.ports, Set(ports) != Set(status.activePorts) { holds = false }
        if let system = expected.partnerSystem, status.partnerMAC != system { holds = false }
        if let key = expected.partnerKey, status.partnerKey != key { holds = false }
        if let wanted = expected.id, wanted != id { holds = false }
        return Check(holds: holds, actual: status.description)
    }

    /// One port's expectation against what the kernel reports; a port the bond does not list is errored.
    static func evaluate(_ expected: LacpPortExpectation, port name: String, _ status: LacpStatus) -> Check {
        guard let port = status.port(named: name) else {
            return Check(
                holds: false, actual: "n/a",
                error:
                    "\(name) is not a slave of the bond (slaves: \(status.ports.map(\.name).joined(separator: ", ")))")
        }
        let inAggregator = status.aggregatorID != nil && port.aggregatorID == status.aggregatorID
        var holds = true
        if let wanted = expected.inAggregator, wanted != inAggregator { holds = false }
        // A port the kernel gives no aggregator has no state to read: bits required of it fail.
        if !expected.actor.isEmpty && !(port.actorState.map(expected.actor.matches) ?? false) { holds = false }
        if !expected.partner.isEmpty && !(port.partnerState.map(expected.partner.matches) ?? false) { holds = false }
        let actual =
            "\(name) \(inAggregator ? "in" : "not in") the active aggregator"
            + " (port's aggregator \(port.aggregatorID.map(String.init) ?? "none"), active \(status.aggregatorID.map(String.init) ?? "none")),"
            + " actor \(port.actorState.map(LacpStateBit.names) ?? "unknown"),"
            + " partner \(port.partnerState.map(LacpStateBit.names) ?? "unknown")"
        return Check(holds: holds, actual: actual)
    }

    public func planLook(_ assertion: Assertion, plan: PlanContext) -> String {
        switch assertion {
        case .lacpAggregator(let bond, _):
            return PlanRenderer.command(
                ["ip", "netns", "exec", plan.ns(bond.host), "cat", "/proc/net/bonding/\(bond.interface)"])
        case .lacpState(let port, _):
            guard let (bond, _) = Self.bond(ofPort: port, in: plan.topology) else {
                return PlanRenderer.comment("(\(port) is not a port of an 802.3ad bond)")
            }
            return PlanRenderer.command(["ip", "-n", plan.ns(port.host), "-d", "link", "show", port.interface])
                + "\n"
                + PlanRenderer.command(
                    ["ip", "netns", "exec", plan.ns(bond.host), "cat", "/proc/net/bonding/\(bond.interface)"])
        default:
            return PlanRenderer.comment("(not an LACP assertion)")
        }
    }

    /// The LACP timers of bond_3ad.c for a bond's `lacp_rate`: a port whose partner falls silent
    /// expires after its timeout (short 3 s for fast, long 90 s for slow: 3 LACPDU intervals from
    /// the last LACPDU, which came before the fault), loses sync and stops distributing; it
    /// defaults after one more short timeout (3 s: an expired port uses the short timeout) and
    /// then leaves the aggregator. Each step waits for a state-machine tick (100 ms): 3 ticks.
    /// Joining (one periodic interval + the mux wait-while timer of 2 s + ticks) is shorter.
    public static func deadline(_ rate: LACPRate) -> (Duration, String) {
        let timeout: Duration = rate == .fast ? .seconds(3) : .seconds(90)
        return (
            timeout + .seconds(3) + .milliseconds(300),
            "LACP (bond_3ad.c), lacp_rate \(rate.rawValue): timeout \(timeout.playbookText) + expired-to-defaulted 3s + 3 ticks of 100ms"
        )
    }

    public func derivedDeadline(_ assertion: Assertion, in topology: Topology) -> (Duration, String)? {
        let kind: BondKind?
        switch assertion {
        case .lacpAggregator(let bond, _): kind = Self.bond(at: bond, in: topology)
        case .lacpState(let port, _): kind = Self.bond(ofPort: port, in: topology)?.1
        default: kind = nil
        }
        let rate = kind?.lacpRate ?? .slow
        return Self.deadline(rate)
    }
}
