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
public enum ProbeAnalysis {
    private static let delivered: UInt8 = 1
    private static let reorderedFlag: UInt8 = 2
    private static let duplicatedFlag: UInt8 = 4
    private static let failedFlag: UInt8 = 8
    /// Samples for the additive backup delay are taken over this long before and after.
    public static let delaySampleNanoseconds: UInt64 = 1_000_000_000
    public static let timestampMethod = "timestamp (RFC 6414 TBM)"
    public static let lossMethod = "packet loss (RFC 6414 PLBM)"

    /// Analyzes a capture with faults given as step index and instant (kind `.other`).
    public static func analyze(_ capture: ProbeCapture, faults: [(stepIndex: Int, at: MonotonicInstant)]) -> ProbeReport
    {
        analyze(capture, faults: faults.map { ProbeFault(stepIndex: $0.stepIndex, at: $0.at) })
    }

    /// Analyzes a capture.
    /// - Parameters:
    ///   - faults: the fault steps of the run, each with the instant taken just before it was applied.
    ///   - edgeTolerance: a loss period starting this long before a fault instant is the fault's
    ///     (packets in flight when it struck). Default: max(1 ms, one interval, the sender's largest
    ///     lateness): lost packets carry no timestamp, and a sender that stalled just before the
    ///     fault sent them up to that much later than their interpolated send times say.
    public static func analyze(_ capture: ProbeCapture, faults: [ProbeFault], edgeTolerance: Duration? = nil)
        -> ProbeReport
    {
        let interval = capture.intervalNanoseconds
        let lateness = Int64(clamping: capture.sender.maxLatenessNanoseconds)
        let tolerance = UInt64(
            max(edgeTolerance?.totalNanoseconds ?? max(1_000_000, Int64(interval), lateness), 0))
        let sortedFaults = faults.sorted { $0.at < $1.at }
        let count = Int(min(capture.sender.attempted, UInt64(Int.max)))

        // 1. Per-sequence status and send times.
        var status = [UInt8](repeating: 0, count: count)
        var sendTime = [UInt64](repeating: 0, count: count)
        var unexpected = 0
        var maxSeen: UInt64? = nil
        for arrival in capture.arrivals {
            guard arrival.sequence < UInt64(count) else {
                unexpected += 1
                continue
            }
            let seq = Int(arrival.sequence)
            if status[seq] & delivered != 0 {
                status[seq] |= duplicatedFlag
                continue
            }
            status[seq] |= delivered
            sendTime[seq] = arrival.sentNanoseconds
            if let highest = maxSeen, arrival.sequence < highest {
                status[seq] |= reorderedFlag
            }
            maxSeen = max(maxSeen ?? 0, arrival.sequence)
        }
        var extraCopies = [Int: Int]()
        do {
            var seen = [Bool](repeating: false, count: count)
            for arrival in capture.arrivals where arrival.sequence < UInt64(count) {
                let seq = Int(arrival.sequence)
                if seen[seq] { extraCopies[seq, default: 0] += 1 } else { seen[seq] = true }
            }
        }
        for range in capture.sender.failedSequences where range.first < UInt64(count) {
            for seq in Int(range.first)...Int(min(range.last, UInt64(count - 1))) where status[seq] & delivered == 0 {
                status[seq] |= failedFlag
            }
        }
        interpolateSendTimes(&sendTime, status: status, capture: capture)

        // 2. Judged limit: drop the trailing undelivered packets still in flight.
        var limit = count
        let judgeBefore = capture.judgeSentBefore.nanoseconds
        while limit > 0, status[limit - 1] & delivered == 0, sendTime[limit - 1] > judgeBefore { limit -= 1 }

        // 3. Windows.
        let boundaries = sortedFaults.map { $0.at.nanoseconds &- min(tolerance, $0.at.nanoseconds) }
        func windowOf(_ time: UInt64) -> Int {
            var low = 0
            var high = boundaries.count
            while low < high {
                let mid = (low + high) / 2
                if boundaries[mid] <= time { low = mid + 1 } else { high = mid }
            }
            return low
        }
        let windowCount = sortedFaults.count + 1
        var accumulators = [Accumulator](repeating: Accumulator(), count: windowCount)
        var periods: [(period: LossPeriod, window: Int)] = []
        var seq = 0
        var lastDeliveredSeq: Int? = nil
        while seq < limit {
            let flags = status[seq]
            let window = windowOf(sendTime[seq])
            if flags & delivered != 0 {
                accumulators[window].received += 1
                if flags & reorderedFlag != 0 {
                    accumulators[window].reordered += 1
                    accumulators[window].impair(seq)
                }
                if flags & duplicatedFlag != 0 {
                    accumulators[window].duplicated += extraCopies[seq] ?? 0
                    accumulators[window].impair(seq)
                }
                lastDeliveredSeq = seq
                seq += 1
            } else if flags & failedFlag != 0 {
                accumulators[window].sendErrors += 1
                accumulators[window].impair(seq)
                seq += 1
            } else {
                let first = seq
                while seq < limit, status[seq] & (delivered | failedFlag) == 0 { seq += 1 }
                let last = seq - 1
                let length = last - first + 1
                accumulators[window].lost += length
                accumulators[window].impair(first)
                accumulators[window].impair(last)
                let after = seq < limit && status[seq] & delivered != 0 ? sendTime[seq] : nil
                let period = LossPeriod(
                    firstSequence: UInt64(first), lastSequence: UInt64(last), length: UInt64(length),
                    estimatedStartNanoseconds: sendTime[first],
                    deliveredBeforeSentNanoseconds: lastDeliveredSeq.flatMap { $0 == first - 1 ? sendTime[$0] : nil },
                    deliveredAfterSentNanoseconds: after)
                periods.append((period, window))
            }
        }

        // 4. Figures per window.
        let endOfCapture = limit > 0 ? sendTime[limit - 1] : capture.sender.lastSendNanoseconds
        // Batched sending (ProbeBatching): consecutive packets may be one batch span apart.
        let resolution = max(interval, Double(capture.sender.batchSpanNanoseconds))
        let context = Context(
            status: status, sendTime: sendTime, limit: limit, interval: interval, resolution: resolution,
            endOfCapture: endOfCapture)
        var windows: [ProbeFigures] = []
        for index in 0..<windowCount {
            let fault = index == 0 ? nil : sortedFaults[index - 1]
            var figures = context.figures(
                accumulators[index], periods: periods.filter { $0.window == index }.map(\.period),
                scope: fault.map { "step \($0.stepIndex + 1)" } ?? "before first fault")
            figures.stepIndex = fault?.stepIndex
            figures.event = fault.map { event(for: $0.kind) }
            figures.fromNanoseconds = index == 0 ? nil : boundaries[index - 1]
            figures.toNanoseconds = index < boundaries.count ? boundaries[index] : nil
            if let fault {
                figures.additiveBackupDelay = additiveDelay(
                    capture: capture, status: status,
                    faultAt: fault.at.nanoseconds &- min(tolerance, fault.at.nanoseconds),
                    recoveredAt: context.recoveryTime(accumulators[index]) ?? fault.at.nanoseconds,
                    windowEnd: figures.toNanoseconds ?? UInt64.max, interval: interval)
            }
            windows.append(figures)
        }

        // 5. The whole run.
        var total = Accumulator()
        for accumulator in accumulators { total.add(accumulator) }
        var run = context.figures(total, periods: periods.map(\.period), scope: "run")
        if let longest = windows.max(by: { $0.failoverTime.nanoseconds < $1.failoverTime.nanoseconds }) {
            run.failoverTime = longest.failoverTime
        }
        run.recovered = windows.allSatisfy(\.recovered)
        run.failoverTime.lowerBound = !run.recovered && run.failoverTime.lowerBound

        let beforeFirstFault = windows[0]
        var errors: [String] = []
        if capture.receiver.socketDrops > 0 {
            errors.append(
                "receiver socket dropped \(capture.receiver.socketDrops) datagrams (SO_RXQ_OVFL): "
                    + "loss figures include receiver overflow")
        }
        if unexpected > 0 { errors.append("\(unexpected) arrivals carried sequence numbers never sent") }
        return ProbeReport(
            probe: capture.configuration.probe, direction: capture.configuration.direction,
            streamID: capture.configuration.streamID, rate: capture.configuration.rate,
            flows: capture.configuration.flows, payloadSize: capture.configuration.payloadSize,
            intervalNanoseconds: interval, complete: capture.complete, drainNanoseconds: capture.drainNanoseconds,
            edgeToleranceNanoseconds: tolerance, run: run, beforeFirstFault: beforeFirstFault,
            windows: Array(windows.dropFirst()), sender: capture.sender, receiver: capture.receiver,
            unexpected: unexpected, pathNotClean: !sortedFaults.isEmpty && beforeFirstFault.lost > 0,
            measurementError: errors.isEmpty ? nil : errors.joined(separator: "; "),
            timestamping: capture.receiver.timestampSource)
    }

    private static func event(for kind: ProbeFault.Kind) -> String {
        switch kind {
        case .failure: "failover"
        case .restoration: "reversion"
        case .other: "change"
        }
    }

    /// Fills the send times of undelivered packets by linear interpolation between known ones.
    private static func interpolateSendTimes(_ sendTime: inout [UInt64], status: [UInt8], capture: ProbeCapture) {
        let count = sendTime.count
        guard count > 0 else { return }
        var known = [Bool](repeating: false, count: count)
        for index in 0..<count where status[index] & delivered != 0 { known[index] = true }
        if !known[0], capture.sender.firstSendNanoseconds != 0 {
            sendTime[0] = capture.sender.firstSendNanoseconds
            known[0] = true
        }
        if !known[count - 1], capture.sender.lastSendNanoseconds != 0 {
            sendTime[count - 1] = capture.sender.lastSendNanoseconds
            known[count - 1] = true
        }
        let interval = capture.intervalNanoseconds
        var previous: Int? = nil
        var index = 0
        while index < count {
            if known[index] {
                previous = index
                index += 1
                continue
            }
            var next = index
            while next < count, !known[next] { next += 1 }
            for gap in index..<next {
                if let previous, next < count {
                    let span = Double(sendTime[next]) - Double(sendTime[previous])
                    let fraction = Double(gap - previous) / Double(next - previous)
                    sendTime[gap] = sendTime[previous] &+ UInt64(max(0, (span * fraction).rounded()))
                } else if let previous {
                    sendTime[gap] = sendTime[previous] &+ UInt64((Double(gap - previous) * interval).rounded())
                } else if next < count {
                    let back = UInt64((Double(next - gap) * interval).rounded())
                    sendTime[gap] = sendTime[next] &- min(back, sendTime[next])
                } else {
                    sendTime[gap] =
                        capture.sender.scheduleStartNanoseconds &+ UInt64((Double(gap) * interval).rounded())
                }
            }
            index = next
        }
    }

    /// Median one-way delay of unimpaired packets sent in [recoveredAt, +1 s) within the window,
    /// minus that of packets sent in [faultAt − 1 s, faultAt).
    private static func additiveDelay(
        capture: ProbeCapture, status: [UInt8], faultAt: UInt64, recoveredAt: UInt64, windowEnd: UInt64,
        interval: Double
    ) -> TimeFigure? {
        var before: [Int64] = []
        var after: [Int64] = []
        let beforeStart = faultAt &- min(delaySampleNanoseconds, faultAt)
        let afterEnd = min(recoveredAt &+ delaySampleNanoseconds, windowEnd)
        for arrival in capture.arrivals where arrival.sequence < UInt64(status.count) {
            let flags = status[Int(arrival.sequence)]
            guard flags & (reorderedFlag | duplicatedFlag) == 0 else { continue }
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

    struct Accumulator {
        var received = 0
        var lost = 0
        var duplicated = 0
        var reordered = 0
        var sendErrors = 0
        var firstImpaired: Int?
        var lastImpaired: Int?

        mutating func impair(_ seq: Int) {
            firstImpaired = min(firstImpaired ?? seq, seq)
            lastImpaired = max(lastImpaired ?? seq, seq)
        }

        mutating func add(_ other: Accumulator) {
            received += other.received
            lost += other.lost
            duplicated += other.duplicated
            reordered += other.reordered
            sendErrors += other.sendErrors
            if let first = other.firstImpaired { impair(first) }
            if let last = other.lastImpaired { impair(last) }
        }
    }

    struct Context {
        let status: [UInt8]
        let sendTime: [UInt64]
        let limit: Int
        let interval: Double
        /// Outage resolution: max(interval, sender batch span), ns.
        let resolution: Double
        let endOfCapture: UInt64

        func unimpaired(_ seq: Int) -> Bool {
            let flags = status[seq]
            return flags & delivered != 0 && flags & (reorderedFlag | duplicatedFlag) == 0
        }

        /// Send time of the first unimpaired packet after the window's last impairment.
        func recoveryTime(_ accumulator: Accumulator) -> UInt64? {
            guard let last = accumulator.lastImpaired else { return nil }
            var seq = last + 1
            while seq < limit {
                if unimpaired(seq) { return sendTime[seq] }
                seq += 1
            }
            return nil
        }

        func figures(_ accumulator: Accumulator, periods: [LossPeriod], scope: String) -> ProbeFigures {
            var outage: Int64 = 0
            var recovered = true
            if let first = accumulator.firstImpaired {
                var seq = first - 1
                while seq >= 0, !unimpaired(seq) { seq -= 1 }
                let from = seq >= 0 ? sendTime[seq] : sendTime[first]
                let to: UInt64
                if let recovery = recoveryTime(accumulator) {
                    to = recovery
                } else {
                    to = max(endOfCapture, from)
                    recovered = false
                }
                outage = Int64(bitPattern: to &- from)
            }
            let lengths = periods.map { Int($0.length) }
            return ProbeFigures(
                scope: scope, stepIndex: nil, event: nil, fromNanoseconds: nil, toNanoseconds: nil,
                sent: accumulator.received + accumulator.lost, received: accumulator.received, lost: accumulator.lost,
                duplicated: accumulator.duplicated, reordered: accumulator.reordered,
                sendErrors: accumulator.sendErrors, lossPeriodCount: periods.count,
                lossPeriodMinLength: lengths.min(), lossPeriodMaxLength: lengths.max(),
                lossPeriods: Array(periods.prefix(100)),
                failoverTime: TimeFigure(
                    nanoseconds: outage, method: ProbeAnalysis.timestampMethod, resolutionNanoseconds: resolution,
                    lowerBound: !recovered),
                lossTime: TimeFigure(
                    nanoseconds: Int64((Double(accumulator.lost + accumulator.sendErrors) * interval).rounded()),
                    method: ProbeAnalysis.lossMethod, resolutionNanoseconds: resolution),
                recovered: recovered, additiveBackupDelay: nil)
        }
    }
}
