public import FailoverModel

/// The LACP view of an 802.3ad bond as the kernel reports it now: its active aggregator
/// (IFLA_BOND_AD_INFO) and each slave's aggregator and port states (IFLA_BOND_SLAVE_AD_*), the
/// backend having cross-checked both with /proc/net/bonding/<bond>.
public struct LacpStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    public struct Port: Sendable, Hashable, Codable {
        public var name: String
        public var aggregatorID: Int?
        public var actorState: UInt16?
        public var partnerState: UInt16?

        public init(name: String, aggregatorID: Int?, actorState: UInt16?, partnerState: UInt16?) {
            self.name = name
            self.aggregatorID = aggregatorID
            self.actorState = actorState
            self.partnerState = partnerState
        }
    }

    /// nil: no active aggregator (the bond reports none).
    public var aggregatorID: Int?
    public var actorKey: Int?
    public var partnerKey: Int?
    public var partnerMAC: MACAddress?
    /// Every slave of the bond, in the kernel's order.
    public var ports: [Port]

    public init(
        aggregatorID: Int?, actorKey: Int? = nil, partnerKey: Int? = nil, partnerMAC: MACAddress? = nil,
        ports: [Port] = []
    ) {
        self.aggregatorID = aggregatorID
        self.actorKey = actorKey
        self.partnerKey = partnerKey
        self.partnerMAC = partnerMAC
        self.ports = ports
    }

    /// The slaves whose aggregator is the active one, in the kernel's order.
    public var activePorts: [String] {
        guard let aggregatorID else { return [] }
        return ports.filter { $0.aggregatorID == aggregatorID }.map(\.name)
    }

    public func port(named name: String) -> Port? { ports.first { $0.name == name } }

    public var description: String {
        guard let aggregatorID else { return "no active aggregator" }
        let members = activePorts.isEmpty ? "none" : activePorts.joined(separator: ",")
        return "aggregator \(aggregatorID) (ports \(members), partner system \(partnerMAC?.description ?? "unknown"), "
            + "partner key \(partnerKey.map(String.init) ?? "unknown"), actor key \(actorKey.map(String.init) ?? "unknown"))"
    }
}
