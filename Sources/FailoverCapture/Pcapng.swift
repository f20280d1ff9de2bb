/// A pcapng file (draft-ietf-opsawg-pcapng) built in memory: a section header block, one interface
/// description block per captured port (`if_name` = the port's topology role, `if_tsresol` = 9,
/// nanoseconds, linktype Ethernet), enhanced packet blocks in time order, and the step marks as
/// `opt_comment` of the first packet at or after each mark (Wireshark and `tshark -e frame.comment`
/// show them). A mark with no packet after it is kept as a comment of the section header.
/// Little-endian, as written on the machines we run on (the byte-order magic says so).
public struct PcapngWriter: Sendable {
    /// One packet to write: which interface (index into `interfaces`), when (CLOCK_REALTIME ns,
    /// the capture's own stamp), the length on the wire and the captured bytes.
    public struct Packet: Sendable, Hashable {
        public var interface: Int
        public var realtimeNanoseconds: UInt64
        public var originalLength: Int
        public var bytes: [UInt8]

        public init(interface: Int, realtimeNanoseconds: UInt64, originalLength: Int, bytes: [UInt8]) {
            self.interface = interface
            self.realtimeNanoseconds = realtimeNanoseconds
            self.originalLength = originalLength
            self.bytes = bytes
        }
    }

    /// A comment at a point in time (a fault step), CLOCK_REALTIME ns.
    public struct Mark: Sendable, Hashable {
        public var realtimeNanoseconds: UInt64
        public var text: String

        public init(realtimeNanoseconds: UInt64, text: String) {
            self.realtimeNanoseconds = realtimeNanoseconds
            self.text = text
        }
    }

    /// An interface block: the name shown by Wireshark and the snapshot length.
    public struct Interface: Sendable, Hashable {
        public var name: String
        public var snapLength: Int

        public init(name: String, snapLength: Int) {
            self.name = name
            self.snapLength = snapLength
        }
    }

    static let sectionHeaderType: UInt32 = 0x0A0D_0D0A
    static let interfaceDescriptionType: UInt32 = 1
    static let enhancedPacketType: UInt32 = 6
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    static let linkTypeEthernet: UInt16 = 1
    static let optionEnd: UInt16 = 0
    static let optionComment: UInt16 = 1
    static let optionInterfaceName: UInt16 = 2
    static let optionTimestampResolution: UInt16 = 9
    static let optionUserApplication: UInt16 = 4

    public var interfaces: [Interface]
    public var application: String

    public init(interfaces: [Interface], application: String = "failover") {
        self.interfaces = interfaces
        self.application = application
    }

    /// The file's bytes. Packets are sorted by time (stable); each mark's text goes on the first
    /// packet at or after it (several marks on one packet are separate comments).
    /// - Returns: the bytes and, per mark (in the order given), the index of the packet (in time
    ///   order) that carries it, nil when it went on the section header.
    public func encode(packets: [Packet], marks: [Mark]) -> (bytes: [UInt8], markPackets: [Int?]) {
        let ordered = packets.enumerated().sorted {
            ($0.element.realtimeNanoseconds, $0.offset) < ($1.element.realtimeNanoseconds, $1.offset)
        }.map(\.element)
        var comments: [Int: [String]] = [:]
        var markPackets: [Int?] = []
        var unattached: [String] = []
        for mark in marks {
            let index = ordered.firstIndex { $0.realtimeNanoseconds >= mark.realtimeNanoseconds }
            markPackets.append(index)
            if let index { comments[index, default: []].append(mark.text) } else { unattached.append(mark.text) }
        }
        var out: [UInt8] = []
        var options: [UInt8] = []
        for text in unattached { Self.option(&options, Self.optionComment, Array(text.utf8)) }
        Self.option(&options, Self.optionUserApplication, Array(application.utf8))
        var body: [UInt8] = []
        Self.put32(&body, Self.byteOrderMagic)
        Self.put16(&body, 1)
        Self.put16(&body, 0)
        Self.put64(&body, UInt64.max)  // section length not given
        Self.block(&out, Self.sectionHeaderType, body, options: options)
        for interface in interfaces {
            var body: [UInt8] = []
            Self.put16(&body, Self.linkTypeEthernet)
            Self.put16(&body, 0)
            Self.put32(&body, UInt32(clamping: interface.snapLength))
            var options: [UInt8] = []
            Self.option(&options, Self.optionInterfaceName, Array(interface.name.utf8))
            Self.option(&options, Self.optionTimestampResolution, [9])
            Self.block(&out, Self.interfaceDescriptionType, body, options: options)
        }
        for (index, packet) in ordered.enumerated() {
            var body: [UInt8] = []
            Self.put32(&body, UInt32(clamping: packet.interface))
            Self.put32(&body, UInt32(truncatingIfNeeded: packet.realtimeNanoseconds >> 32))
            Self.put32(&body, UInt32(truncatingIfNeeded: packet.realtimeNanoseconds))
            Self.put32(&body, UInt32(clamping: packet.bytes.count))
            Self.put32(&body, UInt32(clamping: packet.originalLength))
            body += packet.bytes
            Self.pad(&body)
            var options: [UInt8] = []
            for text in comments[index] ?? [] { Self.option(&options, Self.optionComment, Array(text.utf8)) }
            Self.block(&out, Self.enhancedPacketType, body, options: options)
        }
        return (out, markPackets)
    }

    static func block(_ out: inout [UInt8], _ type: UInt32, _ body: [UInt8], options: [UInt8]) {
        var options = options
        if !options.isEmpty {
            put16(&options, optionEnd)
            put16(&options, 0)
        }
        let total = UInt32(12 + body.count + options.count)
        put32(&out, type)
        put32(&out, total)
        out += body
        out += options
        put32(&out, total)
    }

    static func option(_ out: inout [UInt8], _ code: UInt16, _ value: [UInt8]) {
        put16(&out, code)
        put16(&out, UInt16(clamping: value.count))
        out += value.prefix(Int(UInt16.max))
        pad(&out)
    }

    static func pad(_ out: inout [UInt8]) {
        while out.count % 4 != 0 { out.append(0) }
    }

    static func put16(_ out: inout [UInt8], _ value: UInt16) {
        out += [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
    }

    static func put32(_ out: inout [UInt8], _ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    static func put64(_ out: inout [UInt8], _ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

/// Reads pcapng files written by `PcapngWriter` (little-endian sections; SHB, IDB, EPB and their
/// comment / name / resolution options). For checking our own files; other block types are skipped.
public struct PcapngFile: Sendable, Hashable {
    public struct Interface: Sendable, Hashable {
        public var linkType: UInt16
        public var snapLength: UInt32
        public var name: String?
        /// The raw if_tsresol byte (9 = nanoseconds), nil when absent (microseconds).
        public var timestampResolution: UInt8?
    }

    public struct Packet: Sendable, Hashable {
        public var interface: Int
        /// The timestamp in the interface's units (nanoseconds for our files).
        public var timestamp: UInt64
        public var originalLength: Int
        public var bytes: [UInt8]
        public var comments: [String]
    }

    public var sectionComments: [String] = []
    public var interfaces: [Interface] = []
    public var packets: [Packet] = []

    /// A malformed file: what and at which byte offset.
    public struct FormatError: Error, Sendable, Hashable, CustomStringConvertible {
        public var offset: Int
        public var problem: String
        public var description: String { "pcapng: \(problem) at byte \(offset)" }
    }

    /// Parses the file.
    /// - Throws: `FormatError` on a bad magic, a big-endian section, or a block that does not fit.
    public init(bytes: [UInt8]) throws(FormatError) {
        var offset = 0
        var sawSection = false
        while offset < bytes.count {
            guard let type = Self.u32(bytes, offset), let length = Self.u32(bytes, offset + 4).map(Int.init),
                length >= 12, length % 4 == 0, offset + length <= bytes.count,
                Self.u32(bytes, offset + length - 4) == UInt32(length)
            else { throw FormatError(offset: offset, problem: "truncated or inconsistent block") }
            let body = Array(bytes[(offset + 8)..<(offset + length - 4)])
            switch type {
            case PcapngWriter.sectionHeaderType:
                guard Self.u32(body, 0) == PcapngWriter.byteOrderMagic else {
                    throw FormatError(offset: offset, problem: "byte-order magic is not little-endian 0x1A2B3C4D")
                }
                sawSection = true
                sectionComments += Self.options(body, from: 16).filter { $0.code == 1 }.map(\.text)
            case PcapngWriter.interfaceDescriptionType where sawSection:
                guard let linkType = Self.u16(body, 0), let snap = Self.u32(body, 4) else {
                    throw FormatError(offset: offset, problem: "short interface block")
                }
                let options = Self.options(body, from: 8)
                interfaces.append(
                    Interface(
                        linkType: linkType, snapLength: snap, name: options.first { $0.code == 2 }?.text,
                        timestampResolution: options.first { $0.code == 9 }?.value.first))
            case PcapngWriter.enhancedPacketType where sawSection:
                guard let interface = Self.u32(body, 0), let high = Self.u32(body, 4), let low = Self.u32(body, 8),
                    let captured = Self.u32(body, 12).map(Int.init), let original = Self.u32(body, 16),
                    20 + captured <= body.count
                else { throw FormatError(offset: offset, problem: "short enhanced packet block") }
                guard Int(interface) < interfaces.count else {
                    throw FormatError(offset: offset, problem: "packet of undeclared interface \(interface)")
                }
                let padded = (captured + 3) / 4 * 4
                packets.append(
                    Packet(
                        interface: Int(interface), timestamp: UInt64(high) << 32 | UInt64(low),
                        originalLength: Int(original), bytes: Array(body[20..<(20 + captured)]),
                        comments: Self.options(body, from: 20 + padded).filter { $0.code == 1 }.map(\.text)))
            default:
                guard sawSection else { throw FormatError(offset: offset, problem: "no section header block first") }
            }
            offset += length
        }
        guard sawSection else { throw FormatError(offset: 0, problem: "no section header block") }
    }

    struct Option {
        var code: UInt16
        var value: [UInt8]
        var text: String { String(decoding: value, as: UTF8.self) }
    }

    static func options(_ body: [UInt8], from start: Int) -> [Option] {
        var result: [Option] = []
        var offset = start
        while let code = u16(body, offset), let length = u16(body, offset + 2).map(Int.init), code != 0,
            offset + 4 + length <= body.count
        {
            result.append(Option(code: code, value: Array(body[(offset + 4)..<(offset + 4 + length)])))
            offset += 4 + (length + 3) / 4 * 4
        }
        return result
    }

    static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << UInt32(8 * $1) }
    }
}
