/// A kernel bond on a host, with every option the kernel takes. Options left nil are not set,
/// so the kernel default applies.
public struct Bond: Sendable, Hashable, Codable {
    public var name: String
    public var mode: BondMode
    /// Slaves in enslave order.
    public var slaves: [String]
    public var options: BondOptions
    public var mac: MACAddress?
    public var location: SourceLocation?
    /// Where the parts were written: `slave:NAME`, `option:KEY` (the key as written, e.g.
    /// `option:arp_ip_target`), `prio:SLAVE`, `mode`. Not part of equality.
    public var marks: SourceMarks

    public init(
        name: String, mode: BondMode, slaves: [String], options: BondOptions = BondOptions(), mac: MACAddress? = nil,
        location: SourceLocation? = nil, marks: SourceMarks = SourceMarks()
    ) {
        self.name = name
        self.mode = mode
        self.slaves = slaves
        self.options = options
        self.mac = mac
        self.location = location
        self.marks = marks
    }
}

/// A value of a bond option that the kernel names and numbers (`active-backup` = 1).
public protocol KernelNamedValue: RawRepresentable, CaseIterable, Sendable, Hashable, Codable
where RawValue == String, AllCases: RandomAccessCollection {
    /// The kernel's number for this value (netlink attribute value).
    var number: Int { get }
}

extension KernelNamedValue {
    /// Accepts the kernel name or its number.
    public static func parse(_ text: String) -> Self? {
        if let byName = allCases.first(where: { $0.rawValue == text }) { return byName }
        if let number = Int(text) { return allCases.first { $0.number == number } }
        return nil
    }

    public static var spellings: String { allCases.map { "\($0.rawValue) (\($0.number))" }.joined(separator: ", ") }
}

public enum BondMode: String, KernelNamedValue {
    case balanceRR = "balance-rr"
    case activeBackup = "active-backup"
    case balanceXOR = "balance-xor"
    case broadcast
    case ieee8023ad = "802.3ad"
    case balanceTLB = "balance-tlb"
    case balanceALB = "balance-alb"

    public var number: Int {
        switch self {
        case .balanceRR: 0
        case .activeBackup: 1
        case .balanceXOR: 2
        case .broadcast: 3
        case .ieee8023ad: 4
        case .balanceTLB: 5
        case .balanceALB: 6
        }
    }

    /// The `Bonding Mode:` line of /proc/net/bonding for this mode.
    public var procDescription: String {
        switch self {
        case .balanceRR: "load balancing (round-robin)"
        case .activeBackup: "fault-tolerance (active-backup)"
        case .balanceXOR: "load balancing (xor)"
        case .broadcast: "fault-tolerance (broadcast)"
        case .ieee8023ad: "IEEE 802.3ad Dynamic link aggregation"
        case .balanceTLB: "transmit load balancing"
        case .balanceALB: "adaptive load balancing"
        }
    }

    /// Modes with one active slave, where `primary`, `active_slave` and `prio` apply.
    public var hasActiveSlave: Bool { self == .activeBackup || self == .balanceTLB || self == .balanceALB }
}

public enum ArpValidate: String, KernelNamedValue {
    case none, active, backup, all, filter
    case filterActive = "filter_active"
    case filterBackup = "filter_backup"
    public var number: Int {
        switch self {
        case .none: 0
        case .active: 1
        case .backup: 2
        case .all: 3
        case .filter: 4
        case .filterActive: 5
        case .filterBackup: 6
        }
    }
}

public enum ArpAllTargets: String, KernelNamedValue {
    case any, all
    public var number: Int { self == .any ? 0 : 1 }
}

public enum PrimaryReselect: String, KernelNamedValue {
    case always, better, failure
    public var number: Int {
        switch self {
        case .always: 0
        case .better: 1
        case .failure: 2
        }
    }
}

public enum FailOverMAC: String, KernelNamedValue {
    case none, active, follow
    public var number: Int {
        switch self {
        case .none: 0
        case .active: 1
        case .follow: 2
        }
    }
}

public enum LACPRate: String, KernelNamedValue {
    case slow, fast
    public var number: Int { self == .slow ? 0 : 1 }
}

public enum LACPActive: String, KernelNamedValue {
    case off, on
    public var number: Int { self == .off ? 0 : 1 }
}

public enum ADSelect: String, KernelNamedValue {
    case stable, bandwidth, count
    public var number: Int {
        switch self {
        case .stable: 0
        case .bandwidth: 1
        case .count: 2
        }
    }
}

public enum XmitHashPolicy: String, KernelNamedValue {
    case layer2
    case layer34 = "layer3+4"
    case layer23 = "layer2+3"
    case encap23 = "encap2+3"
    case encap34 = "encap3+4"
    case vlanSrcMAC = "vlan+srcmac"
    public var number: Int {
        switch self {
        case .layer2: 0
        case .layer34: 1
        case .layer23: 2
        case .encap23: 3
        case .encap34: 4
        case .vlanSrcMAC: 5
        }
    }
}

/// Every bond option of the kernel's bonding driver (Documentation/networking/bonding.rst).
/// Times are milliseconds, as the kernel takes them.
public struct BondOptions: Sendable, Hashable, Codable {
    public var miimon: Int?
    public var updelay: Int?
    public var downdelay: Int?
    public var useCarrier: Bool?
    public var arpInterval: Int?
    public var arpIPTargets: [IPAddress]
    public var nsIP6Targets: [IPAddress]
    public var arpValidate: ArpValidate?
    public var arpAllTargets: ArpAllTargets?
    public var arpMissedMax: Int?
    public var primary: String?
    public var primaryReselect: PrimaryReselect?
    public var failOverMAC: FailOverMAC?
    /// `num_grat_arp` and `num_unsol_na` are one kernel setting.
    public var numPeerNotif: Int?
    public var peerNotifDelay: Int?
    public var lacpRate: LACPRate?
    public var lacpActive: LACPActive?
    public var adSelect: ADSelect?
    public var adActorSysPrio: Int?
    public var adUserPortKey: Int?
    public var adActorSystem: MACAddress?
    public var minLinks: Int?
    public var xmitHashPolicy: XmitHashPolicy?
    public var allSlavesActive: Bool?
    public var resendIGMP: Int?
    public var packetsPerSlave: Int?
    public var tlbDynamicLB: Bool?
    public var lpInterval: Int?
    /// Per-slave `prio` (netlink only; modes 1, 5, 6).
    public var slavePrio: [String: Int32]

    public init() {
        arpIPTargets = []
        nsIP6Targets = []
        slavePrio = [:]
    }
}
