import FailoverModel
import FailoverNetlink

/// The part of a link's state that observers report changes of.
struct LinkSnapshot: Sendable, Hashable {
    var name: String
    var adminUp: Bool
    var carrier: Bool
    var carrierChanges: UInt32?
    var mac: [UInt8]?
    /// For bonds: active slave ifindex (0 / nil = none).
    var activeSlave: UInt32?
    var isBond: Bool
    /// For bond slaves.
    var slaveState: String?
    var slaveMII: String?
    var slaveFailures: UInt32?

    init(_ link: Link) {
        name = link.name
        adminUp = link.isAdminUp
        carrier = link.hasCarrier
        carrierChanges = link.carrierChanges
        mac = link.address
        isBond = link.kind == "bond"
        activeSlave = link.bond?.activeSlave
        slaveState = link.bondSlave?.stateName
        slaveMII = link.bondSlave?.miiStatusName
        slaveFailures = link.bondSlave?.linkFailureCount
    }

    init(
        name: String, adminUp: Bool, carrier: Bool, carrierChanges: UInt32? = nil, mac: [UInt8]? = nil,
        isBond: Bool = false, activeSlave: UInt32? = nil, slaveState: String? = nil, slaveMII: String? = nil,
        slaveFailures: UInt32? = nil
    ) {
        self.name = name
        self.adminUp = adminUp
        self.carrier = carrier
        self.carrierChanges = carrierChanges
        self.mac = mac
        self.isBond = isBond
        self.activeSlave = activeSlave
        self.slaveState = slaveState
        self.slaveMII = slaveMII
        self.slaveFailures = slaveFailures
    }
}

/// One observed change: kind and detail of an `ObservationRecord`.
struct ObservedChange: Sendable, Hashable {
    var kind: String
    var detail: String
}

enum ObservationDiff {
    /// The changes from `old` (nil: unknown before, so only the link line is reported) to
    /// `new`. `name(of:)` resolves an ifindex of the same namespace.
    static func changes(from old: LinkSnapshot?, to new: LinkSnapshot, name: (UInt32) -> String?) -> [ObservedChange] {
        var result: [ObservedChange] = []
        let linkChanged =
            old == nil || old?.adminUp != new.adminUp || old?.carrier != new.carrier
            || old?.carrierChanges != new.carrierChanges
        if linkChanged { result.append(ObservedChange(kind: "link", detail: linkDetail(new))) }
        if let old, old.mac != new.mac, let mac = new.mac {
            result.append(ObservedChange(kind: "mac", detail: formatMAC(mac)))
        }
        if new.isBond, old?.activeSlave ?? 0 != new.activeSlave ?? 0 {
            let index = new.activeSlave ?? 0
            let detail = index == 0 ? "none" : (name(index) ?? "ifindex \(index)")
            result.append(ObservedChange(kind: "active_slave", detail: detail))
        }
        if new.slaveMII != nil,
            old?.slaveMII != new.slaveMII || old?.slaveState != new.slaveState
                || old?.slaveFailures != new.slaveFailures
        {
            let detail =
                "mii \(new.slaveMII?.replacingUnderscores ?? "?"), \(new.slaveState ?? "?"), link_failures \(new.slaveFailures.map(String.init) ?? "?")"
            result.append(ObservedChange(kind: "slave", detail: detail))
        }
        return result
    }
}

extension ObservationDiff {
    /// `carrier up, admin up (carrier_changes 1)`.
    static func linkDetail(_ snapshot: LinkSnapshot) -> String {
        var detail = "carrier \(snapshot.carrier ? "up" : "down"), admin \(snapshot.adminUp ? "up" : "down")"
        if let changes = snapshot.carrierChanges { detail += " (carrier_changes \(changes))" }
        return detail
    }
}

extension LinkSnapshot {
    /// The typed state a record carries; `name(of:)` resolves the active slave's ifindex.
    func observed(name: (UInt32) -> String?) -> ObservedLinkState {
        let active = activeSlave.flatMap { $0 == 0 ? nil : (name($0) ?? "ifindex \($0)") }
        return ObservedLinkState(
            adminUp: adminUp, carrier: carrier, mac: mac.map { MACAddress(bytes: $0) }, isBond: isBond,
            activeSlave: isBond ? active : nil, mii: slaveMII.flatMap(MIIStatus.init(rawValue:)),
            slaveState: slaveState, linkFailures: slaveFailures.map(Int.init))
    }
}

extension String {
    fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
