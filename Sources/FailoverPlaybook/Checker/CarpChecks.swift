import FailoverModel

/// Checks of the `carp:` groups on the model: members name hosts and interfaces (not bond slaves)
/// that carry an IPv4 address (ucarp's `--srcip`), a host is in a group once, the VIP is IPv4
/// (ucarp is IPv4-only) inside the benchmark range and no host's own address, and no vhid is used
/// twice on one segment (a switch, or a host-to-host cable).
enum CarpChecks {
    static func run(_ context: inout CheckContext) {
        let groups = context.index.topology.carp
        var names: Set<String> = []
        for (index, group) in groups.enumerated() {
            let path = "topology.carp[\(index)]"
            let groupMark = SourceMark(location: context.index.location(group.location), path: path)
            if !names.insert(group.name).inserted {
                context.error(
                    group.marks["name"] ?? groupMark, "\(path).name: CARP group \(group.name) is declared twice")
            }
            checkVIP(group, path, groupMark, &context)
            var seen: Set<String> = []
            for (position, member) in group.members.enumerated() {
                let memberPath = "\(path).members[\(position)]"
                let mark = member.marks["member"] ?? groupMark
                if !seen.insert(member.node).inserted {
                    context.error(
                        member.marks["node"] ?? mark,
                        "\(memberPath).node: \(member.node) is already a member of CARP group \(group.name)")
                    continue
                }
                checkMember(member, memberPath, mark, &context)
            }
        }
        checkDuplicateVHIDs(groups, &context)
    }

    static func checkVIP(_ group: CarpGroup, _ path: String, _ groupMark: SourceMark, _ context: inout CheckContext) {
        let mark = group.marks["vip"] ?? groupMark
        guard group.vip.family == .ipv4 else {
            context.error(mark, "\(path).vip: \(group.vip) is IPv6; ucarp is IPv4-only")
            return
        }
        if !context.allowAnyAddresses, !AddressDefaults.isBenchmark(group.vip.family, group.vip.bytes) {
            context.error(
                mark,
                "\(path).vip: \(group.vip) is outside the benchmark ranges; playbooks use 198.18.0.0/15 and 2001:2::/48 only (set allow_any_addresses: true to override)"
            )
        }
        for host in context.index.topology.hosts {
            for entry in host.addresses where entry.addresses.contains(where: { $0.bytes == group.vip.bytes }) {
                context.error(
                    mark,
                    "\(path).vip: \(group.vip.addressText) is also the address of \(host.name)/\(entry.interface); the VIP must be an address no host has"
                )
            }
        }
    }

    static func checkMember(_ member: CarpMember, _ path: String, _ mark: SourceMark, _ context: inout CheckContext) {
        let index = context.index
        guard let host = index.host(member.node) else {
            context.error(
                member.marks["node"] ?? mark,
                "\(path).node: no host \(member.node); hosts: \(TopologyIndex.list(index.hostNames))")
            return
        }
        let interfaceMark = member.marks["interface"] ?? mark
        let known = index.interfaceNames(of: host.name)
        guard known.contains(member.interface) else {
            context.error(
                interfaceMark,
                "\(path).interface: no interface \(host.name)/\(member.interface); interfaces of \(host.name): \(TopologyIndex.list(known))"
            )
            return
        }
        if let bond = index.bondOfSlave(member.ref) {
            context.error(
                interfaceMark,
                "\(path).interface: \(member.ref) is a slave of \(bond.name); run CARP on the bond")
            return
        }
        if !host.addresses(of: member.interface).contains(where: { $0.family == .ipv4 }) {
            context.error(
                interfaceMark,
                "\(path).interface: \(member.ref) has no IPv4 address; ucarp needs the member's own address (--srcip)")
        }
    }

    /// The segments (`switch NAME`, `cable A`) an interface is attached to; a bond's are its slaves'.
    static func segments(of ref: InterfaceRef, _ index: TopologyIndex) -> Set<String> {
        if let bond = index.bond(at: ref) {
            return bond.slaves.reduce(into: Set<String>()) {
                $0.formUnion(segments(of: InterfaceRef(host: ref.host, interface: $1), index))
            }
        }
        guard let cable = index.cable(at: ref) else { return [] }
        if cable.a == ref, case .switch(let name) = cable.b { return ["switch \(name)"] }
        return ["cable \(cable.a)"]
    }

    static func checkDuplicateVHIDs(_ groups: [CarpGroup], _ context: inout CheckContext) {
        let index = context.index
        let segmentsOf = groups.map { group in
            group.members.reduce(into: Set<String>()) { $0.formUnion(segments(of: $1.ref, index)) }
        }
        for (later, group) in groups.enumerated() {
            for earlier in 0..<later where groups[earlier].vhid == group.vhid {
                let shared = segmentsOf[earlier].intersection(segmentsOf[later])
                guard let segment = shared.sorted().first else { continue }
                let mark =
                    group.marks["vhid"]
                    ?? SourceMark(location: index.location(group.location), path: "topology.carp[\(later)]")
                context.error(
                    mark,
                    "topology.carp[\(later)].vhid: vhid \(group.vhid) is also used by CARP group \(groups[earlier].name) on the same segment (\(segment)); each group on a segment needs its own vhid"
                )
            }
        }
    }
}
