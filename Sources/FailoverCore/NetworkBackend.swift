public import FailoverModel

/// What the kernel says about one interface right now.
public struct InterfaceState: Sendable, Hashable, Codable {
    public var exists: Bool
    public var adminUp: Bool
    /// Lower layer up (IFF_LOWER_UP / IFLA_CARRIER).
    public var carrier: Bool
    /// IFLA_CARRIER_CHANGES: counts edges netlink may have coalesced.
    public var carrierChanges: Int?
    public var mac: MACAddress?
    /// Permanent MAC (bond slaves: the slave's own address before enslavement).
    public var permanentMAC: MACAddress?
    /// Set when the interface is a bond.
    public var bond: BondState?
    /// Set when the interface is a bond slave.
    public var slave: SlaveState?

    public init(
        exists: Bool, adminUp: Bool = false, carrier: Bool = false, carrierChanges: Int? = nil,
        mac: MACAddress? = nil, permanentMAC: MACAddress? = nil, bond: BondState? = nil, slave: SlaveState? = nil
    ) {
        self.exists = exists
        self.adminUp = adminUp
        self.carrier = carrier
        self.carrierChanges = carrierChanges
        self.mac = mac
        self.permanentMAC = permanentMAC
        self.bond = bond
        self.slave = slave
    }

    public static let missing = InterfaceState(exists: false)
}

public struct BondState: Sendable, Hashable, Codable {
    public var mode: BondMode?
    /// Name of the active slave, nil when none.
    public var activeSlave: String?
    public var miimon: Int?
    /// Every option the kernel reported, by playbook option name (`updelay`, `primary`, …), in
    /// the spelling `set` and the `option` assertion use (`200`, `eth1`, `none`, `active`).
    public var options: [String: String]

    public init(mode: BondMode?, activeSlave: String?, miimon: Int?, options: [String: String] = [:]) {
        self.mode = mode
        self.activeSlave = activeSlave
        self.miimon = miimon
        self.options = options
    }
}

public struct SlaveState: Sendable, Hashable, Codable {
    /// The bond this interface is enslaved to.
    public var master: String
    public var miiStatus: MIIStatus
    public var linkFailureCount: Int
    /// `active` or `backup`.
    public var state: String
    public var permanentMAC: MACAddress?

    public init(master: String, miiStatus: MIIStatus, linkFailureCount: Int, state: String, permanentMAC: MACAddress?) {
        self.master = master
        self.miiStatus = miiStatus
        self.linkFailureCount = linkFailureCount
        self.state = state
        self.permanentMAC = permanentMAC
    }
}

/// What the running kernel can do, checked before anything is built.
public struct KernelCapabilities: Sendable, Hashable {
    public var release: String
    public var hasBonding: Bool
    public var hasNFTablesBridge: Bool

    public init(release: String, hasBonding: Bool, hasNFTablesBridge: Bool) {
        self.release = release
        self.hasBonding = hasBonding
        self.hasNFTablesBridge = hasNFTablesBridge
    }
}

/// The clock every timestamp of a run is on (CLOCK_MONOTONIC on Linux), and sleeping on it.
public protocol MonotonicClock: Sendable {
    func now() -> MonotonicInstant
    /// Sleeps until `deadline` (returns at once if it has passed). Throws on cancellation.
    func sleep(until deadline: MonotonicInstant) async throws
}

/// Executes a run plan's operations for real and observes what the kernel does.
///
/// One instance serves one playbook run: `build`, then any number of `perform`/`state` calls,
/// then `teardown` (which must be safe to call at any point, more than once).
public protocol NetworkBackend: Sendable {
    /// Executes the build operations of `plan` in order (namespaces, bridges, cables, bonds,
    /// addresses, routes, option read-back, waiting for carrier), records each one for teardown
    /// as it succeeds, and starts observers (which append to `log`).
    /// - Throws: `BackendError` naming the object and the kernel's errno / message; an option
    ///   that reads back differently is an error naming option, value asked and value read.
    func build(_ plan: RunPlan, log: ObservationLog) async throws

    /// Executes the operations of one fault or repair step in order and returns when the kernel
    /// acknowledged the last one.
    func perform(_ operations: [PlannedOperation]) async throws -> MonotonicInstant

    /// The operations executed so far, in order (build, then steps), also after teardown; nil
    /// when the backend does not record them.
    func executedOperations() async -> [PlannedOperation]?

    /// The kernel's current view of `interface`.
    func state(of interface: InterfaceRef) async throws -> InterfaceState

    /// The neighbour table (ARP and NDP caches) of a host's namespace, as the kernel holds it now.
    func neighbours(of host: String) async throws -> [Neighbour]

    /// The learned (not local) forwarding entries of a switch's bridge: which port each MAC is on.
    func forwardingEntries(of switchName: String) async throws -> [ForwardingEntry]

    /// The LACP state of the 802.3ad bond `bond` (a host's or a switch LAG's), as the kernel
    /// reports it now; a disagreement between netlink and /proc/net/bonding is an error.
    func lacpStatus(of bond: InterfaceRef) async throws -> LacpStatus

    /// A barrier: returns once every kernel event emitted before the call is in the
    /// observation log, so that the log is complete up to the instant of the call.
    /// - Throws: when an observer cannot confirm it (the timeline is then unknown).
    func synchronize() async throws

    /// Removes everything `build` created, in reverse order. Idempotent; never throws:
    /// problems are logged and returned as text.
    func teardown() async -> [String]
}

extension NetworkBackend {
    public func executedOperations() async -> [PlannedOperation]? { nil }

    /// Backends that cannot read neighbour tables: the `neighbour` assertion is errored on them.
    public func neighbours(of host: String) async throws -> [Neighbour] {
        throw BackendError(operation: "read neighbours", object: host, detail: "this backend has no neighbour tables")
    }

    /// Backends without 802.3ad bonds: the LACP assertions are errored on them.
    public func lacpStatus(of bond: InterfaceRef) async throws -> LacpStatus {
        throw BackendError(operation: "read LACP state", object: bond.description, detail: "this backend has no bonds")
    }

    /// Backends without bridges' forwarding databases: the `fdb` assertion is errored on them.
    public func forwardingEntries(of switchName: String) async throws -> [ForwardingEntry] {
        throw BackendError(operation: "read fdb", object: switchName, detail: "this backend has no forwarding tables")
    }
}

/// A MAC a switch's bridge has learned, and the port (its name in the switch) it learned it on.
public struct ForwardingEntry: Sendable, Hashable, Codable, CustomStringConvertible {
    public var port: String
    public var mac: MACAddress

    public init(port: String, mac: MACAddress) {
        self.port = port
        self.mac = mac
    }

    public var description: String { "\(mac) on \(port)" }
}

/// One entry of a host's neighbour table (`ip neigh show`).
public struct Neighbour: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The interface the entry is on.
    public var interface: String
    public var ip: IPAddress
    /// The link-layer address; nil while unresolved.
    public var mac: MACAddress?
    public var state: NeighbourState

    public init(interface: String, ip: IPAddress, mac: MACAddress?, state: NeighbourState) {
        self.interface = interface
        self.ip = ip
        self.mac = mac
        self.state = state
    }

    /// `198.18.0.1 dev eth0 lladdr 02:00:00:00:00:01 REACHABLE`, as `ip neigh` prints it.
    public var description: String {
        "\(ip) dev \(interface)" + (mac.map { " lladdr \($0)" } ?? "") + " \(state.rawValue.uppercased())"
    }
}

/// An error of the environment or the backend (verdict *errored*, exit 70).
public struct BackendError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var object: String
    public var detail: String

    public init(operation: String, object: String, detail: String) {
        self.operation = operation
        self.object = object
        self.detail = detail
    }

    public var description: String { "\(operation) \(object): \(detail)" }
}
