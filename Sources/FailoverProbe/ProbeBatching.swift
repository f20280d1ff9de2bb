/// How many consecutive packets the sender hands to the kernel in one `sendmmsg` call.
///
/// Batching is used only when the interval is shorter than `thresholdNanoseconds` (rate above
/// 50 kpps); a batch then covers at most `maximumSpanNanoseconds` of schedule. A batch leaves at
/// the deadline of its first packet, every packet stamped with the one time read just before the
/// call, so within a batch packets are sent back to back (microseconds apart in the kernel) and the
/// receiver sees at most one batch span between consecutive packets: outage resolution is
/// max(interval, batch span). At lower rates the size is 1 and each packet has its own deadline.
public struct ProbeBatching: Sendable, Hashable, Codable {
    /// Batching starts below this interval (ns).
    public static let thresholdNanoseconds: Double = 20_000
    /// Most schedule time one batch may cover (ns).
    public static let maximumSpanNanoseconds: Double = 50_000
    /// Upper bound on the batch size (messages per `sendmmsg`).
    public static let maximumSize = 64

    /// Packets per batch (1: no batching).
    public var size: Int
    /// Schedule time one batch covers, size × interval (ns); 0 without batching.
    public var spanNanoseconds: UInt64

    /// The batch for a rate in packets per second.
    public init(rate: Int) {
        let rate = max(rate, 1)
        let interval = 1e9 / Double(rate)
        // floor(maximumSpan / interval), in integers: rate × 50 000 ns / 1e9 ns.
        let perSpan = min(rate, 1_000_000_000) * Int(Self.maximumSpanNanoseconds) / 1_000_000_000
        size = interval < Self.thresholdNanoseconds ? min(max(perSpan, 1), Self.maximumSize) : 1
        spanNanoseconds = size > 1 ? UInt64((Double(size) * interval).rounded()) : 0
    }

    /// Outage resolution for a stream with this batching: one interval or one batch span, the larger (ns).
    public func resolutionNanoseconds(intervalNanoseconds: Double) -> Double {
        max(intervalNanoseconds, Double(spanNanoseconds))
    }
}
