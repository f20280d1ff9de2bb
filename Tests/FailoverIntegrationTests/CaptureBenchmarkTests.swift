import FailoverCapture
import FailoverModel
import FailoverProbe
import Foundation
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Capture beside a 100 kpps probe (Benchmarks/capture/README.md): the same probe run without a
/// capture, with the filtered `captures: auto` capture of both switch ports (probe traffic
/// excluded by the filter, as a playbook's `auto` does), and with an unfiltered capture of the
/// receiver's port (every probe packet captured: the CPU per captured frame). Opt-in like the
/// probe benchmarks: FAILOVER_INTEGRATION=1 FAILOVER_BENCH=1; FAILOVER_BENCH_SECONDS per trial
/// (default 60; the unfiltered trial is at most 10 s, its frames are kept in memory).
@Suite(
    .serialized,
    .enabled(
        if: IntegrationGate.enabled && ProcessInfo.processInfo.environment["FAILOVER_BENCH"] == "1",
        "needs root, FAILOVER_INTEGRATION=1 and FAILOVER_BENCH=1"))
struct CaptureBenchmarkTests {
    static let rate = 100_000

    struct Trial {
        var achieved: Int
        var lost: UInt64
        var socketDrops: UInt64
        var cpuSeconds: Double
        var wallSeconds: Double
        var captures: [CaptureResult]

        var captured: Int { captures.map(\.frames.count).reduce(0, +) }
        var kernelDrops: UInt64 { captures.map(\.statistics.droppedByKernel).reduce(0, +) }
        var interfaceDrops: UInt64 { captures.map(\.statistics.droppedByInterface).reduce(0, +) }
        var received: UInt64 { captures.map(\.statistics.received).reduce(0, +) }
    }

    /// One probe stream at `rate` for `seconds`, with `requests` captured around it.
    static func trial(
        _ name: String, index: Int, seconds: Int, lab: (a: String, b: String, s: String), requests: [CaptureRequest]
    ) async throws -> Trial {
        let from = try #require(IPAddress("198.18.0.1"))
        let to = try #require(IPAddress("198.18.0.2"))
        let config = ProbeStreamConfiguration(
            probe: "capture-bench", streamID: UInt32(300 + index), senderNamespace: lab.a, receiverNamespace: lab.b,
            sourceAddress: from, destinationAddress: to, port: 44_000, rate: rate, payloadSize: 64, flows: 4,
            packetLimit: rate * seconds)
        let logger = Logger(label: "capture-bench")
        let captures = try requests.map { try LiveCapture.start($0, logger: logger) }
        let stream = try ProbeStream(configuration: config, socketFactory: ProbeLab.namespaceSockets, logger: logger)
        let cpuBefore = ProbeBenchmarkTests.cpuSeconds()
        let wallBefore = probeMonotonicNow()
        try stream.start()
        await stream.senderFinished()
        let capture = await stream.stop()
        var results: [CaptureResult] = []
        for live in captures { results.append(try live.stop()) }
        let wall = Double(probeMonotonicNow().duration(since: wallBefore).totalNanoseconds) / 1e9
        let cpu = ProbeBenchmarkTests.cpuSeconds() - cpuBefore
        let report = ProbeAnalysis.analyze(capture, faults: [])
        let span = Double(capture.sender.lastSendNanoseconds - capture.sender.firstSendNanoseconds) / 1e9
        let result = Trial(
            achieved: Int(Double(capture.sender.attempted) / max(span, 1e-9)), lost: UInt64(report.run.lost),
            socketDrops: capture.receiver.socketDrops, cpuSeconds: cpu, wallSeconds: wall, captures: results)
        let cpuText = String(format: "%.2f", cpu)
        let wallText = String(format: "%.1f", wall)
        var line = "capture benchmark: \(name), \(rate) pps × \(seconds) s: achieved \(result.achieved) pps, "
        line +=
            "lost \(result.lost), socket drops \(result.socketDrops), process CPU \(cpuText) s over \(wallText) s wall; "
        line += "captures: received \(result.received), stored \(result.captured), "
        line += "dropped by kernel \(result.kernelDrops), by interface \(result.interfaceDrops)"
        print(line)
        return result
    }

    @Test("filtered auto capture beside a 100 kpps probe: zero drops, no rate lost; CPU per captured frame")
    func besideProbe() async throws {
        let seconds = ProbeBenchmarkTests.seconds
        let prefix = ProbeLab.newPrefix()
        let names = ["\(prefix)-a", "\(prefix)-b", "\(prefix)-s"]
        defer { ProbeLab.deleteNamespaces(names) }
        let lab = try ProbeLab.buildTwoHostsOnSwitch(prefix: prefix)
        // `captures: auto` for a playbook whose one probe uses port 44000: both switch ports.
        let filter = "not (udp port 44000)"
        let auto = [("pa", "s:a-eth0"), ("pb", "s:b-eth0")].map {
            CaptureRequest(namespace: lab.s, interface: $0.0, label: $0.1, filter: filter)
        }
        let none = try await Self.trial("no capture", index: 0, seconds: seconds, lab: lab, requests: [])
        let filtered = try await Self.trial(
            "filtered auto capture (2 ports)", index: 1, seconds: seconds, lab: lab, requests: auto)
        let short = min(seconds, 10)
        let baseline = try await Self.trial("no capture (short)", index: 2, seconds: short, lab: lab, requests: [])
        let everything = try await Self.trial(
            "unfiltered capture of pb", index: 3, seconds: short, lab: lab,
            requests: [CaptureRequest(namespace: lab.s, interface: "pb", label: "s:b-eth0")])
        let perFrame = (everything.cpuSeconds - baseline.cpuSeconds) / Double(max(everything.captured, 1))
        let filterCost = filtered.cpuSeconds - none.cpuSeconds
        let perPacket = 1e9 * filterCost / Double(Self.rate * seconds)
        var line = "capture benchmark: filtered auto capture cost \(String(format: "%.2f", filterCost)) s of CPU "
        line += "over \(seconds) s (\(String(format: "%.0f", perPacket)) ns per probe packet filtered out); "
        line += "unfiltered: \(String(format: "%.2f", perFrame * 1e6)) µs of CPU per captured frame "
        line += "(\(everything.captured) frames)"
        print(line)
        // The filtered capture loses nothing and costs the probe no rate, and no packet.
        #expect(filtered.kernelDrops == 0 && filtered.interfaceDrops == 0)
        #expect(filtered.lost == 0 && filtered.socketDrops == 0)
        // "No rate lost": when the probe holds 100 kpps (within 1 %) without a capture, it holds it
        // with the filtered capture too. A machine that cannot hold the rate without a capture
        // cannot decide it: recorded as an issue, never passed.
        #expect(none.lost == 0)
        if Double(none.achieved) >= 0.99 * Double(Self.rate) {
            #expect(Double(filtered.achieved) >= 0.99 * Double(Self.rate))
        } else {
            Issue.record(
                "inconclusive: without a capture the probe reached only \(none.achieved) of \(Self.rate) pps here")
        }
        // The unfiltered capture saw every probe packet on the receiver's port (or says it dropped).
        #expect(everything.received >= UInt64(Self.rate * short) || everything.kernelDrops > 0)
    }
}
