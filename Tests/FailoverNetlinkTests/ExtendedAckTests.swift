import Testing

@testable import FailoverNetlink

/// The kernel's reply to a refused bond option change, built byte by byte per the uapi layout
/// (<linux/netlink.h>: struct nlmsghdr, struct nlmsgerr { int error; struct nlmsghdr msg; },
/// the original request's payload unless NLM_F_CAPPED, then NLMSGERR_ATTR_* TLVs when
/// NLM_F_ACK_TLVS), as Linux 6.x sends it for `mode` on a bond with slaves:
/// bond_opt_error_interpret() sets "unable to set option because the bond device has slaves"
/// and the offset of IFLA_BOND_MODE.
@Suite("Extended ack of a refused bond option")
struct ExtendedAckTests {
    /// The request: RTM_NEWLINK ifindex 7, IFLA_LINKINFO { kind "bond", data { IFLA_BOND_MODE 0 } }.
    static func request(sequence: UInt32) -> [UInt8] {
        var configuration = BondConfiguration()
        configuration.mode = 0
        var message = LinkRequest.changeBond(index: 7, configuration: configuration)
        message.addFlags(NetlinkFlags.request | NetlinkFlags.ack)
        return message.finalized(sequence: sequence, portID: 0)
    }

    /// The datagram the kernel answers with. `unpaddedLength` declares the original request
    /// 3 bytes shorter than its padded size (the u8 IFLA_BOND_MODE without its padding), as a
    /// client that does not pad its last attribute would send it.
    static func reply(
        errno: Int32, text: String?, offset: UInt32?, capped: Bool = false, unpaddedLength: Bool = false
    ) -> [UInt8] {
        var original = request(sequence: 42)
        if unpaddedLength { original.storeHost(UInt32(original.count - 3), at: 0) }
        var payload: [UInt8] = []
        payload.appendHost(Int32(-errno))
        let declared = Int(loadHost(UInt32.self, from: original, at: 0) ?? 0)
        payload += capped ? Array(original[0..<16]) : Array(original[0..<declared])
        while payload.count % 4 != 0 { payload.append(0) }
        var flags: UInt16 = capped ? NetlinkFlags.capped : 0
        if text != nil || offset != nil {
            flags |= NetlinkFlags.ackTLVs
            var tlvs = NetlinkMessageBuilder(type: 0, flags: 0)
            if let text { tlvs.append(1, string: text) }  // NLMSGERR_ATTR_MSG
            if let offset { tlvs.append(2, uint32: offset) }  // NLMSGERR_ATTR_OFFS
            payload += tlvs.bytes.dropFirst(16)
        }
        var bytes: [UInt8] = []
        bytes.appendHost(UInt32(16 + payload.count))
        bytes.appendHost(NetlinkMessageType.error)
        bytes.appendHost(flags)
        bytes.appendHost(UInt32(42))
        bytes.appendHost(UInt32(4242))
        return bytes + payload
    }

    /// Offset of IFLA_BOND_MODE in the request: nlmsghdr 16 + ifinfomsg 16 + IFLA_LINKINFO 4 +
    /// IFLA_INFO_KIND "bond\0" 4 + 8 (padded) + IFLA_INFO_DATA 4.
    static let modeOffset: UInt32 = 16 + 16 + 4 + 12 + 4

    @Test("the kernel's text and the offending attribute follow the echoed request")
    func uncapped() throws {
        let messages = try NetlinkMessage.split(
            Self.reply(
                errno: 39, text: "unable to set option because the bond device has slaves", offset: Self.modeOffset))
        #expect(messages.count == 1)
        let reply = try #require(messages[0].errorReply)
        #expect(reply.error == 39)  // ENOTEMPTY
        #expect(reply.message == "unable to set option because the bond device has slaves")
        #expect(reply.offendingOffset == Self.modeOffset)
        // The offset points at IFLA_BOND_MODE (type 1, length 5) in the request we sent.
        let request = Self.request(sequence: 42)
        #expect(loadHost(UInt16.self, from: request, at: Int(Self.modeOffset)) == 5)
        #expect(loadHost(UInt16.self, from: request, at: Int(Self.modeOffset) + 2) == 1)
    }

    @Test("an echoed request whose length is not a multiple of 4: the TLVs start at the next boundary")
    func unpaddedOriginal() throws {
        let messages = try NetlinkMessage.split(
            Self.reply(
                errno: 22, text: "invalid option value", offset: nil, unpaddedLength: true))
        let reply = try #require(messages.first?.errorReply)
        #expect(reply.error == 22)
        #expect(reply.message == "invalid option value")
    }

    @Test("capped: the TLVs follow the bare header")
    func capped() throws {
        let messages = try NetlinkMessage.split(
            Self.reply(
                errno: 16, text: "unable to set option because the bond is up", offset: nil, capped: true))
        let reply = try #require(messages.first?.errorReply)
        #expect(reply.error == 16)
        #expect(reply.message == "unable to set option because the bond is up")
    }

    @Test("a refusal without TLVs has an errno and no text (kernels before 5.19, or EPERM from updelay)")
    func noText() throws {
        let messages = try NetlinkMessage.split(Self.reply(errno: 1, text: nil, offset: nil))
        let reply = try #require(messages.first?.errorReply)
        #expect(reply.error == 1)
        #expect(reply.message == nil)
        #expect(messages[0].flags & NetlinkFlags.ackTLVs == 0)
    }

    @Test("NetlinkError shows the errno and the kernel's text once")
    func errorText() {
        let error = NetlinkError(
            operation: "set primary", object: "ns/bond0", errno: .noDevice, kernelMessage: "interface does not exist")
        #expect(error.code == 19)
        #expect(error.description.hasSuffix("(errno 19): interface does not exist"))
        #expect(error.description.hasPrefix("set primary ns/bond0: "))
    }
}
