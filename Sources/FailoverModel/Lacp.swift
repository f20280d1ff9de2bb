/// The bits of an LACP port state (IEEE 802.1AX; `AD_STATE_*` in drivers/net/bonding/bond_3ad.c),
/// as the bond reports them for its actor and for the partner it heard.
public enum LacpStateBit: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case activity, timeout, aggregation, synchronization, collecting, distributing, defaulted, expired

    /// The bit's mask in the port-state byte.
    public var mask: UInt16 {
        switch self {
        case .activity: 0x01
        case .timeout: 0x02
        case .aggregation: 0x04
        case .synchronization: 0x08
        case .collecting: 0x10
        case .distributing: 0x20
        case .defaulted: 0x40
        case .expired: 0x80
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.mask < rhs.mask }

    /// The bits set in `state`, in the kernel's order, as text (`activity,timeout,…`, `none`).
    public static func names(_ state: UInt16) -> String {
        let set = allCases.filter { state & $0.mask != 0 }.map(\.rawValue)
        return set.isEmpty ? "none" : set.joined(separator: ",")
    }
}

/// Port-state bits an `lacp_state` assertion requires set (`true`) or clear (`false`); bits
/// not named are not looked at.
public struct LacpBits: Sendable, Hashable, Codable, CustomStringConvertible {
    public var required: [LacpStateBit: Bool]

    public init(_ required: [LacpStateBit: Bool] = [:]) { self.required = required }

    public var isEmpty: Bool { required.isEmpty }

    public func matches(_ state: UInt16) -> Bool {
        required.allSatisfy { bit, set in (state & bit.mask != 0) == set }
    }

    public var description: String {
        required.keys.sorted().map { (required[$0] ?? false ? "" : "!") + $0.rawValue }.joined(separator: ",")
    }
}

/// What an `lacp_aggregator` assertion expects of a bond's active aggregator: its member ports
/// (exactly this set), the partner's system MAC and key, its id; nil: not looked at.
public struct LacpAggregatorExpectation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var ports: [String]?
    public var partnerSystem: MACAddress?
    public var partnerKey: Int?
    public var id: Int?

    public init(ports: [String]? = nil, partnerSystem: MACAddress? = nil, partnerKey: Int? = nil, id: Int? = nil) {
        self.ports = ports
        self.partnerSystem = partnerSystem
        self.partnerKey = partnerKey
        self.id = id
    }

    public var description: String {
        var parts: [String] = []
        if let id { parts.append("id \(id)") }
        if let ports { parts.append("ports " + (ports.isEmpty ? "none" : ports.sorted().joined(separator: ","))) }
        if let partnerSystem { parts.append("partner system \(partnerSystem)") }
        if let partnerKey { parts.append("partner key \(partnerKey)") }
        return parts.joined(separator: ", ")
    }
}

/// What an `lacp_state` assertion expects of one port of an 802.3ad bond: the actor's and the
/// partner's state bits, and whether the port is in the bond's active aggregator.
public struct LacpPortExpectation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var actor: LacpBits
    public var partner: LacpBits
    public var inAggregator: Bool?

    public init(actor: LacpBits = LacpBits(), partner: LacpBits = LacpBits(), inAggregator: Bool? = nil) {
        self.actor = actor
        self.partner = partner
        self.inAggregator = inAggregator
    }

    public var description: String {
        var parts: [String] = []
        if let inAggregator { parts.append(inAggregator ? "in the active aggregator" : "not in the active aggregator") }
        if !actor.isEmpty { parts.append("actor \(actor)") }
        if !partner.isEmpty { parts.append("partner \(partner)") }
        return parts.joined(separator: ", ")
    }
}
