import FailoverModel
import Testing

@testable import FailoverCapture

@Suite("Frame decoding: Ethernet, ARP, ND, IGMP/MLD, LACP, VRRP/CARP")
struct FrameDecodingTests {
    typealias B = FrameBuilder
    static let bond = "02:00:00:00:01:01"
    static let broadcast = "ff:ff:ff:ff:ff:ff"

    static func arpFrame(operation: UInt16, senderIP: String, targetIP: String, vlans: [UInt16] = []) -> [UInt8] {
        B.ethernet(
            destination: broadcast, source: bond, etherType: 0x0806, vlans: vlans,
            payload: B.arp(
                operation: operation, senderMAC: bond, senderIP: senderIP, targetMAC: "00:00:00:00:00:00",
                targetIP: targetIP))
    }

    @Test("ARP: sender IP == target IP is a gratuitous ARP (request or reply); one byte apart is not")
    func arpKinds() throws {
        let garpRequest = try #require(
            FrameDecoder.decode(Self.arpFrame(operation: 1, senderIP: "198.18.0.10", targetIP: "198.18.0.10")))
        #expect(garpRequest.kind == .garp)
        let garpReply = try #require(
            FrameDecoder.decode(Self.arpFrame(operation: 2, senderIP: "198.18.0.10", targetIP: "198.18.0.10")))
        #expect(garpReply.kind == .garp)
        let request = try #require(
            FrameDecoder.decode(Self.arpFrame(operation: 1, senderIP: "198.18.0.10", targetIP: "198.18.0.11")))
        #expect(request.kind == .arpRequest)
        let reply = try #require(
            FrameDecoder.decode(Self.arpFrame(operation: 2, senderIP: "198.18.0.10", targetIP: "198.18.0.11")))
        #expect(reply.kind == .arpReply)
        guard case .arp(let arp) = request.network else {
            Issue.record("not decoded as ARP: \(request.network)")
            return
        }
        #expect(arp.senderMAC == MACAddress(Self.bond))
        #expect(arp.senderIP == IPAddress("198.18.0.10"))
        #expect(arp.targetIP == IPAddress("198.18.0.11"))
        #expect(request.source == MACAddress(Self.bond))
        #expect(request.destination == MACAddress(Self.broadcast))
        #expect(request.senderIP == IPAddress("198.18.0.10"))
        #expect(request.vlanIDs.isEmpty)
    }

    @Test("802.1Q and QinQ tags are skipped and their VLAN IDs kept, outermost first")
    func vlanTags() throws {
        let tagged = try #require(
            FrameDecoder.decode(
                Self.arpFrame(operation: 1, senderIP: "198.18.0.1", targetIP: "198.18.0.1", vlans: [0x2064, 7])))
        #expect(tagged.vlanIDs == [100, 7])  // 0x2064: priority 1, VID 100
        #expect(tagged.etherType == 0x0806)
        #expect(tagged.kind == .garp)
    }

    @Test("IPv4 UDP and IGMP reports; an IGMP query is not a report")
    func ipv4Kinds() throws {
        let udp = try #require(
            FrameDecoder.decode(
                B.ethernet(
                    destination: "02:00:00:00:00:02", source: Self.bond, etherType: 0x0800,
                    payload: B.ipv4(
                        proto: 17, source: "198.18.0.1", destination: "198.18.0.2",
                        payload: B.udp(source: 4000, destination: 5001)))))
        #expect(udp.kind == .udp)
        guard case .ipv4(let packet) = udp.network else {
            Issue.record("not IPv4: \(udp.network)")
            return
        }
        #expect(packet.transport == .udp(sourcePort: 4000, destinationPort: 5001))
        #expect(packet.destination == IPAddress("198.18.0.2"))
        #expect(packet.hopLimit == 64)
        for (type, isReport) in [(UInt8(0x12), true), (0x16, true), (0x22, true), (0x11, false), (0x17, false)] {
            let igmp = try #require(
                FrameDecoder.decode(
                    B.ethernet(
                        destination: "01:00:5e:00:00:16", source: Self.bond, etherType: 0x0800,
                        payload: B.ipv4(
                            proto: 2, source: "198.18.0.1", destination: "224.0.0.22", ttl: 1,
                            payload: [type, 0, 0, 0] + B.ip("239.1.1.1")))))
            #expect(igmp.kind == (isReport ? .igmpReport : .other), "IGMP type \(type)")
        }
    }

    static func neighbourFrame(type: UInt8, flags: UInt8, destination: String, linkLayer: String? = bond) -> [UInt8] {
        B.ethernet(
            destination: "33:33:00:00:00:01", source: bond, etherType: 0x86DD,
            payload: B.ipv6(
                next: 58, source: "fe80::1", destination: destination,
                payload: B.neighbourDiscovery(type: type, flags: flags, target: "2001:2::10", linkLayer: linkLayer)))
    }

    @Test("ICMPv6: an NA with S clear to ff02::1 is unsolicited; S set, or to a unicast address, is a plain NA")
    func neighbourAdvertisements() throws {
        let unsolicited = try #require(
            FrameDecoder.decode(Self.neighbourFrame(type: 136, flags: 0x20, destination: "ff02::1")))
        #expect(unsolicited.kind == .unsolicitedNA)
        guard case .ipv6(let packet) = unsolicited.network,
            case .icmpv6(.neighbourAdvertisement(let advertisement)) = packet.transport
        else {
            Issue.record("not an NA: \(unsolicited.network)")
            return
        }
        #expect(advertisement.override && !advertisement.solicited && !advertisement.router)
        #expect(advertisement.target == IPAddress("2001:2::10"))
        #expect(advertisement.targetLinkLayer == MACAddress(Self.bond))
        #expect(unsolicited.senderIP == IPAddress("2001:2::10"))
        let solicited = try #require(
            FrameDecoder.decode(Self.neighbourFrame(type: 136, flags: 0x60, destination: "ff02::1")))
        #expect(solicited.kind == .na)
        let unicast = try #require(
            FrameDecoder.decode(Self.neighbourFrame(type: 136, flags: 0x20, destination: "fe80::2")))
        #expect(unicast.kind == .na)
        let router = try #require(
            FrameDecoder.decode(Self.neighbourFrame(type: 136, flags: 0xA0, destination: "ff02::1")))
        #expect(router.kind == .unsolicitedNA)
        let withoutOption = try #require(
            FrameDecoder.decode(Self.neighbourFrame(type: 136, flags: 0, destination: "ff02::1", linkLayer: nil)))
        guard case .ipv6(let bare) = withoutOption.network,
            case .icmpv6(.neighbourAdvertisement(let plain)) = bare.transport
        else {
            Issue.record("not an NA: \(withoutOption.network)")
            return
        }
        #expect(plain.targetLinkLayer == nil)
    }

    @Test("ICMPv6: NS with its source link-layer option; MLDv1/v2 reports behind a hop-by-hop header")
    func solicitationAndMLD() throws {
        let solicitation = try #require(
            FrameDecoder.decode(Self.neighbourFrame(type: 135, flags: 0, destination: "ff02::1:ff00:10")))
        #expect(solicitation.kind == .ns)
        guard case .ipv6(let packet) = solicitation.network else {
            Issue.record("not IPv6")
            return
        }
        #expect(
            packet.transport
                == .icmpv6(
                    .neighbourSolicitation(target: IPAddress("2001:2::10")!, sourceLinkLayer: MACAddress(Self.bond))))
        for (type, kind) in [(UInt8(143), FrameKind.mldReport), (131, .mldReport), (130, .other)] {
            let mld = try #require(
                FrameDecoder.decode(
                    B.ethernet(
                        destination: "33:33:00:00:00:16", source: Self.bond, etherType: 0x86DD,
                        payload: B.ipv6(
                            next: 58, source: "fe80::1", destination: "ff02::16", hopLimit: 1, hopByHop: true,
                            payload: [type, 0, 0, 0, 0, 0, 0, 1] + B.ip("ff02::1:ff00:10")))))
            #expect(mld.kind == kind, "ICMPv6 type \(type)")
            guard case .ipv6(let mldPacket) = mld.network else { continue }
            #expect(mldPacket.protocolNumber == 58)
        }
        let udp6 = try #require(
            FrameDecoder.decode(
                B.ethernet(
                    destination: "02:00:00:00:00:02", source: Self.bond, etherType: 0x86DD,
                    payload: B.ipv6(
                        next: 17, source: "2001:2::1", destination: "2001:2::2",
                        payload: B.udp(source: 1, destination: 2)))))
        #expect(udp6.kind == .udp)
    }

    @Test("LACPDU: actor and partner system, key, port, priorities and state bits")
    func lacpdu() throws {
        let actor = B.lacpInformation(
            type: 1, systemPriority: 65535, system: "02:00:00:00:01:01", key: 9, portPriority: 255, port: 2,
            state: 0x3D)
        let partner = B.lacpInformation(
            type: 2, systemPriority: 32768, system: "02:00:00:00:02:02", key: 17, portPriority: 128, port: 5,
            state: 0x47)
        let frame = try #require(
            FrameDecoder.decode(
                B.ethernet(
                    destination: "01:80:c2:00:00:02", source: "02:00:00:00:01:0a", etherType: 0x8809,
                    payload: B.lacpdu(actor: actor, partner: partner))))
        #expect(frame.kind == .lacpdu)
        guard case .slowProtocol(.lacp(let pdu)) = frame.network else {
            Issue.record("not an LACPDU: \(frame.network)")
            return
        }
        #expect(pdu.version == 1)
        #expect(pdu.actor.system == MACAddress("02:00:00:00:01:01"))
        #expect(pdu.actor.systemPriority == 65535)
        #expect(pdu.actor.key == 9)
        #expect(pdu.actor.portPriority == 255)
        #expect(pdu.actor.port == 2)
        // 0x3D: activity, aggregation, synchronization, collecting, distributing; not timeout.
        #expect(pdu.actor.state == [.activity, .aggregation, .synchronization, .collecting, .distributing])
        #expect(!pdu.actor.state.contains(.timeout))
        #expect(pdu.actor.state.description == "activity,aggregation,synchronization,collecting,distributing")
        #expect(pdu.partner.system == MACAddress("02:00:00:00:02:02"))
        #expect(pdu.partner.key == 17)
        #expect(pdu.partner.port == 5)
        // 0x47: activity, timeout, aggregation, defaulted.
        #expect(pdu.partner.state == [.activity, .timeout, .aggregation, .defaulted])
        #expect(!pdu.partner.state.contains(.synchronization))
    }

    @Test("marker and marker response PDUs; another slow-protocols subtype is other")
    func marker() throws {
        for response in [false, true] {
            let frame = try #require(
                FrameDecoder.decode(
                    B.ethernet(
                        destination: "01:80:c2:00:00:02", source: Self.bond, etherType: 0x8809,
                        payload: B.marker(
                            response: response, port: 3, system: "02:00:00:00:01:01", transaction: 0xDEAD_BEEF))))
            #expect(frame.kind == .marker)
            #expect(
                frame.network
                    == .slowProtocol(
                        .marker(
                            MarkerPDU(
                                isResponse: response, requesterPort: 3,
                                requesterSystem: MACAddress("02:00:00:00:01:01")!,
                                transactionID: 0xDEAD_BEEF))))
        }
        let oam = try #require(
            FrameDecoder.decode(
                B.ethernet(
                    destination: "01:80:c2:00:00:02", source: Self.bond, etherType: 0x8809, payload: [3, 1, 0, 0])))
        #expect(oam.kind == .other)
    }

    static func protocol112(_ payload: [UInt8]) -> [UInt8] {
        B.ethernet(
            destination: "01:00:5e:00:00:12", source: "00:00:5e:00:01:07", etherType: 0x0800,
            payload: B.ipv4(proto: 112, source: "198.18.0.2", destination: "224.0.0.18", ttl: 255, payload: payload))
    }

    @Test("IP protocol 112: VRRPv2, VRRPv3 (v4 and v6) and CARP (36 bytes, authlen 7)")
    func vrrpAndCarp() throws {
        let v2 = try #require(
            FrameDecoder.decode(
                Self.protocol112(B.vrrpV2(vrid: 7, priority: 200, interval: 1, addresses: ["198.18.0.100"]))))
        #expect(v2.kind == .vrrp)
        #expect(
            v2.network.transport
                == .vrrp(
                    VRRPAdvertisement(
                        version: 2, type: 1, vrid: 7, priority: 200, addressCount: 1, advertisementInterval: 1)))
        let v3 = try #require(
            FrameDecoder.decode(
                Self.protocol112(B.vrrpV3(vrid: 9, priority: 100, centiseconds: 100, addresses: ["198.18.0.100"]))))
        #expect(
            v3.network.transport
                == .vrrp(
                    VRRPAdvertisement(
                        version: 3, type: 1, vrid: 9, priority: 100, addressCount: 1, advertisementInterval: 100)))
        let v3six = try #require(
            FrameDecoder.decode(
                B.ethernet(
                    destination: "33:33:00:00:00:12", source: "00:00:5e:00:02:09", etherType: 0x86DD,
                    payload: B.ipv6(
                        next: 112, source: "fe80::2", destination: "ff02::12",
                        payload: B.vrrpV3(vrid: 9, priority: 50, centiseconds: 4095, addresses: ["2001:2::100"])))))
        #expect(v3six.kind == .vrrp)
        let carp = try #require(
            FrameDecoder.decode(
                Self.protocol112(B.carp(vhid: 3, advskew: 100, advbase: 1, counter: 0x0102_0304_0506_0708))))
        #expect(carp.kind == .carp)
        #expect(
            carp.network.transport
                == .carp(
                    CARPAdvertisement(
                        version: 2, type: 1, vhid: 3, advskew: 100, advbase: 1, counter: 0x0102_0304_0506_0708)))
        // A VRRPv2 advertisement with 7 addresses has authlen's byte == 7 too, but is 44 bytes: VRRP.
        let seven = (1...7).map { "198.18.0.\($0)" }
        let vrrpSeven = try #require(
            FrameDecoder.decode(Self.protocol112(B.vrrpV2(vrid: 7, priority: 100, interval: 1, addresses: seven))))
        #expect(vrrpSeven.kind == .vrrp)
        // CARP cut by 1 byte (35) is not CARP any more; with a 37th byte neither.
        let carpBytes = B.carp(vhid: 3, advskew: 0, advbase: 1, counter: 1)
        #expect(FrameDecoder.decode(Self.protocol112(Array(carpBytes.dropLast())))?.kind == .vrrp)
        #expect(FrameDecoder.decode(Self.protocol112(carpBytes + [0]))?.kind == .vrrp)
    }

    @Test("every prefix of every test frame decodes without trapping; under 14 bytes there is no frame")
    func truncatedFrames() {
        let frames: [[UInt8]] = [
            Self.arpFrame(operation: 1, senderIP: "198.18.0.1", targetIP: "198.18.0.1", vlans: [5]),
            Self.neighbourFrame(type: 136, flags: 0x20, destination: "ff02::1"),
            Self.protocol112(B.carp(vhid: 1, advskew: 0, advbase: 1, counter: 1)),
            B.ethernet(
                destination: "01:80:c2:00:00:02", source: Self.bond, etherType: 0x8809,
                payload: B.lacpdu(
                    actor: B.lacpInformation(
                        type: 1, systemPriority: 1, system: Self.bond, key: 1, portPriority: 1, port: 1, state: 0),
                    partner: B.lacpInformation(
                        type: 2, systemPriority: 1, system: Self.bond, key: 1, portPriority: 1, port: 1, state: 0))),
        ]
        for frame in frames {
            for length in 0..<frame.count {
                let decoded = FrameDecoder.decode(frame.prefix(length))
                #expect((decoded == nil) == (length < 14), "length \(length)")
            }
        }
        // A cut ARP header is reported as truncated, and its kind is other.
        let cut = FrameDecoder.decode(
            Self.arpFrame(operation: 1, senderIP: "198.18.0.1", targetIP: "198.18.0.1").prefix(40))
        #expect(cut?.network == .truncated("ARP"))
        #expect(cut?.kind == .other)
    }
}

extension NetworkLayer {
    /// The transport of an IP packet (tests only).
    var transport: Transport? {
        switch self {
        case .ipv4(let packet), .ipv6(let packet): return packet.transport
        default: return nil
        }
    }
}
