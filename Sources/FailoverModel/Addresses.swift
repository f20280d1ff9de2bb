/// An IPv4 or IPv6 address with prefix length, as written in a playbook (`198.18.0.1/24`, `2001:2::1/64`).
public struct InterfaceAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Family: String, Sendable, Codable { case ipv4, ipv6 }
    public var family: Family
    /// Address bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8]
    public var prefixLength: Int

    public init(family: Family, bytes: [UInt8], prefixLength: Int) {
        self.family = family
        self.bytes = bytes
        self.prefixLength = prefixLength
    }

    /// Parses `a.b.c.d/len` or `x:y::z/len`. The prefix is required.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]) else { return nil }
        if let v4 = IPv4.parse(String(parts[0])) {
            guard (0...32).contains(length) else { return nil }
            self.init(family: .ipv4, bytes: v4, prefixLength: length)
        } else if let v6 = IPv6.parse(String(parts[0])) {
            guard (0...128).contains(length) else { return nil }
            self.init(family: .ipv6, bytes: v6, prefixLength: length)
        } else {
            return nil
        }
    }

    /// The address without prefix.
    public var addressText: String { family == .ipv4 ? IPv4.format(bytes) : IPv6.format(bytes) }
    public var description: String { "\(addressText)/\(prefixLength)" }
}

/// A bare IP address (no prefix), e.g. an ARP target.
public struct IPAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    public var family: InterfaceAddress.Family
    public var bytes: [UInt8]

    public init?(_ text: String) {
        if let v4 = IPv4.parse(text) {
            family = .ipv4
            bytes = v4
        } else if let v6 = IPv6.parse(text) {
            family = .ipv6
            bytes = v6
        } else {
            return nil
        }
    }

    public init(family: InterfaceAddress.Family, bytes: [UInt8]) {
        self.family = family
        self.bytes = bytes
    }

    public var description: String { family == .ipv4 ? IPv4.format(bytes) : IPv6.format(bytes) }
}

/// An Ethernet address, `02:00:00:00:00:01`.
public struct MACAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            result.append(byte)
        }
        bytes = result
    }

    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// Multicast bit set (not usable as an interface address).
    public var isMulticast: Bool { (bytes.first ?? 0) & 1 == 1 }
}

enum IPv4 {
    static func parse(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = UInt8(part) else {
                return nil
            }
            out.append(value)
        }
        return out
    }

    static func format(_ bytes: [UInt8]) -> String { bytes.map(String.init).joined(separator: ".") }
}

enum IPv6 {
    static func parse(_ text: String) -> [UInt8]? {
        guard text.contains(":"), text.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if piece.contains(".") {
                    guard index == pieces.count - 1, let v4 = IPv4.parse(String(piece)) else { return nil }
                    result.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    result.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                } else {
                    guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        var all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0]), let tail = groups(halves[1]), head.count + tail.count < 8 else {
                return nil
            }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let only = groups(halves[0]), only.count == 8 else { return nil }
            all = only
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    /// RFC 5952 text form.
    static func format(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > bestLength && end - index >= 2 {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        func hex(_ range: Range<Int>) -> String { groups[range].map { String($0, radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

extension String {
    fileprivate func components(separatedByDoubleColon _: Void) -> [String] {
        var result: [String] = []
        var current = ""
        var chars = Array(self)
        var index = 0
        while index < chars.count {
            if chars[index] == ":" && index + 1 < chars.count && chars[index + 1] == ":" {
                result.append(current)
                current = ""
                index += 2
            } else {
                current.append(chars[index])
                index += 1
            }
        }
        result.append(current)
        chars.removeAll()
        return result
    }
}
