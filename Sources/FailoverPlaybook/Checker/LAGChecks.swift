import FailoverModel

/// Checks of switch LAGs and peer links on the model: every LAG port is the host end of a cable
/// to that switch and in one LAG only; a peer link names another switch, and the peer links
/// keep the switches loop-free (bridges run without STP).
enum LAGChecks {
    static func run(_ context: inout CheckContext) {
        let topology = context.index.topology
        for (position, sw) in topology.switches.enumerated() {
            let path = "topology.switches[\(position)]"
            let switchMark = SourceMark(location: context.index.location(sw.location), path: path)
            var memberOf: [InterfaceRef: String] = [:]
            var lagNames: Set<String> = []
            for lag in sw.lags {
                let lagPath = "\(path).lags.\(lag.name)"
                let lagMark =
                    lag.marks["name"] ?? SourceMark(location: context.index.location(lag.location), path: lagPath)
                if let problem = NameRules.interfaceNameProblem(lag.name) {
                    context.error(lagMark, "\(lagPath): \(problem)")
                }
                if !lagNames.insert(lag.name).inserted {
                    context.error(lagMark, "\(lagPath): LAG \(lag.name) is declared twice on \(sw.name)")
                }
                if !SwitchLAG.modes.contains(lag.mode) {
                    context.error(
                        lag.marks["mode"] ?? lagMark,
                        "\(lagPath).mode: a LAG is 802.3ad (LACP) or balance-xor (static), found \(lag.mode.rawValue)")
                }
                if lag.ports.isEmpty {
                    context.error(lagMark, "\(lagPath).ports: LAG \(lag.name) needs at least one port")
                }
                for port in lag.ports {
                    let mark = lag.marks["port:\(port)"] ?? lagMark
                    guard let cable = topology.cable(at: port), cable.a == port, case .switch(let far) = cable.b else {
                        context.error(
                            mark,
                            "\(lagPath).ports: no cable from \(port) to a switch; cables to \(sw.name): \(TopologyIndex.list(cabled(to: sw.name, topology)))"
                        )
                        continue
                    }
                    if far != sw.name {
                        context.error(
                            mark, "\(lagPath).ports: \(port) is cabled to \(far), not to \(sw.name)")
                        continue
                    }
                    if let other = memberOf[port] {
                        context.error(mark, "\(lagPath).ports: \(port) is already a port of LAG \(other)")
                        continue
                    }
                    memberOf[port] = lag.name
                }
                let facing = Set(lag.ports.map(\.host)).sorted()
                if lag.mode == .ieee8023ad && facing.count > 1 {
                    context.warning(
                        lagMark,
                        "\(lagPath): the ports face \(facing.joined(separator: " and ")): each partner system gets its own aggregator and only one is active"
                    )
                }
            }
            if let other = sw.peerLink {
                let mark = sw.marks["peer_link"] ?? switchMark
                if other == sw.name {
                    context.error(mark, "\(path).peer_link: a switch cannot have a peer link to itself")
                } else if topology.switch(named: other) == nil {
                    context.error(
                        mark,
                        "\(path).peer_link: no switch \(other); switches: \(TopologyIndex.list(context.index.switchNames))"
                    )
                } else if topology.switch(named: other)?.peerLink == sw.name,
                    topology.switches.firstIndex(where: { $0.name == other }).map({ $0 < position }) == true
                {
                    context.error(
                        mark, "\(path).peer_link: the peer link \(other)–\(sw.name) is already declared on \(other)")
                }
            }
        }
        checkLoops(topology, &context)
    }

    static func cabled(to sw: String, _ topology: Topology) -> [String] {
        topology.cables.compactMap { cable in
            if case .switch(let name) = cable.b, name == sw { return cable.a.description }
            return nil
        }
    }

    /// The peer links must form a forest: a cycle of bridges without STP is a broadcast storm.
    static func checkLoops(_ topology: Topology, _ context: inout CheckContext) {
        var parent: [String: String] = [:]
        func root(_ name: String) -> String {
            var current = name
            while let next = parent[current], next != current { current = next }
            return current
        }
        for (position, sw) in topology.switches.enumerated() {
            guard let other = sw.peerLink, other != sw.name, topology.switch(named: other) != nil else { continue }
            if topology.switch(named: other)?.peerLink == sw.name,
                topology.switches.firstIndex(where: { $0.name == other }).map({ $0 < position }) == true
            {
                continue  // the same link declared twice: reported above
            }
            let (a, b) = (root(sw.name), root(other))
            if a == b {
                let mark =
                    sw.marks["peer_link"]
                    ?? SourceMark(
                        location: context.index.location(sw.location), path: "topology.switches[\(position)]")
                context.error(
                    mark,
                    "\(mark.path): the peer link \(sw.name)–\(other) closes a loop of switches (bridges run without STP)"
                )
                continue
            }
            parent[a] = b
        }
    }
}
