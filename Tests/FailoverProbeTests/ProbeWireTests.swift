import FailoverModel
import Foundation
import Logging
import Testing

@testable import FailoverProbe

@Suite("Probe wire format and pcap witness")
struct ProbeWireTests {
    @Test("header round trip with padding")
    func roundTrip() throws {
        let header = ProbeHeader(
            direction: .reverse, flowIndex: 513, streamID: 0xDEAD_BEEF, sequence: 0x0102_0304_0506_0708,
            sendNanoseconds: 123_456_789_012)
        let bytes = header.encoded(payloadSize: 100)
        #expect(bytes.count == 100)
        #expect(Array(bytes[0..<4]) == [0x46, 0x4F, 0x50, 0x42])
        #expect(Array(bytes[16..<24]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(bytes[32...].allSatisfy { $0 == 0 })
        let decoded = try #require(ProbeHeader(decoding: bytes))
        #expect(decoded == header)
    }

    @Test("short, foreign and wrong-version payloads are rejected")
    func rejects() {
        let good = ProbeHeader(direction: .forward, flowIndex: 0, streamID: 1, sequence: 2, sendNanoseconds: 3)
            .encoded()
        #expect(ProbeHeader(decoding: Array(good.prefix(31))) == nil)
        var badMagic = good
        badMagic[0] = 0
        #expect(ProbeHeader(decoding: badMagic) == nil)
        var badVersion = good
        badVersion[4] = 9
        #expect(ProbeHeader(decoding: badVersion) == nil)
        var badDirection = good
        badDirection[5] = 7
        #expect(ProbeHeader(decoding: badDirection) == nil)
    }

    /// Ethernet + IPv4 + UDP frame carrying a probe header.
    static func frame(streamID: UInt32, sequence: UInt64, port: Int = 40_000) -> [UInt8] {
        var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        let payload = ProbeHeader(
            direction: .forward, flowIndex: 0, streamID: streamID, sequence: sequence, sendNanoseconds: 9
        )
        .encoded(payloadSize: 64)
        let udpLength = 8 + payload.count
        let totalLength = 20 + udpLength
        frame += [0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xFF), 0, 0, 0x40, 0, 64, 17, 0, 0]
        frame += [198, 18, 0, 1, 198, 18, 0, 2]
        frame += [
            0x9C, 0x41, UInt8(port >> 8), UInt8(port & 0xFF), UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0,
        ]
        return frame + payload
    }

    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }

    /// A little-endian microsecond pcap with the given frames at the given (seconds, microseconds).
    static func pcap(_ records: [(UInt32, UInt32, [UInt8])]) -> [UInt8] {
        var bytes = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65_535) + le32(1)
        for (seconds, micros, frame) in records {
            bytes += le32(seconds) + le32(micros) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame
        }
        return bytes
    }

    @Test("pcap parsing counts the stream's packets, sequences and largest gap")
    func pcapWitness() throws {
        let bytes = Self.pcap([
            (100, 0, Self.frame(streamID: 5, sequence: 0)),
            (100, 50, Self.frame(streamID: 5, sequence: 1)),
            (100, 100, Self.frame(streamID: 6, sequence: 2)),  // other stream
            (100, 150, [UInt8](repeating: 0xFF, count: 60)),  // not IP
            (100, 200_150, Self.frame(streamID: 5, sequence: 4001)),
            (100, 200_200, Self.frame(streamID: 5, sequence: 4001)),  // duplicate
            (100, 200_250, Self.frame(streamID: 5, sequence: 4002, port: 9)),  // other port
        ])
        let witness = try PcapWitness.count(pcap: bytes, streamID: 5, direction: .forward, port: 40_000)
        #expect(witness.records == 7)
        #expect(witness.matching == 4)
        #expect(witness.uniqueSequences == 3)
        #expect(witness.sequences == [0, 1, 4001, 4001])
        let gap = try #require(witness.largestGap)
        #expect(gap.nanoseconds == 200_100_000)
        #expect(gap.before == 1)
        #expect(gap.after == 4001)
        let anyPort = try PcapWitness.count(pcap: bytes, streamID: 5)
        #expect(anyPort.matching == 5)
    }

    @Test("a growing capture is counted from what was appended, records split across writes included")
    func growingCount() throws {
        let bytes = Self.pcap([
            (100, 0, Self.frame(streamID: 5, sequence: 0)),
            (100, 50, Self.frame(streamID: 6, sequence: 1)),  // other stream
            (100, 100, Self.frame(streamID: 5, sequence: 2)),
            (100, 150, Self.frame(streamID: 5, sequence: 3)),
        ])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "growing-\(UInt32.random(in: 0...UInt32.max)).pcap"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        var counter = GrowingPcapCount(path: path, streamID: 5, direction: .forward, port: 40_000)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        // Cut points: inside the file header, inside a record header, inside a frame, at the end.
        var counts: [Int] = []
        var written = 0
        for cut in [10, 24 + 16 + 40, 24 + 2 * (16 + 106) + 5, bytes.count] {
            try handle.write(contentsOf: bytes[written..<cut])
            written = cut
            counts.append(counter.update())
        }
        #expect(counts == [0, 0, 1, 3])
        #expect(counter.update() == 3)
    }

    @Test("truncated and foreign files are errors")
    func pcapErrors() {
        let bytes = Self.pcap([(1, 0, Self.frame(streamID: 5, sequence: 0))])
        #expect(throws: ProbeError.self) { try PcapWitness.count(pcap: Array(bytes.dropLast(3)), streamID: 5) }
        #expect(throws: ProbeError.self) { try PcapWitness.count(pcap: [UInt8](repeating: 0, count: 40), streamID: 5) }
    }
}

@Suite("Probe stream over loopback", .serialized)
struct ProbeLoopbackTests {
    @Test("2000 packets at 20 kpps over 127.0.0.1 with 4 flows: zero loss", .timeLimit(.minutes(1)))
    func loopback() async throws {
        let destination = try #require(IPAddress("127.0.0.1"))
        let port = 40_000 + Int.random(in: 0..<20_000)
        let config = ProbeStreamConfiguration(
            probe: "lo", streamID: 42, sourceAddress: destination, destinationAddress: destination, port: port,
            rate: 20_000, payloadSize: 64, flows: 4, packetLimit: 2000)
        let stream = try ProbeStream(configuration: config, logger: Logger(label: "test"))
        try stream.start()
        await stream.senderFinished()
        let capture = await stream.stop()
        #expect(capture.complete)
        #expect(capture.sender.attempted == 2000)
        #expect(capture.sender.sent == 2000)
        #expect(capture.sender.sentPerFlow == [500, 500, 500, 500])
        #expect(Set(capture.sender.sourcePorts).count == 4)
        #expect(capture.receiver.received == 2000)
        #expect(capture.receiver.socketDrops == 0)
        #expect(capture.receiver.userspaceStamped == 0)
        let report = ProbeAnalysis.analyze(capture, faults: [])
        #expect(report.run.lost == 0)
        #expect(report.run.reordered == 0)
        #expect(report.run.duplicated == 0)
        #expect(report.measurementError == nil)
        // Pacing: never early. Packet n is due at start + n x 50 µs; the first may be late by at most
        // the recorded max lateness, and the last is not sent before its deadline.
        let schedule = capture.sender.scheduleStartNanoseconds
        #expect(capture.sender.firstSendNanoseconds >= schedule)
        #expect(capture.sender.lastSendNanoseconds >= schedule + 1999 * 50_000)
        #expect(capture.sender.firstSendNanoseconds - schedule <= capture.sender.maxLatenessNanoseconds)
        // Arrival stamps are monotonic-clock times after the send times.
        #expect(capture.arrivals.allSatisfy { $0.receivedNanoseconds >= $0.sentNanoseconds })
    }

    @Test("20 000 packets at 200 kpps over 127.0.0.1 with 4 flows: sendmmsg batches of 10", .timeLimit(.minutes(1)))
    func loopbackBatched() async throws {
        let destination = try #require(IPAddress("127.0.0.1"))
        let port = 40_000 + Int.random(in: 0..<20_000)
        let config = ProbeStreamConfiguration(
            probe: "lo", streamID: 43, sourceAddress: destination, destinationAddress: destination, port: port,
            rate: 200_000, payloadSize: 64, flows: 4, packetLimit: 20_000)
        let stream = try ProbeStream(configuration: config, logger: Logger(label: "test"))
        try stream.start()
        await stream.senderFinished()
        let capture = await stream.stop()
        #expect(capture.sender.attempted == 20_000)
        #expect(capture.sender.sent == 20_000)
        #expect(capture.sender.batchSize == 10)
        #expect(capture.sender.batchSpanNanoseconds == 50_000)
        // Whole batches rotate over the flows: 2000 batches, 500 (5000 packets) per flow.
        #expect(capture.sender.sentPerFlow == [5000, 5000, 5000, 5000])
        #expect(capture.sender.sendCalls >= 2000 && capture.sender.sendCalls < 20_000)
        #expect(capture.receiver.received == 20_000)
        #expect(capture.receiver.receiveCalls < 20_000)
        #expect(capture.receiver.socketDrops == 0)
        #expect(capture.receiver.userspaceStamped == 0)
        let report = ProbeAnalysis.analyze(capture, faults: [])
        #expect(report.run.lost == 0)
        #expect(report.run.reordered == 0)
        #expect(report.run.failoverTime.resolutionMilliseconds == 0.05)
        // Each batch leaves at (or after) its first packet's deadline, one send time for the batch,
        // and on the flow of its batch.
        let schedule = capture.sender.scheduleStartNanoseconds
        let bySequence = capture.arrivals.sorted { $0.sequence < $1.sequence }
        let misplaced = bySequence.filter { arrival in
            let first = arrival.sequence - arrival.sequence % 10
            return arrival.sentNanoseconds < schedule + first * 5_000 || Int(arrival.flow) != Int(first / 10 % 4)
                || arrival.sentNanoseconds != bySequence[Int(first)].sentNanoseconds
                || arrival.receivedNanoseconds < arrival.sentNanoseconds
        }
        #expect(misplaced.isEmpty, "\(misplaced.prefix(3))")
        #expect(capture.sender.cpuNanoseconds > 0 && capture.receiver.cpuNanoseconds > 0)
    }

    @Test("a second start and bad configurations are refused")
    func invalid() async throws {
        let destination = try #require(IPAddress("127.0.0.1"))
        let bad = ProbeStreamConfiguration(probe: "x", streamID: 1, destinationAddress: destination, payloadSize: 8)
        #expect(throws: ProbeError.self) { try ProbeStream(configuration: bad, logger: Logger(label: "test")) }
        let config = ProbeStreamConfiguration(
            probe: "x", streamID: 1, destinationAddress: destination, port: 40_000 + Int.random(in: 0..<20_000),
            rate: 1000, packetLimit: 5)
        let stream = try ProbeStream(configuration: config, logger: Logger(label: "test"))
        try stream.start()
        #expect(throws: ProbeError.self) { try stream.start() }
        await stream.senderFinished()
        let capture = await stream.stop()
        #expect(capture.receiver.received == 5)
        let again = await stream.stop()
        #expect(again.receiver.received == 5)
    }
}
