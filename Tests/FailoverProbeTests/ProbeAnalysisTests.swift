import FailoverModel
import Foundation
import Testing

@testable import FailoverProbe

/// Builds synthetic captures: rate 1000 pps (interval 1 ms), send time of seq k = base + k ms,
/// arrival = send + 100 µs (or `delay`).
struct SyntheticCapture {
    static let base: UInt64 = 10_000_000_000
    static let ms: UInt64 = 1_000_000

    var attempted: Int
    var order: [Int]
    var failed: [ClosedRange<Int>] = []
    var delay: (Int) -> UInt64 = { _ in 100_000 }
    var judgeBefore: UInt64? = nil
    var maxLateness: UInt64 = 0
    /// Added to the send time carried by packet k (a sender behind its schedule).
    var sendShift: (Int) -> UInt64 = { _ in 0 }

    static func sent(_ seq: Int) -> UInt64 { base + UInt64(seq) * ms }
    static func at(_ seq: Int) -> MonotonicInstant { MonotonicInstant(nanoseconds: sent(seq)) }
    static func at(ms value: Double) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: base + UInt64(value * 1e6))
    }

    func capture() -> ProbeCapture {
        guard let destination = IPAddress("127.0.0.1") else { fatalError("address") }
        let config = ProbeStreamConfiguration(probe: "p", streamID: 7, destinationAddress: destination, rate: 1000)
        var sender = SenderStatistics()
        sender.attempted = UInt64(attempted)
        sender.scheduleStartNanoseconds = Self.base
        sender.firstSendNanoseconds = Self.base
        sender.lastSendNanoseconds = Self.sent(attempted - 1) + sendShift(attempted - 1)
        sender.maxLatenessNanoseconds = maxLateness
        for range in failed {
            for seq in range { sender.recordFailure(sequence: UInt64(seq), errno: 101) }
        }
        sender.sent = sender.attempted - sender.failed
        var receiver = ReceiverStatistics()
        receiver.received = UInt64(order.count)
        let arrivals = order.map {
            ProbeArrival(
                sequence: UInt64($0), sentNanoseconds: Self.sent($0) + sendShift($0),
                receivedNanoseconds: Self.sent($0) + sendShift($0) + delay($0))
        }
        let last = Self.sent(attempted - 1) + sendShift(attempted - 1)
        return ProbeCapture(
            configuration: config, sender: sender, receiver: receiver, arrivals: arrivals,
            takenAt: MonotonicInstant(nanoseconds: last + 100 * Self.ms),
            judgeSentBefore: MonotonicInstant(nanoseconds: judgeBefore ?? last), complete: judgeBefore == nil)
    }

    /// 0..<attempted minus the given ranges, in order.
    static func allBut(_ attempted: Int, _ missing: [ClosedRange<Int>]) -> [Int] {
        (0..<attempted).filter { seq in !missing.contains { $0.contains(seq) } }
    }
}

@Suite("ProbeAnalysis on synthetic arrivals")
struct ProbeAnalysisTests {
    @Test("no loss and no fault: everything zero, path clean")
    func clean() {
        let capture = SyntheticCapture(attempted: 1000, order: Array(0..<1000)).capture()
        let report = ProbeAnalysis.analyze(capture, faults: [])
        #expect(report.run.sent == 1000)
        #expect(report.run.received == 1000)
        #expect(report.run.lost == 0)
        #expect(report.run.lossPeriodCount == 0)
        #expect(report.run.failoverTime.nanoseconds == 0)
        #expect(report.run.recovered)
        #expect(report.windows.isEmpty)
        #expect(!report.pathNotClean)
        #expect(report.measurementError == nil)
    }

    @Test("loss with no fault at all: counted in the run, not flagged as unclean path")
    func lossWithoutFault() {
        let capture = SyntheticCapture(attempted: 1000, order: SyntheticCapture.allBut(1000, [500...509])).capture()
        let report = ProbeAnalysis.analyze(capture, faults: [])
        #expect(report.run.lost == 10)
        #expect(report.run.failoverTime.nanoseconds == 11_000_000)
        #expect(report.run.lossTime.nanoseconds == 10_000_000)
        #expect(!report.pathNotClean)
    }

    @Test("one gap after a fault: loss, one loss period, TBM and PLBM")
    func singleGap() throws {
        let capture = SyntheticCapture(attempted: 1000, order: SyntheticCapture.allBut(1000, [100...149])).capture()
        let report = ProbeAnalysis.analyze(
            capture, faults: [ProbeFault(stepIndex: 3, at: SyntheticCapture.at(ms: 99.9), kind: .failure)])
        let window = try #require(report.window(step: 3))
        #expect(window.event == "failover")
        #expect(window.lost == 50)
        // Delivered packets belong to the window of the send time they carry: seq 99 left at 99 ms,
        // before the fault (99.9 ms).
        #expect(window.sent == 900)
        #expect(window.received == 850)
        #expect(window.lossPeriodCount == 1)
        #expect(window.lossPeriodMinLength == 50)
        #expect(window.lossPeriodMaxLength == 50)
        let period = try #require(window.lossPeriods.first)
        #expect(period.firstSequence == 100)
        #expect(period.lastSequence == 149)
        #expect(period.estimatedStartNanoseconds == SyntheticCapture.sent(100))
        #expect(period.deliveredBeforeSentNanoseconds == SyntheticCapture.sent(99))
        #expect(period.deliveredAfterSentNanoseconds == SyntheticCapture.sent(150))
        // TBM: send time of 150 minus send time of 99.
        #expect(window.failoverTime.nanoseconds == 51_000_000)
        #expect(window.failoverTime.resolutionMilliseconds == 1)
        #expect(window.lossTime.nanoseconds == 50_000_000)
        #expect(window.recovered)
        #expect(report.beforeFirstFault.lost == 0)
        #expect(report.beforeFirstFault.sent == 100)
        #expect(report.run.lost == 50)
        #expect(report.run.failoverTime.nanoseconds == 51_000_000)
        #expect(!report.pathNotClean)
        #expect(window.additiveBackupDelay?.nanoseconds == 0)
    }

    @Test("loss before the first fault marks the path not clean")
    func lossBeforeFirstFault() {
        let capture = SyntheticCapture(attempted: 1000, order: SyntheticCapture.allBut(1000, [10...10, 300...319]))
            .capture()
        let report = ProbeAnalysis.analyze(
            capture, faults: [ProbeFault(stepIndex: 1, at: SyntheticCapture.at(ms: 300), kind: .failure)])
        #expect(report.pathNotClean)
        #expect(report.beforeFirstFault.lost == 1)
        #expect(report.windows.first?.lost == 20)
        #expect(ProbeAnalysis.measurementProblem([report])?.contains("path not clean") == true)
    }

    @Test(
        "losses at window edges: a period whose gap holds a fault, its last delivered packet within the tolerance, is that fault's"
    )
    func windowEdges() throws {
        // pull at 100 ms, plug at 300.5 ms; loss 100...149 (failover), 300...309 (starts 0.5 ms before
        // the plug: reversion window), 600...600 (in the reversion window, later).
        let capture = SyntheticCapture(
            attempted: 1000, order: SyntheticCapture.allBut(1000, [100...149, 300...309, 600...600])
        ).capture()
        let report = ProbeAnalysis.analyze(
            capture,
            faults: [
                ProbeFault(stepIndex: 2, at: SyntheticCapture.at(ms: 100), kind: .failure),
                ProbeFault(stepIndex: 5, at: SyntheticCapture.at(ms: 300.5), kind: .restoration),
            ])
        let failover = try #require(report.window(step: 2))
        let reversion = try #require(report.window(step: 5))
        // One interval (1 ms) + the sender lateness bound (100 ms).
        #expect(report.edgeToleranceNanoseconds == 101_000_000)
        #expect(failover.lost == 50)
        #expect(failover.lossPeriodCount == 1)
        #expect(reversion.event == "reversion")
        #expect(reversion.lost == 11)
        #expect(reversion.lossPeriodCount == 2)
        #expect(reversion.lossPeriodMinLength == 1)
        #expect(reversion.lossPeriodMaxLength == 10)
        // Reversion TBM spans both periods: from 299 to 601.
        #expect(reversion.failoverTime.nanoseconds == 302_000_000)
        #expect(reversion.lossTime.nanoseconds == 11_000_000)
        #expect(report.run.lost == 61)
        #expect(report.run.lossPeriodCount == 3)
        #expect(report.run.failoverTime.nanoseconds == 302_000_000)
        #expect(report.beforeFirstFault.lost == 0)
        #expect(!report.pathNotClean)
    }

    /// Loss `lost` (1000 pps, send time of seq k = k ms), faults at the given instants (ns after
    /// the send time of seq 0).
    static func attribute(
        _ lost: ClosedRange<Int>, faults instants: [UInt64], attempted: Int = 1000, latenessBound: UInt64? = nil,
        shift: @escaping (Int) -> UInt64 = { _ in 0 }
    ) -> ProbeReport {
        var synthetic = SyntheticCapture(attempted: attempted, order: SyntheticCapture.allBut(attempted, [lost]))
        synthetic.sendShift = shift
        let faults = instants.enumerated().map {
            ProbeFault(
                stepIndex: 3 + 4 * $0.offset, at: MonotonicInstant(nanoseconds: SyntheticCapture.base + $0.element),
                kind: .failure)
        }
        guard let latenessBound else { return ProbeAnalysis.analyze(synthetic.capture(), faults: faults) }
        return ProbeAnalysis.analyze(synthetic.capture(), faults: faults, senderLatenessBound: latenessBound)
    }

    @Test("edge tolerance, just inside and just outside: the delivered packet before the gap 101 ms before the fault")
    func edgeTolerance() throws {
        // Loss 200...450; the last delivered packet (199) left at 199 ms. Tolerance 1 ms + 100 ms.
        let inside = Self.attribute(200...450, faults: [300_000_000])
        #expect(inside.edgeToleranceNanoseconds == 101_000_000)
        #expect(inside.beforeFirstFault.lost == 0)
        #expect(try #require(inside.windows.first).lost == 251)
        #expect(!inside.pathNotClean)
        // 1 µs later: the loss began before the fault could have caused it.
        let outside = Self.attribute(200...450, faults: [300_001_000])
        #expect(outside.beforeFirstFault.lost == 251)
        #expect(try #require(outside.windows.first).lost == 0)
        #expect(outside.pathNotClean)
        #expect(ProbeAnalysis.measurementProblem([outside])?.contains("path not clean") == true)
    }

    @Test("a gap that does not hold the fault instant is never the fault's, however close")
    func gapMustHoldFault() throws {
        // Loss 97...120 (delivered 96 and 121): a fault at 121 ms is at the gap's upper edge (its
        // packet after was sent at the fault instant): the fault's; at 121.001 ms the gap ended
        // before the fault: loss before it.
        let atEdge = Self.attribute(97...120, faults: [121_000_000])
        #expect(atEdge.beforeFirstFault.lost == 0)
        #expect(try #require(atEdge.windows.first).lost == 24)
        let after = Self.attribute(97...120, faults: [121_001_000])
        #expect(after.beforeFirstFault.lost == 24)
        #expect(after.pathNotClean)
        // A fault at the lower edge (the packet before the gap left at the fault instant) opened the
        // window that packet is in: the period is the fault's; 1 µs later the gap holds it: also.
        #expect(Self.attribute(97...120, faults: [96_000_000]).windows.first?.lost == 24)
        #expect(Self.attribute(97...120, faults: [96_001_000]).windows.first?.lost == 24)
    }

    @Test("a sender that stalled after the last packet before a fault and caught up in a burst: the fault's loss")
    func catchUpBurst() throws {
        // carrier-flap: 1 kpps; the last delivered packet before the first down left at 96 ms, the
        // sender stalled until after the fault (100 ms) and sent the lost packets late, back to back;
        // 204 were lost; the first after the flap left on schedule (301 ms). Interpolation puts the
        // first lost packet at 97 ms, 3 ms before the fault: the old rule (interpolated start within
        // 1 ms) filed the whole flap's loss before the first fault and errored the run.
        let report = Self.attribute(97...300, faults: [100_000_000])
        #expect(report.beforeFirstFault.lost == 0)
        #expect(try #require(report.windows.first).lost == 204)
        #expect(!report.pathNotClean)
        #expect(ProbeAnalysis.measurementProblem([report]) == nil)
        // Packets still in flight when the fault took effect (sent 3 ms before it): the same.
        let inFlight = Self.attribute(97...120, faults: [100_000_000])
        #expect(inFlight.beforeFirstFault.lost == 0)
        #expect(try #require(inFlight.windows.first).lost == 24)
    }

    @Test("a later fault's loss is not filed under the earlier fault's window (witness: step 8 vs step 12)")
    func laterFault() throws {
        // Plug at 100 ms (no loss), pull at 500 ms; the last delivered packet before the pull's loss
        // left at 490 ms (the sender stalled 10 ms, then caught up), 38 lost.
        let report = Self.attribute(491...528, faults: [100_000_000, 500_000_000])
        #expect(report.windows.map(\.lost) == [0, 38])
        #expect(report.windows.map(\.lossPeriodCount) == [0, 1])
        // A longer loss (491...700) whose last delivered packet left 101 ms before the pull: the pull's;
        // 1 µs more: it began in the plug's window.
        let edge = Self.attribute(491...700, faults: [100_000_000, 591_000_000])
        #expect(edge.windows.map(\.lost) == [0, 210])
        let early = Self.attribute(491...700, faults: [100_000_000, 591_001_000])
        #expect(early.windows.map(\.lost) == [210, 0])
    }

    @Test("two fault instants in one gap: the first claims the period")
    func twoFaultsInGap() throws {
        let report = Self.attribute(100...399, faults: [150_000_000, 300_000_000])
        #expect(report.windows.map(\.lost) == [300, 0])
        // The first is beyond the tolerance: the period is loss before the first fault, not the second's.
        let late = Self.attribute(100...399, faults: [200_001_000, 300_000_000])
        #expect(late.beforeFirstFault.lost == 300)
        #expect(late.windows.map(\.lost) == [0, 0])
    }

    @Test("under TCG the tolerance grows with the lateness bound (timing allowance), both ways")
    func tcgBound() throws {
        // Bound 700 ms (100 ms + the 600 ms TCG allowance): tolerance 701 ms at 1 kpps.
        let bound: UInt64 = 700_000_000
        let inside = Self.attribute(100...899, faults: [800_000_000], attempted: 1500, latenessBound: bound)
        #expect(inside.edgeToleranceNanoseconds == 701_000_000)
        #expect(inside.windows.first?.lost == 800)
        let outside = Self.attribute(100...899, faults: [800_001_000], attempted: 1500, latenessBound: bound)
        #expect(outside.beforeFirstFault.lost == 800)
        #expect(outside.pathNotClean)
        // The host bound for the same capture: loss before the fault.
        #expect(Self.attribute(100...899, faults: [800_000_000], attempted: 1500).beforeFirstFault.lost == 800)
    }

    @Test("the edge is by carried send times: a slow clock (packets spaced wider than scheduled) moves it with them")
    func slowClock() throws {
        // A sender that fell behind: packet k carries k ms + 50 µs per packet after 100 (sent slower
        // than 1 kpps). Loss 300...399; the last delivered packet (299) carries 299 + 9.95 = 308.95 ms.
        let shift: (Int) -> UInt64 = { $0 > 100 ? UInt64($0 - 100) * 50_000 : 0 }
        let inside = Self.attribute(300...399, faults: [409_950_000], shift: shift)
        #expect(inside.windows.first?.lost == 100)
        let outside = Self.attribute(300...399, faults: [409_951_000], shift: shift)
        #expect(outside.beforeFirstFault.lost == 100)
    }

    @Test("a period whose gap holds a fault is the fault's up to one interval + the lateness bound before it")
    func toleranceBound() throws {
        // 1000 pps; loss 300...999; delivered 299 at 299 ms and 1000 at 1000 ms + 300 ms (a 300 ms stall).
        // A fault at 400 ms (101 ms after 299) claims the period, one at 400.001 ms does not.
        func report(faultMs: Double) -> ProbeReport {
            var synthetic = SyntheticCapture(attempted: 1500, order: SyntheticCapture.allBut(1500, [300...999]))
            synthetic.sendShift = { $0 > 999 ? 300_000_000 : 0 }
            return ProbeAnalysis.analyze(
                synthetic.capture(),
                faults: [ProbeFault(stepIndex: 0, at: SyntheticCapture.at(ms: faultMs), kind: .failure)])
        }
        let inside = report(faultMs: 400)
        #expect(inside.beforeFirstFault.lost == 0)
        #expect(inside.windows.first?.lost == 700)
        let outside = report(faultMs: 400.001)
        #expect(outside.beforeFirstFault.lost == 700)
        #expect(outside.pathNotClean)
        // The sender was 300 ms behind: beyond the 100 ms bound, verdicts on the probe are errored.
        #expect(ProbeAnalysis.measurementProblem([inside])?.contains("behind its schedule") == true)
    }

    @Test("duplicates and reordering are counted and impair the path")
    func duplicatesAndReordering() {
        var order = Array(0..<10)
        order += [11, 10, 12, 12]
        order += Array(13..<100)
        let capture = SyntheticCapture(attempted: 100, order: order).capture()
        let report = ProbeAnalysis.analyze(capture, faults: [])
        #expect(report.run.lost == 0)
        #expect(report.run.reordered == 1)
        #expect(report.run.duplicated == 1)
        #expect(report.run.received == 100)
        // Impaired 10 (reordered) .. 12 (duplicated): from 9 to 13.
        #expect(report.run.failoverTime.nanoseconds == 4_000_000)
        #expect(report.run.lossTime.nanoseconds == 0)
    }

    @Test("loss at the very end: not recovered, timestamp figure is a lower bound")
    func lossAtEnd() throws {
        let capture = SyntheticCapture(attempted: 1000, order: Array(0..<950)).capture()
        let report = ProbeAnalysis.analyze(
            capture, faults: [ProbeFault(stepIndex: 4, at: SyntheticCapture.at(ms: 949.5), kind: .failure)])
        let window = try #require(report.window(step: 4))
        #expect(window.lost == 50)
        #expect(!window.recovered)
        #expect(window.failoverTime.lowerBound)
        #expect(window.failoverTime.nanoseconds == 50_000_000)  // 949 → 999 (last send)
        #expect(!report.run.recovered)
        let outage = Assertion.outage(probe: "p", .step(4), .timestamp, atMost: .seconds(10))
        let result = try #require(ProbeAnalysis.evaluate(outage, report: report, currentStep: 6))
        #expect(!result.holds)
        #expect(result.actual.contains("not recovered"))
    }

    @Test("snapshot: trailing packets sent after the cut-off are in flight, not lost")
    func inFlight() {
        var synthetic = SyntheticCapture(attempted: 1000, order: Array(0..<990))
        synthetic.judgeBefore = SyntheticCapture.sent(989) + 500_000
        let report = ProbeAnalysis.analyze(synthetic.capture(), faults: [])
        #expect(report.run.lost == 0)
        #expect(report.run.sent == 990)
        #expect(!report.complete)
    }

    @Test("send errors are counted separately, not as loss, and enter the packet-loss time")
    func sendErrors() {
        let capture = SyntheticCapture(
            attempted: 1000, order: SyntheticCapture.allBut(1000, [200...209]), failed: [200...209]
        ).capture()
        let report = ProbeAnalysis.analyze(
            capture, faults: [ProbeFault(stepIndex: 0, at: SyntheticCapture.at(ms: 199.5), kind: .failure)])
        #expect(report.run.lost == 0)
        #expect(report.run.sendErrors == 10)
        #expect(report.windows.first?.sendErrors == 10)
        #expect(report.windows.first?.lossTime.nanoseconds == 10_000_000)
        #expect(report.windows.first?.failoverTime.nanoseconds == 11_000_000)
        #expect(report.sender.errors.first?.name == "ENETUNREACH (101)")
        #expect(!report.pathNotClean)
    }

    @Test("additive backup delay: median one-way delay after failover minus before")
    func additiveDelay() throws {
        var synthetic = SyntheticCapture(attempted: 1000, order: SyntheticCapture.allBut(1000, [400...419]))
        synthetic.delay = { $0 < 400 ? 100_000 : 350_000 }
        let report = ProbeAnalysis.analyze(
            synthetic.capture(), faults: [ProbeFault(stepIndex: 0, at: SyntheticCapture.at(ms: 400), kind: .failure)])
        let window = try #require(report.windows.first)
        #expect(window.additiveBackupDelay?.nanoseconds == 250_000)
    }

    @Test("the tuple form of analyze works like ProbeFault with kind other")
    func tupleFaults() {
        let capture = SyntheticCapture(attempted: 300, order: SyntheticCapture.allBut(300, [150...159])).capture()
        let report = ProbeAnalysis.analyze(capture, faults: [(stepIndex: 1, at: SyntheticCapture.at(ms: 150))])
        #expect(report.windows.first?.event == "change")
        #expect(report.windows.first?.lost == 10)
    }

    @Test("the report is Codable")
    func codable() throws {
        let capture = SyntheticCapture(attempted: 300, order: SyntheticCapture.allBut(300, [150...159])).capture()
        let report = ProbeAnalysis.analyze(
            capture, faults: [ProbeFault(stepIndex: 1, at: SyntheticCapture.at(ms: 150), kind: .failure)])
        let data = try JSONEncoder().encode(report)
        let decoded = try JSONDecoder().decode(ProbeReport.self, from: data)
        #expect(decoded == report)
    }
}

@Suite("Probe assertions")
struct ProbeAssertionTests {
    let report: ProbeReport = {
        let capture = SyntheticCapture(
            attempted: 1000, order: SyntheticCapture.allBut(1000, [100...149, 600...604])
        ).capture()
        return ProbeAnalysis.analyze(
            capture,
            faults: [
                ProbeFault(stepIndex: 1, at: SyntheticCapture.at(ms: 100), kind: .failure),
                ProbeFault(stepIndex: 4, at: SyntheticCapture.at(ms: 600), kind: .restoration),
            ])
    }()

    @Test("loss in a step window, in the last fault window and in the whole run")
    func loss() throws {
        let step = try #require(
            ProbeAnalysis.evaluate(.loss(probe: "p", .step(1), .equals(50)), report: report, currentStep: 2))
        #expect(step.holds)
        #expect(step.actual == "50 lost of 500")
        let last = try #require(
            ProbeAnalysis.evaluate(.loss(probe: "p", .lastFault, .atMost(5)), report: report, currentStep: 6))
        #expect(last.holds)
        #expect(last.actual == "5 lost of 400")
        let early = try #require(
            ProbeAnalysis.evaluate(.loss(probe: "p", .lastFault, .atMost(5)), report: report, currentStep: 3))
        #expect(!early.holds)
        let run = try #require(
            ProbeAnalysis.evaluate(.loss(probe: "p", .run, .atLeast(56)), report: report, currentStep: 9))
        #expect(!run.holds)
        #expect(run.actual == "55 lost of 1000")
    }

    @Test("outage by both methods against a bound")
    func outage() throws {
        let tbm = try #require(
            ProbeAnalysis.evaluate(
                .outage(probe: "p", .step(1), .timestamp, atMost: .milliseconds(51)), report: report, currentStep: 2))
        #expect(tbm.holds)
        #expect(tbm.actual == "51 ms (timestamp (RFC 6414 TBM), resolution 1 ms)")
        let tight = try #require(
            ProbeAnalysis.evaluate(
                .outage(probe: "p", .step(1), .timestamp, atMost: .milliseconds(50)), report: report, currentStep: 2))
        #expect(!tight.holds)
        let plbm = try #require(
            ProbeAnalysis.evaluate(
                .outage(probe: "p", .step(1), .loss, atMost: .milliseconds(50)), report: report, currentStep: 2))
        #expect(plbm.holds)
    }

    @Test("reordered, missing windows and other probes")
    func others() throws {
        let reordered = try #require(
            ProbeAnalysis.evaluate(.reordered(probe: "p", .run, .equals(0)), report: report, currentStep: 2))
        #expect(reordered.holds)
        let missing = try #require(
            ProbeAnalysis.evaluate(.loss(probe: "p", .step(3), .equals(0)), report: report, currentStep: 5))
        #expect(!missing.holds)
        #expect(missing.actual == "step 4 opened no fault window")
        #expect(ProbeAnalysis.evaluate(.loss(probe: "q", .run, .equals(0)), report: report, currentStep: 2) == nil)
        #expect(
            ProbeAnalysis.evaluate(
                .carrier(InterfaceRef(host: "a", interface: "eth0"), expected: true), report: report, currentStep: 2)
                == nil)
        var reverse = report
        reverse.direction = .reverse
        let both = try #require(
            ProbeAnalysis.evaluate(.loss(probe: "p", .run, .equals(55)), reports: [report, reverse], currentStep: 2))
        #expect(both.holds)
        #expect(both.actual == "forward: 55 lost of 1000; reverse: 55 lost of 1000")
    }
}

@Suite("Fault polarity names the window")
struct FaultPolarityWindowTests {
    @Test(arguments: [
        (FaultPolarity.failure, ProbeFault.Kind.failure, "failover"),
        (.repair, .restoration, "reversion"),
        (.reconfiguration, .other, "change"),
    ])
    func kindOfPolarity(polarity: FaultPolarity, kind: ProbeFault.Kind, event: String) {
        #expect(ProbeFault.Kind(polarity) == kind)
        #expect(ProbeAnalysis.event(for: ProbeFault.Kind(polarity)) == event)
    }
}
