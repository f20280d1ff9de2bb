public import FailoverCore
public import FailoverModel
public import FailoverPlaybook

/// Interface and bond state: what the kernel reports about an interface (netlink, and
/// /proc/net/bonding for the bond's view). Read on the observation timeline, except the static
/// properties (bond mode, permanent MACs), which are read once from the kernel. Decoded in
/// InterfaceStateDecoding.swift.
public struct InterfaceStateFamily: Family, AssertionFamily {
    public init() {}

    public var name: String { "interface_state" }
    public var assertionEntries: [AssertionEntry] { PlaybookDecoder.interfaceStateAssertions }
    public var checkers: [any StepChecker] { [PlaybookDecoder.interfaceStateChecker] }
    public var evaluators: [AssertionFamilyID: any AssertionFamily] { [.interfaceState: self] }

    public func readsTimeline(_ assertion: Assertion) -> Bool {
        switch assertion {
        case .bondMode, .mac(_, .permanentOf): false
        default: assertion.interface != nil
        }
    }

    public func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check {
        let state = sources.state
        switch assertion {
        case .activeSlave(let bond, let expected):
            let current = try await state(bond)
            guard current.exists else { return Check(holds: false, actual: "\(bond) does not exist") }
            guard let bondState = current.bond else {
                return Check(holds: false, actual: "not a bond", error: "\(bond) is not a bond")
            }
            return Check(holds: bondState.activeSlave == expected, actual: bondState.activeSlave ?? "none")
        case .bondMode(let bond, let expected):
            let current = try await state(bond)
            guard current.exists else { return Check(holds: false, actual: "\(bond) does not exist") }
            guard let bondState = current.bond else {
                return Check(holds: false, actual: "not a bond", error: "\(bond) is not a bond")
            }
            guard let mode = bondState.mode else {
                return Check(holds: false, actual: "unknown", error: "the kernel did not report the mode of \(bond)")
            }
            return Check(holds: mode == expected, actual: mode.rawValue)
        case .miiStatus(let ref, let expected):
            let current = try await state(ref)
            guard current.exists else { return Check(holds: false, actual: "\(ref) does not exist") }
            let status: MIIStatus
            if let slave = current.slave {
                status = slave.miiStatus
            } else if current.bond != nil {
                status = current.carrier ? .up : .down
            } else {
                return Check(
                    holds: false, actual: "not a bond or slave",
                    error: "\(ref) has no MII status: not a bond or a slave")
            }
            return Check(holds: status == expected, actual: status.rawValue)
        case .linkFailures(let ref, let comparison):
            let current = try await state(ref)
            guard current.exists else { return Check(holds: false, actual: "\(ref) does not exist") }
            guard let slave = current.slave else {
                return Check(holds: false, actual: "not a slave", error: "\(ref) is not a bond slave")
            }
            return Check(holds: comparison.holds(for: slave.linkFailureCount), actual: "\(slave.linkFailureCount)")
        case .carrier(let ref, let expected):
            let current = try await state(ref)
            guard current.exists else { return Check(holds: false, actual: "\(ref) does not exist") }
            return Check(holds: current.carrier == expected, actual: current.carrier ? "up" : "down")
        case .adminState(let ref, let expected):
            let current = try await state(ref)
            // Nothing to look at: errored, not failed (`down` must not pass on a missing interface).
            guard current.exists else {
                return Check(holds: false, actual: "missing", error: "\(ref) does not exist")
            }
            return Check(holds: current.adminUp == expected, actual: current.adminUp ? "up" : "down")
        case .mac(let ref, let expected):
            let current = try await state(ref)
            guard current.exists, let mac = current.mac else {
                return Check(holds: false, actual: "\(ref) does not exist")
            }
            let wanted: MACAddress?
            switch expected {
            case .literal(let literal):
                wanted = literal
            case .sameAs(let other):
                wanted = try await state(other).mac
            case .permanentOf(let other):
                let otherState = try await state(other)
                wanted = otherState.slave?.permanentMAC ?? otherState.permanentMAC
            }
            guard let wanted else {
                return Check(holds: false, actual: "\(mac)", error: "no MAC known for \(expected)")
            }
            let detail = mac == wanted ? "\(mac)" : "\(mac) (wanted \(wanted))"
            return Check(holds: mac == wanted, actual: detail)
        default:
            return Check(
                holds: false, actual: "n/a", error: "\(assertion.key) is not an interface state assertion")
        }
    }

    public func planLook(_ assertion: Assertion, plan: PlanContext) -> String {
        switch assertion {
        case .activeSlave(let ref, _), .bondMode(let ref, _):
            return PlanRenderer.command([
                "ip", "netns", "exec", plan.ns(ref.host), "cat", "/proc/net/bonding/\(ref.interface)",
            ])
        case .miiStatus(let ref, _), .linkFailures(let ref, _):
            let bond =
                plan.topology.host(named: ref.host)?.bonds.first { $0.slaves.contains(ref.interface) }?.name
                ?? ref.interface
            return PlanRenderer.command(["ip", "netns", "exec", plan.ns(ref.host), "cat", "/proc/net/bonding/\(bond)"])
        default:
            guard let ref = assertion.interface else { return PlanRenderer.comment("(not an interface assertion)") }
            return PlanRenderer.command(["ip", "-n", plan.ns(ref.host), "link", "show", ref.interface])
        }
    }
}
