import FailoverModel

/// Names, duplicates and cable ends of the model's objects (probes: see the probe decoding). The YAML layer already refuses (and
/// leaves out) what these find, with the same rules (`NameRules`), so for a loaded playbook they
/// find nothing; a model from another front end gets them here.
enum ObjectChecks {
    static func run(_ context: inout CheckContext) {
        let topology = context.index.topology
        var nodes: Set<String> = []
        for (position, item) in topology.switches.enumerated() {
            let mark = SourceMark(
                location: context.index.location(item.location), path: "topology.switches[\(position)]")
            if let problem = NameRules.nodeNameProblem(item.name, what: "switch") {
                context.error(mark, "\(mark.path): \(problem)")
            } else if !nodes.insert(item.name).inserted {
                context.error(mark, "\(mark.path): switch \(item.name) is declared twice")
            }
        }
        for host in topology.hosts {
            let path = "topology.hosts.\(host.name)"
            let mark = SourceMark(location: context.index.location(host.location), path: path)
            if let problem = NameRules.nodeNameProblem(host.name, what: "host") {
                context.error(mark, "\(path): \(problem)")
            } else if topology.switch(named: host.name) != nil {
                context.error(
                    mark, "\(path): '\(host.name)' is already a switch; hosts and switches share one name space")
            } else if !nodes.insert(host.name).inserted {
                context.error(mark, "\(path): host \(host.name) is declared twice")
            }
            for interface in host.interfaces {
                if let problem = NameRules.interfaceNameProblem(interface) {
                    context.error(mark, "\(path).cables.\(interface): \(problem)")
                }
            }
            for bond in host.bonds {
                let bondMark = SourceMark(
                    location: context.index.location(bond.location), path: "\(path).bonds.\(bond.name)")
                if let problem = NameRules.interfaceNameProblem(bond.name) {
                    context.error(bondMark, "\(bondMark.path): \(problem)")
                }
            }
        }
        var cabled: Set<InterfaceRef> = []
        for cable in topology.cables {
            let path = "topology.hosts.\(cable.a.host).cables.\(cable.a.interface)"
            let near = cable.marks["a"] ?? SourceMark(location: context.index.location(cable.location), path: path)
            let far = cable.marks["b"] ?? near
            var ends = [cable.a]
            if topology.host(named: cable.a.host)?.interfaces.contains(cable.a.interface) != true {
                context.error(near, "\(path): no interface \(cable.a) for this cable (a host's `interfaces` lists it)")
            }
            switch cable.b {
            case .switch(let name):
                if topology.switch(named: name) == nil {
                    let hint =
                        topology.host(named: name) != nil ? " (\(name) is a host: write \(name)/<interface>)" : ""
                    context.error(
                        far,
                        "\(path): no switch \(name)\(hint); switches: \(TopologyIndex.list(context.index.switchNames))")
                }
            case .host(let ref):
                ends.append(ref)
                if ref == cable.a {
                    context.error(far, "\(path): a cable cannot connect \(ref) to itself")
                } else if let host = topology.host(named: ref.host) {
                    if host.bonds.contains(where: { $0.name == ref.interface }) {
                        context.error(far, "\(path): \(ref) is a bond; a cable ends on a plain interface")
                    } else if !host.interfaces.contains(ref.interface) {
                        context.error(
                            far, "\(path): no interface \(ref) for this cable (a host's `interfaces` lists it)")
                    }
                } else {
                    context.error(far, "\(path): no host \(ref.host) (cable to \(ref))")
                }
            }
            for end in ends where !cabled.insert(end).inserted {
                context.error(far, "\(path): \(end) already has a cable")
            }
        }
    }
}
