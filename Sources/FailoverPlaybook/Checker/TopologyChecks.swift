import FailoverModel

/// Checks of the topology on the model: bond slaves, `primary` and `prio` name slaves, addresses
/// and route devices name interfaces of their host, addresses stay in the benchmark ranges, and
/// options the bond's mode ignores are warned about.
enum TopologyChecks {
    static func run(_ context: inout CheckContext) {
        for host in context.index.topology.hosts { checkHost(host, &context) }
        if !context.allowAnyAddresses { checkAddressRanges(&context) }
    }

    static func list(_ names: [String]) -> String { TopologyIndex.list(names) }

    /// Bond slaves, addresses and routes of one host.
    static func checkHost(_ host: Host, _ context: inout CheckContext) {
        let path = "topology.hosts.\(host.name)"
        let hostMark = SourceMark(location: context.index.location(host.location), path: path)
        let cableEnds = host.interfaces
        let bondNames = host.bonds.map(\.name)
        var enslavedBy: [String: String] = [:]
        for bond in host.bonds {
            let bondPath = "\(path).bonds.\(bond.name)"
            let bondMark = SourceMark(location: context.index.location(bond.location), path: bondPath)
            if cableEnds.contains(bond.name) {
                context.error(
                    bondMark, "\(bondPath): bond \(host.name)/\(bond.name) has the name of a cable end of \(host.name)")
            }
            for slave in bond.slaves {
                let mark = bond.marks["slave:\(slave)"] ?? bondMark
                if !cableEnds.contains(slave) {
                    let why = bondNames.contains(slave) ? " (\(slave) is a bond)" : ""
                    context.error(
                        mark,
                        "\(bondPath).slaves: no cable \(host.name)/\(slave)\(why); cables of \(host.name): \(list(cableEnds))"
                    )
                    continue
                }
                if let other = enslavedBy[slave] {
                    context.error(mark, "\(bondPath).slaves: \(host.name)/\(slave) is already a slave of \(other)")
                    continue
                }
                enslavedBy[slave] = bond.name
            }
            if let primary = bond.options.primary, !bond.slaves.contains(primary) {
                context.error(
                    bond.marks["option:primary"] ?? bondMark,
                    "\(bondPath).primary: \(primary) is not a slave of \(host.name)/\(bond.name); slaves: \(list(bond.slaves))"
                )
            }
            for slave in bond.options.slavePrio.keys.sorted() where !bond.slaves.contains(slave) {
                context.error(
                    bond.marks["prio:\(slave)"] ?? bondMark,
                    "\(bondPath).prio: \(slave) is not a slave of \(host.name)/\(bond.name); slaves: \(list(bond.slaves))"
                )
            }
            BondModeWarnings.check(host: host.name, bond, bondMark, &context)
        }
        // The same interface's addresses given twice: on the bond and under the host's `address`.
        for (position, entry) in host.addresses.enumerated() {
            guard
                let earlier = host.addresses[..<position].first(where: { $0.interface == entry.interface })
            else { continue }
            if let bondMark = earlier.marks["bond"] ?? entry.marks["bond"] {
                context.error(
                    bondMark,
                    "\(path).bonds.\(entry.interface).address: the address of \(entry.interface) is also given under \(host.name)'s 'address'"
                )
            } else {
                context.error(
                    entry.marks["interface"] ?? hostMark,
                    "\(path).address: the addresses of \(host.name)/\(entry.interface) are given twice")
            }
        }
        let known = cableEnds + bondNames + ["lo"]
        for entry in host.addresses where entry.marks["bond"] == nil {
            let mark = entry.marks["interface"] ?? hostMark
            if !known.contains(entry.interface) {
                context.error(
                    mark,
                    "\(path).address: no interface \(host.name)/\(entry.interface); interfaces of \(host.name): \(list(cableEnds + bondNames))"
                )
            } else if let bond = enslavedBy[entry.interface] {
                context.error(
                    mark,
                    "\(path).address: \(host.name)/\(entry.interface) is a slave of \(bond); put the address on the bond"
                )
            }
        }
        for (position, route) in host.routes.enumerated() {
            guard let device = route.device else { continue }
            let mark =
                route.marks["dev"]
                ?? SourceMark(location: hostMark.location, path: "\(path).routes[\(position)].dev")
            if !known.contains(device) {
                context.error(
                    mark,
                    "\(mark.path): no interface \(host.name)/\(device); interfaces of \(host.name): \(list(cableEnds + bondNames))"
                )
            } else if let bond = enslavedBy[device] {
                context.error(mark, "\(mark.path): \(host.name)/\(device) is a slave of \(bond); route via the bond")
            }
        }
    }

    /// User addresses must stay inside the benchmark ranges 198.18.0.0/15 and 2001:2::/48.
    static func checkAddressRanges(_ context: inout CheckContext) {
        let hint = "; playbooks use 198.18.0.0/15 and 2001:2::/48 only (set allow_any_addresses: true to override)"
        func outside(_ family: InterfaceAddress.Family, _ bytes: [UInt8]) -> Bool {
            !AddressDefaults.isBenchmark(family, bytes)
        }
        for host in context.index.topology.hosts {
            let path = "topology.hosts.\(host.name)"
            let hostLocation = context.index.location(host.location)
            for entry in host.addresses {
                for (position, address) in entry.addresses.enumerated() where outside(address.family, address.bytes) {
                    let mark =
                        entry.marks["address[\(position)]"]
                        ?? SourceMark(location: hostLocation, path: "\(path).address.\(entry.interface)[\(position)]")
                    context.error(mark, "\(mark.path): \(address) is outside the benchmark ranges\(hint)")
                }
            }
            for (position, route) in host.routes.enumerated() {
                if let destination = route.destination, outside(destination.family, destination.bytes) {
                    let mark =
                        route.marks["to"]
                        ?? SourceMark(location: hostLocation, path: "\(path).routes[\(position)].to")
                    context.error(mark, "\(mark.path): \(destination) is outside the benchmark ranges\(hint)")
                }
                if let via = route.via, outside(via.family, via.bytes) {
                    let mark =
                        route.marks["via"]
                        ?? SourceMark(location: hostLocation, path: "\(path).routes[\(position)].via")
                    context.error(mark, "\(mark.path): \(via) is outside the benchmark ranges\(hint)")
                }
            }
            for bond in host.bonds {
                for target in bond.options.arpIPTargets + bond.options.nsIP6Targets
                where outside(target.family, target.bytes) {
                    let mark =
                        bond.marks["option:arp_ip_target"]
                        ?? SourceMark(location: context.index.location(bond.location), path: "")
                    context.error(
                        mark,
                        "\(path).bonds.\(bond.name): target \(target) is outside the benchmark ranges\(hint)")
                }
            }
        }
    }
}
