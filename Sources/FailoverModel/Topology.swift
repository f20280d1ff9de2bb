/// What a playbook builds: switches (a namespace with a Linux bridge), hosts (namespaces),
/// cables (veth pairs) and bonds. Order is kept everywhere: it is the build order, and for
/// bond slaves the enslave order, which matters to the kernel.
public struct Topology: Sendable, Hashable, Codable {
    public var switches: [Switch]
    public var hosts: [Host]
    public var cables: [Cable]
    /// CARP groups (ucarp peers on hosts' interfaces), in declaration order.
    public var carp: [CarpGroup]

    public init(switches: [Switch] = [], hosts: [Host] = [], cables: [Cable] = [], carp: [CarpGroup] = []) {
        self.switches = switches
        self.hosts = hosts
        self.cables = cables
        self.carp = carp
    }

    private enum CodingKeys: String, CodingKey { case switches, hosts, cables, carp }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switches = try container.decode([Switch].self, forKey: .switches)
        hosts = try container.decode([Host].self, forKey: .hosts)
        cables = try container.decode([Cable].self, forKey: .cables)
        carp = try container.decodeIfPresent([CarpGroup].self, forKey: .carp) ?? []
    }

    public func host(named name: String) -> Host? { hosts.first { $0.name == name } }
    public func `switch`(named name: String) -> Switch? { switches.first { $0.name == name } }

    /// The cable one of whose host ends is `host/interface`.
    public func cable(at end: InterfaceRef) -> Cable? {
        cables.first { $0.a == end || $0.b.hostEnd == end }
    }

    /// The bond `host/name`, if declared.
    public func bond(at ref: InterfaceRef) -> Bond? {
        host(named: ref.host)?.bonds.first { $0.name == ref.interface }
    }
}

/// `host/interface`: how steps and assertions name an interface.
public struct InterfaceRef: Sendable, Hashable, Codable, CustomStringConvertible {
    public var host: String
    public var interface: String

    public init(host: String, interface: String) {
        self.host = host
        self.interface = interface
    }

    /// Parses `host/interface`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        self.init(host: String(parts[0]), interface: String(parts[1]))
    }

    public var description: String { "\(host)/\(interface)" }
}

/// A switch: a namespace holding one Linux bridge (STP off, forward delay 0), one port per cable.
/// Ports grouped into a LAG are slaves of a bond in the switch's namespace (the kernel's LACP
/// is the partner of the hosts' 802.3ad bonds), and that bond is the bridge port.
public struct Switch: Sendable, Hashable, Codable {
    public var name: String
    public var location: SourceLocation?
    /// Link aggregation groups, in declaration order (their bonds are built in this order).
    public var lags: [SwitchLAG]
    /// The switch at the other end of this switch's peer link (a cable between the two
    /// bridges, as between the two switches of an MC-LAG pair); declared on one of the two.
    public var peerLink: String?
    /// Where the parts were written: `name`, `peer_link`. Not part of equality.
    public var marks: SourceMarks

    public init(
        name: String, location: SourceLocation? = nil, lags: [SwitchLAG] = [], peerLink: String? = nil,
        marks: SourceMarks = SourceMarks()
    ) {
        self.name = name
        self.location = location
        self.lags = lags
        self.peerLink = peerLink
        self.marks = marks
    }

    private enum CodingKeys: String, CodingKey { case name, location, lags, peerLink, marks }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        location = try container.decodeIfPresent(SourceLocation.self, forKey: .location)
        lags = try container.decodeIfPresent([SwitchLAG].self, forKey: .lags) ?? []
        peerLink = try container.decodeIfPresent(String.self, forKey: .peerLink)
        marks = try container.decodeIfPresent(SourceMarks.self, forKey: .marks) ?? SourceMarks()
    }

    /// The LAG that `port` (the host end of a cable to this switch) is a member of.
    public func lag(of port: InterfaceRef) -> SwitchLAG? { lags.first { $0.ports.contains(port) } }
}

/// A link aggregation group of a switch: a bond named `name` in the switch's namespace over the
/// switch-side ends of the cables whose host ends are `ports`. `802.3ad` speaks LACP (the
/// default); `balance-xor` is a static LAG.
public struct SwitchLAG: Sendable, Hashable, Codable {
    public var name: String
    public var mode: BondMode
    /// Host ends of the member cables, in enslave order.
    public var ports: [InterfaceRef]
    /// `lacp_rate`, `lacp_active`, `ad_actor_system`, `ad_actor_sys_prio`, `ad_user_port_key`,
    /// `xmit_hash_policy`, `miimon` (100 ms unless given: a switch sees its port's carrier).
    public var options: BondOptions
    public var location: SourceLocation?
    /// Where the parts were written: `name`, `mode`, `port:HOST/IF`, `option:KEY`. Not part of equality.
    public var marks: SourceMarks

    /// The modes a LAG takes: LACP, or static.
    public static let modes: [BondMode] = [.ieee8023ad, .balanceXOR]
    /// The options a LAG takes (kernel spelling).
    public static let optionKeys = [
        "lacp_rate", "lacp_active", "ad_actor_system", "ad_actor_sys_prio", "ad_user_port_key", "xmit_hash_policy",
        "miimon",
    ]
    /// The MII monitor interval of a LAG's bond when the playbook gives none (milliseconds).
    public static let defaultMiimon = 100

    public init(
        name: String, mode: BondMode = .ieee8023ad, ports: [InterfaceRef], options: BondOptions = BondOptions(),
        location: SourceLocation? = nil, marks: SourceMarks = SourceMarks()
    ) {
        self.name = name
        self.mode = mode
        self.ports = ports
        self.options = options
        self.location = location
        self.marks = marks
    }

    /// The options the bond is created with: the given ones, `miimon` defaulted.
    public var bondOptions: BondOptions {
        var result = options
        if result.miimon == nil { result.miimon = Self.defaultMiimon }
        return result
    }
}

/// A host: a network namespace with cables, bonds, addresses and routes.
public struct Host: Sendable, Hashable, Codable {
    public var name: String
    /// Interfaces that are a cable end in this host, in declaration order.
    public var interfaces: [String]
    public var bonds: [Bond]
    /// Addresses per interface name (cable end, bond, or `lo`), in declaration order.
    public var addresses: [InterfaceAddresses]
    /// Pinned MAC per interface (cable ends; bonds carry theirs in `Bond.mac`).
    public var macs: [String: MACAddress]
    public var routes: [Route]
    public var location: SourceLocation?

    public init(
        name: String, interfaces: [String] = [], bonds: [Bond] = [], addresses: [InterfaceAddresses] = [],
        macs: [String: MACAddress] = [:], routes: [Route] = [], location: SourceLocation? = nil
    ) {
        self.name = name
        self.interfaces = interfaces
        self.bonds = bonds
        self.addresses = addresses
        self.macs = macs
        self.routes = routes
        self.location = location
    }

    public func addresses(of interface: String) -> [InterfaceAddress] {
        addresses.first { $0.interface == interface }?.addresses ?? []
    }

    /// Interfaces enslaved to one of this host's bonds.
    public var enslavedInterfaces: Set<String> { Set(bonds.flatMap(\.slaves)) }
}

public struct InterfaceAddresses: Sendable, Hashable, Codable {
    public var interface: String
    public var addresses: [InterfaceAddress]
    /// Where the parts were written: `interface` (the interface's name), `address[I]` (the I-th
    /// address, 0-based), `bond` (present when given on the bond itself, not under the host's
    /// `address`). Not part of equality; default addresses have none.
    public var marks: SourceMarks

    public init(interface: String, addresses: [InterfaceAddress], marks: SourceMarks = SourceMarks()) {
        self.interface = interface
        self.addresses = addresses
        self.marks = marks
    }
}

/// A route inside a host: `to` (a prefix or `default`) via a gateway and/or out of a device.
public struct Route: Sendable, Hashable, Codable {
    public var destination: InterfaceAddress?  // nil = default route
    public var family: InterfaceAddress.Family
    public var via: IPAddress?
    public var device: String?
    /// Where the parts were written: `route`, `to`, `via`, `dev`. Not part of equality.
    public var marks: SourceMarks

    public init(
        destination: InterfaceAddress?, family: InterfaceAddress.Family, via: IPAddress?, device: String?,
        marks: SourceMarks = SourceMarks()
    ) {
        self.destination = destination
        self.family = family
        self.via = via
        self.device = device
        self.marks = marks
    }
}

/// A veth pair. End `a` is always on a host; end `b` is a switch port or another host's interface.
public struct Cable: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum FarEnd: Sendable, Hashable, Codable {
        case `switch`(String)
        case host(InterfaceRef)

        public var hostEnd: InterfaceRef? {
            if case .host(let ref) = self { return ref }
            return nil
        }
    }

    public var a: InterfaceRef
    public var b: FarEnd
    public var location: SourceLocation?
    /// Where the parts were written: `a` (the near end), `b` (the far end). Not part of equality.
    public var marks: SourceMarks

    public init(a: InterfaceRef, b: FarEnd, location: SourceLocation? = nil, marks: SourceMarks = SourceMarks()) {
        self.a = a
        self.b = b
        self.location = location
        self.marks = marks
    }

    public var description: String {
        switch b {
        case .switch(let name): return "\(a) <-> switch \(name)"
        case .host(let ref): return "\(a) <-> \(ref)"
        }
    }
}
