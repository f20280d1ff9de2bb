public import FailoverModel

/// Pure metrics over a `ProbeCapture` (RFC 6414 failover time, RFC 3357 loss periods, RFC 4737 reordering).
///
/// Definitions, per stream direction:
/// - *judged* packets: sequence numbers 0..<attempted, minus a trailing run of undelivered packets
///   sent after `capture.judgeSentBefore` (in flight at a snapshot).
/// - Send times of undelivered packets are interpolated (linearly in sequence number) between the
///   send times of their delivered neighbours; the sender's first/last send times anchor the ends.
/// - Windows: the time before the first fault, then one window per fault, from the fault instant to
///   the next fault's. A delivered packet belongs to the window of the send time it carries (exact).
/// - Attribution of a loss period, by the send times carried by the delivered packets around it
///   (`lower`: the one before it, `upper`: the one after it; exact, and what a capture of the
///   receiver sees too), never by the interpolated send times of the lost packets: when a fault
///   instant F lies in (lower, upper] and lower ≥ F − edge tolerance, the period belongs, whole, to
///   the first such fault's window; otherwise to the window of `lower`. The edge tolerance is one
///   probe interval plus the sender lateness bound (`maximumSenderLatenessNanoseconds`, plus the
///   timing allowance under TCG): the first lost packet was due one interval after `lower`, and a
///   sender within its bound sent it at most that late. A sender that stalled after `lower` and
///   caught up in a burst (its packets leave as fast as possible with their actual send times) sent
///   the lost packets after F although interpolation puts them before it, and packets still in
///   flight when the fault took effect were sent before F: both are the fault's. A period whose
///   last delivered packet before it left more than the tolerance before the first fault (or that
///   ended before it) is loss *before the first fault*: the path was not clean, verdicts on the
///   probe are *errored*.
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
    /// A sender further behind its schedule than this (by the send times its packets carry) in a
    /// fault window makes that window unmeasured and every verdict on the probe *errored*. Under
    /// TCG the engine adds the run's timing allowance (`ProbeEngine(senderLatenessAllowance:)`).
    public static let maximumSenderLatenessNanoseconds: UInt64 = 100_000_000

    /// Edge tolerance of loss-period attribution: one interval plus the sender lateness bound (see
    /// the rule above). 101 ms at 1 kpps on the host.
    public static func edgeTolerance(intervalNanoseconds: Double, latenessBound: UInt64) -> UInt64 {
        UInt64(max(intervalNanoseconds, 0).rounded()) &+ latenessBound
    }

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
