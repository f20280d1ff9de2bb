/// Every IFLA_BOND_* attribute of a bond's IFLA_INFO_DATA, in the kernel's encoding
/// (types from the bonding driver's netlink policy: u8, u16, u32, nested address lists).
/// Nil fields are not sent (the kernel keeps its value); read back, nil means absent.
public struct BondConfiguration: Sendable, Hashable {
    public var mode: UInt8?
    /// IFLA_BOND_ACTIVE_SLAVE: ifindex (0 clears).
    public var activeSlave: UInt32?
    public var miimon: UInt32?
    public var updelay: UInt32?
    public var downdelay: UInt32?
    public var useCarrier: UInt8?
    public var arpInterval: UInt32?
    /// IPv4 targets, 4 bytes each (network order), sent as a nest of attributes 0, 1, ….
    public var arpIPTargets: [[UInt8]]?
    public var arpValidate: UInt32?
    public var arpAllTargets: UInt32?
    /// IFLA_BOND_PRIMARY: ifindex (0 clears).
    public var primary: UInt32?
    public var primaryReselect: UInt8?
    public var failOverMAC: UInt8?
    public var xmitHashPolicy: UInt8?
    public var resendIGMP: UInt32?
    public var numPeerNotif: UInt8?
    public var allSlavesActive: UInt8?
    public var minLinks: UInt32?
    public var lpInterval: UInt32?
    public var packetsPerSlave: UInt32?
    public var adLACPRate: UInt8?
    public var adSelect: UInt8?
    public var adActorSysPrio: UInt16?
    public var adUserPortKey: UInt16?
    /// 6 bytes.
    public var adActorSystem: [UInt8]?
    public var tlbDynamicLB: UInt8?
    public var peerNotifDelay: UInt32?
    public var adLACPActive: UInt8?
    public var missedMax: UInt8?
    /// IPv6 targets, 16 bytes each, sent as a nest of attributes 0, 1, ….
    public var nsIP6Targets: [[UInt8]]?
    /// IFLA_BOND_AD_INFO (read only; 802.3ad with an active aggregator).
    public var adInfo: BondADInfo?

    public init() {}

    /// Attribute numbers (enum IFLA_BOND_* in <linux/if_link.h>).
    public enum Attribute {
        public static let mode: UInt16 = 1
        public static let activeSlave: UInt16 = 2
        public static let miimon: UInt16 = 3
        public static let updelay: UInt16 = 4
        public static let downdelay: UInt16 = 5
        public static let useCarrier: UInt16 = 6
        public static let arpInterval: UInt16 = 7
        public static let arpIPTarget: UInt16 = 8
        public static let arpValidate: UInt16 = 9
        public static let arpAllTargets: UInt16 = 10
        public static let primary: UInt16 = 11
        public static let primaryReselect: UInt16 = 12
        public static let failOverMAC: UInt16 = 13
        public static let xmitHashPolicy: UInt16 = 14
        public static let resendIGMP: UInt16 = 15
        public static let numPeerNotif: UInt16 = 16
        public static let allSlavesActive: UInt16 = 17
        public static let minLinks: UInt16 = 18
        public static let lpInterval: UInt16 = 19
        public static let packetsPerSlave: UInt16 = 20
        public static let adLACPRate: UInt16 = 21
        public static let adSelect: UInt16 = 22
        public static let adInfo: UInt16 = 23
        public static let adActorSysPrio: UInt16 = 24
        public static let adUserPortKey: UInt16 = 25
        public static let adActorSystem: UInt16 = 26
        public static let tlbDynamicLB: UInt16 = 27
        public static let peerNotifDelay: UInt16 = 28
        public static let adLACPActive: UInt16 = 29
        /// Linux 5.19.
        public static let missedMax: UInt16 = 30
        /// Linux 6.0.
        public static let nsIP6Target: UInt16 = 31
    }

    /// Appends the set fields as attributes, in attribute-number order.
    public func encode(into message: inout NetlinkMessageBuilder) {
        typealias A = Attribute
        if let mode { message.append(A.mode, uint8: mode) }
        if let activeSlave { message.append(A.activeSlave, uint32: activeSlave) }
        if let miimon { message.append(A.miimon, uint32: miimon) }
        if let updelay { message.append(A.updelay, uint32: updelay) }
        if let downdelay { message.append(A.downdelay, uint32: downdelay) }
        if let useCarrier { message.append(A.useCarrier, uint8: useCarrier) }
        if let arpInterval { message.append(A.arpInterval, uint32: arpInterval) }
        if let arpIPTargets {
            message.nest(A.arpIPTarget) { nest in
                for (index, target) in arpIPTargets.enumerated() { nest.append(UInt16(index), target) }
            }
        }
        if let arpValidate { message.append(A.arpValidate, uint32: arpValidate) }
        if let arpAllTargets { message.append(A.arpAllTargets, uint32: arpAllTargets) }
        if let primary { message.append(A.primary, uint32: primary) }
        if let primaryReselect { message.append(A.primaryReselect, uint8: primaryReselect) }
        if let failOverMAC { message.append(A.failOverMAC, uint8: failOverMAC) }
        if let xmitHashPolicy { message.append(A.xmitHashPolicy, uint8: xmitHashPolicy) }
        if let resendIGMP { message.append(A.resendIGMP, uint32: resendIGMP) }
        if let numPeerNotif { message.append(A.numPeerNotif, uint8: numPeerNotif) }
        if let allSlavesActive { message.append(A.allSlavesActive, uint8: allSlavesActive) }
        if let minLinks { message.append(A.minLinks, uint32: minLinks) }
        if let lpInterval { message.append(A.lpInterval, uint32: lpInterval) }
        if let packetsPerSlave { message.append(A.packetsPerSlave, uint32: packetsPerSlave) }
        if let adLACPRate { message.append(A.adLACPRate, uint8: adLACPRate) }
        if let adSelect { message.append(A.adSelect, uint8: adSelect) }
        if let adActorSysPrio { message.append(A.adActorSysPrio, uint16: adActorSysPrio) }
        if let adUserPortKey { message.append(A.adUserPortKey, uint16: adUserPortKey) }
        if let adActorSystem { message.append(A.adActorSystem, adActorSystem) }
        if let tlbDynamicLB { message.append(A.tlbDynamicLB, uint8: tlbDynamicLB) }
        if let peerNotifDelay { message.append(A.peerNotifDelay, uint32: peerNotifDelay) }
        if let adLACPActive { message.append(A.adLACPActive, uint8: adLACPActive) }
        if let missedMax { message.append(A.missedMax, uint8: missedMax) }
        if let nsIP6Targets {
            message.nest(A.nsIP6Target) { nest in
                for (index, target) in nsIP6Targets.enumerated() { nest.append(UInt16(index), target) }
            }
        }
    }

    /// Parses IFLA_INFO_DATA of a bond.
    public init(attributes: [NetlinkAttribute]) {
        typealias A = Attribute
        for attribute in attributes {
            switch attribute.type {
            case A.mode: mode = attribute.uint8
            case A.activeSlave: activeSlave = attribute.uint32
            case A.miimon: miimon = attribute.uint32
            case A.updelay: updelay = attribute.uint32
            case A.downdelay: downdelay = attribute.uint32
            case A.useCarrier: useCarrier = attribute.uint8
            case A.arpInterval: arpInterval = attribute.uint32
            case A.arpIPTarget: arpIPTargets = attribute.nested.map(\.payload)
            case A.arpValidate: arpValidate = attribute.uint32
            case A.arpAllTargets: arpAllTargets = attribute.uint32
            case A.primary: primary = attribute.uint32
            case A.primaryReselect: primaryReselect = attribute.uint8
            case A.failOverMAC: failOverMAC = attribute.uint8
            case A.xmitHashPolicy: xmitHashPolicy = attribute.uint8
            case A.resendIGMP: resendIGMP = attribute.uint32
            case A.numPeerNotif: numPeerNotif = attribute.uint8
            case A.allSlavesActive: allSlavesActive = attribute.uint8
            case A.minLinks: minLinks = attribute.uint32
            case A.lpInterval: lpInterval = attribute.uint32
            case A.packetsPerSlave: packetsPerSlave = attribute.uint32
            case A.adLACPRate: adLACPRate = attribute.uint8
            case A.adSelect: adSelect = attribute.uint8
            case A.adActorSysPrio: adActorSysPrio = attribute.uint16
            case A.adUserPortKey: adUserPortKey = attribute.uint16
            case A.adActorSystem: adActorSystem = attribute.payload
            case A.tlbDynamicLB: tlbDynamicLB = attribute.uint8
            case A.peerNotifDelay: peerNotifDelay = attribute.uint32
            case A.adLACPActive: adLACPActive = attribute.uint8
            case A.missedMax: missedMax = attribute.uint8
            case A.nsIP6Target: nsIP6Targets = attribute.nested.map(\.payload)
            case A.adInfo: adInfo = BondADInfo(attributes: attribute.nested)
            default: break
            }
        }
    }
}

/// IFLA_BOND_AD_INFO of an 802.3ad bond (enum IFLA_BOND_AD_INFO_*): its active aggregator.
public struct BondADInfo: Sendable, Hashable {
    public var aggregator: UInt16?
    public var numPorts: UInt16?
    public var actorKey: UInt16?
    public var partnerKey: UInt16?
    /// 6 bytes.
    public var partnerMAC: [UInt8]?

    public init() {}

    public enum Attribute {
        public static let aggregator: UInt16 = 1
        public static let numPorts: UInt16 = 2
        public static let actorKey: UInt16 = 3
        public static let partnerKey: UInt16 = 4
        public static let partnerMAC: UInt16 = 5
    }

    public init(attributes: [NetlinkAttribute]) {
        for attribute in attributes {
            switch attribute.type {
            case Attribute.aggregator: aggregator = attribute.uint16
            case Attribute.numPorts: numPorts = attribute.uint16
            case Attribute.actorKey: actorKey = attribute.uint16
            case Attribute.partnerKey: partnerKey = attribute.uint16
            case Attribute.partnerMAC: partnerMAC = attribute.payload
            default: break
            }
        }
    }
}

/// IFLA_INFO_SLAVE_DATA of a bond slave (enum IFLA_BOND_SLAVE_*).
public struct BondSlaveInfo: Sendable, Hashable {
    /// 0 active, 1 backup (BOND_STATE_*).
    public var state: UInt8?
    /// BOND_LINK_* (<linux/if_bonding.h>): 0 up, 1 fail ("going down" in /proc), 2 down,
    /// 3 back ("going back").
    public var miiStatus: UInt8?
    public var linkFailureCount: UInt32?
    public var permanentAddress: [UInt8]?
    public var queueID: UInt16?
    public var aggregatorID: UInt16?
    /// IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE (u8) and …_PARTNER_OPER_PORT_STATE (u16).
    public var actorOperPortState: UInt16?
    public var partnerOperPortState: UInt16?
    public var prio: Int32?

    public init() {}

    public enum Attribute {
        public static let state: UInt16 = 1
        public static let miiStatus: UInt16 = 2
        public static let linkFailureCount: UInt16 = 3
        public static let permanentAddress: UInt16 = 4
        public static let queueID: UInt16 = 5
        public static let aggregatorID: UInt16 = 6
        public static let actorOperPortState: UInt16 = 7
        public static let partnerOperPortState: UInt16 = 8
        /// Linux 6.0.
        public static let prio: UInt16 = 9
    }

    public init(attributes: [NetlinkAttribute]) {
        for attribute in attributes {
            switch attribute.type {
            case Attribute.state: state = attribute.uint8
            case Attribute.miiStatus: miiStatus = attribute.uint8
            case Attribute.linkFailureCount: linkFailureCount = attribute.uint32
            case Attribute.permanentAddress: permanentAddress = attribute.payload
            case Attribute.queueID: queueID = attribute.uint16
            case Attribute.aggregatorID: aggregatorID = attribute.uint16
            case Attribute.actorOperPortState, Attribute.partnerOperPortState:
                // u8 and u16 in bond_netlink.c; read either width (little-endian host order).
                let bytes = attribute.payload
                let value: UInt16? =
                    bytes.count == 1
                    ? UInt16(bytes[0]) : bytes.count >= 2 ? UInt16(bytes[0]) | UInt16(bytes[1]) << 8 : nil
                if attribute.type == Attribute.actorOperPortState {
                    actorOperPortState = value
                } else {
                    partnerOperPortState = value
                }
            case Attribute.prio: prio = attribute.int32
            default: break
            }
        }
    }

    /// `active` / `backup`.
    public var stateName: String? {
        state.map { $0 == 0 ? "active" : "backup" }
    }

    /// `up`, `down`, `going_down`, `going_back` (the MIIStatus raw values).
    public var miiStatusName: String? {
        guard let miiStatus else { return nil }
        switch miiStatus {
        case 0: return "up"
        case 1: return "going_down"  // BOND_LINK_FAIL
        case 2: return "down"  // BOND_LINK_DOWN
        case 3: return "going_back"  // BOND_LINK_BACK
        default: return "unknown(\(miiStatus))"
        }
    }
}
