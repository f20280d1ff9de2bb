internal import CNetShims
public import FailoverCore
public import FailoverModel
import FailoverNetlink
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The real backend: one network namespace per host and switch, realised over rtnetlink
/// (see the topology contract), with one observer per namespace.
///
/// Netlink requests are synchronous and answered by the kernel within the send call, so the
/// async methods call them directly; namespace entry (setns) happens only on dedicated threads.
public final class NamespaceBackend: NetworkBackend {
    struct Context: Sendable {
        var role: String
        var namespace: String
        var fd: Int32
        var socket: RouteSocket
    }

    struct State: Sendable {
        var names: RunNames?
        var topology = Topology()
        var contexts: [String: Context] = [:]
        var observers: [NamespaceObserver] = []
        var portNames: [InterfaceRef: String] = [:]
        var claimedRunID: String?
    }

    private let logger: Logger
    private let state = Mutex(State())
    /// What was created, in order (public for reports and tests).
    public let ledger = BackendLedger()
    /// How long `build` waits for every declared interface to come up.
    public let readinessTimeout: Duration

    /// - Parameter readinessTimeout: how long `build` waits for carrier on every interface.
    public init(logger: Logger, readinessTimeout: Duration = .seconds(10)) {
        self.logger = logger
        self.readinessTimeout = readinessTimeout
    }

    // MARK: build

    public func build(_ playbook: Playbook, names: RunNames, log: ObservationLog) async throws {
        let topology = playbook.topology
        let portNames = RunNames.switchPortNames(topology)
        state.withLock {
            $0.names = names
            $0.topology = topology
            $0.portNames = portNames
        }
        // Claim the run id first, so `failover cleanup` elsewhere leaves this run alone.
        try RunOwnership.claim(runID: names.runID)
        state.withLock { $0.claimedRunID = names.runID }
        // Namespaces: switches first, then hosts.
        for role in topology.switches.map(\.name) + topology.hosts.map(\.name) {
            let namespace = names.namespace(role)
            // Recorded in the owner record before it exists, so a kill right after leaves nothing unlisted.
            try RunOwnership.record(.namespace(namespace), runID: names.runID)
            let fd: Int32
            do {
                fd = try wrap("create namespace", namespace) { try NetworkNamespace.create(namespace) }
            } catch {
                RunOwnership.forget(.namespace(namespace), runID: names.runID)
                throw error
            }
            await ledger.record(.namespace(namespace))
            let socket: RouteSocket
            do {
                socket = try RouteSocket(namespace: namespace, namespaceFD: fd)
            } catch {
                _ = close(fd)
                throw backendError("open netlink socket", namespace, error)
            }
            state.withLock { $0.contexts[role] = Context(role: role, namespace: namespace, fd: fd, socket: socket) }
            try wrap("set up", "\(namespace)/lo") { try socket.setAdminState("lo", up: true) }
        }
        // Switches: a bridge, STP off, forward delay 0.
        for sw in topology.switches {
            let context = try context(sw.name)
            try wrap("create bridge", "\(context.namespace)/\(RunNames.bridgeName)") {
                try context.socket.perform(
                    LinkRequest.createBridge(name: RunNames.bridgeName), operation: "create bridge",
                    object: RunNames.bridgeName)
            }
            await ledger.record(.link(namespace: context.namespace, name: RunNames.bridgeName))
            try wrap("set up", "\(context.namespace)/\(RunNames.bridgeName)") {
                try context.socket.setAdminState(RunNames.bridgeName, up: true)
            }
        }
        // Cables.
        for cable in topology.cables {
            try await buildCable(cable, topology: topology, portNames: portNames)
        }
        // Bonds.
        for host in topology.hosts {
            for bond in host.bonds { try await buildBond(bond, host: host) }
        }
        // Addresses and routes.
        for host in topology.hosts {
            let context = try context(host.name)
            for entry in host.addresses {
                for address in entry.addresses {
                    try wrap("add address \(address)", "\(context.namespace)/\(entry.interface)") {
                        let index = try context.socket.index(of: entry.interface)
                        try context.socket.perform(
                            AddressRequest.add(
                                index: index, address: address.bytes, prefixLength: UInt8(address.prefixLength)),
                            operation: "add address \(address)", object: entry.interface)
                    }
                }
            }
            for route in host.routes {
                try wrap("add route", context.namespace) {
                    let index = try route.device.map { try context.socket.index(of: $0) }
                    try context.socket.perform(
                        RouteRequest.add(
                            family: route.family == .ipv4 ? AddressFamily.inet : AddressFamily.inet6,
                            destination: route.destination?.bytes,
                            prefixLength: UInt8(route.destination?.prefixLength ?? 0),
                            gateway: route.via?.bytes, outputIndex: index),
                        operation: "add route", object: route.destination?.description ?? "default")
                }
            }
        }
        try verifyBondOptions(topology)
        try await waitUntilUp(topology, portNames: portNames)
        // Observers, one per namespace, started on the settled state.
        let contexts = state.withLock { Array($0.contexts.values) }
        for context in contexts.sorted(by: { $0.namespace < $1.namespace }) {
            let observer = try wrap("start observer", context.namespace) {
                try NamespaceObserver(
                    role: context.role, namespace: context.namespace, namespaceFD: context.fd, log: log)
            }
            state.withLock { $0.observers.append(observer) }
        }
        logger.debug("topology built", metadata: ["run.id": "\(names.runID)", "namespaces": "\(contexts.count)"])
    }

    private func buildCable(_ cable: Cable, topology: Topology, portNames: [InterfaceRef: String]) async throws {
        let hostA = try context(cable.a.host)
        let slavesA = topology.host(named: cable.a.host)?.enslavedInterfaces ?? []
        let macA = topology.host(named: cable.a.host)?.macs[cable.a.interface]
        switch cable.b {
        case .switch(let sw):
            let swContext = try context(sw)
            guard let port = portNames[cable.a] else {
                throw BackendError(operation: "name switch port", object: cable.description, detail: "no port name")
            }
            let object = "\(swContext.namespace)/\(port)"
            try wrap("create veth", object) {
                try swContext.socket.perform(
                    LinkRequest.createVeth(
                        name: port, peerName: cable.a.interface, peerNamespaceFD: hostA.fd, peerAddress: macA?.bytes),
                    operation: "create veth", object: port)
            }
            await ledger.record(.link(namespace: swContext.namespace, name: port))
            await ledger.record(.link(namespace: hostA.namespace, name: cable.a.interface))
            try wrap("attach to bridge", object) {
                let bridge = try swContext.socket.index(of: RunNames.bridgeName)
                let index = try swContext.socket.index(of: port)
                try swContext.socket.perform(
                    LinkRequest.setMaster(index: index, masterIndex: bridge), operation: "set master", object: port)
                try swContext.socket.setAdminState(index: index, name: port, up: true)
            }
            if !slavesA.contains(cable.a.interface) {
                try wrap("set up", "\(hostA.namespace)/\(cable.a.interface)") {
                    try hostA.socket.setAdminState(cable.a.interface, up: true)
                }
            }
        case .host(let far):
            let hostB = try context(far.host)
            let slavesB = topology.host(named: far.host)?.enslavedInterfaces ?? []
            let macB = topology.host(named: far.host)?.macs[far.interface]
            let object = "\(hostA.namespace)/\(cable.a.interface)"
            try wrap("create veth", object) {
                try hostA.socket.perform(
                    LinkRequest.createVeth(
                        name: cable.a.interface, peerName: far.interface, peerNamespaceFD: hostB.fd,
                        peerAddress: macB?.bytes),
                    operation: "create veth", object: cable.a.interface)
            }
            await ledger.record(.link(namespace: hostA.namespace, name: cable.a.interface))
            await ledger.record(.link(namespace: hostB.namespace, name: far.interface))
            if let macA {
                try wrap("set address", object) {
                    let index = try hostA.socket.index(of: cable.a.interface)
                    try hostA.socket.perform(
                        LinkRequest.setAddress(index: index, address: macA.bytes), operation: "set address",
                        object: cable.a.interface)
                }
            }
            if !slavesA.contains(cable.a.interface) {
                try wrap("set up", object) { try hostA.socket.setAdminState(cable.a.interface, up: true) }
            }
            if !slavesB.contains(far.interface) {
                try wrap("set up", "\(hostB.namespace)/\(far.interface)") {
                    try hostB.socket.setAdminState(far.interface, up: true)
                }
            }
        }
    }

    private func buildBond(_ bond: Bond, host: Host) async throws {
        let context = try context(host.name)
        let object = "\(context.namespace)/\(bond.name)"
        let configuration = try wrap("configure bond", object) {
            try bond.netlinkConfiguration { try context.socket.index(of: $0) }
        }
        try wrap("create bond", object) {
            try context.socket.perform(
                LinkRequest.createBond(name: bond.name, configuration: configuration, address: bond.mac?.bytes),
                operation: "create bond", object: bond.name)
        }
        await ledger.record(.link(namespace: context.namespace, name: bond.name))
        let bondIndex = try wrap("find bond", object) { try context.socket.index(of: bond.name) }
        for slave in bond.slaves {
            try wrap("enslave \(slave)", object) {
                let index = try context.socket.index(of: slave)
                try context.socket.setAdminState(index: index, name: slave, up: false)
                try context.socket.perform(
                    LinkRequest.setMaster(index: index, masterIndex: bondIndex), operation: "set master \(bond.name)",
                    object: slave)
            }
        }
        for slave in bond.slaves {
            guard let prio = bond.options.slavePrio[slave] else { continue }
            try wrap("set prio \(prio)", "\(context.namespace)/\(slave)") {
                let index = try context.socket.index(of: slave)
                try context.socket.perform(
                    LinkRequest.setBondSlave(index: index, prio: prio), operation: "set bond_slave prio", object: slave)
            }
        }
        try wrap("set up", object) { try context.socket.setAdminState(index: bondIndex, name: bond.name, up: true) }
    }

    /// Reads every bond option (and slave prio) back over netlink and throws on a difference.
    private func verifyBondOptions(_ topology: Topology) throws {
        for host in topology.hosts {
            let context = try context(host.name)
            for bond in host.bonds {
                let object = "\(context.namespace)/\(bond.name)"
                let asked = try wrap("configure bond", object) {
                    try bond.netlinkConfiguration { try context.socket.index(of: $0) }
                }
                guard let link = try wrap("read back", object, { try context.socket.link(named: bond.name) }),
                    let read = link.bond
                else {
                    throw BackendError(operation: "read back bond options", object: object, detail: "no bond data")
                }
                if let mismatch = BondReadBack.mismatches(asked: asked, read: read).first {
                    throw BackendError(
                        operation: "read back bond options", object: object, detail: mismatch.description)
                }
                for (slave, prio) in bond.options.slavePrio.sorted(by: { $0.key < $1.key }) {
                    let readPrio = try wrap("read back", "\(context.namespace)/\(slave)") {
                        try context.socket.link(named: slave)?.bondSlave?.prio
                    }
                    if readPrio != prio {
                        throw BackendError(
                            operation: "read back bond options", object: "\(context.namespace)/\(slave)",
                            detail:
                                "option prio: asked \(prio), kernel reports \(readPrio.map(String.init) ?? "nothing")")
                    }
                }
            }
        }
    }

    /// Waits (polling netlink dumps) until every declared interface is admin up with carrier.
    private func waitUntilUp(_ topology: Topology, portNames: [InterfaceRef: String]) async throws {
        var expected: [String: Set<String>] = [:]
        for host in topology.hosts {
            expected[host.name, default: []].formUnion(host.interfaces)
            expected[host.name, default: []].formUnion(host.bonds.map(\.name))
        }
        for cable in topology.cables {
            if case .switch(let sw) = cable.b, let port = portNames[cable.a] {
                expected[sw, default: []].insert(port)
            }
        }
        let deadline = MonotonicTime.now() + UInt64(readinessTimeout.components.seconds) * 1_000_000_000
        var pending: [String] = []
        while true {
            pending = []
            for (role, interfaces) in expected.sorted(by: { $0.key < $1.key }) {
                let context = try context(role)
                let links = try wrap("dump links", context.namespace) { try context.socket.links() }
                let ready = Set(links.filter { $0.isAdminUp && $0.hasCarrier }.map(\.name))
                pending += interfaces.subtracting(ready).sorted().map { "\(role)/\($0)" }
            }
            if pending.isEmpty { return }
            if MonotonicTime.now() > deadline {
                throw BackendError(
                    operation: "wait for interfaces up", object: pending.joined(separator: ", "),
                    detail: "no carrier after \(readinessTimeout)")
            }
            try await Task.sleep(nanoseconds: 1_000_000)
        }
    }

    // MARK: perform

    public func perform(_ action: StepAction) async throws -> MonotonicInstant {
        let (topology, portNames) = state.withLock { ($0.topology, $0.portNames) }
        let ack: UInt64
        switch action {
        case .pull(let ref), .plug(let ref):
            let (role, interface) = try Self.farEnd(of: ref, topology: topology, portNames: portNames)
            let context = try context(role)
            let up: Bool = if case .plug = action { true } else { false }
            ack = try wrap(action.description, "\(context.namespace)/\(interface)") {
                try context.socket.setAdminState(interface, up: up)
            }
        case .down(let ref), .up(let ref):
            let context = try context(ref.host)
            let up: Bool = if case .up = action { true } else { false }
            ack = try wrap(action.description, "\(context.namespace)/\(ref.interface)") {
                try context.socket.setAdminState(ref.interface, up: up)
            }
        case .switchDown(let sw), .switchUp(let sw):
            let context = try context(sw)
            let up: Bool = if case .switchUp = action { true } else { false }
            ack = try wrap(action.description, "\(context.namespace)/\(RunNames.bridgeName)") {
                try context.socket.setAdminState(RunNames.bridgeName, up: up)
            }
        case .blackhole(let ref), .restore(let ref):
            let drop: Bool = if case .blackhole = action { true } else { false }
            ack = try await blackhole(
                ref, drop: drop, topology: topology, portNames: portNames, step: action.description)
        case .set(let bondRef, let option, let value, _):
            ack = try setBondOption(bondRef, option: option, value: value)
        case .hold, .expect, .startProbe, .stopProbe:
            throw BackendError(operation: "perform", object: action.description, detail: "not a fault step")
        }
        logger.debug("fault injected", metadata: ["step": "\(action)", "ack": "\(ack)"])
        return MonotonicInstant(nanoseconds: ack)
    }

    /// Changes one bond option. A refusal by the kernel (an NLMSG_ERROR reply to the change
    /// itself) is thrown as `KernelRefusal`, with the kernel's extended-ack text and the likely
    /// reason; any other problem as `BackendError`.
    private func setBondOption(_ bondRef: InterfaceRef, option: String, value: String) throws -> UInt64 {
        let context = try context(bondRef.host)
        let object = "\(context.namespace)/\(bondRef.interface)"
        let operation = "set \(option)"
        let configuration = try wrap(operation, object) {
            try BondOptionChange.configuration(option: option, value: value, bond: object) {
                try context.socket.index(of: $0)
            }
        }
        let index = try wrap("find bond", object) { try context.socket.index(of: bondRef.interface) }
        do {
            return try context.socket.perform(
                LinkRequest.changeBond(index: index, configuration: configuration), operation: operation,
                object: bondRef.interface)
        } catch  where error.operation == operation {
            // The kernel answered the request with an errno: it refused the change.
            let slave = option == "active_slave" || option == "primary" ? value : ""
            let reason = BondRefusalReason.likely(
                option: option, errno: error.code,
                context: refusalContext(context, bond: bondRef.interface, slave: slave.isEmpty ? nil : slave))
            throw KernelRefusal(
                request: "\(option) on \(object)", errno: error.code, errnoText: "\(error.errno)",
                kernelMessage: error.kernelMessage, likelyReason: reason)
        } catch {
            throw backendError(operation, object, error)
        }
    }

    /// What the bond (and a named slave) look like now, for `BondRefusalReason`; best effort.
    private func refusalContext(_ context: Context, bond: String, slave: String?) -> BondRefusalReason.Context {
        var result = BondRefusalReason.Context()
        guard let links = try? context.socket.links() else { return result }
        let names = Dictionary(links.map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
        if let link = links.first(where: { $0.name == bond }) {
            let state = Self.interfaceState(link, names: names)
            result.mode = state.bond?.mode
            result.miimon = state.bond?.miimon
            result.bondUp = state.adminUp
            result.activeSlave = state.bond?.activeSlave
        }
        if let slave, let link = links.first(where: { $0.name == slave }) {
            let state = Self.interfaceState(link, names: names)
            result.slave = slave
            result.slaveAdminUp = state.adminUp
            result.slaveMII = state.slave?.miiStatus
        }
        return result
    }

    /// The namespace role and interface name of the far end of the cable at `ref`.
    static func farEnd(of ref: InterfaceRef, topology: Topology, portNames: [InterfaceRef: String]) throws -> (
        String, String
    ) {
        guard let cable = topology.cable(at: ref) else {
            throw BackendError(operation: "find cable", object: ref.description, detail: "no cable ends here")
        }
        if cable.a == ref {
            switch cable.b {
            case .switch(let sw):
                guard let port = portNames[ref] else {
                    throw BackendError(operation: "find cable", object: ref.description, detail: "no switch port")
                }
                return (sw, port)
            case .host(let far): return (far.host, far.interface)
            }
        }
        return (cable.a.host, cable.a.interface)
    }

    private func blackhole(
        _ ref: InterfaceRef, drop: Bool, topology: Topology, portNames: [InterfaceRef: String], step: String
    ) async throws -> UInt64 {
        guard let cable = topology.cable(at: ref) else {
            throw BackendError(operation: step, object: ref.description, detail: "no cable ends here")
        }
        switch cable.b {
        case .switch(let sw):
            let context = try context(sw)
            guard let port = portNames[cable.a] else {
                throw BackendError(operation: step, object: ref.description, detail: "no switch port")
            }
            return try wrap(step, "\(context.namespace)/\(port)") {
                let index = try context.socket.index(of: port)
                return try context.socket.perform(
                    LinkRequest.setBridgePortState(index: index, state: drop ? .disabled : .forwarding),
                    operation: drop ? "bridge port state disabled" : "bridge port state forwarding", object: port)
            }
        case .host(let far):
            // nftables netdev ingress drop on both ends.
            for end in [cable.a, far] {
                let context = try context(end.host)
                let table = "fo_bh_" + String(end.interface.map { $0.isLetter || $0.isNumber ? $0 : "_" })
                let argv: [[String]] =
                    drop
                    ? [
                        ["add", "table", "netdev", table],
                        [
                            "add", "chain", "netdev", table, "in",
                            "{ type filter hook ingress device \"\(end.interface)\" priority 0; policy drop; }",
                        ],
                    ] : [["delete", "table", "netdev", table]]
                for arguments in argv {
                    let status = try wrap(step, "\(context.namespace)/\(end.interface)") {
                        try NetworkNamespace.spawnAndWait(
                            ["/usr/sbin/ip", "netns", "exec", context.namespace, "/usr/sbin/nft"] + arguments)
                    }
                    guard status == 0 else {
                        throw BackendError(
                            operation: step, object: "\(context.namespace)/\(end.interface)",
                            detail: "nft \(arguments.joined(separator: " ")) exited with \(status)")
                    }
                }
                let entry = BackendLedger.Entry.nftTable(namespace: context.namespace, table: table)
                if drop { await ledger.record(entry) } else { await ledger.remove(entry) }
            }
            return MonotonicTime.now()
        }
    }

    // MARK: state

    public func state(of interface: InterfaceRef) async throws -> InterfaceState {
        let context = try context(interface.host)
        let object = "\(context.namespace)/\(interface.interface)"
        for _ in 0..<5 {
            let (first, links) = try wrap("read state", object) { () throws -> (Link?, [Link]) in
                (try context.socket.link(named: interface.interface), try context.socket.links())
            }
            guard let link = first else { return .missing }
            let names = Dictionary(links.map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
            var result = Self.interfaceState(link, names: names)
            guard link.kind == "bond" || link.slaveKind == "bond" else { return result }
            // Cross-check with /proc/net/bonding/<bond>, read by a thread inside the namespace
            // (/proc/thread-self/net is the reading thread's namespace; /proc/net is the process's).
            let bondName = link.kind == "bond" ? link.name : (link.master.flatMap { names[$0] } ?? "")
            let text = try wrap("read /proc/net/bonding/\(bondName)", context.namespace) {
                try NamespaceThread.run(namespaceFD: context.fd, label: context.namespace) {
                    String(decoding: try readSmallFile("/proc/thread-self/net/bonding/\(bondName)"), as: UTF8.self)
                }
            }
            let proc = BondProcStatus(text: text)
            // A transition between the two reads is not a disagreement: re-read and compare again.
            let again = try wrap("read state", object) { try context.socket.link(named: interface.interface) }
            guard let again, Self.interfaceState(again, names: names) == result else { continue }
            if let problem = Self.disagreement(result, proc: proc, interface: link.name) {
                throw BackendError(operation: "read state", object: object, detail: problem)
            }
            if result.bond != nil, result.bond?.mode == nil { result.bond?.mode = proc.mode }
            return result
        }
        throw BackendError(operation: "read state", object: object, detail: "state kept changing while being read")
    }

    /// Waits until every observer has put each kernel event emitted before the call in the log.
    public func synchronize() async throws {
        let observers = state.withLock { $0.observers }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for observer in observers { group.addTask { try await observer.synchronize() } }
            try await group.waitForAll()
        }
    }

    static func interfaceState(_ link: Link, names: [Int32: String]) -> InterfaceState {
        var result = InterfaceState(
            exists: true, adminUp: link.isAdminUp, carrier: link.hasCarrier,
            carrierChanges: link.carrierChanges.map(Int.init), mac: link.address.map { MACAddress(bytes: $0) },
            permanentMAC: link.permanentAddress.map { MACAddress(bytes: $0) })
        if let bond = link.bond {
            let active = bond.activeSlave.flatMap { $0 == 0 ? nil : names[Int32(bitPattern: $0)] }
            result.bond = BondState(
                mode: bond.mode.flatMap { mode in BondMode.allCases.first { $0.number == Int(mode) } },
                activeSlave: active, miimon: bond.miimon.map(Int.init),
                options: BondReadBack.optionTexts(bond, names: names))
        }
        if let slave = link.bondSlave {
            result.slave = SlaveState(
                master: link.master.flatMap { names[$0] } ?? "",
                miiStatus: slave.miiStatusName.flatMap(MIIStatus.init(rawValue:)) ?? .down,
                linkFailureCount: Int(slave.linkFailureCount ?? 0), state: slave.stateName ?? "backup",
                permanentMAC: slave.permanentAddress.map { MACAddress(bytes: $0) })
            if result.permanentMAC == nil { result.permanentMAC = result.slave?.permanentMAC }
        }
        return result
    }

    /// Where netlink and /proc/net/bonding disagree (active slave, MII status, link failures).
    static func disagreement(_ state: InterfaceState, proc: BondProcStatus, interface: String) -> String? {
        if let bond = state.bond, let netlinkMode = bond.mode, let procMode = proc.mode, netlinkMode != procMode {
            return "mode: netlink \(netlinkMode.rawValue), /proc \(procMode.rawValue)"
        }
        if let bond = state.bond, bond.mode != nil, proc.mode == nil, let line = proc.modeDescription {
            return "mode: netlink \(bond.mode?.rawValue ?? ""), /proc 'Bonding Mode: \(line)' is not a known mode line"
        }
        if let bond = state.bond, bond.activeSlave != proc.activeSlave {
            return "active slave: netlink \(bond.activeSlave ?? "none"), /proc \(proc.activeSlave ?? "none")"
        }
        // The timers /proc shows (MII Polling Interval, Up/Down Delay, Peer Notification Delay).
        if let bond = state.bond {
            let shown: [(String, Int?)] = [
                ("miimon", proc.miimon), ("updelay", proc.updelay), ("downdelay", proc.downdelay),
                ("peer_notif_delay", proc.peerNotifDelay),
            ]
            for (name, procValue) in shown {
                guard let procValue, let netlink = bond.options[name], netlink != String(procValue) else { continue }
                return "\(name): netlink \(netlink), /proc \(procValue)"
            }
        }
        if let slave = state.slave {
            guard let procSlave = proc.slave(named: interface) else {
                return "slave missing from /proc/net/bonding/\(slave.master)"
            }
            if procSlave.miiStatus != slave.miiStatus {
                return
                    "MII status: netlink \(slave.miiStatus.rawValue), /proc \(procSlave.miiStatus?.rawValue ?? "unknown")"
            }
            if procSlave.linkFailureCount != slave.linkFailureCount {
                return
                    "link failure count: netlink \(slave.linkFailureCount), /proc \(procSlave.linkFailureCount.map(String.init) ?? "unknown")"
            }
        }
        return nil
    }

    // MARK: teardown

    public func teardown() async -> [String] {
        let (observers, contexts) = state.withLock { state -> ([NamespaceObserver], [Context]) in
            defer {
                state.observers = []
                state.contexts = [:]
            }
            return (state.observers, Array(state.contexts.values))
        }
        for observer in observers { observer.stop() }
        for context in contexts {
            context.socket.close()
            _ = close(context.fd)
        }
        var problems: [String] = []
        for entry in await ledger.takeUndoPlan() {
            do {
                switch entry {
                case .namespace(let name):
                    try NetworkNamespace.delete(name)
                    if let runID = state.withLock({ $0.claimedRunID }) {
                        RunOwnership.forget(.namespace(name), runID: runID)
                    }
                case .link(let namespace, let name):
                    let fd = try NetworkNamespace.open(namespace)
                    defer { _ = close(fd) }
                    let socket = try RouteSocket(namespace: namespace, namespaceFD: fd)
                    defer { socket.close() }
                    try socket.deleteLink(name)
                case .nftTable(let namespace, let table):
                    _ = try NetworkNamespace.spawnAndWait(
                        [
                            "/usr/sbin/ip", "netns", "exec", namespace, "/usr/sbin/nft", "delete", "table", "netdev",
                            table,
                        ])
                }
            } catch let error as NetlinkError where error.isAlreadyGone {
                if case .namespace(let name) = entry, let runID = state.withLock({ $0.claimedRunID }) {
                    RunOwnership.forget(.namespace(name), runID: runID)
                }
                continue  // already gone
            } catch {
                let problem = "teardown \(entry): \(error)"
                logger.warning("\(problem)")
                problems.append(problem)
            }
        }
        // The record goes with the last claim, unless it still lists something that could not be removed.
        if let runID = state.withLock({ $0.claimedRunID }) {
            state.withLock { $0.claimedRunID = nil }
            RunOwnership.release(runID: runID)
        }
        return problems
    }

    // MARK: helpers

    private func context(_ role: String) throws -> Context {
        guard let context = state.withLock({ $0.contexts[role] }) else {
            throw BackendError(operation: "find namespace", object: role, detail: "not built (or torn down)")
        }
        return context
    }

    @discardableResult
    private func wrap<T>(_ operation: String, _ object: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as BackendError {
            throw error
        } catch {
            throw backendError(operation, object, error)
        }
    }

    private func backendError(_ operation: String, _ object: String, _ error: any Error) -> BackendError {
        BackendError(operation: operation, object: object, detail: "\(error)")
    }
}
