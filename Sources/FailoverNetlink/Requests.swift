/// Pure builders of rtnetlink requests (no I/O), so their bytes can be checked in tests.
/// The socket adds NLM_F_REQUEST|NLM_F_ACK (or NLM_F_DUMP) and the sequence number.
public enum LinkRequest {
    /// struct ifinfomsg { family, pad, type, index, flags, change } (16 bytes).
    public static func ifinfomsg(
        family: UInt8 = AddressFamily.unspec, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0
    ) -> [UInt8] {
        var header: [UInt8] = [family, 0]
        header.appendHost(UInt16(0))
        header.appendHost(index)
        header.appendHost(flags)
        header.appendHost(change)
        return header
    }

    /// RTM_NEWLINK NLM_F_CREATE|NLM_F_EXCL: `ip link add NAME type veth peer name PEER netns NSFD`.
    /// - Parameters:
    ///   - peerNamespaceFD: descriptor of the namespace the peer goes to (IFLA_NET_NS_FD).
    ///   - peerAddress: MAC pinned on the peer at creation.
    public static func createVeth(
        name: String, peerName: String, peerNamespaceFD: Int32?, peerAddress: [UInt8]? = nil
    ) -> NetlinkMessageBuilder {
        var message = create(name: name)
        message.nest(IFLA.linkinfo) { info in
            info.append(IFLAInfo.kind, string: "veth")
            info.nest(IFLAInfo.data) { data in
                data.nest(1) { peer in  // VETH_INFO_PEER: ifinfomsg followed by attributes
                    peer.appendRaw(ifinfomsg())
                    peer.append(IFLA.ifname, string: peerName)
                    if let peerAddress { peer.append(IFLA.address, peerAddress) }
                    if let peerNamespaceFD { peer.append(IFLA.netNSFD, uint32: UInt32(bitPattern: peerNamespaceFD)) }
                }
            }
        }
        return message
    }

    /// `ip link add NAME type bridge stp_state S forward_delay D` (IFLA_BR_STP_STATE 5,
    /// IFLA_BR_FORWARD_DELAY 1, u32 each).
    public static func createBridge(name: String, stpState: UInt32 = 0, forwardDelay: UInt32 = 0)
        -> NetlinkMessageBuilder
    {
        var message = create(name: name)
        message.nest(IFLA.linkinfo) { info in
            info.append(IFLAInfo.kind, string: "bridge")
            info.nest(IFLAInfo.data) { data in
                data.append(1, uint32: forwardDelay)
                data.append(5, uint32: stpState)
            }
        }
        return message
    }

    /// `ip link add NAME type bond <options>`; every set field of `configuration` is sent.
    public static func createBond(name: String, configuration: BondConfiguration, address: [UInt8]? = nil)
        -> NetlinkMessageBuilder
    {
        var message = create(name: name)
        if let address { message.append(IFLA.address, address) }
        message.nest(IFLA.linkinfo) { info in
            info.append(IFLAInfo.kind, string: "bond")
            info.nest(IFLAInfo.data) { configuration.encode(into: &$0) }
        }
        return message
    }

    /// `ip link set dev INDEX type bond <options>`: RTM_NEWLINK on an existing bond.
    public static func changeBond(index: Int32, configuration: BondConfiguration) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: RTM.newLink, flags: 0)
        message.appendFamilyHeader(ifinfomsg(index: index))
        message.nest(IFLA.linkinfo) { info in
            info.append(IFLAInfo.kind, string: "bond")
            info.nest(IFLAInfo.data) { configuration.encode(into: &$0) }
        }
        return message
    }

    /// `ip link set dev INDEX type bond_slave prio P [queue_id Q]` (IFLA_INFO_SLAVE_DATA).
    public static func setBondSlave(index: Int32, prio: Int32?, queueID: UInt16? = nil) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: RTM.newLink, flags: 0)
        message.appendFamilyHeader(ifinfomsg(index: index))
        message.nest(IFLA.linkinfo) { info in
            info.append(IFLAInfo.slaveKind, string: "bond")
            info.nest(IFLAInfo.slaveData) { data in
                if let queueID { data.append(BondSlaveInfo.Attribute.queueID, uint16: queueID) }
                if let prio { data.append(BondSlaveInfo.Attribute.prio, int32: prio) }
            }
        }
        return message
    }

    /// `ip link add NAME link PARENT type macvlan mode M` (IFLA_MACVLAN_MODE 1; bridge = 4).
    public static func createMacvlan(name: String, parentIndex: Int32, mode: UInt32 = 4, address: [UInt8]? = nil)
        -> NetlinkMessageBuilder
    {
        var message = create(name: name)
        message.append(IFLA.link, uint32: UInt32(bitPattern: parentIndex))
        if let address { message.append(IFLA.address, address) }
        message.nest(IFLA.linkinfo) { info in
            info.append(IFLAInfo.kind, string: "macvlan")
            info.nest(IFLAInfo.data) { $0.append(1, uint32: mode) }
        }
        return message
    }

    /// `ip link set INDEX up|down`: ifi_flags IFF_UP under ifi_change IFF_UP.
    public static func setAdminState(index: Int32, up: Bool) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: RTM.newLink, flags: 0)
        message.appendFamilyHeader(
            ifinfomsg(index: index, flags: up ? InterfaceFlags.up : 0, change: InterfaceFlags.up))
        return message
    }

    /// `ip link set INDEX master M` (IFLA_MASTER; 0 = nomaster).
    public static func setMaster(index: Int32, masterIndex: Int32) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: RTM.newLink, flags: 0)
        message.appendFamilyHeader(ifinfomsg(index: index))
        message.append(IFLA.master, uint32: UInt32(bitPattern: masterIndex))
        return message
    }

    /// `ip link set INDEX address MAC`.
    public static func setAddress(index: Int32, address: [UInt8]) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: RTM.newLink, flags: 0)
        message.appendFamilyHeader(ifinfomsg(index: index))
        message.append(IFLA.address, address)
        return message
    }

    /// `bridge link set dev PORT state S`: RTM_SETLINK, AF_BRIDGE,
    /// IFLA_PROTINFO|NLA_F_NESTED { IFLA_BRPORT_STATE (1) u8 }.
    public static func setBridgePortState(index: Int32, state: BridgePortState) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: RTM.setLink, flags: 0)
        message.appendFamilyHeader(ifinfomsg(family: AddressFamily.bridge, index: index))
        message.nest(IFLA.protinfo, flagNested: true) { $0.append(1, uint8: state.rawValue) }
        return message
    }

    /// `ip link del INDEX`.
    public static func delete(index: Int32) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: RTM.delLink, flags: 0)
        message.appendFamilyHeader(ifinfomsg(index: index))
        return message
    }

    /// RTM_GETLINK for one interface by name.
    public static func get(name: String) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: RTM.getLink, flags: 0)
        message.appendFamilyHeader(ifinfomsg())
        message.append(IFLA.ifname, string: name)
        return message
    }

    /// RTM_GETLINK dump of every interface.
    public static func dump() -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: RTM.getLink, flags: 0)
        message.appendFamilyHeader(ifinfomsg())
        return message
    }

    private static func create(name: String) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(
            type: RTM.newLink, flags: NetlinkFlags.create | NetlinkFlags.exclusive)
        message.appendFamilyHeader(ifinfomsg())
        message.append(IFLA.ifname, string: name)
        return message
    }
}

public enum AddressRequest {
    /// IFA_F_NODAD.
    public static let noDAD: UInt8 = 0x02

    /// `ip addr add A/LEN dev INDEX` (IFA_LOCAL + IFA_ADDRESS; IPv6 with IFA_F_NODAD so the
    /// address is usable at once).
    public static func add(index: Int32, address: [UInt8], prefixLength: UInt8) -> NetlinkMessageBuilder {
        let isV6 = address.count == 16
        var message = NetlinkMessageBuilder(
            type: RTM.newAddr, flags: NetlinkFlags.create | NetlinkFlags.exclusive)
        var header: [UInt8] = [
            isV6 ? AddressFamily.inet6 : AddressFamily.inet, prefixLength, isV6 ? noDAD : 0, 0,
        ]
        header.appendHost(UInt32(bitPattern: index))
        message.appendFamilyHeader(header)
        message.append(2, address)  // IFA_LOCAL
        message.append(1, address)  // IFA_ADDRESS
        return message
    }

    /// RTM_GETADDR dump.
    public static func dump() -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: RTM.getAddr, flags: 0)
        message.appendFamilyHeader([0, 0, 0, 0, 0, 0, 0, 0])
        return message
    }
}

public enum RouteRequest {
    /// `ip route add DST/LEN [via GW] [dev OIF]` in the main table; `destination` nil means
    /// default. Scope is link for device-only routes, universe otherwise.
    public static func add(
        family: UInt8, destination: [UInt8]?, prefixLength: UInt8, gateway: [UInt8]?, outputIndex: Int32?
    ) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(
            type: RTM.newRoute, flags: NetlinkFlags.create | NetlinkFlags.exclusive)
        let scope: UInt8 = gateway == nil && outputIndex != nil ? 253 : 0  // RT_SCOPE_LINK / UNIVERSE
        // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
        var header: [UInt8] = [family, destination == nil ? 0 : prefixLength, 0, 0, 254, 3, scope, 1]
        header.appendHost(UInt32(0))
        message.appendFamilyHeader(header)
        if let destination { message.append(1, destination) }  // RTA_DST
        if let outputIndex { message.append(4, uint32: UInt32(bitPattern: outputIndex)) }  // RTA_OIF
        if let gateway { message.append(5, gateway) }  // RTA_GATEWAY
        return message
    }
}

extension NetlinkMessageBuilder {
    /// Appends raw bytes inside the current nest (a family header inside VETH_INFO_PEER).
    public mutating func appendRaw(_ raw: [UInt8]) {
        appendFamilyHeader(raw)
    }
}
