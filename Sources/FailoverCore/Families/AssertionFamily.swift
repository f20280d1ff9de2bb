public import FailoverModel

/// What Core does with one family of assertions: check them, say whether they are read on the
/// observation timeline, and show them in a plan. Each family lives in its own file of this
/// folder; `Assertion.family` (in the model) names the family of an assertion and
/// `AssertionFamilies.family(_:)` is the one table from that name to the family. The decoding
/// entry of each kind is in FailoverPlaybook/Families (the registry there is the list of keys).
public protocol AssertionFamily: Sendable {
    /// True when `assertion` is read from the observation timeline at the instants the kernel
    /// reported a change (else it is polled: read from the kernel or measured by the probes).
    func readsTimeline(_ assertion: Assertion) -> Bool
    /// Checks `assertion` once against what `sources` can read now.
    func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check
    /// What a reader of the plan would run to look at what `assertion` checks (a command line,
    /// or a comment when there is no shell equivalent).
    func planLook(_ assertion: Assertion, plan: PlanContext) -> String
}

/// Where a check reads from: the kernel's (or the timeline's) interface states, and the probes.
public struct AssertionSources {
    public var state: (InterfaceRef) async throws -> InterfaceState
    /// The probes' evaluation of a probe assertion (nil: no probe engine, or a timeline read).
    public var probes: ((Assertion) async throws -> ProbeEvaluation)?

    public init(
        state: @escaping (InterfaceRef) async throws -> InterfaceState,
        probes: ((Assertion) async throws -> ProbeEvaluation)? = nil
    ) {
        self.state = state
        self.probes = probes
    }
}

/// What a plan's step text may refer to: the topology and the run's names.
public struct PlanContext: Sendable {
    public var topology: Topology
    public var names: RunNames

    public init(topology: Topology, names: RunNames) {
        self.topology = topology
        self.names = names
    }

    /// The namespace of a host or switch.
    public func ns(_ role: String) -> String { names.namespace(role) }
}

/// The one table of assertion families.
public enum AssertionFamilies {
    public static func family(_ id: AssertionFamilyID) -> any AssertionFamily {
        switch id {
        case .interfaceState: InterfaceStateFamily()
        case .bondOption: BondOptionFamily()
        case .probeTraffic: ProbeTrafficFamily()
        }
    }

    public static func family(of assertion: Assertion) -> any AssertionFamily { family(assertion.family) }
}
