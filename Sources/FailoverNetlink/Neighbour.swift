/// Neighbour-table entries (the ARP and NDP caches): RTM_GETNEIGH dumps, `ip neigh show`.
/// Numbers from <linux/rtnetlink.h> and <linux/neighbour.h>.
public enum NeighbourNumbers {
    public static let newNeigh: UInt16 = 28
    public static let getNeigh: UInt16 = 30
    /// NDA_DST: the neighbour's network address.
    public static let destination: UInt16 = 1
    /// NDA_LLADDR: its link-layer address.
    public static let linkLayerAddress: UInt16 = 2
    /// Size of `struct ndmsg`.
    public static let headerSize = 12
}

/// One entry of a namespace's neighbour table.
public struct NeighbourEntry: Sendable, Hashable {
    public var family: UInt8
    public var index: Int32
    /// NUD_* bits (<linux/neighbour.h>).
    public var state: UInt16
    /// NDA_DST: 4 or 16 bytes.
    public var destination: [UInt8]
    /// NDA_LLADDR; nil while unresolved (INCOMPLETE, FAILED).
    public var linkLayerAddress: [UInt8]?

    public init(family: UInt8, index: Int32, state: UInt16, destination: [UInt8], linkLayerAddress: [UInt8]?) {
        self.family = family
        self.index = index
        self.state = state
        self.destination = destination
        self.linkLayerAddress = linkLayerAddress
    }

    /// Parses the payload of an RTM_NEWNEIGH message (`struct ndmsg` + attributes).
    public init(payload: [UInt8]) throws(NetlinkParseError) {
        guard payload.count >= NeighbourNumbers.headerSize, let index = loadHost(Int32.self, from: payload, at: 4),
            let state = loadHost(UInt16.self, from: payload, at: 8)
        else {
            throw NetlinkParseError(what: "ndmsg", offset: 0)
        }
        let attributes = NetlinkAttribute.parse(payload.dropFirst(NeighbourNumbers.headerSize))
        guard let destination = attributes.first(NeighbourNumbers.destination)?.payload else {
            throw NetlinkParseError(what: "NDA_DST", offset: NeighbourNumbers.headerSize)
        }
        self.init(
            family: payload[0], index: index, state: state, destination: destination,
            linkLayerAddress: attributes.first(NeighbourNumbers.linkLayerAddress)?.payload)
    }

    /// The state's name as `ip neigh` prints it: the most specific NUD bit, lower case.
    public var stateName: String {
        let names: [(UInt16, String)] = [
            (0x80, "permanent"), (0x40, "noarp"), (0x20, "failed"), (0x10, "probe"), (0x08, "delay"),
            (0x04, "stale"), (0x02, "reachable"), (0x01, "incomplete"),
        ]
        return names.first { state & $0.0 != 0 }?.1 ?? "none"
    }
}

public enum NeighbourRequest {
    /// RTM_GETNEIGH dump of `family`'s entries (0: every family; 7, AF_BRIDGE: the bridges' FDB).
    public static func dump(family: UInt8 = 0) -> NetlinkMessageBuilder {
        var message = NetlinkMessageBuilder(type: NeighbourNumbers.getNeigh, flags: 0)
        message.appendFamilyHeader([family] + [UInt8](repeating: 0, count: NeighbourNumbers.headerSize - 1))
        return message
    }
}

/// One entry of a bridge's forwarding database (`bridge fdb show`).
public struct BridgeFDBEntry: Sendable, Hashable {
    /// The bridge port (ifindex).
    public var index: Int32
    public var mac: [UInt8]
    /// NUD_* bits: NUD_PERMANENT (0x80) marks the bridge's own (local) addresses; learned
    /// entries are NUD_REACHABLE or NUD_STALE.
    public var state: UInt16
    /// NDA_MASTER: the bridge's ifindex, when reported.
    public var master: Int32?

    /// Parses an RTM_NEWNEIGH of family AF_BRIDGE (`struct ndmsg`, NDA_LLADDR, NDA_MASTER).
    public init(payload: [UInt8]) throws(NetlinkParseError) {
        guard payload.count >= NeighbourNumbers.headerSize, payload[0] == 7,
            let index = loadHost(Int32.self, from: payload, at: 4),
            let state = loadHost(UInt16.self, from: payload, at: 8)
        else {
            throw NetlinkParseError(what: "ndmsg (AF_BRIDGE)", offset: 0)
        }
        let attributes = NetlinkAttribute.parse(payload.dropFirst(NeighbourNumbers.headerSize))
        guard let mac = attributes.first(NeighbourNumbers.linkLayerAddress)?.payload, mac.count == 6 else {
            throw NetlinkParseError(what: "NDA_LLADDR", offset: NeighbourNumbers.headerSize)
        }
        self.index = index
        self.mac = mac
        self.state = state
        self.master = attributes.first(9).flatMap { loadHost(Int32.self, from: $0.payload, at: 0) }
    }

    /// The bridge's own address, not a learned one.
    public var isLocal: Bool { state & 0x80 != 0 }
}

extension RouteSocket {
    /// Every forwarding-database entry of the namespace's bridges (RTM_GETNEIGH dump, AF_BRIDGE).
    public func bridgeFDB() throws(NetlinkError) -> [BridgeFDBEntry] {
        let replies = try socket.dump(NeighbourRequest.dump(family: 7), operation: "dump fdb", object: namespace)
        return replies.compactMap { reply in
            guard reply.type == NeighbourNumbers.newNeigh else { return nil }
            return try? BridgeFDBEntry(payload: reply.payload)
        }
    }

    /// Every neighbour-table entry of the namespace (RTM_GETNEIGH dump).
    public func neighbours() throws(NetlinkError) -> [NeighbourEntry] {
        let replies = try socket.dump(NeighbourRequest.dump(), operation: "dump neighbours", object: namespace)
        return replies.compactMap { reply in
            guard reply.type == NeighbourNumbers.newNeigh else { return nil }
            return try? NeighbourEntry(payload: reply.payload)
        }
    }
}
