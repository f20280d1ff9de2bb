internal import CNetShims
import Foundation

/// Counts a probe stream's packets in a classic pcap file (as written by `tcpdump -w`): the
/// independent witness the probe's own figures are checked against.
///
/// Supports microsecond and nanosecond pcap, either byte order; link types Ethernet (1, with
/// 802.1Q tags), raw IP (101), Linux cooked SLL (113) and SLL2 (276); IPv4 and IPv6 (no extension
/// headers) carrying UDP whose payload starts with a `ProbeHeader`.
public struct PcapWitness: Sendable, Hashable {
    /// Records in the file.
    public var records: Int
    /// Packets of the stream (duplicates included).
    public var matching: Int
    /// Sequence numbers of the stream's packets, in capture order.
    public var sequences: [UInt64]
    /// Capture timestamps (CLOCK_REALTIME ns) of the stream's packets, in capture order.
    public var timestamps: [UInt64]
    /// Send times the packets carry (CLOCK_MONOTONIC ns), in capture order.
    public var sendTimes: [UInt64] = []

    /// Distinct sequence numbers seen.
    public var uniqueSequences: Int { Set(sequences).count }

    /// The longest time between two consecutive matching packets, and the sequence numbers around it.
    public var largestGap: (nanoseconds: UInt64, before: UInt64, after: UInt64)? {
        guard timestamps.count >= 2 else { return nil }
        var best: (UInt64, UInt64, UInt64) = (0, 0, 0)
        for index in 1..<timestamps.count where timestamps[index] &- timestamps[index - 1] > best.0 {
            best = (timestamps[index] &- timestamps[index - 1], sequences[index - 1], sequences[index])
        }
        return best
    }

    /// Parses `bytes` (a whole pcap file) and counts packets of `streamID` in `direction`
    /// (nil: any) sent to UDP port `port` (nil: any).
    /// - Throws: `ProbeError` with code `.malformedCapture` for a bad header or truncated record.
    public static func count(
        pcap bytes: [UInt8], streamID: UInt32, direction: ProbeDirection? = nil, port: Int? = nil
    ) throws -> PcapWitness {
        func fail(_ what: String) -> ProbeError { ProbeError(.malformedCapture, operation: what, object: "pcap") }
        guard bytes.count >= 24 else { throw fail("file header") }
        let (littleEndian, nanosecond) = try fileFormat(bytes)
        let linkType = read32(bytes, 20, littleEndian: littleEndian) & 0x0FFF_FFFF
        var witness = PcapWitness(records: 0, matching: 0, sequences: [], timestamps: [])
        var offset = 24
        while offset < bytes.count {
            guard offset + 16 <= bytes.count else { throw fail("record header at \(offset)") }
            let seconds = UInt64(read32(bytes, offset, littleEndian: littleEndian))
            let fraction = UInt64(read32(bytes, offset + 4, littleEndian: littleEndian))
            let included = Int(read32(bytes, offset + 8, littleEndian: littleEndian))
            let start = offset + 16
            guard start + included <= bytes.count else { throw fail("record at \(offset)") }
            witness.records += 1
            var frame = bytes[start..<(start + included)]
            var stamp = seconds * 1_000_000_000 + (nanosecond ? fraction : fraction * 1000)
            if linkType == linkTypeNFLOG {
                // The packet and the kernel's stamp are attributes of the log message (the record's
                // own time is when libpcap read it, up to a netlink batch later).
                guard let message = nflog(frame, littleEndian: littleEndian) else {
                    offset = start + included
                    continue
                }
                frame = message.payload
                if let kernelStamp = message.timestamp { stamp = kernelStamp }
            }
            if let header = probeHeader(in: frame, linkType: linkType, port: port), header.streamID == streamID,
                direction == nil || header.direction == direction
            {
                witness.matching += 1
                witness.sequences.append(header.sequence)
                witness.timestamps.append(stamp)
                witness.sendTimes.append(header.sendNanoseconds)
            }
            offset = start + included
        }
        return witness
    }

    /// Several captures of one stream (a VIP's members) as one, by capture time; equal times keep
    /// the order of the captures. A packet captured by two members counts twice in `matching`.
    public static func merged(_ captures: [PcapWitness]) -> PcapWitness {
        guard captures.count > 1 else {
            return captures.first ?? PcapWitness(records: 0, matching: 0, sequences: [], timestamps: [])
        }
        var packets: [(time: UInt64, capture: Int, index: Int, sequence: UInt64, sent: UInt64?)] = []
        for (capture, witness) in captures.enumerated() {
            for index in witness.sequences.indices {
                let sent = index < witness.sendTimes.count ? witness.sendTimes[index] : nil
                packets.append((witness.timestamps[index], capture, index, witness.sequences[index], sent))
            }
        }
        packets.sort { ($0.time, $0.capture, $0.index) < ($1.time, $1.capture, $1.index) }
        var result = PcapWitness(
            records: captures.reduce(0) { $0 + $1.records }, matching: packets.count,
            sequences: packets.map(\.sequence), timestamps: packets.map(\.time))
        let sendTimes = packets.compactMap(\.sent)
        result.sendTimes = sendTimes.count == packets.count ? sendTimes : []
        return result
    }

    /// The capture's packets as arrivals (send times from their payload; receive time unknown,
    /// set to the send time), for attributing the capture's gaps like the probe's loss.
    public var arrivals: [ProbeArrival] {
        guard sendTimes.count == sequences.count else { return [] }
        return sequences.indices.map {
            ProbeArrival(sequence: sequences[$0], sentNanoseconds: sendTimes[$0], receivedNanoseconds: sendTimes[$0])
        }
    }

    /// Reads a pcap file and counts the stream's packets (see `count(pcap:streamID:direction:port:)`).
    /// - Throws: `ProbeError` (`.syscall` when the file cannot be read, `.malformedCapture`).
    public static func count(
        pcapFile path: String, streamID: UInt32, direction: ProbeDirection? = nil, port: Int? = nil
    ) throws -> PcapWitness {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProbeError(.syscall, operation: "read", object: path)
        }
        return try count(pcap: [UInt8](data), streamID: streamID, direction: direction, port: port)
    }

    /// Byte order and timestamp precision from the file header's magic number.
    static func fileFormat(_ header: [UInt8]) throws -> (littleEndian: Bool, nanosecond: Bool) {
        let magicLE = read32(header, 0, littleEndian: true)
        switch magicLE {
        case 0xA1B2_C3D4: return (true, false)
        case 0xA1B2_3C4D: return (true, true)
        case 0xD4C3_B2A1: return (false, false)
        case 0x4D3C_B2A1: return (false, true)
        default:
            throw ProbeError(.malformedCapture, operation: "magic \(String(magicLE, radix: 16))", object: "pcap")
        }
    }

    static func read32(_ bytes: [UInt8], _ offset: Int, littleEndian: Bool) -> UInt32 {
        let b = (UInt32(bytes[offset]), UInt32(bytes[offset + 1]), UInt32(bytes[offset + 2]), UInt32(bytes[offset + 3]))
        return littleEndian ? b.0 | b.1 << 8 | b.2 << 16 | b.3 << 24 : b.3 | b.2 << 8 | b.1 << 16 | b.0 << 24
    }

    private static func read16(_ bytes: ArraySlice<UInt8>, _ offset: Int) -> Int {
        Int(bytes[bytes.startIndex + offset]) << 8 | Int(bytes[bytes.startIndex + offset + 1])
    }

    /// LINKTYPE_NFLOG: netfilter log messages (`tcpdump -i nflog:GROUP`).
    static let linkTypeNFLOG: UInt32 = 239

    /// An NFLOG record: 4 bytes (family, version, resource id), then TLVs (length and type 16-bit in
    /// the capturing host's order, as the file's; each padded to 4 bytes). NFULA_PAYLOAD (9) is the
    /// IP packet; NFULA_TIMESTAMP (3) the kernel's receive stamp, seconds and microseconds as
    /// big-endian 64-bit (CLOCK_REALTIME).
    static func nflog(_ record: ArraySlice<UInt8>, littleEndian: Bool) -> (
        payload: ArraySlice<UInt8>, timestamp: UInt64?
    )? {
        let bytes = Array(record)
        func read16(_ at: Int) -> Int {
            littleEndian ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : Int(bytes[at]) << 8 | Int(bytes[at + 1])
        }
        func readBig64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(bytes[at + $1]) } }
        var offset = 4
        var payload: ArraySlice<UInt8>?
        var timestamp: UInt64?
        while offset + 4 <= bytes.count {
            let length = read16(offset)
            let type = read16(offset + 2) & 0x7FFF
            guard length >= 4, offset + length <= bytes.count else { break }
            if type == 9 { payload = record[(record.startIndex + offset + 4)..<(record.startIndex + offset + length)] }
            if type == 3, length >= 20 {
                timestamp = readBig64(offset + 4) &* 1_000_000_000 &+ readBig64(offset + 12) &* 1000
            }
            offset += (length + 3) & ~3
        }
        return payload.map { ($0, timestamp) }
    }

    /// Finds the UDP payload of an IP packet in a frame and decodes the probe header there.
    private static func probeHeader(in frame: ArraySlice<UInt8>, linkType: UInt32, port: Int?) -> ProbeHeader? {
        var offset: Int
        var etherType: Int
        switch linkType {
        case 1:  // Ethernet
            guard frame.count >= 14 else { return nil }
            offset = 14
            etherType = read16(frame, 12)
            while etherType == 0x8100 || etherType == 0x88A8 {
                guard frame.count >= offset + 4 else { return nil }
                etherType = read16(frame, offset + 2)
                offset += 4
            }
        case 113:  // Linux SLL
            guard frame.count >= 16 else { return nil }
            offset = 16
            etherType = read16(frame, 14)
        case 276:  // Linux SLL2
            guard frame.count >= 20 else { return nil }
            offset = 20
            etherType = read16(frame, 0)
        case 101, linkTypeNFLOG:  // raw IP (NFLOG: its payload attribute)
            guard let first = frame.first else { return nil }
            offset = 0
            etherType = first >> 4 == 6 ? 0x86DD : 0x0800
        default:
            return nil
        }
        var udp: Int
        if etherType == 0x0800 {
            guard frame.count >= offset + 20 else { return nil }
            let ihl = Int(frame[frame.startIndex + offset] & 0x0F) * 4
            let fragment = read16(frame, offset + 6) & 0x1FFF
            guard frame[frame.startIndex + offset + 9] == 17, fragment == 0 else { return nil }
            udp = offset + ihl
        } else if etherType == 0x86DD {
            guard frame.count >= offset + 40, frame[frame.startIndex + offset + 6] == 17 else { return nil }
            udp = offset + 40
        } else {
            return nil
        }
        guard frame.count >= udp + 8 + ProbeHeader.size else { return nil }
        if let port, read16(frame, udp + 2) != port { return nil }
        let payloadStart = frame.startIndex + udp + 8
        return frame[payloadStart..<(payloadStart + ProbeHeader.size)].withUnsafeBytes { ProbeHeader(decoding: $0) }
    }
}

/// Counts one stream's packets in a pcap file that is still being written, reading only what was
/// appended since the previous `update()` (a capture being drained must not be re-read whole each time).
struct GrowingPcapCount {
    let path: String
    let streamID: UInt32
    let direction: ProbeDirection?
    let port: Int?
    private var header: [UInt8] = []
    private var pending: [UInt8] = []
    private var offset: UInt64 = 0
    /// Matching packets in the complete records read so far.
    private(set) var matching = 0

    init(path: String, streamID: UInt32, direction: ProbeDirection?, port: Int?) {
        self.path = path
        self.streamID = streamID
        self.direction = direction
        self.port = port
    }

    /// Reads what was appended and returns the matching count so far.
    mutating func update() -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return matching }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else {
            return matching
        }
        offset += UInt64(data.count)
        pending += data
        if header.isEmpty {
            guard pending.count >= 24 else { return matching }
            header = Array(pending[0..<24])
            pending.removeFirst(24)
        }
        guard let littleEndian = try? PcapWitness.fileFormat(header).littleEndian else { return matching }
        func length(at index: Int) -> Int {
            Int(PcapWitness.read32(pending, index + 8, littleEndian: littleEndian))
        }
        var end = 0
        while end + 16 <= pending.count, end + 16 + length(at: end) <= pending.count { end += 16 + length(at: end) }
        guard end > 0 else { return matching }
        let chunk = header + pending[0..<end]
        pending.removeFirst(end)
        matching +=
            (try? PcapWitness.count(pcap: chunk, streamID: streamID, direction: direction, port: port).matching) ?? 0
        return matching
    }
}
