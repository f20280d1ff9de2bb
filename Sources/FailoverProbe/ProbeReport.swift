public import FailoverModel

/// A fault (or repair) step that opens an analysis window.
public struct ProbeFault: Sendable, Hashable, Codable {
    /// What the step does to the path, which names the window's event.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// pull, down, switch_down, blackhole: the window measures a *failover*.
        case failure
        /// plug, up, switch_up, restore: the window measures a *reversion*.
        case restoration
        /// set and anything else: a *change*.
        case other
    }

    /// 0-based playbook step index.
    public var stepIndex: Int
    /// Taken just *before* the fault was applied (CLOCK_MONOTONIC).
    public var at: MonotonicInstant
    public var kind: Kind

    public init(stepIndex: Int, at: MonotonicInstant, kind: Kind = .other) {
        self.stepIndex = stepIndex
        self.at = at
        self.kind = kind
    }

}

extension ProbeFault.Kind {
    /// The window kind of a fault of this polarity.
    public init(_ polarity: FaultPolarity) {
        self =
            switch polarity {
            case .failure: .failure
            case .repair: .restoration
            case .reconfiguration: .other
            }
    }
}

/// A time figure with how it was obtained.
public struct TimeFigure: Sendable, Hashable, Codable, CustomStringConvertible {
    public var nanoseconds: Int64
    public var milliseconds: Double
    /// E.g. `timestamp (RFC 6414 TBM)`.
    public var method: String
    /// The figure is exact to within this (one probe interval for TBM, 1/rate for PLBM).
    public var resolutionMilliseconds: Double
    /// True when the outage had not ended when the capture was taken: the value is a lower bound.
    public var lowerBound: Bool

    public init(nanoseconds: Int64, method: String, resolutionNanoseconds: Double, lowerBound: Bool = false) {
        self.nanoseconds = nanoseconds
        self.milliseconds = Double(nanoseconds) / 1e6
        self.method = method
        self.resolutionMilliseconds = resolutionNanoseconds / 1e6
        self.lowerBound = lowerBound
    }

    public var description: String {
        let value = formatMilliseconds(milliseconds)
        let resolution = formatMilliseconds(resolutionMilliseconds)
        return (lowerBound ? ">= " : "") + "\(value) ms (\(method), resolution \(resolution) ms)"
            + (lowerBound ? ", not recovered" : "")
    }
}

func formatMilliseconds(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    var text = String(scaled)
    if text.hasSuffix(".0") { text.removeLast(2) }
    return text
}

/// One RFC 3357 loss period: consecutive lost sequence numbers.
public struct LossPeriod: Sendable, Hashable, Codable {
    public var firstSequence: UInt64
    public var lastSequence: UInt64
    /// Packets lost in the period.
    public var length: UInt64
    /// Estimated send time of the first lost packet (interpolated between its delivered neighbours).
    public var estimatedStartNanoseconds: UInt64
    /// Send time of the delivered packet just before / just after the period (nil at the edges).
    public var deliveredBeforeSentNanoseconds: UInt64?
    public var deliveredAfterSentNanoseconds: UInt64?
}

/// The figures of one scope: the whole run, the time before the first fault, or one fault window.
public struct ProbeFigures: Sendable, Hashable, Codable {
    /// `run`, `before first fault`, or `step N` (1-based, as reports show it).
    public var scope: String
    /// 0-based index of the step that opened the window.
    public var stepIndex: Int?
    /// `failover`, `reversion` or `change` for fault windows.
    public var event: String?
    /// Window bounds (send times, CLOCK_MONOTONIC ns); nil at the open ends.
    public var fromNanoseconds: UInt64?
    public var toNanoseconds: UInt64?
    /// Packets the kernel accepted for sending in this scope, and how many of them arrived.
    public var sent: Int
    public var received: Int
    /// sent − received: network loss (send errors are not included).
    public var lost: Int
    /// Extra copies received.
    public var duplicated: Int
    /// Arrivals with a sequence number below the highest seen before them (RFC 4737).
    public var reordered: Int
    /// Send attempts the kernel refused (ENETUNREACH, …).
    public var sendErrors: Int
    public var lossPeriodCount: Int
    public var lossPeriodMinLength: Int?
    public var lossPeriodMaxLength: Int?
    /// The first 100 loss periods.
    public var lossPeriods: [LossPeriod]
    /// Failover (or reversion) time, timestamp method: send time of the first unimpaired packet
    /// after the last impairment minus send time of the last unimpaired packet before the first.
    /// 0 when nothing was impaired. For `run`: the longest of the windows.
    public var failoverTime: TimeFigure
    /// Packet-loss method: (lost + send errors) × interval.
    public var lossTime: TimeFigure
    /// False when the scope's impairment had not ended at the capture.
    public var recovered: Bool
    /// Median one-way delay after the failover minus before the event (fault windows only).
    public var additiveBackupDelay: TimeFigure?
    /// False when the probe was not sending across the whole scope (not started yet, stopped, more
    /// than `ProbeAnalysis.maximumSenderLatenessNanoseconds` behind its schedule, or nothing judged
    /// in it): its figures describe no measurement, and assertions over it are *errored*.
    public var measured: Bool = true
    /// Why the scope is unmeasured.
    public var unmeasuredReason: String?
    /// Largest lateness behind schedule of a packet delivered in this scope, by the send time it
    /// carries, ns.
    public var senderMaxLatenessNanoseconds: UInt64 = 0
    /// Send time of the first unimpaired packet after the last impairment (nil: none or not recovered).
    public var recoveryNanoseconds: UInt64?
    /// Lost packets per flow, for a probe with more than one flow that lost packets in this scope.
    public var lostPerFlow: [FlowLoss]?
}

/// Everything measured for one direction of one probe. Goes into report.json.
public struct ProbeReport: Sendable, Hashable, Codable {
    public var probe: String
    public var direction: ProbeDirection
    public var streamID: UInt32
    public var rate: Int
    public var flows: Int
    public var payloadSize: Int
    public var intervalNanoseconds: Double
    /// False for a snapshot of a running stream.
    public var complete: Bool
    public var drainNanoseconds: UInt64
    /// Edge tolerance of loss-period attribution: a period whose gap holds a fault instant and whose
    /// delivered packet before it was sent at most this long before that instant belongs to that
    /// fault's window (one interval + the sender lateness bound; see `ProbeAnalysis`).
    public var edgeToleranceNanoseconds: UInt64
    public var run: ProbeFigures
    public var beforeFirstFault: ProbeFigures
    /// One per fault, in time order.
    public var windows: [ProbeFigures]
    public var sender: SenderStatistics
    public var receiver: ReceiverStatistics
    /// Received sequence numbers the sender never used (corruption or a foreign sender).
    public var unexpected: Int
    /// Loss before the first fault: the path was not clean, verdicts on this probe are *errored*.
    public var pathNotClean: Bool
    /// Set when figures cannot be trusted (receiver socket overflow, unexpected sequence numbers).
    public var measurementError: String?
    /// How arrival times were taken.
    public var timestamping: String

    /// The window opened by step `index`, if any.
    public func window(step index: Int) -> ProbeFigures? { windows.first { $0.stepIndex == index } }
}
