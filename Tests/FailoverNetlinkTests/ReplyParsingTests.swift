import Testing

@testable import FailoverNetlink

@Suite("parsing replies recorded from the kernel")
struct ReplyParsingTests {
    func dumpLinks() throws -> [Link] {
        var links: [Link] = []
        for datagram in RecordedReplies.linkDump {
            for message in try NetlinkMessage.split(hexBytes(datagram)) where message.type == RTM.newLink {
                links.append(try Link(payload: message.payload))
            }
        }
        return links
    }

    @Test("the dump splits into messages, all seq 1, ending with NLMSG_DONE")
    func dumpStructure() throws {
        let messages = try RecordedReplies.linkDump.flatMap { try NetlinkMessage.split(hexBytes($0)) }
        #expect(messages.allSatisfy { $0.sequence == 1 })
        #expect(messages.last?.type == NetlinkMessageType.done)
        #expect(messages.filter { $0.type == RTM.newLink }.count == 4)
        #expect(messages.dropLast().allSatisfy { $0.flags & NetlinkFlags.multi != 0 })
    }

    @Test("bridge: kind, STP off, forward delay 0, admin up with carrier")
    func bridge() throws {
        let links = try dumpLinks()
        let bridge = try #require(links.first { $0.name == "br0" })
        #expect(bridge.kind == "bridge")
        #expect(bridge.bridgeSTPState == 0)
        #expect(bridge.bridgeForwardDelay == 0)
        #expect(bridge.isAdminUp)
        #expect(bridge.hasCarrier)
        // Recorded 0.2 s after `ip link set br0 up`: carrier (IFF_LOWER_UP) was already set but
        // the operstate, updated by the kernel's linkwatch work, still read DOWN. This is why
        // readiness is judged on IFF_LOWER_UP, not on operstate.
        #expect(bridge.operState == OperState.down.rawValue)
    }

    @Test("veth ends: kind, MAC, master, carrier counters, permanent address")
    func veth() throws {
        let links = try dumpLinks()
        let bridge = try #require(links.first { $0.name == "br0" })
        let v0 = try #require(links.first { $0.name == "v0" })
        let v1 = try #require(links.first { $0.name == "v1" })
        #expect(v0.kind == "veth" && v1.kind == "veth")
        #expect(v0.address == [2, 0, 0, 0, 0, 1])
        #expect(v1.address == [2, 0, 0, 0, 0, 2])
        #expect(v0.master == bridge.index)
        #expect(v0.slaveKind == "bridge")
        #expect(v1.master == nil)
        #expect(v0.link == v1.index && v1.link == v0.index)
        #expect(v0.isAdminUp && v0.hasCarrier && v1.hasCarrier)
        #expect(v0.carrier == true)
        #expect((v0.carrierChanges ?? 0) >= 1)
        #expect(v0.carrierUpCount != nil && v0.carrierDownCount != nil)
        #expect(v0.bondSlave == nil && v0.bond == nil)
        #expect(v0.mtu == 1500)
    }

    @Test("loopback is in the dump with no link kind")
    func loopback() throws {
        let lo = try #require(try dumpLinks().first { $0.name == "lo" })
        #expect(lo.index == 1)
        #expect(lo.kind == nil)
    }

    @Test("nlmsgerr: errno, uncapped original request, extended-ack message")
    func extendedAck() throws {
        let messages = try NetlinkMessage.split(hexBytes(RecordedReplies.unknownKindError))
        #expect(messages.count == 1)
        let reply = try #require(messages[0].errorReply)
        #expect(reply.error == 95)  // EOPNOTSUPP
        #expect(reply.message == "Unknown device type")
        #expect(messages[0].sequence == 2)
        #expect(messages[0].flags & NetlinkFlags.capped == 0)
    }

    @Test("capped nlmsgerr: TLVs follow the bare header")
    func cappedAck() throws {
        var payload: [UInt8] = []
        payload.appendHost(Int32(-17))  // EEXIST
        payload += [UInt8](repeating: 0, count: 16)  // original nlmsghdr only
        var tlv = NetlinkMessageBuilder(type: 0, flags: 0)
        tlv.append(1, string: "File exists")
        tlv.append(2, uint32: 40)
        payload += tlv.bytes.dropFirst(16)
        let message = NetlinkMessage(
            type: NetlinkMessageType.error, flags: NetlinkFlags.capped | NetlinkFlags.ackTLVs, sequence: 1, portID: 0,
            payload: payload)
        let reply = try #require(message.errorReply)
        #expect(reply.error == 17)
        #expect(reply.message == "File exists")
        #expect(reply.offendingOffset == 40)
    }

    @Test("a plain ack is error 0 without message")
    func plainAck() throws {
        var payload: [UInt8] = []
        payload.appendHost(Int32(0))
        payload += [UInt8](repeating: 0, count: 16)
        let reply = try #require(
            NetlinkMessage(type: 2, flags: NetlinkFlags.capped, sequence: 1, portID: 0, payload: payload).errorReply)
        #expect(reply.error == 0 && reply.message == nil)
    }

    @Test("a length field past the buffer is a parse error")
    func truncated() throws {
        var bytes = hexBytes(RecordedReplies.linkDump[0])
        bytes.removeLast(8)
        #expect(throws: NetlinkParseError.self) { try NetlinkMessage.split(bytes) }
    }

    @Test("bond and slave data hand-built from the uapi: active slave, MII status, failures, perm address, prio")
    func bondSlaveData() throws {
        var message = NetlinkMessageBuilder(type: RTM.newLink, flags: 0)
        message.appendFamilyHeader(LinkRequest.ifinfomsg(index: 5, flags: 0x10003))
        message.append(IFLA.ifname, string: "eth0")
        message.append(IFLA.master, uint32: 4)
        message.nest(IFLA.linkinfo) { info in
            info.append(IFLAInfo.kind, string: "veth")
            info.append(IFLAInfo.slaveKind, string: "bond")
            info.nest(IFLAInfo.slaveData) { data in
                data.append(1, uint8: 1)  // IFLA_BOND_SLAVE_STATE: backup
                data.append(2, uint8: 2)  // IFLA_BOND_SLAVE_MII_STATUS: BOND_LINK_DOWN
                data.append(3, uint32: 2)  // IFLA_BOND_SLAVE_LINK_FAILURE_COUNT
                data.append(4, [2, 0, 0, 0, 0, 5])  // IFLA_BOND_SLAVE_PERM_HWADDR
                data.append(5, uint16: 0)  // IFLA_BOND_SLAVE_QUEUE_ID
                data.append(9, int32: 10)  // IFLA_BOND_SLAVE_PRIO
            }
        }
        let link = try Link(payload: Array(message.bytes.dropFirst(16)))
        let slave = try #require(link.bondSlave)
        #expect(slave.stateName == "backup")
        #expect(slave.miiStatusName == "down")
        #expect(slave.linkFailureCount == 2)
        #expect(slave.permanentAddress == [2, 0, 0, 0, 0, 5])
        #expect(slave.prio == 10)
        #expect(link.master == 4)
        #expect(link.isAdminUp && link.hasCarrier)
    }

    @Test("address messages format as text")
    func addressText() throws {
        var payload: [UInt8] = [10, 64, 0, 0]
        payload.appendHost(Int32(3))
        var attributes = NetlinkMessageBuilder(type: 0, flags: 0)
        attributes.append(1, [0x20, 0x01, 0, 2] + [UInt8](repeating: 0, count: 11) + [1])
        payload += attributes.bytes.dropFirst(16)
        let address = try Address(payload: payload)
        #expect(address.index == 3)
        #expect(address.text == "2001:2:0:0:0:0:0:1/64")
    }
}
