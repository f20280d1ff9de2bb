/// One transmitted frame as the bonding driver's transmit hash sees it: its Ethernet header and,
/// for IP, the addresses and the transport ports (nil: no ports, e.g. not TCP/UDP).
public struct TransmitFlow: Sendable, Hashable, CustomStringConvertible {
    public var sourceMAC: MACAddress
    public var destinationMAC: MACAddress
    /// The frame's EtherType (`0x0800` IPv4, `0x86dd` IPv6, `0x0806` ARP).
    public var etherType: UInt16
    /// Set for IPv4 and IPv6 frames (both or neither).
    public var sourceIP: IPAddress?
    public var destinationIP: IPAddress?
    /// Source and destination ports for TCP/UDP (what `__skb_flow_get_ports` reads); nil otherwise.
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?

    public init(
        sourceMAC: MACAddress, destinationMAC: MACAddress, etherType: UInt16, sourceIP: IPAddress? = nil,
        destinationIP: IPAddress? = nil, sourcePort: UInt16? = nil, destinationPort: UInt16? = nil
    ) {
        self.sourceMAC = sourceMAC
        self.destinationMAC = destinationMAC
        self.etherType = etherType
        self.sourceIP = sourceIP
        self.destinationIP = destinationIP
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    public var description: String {
        guard let sourceIP, let destinationIP else { return "\(sourceMAC) → \(destinationMAC)" }
        let ports = sourcePort.map { ":\($0)" } ?? ""
        let destinationPorts = destinationPort.map { ":\($0)" } ?? ""
        return "\(sourceIP)\(ports) → \(destinationIP)\(destinationPorts)"
    }
}

/// The member a balance-xor or 802.3ad bond transmits a frame on, from the kernel's own formula:
/// `bond_xmit_hash()` / `__bond_xmit_hash()` in `drivers/net/bonding/bond_main.c`, identical in
/// Linux 6.1 and 6.12 for the policies below, then `slaves->arr[hash % count]` over the bond's
/// usable slaves (`bond_update_slave_arr`: enslave order, only slaves that can transmit; for
/// 802.3ad only those of the active aggregator).
///
/// - `layer2`: `bond_eth_hash` = `h_dest[5] ^ h_source[5] ^ be16_to_cpu(h_proto)`.
/// - `layer2+3`: `bond_eth_hash` then `bond_ip_hash`: `hash ^= dst ^ src` (the IPv4 addresses
///   as 32-bit words loaded from network-order bytes on a little-endian CPU; IPv6 folded by
///   `ipv6_addr_hash`, the XOR of its four words), `hash ^= hash >> 16; hash ^= hash >> 8`, no
///   final shift (commit 49aefd131739, Linux 5.18, "do not discard lowest hash bit for non
///   layer3+4 hashing").
/// - `layer3+4`: the ports word (`memcpy` of source then destination port, network order, read
///   as a little-endian u32) instead of the Ethernet hash, the same folding, then `>> 1`.
///   Without ports (not TCP/UDP) the ports word is 0.
/// - Non-IP frames (ARP) fall back to the `layer2` hash under every L3 policy
///   (`bond_flow_dissect` fails).
/// - `encap2+3` dissects with the full flow dissector but, for a frame without a tunnel, finds
///   the same addresses: the same value as `layer2+3`. `encap3+4` returns `skb->hash` whenever
///   `skb->l4_hash` is set (a connected socket's `sk_txhash`, random per socket), so it cannot be
///   predicted from headers; `vlan+srcmac` is not modelled. Both give nil.
///
/// The CPU is assumed little-endian (x86-64, as in the kernel lab).
public enum BondTransmitHash {
    /// The hash `bond_xmit_hash` returns for `flow` under `policy`; nil when not predictable.
    public static func hash(_ flow: TransmitFlow, policy: XmitHashPolicy) -> UInt32? {
        let eth = ethernetHash(flow)
        switch policy {
        case .layer2: return eth
        case .encap34, .vlanSrcMAC: return nil
        case .layer23, .encap23, .layer34:
            guard let source = flow.sourceIP, let destination = flow.destinationIP,
                flow.etherType == 0x0800 || flow.etherType == 0x86dd
            else { return eth }
            var hash =
                policy == .layer34
                ? portsWord(source: flow.sourcePort ?? 0, destination: flow.destinationPort ?? 0) : eth
            hash ^= addressWord(destination) ^ addressWord(source)
            hash ^= hash >> 16
            hash ^= hash >> 8
            return policy == .layer34 ? hash >> 1 : hash
        }
    }

    /// The member of `usable` (the bond's usable slaves in the kernel's order) that `flow` leaves
    /// on: `usable[hash % usable.count]`; nil without a usable slave or a predictable hash.
    public static func member(_ flow: TransmitFlow, policy: XmitHashPolicy, usable: [String]) -> String? {
        guard !usable.isEmpty, let hash = hash(flow, policy: policy) else { return nil }
        return usable[Int(hash % UInt32(usable.count))]
    }

    /// `h_dest[5] ^ h_source[5] ^ be16_to_cpu(h_proto)`.
    static func ethernetHash(_ flow: TransmitFlow) -> UInt32 {
        let destination = flow.destinationMAC.bytes.last ?? 0
        let source = flow.sourceMAC.bytes.last ?? 0
        return UInt32(destination ^ source) ^ UInt32(flow.etherType)
    }

    /// `flow_get_u32_src/dst`: the IPv4 address as stored (network order) read as a native
    /// little-endian u32; IPv6: `ipv6_addr_hash`, the XOR of its four such words.
    static func addressWord(_ address: IPAddress) -> UInt32 {
        var word: UInt32 = 0
        var index = 0
        while index + 4 <= address.bytes.count {
            word ^= littleEndianWord(address.bytes[index..<index + 4])
            index += 4
        }
        return word
    }

    /// `flow.ports.ports` (`__be16 src; __be16 dst`) copied into a u32 on a little-endian CPU.
    static func portsWord(source: UInt16, destination: UInt16) -> UInt32 {
        littleEndianWord([UInt8(source >> 8), UInt8(source & 0xff), UInt8(destination >> 8), UInt8(destination & 0xff)])
    }

    static func littleEndianWord<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var word: UInt32 = 0
        for (shift, byte) in bytes.enumerated() { word |= UInt32(byte) << (8 * UInt32(shift)) }
        return word
    }
}

extension CaptureSpec {
    /// The capture that sees what a bond member transmits: on the member itself, else on the
    /// switch port facing it (the flow assertions read the members' captures).
    public static func onMember(_ member: InterfaceRef, in captures: [CaptureSpec]) -> CaptureSpec? {
        captures.first { $0.target == .interface(member) }
            ?? captures.first {
                if case .port(_, let facing) = $0.target { return facing == member }
                return false
            }
    }
}
