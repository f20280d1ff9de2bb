public import FailoverModel

/// A fault step that opened a window, for probe analysis.
public struct FaultMark: Sendable, Hashable, Codable {
    public var stepIndex: Int
    public var at: MonotonicInstant
    /// What the fault did (`StepAction.faultPolarity`), so the probes need not look the step up.
    public var polarity: FaultPolarity

    public init(stepIndex: Int, at: MonotonicInstant, polarity: FaultPolarity) {
        self.stepIndex = stepIndex
        self.at = at
        self.polarity = polarity
    }
}

/// Traffic probes of one playbook run (implemented over real sockets in FailoverProbe).
public protocol TrafficProbes: Sendable {
    /// Opens sockets in the namespaces and starts the given probes.
    func start(_ names: [String]) async throws
    /// Stops a probe and drains packets in flight.
    func stop(_ name: String) async throws
    /// Evaluates a probe assertion on what has been received so far (stops nothing).
    /// - Returns: whether it holds, the actual value as text, and whether the path was
    ///   unclean before the first fault (then the verdict is *errored*).
    func evaluate(_ assertion: Assertion, stepIndex: Int, faults: [FaultMark]) async throws -> ProbeEvaluation
    /// Stops every running probe (draining packets in flight); returns the figures of each probe
    /// direction for the report, including any witness comparison.
    func finish(faults: [FaultMark]) async -> [ProbeRecord]
}

public struct ProbeEvaluation: Sendable {
    public var holds: Bool
    public var actual: String
    /// Set when the measurement cannot be trusted (loss before the first fault, receiver overflow).
    public var measurementError: String?
    /// The instant the outcome is about (see `Check.at`); nil: when it was read.
    public var at: MonotonicInstant?
    /// `flow_loss`, from the probes: the loss of every flow (source port) in the scope.
    public var flowLoss: [FlowLoss]?
    /// `flow_loss`, from the captures: the members each flow (source port) left on in the scope.
    public var flowMembers: [Int: [String]]?

    public init(holds: Bool, actual: String, measurementError: String? = nil, at: MonotonicInstant? = nil) {
        self.at = at
        self.holds = holds
        self.actual = actual
        self.measurementError = measurementError
    }
}
