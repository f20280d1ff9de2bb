import FailoverModel

/// Incremental analysis state of one stream direction: arrivals are ingested as they come, and the
/// part of the stream that can no longer change (*settled*) is summarised without reference to the
/// faults, so that an evaluation costs about the same at minute 10 as at second 1.
///
/// - Ingesting an arrival is O(1).
/// - `settle` folds the sequences sent before the judging instant into per-block summaries
///   (`blockSize` sequences each) and a list of closed loss periods; each sequence is folded once.
/// - `report` sums the blocks per fault window (a block that straddles a window edge is re-read
///   sequence by sequence), attributes each settled loss period, and runs the per-sequence analysis
///   only over the unsettled tail (about one drain interval of packets).
///
/// A packet arriving for a settled sequence (later than the drain interval) or a duplicate of one
/// resets the summaries: the next report re-reads the stream once. `ProbeAnalysis.analyze` (batch)
/// uses the same code with nothing settled, so batch and incremental figures are the same.
public struct ProbeAnalyzer: Sendable {
    static let delivered: UInt8 = 1
    static let reorderedFlag: UInt8 = 2
    static let duplicatedFlag: UInt8 = 4
    static let failedFlag: UInt8 = 8
    /// Sequences per settled summary block.
    static let blockSize = 1024

    let configuration: ProbeStreamConfiguration
    /// A sender further behind its schedule in a fault window makes it unmeasured (ns).
    public var latenessBound: UInt64 = ProbeAnalysis.maximumSenderLatenessNanoseconds
    var interval: Double { configuration.intervalNanoseconds }
    /// How long before a fault instant the delivered packet before a loss period may have been sent
    /// and the period still be the fault's (see `ProbeAnalysis`): one interval + the lateness bound.
    var edgeTolerance: UInt64 {
        ProbeAnalysis.edgeTolerance(intervalNanoseconds: interval, latenessBound: latenessBound)
    }
    /// Per sequence: flags and send time (carried for delivered packets, interpolated otherwise).
    var status: [UInt8] = []
    var sendTime: [UInt64] = []
    var extraCopies: [Int: Int] = [:]
    var maxSeen: UInt64?
    /// Arrivals whose sequence number lay beyond anything the sender could have used.
    var implausible = 0
    /// Arrivals ingested (for the caller's bookkeeping).
    public private(set) var ingested = 0
    /// Failed-send ranges applied (the last one may still grow).
    var failedRangesApplied = 0
    /// Sequences below this are final and summarised in `blocks` and `periods`.
    var settled = 0
    var blocks: [Block] = []
    var periods: [Period] = []
    /// A late arrival or duplicate touched a settled sequence: summaries must be rebuilt.
    var needsReset = false
    /// Per-window sums of the complete settled blocks and the settled loss periods.
    var cache = WindowCache()

    /// Window sums of settled blocks and loss periods, valid while the fault instants they were
    /// computed with are unchanged and every later one comes after all they contain.
    struct WindowCache: Sendable {
        var boundaries: [UInt64] = []
        var windows: [Accumulator] = []
        var runPeriods = Accumulator()
        var blockCount = 0
        var periodCount = 0
        /// Latest send time (or loss-period bound) summed.
        var maxTime: UInt64 = 0
        /// Edge tolerance the loss periods were attributed with.
        var tolerance: UInt64 = 0

        func valid(boundaries new: [UInt64], blocks: Int, periods: Int, tolerance: UInt64) -> Bool {
            guard new.count >= boundaries.count, blockCount <= blocks, periodCount <= periods,
                tolerance == self.tolerance
            else { return false }
            for (index, value) in boundaries.enumerated() where new[index] != value { return false }
            return new.dropFirst(boundaries.count).allSatisfy { $0 > maxTime }
        }
    }

    struct Block: Sendable {
        var accumulator = Accumulator()
        var minTime = UInt64.max
        var maxTime: UInt64 = 0
    }

    /// A closed loss period with the send times that bound it.
    struct Period: Sendable {
        var period: LossPeriod
        /// Send time of the packet just before (or the period's estimated start, at the stream's start).
        var lower: UInt64
        /// Send time of the delivered packet just after (or of its last packet, when none followed).
        var upper: UInt64
    }

    public init(configuration: ProbeStreamConfiguration) {
        self.configuration = configuration
    }

    // MARK: ingest

    /// Records arrivals in the order the receiver saw them. Sequence numbers at or beyond `limit`
    /// are counted as implausible and not stored.
    public mutating func ingest(_ arrivals: some Sequence<ProbeArrival>, limit: UInt64) {
        for arrival in arrivals { ingest(arrival, limit: limit) }
    }

    mutating func ingest(_ arrival: ProbeArrival, limit: UInt64) {
        ingested += 1
        guard arrival.sequence < limit, arrival.sequence < UInt64(Int32.max) else {
            implausible += 1
            return
        }
        let seq = Int(arrival.sequence)
        if seq >= status.count {
            let grow = seq + 1 - status.count
            status.append(contentsOf: repeatElement(0, count: grow))
            sendTime.append(contentsOf: repeatElement(0, count: grow))
        }
        if seq < settled { needsReset = true }
        if status[seq] & Self.delivered != 0 {
            status[seq] |= Self.duplicatedFlag
            extraCopies[seq, default: 0] += 1
            return
        }
        status[seq] |= Self.delivered
        status[seq] &= ~Self.failedFlag
        sendTime[seq] = arrival.sentNanoseconds
        if let highest = maxSeen, arrival.sequence < highest { status[seq] |= Self.reorderedFlag }
        maxSeen = max(maxSeen ?? 0, arrival.sequence)
    }

    /// Makes room for `count` sequences and applies the sender's failed sends.
    mutating func prepare(sender: SenderStatistics) {
        let count = Int(min(sender.attempted, UInt64(Int32.max)))
        if count > status.count {
            status.append(contentsOf: repeatElement(0, count: count - status.count))
            sendTime.append(contentsOf: repeatElement(0, count: count - sendTime.count))
        }
        let ranges = sender.failedSequences
        var index = max(failedRangesApplied - 1, 0)
        while index < ranges.count {
            let range = ranges[index]
            if range.first < UInt64(count) {
                for seq in Int(range.first)...Int(min(range.last, UInt64(count - 1)))
                where status[seq] & Self.delivered == 0 {
                    if seq < settled && status[seq] & Self.failedFlag == 0 { needsReset = true }
                    status[seq] |= Self.failedFlag
                }
            }
            index += 1
        }
        failedRangesApplied = ranges.count
        if needsReset {
            needsReset = false
            settled = 0
            blocks = []
            periods = []
            cache = WindowCache()
        }
    }

    // MARK: settle

    /// Folds every sequence up to the last delivered one sent at or before `judgeBefore` into the
    /// summaries. Needs the sender's published statistics (schedule start, failed sends).
    public mutating func settle(sender: SenderStatistics, judgeBefore: UInt64) {
        guard sender.attempted > 0, sender.scheduleStartNanoseconds != 0 else { return }
        prepare(sender: sender)
        let count = Int(min(sender.attempted, UInt64(status.count)))
        var end = count - 1
        while end >= settled, !(status[end] & Self.delivered != 0 && sendTime[end] <= judgeBefore) { end -= 1 }
        guard end >= settled else { return }
        let stop = end + 1
        interpolate(from: settled, to: stop, count: count, sender: sender)
        var sink = BlockSink(blocks: blocks)
        walk(from: settled, to: stop, limit: stop, sender: sender, sink: &sink)
        blocks = sink.blocks
        periods.append(contentsOf: sink.periods)
        settled = stop
    }

    // MARK: walk

    /// Receives what a walk over sequences finds.
    protocol Sink {
        mutating func packet(_ seq: Int, time: UInt64, flags: UInt8, extra: Int, lateness: UInt64)
        mutating func period(_ period: Period)
    }

    struct BlockSink: Sink {
        var blocks: [Block]
        var periods: [Period] = []

        mutating func packet(_ seq: Int, time: UInt64, flags: UInt8, extra: Int, lateness: UInt64) {
            let index = seq / ProbeAnalyzer.blockSize
            while blocks.count <= index { blocks.append(Block()) }
            blocks[index].accumulator.add(seq, flags: flags, extra: extra, lateness: lateness)
            blocks[index].minTime = min(blocks[index].minTime, time)
            blocks[index].maxTime = max(blocks[index].maxTime, time)
        }

        mutating func period(_ period: Period) { periods.append(period) }
    }

    /// Lateness of a delivered packet behind its schedule (its batch's deadline), ns.
    func lateness(_ seq: Int, sender: SenderStatistics) -> UInt64 {
        guard sender.scheduleStartNanoseconds != 0 else { return 0 }
        let batch = max(sender.batchSize, 1)
        let first = seq - seq % batch
        let deadline = sender.scheduleStartNanoseconds &+ UInt64((Double(first) * interval).rounded())
        return sendTime[seq] > deadline ? sendTime[seq] - deadline : 0
    }

    /// Walks sequences `from..<to` (loss runs may look ahead up to `limit`): every non-lost packet
    /// and every loss period goes to `sink`. `from` must follow a non-lost sequence (or be 0).
    func walk(from: Int, to: Int, limit: Int, sender: SenderStatistics, sink: inout some Sink) {
        var seq = from
        while seq < to {
            let flags = status[seq]
            if flags & (Self.delivered | Self.failedFlag) != 0 {
                let late = flags & Self.delivered != 0 ? lateness(seq, sender: sender) : 0
                sink.packet(seq, time: sendTime[seq], flags: flags, extra: extraCopies[seq] ?? 0, lateness: late)
                seq += 1
                continue
            }
            let first = seq
            while seq < limit, status[seq] & (Self.delivered | Self.failedFlag) == 0 { seq += 1 }
            let last = seq - 1
            let afterDelivered = seq < limit && status[seq] & Self.delivered != 0
            let beforeDelivered = first > 0 && status[first - 1] & Self.delivered != 0
            let lower = first > 0 ? sendTime[first - 1] : sendTime[first] &- min(1, sendTime[first])
            let upper = seq < limit ? sendTime[seq] : sendTime[last]
            let period = LossPeriod(
                firstSequence: UInt64(first), lastSequence: UInt64(last), length: UInt64(last - first + 1),
                estimatedStartNanoseconds: sendTime[first],
                deliveredBeforeSentNanoseconds: beforeDelivered ? sendTime[first - 1] : nil,
                deliveredAfterSentNanoseconds: afterDelivered ? sendTime[seq] : nil)
            sink.period(Period(period: period, lower: lower, upper: upper))
        }
    }

    /// Fills the send times of undelivered packets in `from..<to` by linear interpolation between
    /// the delivered ones around them; the sender's first and last send times anchor the ends of
    /// the stream (`count` sequences). `from - 1` must be delivered or `from` 0.
    mutating func interpolate(from: Int, to: Int, count: Int, sender: SenderStatistics) {
        guard from < to else { return }
        func known(_ index: Int) -> Bool {
            status[index] & Self.delivered != 0 || (index == 0 && sender.firstSendNanoseconds != 0)
                || (index == count - 1 && sender.lastSendNanoseconds != 0)
        }
        if status[0] & Self.delivered == 0, from == 0, sender.firstSendNanoseconds != 0 {
            sendTime[0] = sender.firstSendNanoseconds
        }
        if to == count, status[count - 1] & Self.delivered == 0, sender.lastSendNanoseconds != 0 {
            sendTime[count - 1] = sender.lastSendNanoseconds
        }
        var previous: Int? = from > 0 ? from - 1 : nil
        var index = from
        while index < to {
            if known(index) {
                previous = index
                index += 1
                continue
            }
            var next = index
            while next < to, !known(next) { next += 1 }
            // Past `to` the next known packet is further on (settling stops at a delivered one).
            var anchor: Int? = next < to ? next : nil
            if anchor == nil {
                var probe = to
                while probe < count, !known(probe) { probe += 1 }
                if probe < count { anchor = probe }
            }
            for gap in index..<next {
                if let previous, let anchor {
                    let span = Double(sendTime[anchor]) - Double(sendTime[previous])
                    let fraction = Double(gap - previous) / Double(anchor - previous)
                    sendTime[gap] = sendTime[previous] &+ UInt64(max(0, (span * fraction).rounded()))
                } else if let previous {
                    sendTime[gap] = sendTime[previous] &+ UInt64((Double(gap - previous) * interval).rounded())
                } else if let anchor {
                    let back = UInt64((Double(anchor - gap) * interval).rounded())
                    sendTime[gap] = sendTime[anchor] &- min(back, sendTime[anchor])
                } else {
                    sendTime[gap] = sender.scheduleStartNanoseconds &+ UInt64((Double(gap) * interval).rounded())
                }
            }
            index = next
        }
    }
}

/// Counts of one scope (a window, a block, the run).
struct Accumulator: Sendable {
    var received = 0
    var lost = 0
    var duplicated = 0
    var reordered = 0
    var sendErrors = 0
    var firstImpaired: Int?
    var lastImpaired: Int?
    /// Largest lateness behind schedule of a delivered packet, ns.
    var maxLateness: UInt64 = 0
    var periodCount = 0
    var periodMin: Int?
    var periodMax: Int?
    var periods: [LossPeriod] = []

    mutating func impair(_ seq: Int) {
        firstImpaired = min(firstImpaired ?? seq, seq)
        lastImpaired = max(lastImpaired ?? seq, seq)
    }

    mutating func add(_ seq: Int, flags: UInt8, extra: Int, lateness: UInt64) {
        if flags & ProbeAnalyzer.delivered != 0 {
            received += 1
            maxLateness = max(maxLateness, lateness)
            if flags & ProbeAnalyzer.reorderedFlag != 0 {
                reordered += 1
                impair(seq)
            }
            if flags & ProbeAnalyzer.duplicatedFlag != 0 {
                duplicated += extra
                impair(seq)
            }
        } else if flags & ProbeAnalyzer.failedFlag != 0 {
            sendErrors += 1
            impair(seq)
        }
    }

    mutating func add(period: LossPeriod) {
        let length = Int(period.length)
        lost += length
        impair(Int(period.firstSequence))
        impair(Int(period.lastSequence))
        periodCount += 1
        periodMin = min(periodMin ?? length, length)
        periodMax = max(periodMax ?? length, length)
        if periods.count < 100 { periods.append(period) }
    }

    mutating func add(_ other: Accumulator) {
        received += other.received
        lost += other.lost
        duplicated += other.duplicated
        reordered += other.reordered
        sendErrors += other.sendErrors
        maxLateness = max(maxLateness, other.maxLateness)
        if let first = other.firstImpaired { impair(first) }
        if let last = other.lastImpaired { impair(last) }
        periodCount += other.periodCount
        if let value = other.periodMin { periodMin = min(periodMin ?? value, value) }
        if let value = other.periodMax { periodMax = max(periodMax ?? value, value) }
        for period in other.periods where periods.count < 100 { periods.append(period) }
    }
}
