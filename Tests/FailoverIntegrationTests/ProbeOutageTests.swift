import FailoverModel
import FailoverProbe
import Foundation
import Logging
import Testing

/// A real port flap between two namespaces through a bridge: the probe's outage and loss against
/// the monotonic times around the `ip` commands, and its received count against a tcpdump witness.
@Suite(.serialized, .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct ProbeOutageTests {
    @Test("200 ms switch-port outage at 20 kpps: outage, loss and a pcap witness agree", .timeLimit(.minutes(2)))
    func portFlap() async throws {
        let prefix = ProbeLab.newPrefix()
        let names = ["\(prefix)-a", "\(prefix)-b", "\(prefix)-s"]
        let pcapPath = NSTemporaryDirectory() + "\(prefix)-b.pcap"
        defer {
            ProbeLab.deleteNamespaces(names)
            try? FileManager.default.removeItem(atPath: pcapPath)
        }
        let (a, b, s) = try ProbeLab.buildTwoHostsOnSwitch(prefix: prefix)
        let port = 41_000
        let tcpdump = try ProbeLab.Tcpdump(namespace: b, interface: "eth0", port: port, path: pcapPath)
        defer { tcpdump.stop() }
        try await tcpdump.waitUntilCapturing()
        try await Task.sleep(for: .milliseconds(200))

        let from = try #require(IPAddress("198.18.0.1"))
        let to = try #require(IPAddress("198.18.0.2"))
        let config = ProbeStreamConfiguration(
            probe: "flap", streamID: 0xF1A9, direction: .forward, senderNamespace: a, receiverNamespace: b,
            sourceAddress: from, destinationAddress: to, port: port, rate: 20_000, payloadSize: 64, flows: 4)
        let stream = try ProbeStream(
            configuration: config, socketFactory: ProbeLab.namespaceSockets, logger: Logger(label: "probe"))
        try stream.start()
        try await Task.sleep(for: .milliseconds(500))

        let downStart = probeMonotonicNow()
        try ProbeLab.ip("-n", s, "link", "set", "pb", "down")
        let downEnd = probeMonotonicNow()
        try await Task.sleep(until: .now + .milliseconds(200) - downEnd.duration(since: downStart))
        let upStart = probeMonotonicNow()
        try ProbeLab.ip("-n", s, "link", "set", "pb", "up")
        let upEnd = probeMonotonicNow()
        try await Task.sleep(for: .milliseconds(500))
        let capture = await stream.stop()
        // tcpdump drops what it has not written yet on SIGINT: wait (at most 5 s) until its file holds
        // as many of the stream's packets as the receiver got, as the product's witness does.
        for _ in 0..<250 {
            let written = try? PcapWitness.count(pcapFile: pcapPath, streamID: 0xF1A9, direction: .forward, port: port)
            if UInt64(written?.matching ?? 0) >= capture.receiver.received { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        tcpdump.stop()

        let report = ProbeAnalysis.analyze(
            capture,
            faults: [
                ProbeFault(stepIndex: 0, at: downStart, kind: .failure),
                ProbeFault(stepIndex: 1, at: upStart, kind: .restoration),
            ])
        let window = try #require(report.window(step: 0))
        let interval = Int64(capture.intervalNanoseconds)
        let downExec = downEnd.duration(since: downStart).totalNanoseconds
        let upExec = upEnd.duration(since: upStart).totalNanoseconds
        let nominal = upStart.duration(since: downStart).totalNanoseconds
        let outage = window.failoverTime.nanoseconds
        let summary =
            "outage \(window.failoverTime), loss \(window.lost), nominal \(Double(nominal) / 1e6) ms, "
            + "ip exec down \(Double(downExec) / 1e6) ms up \(Double(upExec) / 1e6) ms, "
            + "max lateness \(Double(capture.sender.maxLatenessNanoseconds) / 1e6) ms"
        print("probe integration: \(summary)")

        #expect(!report.pathNotClean, "\(summary)")
        #expect(report.measurementError == nil)
        #expect(capture.sender.failed == 0)
        #expect(window.lossPeriodCount == 1, "\(summary)")
        #expect(window.recovered)
        // The outage lies between the end of `down` and the start of `up`, widened by the exec times,
        // one interval of resolution, 3 ms of scheduling slack and, above, the sender's lateness (the
        // first packet after the gap may leave that late).
        let slack: Int64 = 3_000_000
        let lateness = Int64(capture.sender.maxLatenessNanoseconds)
        #expect(outage >= nominal - downExec - interval - slack, "\(summary)")
        #expect(outage <= nominal + upExec + interval + slack + lateness, "\(summary)")
        // Loss = rate × outage: TBM = (lost + 1) intervals for one period on a perfect schedule. Each
        // send time lies in [deadline, deadline + max lateness], so the two can differ by one interval
        // plus the sender's max lateness (it shares 2 cores with `ip` and the rest of the machine).
        let lossTime = window.lossTime.nanoseconds
        #expect(abs(outage - lossTime - interval) <= interval + lateness, "\(summary)")
        #expect(report.windows.count == 2)
        #expect(report.window(step: 1)?.lost == 0)

        // Witness: tcpdump on b/eth0 saw exactly the packets the receiver got.
        let witness = try PcapWitness.count(pcapFile: pcapPath, streamID: 0xF1A9, direction: .forward, port: port)
        #expect(UInt64(witness.matching) == capture.receiver.received, "witness \(witness.matching)")
        #expect(witness.uniqueSequences == report.run.received)
        print("probe integration: witness \(witness.matching) packets, first seq \(witness.sequences.first ?? 0)")
        let gap = try #require(witness.largestGap)
        #expect(abs(Int64(gap.nanoseconds) - outage) <= interval + 1_000_000, "pcap gap \(gap.nanoseconds)")
        #expect(gap.after - gap.before - 1 == UInt64(window.lost))
    }
}
