public import FailoverModel

// `FrameKind` is in the model (FailoverModel/Capture.swift): playbooks name it.

/// One decoded Ethernet frame.
public struct DecodedFrame: Sendable, Hashable {
    public var destination: MACAddress
    public var source: MACAddress
    /// 802.1Q / 802.1ad VLAN IDs, outermost first (empty when untagged).
    public var vlanIDs: [UInt16]
    /// The EtherType after any VLAN tags.
    public var etherType: UInt16
    public var network: NetworkLayer

    public init(
        destination: MACAddress, source: MACAddress, vlanIDs: [UInt16], etherType: UInt16, network: NetworkLayer
    ) {
        self.destination = destination
        self.source = source
        self.vlanIDs = vlanIDs
        self.etherType = etherType
        self.network = network
    }

    /// The classification used by the assertions.
    public var kind: FrameKind { network.kind(destination: destination) }

    /// The ICMPv6 neighbour advertisement this frame carries, if it is one.
    public var advertisement: NeighbourAdvertisement? {
        guard case .ipv6(let packet) = network,
            case .icmpv6(.neighbourAdvertisement(let advertisement)) = packet.transport
        else { return nil }
        return advertisement
    }

    /// The ARP sender IP, or the IPv6 neighbour-discovery target, or the IP source: the address a
    /// frame speaks for (`sender_ip` of the assertions).
    public var senderIP: IPAddress? {
        switch network {
        case .arp(let arp): return arp.senderIP
        case .ipv4(let packet): return packet.source
        case .ipv6(let packet):
            switch packet.transport {
            case .icmpv6(.neighbourAdvertisement(let advertisement)): return advertisement.target
            default: return packet.source
            }
        case .slowProtocol, .other, .truncated: return nil
        }
    }
}

/// What follows the Ethernet header.
public enum NetworkLayer: Sendable, Hashable {
    case arp(ARPPacket)
    case ipv4(IPPacket)
    case ipv6(IPPacket)
    case slowProtocol(SlowProtocolPDU)
    /// An EtherType not decoded here.
    case other
    /// A header cut short: which one.
    case truncated(String)

    func kind(destination: MACAddress) -> FrameKind {
        switch self {
        case .arp(let arp):
            if arp.isGratuitous { return .garp }
            switch arp.operation {
            case 1: return .arpRequest
            case 2: return .arpReply
            default: return .other
            }
        case .ipv4(let packet), .ipv6(let packet):
            return packet.transport.kind(destination: packet.destination)
        case .slowProtocol(.lacp): return .lacpdu
        case .slowProtocol(.marker): return .marker
        case .slowProtocol(.other), .other, .truncated: return .other
        }
    }
}

/// An ARP packet for IPv4 over Ethernet.
public struct ARPPacket: Sendable, Hashable {
    /// 1 request, 2 reply.
    public var operation: UInt16
    public var senderMAC: MACAddress
    public var senderIP: IPAddress
    public var targetMAC: MACAddress
    public var targetIP: IPAddress

    /// Sender IP == target IP: a gratuitous ARP (RFC 5227 §3 ARP announcement, either opcode).
    public var isGratuitous: Bool { senderIP == targetIP }
}

/// An IPv4 or IPv6 packet: addresses, the final protocol (after IPv6 extension headers), payload.
public struct IPPacket: Sendable, Hashable {
    public var source: IPAddress
    public var destination: IPAddress
    /// IPv4 protocol or the IPv6 next header after extension headers.
    public var protocolNumber: UInt8
    /// IPv4 TTL or IPv6 hop limit (VRRP and ND require 255).
    public var hopLimit: UInt8
    public var transport: Transport
}

/// The transport layer of an IP packet.
public enum Transport: Sendable, Hashable {
    case udp(sourcePort: UInt16, destinationPort: UInt16)
    case icmpv6(ICMPv6Message)
    case igmp(IGMPMessage)
    case vrrp(VRRPAdvertisement)
    case carp(CARPAdvertisement)
    case other
    case truncated(String)

    func kind(destination: IPAddress) -> FrameKind {
        switch self {
        case .udp: return .udp
        case .icmpv6(.neighbourSolicitation): return .ns
        case .icmpv6(.neighbourAdvertisement(let advertisement)):
            return !advertisement.solicited && destination == IPAddress.allNodes ? .unsolicitedNA : .na
        case .icmpv6(.mldReport): return .mldReport
        case .icmpv6(.other): return .other
        case .igmp(let message): return message.isReport ? .igmpReport : .other
        case .vrrp: return .vrrp
        case .carp: return .carp
        case .other, .truncated: return .other
        }
    }
}

extension IPAddress {
    /// ff02::1, the link-local all-nodes group.
    static let allNodes = IPAddress(family: .ipv6, bytes: [0xff, 0x02] + [UInt8](repeating: 0, count: 13) + [1])
}

/// The ICMPv6 messages the assertions look at.
public enum ICMPv6Message: Sendable, Hashable {
    /// Type 135.
    case neighbourSolicitation(target: IPAddress, sourceLinkLayer: MACAddress?)
    /// Type 136.
    case neighbourAdvertisement(NeighbourAdvertisement)
    /// Type 131 (MLDv1, version 1) or 143 (MLDv2, version 2).
    case mldReport(version: Int)
    case other(type: UInt8)
}

/// An ICMPv6 neighbour advertisement (RFC 4861 §4.4).
public struct NeighbourAdvertisement: Sendable, Hashable {
    public var target: IPAddress
    public var router: Bool
    public var solicited: Bool
    public var override: Bool
    /// The target link-layer address option, when present.
    public var targetLinkLayer: MACAddress?
}

/// An IGMP message (RFC 1112, 2236, 3376).
public struct IGMPMessage: Sendable, Hashable {
    public var type: UInt8
    /// Types 0x12 (v1), 0x16 (v2) and 0x22 (v3) are membership reports.
    public var isReport: Bool { type == 0x12 || type == 0x16 || type == 0x22 }
}

/// A VRRP advertisement (RFC 3768 version 2, RFC 5798 version 3).
public struct VRRPAdvertisement: Sendable, Hashable {
    public var version: UInt8
    public var type: UInt8
    public var vrid: UInt8
    public var priority: UInt8
    public var addressCount: UInt8
    /// Version 2: seconds; version 3: centiseconds (the 12-bit Max Advertise Interval).
    public var advertisementInterval: UInt16
}

/// A CARP advertisement (OpenBSD `struct carp_header`, also ucarp).
public struct CARPAdvertisement: Sendable, Hashable {
    public var version: UInt8
    public var type: UInt8
    public var vhid: UInt8
    public var advskew: UInt8
    /// Seconds.
    public var advbase: UInt8
    /// The 64-bit replay counter.
    public var counter: UInt64
}

/// A slow-protocols PDU (EtherType 0x8809, IEEE 802.3 annex 43B).
public enum SlowProtocolPDU: Sendable, Hashable {
    case lacp(LACPDU)
    case marker(MarkerPDU)
    case other(subtype: UInt8)
}

/// An LACPDU (IEEE 802.3ad §43.4.2.2): the actor's and the partner's information.
public struct LACPDU: Sendable, Hashable {
    public var version: UInt8
    public var actor: LACPPortInformation
    public var partner: LACPPortInformation
}

/// The actor or partner information TLV of an LACPDU.
public struct LACPPortInformation: Sendable, Hashable {
    public var systemPriority: UInt16
    public var system: MACAddress
    public var key: UInt16
    public var portPriority: UInt16
    public var port: UInt16
    public var state: LACPState
}

/// The state octet of LACP (802.3ad §43.4.2.2).
public struct LACPState: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let activity = LACPState(rawValue: 0x01)
    /// Short timeout (fast rate).
    public static let timeout = LACPState(rawValue: 0x02)
    public static let aggregation = LACPState(rawValue: 0x04)
    public static let synchronization = LACPState(rawValue: 0x08)
    public static let collecting = LACPState(rawValue: 0x10)
    public static let distributing = LACPState(rawValue: 0x20)
    public static let defaulted = LACPState(rawValue: 0x40)
    public static let expired = LACPState(rawValue: 0x80)

    static let names: [(LACPState, String)] = [
        (.activity, "activity"), (.timeout, "timeout"), (.aggregation, "aggregation"),
        (.synchronization, "synchronization"), (.collecting, "collecting"), (.distributing, "distributing"),
        (.defaulted, "defaulted"), (.expired, "expired"),
    ]

    /// `activity,aggregation,synchronization` (the set bits, in bit order).
    public var description: String {
        Self.names.filter { contains($0.0) }.map(\.1).joined(separator: ",")
    }
}

/// A marker or marker-response PDU (802.3ad §43.5.3).
public struct MarkerPDU: Sendable, Hashable {
    public var isResponse: Bool
    public var requesterPort: UInt16
    public var requesterSystem: MACAddress
    public var transactionID: UInt32
}

/// Decodes Ethernet frames (pure: bytes in, values out; never traps on short or odd input).
public enum FrameDecoder {
    public static let etherTypeIPv4: UInt16 = 0x0800
    public static let etherTypeARP: UInt16 = 0x0806
    public static let etherTypeIPv6: UInt16 = 0x86DD
    public static let etherTypeSlowProtocols: UInt16 = 0x8809
    static let vlanEtherTypes: Set<UInt16> = [0x8100, 0x88A8]

    /// Decodes one frame; nil when it is shorter than an Ethernet header.
    public static func decode(_ bytes: some Collection<UInt8>) -> DecodedFrame? {
        let data = Bytes(Array(bytes))
        guard let destination = data.mac(0), let source = data.mac(6), var etherType = data.u16(12) else { return nil }
        var offset = 14
        var vlans: [UInt16] = []
        while vlanEtherTypes.contains(etherType) {
            guard let tci = data.u16(offset), let inner = data.u16(offset + 2) else {
                return DecodedFrame(
                    destination: destination, source: source, vlanIDs: vlans, etherType: etherType,
                    network: .truncated("802.1Q tag"))
            }
            vlans.append(tci & 0x0FFF)
            etherType = inner
            offset += 4
        }
        let payload = data.slice(from: offset)
        let network: NetworkLayer =
            switch etherType {
            case etherTypeARP: decodeARP(payload)
            case etherTypeIPv4: decodeIPv4(payload)
            case etherTypeIPv6: decodeIPv6(payload)
            case etherTypeSlowProtocols: decodeSlowProtocol(payload)
            default: .other
            }
        return DecodedFrame(
            destination: destination, source: source, vlanIDs: vlans, etherType: etherType, network: network)
    }

    static func decodeARP(_ data: Bytes) -> NetworkLayer {
        // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4: 28 bytes.
        guard let hardware = data.u16(0), let proto = data.u16(2), let operation = data.u16(6),
            let senderMAC = data.mac(8), let senderIP = data.ipv4(14), let targetMAC = data.mac(18),
            let targetIP = data.ipv4(24)
        else { return .truncated("ARP") }
        guard hardware == 1, proto == etherTypeIPv4, data.u8(4) == 6, data.u8(5) == 4 else { return .other }
        return .arp(
            ARPPacket(
                operation: operation, senderMAC: senderMAC, senderIP: senderIP, targetMAC: targetMAC,
                targetIP: targetIP))
    }

    static func decodeIPv4(_ data: Bytes) -> NetworkLayer {
        guard let first = data.u8(0), first >> 4 == 4, let totalLength = data.u16(2), let ttl = data.u8(8),
            let proto = data.u8(9), let source = data.ipv4(12), let destination = data.ipv4(16)
        else { return .truncated("IPv4 header") }
        let headerLength = Int(first & 0x0F) * 4
        guard headerLength >= 20, Int(totalLength) >= headerLength else { return .truncated("IPv4 header") }
        let payload = data.slice(from: headerLength, count: Int(totalLength) - headerLength)
        let transport = decodeTransport(proto, payload, family: .ipv4)
        return .ipv4(
            IPPacket(
                source: source, destination: destination, protocolNumber: proto, hopLimit: ttl, transport: transport))
    }

    static func decodeIPv6(_ data: Bytes) -> NetworkLayer {
        guard let first = data.u8(0), first >> 4 == 6, let payloadLength = data.u16(4), var next = data.u8(6),
            let hopLimit = data.u8(7), let source = data.ipv6(8), let destination = data.ipv6(24)
        else { return .truncated("IPv6 header") }
        var payload = data.slice(from: 40, count: Int(payloadLength))
        // Hop-by-hop (MLD's router alert), routing, destination options: (length + 1) * 8 bytes;
        // fragment: 8 bytes.
        while [0, 43, 60, 44].contains(next) {
            guard let following = payload.u8(0), let length = payload.u8(1) else {
                return .ipv6(
                    IPPacket(
                        source: source, destination: destination, protocolNumber: next, hopLimit: hopLimit,
                        transport: .truncated("IPv6 extension header")))
            }
            let size = next == 44 ? 8 : (Int(length) + 1) * 8
            payload = payload.slice(from: size)
            next = following
        }
        let transport = decodeTransport(next, payload, family: .ipv6)
        return .ipv6(
            IPPacket(
                source: source, destination: destination, protocolNumber: next, hopLimit: hopLimit,
                transport: transport))
    }

    static func decodeTransport(_ proto: UInt8, _ data: Bytes, family: InterfaceAddress.Family) -> Transport {
        switch proto {
        case 17:
            guard let source = data.u16(0), let destination = data.u16(2) else { return .truncated("UDP header") }
            return .udp(sourcePort: source, destinationPort: destination)
        case 2 where family == .ipv4:
            guard let type = data.u8(0) else { return .truncated("IGMP") }
            return .igmp(IGMPMessage(type: type))
        case 58 where family == .ipv6:
            return decodeICMPv6(data)
        case 112:
            return decodeProtocol112(data)
        default:
            return .other
        }
    }

    static func decodeICMPv6(_ data: Bytes) -> Transport {
        guard let type = data.u8(0) else { return .truncated("ICMPv6") }
        switch type {
        case 135, 136:
            guard let flags = data.u8(4), let target = data.ipv6(8) else { return .truncated("ICMPv6 ND") }
            let linkLayer = linkLayerOption(data.slice(from: 24), type: type == 135 ? 1 : 2)
            if type == 135 { return .icmpv6(.neighbourSolicitation(target: target, sourceLinkLayer: linkLayer)) }
            return .icmpv6(
                .neighbourAdvertisement(
                    NeighbourAdvertisement(
                        target: target, router: flags & 0x80 != 0, solicited: flags & 0x40 != 0,
                        override: flags & 0x20 != 0, targetLinkLayer: linkLayer)))
        case 131: return .icmpv6(.mldReport(version: 1))
        case 143: return .icmpv6(.mldReport(version: 2))
        default: return .icmpv6(.other(type: type))
        }
    }

    /// The first ND option of `type` (1 source, 2 target link-layer address) with a 6-byte address.
    static func linkLayerOption(_ options: Bytes, type: UInt8) -> MACAddress? {
        var offset = 0
        while let optionType = options.u8(offset), let units = options.u8(offset + 1), units > 0 {
            if optionType == type, units == 1 { return options.mac(offset + 2) }
            offset += Int(units) * 8
        }
        return nil
    }

    /// IP protocol 112: CARP when the header is CARP's (version 2, authlen 7, 36 bytes; a VRRPv2
    /// advertisement with 7 addresses is 44 bytes), else VRRP.
    static func decodeProtocol112(_ data: Bytes) -> Transport {
        guard let first = data.u8(0), let id = data.u8(1), let third = data.u8(2), let fourth = data.u8(3) else {
            return .truncated("VRRP/CARP header")
        }
        let version = first >> 4
        let type = first & 0x0F
        if version == 2, fourth == 7, data.count == 36, let advbase = data.u8(5), let high = data.u32(8),
            let low = data.u32(12)
        {
            return .carp(
                CARPAdvertisement(
                    version: version, type: type, vhid: id, advskew: third, advbase: advbase,
                    counter: UInt64(high) << 32 | UInt64(low)))
        }
        let interval: UInt16?
        switch version {
        case 2: interval = data.u8(5).map(UInt16.init)
        case 3: interval = data.u16(4).map { $0 & 0x0FFF }
        default: return .other
        }
        guard let interval else { return .truncated("VRRP header") }
        return .vrrp(
            VRRPAdvertisement(
                version: version, type: type, vrid: id, priority: third, addressCount: fourth,
                advertisementInterval: interval))
    }

    static func decodeSlowProtocol(_ data: Bytes) -> NetworkLayer {
        guard let subtype = data.u8(0), let version = data.u8(1) else { return .truncated("slow protocols") }
        switch subtype {
        case 1:
            var actor: LACPPortInformation?
            var partner: LACPPortInformation?
            var offset = 2
            while let type = data.u8(offset), let length = data.u8(offset + 1), type != 0, length >= 2 {
                if type == 1 || type == 2 {
                    guard length >= 20, let information = portInformation(data, at: offset + 2) else {
                        return .truncated("LACPDU")
                    }
                    if type == 1 { actor = information } else { partner = information }
                }
                offset += Int(length)
            }
            guard let actor, let partner else { return .truncated("LACPDU") }
            return .slowProtocol(.lacp(LACPDU(version: version, actor: actor, partner: partner)))
        case 2:
            guard let type = data.u8(2), type == 1 || type == 2, let port = data.u16(4), let system = data.mac(6),
                let transaction = data.u32(12)
            else { return .truncated("marker PDU") }
            return .slowProtocol(
                .marker(
                    MarkerPDU(
                        isResponse: type == 2, requesterPort: port, requesterSystem: system,
                        transactionID: transaction)))
        default:
            return .slowProtocol(.other(subtype: subtype))
        }
    }

    /// System priority, system, key, port priority, port, state (18 bytes from `offset`).
    static func portInformation(_ data: Bytes, at offset: Int) -> LACPPortInformation? {
        guard let systemPriority = data.u16(offset), let system = data.mac(offset + 2), let key = data.u16(offset + 8),
            let portPriority = data.u16(offset + 10), let port = data.u16(offset + 12), let state = data.u8(offset + 14)
        else { return nil }
        return LACPPortInformation(
            systemPriority: systemPriority, system: system, key: key, portPriority: portPriority, port: port,
            state: LACPState(rawValue: state))
    }
}

/// Bounds-checked big-endian reads over a byte array window.
struct Bytes {
    let storage: [UInt8]
    let start: Int
    let end: Int

    init(_ storage: [UInt8]) {
        self.storage = storage
        start = 0
        end = storage.count
    }

    private init(storage: [UInt8], start: Int, end: Int) {
        self.storage = storage
        self.start = start
        self.end = end
    }

    var count: Int { end - start }

    /// The bytes from `offset` on (at most `count` of them); empty past the end.
    func slice(from offset: Int, count: Int? = nil) -> Bytes {
        let lower = min(end, start + max(0, offset))
        let upper = count.map { min(end, lower + max(0, $0)) } ?? end
        return Bytes(storage: storage, start: lower, end: upper)
    }

    func bytes(_ offset: Int, _ length: Int) -> ArraySlice<UInt8>? {
        guard offset >= 0, length >= 0, start + offset + length <= end else { return nil }
        return storage[(start + offset)..<(start + offset + length)]
    }

    func u8(_ offset: Int) -> UInt8? { bytes(offset, 1)?.first }

    func u16(_ offset: Int) -> UInt16? {
        bytes(offset, 2).map { UInt16($0[$0.startIndex]) << 8 | UInt16($0[$0.startIndex + 1]) }
    }

    func u32(_ offset: Int) -> UInt32? {
        bytes(offset, 4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } }
    }

    func mac(_ offset: Int) -> MACAddress? { bytes(offset, 6).map { MACAddress(bytes: Array($0)) } }
    func ipv4(_ offset: Int) -> IPAddress? { bytes(offset, 4).map { IPAddress(family: .ipv4, bytes: Array($0)) } }
    func ipv6(_ offset: Int) -> IPAddress? { bytes(offset, 16).map { IPAddress(family: .ipv6, bytes: Array($0)) } }
}
