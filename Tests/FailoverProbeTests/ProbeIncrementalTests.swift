import FailoverModel
import Foundation
import Logging
import Testing

@testable import FailoverProbe

/// Sender statistics of the first `attempted` packets of a `SyntheticCapture`-like stream.
private func senderStatistics(attempted: Int, failed: [ClosedRange<Int>] = [], shift: (Int) -> UInt64 = { _ in 0 })
    -> SenderStatistics
{
    var sender = SenderStatistics()
    sender.attempted = UInt64(attempted)
    sender.scheduleStartNanoseconds = SyntheticCapture.base
    sender.firstSendNanoseconds = SyntheticCapture.base
    sender.lastSendNanoseconds = SyntheticCapture.sent(attempted - 1) + shift(attempted - 1)
    for range in failed {
        for seq in range where seq < attempted { sender.recordFailure(sequence: UInt64(seq), errno: 101) }
    }
    sender.sent = sender.attempted - sender.failed
    return sender
}

private func withoutDelays(_ report: ProbeReport) -> ProbeReport {
    var copy = report
    for index in copy.windows.indices { copy.windows[index].additiveBackupDelay = nil }
    return copy
}

@Suite("Incremental probe analysis")
struct ProbeIncrementalTests {
    @Test("incremental figures equal batch figures on the same arrivals, at every evaluation")
    func incrementalEqualsBatch() throws {
        // 1000 pps, 20 000 packets: loss periods, a reordered pair, a duplicate, send errors, one packet
        // 2 s late (it lands in the settled part and forces a rebuild), three faults.
        let attempted = 20_000
        let failed = [17_000...17_009]
        var order = SyntheticCapture.allBut(
            attempted, [3000...3049, 8000...8000, 9000...9000, 12_000...12_199, 15_500...15_519, 17_000...17_009])
        if let index = order.firstIndex(of: 5000) { order.swapAt(index, index + 1) }
        if let index = order.firstIndex(of: 7000) { order.insert(7000, at: index + 1) }
        if let index = order.firstIndex(of: 10_000) { order.insert(8000, at: index + 1) }
        let delay: (Int) -> UInt64 = { $0 == 8000 ? 2_000_200_000 : 100_000 }
        let synthetic = SyntheticCapture(attempted: attempted, order: order, failed: failed, delay: delay)
        let full = synthetic.capture()
        let faults = [
            ProbeFault(stepIndex: 1, at: SyntheticCapture.at(ms: 2999.5), kind: .failure),
            ProbeFault(stepIndex: 3, at: SyntheticCapture.at(ms: 12_000), kind: .restoration),
            ProbeFault(stepIndex: 5, at: SyntheticCapture.at(ms: 15_000), kind: .other),
        ]
        var analyzer = ProbeAnalyzer(configuration: full.configuration)
        var fed = 0
        var compared = 0
        var maxTail = 0
        for cut in stride(from: 500, through: attempted, by: 700) + [attempted] {
            let now = SyntheticCapture.sent(cut - 1) + 100_000
            // Arrivals up to now, in arrival order; the sender has attempted `cut` packets.
            let prefix = Array(full.arrivals.prefix { $0.receivedNanoseconds <= now })
            let sender = senderStatistics(attempted: cut, failed: failed)
            let judge = now - 50_000_000
            var receiver = ReceiverStatistics()
            receiver.received = UInt64(prefix.count)
            let known = faults.filter { $0.at.nanoseconds <= now }
            // Incremental: feed only what is new since the previous evaluation.
            let fresh = prefix.dropFirst(fed)
            analyzer.ingest(fresh, limit: UInt64(cut))
            fed = prefix.count
            analyzer.settle(sender: sender, judgeBefore: judge)
            let incremental = analyzer.report(
                sender: sender, receiver: receiver, judgeSentBefore: judge, complete: false, drainNanoseconds: 0,
                faults: known)
            maxTail = max(maxTail, cut - analyzer.settled)
            let batch = ProbeAnalysis.analyze(
                ProbeCapture(
                    configuration: full.configuration, sender: sender, receiver: receiver, arrivals: prefix,
                    takenAt: MonotonicInstant(nanoseconds: now), judgeSentBefore: MonotonicInstant(nanoseconds: judge),
                    complete: false),
                faults: known)
            #expect(withoutDelays(incremental) == withoutDelays(batch), "at \(cut) packets")
            compared += 1
        }
        #expect(compared == 29)
        // Only about the drain interval (50 packets) plus the reordering horizon stays unsettled.
        #expect(maxTail < 200)
        #expect(analyzer.settled > attempted - 100)
        // The late packet and the figures the comparison covered.
        let final = withoutDelays(ProbeAnalysis.analyze(full, faults: faults))
        #expect(final.run.lost == 50 + 1 + 200 + 20)
        #expect(final.run.reordered == 2)
        #expect(final.run.duplicated == 1)
        #expect(final.run.sendErrors == 10)
    }

    @Test("a settled stream is summarised: a report walks only the unsettled tail")
    func reportCostIsBounded() {
        let attempted = 200_000
        let synthetic = SyntheticCapture(
            attempted: attempted, order: SyntheticCapture.allBut(attempted, [150_000...150_049]))
        let capture = synthetic.capture()
        var analyzer = ProbeAnalyzer(configuration: capture.configuration)
        analyzer.ingest(capture.arrivals, limit: UInt64(attempted))
        let judge = SyntheticCapture.sent(attempted - 1) - 50_000_000
        analyzer.settle(sender: capture.sender, judgeBefore: judge)
        #expect(analyzer.settled == attempted - 50)
        #expect(analyzer.blocks.count == (attempted - 50 + ProbeAnalyzer.blockSize - 1) / ProbeAnalyzer.blockSize)
        #expect(analyzer.periods.count == 1)
        let report = analyzer.report(
            sender: capture.sender, receiver: capture.receiver, judgeSentBefore: judge, complete: false,
            drainNanoseconds: 0, faults: [ProbeFault(stepIndex: 2, at: SyntheticCapture.at(ms: 149_999.5))])
        #expect(report.windows.first?.lost == 50)
        #expect(report.windows.first?.failoverTime.nanoseconds == 51_000_000)
        #expect(report.beforeFirstFault.sent == 150_000)
    }

    @Test("settled loss periods are attributed with the current edge tolerance: a changed lateness bound re-files them")
    func settledPeriodsFollowTheBound() {
        // 1000 pps, loss 100...899 (the packet before it left at 99 ms), fault at 800 ms: 701 ms after
        // it, inside the tolerance of a 700 ms bound (TCG) and outside that of the 100 ms host bound.
        let attempted = 5000
        let synthetic = SyntheticCapture(attempted: attempted, order: SyntheticCapture.allBut(attempted, [100...899]))
        let capture = synthetic.capture()
        var analyzer = ProbeAnalyzer(configuration: capture.configuration)
        analyzer.ingest(capture.arrivals, limit: UInt64(attempted))
        let judge = SyntheticCapture.sent(attempted - 1) - 50_000_000
        analyzer.settle(sender: capture.sender, judgeBefore: judge)
        #expect(analyzer.periods.count == 1)
        let faults = [ProbeFault(stepIndex: 2, at: SyntheticCapture.at(ms: 800))]
        func report() -> ProbeReport {
            analyzer.report(
                sender: capture.sender, receiver: capture.receiver, judgeSentBefore: judge, complete: false,
                drainNanoseconds: 0, faults: faults)
        }
        let host = report()
        #expect(host.beforeFirstFault.lost == 800)
        #expect(host.windows.first?.lost == 0)
        analyzer.latenessBound = 700_000_000
        let tcg = report()
        #expect(tcg.beforeFirstFault.lost == 0)
        #expect(tcg.windows.first?.lost == 800)
        analyzer.latenessBound = ProbeAnalysis.maximumSenderLatenessNanoseconds
        #expect(report().beforeFirstFault.lost == 800)
    }
}

@Suite("Unmeasured windows")
struct ProbeUnmeasuredTests {
    static let faultAt = SyntheticCapture.at(ms: 500)

    @Test("a window the probe sent across is measured")
    func measured() throws {
        let report = ProbeAnalysis.analyze(
            SyntheticCapture(attempted: 1000, order: Array(0..<1000)).capture(),
            faults: [ProbeFault(stepIndex: 1, at: Self.faultAt, kind: .failure)])
        let window = try #require(report.window(step: 1))
        #expect(window.measured)
        #expect(window.unmeasuredReason == nil)
        let result = try #require(
            ProbeAnalysis.evaluate(.loss(probe: "p", .lastFault, .equals(0)), report: report, currentStep: 2))
        #expect(result.holds)
        #expect(result.unmeasured == nil)
    }

    @Test("not started: the probe's first packet left after the window opened (start: manual)")
    func notStarted() throws {
        // The probe started at 0 ms; the fault came 1 ms before.
        let report = ProbeAnalysis.analyze(
            SyntheticCapture(attempted: 1000, order: Array(0..<1000)).capture(),
            faults: [
                ProbeFault(
                    stepIndex: 1, at: MonotonicInstant(nanoseconds: SyntheticCapture.base - 1_000_000), kind: .failure)
            ])
        let window = try #require(report.window(step: 1))
        #expect(!window.measured)
        #expect(window.unmeasuredReason?.hasPrefix("not started") == true)
        let result = try #require(
            ProbeAnalysis.evaluate(.loss(probe: "p", .step(1), .equals(0)), report: report, currentStep: 2))
        #expect(result.unmeasured?.contains("nothing measured") == true)
        #expect(result.actual.hasSuffix("(unmeasured)"))
        // A fault at the first packet's send time: the probe was sending.
        let atStart = ProbeAnalysis.analyze(
            SyntheticCapture(attempted: 1000, order: Array(0..<1000)).capture(),
            faults: [ProbeFault(stepIndex: 1, at: SyntheticCapture.at(ms: 0), kind: .failure)])
        #expect(try #require(atStart.window(step: 1)).measured)
    }

    @Test("stopped: stop_probe before the window closed, or before it opened")
    func stopped() throws {
        // 1000 packets, the last sent at 999 ms; faults at 500 ms, 1001.5 ms and 1200 ms.
        let report = ProbeAnalysis.analyze(
            SyntheticCapture(attempted: 1000, order: Array(0..<1000)).capture(),
            faults: [
                ProbeFault(stepIndex: 1, at: Self.faultAt, kind: .failure),
                ProbeFault(stepIndex: 3, at: SyntheticCapture.at(ms: 1001.5), kind: .restoration),
                ProbeFault(stepIndex: 5, at: SyntheticCapture.at(ms: 1200), kind: .failure),
            ])
        // The window of step 1 ends 2.5 ms after the last packet: more than one interval + 1 ms.
        let first = try #require(report.window(step: 1))
        #expect(!first.measured)
        #expect(first.unmeasuredReason?.contains("stopped sending before the window closed") == true)
        let second = try #require(report.window(step: 3))
        #expect(second.unmeasuredReason?.contains("stopped before the window opened") == true)
        #expect(second.sent == 0)
        // Just inside: the next fault 1.5 ms after the last packet (interval 1 ms + 1 ms): measured.
        let inside = ProbeAnalysis.analyze(
            SyntheticCapture(attempted: 1000, order: Array(0..<1000)).capture(),
            faults: [
                ProbeFault(stepIndex: 1, at: Self.faultAt, kind: .failure),
                ProbeFault(stepIndex: 3, at: SyntheticCapture.at(ms: 1000.5), kind: .restoration),
            ])
        #expect(try #require(inside.window(step: 1)).measured)
    }

    @Test("sender behind: a window whose packets left more than 100 ms late is unmeasured, the probe errored")
    func senderBehind() throws {
        func report(lateMs: UInt64) -> ProbeReport {
            var synthetic = SyntheticCapture(attempted: 1000, order: Array(0..<1000))
            synthetic.sendShift = { $0 >= 600 ? lateMs * 1_000_000 : 0 }
            return ProbeAnalysis.analyze(
                synthetic.capture(),
                faults: [ProbeFault(stepIndex: 1, at: Self.faultAt, kind: .failure)])
        }
        let late = report(lateMs: 101)
        let window = try #require(late.window(step: 1))
        #expect(!window.measured)
        #expect(window.unmeasuredReason?.hasPrefix("sender behind") == true)
        #expect(window.senderMaxLatenessNanoseconds == 101_000_000)
        #expect(ProbeAnalysis.measurementProblem([late])?.contains("behind its schedule") == true)
        let onTime = report(lateMs: 99)
        #expect(try #require(onTime.window(step: 1)).measured)
        #expect(ProbeAnalysis.measurementProblem([onTime]) == nil)
    }

    @Test("no packets: a window that opened within the drain interval of a snapshot judged nothing")
    func noPackets() throws {
        // Snapshot judged up to 900 ms; the fault at 950 ms; nothing arrived after it.
        var synthetic = SyntheticCapture(attempted: 1000, order: Array(0..<950))
        synthetic.judgeBefore = SyntheticCapture.sent(900)
        let report = ProbeAnalysis.analyze(
            synthetic.capture(), faults: [ProbeFault(stepIndex: 1, at: SyntheticCapture.at(ms: 950), kind: .failure)])
        let window = try #require(report.window(step: 1))
        #expect(window.sent == 0)
        #expect(!window.measured)
        #expect(window.unmeasuredReason?.hasPrefix("no packets") == true)
        let result = try #require(
            ProbeAnalysis.evaluate(.loss(probe: "p", .lastFault, .atMost(0)), report: report, currentStep: 2))
        #expect(result.unmeasured != nil)
        // Outage over it is errored too, not a pass with 0 ms.
        let outage = try #require(
            ProbeAnalysis.evaluate(
                .outage(probe: "p", .lastFault, .timestamp, atMost: .seconds(1)), report: report, currentStep: 2))
        #expect(outage.unmeasured != nil)
    }
}

@Suite("Probe snapshots at low rates")
struct ProbeLowRateTests {
    @Test(
        "a 10 pps stream: a mid-run evaluation sees every packet sent before the drain interval",
        .timeLimit(.minutes(1)))
    func lowRate() async throws {
        let destination = try #require(IPAddress("127.0.0.1"))
        let config = ProbeStreamConfiguration(
            probe: "slow", streamID: 77, sourceAddress: destination, destinationAddress: destination,
            port: 40_000 + Int.random(in: 0..<20_000), rate: 10, payloadSize: 64, flows: 1)
        let stream = try ProbeStream(configuration: config, logger: Logger(label: "test"))
        try stream.start()
        try await Task.sleep(for: .milliseconds(460))
        let report = stream.evaluate(faults: [])
        _ = await stream.stop()
        // Packets 0..4 left at 0, 100, …, 400 ms; all but one (at most) are older than the 50 ms drain.
        #expect(report.run.sent >= 4)
        #expect(report.run.received == report.run.sent)
        #expect(report.run.lost == 0)
        #expect(report.run.measured)
    }
}

@Suite("Witness attribution per window")
struct ProbeWitnessWindowTests {
    static func witness(missing: [ClosedRange<Int>]) -> PcapWitness {
        let sequences = SyntheticCapture.allBut(1000, missing).map(UInt64.init)
        return PcapWitness(
            records: sequences.count, matching: sequences.count, sequences: sequences,
            timestamps: sequences.map { SyntheticCapture.sent(Int($0)) },
            sendTimes: sequences.map { SyntheticCapture.sent(Int($0)) })
    }

    @Test("the capture's gaps, by their carried send times, fall in the probe's windows; a gap elsewhere disagrees")
    func perWindow() throws {
        let capture = SyntheticCapture(attempted: 1000, order: SyntheticCapture.allBut(1000, [100...149, 600...609]))
            .capture()
        let faults = [
            ProbeFault(stepIndex: 1, at: SyntheticCapture.at(ms: 99.5), kind: .failure),
            ProbeFault(stepIndex: 3, at: SyntheticCapture.at(ms: 599.5), kind: .restoration),
        ]
        let report = ProbeAnalysis.analyze(capture, faults: faults)
        let base = ProbeWitnessRecord(
            tool: "tcpdump", file: "w.pcap", interface: "b/eth0", matching: 0, uniqueSequences: 0,
            largestGapNanoseconds: nil, droppedByKernel: nil, toleranceNanoseconds: 2_000_000, receivedAgrees: true,
            outageAgrees: true, detail: "")
        let same = ProbeEngine.judgeWindows(
            Self.witness(missing: [100...149, 600...609]), base: base, capture: capture, report: report, faults: faults)
        #expect(same.windowsAgree == true)
        #expect(same.windowLoss?.map(\.lost) == [50, 10])
        #expect(same.agrees)
        // The capture lost the reversion's packets 200 ms earlier (in the failover window): it disagrees.
        let moved = ProbeEngine.judgeWindows(
            Self.witness(missing: [100...149, 400...409]), base: base, capture: capture, report: report, faults: faults)
        #expect(moved.windowsAgree == false)
        #expect(moved.windowLoss?.map(\.lost) == [60, 0])
        #expect(!moved.agrees)
        #expect(moved.detail.contains("step 2: capture 60 lost in 2, probe 50 in 1"))
    }

    @Test(
        "the witness attributes with the probe's lateness bound: under TCG both file a stalled pull's loss under the pull"
    )
    func witnessUsesTheRunsBound() throws {
        // 1000 pps; the last packet before the loss left at 99 ms, the pull came at 500 ms (a 400 ms
        // stall, inside TCG's 700 ms bound, outside the host's 100 ms): the probe files it under the pull.
        let missing = [100...599]
        let capture = SyntheticCapture(attempted: 1000, order: SyntheticCapture.allBut(1000, missing)).capture()
        let faults = [ProbeFault(stepIndex: 3, at: SyntheticCapture.at(ms: 500), kind: .failure)]
        let bound: UInt64 = 700_000_000
        let report = ProbeAnalysis.analyze(capture, faults: faults, senderLatenessBound: bound)
        #expect(report.window(step: 3)?.lost == 500)
        let base = ProbeWitnessRecord(
            tool: "tcpdump", file: "w.pcap", interface: "b/eth0", matching: 0, uniqueSequences: 0,
            largestGapNanoseconds: nil, droppedByKernel: nil, toleranceNanoseconds: 2_000_000, receivedAgrees: true,
            outageAgrees: true, detail: "")
        let judged = ProbeEngine.judgeWindows(
            Self.witness(missing: missing), base: base, capture: capture, report: report, faults: faults,
            senderLatenessBound: bound)
        #expect(judged.windowsAgree == true, "\(judged.detail)")
        #expect(judged.windowLoss?.map(\.lost) == [500])
        // With the host bound the capture's gap is loss before the pull: it disagrees with that report.
        let hostBound = ProbeEngine.judgeWindows(
            Self.witness(missing: missing), base: base, capture: capture, report: report, faults: faults)
        #expect(hostBound.windowsAgree == false)
        #expect(hostBound.windowLoss?.map(\.lost) == [0])
    }
}
