public import FailoverModel

/// A link inside one of the run's namespaces.
public struct NamespacedLink: Sendable, Hashable, Codable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "\(namespace)/\(name)" }
}

/// One thing the backend does to the kernel, with every value it needs already resolved (the
/// run's namespace names, switch port names). `failover plan` renders the same value as the
/// equivalent `ip`/`bridge` command (`commands`); the backend executes it over rtnetlink.
public enum RunOperation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A network namespace for the host or switch `role`.
    case createNamespace(role: String, namespace: String)
    /// A bridge (the switch), with its STP state and forward delay (centiseconds).
    case createBridge(namespace: String, name: String, stp: Bool, forwardDelay: Int)
    /// A veth pair: `name` in `namespace`, its peer `peerName` in `peerNamespace`.
    case createVeth(namespace: String, name: String, peerNamespace: String, peerName: String)
    /// The MAC address of a link.
    case setMAC(NamespacedLink, MACAddress)
    /// Makes `link` a port of `master` (a bridge or a bond) in the same namespace.
    case setMaster(NamespacedLink, master: String)
    /// A bond with its mode, every option the playbook sets and its MAC (if set).
    case createBond(NamespacedLink, mode: BondMode, options: BondOptions, mac: MACAddress?)
    /// The `prio` of a bond slave.
    case setSlavePrio(NamespacedLink, prio: Int32)
    case addAddress(NamespacedLink, InterfaceAddress)
    case addRoute(namespace: String, Route)
    /// Admin state up or down.
    case setLinkState(NamespacedLink, up: Bool)
    /// The STP state of a bridge port: forwarding, or disabled (every frame dropped, carrier kept).
    case setBridgePortState(NamespacedLink, forwarding: Bool)
    /// A bond option changed at run time (`set`), in playbook spelling.
    case setBondOption(NamespacedLink, option: String, value: String)
    /// A check: every bond option (and slave prio) reads back as asked.
    case readBackBondOptions(NamespacedLink, mode: BondMode, options: BondOptions)
    /// A check: waits until every one of `links` is admin up with carrier.
    case waitUntilUp([NamespacedLink])
    /// A wait between two operations of one step (a `flap`): this long after the previous
    /// operation was acknowledged.
    case pause(Duration)
    /// A ucarp peer started in its host's namespace under the process supervisor; teardown stops it.
    case startPeer(CarpPeer)
    /// A signal (`KILL`, `TERM`, `STOP`, `CONT`, `USR2`) to the running peer `name` in `namespace`.
    case signalPeer(namespace: String, name: String, signal: String)
    /// Drops (or, `drop` false, stops dropping) the frames carrying IP protocol `ipProtocol` that the
    /// switch's bridge forwards from or to `port`, with an nftables table `table` of family bridge
    /// (forward hook) in the switch's namespace: the host behind the port keeps its carrier and all
    /// other traffic. Packet sockets (ucarp reads adverts with libpcap) see frames before a host's
    /// own netfilter, so the filter is in the switch. Teardown deletes the namespace and the table.
    case filterProtocol(port: NamespacedLink, table: String, ipProtocol: Int, drop: Bool)
    /// Drops (or, `drop` false, stops dropping) `frames` in both directions on the link `port`
    /// itself, with an nftables table `table` of family netdev (ingress and egress hooks on the
    /// device, Linux ≥ 5.16) in its namespace: it sees a switch port that is a LAG member (a bond
    /// slave, not a bridge port) before the bond does. Teardown deletes the namespace and the table.
    case filterFrames(port: NamespacedLink, table: String, frames: FrameFilter, drop: Bool)
    /// Something the plan cannot do (the loader never lets one through): executing it is an error.
    case unsupported(String)

    /// The equivalent shell commands (argv words), empty for checks and unsupported operations.
    public var commands: [[String]] {
        switch self {
        case .createNamespace(_, let namespace):
            return [["ip", "netns", "add", namespace]]
        case .createBridge(let namespace, let name, let stp, let forwardDelay):
            return [
                ["ip", "-n", namespace, "link", "add", name, "type", "bridge"]
                    + ["stp_state", stp ? "1" : "0", "forward_delay", "\(forwardDelay)"]
            ]
        case .createVeth(let namespace, let name, let peerNamespace, let peerName):
            return [
                ["ip", "-n", namespace, "link", "add", name, "type", "veth", "peer", "name", peerName]
                    + ["netns", peerNamespace]
            ]
        case .setMAC(let link, let mac):
            return [["ip", "-n", link.namespace, "link", "set", link.name, "address", mac.description]]
        case .setMaster(let link, let master):
            return [["ip", "-n", link.namespace, "link", "set", link.name, "master", master]]
        case .createBond(let bond, let mode, let options, let mac):
            let arguments = PlanRenderer.bondArguments(options).flatMap { [$0.0, $0.1] }
            var commands = [
                ["ip", "-n", bond.namespace, "link", "add", bond.name, "type", "bond", "mode", mode.rawValue]
                    + arguments
            ]
            if let mac {
                commands.append(["ip", "-n", bond.namespace, "link", "set", bond.name, "address", mac.description])
            }
            return commands
        case .setSlavePrio(let slave, let prio):
            return [["ip", "-n", slave.namespace, "link", "set", slave.name, "type", "bond_slave", "prio", "\(prio)"]]
        case .addAddress(let link, let address):
            return [["ip", "-n", link.namespace, "addr", "add", address.description, "dev", link.name]]
        case .addRoute(let namespace, let route):
            var argv = ["ip"]
            if route.family == .ipv6 { argv.append("-6") }
            argv += ["-n", namespace, "route", "add", route.destination?.description ?? "default"]
            if let via = route.via { argv += ["via", via.description] }
            if let device = route.device { argv += ["dev", device] }
            return [argv]
        case .setLinkState(let link, let up):
            return [["ip", "-n", link.namespace, "link", "set", link.name, up ? "up" : "down"]]
        case .setBridgePortState(let port, let forwarding):
            return [["bridge", "-n", port.namespace, "link", "set", "dev", port.name, "state", forwarding ? "3" : "0"]]
        case .setBondOption(let bond, let option, let value):
            return [
                ["ip", "-n", bond.namespace, "link", "set", bond.name, "type", "bond"]
                    + [PlanRenderer.ipLinkOptionName(option), value]
            ]
        case .pause(let duration):
            return [["sleep", PlanRenderer.secondsText(duration)]]
        case .startPeer(let peer):
            return [
                ["ip", "netns", "exec", peer.namespace, "ucarp"]
                    + peer.ucarpArguments(
                        upscript: CarpPeer.renderedUpscript, downscript: CarpPeer.renderedDownscript,
                        passfile: CarpPeer.renderedPassfile(peer))
            ]
        case .signalPeer(let namespace, let name, let signal):
            return [["ip", "netns", "exec", namespace, "kill", "-\(signal)", "<pid of \(name)>"]]
        case .filterProtocol(let port, let table, let ipProtocol, let drop):
            return Self.nftCommands(port: port.name, table: table, ipProtocol: ipProtocol, drop: drop).map {
                ["ip", "netns", "exec", port.namespace] + $0
            }
        case .filterFrames(let port, let table, let frames, let drop):
            return Self.nftNetdevCommands(port: port.name, table: table, frames: frames, drop: drop).map {
                ["ip", "netns", "exec", port.namespace] + $0
            }
        case .readBackBondOptions, .waitUntilUp, .unsupported:
            return []
        }
    }

    /// The `nft` command lines of `filterProtocol`, as the backend runs them in the namespace.
    public static func nftCommands(port: String, table: String, ipProtocol: Int, drop: Bool) -> [[String]] {
        guard drop else { return [["nft", "delete", "table", "bridge", table]] }
        return [
            ["nft", "add", "table", "bridge", table],
            [
                "nft", "add", "chain", "bridge", table, "forward", "{", "type", "filter", "hook", "forward", "priority",
                "0", ";", "}",
            ],
            [
                "nft", "add", "rule", "bridge", table, "forward", "iifname", port, "ip", "protocol", "\(ipProtocol)",
                "drop",
            ],
            [
                "nft", "add", "rule", "bridge", table, "forward", "oifname", port, "ip", "protocol", "\(ipProtocol)",
                "drop",
            ],
        ]
    }

    /// The `nft` command lines of `filterFrames`, as the backend runs them in the namespace: one
    /// netdev table bound to the device, a chain on its ingress and one on its egress hook.
    public static func nftNetdevCommands(port: String, table: String, frames: FrameFilter, drop: Bool) -> [[String]] {
        guard drop else { return [["nft", "delete", "table", "netdev", table]] }
        let match: [String] =
            switch frames {
            case .all: []
            case .lacpdu: ["ether", "type", "0x8809"]
            case .data: ["ether", "type", "!=", "0x8809"]
            }
        return [["nft", "add", "table", "netdev", table]]
            + ["ingress", "egress"].flatMap { hook in
                [
                    [
                        "nft", "add", "chain", "netdev", table, hook, "{", "type", "filter", "hook", hook, "device",
                        port, "priority", "0", ";", "}",
                    ],
                    ["nft", "add", "rule", "netdev", table, hook] + match + ["drop"],
                ]
            }
    }

    /// One line naming the operation and every value in it: its commands, or the check.
    public var description: String {
        switch self {
        case .readBackBondOptions(let bond, let mode, let options):
            let asked = PlanRenderer.bondArguments(options).map { "\($0.0) \($0.1)" }
            let prios = options.slavePrio.sorted { $0.key < $1.key }.map { "prio \($0.key) \($0.value)" }
            return "read back \(bond): mode \(mode.rawValue)" + (asked + prios).map { ", " + $0 }.joined()
        case .waitUntilUp(let links):
            return "wait until up with carrier: " + links.map(\.description).joined(separator: ", ")
        case .unsupported(let reason):
            return "unsupported: \(reason)"
        default:
            return commands.map { $0.joined(separator: " ") }.joined(separator: " && ")
        }
    }

    /// What this operation creates that teardown must remove (namespaces and links).
    public var creates: [Created] {
        switch self {
        case .createNamespace(_, let namespace): [.namespace(namespace)]
        case .createBridge(let namespace, let name, _, _): [.link(NamespacedLink(namespace: namespace, name: name))]
        case .createVeth(let namespace, let name, let peerNamespace, let peerName):
            [
                .link(NamespacedLink(namespace: namespace, name: name)),
                .link(NamespacedLink(namespace: peerNamespace, name: peerName)),
            ]
        case .createBond(let bond, _, _, _): [.link(bond)]
        case .startPeer(let peer): [.process(namespace: peer.namespace, name: peer.name)]
        default: []
        }
    }

    /// An object an operation created.
    public enum Created: Sendable, Hashable {
        case namespace(String)
        case link(NamespacedLink)
        /// A supervised process inside `namespace`, named as in the plan (`carp-outside-r1`).
        case process(namespace: String, name: String)
    }
}

/// An operation and the playbook node it came from.
public struct PlannedOperation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var operation: RunOperation
    public var location: SourceLocation?

    public init(_ operation: RunOperation, location: SourceLocation?) {
        self.operation = operation
        self.location = location
    }

    public var description: String { operation.description }
}

/// One entry of the build part of a plan: an operation, or text for the reader of the plan.
public enum PlanEntry: Sendable, Hashable, Codable {
    case operation(PlannedOperation)
    /// A section heading (`switches and hosts`, `cables`, …).
    case section(String)
    /// A comment line for the reader (what a cable connects, why an interface stays down).
    case note(String)
}

/// One step of the playbook, with the operations that inject it (fault steps only; waits,
/// probe control and assertions are run by the runner and have none).
public struct PlannedStep: Sendable, Hashable, Codable {
    public var index: Int
    public var action: StepAction
    public var location: SourceLocation?
    public var operations: [PlannedOperation]

    public init(index: Int, action: StepAction, location: SourceLocation?, operations: [PlannedOperation]) {
        self.index = index
        self.action = action
        self.location = location
        self.operations = operations
    }
}

/// A playbook compiled for one run: what to build, in order, and each step's operations. The
/// one interpretation of the topology: the backend executes it and `failover plan` renders it.
public struct RunPlan: Sendable, Hashable, Codable {
    public var runID: String
    public var build: [PlanEntry]
    public var steps: [PlannedStep]

    public init(runID: String, build: [PlanEntry], steps: [PlannedStep]) {
        self.runID = runID
        self.build = build
        self.steps = steps
    }

    /// The build operations, in order.
    public var buildOperations: [PlannedOperation] {
        build.compactMap { entry in
            if case .operation(let operation) = entry { return operation }
            return nil
        }
    }

    /// Every operation of a run that performs every step: build, then each step's.
    public var operations: [PlannedOperation] { buildOperations + steps.flatMap(\.operations) }

    /// The namespaces, in creation order.
    public var namespaces: [String] {
        buildOperations.compactMap { planned in
            if case .createNamespace(_, let namespace) = planned.operation { return namespace }
            return nil
        }
    }
}

/// Compiles a checked playbook into its `RunPlan`.
public enum RunPlanCompiler {
    public static func compile(_ playbook: Playbook, names: RunNames) -> RunPlan {
        let topology = playbook.topology
        let ports = RunNames.switchPortNames(topology)
        func ns(_ role: String) -> String { names.namespace(role) }
        func link(_ ref: InterfaceRef) -> NamespacedLink {
            NamespacedLink(namespace: ns(ref.host), name: ref.interface)
        }
        let slaves: [String: Set<String>] = Dictionary(
            uniqueKeysWithValues: topology.hosts.map { ($0.name, $0.enslavedInterfaces) })
        var build: [PlanEntry] = []
        func add(_ operation: RunOperation, _ location: SourceLocation?) {
            build.append(.operation(PlannedOperation(operation, location: location)))
        }

        build.append(.section("switches and hosts"))
        for sw in topology.switches {
            let bridge = NamespacedLink(namespace: ns(sw.name), name: RunNames.bridgeName)
            add(.createNamespace(role: sw.name, namespace: ns(sw.name)), sw.location)
            add(.setLinkState(NamespacedLink(namespace: ns(sw.name), name: "lo"), up: true), sw.location)
            add(.createBridge(namespace: bridge.namespace, name: bridge.name, stp: false, forwardDelay: 0), sw.location)
            add(.setLinkState(bridge, up: true), sw.location)
        }
        for host in topology.hosts {
            add(.createNamespace(role: host.name, namespace: ns(host.name)), host.location)
            add(.setLinkState(NamespacedLink(namespace: ns(host.name), name: "lo"), up: true), host.location)
        }
        build.append(.section("cables"))
        for cable in topology.cables {
            build.append(.note("\(cable)"))
            func hostEnd(_ end: InterfaceRef) {
                if let mac = topology.host(named: end.host)?.macs[end.interface] {
                    add(.setMAC(link(end), mac), cable.location)
                }
                if slaves[end.host]?.contains(end.interface) ?? false {
                    build.append(.note("  \(end) stays down: its bond brings it up"))
                } else {
                    add(.setLinkState(link(end), up: true), cable.location)
                }
            }
            switch cable.b {
            case .switch(let sw):
                let port = NamespacedLink(namespace: ns(sw), name: ports[cable.a] ?? cable.a.interface)
                add(
                    .createVeth(
                        namespace: port.namespace, name: port.name, peerNamespace: ns(cable.a.host),
                        peerName: cable.a.interface), cable.location)
                if let lag = topology.switch(named: sw)?.lag(of: cable.a) {
                    build.append(.note("  \(sw)/\(port.name) stays down: LAG \(lag.name) brings it up"))
                } else {
                    add(.setMaster(port, master: RunNames.bridgeName), cable.location)
                    add(.setLinkState(port, up: true), cable.location)
                }
                hostEnd(cable.a)
            case .host(let far):
                add(
                    .createVeth(
                        namespace: ns(cable.a.host), name: cable.a.interface, peerNamespace: ns(far.host),
                        peerName: far.interface), cable.location)
                hostEnd(cable.a)
                hostEnd(far)
            }
        }
        let peerLinks = RunNames.peerLinks(topology)
        if !peerLinks.isEmpty { build.append(.section("peer links")) }
        for peer in peerLinks {
            build.append(.note("\(peer.a) <-> \(peer.b): a cable between the two bridges"))
            let location =
                topology.switch(named: peer.a)?.marks["peer_link"]?.location
                ?? topology.switch(named: peer.a)?.location
            let a = NamespacedLink(namespace: ns(peer.a), name: peer.portA)
            let b = NamespacedLink(namespace: ns(peer.b), name: peer.portB)
            add(
                .createVeth(namespace: a.namespace, name: a.name, peerNamespace: b.namespace, peerName: b.name),
                location)
            for end in [a, b] {
                add(.setMaster(end, master: RunNames.bridgeName), location)
                add(.setLinkState(end, up: true), location)
            }
        }
        let lags = topology.switches.flatMap { sw in sw.lags.map { (sw, $0) } }
        if !lags.isEmpty { build.append(.section("switch LAGs")) }
        for (sw, lag) in lags {
            let lagLink = NamespacedLink(namespace: ns(sw.name), name: lag.name)
            let members = lag.ports.compactMap { ports[$0] }
            build.append(
                .note(
                    "\(sw.name)/\(lag.name): \(lag.mode.rawValue) over \(members.joined(separator: ", ")) (facing \(lag.ports.map(\.description).joined(separator: ", ")))"
                ))
            add(.createBond(lagLink, mode: lag.mode, options: lag.bondOptions, mac: nil), lag.location)
            for member in members {
                let memberLink = NamespacedLink(namespace: ns(sw.name), name: member)
                add(.setLinkState(memberLink, up: false), lag.location)
                add(.setMaster(memberLink, master: lag.name), lag.location)
            }
            add(.setMaster(lagLink, master: RunNames.bridgeName), lag.location)
            add(.setLinkState(lagLink, up: true), lag.location)
        }
        let bonds = topology.hosts.flatMap { host in host.bonds.map { (host, $0) } }
        if !bonds.isEmpty { build.append(.section("bonds")) }
        for (host, bond) in bonds {
            let bondLink = NamespacedLink(namespace: ns(host.name), name: bond.name)
            build.append(
                .note("\(host.name)/\(bond.name): \(bond.mode.rawValue) over \(bond.slaves.joined(separator: ", "))"))
            add(.createBond(bondLink, mode: bond.mode, options: bond.options, mac: bond.mac), bond.location)
            for slave in bond.slaves {
                let slaveLink = NamespacedLink(namespace: ns(host.name), name: slave)
                add(.setLinkState(slaveLink, up: false), bond.location)
                add(.setMaster(slaveLink, master: bond.name), bond.location)
            }
            for slave in bond.slaves {
                if let prio = bond.options.slavePrio[slave] {
                    add(.setSlavePrio(NamespacedLink(namespace: ns(host.name), name: slave), prio: prio), bond.location)
                }
            }
            add(.setLinkState(bondLink, up: true), bond.location)
        }
        if topology.hosts.contains(where: { !$0.addresses.isEmpty || !$0.routes.isEmpty }) {
            build.append(.section("addresses and routes"))
        }
        for host in topology.hosts {
            for entry in host.addresses {
                for address in entry.addresses {
                    add(
                        .addAddress(NamespacedLink(namespace: ns(host.name), name: entry.interface), address),
                        host.location)
                }
            }
            for route in host.routes { add(.addRoute(namespace: ns(host.name), route), host.location) }
        }
        // Checks: the options the kernel took, then every declared interface up with carrier.
        for (sw, lag) in lags {
            add(
                .readBackBondOptions(
                    NamespacedLink(namespace: ns(sw.name), name: lag.name), mode: lag.mode, options: lag.bondOptions),
                lag.location)
        }
        for (host, bond) in bonds {
            add(
                .readBackBondOptions(
                    NamespacedLink(namespace: ns(host.name), name: bond.name), mode: bond.mode, options: bond.options),
                bond.location)
        }
        var expected: [String: Set<String>] = [:]
        for host in topology.hosts {
            expected[host.name, default: []].formUnion(host.interfaces)
            expected[host.name, default: []].formUnion(host.bonds.map(\.name))
        }
        for cable in topology.cables {
            if case .switch(let sw) = cable.b, let port = ports[cable.a] { expected[sw, default: []].insert(port) }
        }
        for (sw, lag) in lags { expected[sw.name, default: []].insert(lag.name) }
        for peer in peerLinks {
            expected[peer.a, default: []].insert(peer.portA)
            expected[peer.b, default: []].insert(peer.portB)
        }
        let waited = expected.sorted { $0.key < $1.key }.flatMap { role, links in
            links.sorted().map { NamespacedLink(namespace: ns(role), name: $0) }
        }
        if !waited.isEmpty { add(.waitUntilUp(waited), nil) }
        // CARP peers, once every interface is up with its address (ucarp needs a running interface).
        if !topology.carp.isEmpty { build.append(.section("CARP peers (ucarp)")) }
        for group in topology.carp {
            build.append(.note("\(group.name): vhid \(group.vhid), VIP \(group.vip), advbase \(group.advbase) s"))
            for member in group.members {
                add(Self.startPeer(group, member, topology: topology, namespace: ns(member.node)), group.location)
            }
        }

        let steps = playbook.steps.enumerated().map { index, step in
            PlannedStep(
                index: index, action: step.action, location: step.location,
                operations: faultOperations(step.action, topology: topology, names: names, ports: ports).map {
                    PlannedOperation($0, location: step.location)
                })
        }
        return RunPlan(runID: names.runID, build: build, steps: steps)
    }

    /// The operations that inject the fault or repair `action` on `topology` (none for other
    /// steps), as `compile` lists them for a step at `location`.
    public static func operations(
        for action: StepAction, in topology: Topology, names: RunNames, location: SourceLocation? = nil
    ) -> [PlannedOperation] {
        faultOperations(action, topology: topology, names: names, ports: RunNames.switchPortNames(topology)).map {
            PlannedOperation($0, location: location)
        }
    }

    /// The operations that inject a fault or repair step; none for other steps.
    static func faultOperations(
        _ action: StepAction, topology: Topology, names: RunNames, ports: [InterfaceRef: String]
    ) -> [RunOperation] {
        func ns(_ role: String) -> String { names.namespace(role) }
        /// The far end of the cable at `ref`.
        func farEnd(_ ref: InterfaceRef) -> NamespacedLink? {
            guard let cable = topology.cable(at: ref) else { return nil }
            if cable.a == ref {
                switch cable.b {
                case .switch(let sw): return NamespacedLink(namespace: ns(sw), name: ports[ref] ?? ref.interface)
                case .host(let far): return NamespacedLink(namespace: ns(far.host), name: far.interface)
                }
            }
            return NamespacedLink(namespace: ns(cable.a.host), name: cable.a.interface)
        }
        func bridgePort(_ ref: InterfaceRef) -> NamespacedLink? {
            guard let cable = topology.cable(at: ref), cable.a == ref, case .switch(let sw) = cable.b,
                let port = ports[ref]
            else { return nil }
            return NamespacedLink(namespace: ns(sw), name: port)
        }
        func link(_ ref: InterfaceRef) -> NamespacedLink {
            NamespacedLink(namespace: ns(ref.host), name: ref.interface)
        }
        switch action {
        case .pull(let ref), .plug(let ref):
            guard let far = farEnd(ref) else { return [.unsupported("no cable at \(ref)")] }
            let up: Bool = if case .plug = action { true } else { false }
            return [.setLinkState(far, up: up)]
        case .down(let ref):
            return [.setLinkState(link(ref), up: false)]
        case .up(let ref):
            return [.setLinkState(link(ref), up: true)]
        case .switchDown(let sw), .switchUp(let sw):
            // A switch with LAGs also takes its LAG member ports down (their hosts lose carrier
            // and the switch's LACPDUs stop), as a dead switch does; its other ports keep carrier.
            let up: Bool = if case .switchUp = action { true } else { false }
            let bridge = RunOperation.setLinkState(NamespacedLink(namespace: ns(sw), name: RunNames.bridgeName), up: up)
            let members = (topology.switch(named: sw)?.lags ?? []).flatMap(\.ports).compactMap { port in
                ports[port].map { RunOperation.setLinkState(NamespacedLink(namespace: ns(sw), name: $0), up: up) }
            }
            return up ? members + [bridge] : [bridge] + members
        case .blackhole(let ref), .restore(let ref):
            guard let port = bridgePort(ref) else { return [.unsupported("blackhole needs a cable to a switch")] }
            let repair: Bool = if case .restore = action { true } else { false }
            if case .switch(let sw)? = topology.cable(at: ref)?.b, topology.switch(named: sw)?.lag(of: ref) != nil {
                // A LAG member is a bond slave, not a bridge port: drop every frame on the port itself.
                return [
                    .filterFrames(port: port, table: RunNames.frameFilterTable(port.name), frames: .all, drop: !repair)
                ]
            }
            return [.setBridgePortState(port, forwarding: repair)]
        case .dropFrames(let ref, let frames):
            guard let port = bridgePort(ref) else { return [.unsupported("drop_frames needs a cable to a switch")] }
            return [.filterFrames(port: port, table: RunNames.frameFilterTable(port.name), frames: frames, drop: true)]
        case .passFrames(let ref):
            guard let port = bridgePort(ref) else { return [.unsupported("pass_frames needs a cable to a switch")] }
            return [.filterFrames(port: port, table: RunNames.frameFilterTable(port.name), frames: .all, drop: false)]
        case .flap(let ref, let times, let down, let up):
            guard let far = farEnd(ref) else { return [.unsupported("no cable at \(ref)")] }
            let cycle: [RunOperation] = [.setLinkState(far, up: false), .pause(down), .setLinkState(far, up: true)]
            return (1...max(times, 1)).flatMap { cycle + ($0 < times ? [.pause(up)] : []) }
        case .set(let bond, let option, let value, _):
            return [.setBondOption(link(bond), option: option, value: value)]
        case .peer(let fault, let group, let node):
            guard let carp = topology.carp.first(where: { $0.name == group }), let member = carp.member(on: node)
            else {
                return [.unsupported("no CARP peer \(node) in group \(group)")]
            }
            // Started again exactly as at build time.
            if fault == .start { return [Self.startPeer(carp, member, topology: topology, namespace: ns(node))] }
            return [.signalPeer(namespace: ns(node), name: "carp-\(group)-\(node)", signal: fault.signalName)]
        case .partition(let group, let node), .heal(let group, let node):
            guard let member = topology.carp.first(where: { $0.name == group })?.member(on: node) else {
                return [.unsupported("no CARP peer \(node) in group \(group)")]
            }
            guard let port = bridgePort(member.ref) else {
                return [.unsupported("partition needs \(member.ref) cabled to a switch (the filter is in the switch)")]
            }
            let drop: Bool = if case .partition = action { true } else { false }
            return [.filterProtocol(port: port, table: "fo_carp_\(node)", ipProtocol: 112, drop: drop)]
        case .hold, .startProbe, .stopProbe, .expect:
            return []
        }
    }
}

extension RunPlanCompiler {
    /// The ucarp peer of `member` in `group` (at build time and for a `start_peer` step).
    static func startPeer(_ group: CarpGroup, _ member: CarpMember, topology: Topology, namespace: String)
        -> RunOperation
    {
        guard let host = topology.host(named: member.node),
            let source = host.addresses(of: member.interface).first(where: { $0.family == .ipv4 })
        else {
            return .unsupported("CARP member \(member.ref) has no IPv4 address")
        }
        return .startPeer(
            CarpPeer(
                group: group.name, host: member.node, namespace: namespace, interface: member.interface,
                sourceAddress: IPAddress(family: .ipv4, bytes: source.bytes), vip: group.vip, vhid: group.vhid,
                advbase: group.advbase, advskew: member.advskew, preempt: group.preempt, password: group.password))
    }
}
