/// Netlink message flags and types used here (values from <linux/netlink.h>).
public enum NetlinkFlags {
    public static let request: UInt16 = 0x01
    public static let multi: UInt16 = 0x02
    public static let ack: UInt16 = 0x04
    public static let echo: UInt16 = 0x08
    public static let dump: UInt16 = 0x300  // NLM_F_ROOT | NLM_F_MATCH
    public static let replace: UInt16 = 0x100
    public static let exclusive: UInt16 = 0x200
    public static let create: UInt16 = 0x400
    /// In an NLMSG_ERROR ack: the original request's payload was left out.
    public static let capped: UInt16 = 0x100
    /// In an NLMSG_ERROR ack: extended-ack TLVs follow.
    public static let ackTLVs: UInt16 = 0x200
}

public enum NetlinkMessageType {
    public static let noop: UInt16 = 1
    public static let error: UInt16 = 2
    public static let done: UInt16 = 3
    public static let overrun: UInt16 = 4
}

/// The attribute-type flag bits (`NLA_F_NESTED`, `NLA_F_NET_BYTEORDER`).
public enum AttributeFlags {
    public static let nested: UInt16 = 0x8000
    public static let netByteOrder: UInt16 = 0x4000
    public static let typeMask: UInt16 = 0x3fff
}

@inline(__always)
func align4(_ length: Int) -> Int { (length + 3) & ~3 }

extension Array where Element == UInt8 {
    mutating func appendHost<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value) { append(contentsOf: $0) }
    }

    mutating func storeHost<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value) { raw in
            for (index, byte) in raw.enumerated() { self[offset + index] = byte }
        }
    }
}

/// Reads a host-order integer at `offset`, or nil when the bytes are too short.
func loadHost<T: FixedWidthInteger, C: Collection<UInt8>>(_: T.Type, from bytes: C, at offset: Int) -> T?
where C.Index == Int {
    let size = MemoryLayout<T>.size
    guard offset >= 0, bytes.count >= offset + size else { return nil }
    var value = T.zero
    withUnsafeMutableBytes(of: &value) { raw in
        for index in 0..<size { raw[index] = bytes[bytes.startIndex + offset + index] }
    }
    return value
}

/// Builds one netlink message: header, family header, attributes (nested where asked).
/// Length fields are patched as attributes are closed; the sequence number is set on send.
public struct NetlinkMessageBuilder: Sendable, Hashable {
    public private(set) var bytes: [UInt8]
    private var openNests: [Int] = []

    /// Starts a message of `type` with `flags` (NLM_F_REQUEST is not added implicitly).
    public init(type: UInt16, flags: UInt16) {
        bytes = []
        bytes.reserveCapacity(256)
        bytes.appendHost(UInt32(16))  // nlmsg_len, patched
        bytes.appendHost(type)
        bytes.appendHost(flags)
        bytes.appendHost(UInt32(0))  // nlmsg_seq
        bytes.appendHost(UInt32(0))  // nlmsg_pid
    }

    /// Appends a fixed family header (ifinfomsg, ifaddrmsg, rtmsg), padded to 4 bytes.
    public mutating func appendFamilyHeader(_ header: [UInt8]) {
        bytes.append(contentsOf: header)
        pad()
        patchLength()
    }

    /// Appends one attribute with a raw payload.
    public mutating func append(_ type: UInt16, _ payload: [UInt8]) {
        let start = bytes.count
        bytes.appendHost(UInt16(4 + payload.count))
        bytes.appendHost(type)
        bytes.append(contentsOf: payload)
        _ = start
        pad()
        patchLength()
    }

    public mutating func append(_ type: UInt16, uint8 value: UInt8) { append(type, [value]) }
    public mutating func append(_ type: UInt16, uint16 value: UInt16) { append(type, hostBytes(value)) }
    public mutating func append(_ type: UInt16, uint32 value: UInt32) { append(type, hostBytes(value)) }
    public mutating func append(_ type: UInt16, int32 value: Int32) { append(type, hostBytes(value)) }
    /// A NUL-terminated string attribute (NLA_STRING / NLA_NUL_STRING).
    public mutating func append(_ type: UInt16, string value: String) { append(type, Array(value.utf8) + [0]) }

    /// Opens a nested attribute; close it with `endNest()`. `flagNested` sets NLA_F_NESTED.
    public mutating func beginNest(_ type: UInt16, flagNested: Bool = false) {
        openNests.append(bytes.count)
        bytes.appendHost(UInt16(4))
        bytes.appendHost(flagNested ? type | AttributeFlags.nested : type)
        patchLength()
    }

    /// Closes the innermost open nest and patches its length.
    public mutating func endNest() {
        guard let start = openNests.popLast() else { return }
        bytes.storeHost(UInt16(bytes.count - start), at: start)
    }

    /// A nested attribute whose content `body` appends.
    public mutating func nest(_ type: UInt16, flagNested: Bool = false, _ body: (inout NetlinkMessageBuilder) -> Void) {
        beginNest(type, flagNested: flagNested)
        body(&self)
        endNest()
    }

    /// The message with its sequence number and port id set.
    public func finalized(sequence: UInt32, portID: UInt32 = 0) -> [UInt8] {
        var out = bytes
        out.storeHost(sequence, at: 8)
        out.storeHost(portID, at: 12)
        return out
    }

    public var type: UInt16 { loadHost(UInt16.self, from: bytes, at: 4) ?? 0 }
    public var flags: UInt16 { loadHost(UInt16.self, from: bytes, at: 6) ?? 0 }

    /// Adds flags to the header (NLM_F_ACK is added by the socket for requests).
    public mutating func addFlags(_ extra: UInt16) { bytes.storeHost(flags | extra, at: 6) }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    private mutating func patchLength() { bytes.storeHost(UInt32(bytes.count), at: 0) }

    private func hostBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        var out: [UInt8] = []
        out.appendHost(value)
        return out
    }
}

/// One netlink message as received.
public struct NetlinkMessage: Sendable, Hashable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    /// Everything after the 16-byte header.
    public var payload: [UInt8]

    public init(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32, payload: [UInt8]) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
        self.payload = payload
    }

    /// Splits a datagram into messages.
    /// - Throws: `NetlinkParseError` when a length field points outside the buffer.
    public static func split(_ buffer: some Collection<UInt8>) throws(NetlinkParseError) -> [NetlinkMessage] {
        let bytes = Array(buffer)
        var result: [NetlinkMessage] = []
        var offset = 0
        while offset + 16 <= bytes.count {
            guard let length = loadHost(UInt32.self, from: bytes, at: offset).map(Int.init),
                length >= 16, offset + length <= bytes.count,
                let type = loadHost(UInt16.self, from: bytes, at: offset + 4),
                let flags = loadHost(UInt16.self, from: bytes, at: offset + 6),
                let sequence = loadHost(UInt32.self, from: bytes, at: offset + 8),
                let portID = loadHost(UInt32.self, from: bytes, at: offset + 12)
            else { throw NetlinkParseError(what: "netlink message header", offset: offset) }
            result.append(
                NetlinkMessage(
                    type: type, flags: flags, sequence: sequence, portID: portID,
                    payload: Array(bytes[(offset + 16)..<(offset + length)])))
            offset += align4(length)
        }
        return result
    }

    /// For an NLMSG_ERROR message: the errno (0 = ack) and the extended-ack text, if any.
    public var errorReply: NetlinkErrorReply? {
        guard type == NetlinkMessageType.error, let code = loadHost(Int32.self, from: payload, at: 0) else {
            return nil
        }
        var reply = NetlinkErrorReply(error: -code, message: nil, offendingOffset: nil)
        guard flags & NetlinkFlags.ackTLVs != 0 else { return reply }
        // After the error code comes the original header; unless capped, its whole payload too.
        var tlvOffset = 4 + 16
        if flags & NetlinkFlags.capped == 0 {
            guard let originalLength = loadHost(UInt32.self, from: payload, at: 4) else { return reply }
            tlvOffset = 4 + align4(Int(originalLength))
        }
        guard tlvOffset <= payload.count else { return reply }
        for attribute in NetlinkAttribute.parse(payload[tlvOffset...]) {
            switch attribute.type {
            case 1: reply.message = attribute.string  // NLMSGERR_ATTR_MSG
            case 2: reply.offendingOffset = attribute.uint32  // NLMSGERR_ATTR_OFFS
            default: break
            }
        }
        return reply
    }
}

/// The content of an NLMSG_ERROR message.
public struct NetlinkErrorReply: Sendable, Hashable {
    /// Positive errno, 0 for a plain ack.
    public var error: Int32
    /// NLMSGERR_ATTR_MSG.
    public var message: String?
    /// NLMSGERR_ATTR_OFFS: offset of the offending attribute in the request.
    public var offendingOffset: UInt32?
}

/// Malformed bytes in a reply.
public struct NetlinkParseError: Error, Sendable, CustomStringConvertible {
    public var what: String
    public var offset: Int
    public var description: String { "malformed \(what) at offset \(offset)" }
}

/// One attribute (rtattr / nlattr): type without flag bits, and payload.
public struct NetlinkAttribute: Sendable, Hashable {
    public var type: UInt16
    /// NLA_F_NESTED was set.
    public var isNestedFlagged: Bool
    public var payload: [UInt8]

    public init(type: UInt16, isNestedFlagged: Bool = false, payload: [UInt8]) {
        self.type = type
        self.isNestedFlagged = isNestedFlagged
        self.payload = payload
    }

    /// Parses a run of attributes; stops at the first malformed one (tolerant, like the kernel).
    public static func parse(_ bytes: some Collection<UInt8>) -> [NetlinkAttribute] {
        let bytes = Array(bytes)
        var result: [NetlinkAttribute] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            guard let length = loadHost(UInt16.self, from: bytes, at: offset).map(Int.init),
                let rawType = loadHost(UInt16.self, from: bytes, at: offset + 2),
                length >= 4, offset + length <= bytes.count
            else { break }
            result.append(
                NetlinkAttribute(
                    type: rawType & AttributeFlags.typeMask,
                    isNestedFlagged: rawType & AttributeFlags.nested != 0,
                    payload: Array(bytes[(offset + 4)..<(offset + length)])))
            offset += align4(length)
        }
        return result
    }

    public var uint8: UInt8? { payload.first }
    public var uint16: UInt16? { loadHost(UInt16.self, from: payload, at: 0) }
    public var uint32: UInt32? { loadHost(UInt32.self, from: payload, at: 0) }
    public var int32: Int32? { loadHost(Int32.self, from: payload, at: 0) }
    /// Text up to the first NUL.
    public var string: String {
        let end = payload.firstIndex(of: 0) ?? payload.count
        return String(decoding: payload[0..<end], as: UTF8.self)
    }
    /// The payload parsed as nested attributes.
    public var nested: [NetlinkAttribute] { NetlinkAttribute.parse(payload) }
}

extension Array where Element == NetlinkAttribute {
    /// The first attribute of `type`.
    public func first(_ type: UInt16) -> NetlinkAttribute? { first { $0.type == type } }
}
