public import FailoverModel

/// Pure metrics over a `ProbeCapture` (RFC 6414 failover time, RFC 3357 loss periods, RFC 4737 reordering).
///
/// Definitions, per stream direction:
/// - *judged* packets: sequence numbers 0..<attempted, minus a trailing run of undelivered packets
///   sent after `capture.judgeSentBefore` (in flight at a snapshot).
/// - Send times of undelivered packets are interpolated (linearly in sequence number) between the
///   send times of their delivered neighbours; the sender's first/last send times anchor the ends.
/// - Windows: the time before the first fault, then one window per fault, from the fault instant
///   minus the edge tolerance to the next fault's. A packet belongs to the window of its send time;
///   a loss period belongs, whole, to the window in which its first lost packet was sent.
/// - Impairment: lost, reordered (arrived after a higher sequence number), duplicated, or refused by
///   the kernel at send time. The failover time (timestamp method) of a window runs from the last
///   unimpaired packet before its first impairment to the first unimpaired packet after its last,
///   both by the send timestamps the packets carry; resolution one probe interval, or one sender
///   batch span when the sender batches (above 50 kpps, see `ProbeBatching`).
/// - Packet-loss method: (lost + send errors) × interval; resolution as above.
/// Pure metrics over a `ProbeCapture` (RFC 6414 failover time, RFC 3357 loss periods, RFC 4737 reordering).
///
/// Definitions, per stream direction:
/// - *judged* packets: sequence numbers 0..<attempted, minus a trailing run of undelivered packets
///   sent after `capture.judgeSentBefore` (in flight at a snapshot).
/// - Send times of undelivered packets are interpolated (linearly in sequence number) between the
///   send times of their delivered neighbours; the sender's first/last send times anchor the ends.
/// - Windows: the time before the first fault, then one window per fault, from the fault instant to
///   the next fault's. A delivered packet belongs to the window of the send time it carries (exact).
/// - Attribution of a loss period (by the send times the packets around it carry): the period lies
///   between the delivered packet before it and the one after it. When a fault instant falls in that
///   gap and the period's interpolated start is no more than the tolerance before it, the period
///   belongs, whole, to the first such fault's window; otherwise to the window of its interpolated
///   start. The tolerance is max(1 ms, one interval, the growth of the sender's lateness across the
///   gap — a sender that stalled inside the gap sent the lost packets later than interpolated),
///   capped at `maximumEdgeToleranceNanoseconds` (100 ms).
/// - Impairment: lost, reordered (arrived after a higher sequence number), duplicated, or refused by
///   the kernel at send time. The failover time (timestamp method) of a window runs from the last
///   unimpaired packet before its first impairment to the first unimpaired packet after its last,
///   both by the send timestamps the packets carry; resolution one probe interval, or one sender
///   batch span when the sender batches (above 50 kpps, see `ProbeBatching`).
/// - Packet-loss method: (lost + send errors) × interval; resolution as above.
/// - A window is *measured* when the probe was sending across all of it: started before it opened,
///   not stopped before it closed, never more than `maximumSenderLatenessNanoseconds` behind its
///   schedule in it, and at least one packet judged in it. Assertions over unmeasured windows are
///   *errored*.
public enum ProbeAnalysis {
    /// Samples for the additive backup delay are taken over this long before and after.
    public static let delaySampleNanoseconds: UInt64 = 1_000_000_000
    public static let timestampMethod = "timestamp (RFC 6414 TBM)"
    public static let lossMethod = "packet loss (RFC 6414 PLBM)"
    /// Cap of the edge tolerance of loss-period attribution.
    public static let maximumEdgeToleranceNanoseconds: UInt64 = 100_000_000
    /// A sender further behind its schedule than this (by the send times its packets carry) in a
    /// fault window makes that window unmeasured and every verdict on the probe *errored*. Under
    /// TCG the engine adds the run's timing allowance (`ProbeEngine(senderLatenessAllowance:)`).
    public static let maximumSenderLatenessNanoseconds: UInt64 = 100_000_000

    /// Analyzes a capture with faults given as step index and instant (kind `.other`).
    @_disfavoredOverload
    public static func analyze(_ capture: ProbeCapture, faults: [(stepIndex: Int, at: MonotonicInstant)]) -> ProbeReport
    {
        analyze(capture, faults: faults.map { ProbeFault(stepIndex: $0.stepIndex, at: $0.at) })
    }

    /// Analyzes a whole capture at once (the final figures; mid-run evaluations use the same code
    /// incrementally, see `ProbeAnalyzer`), including the additive backup delay of each window.
    /// - Parameter faults: the fault steps of the run, each with the instant taken just before it was applied.
    /// - Parameter senderLatenessBound: see `maximumSenderLatenessNanoseconds` (raised where timers
    ///   run late, e.g. under TCG).
    public static func analyze(
        _ capture: ProbeCapture, faults: [ProbeFault], senderLatenessBound: UInt64 = maximumSenderLatenessNanoseconds
    ) -> ProbeReport {
        var analyzer = ProbeAnalyzer(configuration: capture.configuration)
        analyzer.latenessBound = senderLatenessBound
        analyzer.ingest(capture.arrivals, limit: capture.sender.attempted)
        var report = analyzer.report(
            sender: capture.sender, receiver: capture.receiver, judgeSentBefore: capture.judgeSentBefore.nanoseconds,
            complete: capture.complete, drainNanoseconds: capture.drainNanoseconds, faults: faults)
        for index in report.windows.indices {
            let figures = report.windows[index]
            guard let from = figures.fromNanoseconds else { continue }
            report.windows[index].additiveBackupDelay = additiveDelay(
                capture: capture, status: analyzer.status, faultAt: from,
                recoveredAt: figures.recoveryNanoseconds ?? from, windowEnd: figures.toNanoseconds ?? UInt64.max)
        }
        return report
    }

    static func event(for kind: ProbeFault.Kind) -> String {
        switch kind {
        case .failure: "failover"
        case .restoration: "reversion"
        case .other: "change"
        }
    }

    /// Median one-way delay of unimpaired packets sent in [recoveredAt, +1 s) within the window,
    /// minus that of packets sent in [faultAt − 1 s, faultAt).
    private static func additiveDelay(
        capture: ProbeCapture, status: [UInt8], faultAt: UInt64, recoveredAt: UInt64, windowEnd: UInt64
    ) -> TimeFigure? {
        var before: [Int64] = []
        var after: [Int64] = []
        let beforeStart = faultAt &- min(delaySampleNanoseconds, faultAt)
        let afterEnd = min(recoveredAt &+ delaySampleNanoseconds, windowEnd)
        for arrival in capture.arrivals where arrival.sequence < UInt64(status.count) {
            let flags = status[Int(arrival.sequence)]
            guard flags & (ProbeAnalyzer.reorderedFlag | ProbeAnalyzer.duplicatedFlag) == 0 else { continue }
            let delay = Int64(bitPattern: arrival.receivedNanoseconds &- arrival.sentNanoseconds)
            if arrival.sentNanoseconds >= beforeStart && arrival.sentNanoseconds < faultAt {
                before.append(delay)
            } else if arrival.sentNanoseconds >= recoveredAt && arrival.sentNanoseconds < afterEnd {
                after.append(delay)
            }
        }
        guard let medianBefore = median(&before), let medianAfter = median(&after) else { return nil }
        return TimeFigure(
            nanoseconds: medianAfter - medianBefore, method: "median one-way delay after minus before",
            resolutionNanoseconds: 1000)
    }

    static func median(_ values: inout [Int64]) -> Int64? {
        guard !values.isEmpty else { return nil }
        values.sort()
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }
}
