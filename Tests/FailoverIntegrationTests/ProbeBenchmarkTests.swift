import FailoverModel
import FailoverProbe
import Foundation
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Probe benchmarks (Benchmarks/probe/README.md): opt-in with FAILOVER_BENCH=1 on top of the
/// integration gate; FAILOVER_BENCH_SECONDS sets the no-fault trial length (default 60 s).
@Suite(
    .serialized,
    .enabled(
        if: IntegrationGate.enabled && ProcessInfo.processInfo.environment["FAILOVER_BENCH"] == "1",
        "needs root, FAILOVER_INTEGRATION=1 and FAILOVER_BENCH=1"))
struct ProbeBenchmarkTests {
    static var seconds: Int { Int(ProcessInfo.processInfo.environment["FAILOVER_BENCH_SECONDS"] ?? "") ?? 60 }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }

    @Test("highest rate with zero false loss, no fault", .timeLimit(.minutes(30)))
    func rateSearch() async throws {
        let prefix = ProbeLab.newPrefix()
        let names = ["\(prefix)-a", "\(prefix)-b", "\(prefix)-s"]
        defer { ProbeLab.deleteNamespaces(names) }
        let (a, b, _) = try ProbeLab.buildTwoHostsOnSwitch(prefix: prefix)
        let from = try #require(IPAddress("198.18.0.1"))
        let to = try #require(IPAddress("198.18.0.2"))
        var results: [String] = []
        for (index, rate) in [50_000, 100_000, 200_000, 300_000, 400_000].enumerated() {
            let config = ProbeStreamConfiguration(
                probe: "bench", streamID: UInt32(100 + index), senderNamespace: a, receiverNamespace: b,
                sourceAddress: from, destinationAddress: to, port: 42_000 + index, rate: rate, payloadSize: 64,
                flows: 4, packetLimit: rate * Self.seconds)
            let stream = try ProbeStream(
                configuration: config, socketFactory: ProbeLab.namespaceSockets, logger: Logger(label: "bench"))
            let cpuBefore = Self.cpuSeconds()
            let wallBefore = probeMonotonicNow()
            try stream.start()
            await stream.senderFinished()
            let capture = await stream.stop()
            let wall = Double(probeMonotonicNow().duration(since: wallBefore).totalNanoseconds) / 1e9
            let cpu = Self.cpuSeconds() - cpuBefore
            let report = ProbeAnalysis.analyze(capture, faults: [])
            let span = Double(capture.sender.lastSendNanoseconds - capture.sender.firstSendNanoseconds) / 1e9
            let line =
                "rate \(rate) pps, \(Self.seconds) s: sent \(capture.sender.sent), achieved "
                + "\(Int(Double(capture.sender.attempted) / max(span, 1e-9))) pps, lost \(report.run.lost), "
                + "socket drops \(capture.receiver.socketDrops), send errors \(capture.sender.failed), "
                + "reordered \(report.run.reordered), max lateness "
                + "\(formatMs(capture.sender.maxLatenessNanoseconds)) ms, late packets \(capture.sender.latePackets), "
                + "CPU \(String(format: "%.2f", cpu)) s over \(String(format: "%.1f", wall)) s wall "
                + "(\(String(format: "%.0f", 100 * cpu / wall)) % of one core); batch \(capture.sender.batchSize) "
                + "(span \(formatMs(capture.sender.batchSpanNanoseconds)) ms), send calls \(capture.sender.sendCalls), "
                + "recv calls \(capture.receiver.receiveCalls), sender thread CPU "
                + "\(String(format: "%.2f", Double(capture.sender.cpuNanoseconds) / 1e9)) s, receiver thread CPU "
                + "\(String(format: "%.2f", Double(capture.receiver.cpuNanoseconds) / 1e9)) s"
            print("probe benchmark: \(line)")
            results.append(line)
            #expect(report.run.sent > 0)
        }
        #expect(results.count == 5)
    }

    @Test(
        "measured vs actual outage for port flaps of 50, 100, 200 ms at 20 kpps and (batched) 200 kpps",
        .timeLimit(.minutes(10)), arguments: [20_000, 200_000])
    func outageAccuracy(rate: Int) async throws {
        let prefix = ProbeLab.newPrefix()
        let names = ["\(prefix)-a", "\(prefix)-b", "\(prefix)-s"]
        defer { ProbeLab.deleteNamespaces(names) }
        let (a, b, s) = try ProbeLab.buildTwoHostsOnSwitch(prefix: prefix)
        let from = try #require(IPAddress("198.18.0.1"))
        let to = try #require(IPAddress("198.18.0.2"))
        var trial = 0
        for length in [50, 100, 200] {
            for _ in 0..<3 {
                trial += 1
                let config = ProbeStreamConfiguration(
                    probe: "acc", streamID: UInt32(200 + trial), senderNamespace: a, receiverNamespace: b,
                    sourceAddress: from, destinationAddress: to, port: 43_000 + trial, rate: rate, flows: 4)
                let stream = try ProbeStream(
                    configuration: config, socketFactory: ProbeLab.namespaceSockets, logger: Logger(label: "bench"))
                try stream.start()
                try await Task.sleep(for: .milliseconds(300))
                let downStart = probeMonotonicNow()
                try ProbeLab.ip("-n", s, "link", "set", "pb", "down")
                let downEnd = probeMonotonicNow()
                try await Task.sleep(until: .now + .milliseconds(length) - downEnd.duration(since: downStart))
                let upStart = probeMonotonicNow()
                try ProbeLab.ip("-n", s, "link", "set", "pb", "up")
                let upEnd = probeMonotonicNow()
                try await Task.sleep(for: .milliseconds(300))
                let capture = await stream.stop()
                let report = ProbeAnalysis.analyze(
                    capture, faults: [ProbeFault(stepIndex: 0, at: downStart, kind: .failure)])
                let window = try #require(report.windows.first)
                // Actual outage bounds: link down somewhere in [downStart, downEnd], up in [upStart, upEnd].
                let low = upStart.duration(since: downEnd).milliseconds
                let high = upEnd.duration(since: downStart).milliseconds
                print(
                    "probe benchmark: \(rate) pps, flap \(length) ms: TBM \(String(format: "%.3f", window.failoverTime.milliseconds)) ms, "
                        + "PLBM \(String(format: "%.3f", window.lossTime.milliseconds)) ms (lost \(window.lost)), "
                        + "actual in [\(String(format: "%.3f", low)), \(String(format: "%.3f", high))] ms, "
                        + "max lateness \(formatMs(capture.sender.maxLatenessNanoseconds)) ms, resolution "
                        + "\(String(format: "%.3f", window.failoverTime.resolutionMilliseconds)) ms, socket drops "
                        + "\(capture.receiver.socketDrops)")
                #expect(window.failoverTime.milliseconds >= low - 1 && window.failoverTime.milliseconds <= high + 1)
            }
        }
    }
}

private func formatMs(_ nanoseconds: UInt64) -> String { String(format: "%.3f", Double(nanoseconds) / 1e6) }
