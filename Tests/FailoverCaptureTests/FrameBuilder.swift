import FailoverModel

/// Frames built byte by byte from the protocol layouts (RFC 826, 791, 8200, 4861, 3768, 5798,
/// IEEE 802.3ad annex 43, OpenBSD carp_header), for the decoder tests.
enum FrameBuilder {
    static func mac(_ text: String) -> [UInt8] { MACAddress(text)?.bytes ?? [] }
    static func ip(_ text: String) -> [UInt8] { IPAddress(text)?.bytes ?? [] }
    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }

    static func ethernet(
        destination: String, source: String, etherType: UInt16, vlans: [UInt16] = [], payload: [UInt8]
    ) -> [UInt8] {
        var frame = mac(destination) + mac(source)
        for vlan in vlans { frame += be16(0x8100) + be16(vlan) }
        return frame + be16(etherType) + payload
    }

    static func arp(operation: UInt16, senderMAC: String, senderIP: String, targetMAC: String, targetIP: String)
        -> [UInt8]
    {
        be16(1) + be16(0x0800) + [6, 4] + be16(operation) + mac(senderMAC) + ip(senderIP) + mac(targetMAC)
            + ip(targetIP)
    }

    static func ipv4(proto: UInt8, source: String, destination: String, ttl: UInt8 = 64, payload: [UInt8]) -> [UInt8] {
        let total = UInt16(20 + payload.count)
        return [0x45, 0] + be16(total) + be16(0) + be16(0) + [ttl, proto] + be16(0) + ip(source) + ip(destination)
            + payload
    }

    /// `hopByHop`: insert a hop-by-hop header (router alert, 8 bytes) before `next`.
    static func ipv6(
        next: UInt8, source: String, destination: String, hopLimit: UInt8 = 255, hopByHop: Bool = false,
        payload: [UInt8]
    ) -> [UInt8] {
        var body = payload
        var first = next
        if hopByHop {
            body = [next, 0, 5, 2, 0, 0, 1, 0] + payload
            first = 0
        }
        return [0x60, 0, 0, 0] + be16(UInt16(body.count)) + [first, hopLimit] + ip(source) + ip(destination) + body
    }

    static func udp(source: UInt16, destination: UInt16, payload: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        be16(source) + be16(destination) + be16(UInt16(8 + payload.count)) + be16(0) + payload
    }

    /// NS (135) or NA (136); `flags` is the R/S/O byte of an NA; `linkLayer` adds option 1 (NS) or 2 (NA).
    static func neighbourDiscovery(type: UInt8, flags: UInt8 = 0, target: String, linkLayer: String?) -> [UInt8] {
        var message: [UInt8] = [type, 0, 0, 0, flags, 0, 0, 0] + ip(target)
        if let linkLayer { message += [type == 135 ? 1 : 2, 1] + mac(linkLayer) }
        return message
    }

    static func lacpInformation(
        type: UInt8, systemPriority: UInt16, system: String, key: UInt16, portPriority: UInt16, port: UInt16,
        state: UInt8
    ) -> [UInt8] {
        [type, 20] + be16(systemPriority) + mac(system) + be16(key) + be16(portPriority) + be16(port) + [
            state, 0, 0, 0,
        ]
    }

    /// A full 110-byte LACPDU payload (subtype 1, version 1, actor, partner, collector, terminator).
    static func lacpdu(actor: [UInt8], partner: [UInt8]) -> [UInt8] {
        var pdu: [UInt8] = [1, 1] + actor + partner + [3, 16] + be16(0) + [UInt8](repeating: 0, count: 12) + [0, 0]
        pdu += [UInt8](repeating: 0, count: 110 - pdu.count)
        return pdu
    }

    static func marker(response: Bool, port: UInt16, system: String, transaction: UInt32) -> [UInt8] {
        [2, 1, response ? 2 : 1, 16] + be16(port) + mac(system) + be32(transaction) + [0, 0] + [0, 0]
            + [UInt8](repeating: 0, count: 90)
    }

    /// RFC 3768: version 2, type 1, vrid, priority, count, auth type 0, adver int (s), checksum,
    /// addresses, 8 bytes of authentication data.
    static func vrrpV2(vrid: UInt8, priority: UInt8, interval: UInt8, addresses: [String]) -> [UInt8] {
        [0x21, vrid, priority, UInt8(addresses.count), 0, interval] + be16(0) + addresses.flatMap(ip)
            + [UInt8](repeating: 0, count: 8)
    }

    /// RFC 5798: version 3, type 1, vrid, priority, count, 4 bits reserved + 12 bits max adver int (cs).
    static func vrrpV3(vrid: UInt8, priority: UInt8, centiseconds: UInt16, addresses: [String]) -> [UInt8] {
        [0x31, vrid, priority, UInt8(addresses.count)] + be16(centiseconds & 0x0FFF) + be16(0)
            + addresses.flatMap(ip)
    }

    /// OpenBSD carp_header: version 2 / type 1, vhid, advskew, authlen 7, pad, advbase, checksum,
    /// counter (2 × 32 bits), 20-byte HMAC: 36 bytes.
    static func carp(vhid: UInt8, advskew: UInt8, advbase: UInt8, counter: UInt64) -> [UInt8] {
        [0x21, vhid, advskew, 7, 0, advbase] + be16(0) + be32(UInt32(counter >> 32))
            + be32(UInt32(truncatingIfNeeded: counter)) + [UInt8](repeating: 0xAB, count: 20)
    }
}
