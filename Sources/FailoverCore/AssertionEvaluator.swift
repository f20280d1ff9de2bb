public import FailoverModel

/// The outcome of checking an assertion once against the kernel's current state.
public struct Check: Sendable, Hashable {
    public var holds: Bool
    public var actual: String
    /// Set when the check could not be made meaningfully (wrong kind of interface, measurement
    /// error): the verdict is *errored*, not *failed*.
    public var error: String?
    /// The instant the outcome is about, when it is not the read's own (a captured frame's
    /// time, the end of a closed capture window): the runner compares it with the deadline.
    public var at: MonotonicInstant?

    public init(holds: Bool, actual: String, error: String? = nil, at: MonotonicInstant? = nil) {
        self.at = at
        self.holds = holds
        self.actual = actual
        self.error = error
    }
}

/// Evaluates assertions on `InterfaceState` snapshots through their family
/// (an `AssertionFamilies` table, built in FailoverFamilies). Pure logic; the snapshots come from the backend or the timeline.
public enum AssertionEvaluator {
    /// Checks `assertion` using `state(of:)` to read interfaces (probe assertions error here:
    /// they need the probes, see `AssertionFamily.check(_:sources:)`).
    public static func check(
        _ assertion: Assertion, families: AssertionFamilies,
        state: @escaping (InterfaceRef) async throws -> InterfaceState
    ) async throws -> Check {
        try await families.family(of: assertion).check(assertion, sources: AssertionSources(state: state))
    }
}

extension InterfaceState {
    /// The interface as an observer last saw it (nil or deleted: missing). Bond mode, miimon
    /// and permanent MACs are not observed: they are static and read from the kernel.
    public init(observed: ObservedLinkState?) {
        guard let observed, observed.exists else {
            self = .missing
            return
        }
        self.init(exists: true, adminUp: observed.adminUp, carrier: observed.carrier, mac: observed.mac)
        if observed.isBond { bond = BondState(mode: nil, activeSlave: observed.activeSlave, miimon: nil) }
        if let mii = observed.mii {
            slave = SlaveState(
                master: "", miiStatus: mii, linkFailureCount: observed.linkFailures ?? 0,
                state: observed.slaveState ?? "backup", permanentMAC: nil)
        }
    }
}

extension ObservedLinkState {
    /// What an observer would record for `state` (for backends that see whole states).
    public init(_ state: InterfaceState) {
        guard state.exists else {
            self = .deleted
            return
        }
        self.init(
            adminUp: state.adminUp, carrier: state.carrier, mac: state.mac, isBond: state.bond != nil,
            activeSlave: state.bond?.activeSlave, mii: state.slave?.miiStatus, slaveState: state.slave?.state,
            linkFailures: state.slave?.linkFailureCount)
    }
}

/// The observation log read as a function of time: the state of an interface at an instant is
/// the state carried by its last record stamped at or before that instant.
public struct Timeline: Sendable {
    private var byInterface: [InterfaceRef: [(time: MonotonicInstant, state: ObservedLinkState)]] = [:]
    private var failures: [String: String] = [:]

    /// - Parameters:
    ///   - origin: the instant the first `settled` records count as having happened by: they
    ///     were in the log when a barrier issued at `origin` was through, so their events were
    ///     emitted before it even when received (and stamped) a little after.
    public init(_ records: [ObservationRecord], origin: MonotonicInstant? = nil, settled: Int = 0) {
        for (index, record) in records.enumerated() {
            if record.kind == "observer_error" { failures[record.host] = failures[record.host] ?? record.detail }
            guard let state = record.state else { continue }
            var time = record.time
            if let origin { time = index < settled ? min(time, origin) : max(time, origin) }
            byInterface[InterfaceRef(host: record.host, interface: record.interface), default: []].append(
                (time, state))
        }
    }

    /// The interfaces an interface assertion reads.
    public static func interfaces(of assertion: Assertion) -> [InterfaceRef] {
        guard let ref = assertion.interface else { return [] }
        if case .mac(_, .sameAs(let other)) = assertion { return [ref, other] }
        return [ref]
    }

    /// The observed state of `ref` at `instant` (nil: never observed by then).
    public func state(of ref: InterfaceRef, at instant: MonotonicInstant) -> ObservedLinkState? {
        byInterface[ref]?.last { $0.time <= instant }?.state
    }

    /// Distinct instants in (`after`, `through`] at which a record of one of `refs` was stamped, in order.
    public func changeTimes(of refs: [InterfaceRef], after: MonotonicInstant, through: MonotonicInstant)
        -> [MonotonicInstant]
    {
        let times = refs.flatMap { byInterface[$0] ?? [] }.map(\.time).filter { $0 > after && $0 <= through }
        return Array(Set(times)).sorted()
    }

    /// The error an observer of one of `refs`' hosts stopped on, if any (its log is incomplete).
    public func observerFailure(on refs: [InterfaceRef]) -> String? {
        refs.lazy.compactMap { failures[$0.host] }.first
    }

    /// `assertion` evaluated on the observed states at `instant`.
    public func check(_ assertion: Assertion, at instant: MonotonicInstant, families: AssertionFamilies)
        async throws -> Check
    {
        try await AssertionEvaluator.check(assertion, families: families) {
            InterfaceState(observed: state(of: $0, at: instant))
        }
    }
}
