import FailoverModel
import Testing

@testable import FailoverProbe

/// A probe addressed to a CARP VIP: one socket per member, their receptions merged into one
/// sequence (`ProbeReceiver.merge`), the witness's captures likewise (`PcapWitness.merged`).
/// Synthetic stream: 1000 pps (1 ms interval), send time of seq k = base + k ms, arrival 100 µs
/// later (see `SyntheticCapture`).
@Suite("Probe to a VIP: merged receptions of the members")
struct VIPReceptionTests {
    static func arrivals(_ sequences: some Sequence<Int>, delay: UInt64 = 100_000) -> [ProbeArrival] {
        sequences.map {
            ProbeArrival(
                sequence: UInt64($0), sentNanoseconds: SyntheticCapture.sent($0),
                receivedNanoseconds: SyntheticCapture.sent($0) + delay)
        }
    }

    /// r1 held the VIP for seq 0..<300, r2 from seq 500 on: a takeover that lost 200 packets.
    static func takeover(_ members: [[ProbeArrival]]) -> ProbeCapture {
        var capture = SyntheticCapture(attempted: 1000, order: []).capture()
        capture.arrivals = ProbeReceiver.merge(members)
        capture.receiver.received = UInt64(capture.arrivals.count)
        return capture
    }

    static let fault = [ProbeFault(stepIndex: 2, at: SyntheticCapture.at(ms: 299.5), kind: .failure)]

    @Test("the members' receptions make one sequence: the takeover is one loss period, not two streams")
    func mergedTakeover() throws {
        let merged = ProbeReceiver.merge([Self.arrivals(0..<300), Self.arrivals(500..<1000)])
        #expect(merged.map(\.sequence) == (0..<300).map(UInt64.init) + (500..<1000).map(UInt64.init))
        let report = ProbeAnalysis.analyze(
            Self.takeover([Self.arrivals(0..<300), Self.arrivals(500..<1000)]), faults: Self.fault)
        let window = try #require(report.window(step: 2))
        #expect(window.lost == 200)
        #expect(window.lossPeriodCount == 1)
        #expect(window.duplicated == 0)
        #expect(window.reordered == 0)
        // Timestamp method: send time of seq 500 (first at r2) minus that of seq 299 (last at r1).
        #expect(window.failoverTime.nanoseconds == 201_000_000)
        #expect(window.recovered)
        #expect(report.beforeFirstFault.lost == 0)
    }

    @Test("one member's socket alone (no merge): seq 0..<500 one loss period from the start, an unclean path")
    func oneMemberIsNotTheStream() {
        let report = ProbeAnalysis.analyze(Self.takeover([Self.arrivals(500..<1000)]), faults: Self.fault)
        // No delivered packet before the period: it is not the fault's (see ProbeAnalysis), all 500
        // count before the first fault.
        #expect(report.beforeFirstFault.lost == 500)
        #expect(report.pathNotClean)
        #expect((report.window(step: 2)?.lost ?? 0) == 0)
    }

    @Test("outage over the merged sequence against a bound: 201 ms holds at 201 ms, fails at 200 ms")
    func outageBound() throws {
        let report = ProbeAnalysis.analyze(
            Self.takeover([Self.arrivals(0..<300), Self.arrivals(500..<1000)]), faults: Self.fault)
        let inside = try #require(
            ProbeAnalysis.evaluate(
                .outage(probe: "p", .lastFault, .timestamp, atMost: .milliseconds(201)), report: report,
                currentStep: 3))
        #expect(inside.holds)
        let outside = try #require(
            ProbeAnalysis.evaluate(
                .outage(probe: "p", .lastFault, .timestamp, atMost: .milliseconds(200)), report: report,
                currentStep: 3))
        #expect(!outside.holds)
    }

    @Test("a packet both members received (two holders of the VIP) is a duplicate, reported")
    func duplicateAcrossMembers() throws {
        // seq 300...309 reach both r1 and r2 (r2 10 µs later): an overlap of ownership.
        let first = Self.arrivals(0..<310)
        let second = Self.arrivals(300..<1000, delay: 110_000)
        let merged = ProbeReceiver.merge([first, second])
        #expect(merged.count == 1010)
        // By receive time: seq 300 at r1, then seq 300 at r2, then 301 at r1.
        #expect(merged[300].sequence == 300 && merged[301].sequence == 300 && merged[302].sequence == 301)
        #expect(merged[300].receivedNanoseconds < merged[301].receivedNanoseconds)
        let report = ProbeAnalysis.analyze(Self.takeover([first, second]), faults: Self.fault)
        #expect(report.run.duplicated == 10)
        #expect(report.run.lost == 0)
        let nine = ProbeAnalysis.analyze(
            Self.takeover([Self.arrivals(0..<309), Self.arrivals(300..<1000, delay: 110_000)]), faults: Self.fault)
        #expect(nine.run.duplicated == 9)
    }

    @Test("merge orders by receive time; equal times keep the order of the members")
    func mergeOrder() {
        let a = [ProbeArrival(sequence: 1, sentNanoseconds: 0, receivedNanoseconds: 20)]
        let b = [
            ProbeArrival(sequence: 0, sentNanoseconds: 0, receivedNanoseconds: 19),
            ProbeArrival(sequence: 2, sentNanoseconds: 0, receivedNanoseconds: 20),
            ProbeArrival(sequence: 3, sentNanoseconds: 0, receivedNanoseconds: 21),
        ]
        #expect(ProbeReceiver.merge([a, b]).map(\.sequence) == [0, 1, 2, 3])
        #expect(ProbeReceiver.merge([b, a]).map(\.sequence) == [0, 2, 1, 3])
        #expect(ProbeReceiver.merge([[], b]).map(\.sequence) == [0, 2, 3])
        #expect(ProbeReceiver.merge([]).isEmpty)
    }

    @Test("the witness's captures of the members merge the same way: counts add, the gap spans the two files")
    func witnessMerge() throws {
        func witness(_ sequences: Range<Int>, at offset: UInt64) -> PcapWitness {
            var result = PcapWitness(
                records: sequences.count + 1, matching: sequences.count, sequences: sequences.map(UInt64.init),
                timestamps: sequences.map { offset + UInt64($0) * SyntheticCapture.ms })
            result.sendTimes = sequences.map { SyntheticCapture.sent($0) }
            return result
        }
        let merged = PcapWitness.merged([witness(500..<1000, at: 7), witness(0..<300, at: 0)])
        #expect(merged.matching == 800)
        #expect(merged.records == 802)
        #expect(merged.sequences.first == 0 && merged.sequences.last == 999)
        let gap = try #require(merged.largestGap)
        #expect(gap.before == 299 && gap.after == 500)
        #expect(gap.nanoseconds == 201 * SyntheticCapture.ms + 7)
        #expect(merged.sendTimes.count == 800)
        #expect(merged.arrivals.map(\.sequence) == merged.sequences)
        // One capture alone: its own largest gap is the spacing (1 ms), not the takeover.
        #expect(PcapWitness.merged([witness(500..<1000, at: 7)]).largestGap?.nanoseconds == SyntheticCapture.ms)
    }

    @Test("a VIP stream listens in every member's namespace; an ordinary one in the receiver's")
    func receiverNamespaces() throws {
        let vip = try #require(IPAddress("198.18.0.1"))
        var configuration = ProbeStreamConfiguration(
            probe: "p", streamID: 1, receiverNamespace: "fo-r1", destinationAddress: vip)
        #expect(configuration.receiverNamespaces == ["fo-r1"])
        #expect(!configuration.isVirtualDestination)
        configuration.memberNamespaces = ["fo-r1", "fo-r2"]
        #expect(configuration.receiverNamespaces == ["fo-r1", "fo-r2"])
        #expect(configuration.isVirtualDestination)
    }
}

/// The witness of a VIP member reads `tcpdump -i nflog:G` files (LINKTYPE_NFLOG).
@Suite("NFLOG captures in the witness")
struct NFLOGWitnessTests {
    /// One NFLOG record: header, a prefix TLV, the kernel stamp (TLV 3) unless nil, the payload (TLV 9).
    static func record(sequence: UInt64, stamp: (seconds: UInt64, micros: UInt64)?) -> [UInt8] {
        func tlv(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
            let length = UInt16(4 + value.count)
            var out = [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(type & 0xFF), UInt8(type >> 8)] + value
            while out.count % 4 != 0 { out.append(0) }
            return out
        }
        func big64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) } }
        let payload = ProbeHeader(
            direction: .forward, flowIndex: 0, streamID: 7, sequence: sequence, sendNanoseconds: 1_000 + sequence
        ).encoded()
        var ip: [UInt8] = [
            0x45, 0, 0, UInt8(28 + payload.count), 0, 0, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, 2, 198, 18, 0, 1,
        ]
        ip += [0x9c, 0x40, 0x9c, 0x40, 0, UInt8(8 + payload.count), 0, 0] + payload
        var body: [UInt8] = [2, 0, 0, 7] + tlv(10, [0x66, 0x6f, 0, 0])
        if let stamp { body += tlv(3, big64(stamp.seconds) + big64(stamp.micros)) }
        return body + tlv(9, ip)
    }

    static func file(_ records: [[UInt8]]) -> [UInt8] {
        func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        var bytes = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(239)
        for (index, record) in records.enumerated() {
            // The record's own time (when libpcap read it): 5 s later than the kernel's stamps.
            bytes += le32(105) + le32(UInt32(index)) + le32(UInt32(record.count)) + le32(UInt32(record.count)) + record
        }
        return bytes
    }

    @Test("payload found among the attributes; the kernel's stamp (µs) wins over the record time")
    func parses() throws {
        let bytes = Self.file([
            Self.record(sequence: 0, stamp: (100, 250)), Self.record(sequence: 1, stamp: (100, 1251)),
            Self.record(sequence: 2, stamp: nil),
        ])
        let witness = try PcapWitness.count(pcap: bytes, streamID: 7, direction: .forward, port: 40_000)
        #expect(witness.records == 3)
        #expect(witness.matching == 3)
        #expect(witness.sequences == [0, 1, 2])
        #expect(witness.timestamps[0] == 100_000_250_000)
        #expect(witness.timestamps[1] == 100_001_251_000)
        // Without a stamp attribute: the record's time.
        #expect(witness.timestamps[2] == 105_000_002_000)
        #expect(witness.sendTimes == [1_000, 1_001, 1_002])
        // Another stream or port: not matching.
        #expect(try PcapWitness.count(pcap: bytes, streamID: 8).matching == 0)
        #expect(try PcapWitness.count(pcap: bytes, streamID: 7, port: 40_001).matching == 0)
    }
}
