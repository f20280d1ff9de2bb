/// rtnetlink numbers used by this module, from the Linux uapi headers
/// (<linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h>, <linux/veth.h>,
/// <linux/if_bridge.h>, <linux/if.h>, <linux/socket.h>). `RouteConstantsTests` checks them
/// against the headers through CNetShims.
public enum RTM {
    public static let newLink: UInt16 = 16
    public static let delLink: UInt16 = 17
    public static let getLink: UInt16 = 18
    public static let setLink: UInt16 = 19
    public static let newAddr: UInt16 = 20
    public static let delAddr: UInt16 = 21
    public static let getAddr: UInt16 = 22
    public static let newRoute: UInt16 = 24
    public static let delRoute: UInt16 = 25
}

public enum IFLA {
    public static let address: UInt16 = 1
    public static let ifname: UInt16 = 3
    public static let mtu: UInt16 = 4
    public static let link: UInt16 = 5
    public static let master: UInt16 = 10
    public static let protinfo: UInt16 = 12
    public static let operstate: UInt16 = 16
    public static let linkinfo: UInt16 = 18
    public static let netNSFD: UInt16 = 28
    public static let carrier: UInt16 = 33
    public static let carrierChanges: UInt16 = 35
    public static let carrierUpCount: UInt16 = 47
    public static let carrierDownCount: UInt16 = 48
    public static let permAddress: UInt16 = 54
}

public enum IFLAInfo {
    public static let kind: UInt16 = 1
    public static let data: UInt16 = 2
    public static let slaveKind: UInt16 = 4
    public static let slaveData: UInt16 = 5
}

public enum AddressFamily {
    public static let unspec: UInt8 = 0
    public static let inet: UInt8 = 2
    public static let bridge: UInt8 = 7
    public static let inet6: UInt8 = 10
}

public enum InterfaceFlags {
    public static let up: UInt32 = 0x1
    public static let running: UInt32 = 0x40
    public static let lowerUp: UInt32 = 0x10000
}

/// RTMGRP_* multicast group bits for bind(2).
public enum RTMGroup {
    public static let link: UInt32 = 0x1
    public static let ipv4Address: UInt32 = 0x10
    public static let ipv6Address: UInt32 = 0x100
}

/// IF_OPER_* (RFC 2863 operstate).
public enum OperState: UInt8, Sendable {
    case unknown = 0
    case notPresent, down, lowerLayerDown, testing, dormant, up

    public var name: String {
        switch self {
        case .unknown: "unknown"
        case .notPresent: "notpresent"
        case .down: "down"
        case .lowerLayerDown: "lowerlayerdown"
        case .testing: "testing"
        case .dormant: "dormant"
        case .up: "up"
        }
    }
}

/// Bridge port states (BR_STATE_*).
public enum BridgePortState: UInt8, Sendable {
    case disabled = 0
    case listening, learning, forwarding, blocking
}
