public import FailoverModel

/// The outcome of checking an assertion once against the kernel's current state.
public struct Check: Sendable, Hashable {
    public var holds: Bool
    public var actual: String
    /// Set when the check could not be made meaningfully (wrong kind of interface, measurement
    /// error): the verdict is *errored*, not *failed*.
    public var error: String?

    public init(holds: Bool, actual: String, error: String? = nil) {
        self.holds = holds
        self.actual = actual
        self.error = error
    }
}

/// Evaluates interface assertions on `InterfaceState` snapshots. Pure logic; the snapshots come
/// from the backend.
public enum AssertionEvaluator {
    /// Checks `assertion` using `state(of:)` to read interfaces.
    public static func check(
        _ assertion: Assertion, state: (InterfaceRef) async throws -> InterfaceState
    ) async throws -> Check {
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
        case .option(let bond, let name, let expected):
            let current = try await state(bond)
            guard current.exists else { return Check(holds: false, actual: "\(bond) does not exist") }
            guard let bondState = current.bond else {
                return Check(holds: false, actual: "not a bond", error: "\(bond) is not a bond")
            }
            guard let value = bondState.options[name] else {
                return Check(
                    holds: false, actual: "not reported",
                    error: "the kernel did not report option \(name) of \(bond) (not in this kernel's netlink reply)")
            }
            return Check(holds: value == expected, actual: value.isEmpty ? "\"\"" : value)
        case .loss, .outage, .reordered:
            return Check(holds: false, actual: "n/a", error: "probe assertion evaluated as an interface assertion")
        }
    }
}
