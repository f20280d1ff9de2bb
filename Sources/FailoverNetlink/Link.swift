/// One RTM_NEWLINK message (a dump entry, a get reply or an event), parsed.
public struct Link: Sendable, Hashable {
    /// ifi_family: AF_UNSPEC (0) for ordinary link messages; AF_BRIDGE (7) for the bridge's
    /// per-port notifications, which carry a reduced attribute set.
    public var family: UInt8
    public var index: Int32
    public var name: String
    /// ifi_flags (IFF_UP, IFF_LOWER_UP, …).
    public var flags: UInt32
    public var operState: UInt8?
    public var carrier: Bool?
    public var carrierChanges: UInt32?
    public var carrierUpCount: UInt32?
    public var carrierDownCount: UInt32?
    public var address: [UInt8]?
    public var permanentAddress: [UInt8]?
    public var mtu: UInt32?
    /// IFLA_MASTER ifindex.
    public var master: Int32?
    /// IFLA_LINK (peer or parent ifindex, maybe in another namespace).
    public var link: Int32?
    /// IFLA_INFO_KIND (`veth`, `bridge`, `bond`, `macvlan`).
    public var kind: String?
    /// IFLA_INFO_SLAVE_KIND (`bond`, `bridge`).
    public var slaveKind: String?
    /// Bond options when `kind == "bond"`.
    public var bond: BondConfiguration?
    /// Bond slave data when `slaveKind == "bond"`.
    public var bondSlave: BondSlaveInfo?
    /// IFLA_BR_STP_STATE when `kind == "bridge"`.
    public var bridgeSTPState: UInt32?
    /// IFLA_BR_FORWARD_DELAY (centiseconds) when `kind == "bridge"`.
    public var bridgeForwardDelay: UInt32?

    public var isAdminUp: Bool { flags & InterfaceFlags.up != 0 }
    /// IFF_LOWER_UP (carrier), falling back to IFLA_CARRIER.
    public var hasCarrier: Bool { flags & InterfaceFlags.lowerUp != 0 || carrier == true }

    /// Parses an RTM_NEWLINK / RTM_DELLINK payload (ifinfomsg + attributes).
    /// - Throws: `NetlinkParseError` when the payload is shorter than ifinfomsg.
    public init(payload: [UInt8]) throws(NetlinkParseError) {
        guard let index = loadHost(Int32.self, from: payload, at: 4),
            let flags = loadHost(UInt32.self, from: payload, at: 8)
        else { throw NetlinkParseError(what: "ifinfomsg", offset: 0) }
        self.family = payload[0]
        self.index = index
        self.flags = flags
        name = ""
        for attribute in NetlinkAttribute.parse(payload.dropFirst(16)) {
            switch attribute.type {
            case IFLA.ifname: name = attribute.string
            case IFLA.address: address = attribute.payload
            case IFLA.permAddress: permanentAddress = attribute.payload
            case IFLA.mtu: mtu = attribute.uint32
            case IFLA.master: master = attribute.int32
            case IFLA.link: link = attribute.int32
            case IFLA.operstate: operState = attribute.uint8
            case IFLA.carrier: carrier = attribute.uint8.map { $0 != 0 }
            case IFLA.carrierChanges: carrierChanges = attribute.uint32
            case IFLA.carrierUpCount: carrierUpCount = attribute.uint32
            case IFLA.carrierDownCount: carrierDownCount = attribute.uint32
            case IFLA.linkinfo: parseLinkInfo(attribute.nested)
            default: break
            }
        }
    }

    private mutating func parseLinkInfo(_ info: [NetlinkAttribute]) {
        kind = info.first(IFLAInfo.kind)?.string
        slaveKind = info.first(IFLAInfo.slaveKind)?.string
        if let data = info.first(IFLAInfo.data)?.nested {
            switch kind {
            case "bond": bond = BondConfiguration(attributes: data)
            case "bridge":
                bridgeForwardDelay = data.first(1)?.uint32  // IFLA_BR_FORWARD_DELAY
                bridgeSTPState = data.first(5)?.uint32  // IFLA_BR_STP_STATE
            default: break
            }
        }
        if slaveKind == "bond", let data = info.first(IFLAInfo.slaveData)?.nested {
            bondSlave = BondSlaveInfo(attributes: data)
        }
    }
}

/// One RTM_NEWADDR / RTM_DELADDR message, parsed.
public struct Address: Sendable, Hashable {
    public var family: UInt8
    public var prefixLength: UInt8
    public var index: Int32
    /// IFA_LOCAL if present, else IFA_ADDRESS.
    public var address: [UInt8]

    public init(payload: [UInt8]) throws(NetlinkParseError) {
        guard payload.count >= 8, let index = loadHost(Int32.self, from: payload, at: 4) else {
            throw NetlinkParseError(what: "ifaddrmsg", offset: 0)
        }
        family = payload[0]
        prefixLength = payload[1]
        self.index = index
        let attributes = NetlinkAttribute.parse(payload.dropFirst(8))
        address = (attributes.first(2) ?? attributes.first(1))?.payload ?? []
    }

    /// `198.18.0.1/24` or `2001:2::1/64`.
    public var text: String {
        if address.count == 4 {
            return address.map(String.init).joined(separator: ".") + "/\(prefixLength)"
        }
        var groups: [String] = []
        for offset in stride(from: 0, to: address.count - 1, by: 2) {
            groups.append(String(UInt16(address[offset]) << 8 | UInt16(address[offset + 1]), radix: 16))
        }
        return groups.joined(separator: ":") + "/\(prefixLength)"
    }
}

/// Formats a MAC as `02:00:00:00:00:01`.
public func formatMAC(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let hex = String(byte, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
    }.joined(separator: ":")
}
