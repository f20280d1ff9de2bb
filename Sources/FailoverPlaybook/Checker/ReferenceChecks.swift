public import FailoverModel

/// Reference checks a step family calls with the mark of what it checks (where the reference is
/// written, and its path). Each reports one error and returns nil (or false) when the reference
/// does not resolve.
extension CheckContext {
    /// The host `name` exists.
    @discardableResult
    public mutating func requireHost(_ name: String, at mark: SourceMark) -> Host? {
        guard let host = index.host(name) else {
            let hint = index.switch(name) != nil ? " (\(name) is a switch)" : ""
            error(mark, "\(mark.path): no host \(name)\(hint); hosts: \(TopologyIndex.list(index.hostNames))")
            return nil
        }
        return host
    }

    /// `ref` is a cable end.
    @discardableResult
    public mutating func requireCableEnd(_ ref: InterfaceRef, at mark: SourceMark) -> Cable? {
        guard requireHost(ref.host, at: mark) != nil else { return nil }
        guard let cable = index.cable(at: ref) else {
            let ends = TopologyIndex.list(index.cableEnds(of: ref.host))
            error(mark, "\(mark.path): no cable \(ref); cables of \(ref.host): \(ends)")
            return nil
        }
        return cable
    }

    /// `ref` is a cable end or a bond of its host (or `lo` when `allowLoopback`).
    @discardableResult
    public mutating func requireInterface(_ ref: InterfaceRef, at mark: SourceMark, allowLoopback: Bool = true) -> Bool
    {
        guard requireHost(ref.host, at: mark) != nil else { return false }
        let names = index.interfaceNames(of: ref.host)
        guard names.contains(ref.interface) || (allowLoopback && ref.interface == "lo") else {
            error(mark, "\(mark.path): no interface \(ref); interfaces of \(ref.host): \(TopologyIndex.list(names))")
            return false
        }
        return true
    }

    /// `ref` is a bond.
    @discardableResult
    public mutating func requireBond(_ ref: InterfaceRef, at mark: SourceMark) -> Bond? {
        guard let host = requireHost(ref.host, at: mark) else { return nil }
        guard let bond = index.bond(at: ref) else {
            let bonds = TopologyIndex.list(host.bonds.map(\.name))
            error(mark, "\(mark.path): no bond \(ref); bonds of \(ref.host): \(bonds)")
            return nil
        }
        return bond
    }

    /// `ref` is a bond slave (or a bond when `orBond`).
    @discardableResult
    public mutating func requireSlave(_ ref: InterfaceRef, at mark: SourceMark, orBond: Bool) -> Bool {
        guard requireInterface(ref, at: mark, allowLoopback: false) else { return false }
        if index.bondOfSlave(ref) != nil || (orBond && index.bond(at: ref) != nil) { return true }
        error(mark, "\(mark.path): \(ref) is not a bond slave\(orBond ? " or a bond" : "")")
        return false
    }

    /// The switch `name` exists.
    @discardableResult
    public mutating func requireSwitch(_ name: String, at mark: SourceMark) -> Switch? {
        guard let found = index.switch(name) else {
            error(mark, "\(mark.path): no switch \(name); switches: \(TopologyIndex.list(index.switchNames))")
            return nil
        }
        return found
    }

    /// The probe `name` exists.
    @discardableResult
    public mutating func requireProbe(_ name: String, at mark: SourceMark) -> ProbeSpec? {
        guard let probe = index.probe(name) else {
            error(mark, "\(mark.path): no probe \(name); probes: \(TopologyIndex.list(index.probeNames))")
            return nil
        }
        return probe
    }
}
