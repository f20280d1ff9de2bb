public import FailoverModel

/// What Core does with one family of assertions: check them, say whether they are read on the
/// observation timeline, and show them in a plan. The families themselves live in the
/// FailoverFamilies module (one folder each, with their decoding entries); `Assertion.family` (in
/// the model) names the family of an assertion and an `AssertionFamilies` value, given to the
/// runner and the plan renderer, maps that name to the evaluator.
public protocol AssertionFamily: Sendable {
    /// True when `assertion` is read from the observation timeline at the instants the kernel
    /// reported a change (else it is polled: read from the kernel or measured by the probes).
    func readsTimeline(_ assertion: Assertion) -> Bool
    /// Checks `assertion` once against what `sources` can read now.
    func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check
    /// What a reader of the plan would run to look at what `assertion` checks (a command line,
    /// or a comment when there is no shell equivalent).
    func planLook(_ assertion: Assertion, plan: PlanContext) -> String
    /// The deadline `within: auto` stands for, without the run's timing allowance, and the rule
    /// that gave it; nil: the bond timers' rule (`DerivedDeadline`) applies.
    func derivedDeadline(_ assertion: Assertion, in topology: Topology) -> (Duration, String)?
}

extension AssertionFamily {
    public func derivedDeadline(_ assertion: Assertion, in topology: Topology) -> (Duration, String)? { nil }
}

/// Where a check reads from: the kernel's (or the timeline's) interface states, and the probes.
public struct AssertionSources {
    public var state: (InterfaceRef) async throws -> InterfaceState
    /// The probes' evaluation of a probe assertion (nil: no probe engine, or a timeline read).
    public var probes: ((Assertion) async throws -> ProbeEvaluation)?
    /// A host's neighbour table, read from the kernel now (nil: not available here).
    public var neighbours: ((String) async throws -> [Neighbour])?
    /// A switch's learned forwarding entries, read from the kernel now (nil: not available here).
    public var forwarding: ((String) async throws -> [ForwardingEntry])?
    /// The captures' evaluation of a capture assertion on the frames seen so far (nil: no
    /// capture engine here).
    public var captures: ((Assertion) async throws -> ProbeEvaluation)?
    /// An 802.3ad bond's LACP state, read from the kernel now (nil: not available here).
    public var lacp: ((InterfaceRef) async throws -> LacpStatus)?

    /// The observation log, after a barrier (every event emitted before the call is in it); nil
    /// where there is none. CARP assertions read VIP ownership and peer states from it.
    public var observations: (() async throws -> [ObservationRecord])?
    /// The run's topology (CARP groups), where known.
    public var topology: Topology?
    /// The instant of the last fault step before the check (nil: none yet), for `scope: last_fault`.
    public var lastFault: MonotonicInstant?
    public init(
        state: @escaping (InterfaceRef) async throws -> InterfaceState,
        probes: ((Assertion) async throws -> ProbeEvaluation)? = nil,
        neighbours: ((String) async throws -> [Neighbour])? = nil,
        observations: (() async throws -> [ObservationRecord])? = nil, topology: Topology? = nil,
        captures: ((Assertion) async throws -> ProbeEvaluation)? = nil,
        forwarding: ((String) async throws -> [ForwardingEntry])? = nil,
        lacp: ((InterfaceRef) async throws -> LacpStatus)? = nil
    ) {
        self.lacp = lacp
        self.captures = captures
        self.state = state
        self.probes = probes
        self.neighbours = neighbours
        self.forwarding = forwarding
        self.observations = observations
        self.topology = topology
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

/// The table of assertion evaluators, by family: a value the runner, the timeline and the plan
/// renderer receive (FailoverFamilies builds the standard one). An assertion of a family without
/// an evaluator is *errored* when checked, never passed.
public struct AssertionFamilies: Sendable {
    public var evaluators: [AssertionFamilyID: any AssertionFamily]

    public init(_ evaluators: [AssertionFamilyID: any AssertionFamily]) { self.evaluators = evaluators }

    public func family(_ id: AssertionFamilyID) -> any AssertionFamily {
        evaluators[id] ?? UnregisteredFamily(id: id)
    }

    public func family(of assertion: Assertion) -> any AssertionFamily { family(assertion.family) }
}

/// Stands for a family missing from the table: its checks error, its plan text says so.
struct UnregisteredFamily: AssertionFamily {
    var id: AssertionFamilyID

    func readsTimeline(_ assertion: Assertion) -> Bool { false }

    func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check {
        Check(
            holds: false, actual: "n/a", error: "no evaluator registered for family \(id.rawValue) (\(assertion.key))")
    }

    func planLook(_ assertion: Assertion, plan: PlanContext) -> String {
        PlanRenderer.comment("(no evaluator registered for family \(id.rawValue))")
    }
}
