import Testing

@testable import FailoverNetlink

/// Little-endian helpers for writing expected bytes by hand from the uapi layouts.
private func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
private func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xff) } }
/// struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid }
private func header(length: Int, type: UInt16, flags: UInt16, seq: UInt32) -> [UInt8] {
    le32(UInt32(length)) + le16(type) + le16(flags) + le32(seq) + le32(0)
}
/// struct ifinfomsg { u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change }
private func ifinfo(family: UInt8 = 0, index: UInt32 = 0, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
    [family, 0, 0, 0] + le32(index) + le32(flags) + le32(change)
}
/// struct rtattr { u16 len; u16 type } + payload, padded to 4.
private func rta(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
    let bytes = le16(UInt16(4 + payload.count)) + le16(type) + payload
    return bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4)
}
private func string(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

@Suite("rtnetlink request encoding (byte-exact against the uapi layouts)")
struct MessageEncodingTests {
    @Test("set link up: RTM_NEWLINK (16), ifi_flags IFF_UP under ifi_change IFF_UP, ACK|REQUEST")
    func setUp() {
        var message = LinkRequest.setAdminState(index: 7, up: true)
        message.addFlags(NetlinkFlags.request | NetlinkFlags.ack)
        let expected = header(length: 32, type: 16, flags: 0x05, seq: 42) + ifinfo(index: 7, flags: 1, change: 1)
        #expect(message.finalized(sequence: 42) == expected)
    }

    @Test("set link down clears IFF_UP but keeps it in the change mask")
    func setDown() {
        let message = LinkRequest.setAdminState(index: 3, up: false)
        #expect(
            message.finalized(sequence: 1) == header(length: 32, type: 16, flags: 0, seq: 1)
                + ifinfo(index: 3, change: 1))
    }

    @Test(
        "veth with peer in another namespace: IFLA_LINKINFO{KIND veth, DATA{VETH_INFO_PEER{ifinfomsg, IFNAME, ADDRESS, NET_NS_FD}}}"
    )
    func veth() {
        let message = LinkRequest.createVeth(
            name: "h1-eth0", peerName: "eth0", peerNamespaceFD: 9, peerAddress: [2, 0, 0, 0, 0, 1])
        let peer = rta(1, ifinfo() + rta(3, string("eth0")) + rta(1, [2, 0, 0, 0, 0, 1]) + rta(28, le32(9)))
        let linkinfo = rta(18, rta(1, string("veth")) + rta(2, peer))
        let body = ifinfo() + rta(3, string("h1-eth0")) + linkinfo
        let expected = header(length: 16 + body.count, type: 16, flags: 0x600, seq: 5) + body
        #expect(message.finalized(sequence: 5) == expected)
    }

    @Test("bridge: IFLA_BR_FORWARD_DELAY (1) and IFLA_BR_STP_STATE (5) as u32")
    func bridge() {
        let message = LinkRequest.createBridge(name: "br0")
        let linkinfo = rta(18, rta(1, string("bridge")) + rta(2, rta(1, le32(0)) + rta(5, le32(0))))
        let body = ifinfo() + rta(3, string("br0")) + linkinfo
        #expect(
            message.finalized(sequence: 0) == header(length: 16 + body.count, type: 16, flags: 0x600, seq: 0) + body)
    }

    @Test("bond: every IFLA_BOND_* attribute with the bonding policy's type and number")
    func bondAllOptions() {
        var c = BondConfiguration()
        c.mode = 1
        c.activeSlave = 4
        c.miimon = 100
        c.updelay = 200
        c.downdelay = 300
        c.useCarrier = 1
        c.arpInterval = 0
        c.arpIPTargets = [[198, 18, 0, 1], [198, 18, 0, 2]]
        c.arpValidate = 3
        c.arpAllTargets = 1
        c.primary = 5
        c.primaryReselect = 2
        c.failOverMAC = 1
        c.xmitHashPolicy = 1
        c.resendIGMP = 1
        c.numPeerNotif = 3
        c.allSlavesActive = 0
        c.minLinks = 1
        c.lpInterval = 1
        c.packetsPerSlave = 1
        c.adLACPRate = 1
        c.adSelect = 2
        c.adActorSysPrio = 65535
        c.adUserPortKey = 7
        c.adActorSystem = [2, 0, 0, 0, 0, 9]
        c.tlbDynamicLB = 1
        c.peerNotifDelay = 400
        c.adLACPActive = 1
        c.missedMax = 2
        c.nsIP6Targets = [[0x20, 0x01, 0, 2] + [UInt8](repeating: 0, count: 11) + [1]]
        let data =
            rta(1, [1]) + rta(2, le32(4)) + rta(3, le32(100)) + rta(4, le32(200)) + rta(5, le32(300))
            + rta(6, [1]) + rta(7, le32(0)) + rta(8, rta(0, [198, 18, 0, 1]) + rta(1, [198, 18, 0, 2]))
            + rta(9, le32(3)) + rta(10, le32(1)) + rta(11, le32(5)) + rta(12, [2]) + rta(13, [1]) + rta(14, [1])
            + rta(15, le32(1)) + rta(16, [3]) + rta(17, [0]) + rta(18, le32(1)) + rta(19, le32(1))
            + rta(20, le32(1)) + rta(21, [1]) + rta(22, [2]) + rta(24, le16(65535)) + rta(25, le16(7))
            + rta(26, [2, 0, 0, 0, 0, 9]) + rta(27, [1]) + rta(28, le32(400)) + rta(29, [1]) + rta(30, [2])
            + rta(31, rta(0, [0x20, 0x01, 0, 2] + [UInt8](repeating: 0, count: 11) + [1]))
        let body = ifinfo() + rta(3, string("bond0")) + rta(18, rta(1, string("bond")) + rta(2, data))
        let message = LinkRequest.createBond(name: "bond0", configuration: c)
        #expect(
            message.finalized(sequence: 9) == header(length: 16 + body.count, type: 16, flags: 0x600, seq: 9) + body)
    }

    @Test("bond options round-trip through IFLA_INFO_DATA parsing")
    func bondRoundTrip() throws {
        var c = BondConfiguration()
        c.mode = 4
        c.miimon = 10
        c.adActorSystem = [2, 0, 0, 0, 0, 1]
        c.arpIPTargets = [[198, 18, 0, 9]]
        c.nsIP6Targets = [[UInt8](repeating: 0xfe, count: 16)]
        c.missedMax = 5
        c.adUserPortKey = 3
        let message = LinkRequest.createBond(name: "bond0", configuration: c)
        let parsed = try Link(payload: Array(message.bytes.dropFirst(16)))
        #expect(parsed.name == "bond0")
        #expect(parsed.kind == "bond")
        #expect(parsed.bond == c)
    }

    @Test("slave prio: IFLA_LINKINFO{INFO_SLAVE_KIND bond, INFO_SLAVE_DATA{IFLA_BOND_SLAVE_PRIO (9) s32}}")
    func slavePrio() {
        let message = LinkRequest.setBondSlave(index: 6, prio: -3)
        let body = ifinfo(index: 6) + rta(18, rta(4, string("bond")) + rta(5, rta(9, le32(UInt32(bitPattern: -3)))))
        #expect(message.finalized(sequence: 2) == header(length: 16 + body.count, type: 16, flags: 0, seq: 2) + body)
    }

    @Test("bridge port state: RTM_SETLINK (19), AF_BRIDGE (7), IFLA_PROTINFO|NLA_F_NESTED{IFLA_BRPORT_STATE u8}")
    func bridgePortState() {
        let message = LinkRequest.setBridgePortState(index: 11, state: .disabled)
        let body = ifinfo(family: 7, index: 11) + le16(12) + le16(12 | 0x8000) + rta(1, [0])
        #expect(message.finalized(sequence: 3) == header(length: 16 + body.count, type: 19, flags: 0, seq: 3) + body)
    }

    @Test("master, nomaster, MAC address, delete")
    func smallLinkRequests() {
        #expect(
            LinkRequest.setMaster(index: 2, masterIndex: 5).finalized(sequence: 0)
                == header(length: 40, type: 16, flags: 0, seq: 0) + ifinfo(index: 2) + rta(10, le32(5)))
        #expect(
            LinkRequest.setMaster(index: 2, masterIndex: 0).finalized(sequence: 0)
                == header(length: 40, type: 16, flags: 0, seq: 0) + ifinfo(index: 2) + rta(10, le32(0)))
        #expect(
            LinkRequest.setAddress(index: 2, address: [2, 0, 0, 0, 0, 7]).finalized(sequence: 0)
                == header(length: 44, type: 16, flags: 0, seq: 0) + ifinfo(index: 2) + rta(1, [2, 0, 0, 0, 0, 7]))
        #expect(
            LinkRequest.delete(index: 4).finalized(sequence: 0)
                == header(length: 32, type: 17, flags: 0, seq: 0) + ifinfo(index: 4))
    }

    @Test("macvlan: IFLA_LINK parent, IFLA_MACVLAN_MODE bridge (4)")
    func macvlan() {
        let message = LinkRequest.createMacvlan(name: "mv0", parentIndex: 3)
        let body =
            ifinfo() + rta(3, string("mv0")) + rta(5, le32(3))
            + rta(18, rta(1, string("macvlan")) + rta(2, rta(1, le32(4))))
        #expect(
            message.finalized(sequence: 0) == header(length: 16 + body.count, type: 16, flags: 0x600, seq: 0) + body)
    }

    @Test("IPv6 address: ifaddrmsg with IFA_F_NODAD, IFA_LOCAL then IFA_ADDRESS")
    func address6() {
        let address: [UInt8] = [0x20, 0x01, 0, 2] + [UInt8](repeating: 0, count: 11) + [1]
        let message = AddressRequest.add(index: 3, address: address, prefixLength: 64)
        // struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index }
        let body = [10, 64, 0x02, 0] + le32(3) + rta(2, address) + rta(1, address)
        #expect(
            message.finalized(sequence: 0) == header(length: 16 + body.count, type: 20, flags: 0x600, seq: 0) + body)
    }

    @Test("IPv4 address has no NODAD flag")
    func address4() {
        let message = AddressRequest.add(index: 3, address: [198, 18, 0, 1], prefixLength: 24)
        let body = [2, 24, 0, 0] + le32(3) + rta(2, [198, 18, 0, 1]) + rta(1, [198, 18, 0, 1])
        #expect(
            message.finalized(sequence: 0) == header(length: 16 + body.count, type: 20, flags: 0x600, seq: 0) + body)
    }

    @Test("route via gateway: rtmsg main table (254), RTPROT_BOOT (3), scope universe, RTN_UNICAST")
    func route() {
        let message = RouteRequest.add(
            family: 2, destination: [198, 19, 0, 0], prefixLength: 16, gateway: [198, 18, 0, 2], outputIndex: nil)
        // struct rtmsg { family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags }
        let body = [2, 16, 0, 0, 254, 3, 0, 1] + le32(0) + rta(1, [198, 19, 0, 0]) + rta(5, [198, 18, 0, 2])
        #expect(
            message.finalized(sequence: 0) == header(length: 16 + body.count, type: 24, flags: 0x600, seq: 0) + body)
    }

    @Test("device-only default route has link scope (253) and no RTA_DST")
    func deviceRoute() {
        let message = RouteRequest.add(family: 2, destination: nil, prefixLength: 0, gateway: nil, outputIndex: 4)
        let body = [2, 0, 0, 0, 254, 3, 253, 1] + le32(0) + rta(4, le32(4))
        #expect(
            message.finalized(sequence: 0) == header(length: 16 + body.count, type: 24, flags: 0x600, seq: 0) + body)
    }

    @Test("nested attributes: lengths patched at every level, padding inside")
    func nesting() {
        var message = NetlinkMessageBuilder(type: 99, flags: 0)
        message.nest(1) { outer in
            outer.append(2, [0xaa])
            outer.nest(3) { inner in inner.append(4, string: "ab") }
        }
        let expected = rta(1, rta(2, [0xaa]) + rta(3, rta(4, string("ab"))))
        #expect(Array(message.bytes.dropFirst(16)) == expected)
        let parsed = NetlinkAttribute.parse(expected)
        #expect(parsed.count == 1)
        #expect(parsed[0].nested.first(2)?.payload == [0xaa])
        #expect(parsed[0].nested.first(3)?.nested.first(4)?.string == "ab")
    }
}
