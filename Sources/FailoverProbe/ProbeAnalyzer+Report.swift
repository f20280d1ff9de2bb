import FailoverModel

extension ProbeAnalyzer {
    /// Window accumulators filled by a walk over the unsettled tail.
    struct WindowSink: Sink {
        let boundaries: [UInt64]
        /// Edge tolerance of loss-period attribution (`ProbeAnalyzer.edgeTolerance`).
        let tolerance: UInt64
        var windows: [Accumulator]
        var periods: [LossPeriod] = []

        mutating func packet(_ seq: Int, time: UInt64, flags: UInt8, extra: Int, lateness: UInt64) {
            windows[ProbeAnalyzer.window(of: time, boundaries: boundaries)].add(
                seq, flags: flags, extra: extra, lateness: lateness)
        }

        mutating func period(_ period: Period) {
            windows[ProbeAnalyzer.window(of: period, boundaries: boundaries, tolerance: tolerance)].add(
                period: period.period)
            periods.append(period.period)
        }
    }

    /// Number of boundaries at or before `time`: the index of its window.
    static func window(of time: UInt64, boundaries: [UInt64]) -> Int {
        var low = 0
        var high = boundaries.count
        while low < high {
            let mid = (low + high) / 2
            if boundaries[mid] <= time { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The window of a loss period (see `ProbeAnalysis` for the rule): by the send times carried
    /// by the delivered packets around it, never by the interpolated send times of its lost packets
    /// (a sender that stalled and caught up in a burst sent them later than interpolated).
    static func window(of period: Period, boundaries: [UInt64], tolerance: UInt64) -> Int {
        window(lower: period.lower, upper: period.upper, boundaries: boundaries, tolerance: tolerance)
    }

    /// The window of a loss period between a delivered packet sent at `lower` and one sent at
    /// `upper`: the first fault instant in (`lower`, `upper`] claims it when `lower` lies at most
    /// `tolerance` before it; otherwise it is the window of `lower`.
    static func window(lower: UInt64, upper: UInt64, boundaries: [UInt64], tolerance: UInt64) -> Int {
        let firstAfterLower = window(of: lower, boundaries: boundaries)
        if firstAfterLower < boundaries.count, boundaries[firstAfterLower] <= upper,
            lower &+ tolerance >= boundaries[firstAfterLower]
        {
            return firstAfterLower + 1
        }
        return firstAfterLower
    }

    /// The figures of everything ingested so far, judged at `judgeSentBefore`, per fault window.
    /// Costs O(settled blocks + settled loss periods + unsettled tail); call `settle` regularly.
    public mutating func report(
        sender: SenderStatistics, receiver: ReceiverStatistics, judgeSentBefore: UInt64, complete: Bool,
        drainNanoseconds: UInt64, faults: [ProbeFault]
    ) -> ProbeReport {
        prepare(sender: sender)
        let count = Int(min(sender.attempted, UInt64(Int32.max)))
        settled = min(settled, count)
        interpolate(from: settled, to: count, count: count, sender: sender)
        var limit = count
        while limit > settled, status[limit - 1] & Self.delivered == 0, sendTime[limit - 1] > judgeSentBefore {
            limit -= 1
        }
        let sortedFaults = faults.sorted { $0.at < $1.at }
        let boundaries = sortedFaults.map(\.at.nanoseconds)

        // Settled blocks and loss periods: complete blocks and periods are summed per window once and
        // cached while the windows they fall in stay the same (new faults come after them).
        let completeBlocks = settled / Self.blockSize
        let tolerance = edgeTolerance
        if !cache.valid(boundaries: boundaries, blocks: completeBlocks, periods: periods.count, tolerance: tolerance) {
            cache = WindowCache()
            cache.tolerance = tolerance
        }
        var cached = WindowSink(boundaries: boundaries, tolerance: tolerance, windows: cache.windows)
        while cached.windows.count < boundaries.count + 1 { cached.windows.append(Accumulator()) }
        for index in cache.blockCount..<completeBlocks {
            add(block: index, into: &cached, sender: sender)
            cache.maxTime = max(cache.maxTime, blocks[index].maxTime)
        }
        for period in periods[cache.periodCount...] {
            cached.windows[Self.window(of: period, boundaries: boundaries, tolerance: tolerance)].add(
                period: period.period)
            cache.runPeriods.add(period: period.period)
            cache.maxTime = max(cache.maxTime, period.upper)
        }
        cache.windows = cached.windows
        cache.boundaries = boundaries
        cache.blockCount = completeBlocks
        cache.periodCount = periods.count
        var sink = WindowSink(boundaries: boundaries, tolerance: tolerance, windows: cache.windows)
        for index in completeBlocks..<blocks.count { add(block: index, into: &sink, sender: sender) }
        var runPeriods = cache.runPeriods
        walk(from: settled, to: limit, limit: limit, sender: sender, sink: &sink)
        for period in sink.periods { runPeriods.add(period: period) }

        // Mid-run, arrivals may be ahead of the sender's published count: only the final count judges them.
        var unexpected = implausible
        if complete, status.count > count {
            for seq in count..<status.count where status[seq] & Self.delivered != 0 {
                unexpected += 1 + (extraCopies[seq] ?? 0)
            }
        }

        let endOfCapture = limit > 0 ? sendTime[limit - 1] : sender.lastSendNanoseconds
        let resolution = max(interval, Double(sender.batchSpanNanoseconds))
        let streamEnd = complete ? sender.lastSendNanoseconds : judgeSentBefore
        var windows: [ProbeFigures] = []
        for index in 0...boundaries.count {
            let fault = index == 0 ? nil : sortedFaults[index - 1]
            var figures = self.figures(
                sink.windows[index], limit: limit, endOfCapture: endOfCapture, resolution: resolution,
                scope: fault.map { "step \($0.stepIndex + 1)" } ?? "before first fault")
            figures.stepIndex = fault?.stepIndex
            figures.event = fault.map { ProbeAnalysis.event(for: $0.kind) }
            figures.fromNanoseconds = index == 0 ? nil : boundaries[index - 1]
            figures.toNanoseconds = index < boundaries.count ? boundaries[index] : nil
            figures.lostPerFlow = lostPerFlow(sink.windows[index], sender: sender)
            if let reason = Self.unmeasuredReason(
                figures, sender: sender, complete: complete, streamEnd: streamEnd, resolution: resolution,
                isFaultWindow: fault != nil, latenessBound: latenessBound)
            {
                figures.measured = false
                figures.unmeasuredReason = reason
            }
            windows.append(figures)
        }

        var total = Accumulator()
        for accumulator in sink.windows { total.add(accumulator) }
        total.periods = runPeriods.periods
        var run = figures(total, limit: limit, endOfCapture: endOfCapture, resolution: resolution, scope: "run")
        run.lostPerFlow = lostPerFlow(total, sender: sender)
        if let longest = windows.max(by: { $0.failoverTime.nanoseconds < $1.failoverTime.nanoseconds }) {
            run.failoverTime = longest.failoverTime
        }
        run.recovered = windows.allSatisfy(\.recovered)
        run.failoverTime.lowerBound = !run.recovered && run.failoverTime.lowerBound
        if let reason = Self.unmeasuredReason(
            run, sender: sender, complete: complete, streamEnd: streamEnd, resolution: resolution,
            isFaultWindow: false, latenessBound: latenessBound)
        {
            run.measured = false
            run.unmeasuredReason = reason
        }

        let beforeFirstFault = windows[0]
        var errors: [String] = []
        if receiver.socketDrops > 0 {
            errors.append(
                "receiver socket dropped \(receiver.socketDrops) datagrams (SO_RXQ_OVFL): "
                    + "loss figures include receiver overflow")
        }
        if unexpected > 0 { errors.append("\(unexpected) arrivals carried sequence numbers never sent") }
        // What the delivered packets' carried send times show in the fault windows: a sender that
        // lagged while starting and caught up before the first fault falsifies no figure (loss counts
        // are by sequence number), one behind in a fault window does (its rate and edges).
        let lateness = windows.dropFirst().map(\.senderMaxLatenessNanoseconds).max() ?? 0
        if lateness > latenessBound {
            errors.append(
                "sender fell \(formatMilliseconds(Double(lateness) / 1e6)) ms behind its schedule in a fault window "
                    + "(bound \(formatMilliseconds(Double(latenessBound) / 1e6)) ms): "
                    + "it did not send at the declared rate")
        }
        return ProbeReport(
            probe: configuration.probe, direction: configuration.direction, streamID: configuration.streamID,
            rate: configuration.rate, flows: configuration.flows, payloadSize: configuration.payloadSize,
            intervalNanoseconds: interval, complete: complete, drainNanoseconds: drainNanoseconds,
            edgeToleranceNanoseconds: tolerance,
            run: run, beforeFirstFault: beforeFirstFault, windows: Array(windows.dropFirst()), sender: sender,
            receiver: receiver, unexpected: unexpected,
            pathNotClean: !sortedFaults.isEmpty && beforeFirstFault.lost > 0,
            measurementError: errors.isEmpty ? nil : errors.joined(separator: "; "),
            timestamping: receiver.timestampSource)
    }

    /// Adds a settled block to the windows: whole when inside one window, else sequence by sequence.
    func add(block index: Int, into sink: inout WindowSink, sender: SenderStatistics) {
        let block = blocks[index]
        guard block.minTime <= block.maxTime else { return }
        let first = Self.window(of: block.minTime, boundaries: sink.boundaries)
        if first == Self.window(of: block.maxTime, boundaries: sink.boundaries) {
            sink.windows[first].add(block.accumulator)
            return
        }
        for seq in (index * Self.blockSize)..<min((index + 1) * Self.blockSize, settled) {
            let flags = status[seq]
            guard flags & (Self.delivered | Self.failedFlag) != 0 else { continue }
            sink.packet(
                seq, time: sendTime[seq], flags: flags, extra: extraCopies[seq] ?? 0,
                lateness: flags & Self.delivered != 0 ? lateness(seq, sender: sender) : 0)
        }
    }

    /// Why a scope's figures describe no measurement, if they do not.
    static func unmeasuredReason(
        _ figures: ProbeFigures, sender: SenderStatistics, complete: Bool, streamEnd: UInt64, resolution: Double,
        isFaultWindow: Bool, latenessBound: UInt64
    ) -> String? {
        if sender.attempted == 0 || sender.firstSendNanoseconds == 0 {
            return "not started: the probe sent nothing"
        }
        if isFaultWindow, let from = figures.fromNanoseconds {
            if sender.firstSendNanoseconds > from {
                return "not started: the probe's first packet left after the window opened"
            }
            if complete, sender.lastSendNanoseconds < from {
                return "stopped: the probe stopped before the window opened"
            }
            if complete, let to = figures.toNanoseconds,
                Double(sender.lastSendNanoseconds) + resolution + 1e6 < Double(to)
            {
                return "stopped: the probe stopped sending before the window closed"
            }
        }
        if isFaultWindow, figures.senderMaxLatenessNanoseconds > latenessBound {
            return "sender behind: up to \(formatMilliseconds(Double(figures.senderMaxLatenessNanoseconds) / 1e6)) ms "
                + "behind its schedule (bound \(formatMilliseconds(Double(latenessBound) / 1e6)) ms)"
        }
        if figures.sent + figures.sendErrors == 0 {
            if let from = figures.fromNanoseconds, from >= streamEnd {
                return "no packets: none judged yet (packets sent in the last drain interval are in flight)"
            }
            return "no packets: none were sent in it"
        }
        return nil
    }

    func unimpaired(_ seq: Int) -> Bool {
        let flags = status[seq]
        return flags & Self.delivered != 0 && flags & (Self.reorderedFlag | Self.duplicatedFlag) == 0
    }

    /// Send time of the first unimpaired packet after the accumulator's last impairment.
    func recoveryTime(_ accumulator: Accumulator, limit: Int) -> UInt64? {
        guard let last = accumulator.lastImpaired else { return nil }
        var seq = last + 1
        while seq < limit {
            if unimpaired(seq) { return sendTime[seq] }
            seq += 1
        }
        return nil
    }

    func figures(
        _ accumulator: Accumulator, limit: Int, endOfCapture: UInt64, resolution: Double, scope: String
    ) -> ProbeFigures {
        var outage: Int64 = 0
        var recovered = true
        let recovery = recoveryTime(accumulator, limit: limit)
        if let first = accumulator.firstImpaired {
            var seq = first - 1
            while seq >= 0, !unimpaired(seq) { seq -= 1 }
            let from = seq >= 0 ? sendTime[seq] : sendTime[first]
            let to: UInt64
            if let recovery {
                to = recovery
            } else {
                to = max(endOfCapture, from)
                recovered = false
            }
            outage = Int64(bitPattern: to &- from)
        }
        var figures = ProbeFigures(
            scope: scope, stepIndex: nil, event: nil, fromNanoseconds: nil, toNanoseconds: nil,
            sent: accumulator.received + accumulator.lost, received: accumulator.received, lost: accumulator.lost,
            duplicated: accumulator.duplicated, reordered: accumulator.reordered,
            sendErrors: accumulator.sendErrors, lossPeriodCount: accumulator.periodCount,
            lossPeriodMinLength: accumulator.periodMin, lossPeriodMaxLength: accumulator.periodMax,
            lossPeriods: accumulator.periods,
            failoverTime: TimeFigure(
                nanoseconds: outage, method: ProbeAnalysis.timestampMethod, resolutionNanoseconds: resolution,
                lowerBound: !recovered),
            lossTime: TimeFigure(
                nanoseconds: Int64((Double(accumulator.lost + accumulator.sendErrors) * interval).rounded()),
                method: ProbeAnalysis.lossMethod, resolutionNanoseconds: resolution),
            recovered: recovered, additiveBackupDelay: nil)
        figures.senderMaxLatenessNanoseconds = accumulator.maxLateness
        figures.recoveryNanoseconds = recovery
        return figures
    }

    /// The lost packets of a scope by flow: sequence `s` went out on flow `(s / batch) % flows`
    /// (the sender rotates the flows per packet, or per `sendmmsg` batch). nil for one flow, no
    /// loss, or when the per-flow sum does not match the scope's loss count.
    func lostPerFlow(_ accumulator: Accumulator, sender: SenderStatistics) -> [FlowLoss]? {
        let flows = configuration.flows
        guard flows > 1, accumulator.lost > 0, let first = accumulator.firstImpaired,
            let last = accumulator.lastImpaired, first >= 0, last < status.count
        else { return nil }
        let batch = max(sender.batchSize, 1)
        var counts = [Int](repeating: 0, count: flows)
        for seq in first...last where status[seq] & (Self.delivered | Self.failedFlag) == 0 {
            counts[(seq / batch) % flows] += 1
        }
        guard counts.reduce(0, +) == accumulator.lost else { return nil }
        return counts.enumerated().map { flow, lost in
            FlowLoss(
                flow: flow, sourcePort: flow < sender.sourcePorts.count ? sender.sourcePorts[flow] : nil, lost: lost)
        }
    }
}
