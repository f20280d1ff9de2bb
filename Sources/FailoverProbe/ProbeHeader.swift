/// The header at the start of every probe packet's UDP payload (big-endian, 32 bytes):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `FOPB` (0x464F5042) |
/// | 4 | 1 | version (1) |
/// | 5 | 1 | direction (0 forward, 1 reverse) |
/// | 6 | 2 | flow index |
/// | 8 | 4 | stream id |
/// | 12 | 4 | reserved (0) |
/// | 16 | 8 | sequence number |
/// | 24 | 8 | send time, CLOCK_MONOTONIC ns |
///
/// The rest of the payload, up to the stream's payload size, is zero padding.
public struct ProbeHeader: Sendable, Hashable {
    public static let magic: UInt32 = 0x464F_5042
    public static let version: UInt8 = 1
    /// Encoded size in bytes; the smallest allowed payload.
    public static let size = 32

    public var direction: ProbeDirection
    public var flowIndex: UInt16
    public var streamID: UInt32
    public var sequence: UInt64
    public var sendNanoseconds: UInt64

    public init(
        direction: ProbeDirection, flowIndex: UInt16, streamID: UInt32, sequence: UInt64, sendNanoseconds: UInt64
    ) {
        self.direction = direction
        self.flowIndex = flowIndex
        self.streamID = streamID
        self.sequence = sequence
        self.sendNanoseconds = sendNanoseconds
    }

    /// Writes the header into the first `size` bytes of `buffer` (which must be at least that long).
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.size, "probe buffer shorter than the header")
        buffer.storeBytes(of: Self.magic.bigEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: Self.version, toByteOffset: 4, as: UInt8.self)
        buffer.storeBytes(of: direction.rawValue, toByteOffset: 5, as: UInt8.self)
        buffer.storeBytes(of: flowIndex.bigEndian, toByteOffset: 6, as: UInt16.self)
        buffer.storeBytes(of: streamID.bigEndian, toByteOffset: 8, as: UInt32.self)
        buffer.storeBytes(of: UInt32(0), toByteOffset: 12, as: UInt32.self)
        buffer.storeBytes(of: sequence.bigEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: sendNanoseconds.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// Stores only the send time (offset 24) into an already encoded header.
    static func patchSendTime(_ nanoseconds: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBytes(of: nanoseconds.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// Stores only the flow index (offset 6) and sequence number (offset 16) into an already encoded header.
    static func patchFlowAndSequence(flow: UInt16, sequence: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBytes(of: flow.bigEndian, toByteOffset: 6, as: UInt16.self)
        buffer.storeBytes(of: sequence.bigEndian, toByteOffset: 16, as: UInt64.self)
    }

    /// The header as a byte array padded with zeros to `payloadSize`.
    public func encoded(payloadSize: Int = ProbeHeader.size) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(payloadSize, Self.size))
        bytes.withUnsafeMutableBytes { encode(into: $0) }
        return bytes
    }

    /// Decodes a header; nil when the bytes are too short or not a probe packet of this version.
    public init?(decoding buffer: UnsafeRawBufferPointer) {
        guard buffer.count >= Self.size,
            UInt32(bigEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) == Self.magic,
            buffer[4] == Self.version,
            let direction = ProbeDirection(rawValue: buffer[5])
        else { return nil }
        self.direction = direction
        flowIndex = UInt16(bigEndian: buffer.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        streamID = UInt32(bigEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        sequence = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        sendNanoseconds = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// Decodes a header from a byte array.
    public init?(decoding bytes: [UInt8]) {
        guard let header = bytes.withUnsafeBytes({ ProbeHeader(decoding: $0) }) else { return nil }
        self = header
    }
}

/// Which way a stream of a probe flows.
public enum ProbeDirection: UInt8, Sendable, Hashable, Codable, CustomStringConvertible {
    /// from → to.
    case forward = 0
    /// to → from.
    case reverse = 1

    public var description: String { self == .forward ? "forward" : "reverse" }
}
