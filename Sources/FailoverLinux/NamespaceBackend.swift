internal import CNetShims
public import FailoverCore
public import FailoverModel
import FailoverNetlink
public import FailoverSystem
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The real backend: executes a `RunPlan`'s operations over rtnetlink (one network namespace
/// per host and switch), records each in its ledger, with one observer per namespace.
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
        var contexts: [String: Context] = [:]
        /// Role of each namespace (`fo…-h1` → `h1`).
        var roles: [String: String] = [:]
        var observers: [NamespaceObserver] = []
        var claimedRunID: String?
    }

    private let logger: Logger
    private let state = Mutex(State())
    /// What was created, in order (public for reports and tests).
    public let ledger = BackendLedger()
    /// How long `build` waits for every declared interface to come up.
    public let readinessTimeout: Duration
    /// The run's ucarp peers.
    let peers: PeerSupervisor

    /// - Parameters:
    ///   - readinessTimeout: how long `build` waits for carrier on every interface.
    ///   - peerDirectory: where peers' scripts and output go (the run's results); nil: a temporary directory.
    public init(logger: Logger, readinessTimeout: Duration = .seconds(10), peerDirectory: SafeDirectory? = nil) {
        self.logger = logger
        self.readinessTimeout = readinessTimeout
        self.peers = PeerSupervisor(directory: peerDirectory, logger: logger)
    }

    // MARK: build

    public func build(_ plan: RunPlan, log: ObservationLog) async throws {
        // Claim the run id first, so `failover cleanup` elsewhere leaves this run alone.
        try RunOwnership.claim(runID: plan.runID)
        state.withLock { $0.claimedRunID = plan.runID }
        peers.attach(log)
        // Peers come last in the plan; they start once the observers watch (their first VIP is seen).
        let operations = plan.buildOperations
        let firstPeer =
            operations.firstIndex {
                if case .startPeer = $0.operation { return true }
                return false
            } ?? operations.endIndex
        for planned in operations[..<firstPeer] {
            _ = try await execute(planned)
        }
        // Observers, one per namespace, started on the settled state.
        let contexts = state.withLock { Array($0.contexts.values) }
        for context in contexts.sorted(by: { $0.namespace < $1.namespace }) {
            let observer = try wrap("start observer", context.namespace) {
                try NamespaceObserver(
                    role: context.role, namespace: context.namespace, namespaceFD: context.fd, log: log)
            }
            state.withLock { $0.observers.append(observer) }
        }
        for planned in operations[firstPeer...] {
            _ = try await execute(planned)
        }
        logger.debug("topology built", metadata: ["run.id": "\(plan.runID)", "namespaces": "\(contexts.count)"])
    }

    public func executedOperations() async -> [PlannedOperation]? { await ledger.executed }

    // MARK: perform

    public func perform(_ operations: [PlannedOperation]) async throws -> MonotonicInstant {
        var ack = MonotonicTime.now()
        for planned in operations {
            if case .pause(let duration) = planned.operation {
                // Timed from the previous operation's acknowledgement, not from when we got here.
                let deadline = ack &+ UInt64(max(duration.totalNanoseconds, 0))
                try await sleep(untilMonotonic: deadline)
                await ledger.record(planned)
                continue
            }
            ack = try await execute(planned)
            logger.debug("fault injected", metadata: ["operation": "\(planned)", "ack": "\(ack)"])
        }
        return MonotonicInstant(nanoseconds: ack)
    }

    /// Sleeps until `deadline` (CLOCK_MONOTONIC nanoseconds); returns at once if it has passed.
    /// Cancellable, so a signal during a `flap` ends the run at once.
    private func sleep(untilMonotonic deadline: UInt64) async throws {
        let now = MonotonicTime.now()
        guard deadline > now else { return }
        try await Task.sleep(for: .nanoseconds(Int64(clamping: deadline - now)))
    }

    /// Executes one operation and records it in the ledger once it succeeded. Returns when the
    /// kernel acknowledged it (CLOCK_MONOTONIC nanoseconds).
    private func execute(_ planned: PlannedOperation) async throws -> UInt64 {
        let ack: UInt64
        switch planned.operation {
        case .createNamespace(let role, let namespace):
            let runID = state.withLock { $0.claimedRunID } ?? ""
            // Recorded in the owner record before it exists, so a kill right after leaves nothing unlisted.
            try RunOwnership.record(.namespace(namespace), runID: runID)
            let fd: Int32
            do {
                fd = try wrap("create namespace", namespace) { try NetworkNamespace.create(namespace) }
            } catch {
                RunOwnership.forget(.namespace(namespace), runID: runID)
                throw error
            }
            await ledger.record(planned)
            let socket: RouteSocket
            do {
                socket = try RouteSocket(namespace: namespace, namespaceFD: fd)
            } catch {
                _ = close(fd)
                throw backendError("open netlink socket", namespace, error)
            }
            state.withLock {
                $0.contexts[role] = Context(role: role, namespace: namespace, fd: fd, socket: socket)
                $0.roles[namespace] = role
            }
            return MonotonicTime.now()
        case .createBridge(let namespace, let name, let stp, let forwardDelay):
            let context = try context(namespace: namespace)
            ack = try wrap("create bridge", "\(namespace)/\(name)") {
                try context.socket.perform(
                    LinkRequest.createBridge(name: name, stpState: stp ? 1 : 0, forwardDelay: UInt32(forwardDelay)),
                    operation: "create bridge", object: name)
            }
        case .createVeth(let namespace, let name, let peerNamespace, let peerName):
            let context = try context(namespace: namespace)
            let peer = try self.context(namespace: peerNamespace)
            ack = try wrap("create veth", "\(namespace)/\(name)") {
                try context.socket.perform(
                    LinkRequest.createVeth(name: name, peerName: peerName, peerNamespaceFD: peer.fd, peerAddress: nil),
                    operation: "create veth", object: name)
            }
        case .setMAC(let link, let mac):
            let context = try context(namespace: link.namespace)
            ack = try wrap("set address", link.description) {
                let index = try context.socket.index(of: link.name)
                return try context.socket.perform(
                    LinkRequest.setAddress(index: index, address: mac.bytes), operation: "set address",
                    object: link.name)
            }
        case .setMaster(let link, let master):
            let context = try context(namespace: link.namespace)
            ack = try wrap("set master \(master)", link.description) {
                let masterIndex = try context.socket.index(of: master)
                let index = try context.socket.index(of: link.name)
                return try context.socket.perform(
                    LinkRequest.setMaster(index: index, masterIndex: masterIndex), operation: "set master \(master)",
                    object: link.name)
            }
        case .createBond(let link, let mode, let options, let mac):
            let context = try context(namespace: link.namespace)
            let bond = Bond(name: link.name, mode: mode, slaves: [], options: options)
            let configuration = try wrap("configure bond", link.description) {
                try bond.netlinkConfiguration { try context.socket.index(of: $0) }
            }
            ack = try wrap("create bond", link.description) {
                try context.socket.perform(
                    LinkRequest.createBond(name: link.name, configuration: configuration, address: mac?.bytes),
                    operation: "create bond", object: link.name)
            }
        case .setSlavePrio(let slave, let prio):
            let context = try context(namespace: slave.namespace)
            ack = try wrap("set prio \(prio)", slave.description) {
                let index = try context.socket.index(of: slave.name)
                return try context.socket.perform(
                    LinkRequest.setBondSlave(index: index, prio: prio), operation: "set bond_slave prio",
                    object: slave.name)
            }
        case .addAddress(let link, let address):
            let context = try context(namespace: link.namespace)
            ack = try wrap("add address \(address)", link.description) {
                let index = try context.socket.index(of: link.name)
                return try context.socket.perform(
                    AddressRequest.add(
                        index: index, address: address.bytes, prefixLength: UInt8(address.prefixLength)),
                    operation: "add address \(address)", object: link.name)
            }
        case .addRoute(let namespace, let route):
            let context = try context(namespace: namespace)
            ack = try wrap("add route", namespace) {
                let index = try route.device.map { try context.socket.index(of: $0) }
                return try context.socket.perform(
                    RouteRequest.add(
                        family: route.family == .ipv4 ? AddressFamily.inet : AddressFamily.inet6,
                        destination: route.destination?.bytes,
                        prefixLength: UInt8(route.destination?.prefixLength ?? 0),
                        gateway: route.via?.bytes, outputIndex: index),
                    operation: "add route", object: route.destination?.description ?? "default")
            }
        case .setLinkState(let link, let up):
            let context = try context(namespace: link.namespace)
            ack = try wrap(up ? "set up" : "set down", link.description) {
                try context.socket.setAdminState(link.name, up: up)
            }
        case .setBridgePortState(let port, let forwarding):
            let context = try context(namespace: port.namespace)
            let operation = forwarding ? "bridge port state forwarding" : "bridge port state disabled"
            ack = try wrap(operation, port.description) {
                let index = try context.socket.index(of: port.name)
                return try context.socket.perform(
                    LinkRequest.setBridgePortState(index: index, state: forwarding ? .forwarding : .disabled),
                    operation: operation, object: port.name)
            }
        case .setBondOption(let bond, let option, let value):
            ack = try setBondOption(bond, option: option, value: value)
        case .readBackBondOptions(let bond, let mode, let options):
            try verifyBondOptions(bond, mode: mode, options: options)
            ack = MonotonicTime.now()
        case .waitUntilUp(let links):
            try await waitUntilUp(links)
            ack = MonotonicTime.now()
        case .pause(let duration):
            try await sleep(untilMonotonic: MonotonicTime.now() &+ UInt64(max(duration.totalNanoseconds, 0)))
            ack = MonotonicTime.now()
        case .startPeer(let peer):
            ack = try await peers.start(peer)
        case .signalPeer(_, let name, let signal):
            ack = try peers.signal(name, named: signal)
        case .filterProtocol, .filterFrames:
            let namespace: String
            let commands: [[String]]
            switch planned.operation {
            case .filterProtocol(let port, let table, let ipProtocol, let drop):
                namespace = port.namespace
                commands = RunOperation.nftCommands(port: port.name, table: table, ipProtocol: ipProtocol, drop: drop)
            case .filterFrames(let port, let table, let frames, let drop):
                namespace = port.namespace
                commands = RunOperation.nftNetdevCommands(port: port.name, table: table, frames: frames, drop: drop)
            default:
                commands = []
                namespace = ""
            }
            for argv in commands {
                let result = try wrap("run nft", namespace) {
                    try SupervisedProcess.run(["/usr/sbin/nft"] + argv.dropFirst(), networkNamespace: namespace)
                }
                guard result.status.exitCode == 0 else {
                    throw BackendError(
                        operation: argv.joined(separator: " "), object: namespace,
                        detail: "\(result.status): \(result.stderr.isEmpty ? "(no message)" : result.stderr)")
                }
            }
            ack = MonotonicTime.now()
        case .unsupported(let reason):
            throw BackendError(operation: "execute", object: planned.location?.description ?? "plan", detail: reason)
        }
        await ledger.record(planned)
        return ack
    }

    /// Reads every bond option (and slave prio) back over netlink and throws on a difference.
    private func verifyBondOptions(_ bondLink: NamespacedLink, mode: BondMode, options: BondOptions) throws {
        let context = try context(namespace: bondLink.namespace)
        let object = bondLink.description
        let bond = Bond(name: bondLink.name, mode: mode, slaves: [], options: options)
        let asked = try wrap("configure bond", object) {
            try bond.netlinkConfiguration { try context.socket.index(of: $0) }
        }
        guard let link = try wrap("read back", object, { try context.socket.link(named: bond.name) }),
            let read = link.bond
        else {
            throw BackendError(operation: "read back bond options", object: object, detail: "no bond data")
        }
        if let mismatch = BondReadBack.mismatches(asked: asked, read: read).first {
            throw BackendError(operation: "read back bond options", object: object, detail: mismatch.description)
        }
        for (slave, prio) in options.slavePrio.sorted(by: { $0.key < $1.key }) {
            let readPrio = try wrap("read back", "\(context.namespace)/\(slave)") {
                try context.socket.link(named: slave)?.bondSlave?.prio
            }
            if readPrio != prio {
                throw BackendError(
                    operation: "read back bond options", object: "\(context.namespace)/\(slave)",
                    detail: "option prio: asked \(prio), kernel reports \(readPrio.map(String.init) ?? "nothing")")
            }
        }
    }

    /// Waits (polling netlink dumps) until every one of `links` is admin up with carrier.
    private func waitUntilUp(_ links: [NamespacedLink]) async throws {
        var expected: [String: Set<String>] = [:]
        for link in links { expected[link.namespace, default: []].insert(link.name) }
        let deadline = MonotonicTime.now() + UInt64(readinessTimeout.components.seconds) * 1_000_000_000
        var pending: [String] = []
        while true {
            pending = []
            for (namespace, interfaces) in expected.sorted(by: { $0.key < $1.key }) {
                let context = try context(namespace: namespace)
                let links = try wrap("dump links", context.namespace) { try context.socket.links() }
                let ready = Set(links.filter { $0.isAdminUp && $0.hasCarrier }.map(\.name))
                pending += interfaces.subtracting(ready).sorted().map { "\(context.role)/\($0)" }
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

    /// Changes one bond option. A refusal by the kernel (an NLMSG_ERROR reply to the change
    /// itself) is thrown as `KernelRefusal`, with the kernel's extended-ack text and the likely
    /// reason; any other problem as `BackendError`.
    private func setBondOption(_ bondLink: NamespacedLink, option: String, value: String) throws -> UInt64 {
        let context = try context(namespace: bondLink.namespace)
        let object = bondLink.description
        let operation = "set \(option)"
        let configuration = try wrap(operation, object) {
            try BondOptionChange.configuration(option: option, value: value, bond: object) {
                try context.socket.index(of: $0)
            }
        }
        let index = try wrap("find bond", object) { try context.socket.index(of: bondLink.name) }
        do {
            return try context.socket.perform(
                LinkRequest.changeBond(index: index, configuration: configuration), operation: operation,
                object: bondLink.name)
        } catch  where error.operation == operation {
            // The kernel answered the request with an errno: it refused the change.
            let slave = option == "active_slave" || option == "primary" ? value : ""
            let reason = BondRefusalReason.likely(
                option: option, errno: error.code,
                context: refusalContext(context, bond: bondLink.name, slave: slave.isEmpty ? nil : slave))
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

    // MARK: state

    public func neighbours(of host: String) async throws -> [Neighbour] {
        let context = try context(host)
        return try wrap("read neighbours", context.namespace) {
            let names = Dictionary(
                try context.socket.links().map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
            return try context.socket.neighbours().compactMap { entry -> Neighbour? in
                // AF_INET and AF_INET6 only: a dump of every family also lists the bridge's FDB (AF_BRIDGE).
                let family: InterfaceAddress.Family
                switch (entry.family, entry.destination.count) {
                case (2, 4): family = .ipv4
                case (10, 16): family = .ipv6
                default: return nil
                }
                let ip = IPAddress(family: family, bytes: entry.destination)
                return Neighbour(
                    interface: names[entry.index] ?? "#\(entry.index)", ip: ip,
                    mac: entry.linkLayerAddress.flatMap { $0.count == 6 ? MACAddress(bytes: $0) : nil },
                    state: NeighbourState(rawValue: entry.stateName) ?? .none)
            }
        }
    }

    public func forwardingEntries(of switchName: String) async throws -> [ForwardingEntry] {
        let context = try context(switchName)
        return try wrap("read fdb", context.namespace) {
            let names = Dictionary(
                try context.socket.links().map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
            return try context.socket.bridgeFDB().compactMap { entry -> ForwardingEntry? in
                // The bridge's own addresses (local, permanent) are not learned; an entry on the bridge
                // device itself is not on a port.
                guard !entry.isLocal, let port = names[entry.index] else { return nil }
                return ForwardingEntry(port: port, mac: MACAddress(bytes: entry.mac))
            }
        }
    }

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

    public func lacpStatus(of bond: InterfaceRef) async throws -> LacpStatus {
        let context = try context(bond.host)
        let object = "\(context.namespace)/\(bond.interface)"
        for _ in 0..<5 {
            let first = try wrap("read LACP state", object) {
                try Self.lacpStatus(bond.interface, links: try context.socket.links())
            }
            // Cross-check with /proc/net/bonding/<bond>, read by a thread inside the namespace.
            let text = try wrap("read /proc/net/bonding/\(bond.interface)", context.namespace) {
                try NamespaceThread.run(namespaceFD: context.fd, label: context.namespace) {
                    String(
                        decoding: try readSmallFile("/proc/thread-self/net/bonding/\(bond.interface)"), as: UTF8.self)
                }
            }
            // A change between the reads is not a disagreement: read again and compare again.
            let again = try wrap("read LACP state", object) {
                try Self.lacpStatus(bond.interface, links: try context.socket.links())
            }
            guard again == first else { continue }
            if let problem = Self.lacpDisagreement(first, proc: BondProcStatus(text: text)) {
                throw BackendError(operation: "read LACP state", object: object, detail: problem)
            }
            return first
        }
        throw BackendError(operation: "read LACP state", object: object, detail: "state kept changing while being read")
    }

    /// The LACP state of bond `name` from a link dump (IFLA_BOND_AD_INFO, IFLA_BOND_SLAVE_AD_*).
    static func lacpStatus(_ name: String, links: [Link]) throws -> LacpStatus {
        guard let bond = links.first(where: { $0.name == name }) else {
            throw BackendError(operation: "read LACP state", object: name, detail: "no such interface")
        }
        guard bond.kind == "bond", let configuration = bond.bond else {
            throw BackendError(operation: "read LACP state", object: name, detail: "not a bond")
        }
        guard configuration.mode == UInt8(BondMode.ieee8023ad.number) else {
            throw BackendError(
                operation: "read LACP state", object: name,
                detail: "not an 802.3ad bond (mode \(configuration.mode.map(String.init) ?? "unknown"))")
        }
        let ad = configuration.adInfo
        let ports = links.filter { $0.master == bond.index && $0.slaveKind == "bond" }.map { link in
            LacpStatus.Port(
                name: link.name, aggregatorID: link.bondSlave?.aggregatorID.map(Int.init),
                actorState: link.bondSlave?.actorOperPortState, partnerState: link.bondSlave?.partnerOperPortState)
        }
        return LacpStatus(
            aggregatorID: ad?.aggregator.map(Int.init), actorKey: ad?.actorKey.map(Int.init),
            partnerKey: ad?.partnerKey.map(Int.init),
            partnerMAC: ad?.partnerMAC.flatMap { $0.count == 6 ? MACAddress(bytes: $0) : nil }, ports: ports)
    }

    /// Where netlink and /proc/net/bonding disagree on a bond's LACP state.
    static func lacpDisagreement(_ status: LacpStatus, proc: BondProcStatus) -> String? {
        let bond: [(String, String?, String?)] = [
            ("active aggregator", status.aggregatorID.map(String.init), proc.aggregatorID.map(String.init)),
            ("actor key", status.actorKey.map(String.init), proc.actorKey.map(String.init)),
            ("partner key", status.partnerKey.map(String.init), proc.partnerKey.map(String.init)),
            ("partner MAC", status.partnerMAC?.description, proc.partnerMAC.flatMap { MACAddress($0)?.description }),
        ]
        for (name, netlink, procValue) in bond where netlink != procValue {
            return "\(name): netlink \(netlink ?? "none"), /proc \(procValue ?? "none")"
        }
        for port in status.ports {
            guard let procPort = proc.slave(named: port.name) else {
                return "\(port.name) missing from /proc/net/bonding"
            }
            let fields: [(String, Int?, Int?)] = [
                ("aggregator id", port.aggregatorID, procPort.aggregatorID),
                ("actor port state", port.actorState.map(Int.init), procPort.actorPortState),
                ("partner port state", port.partnerState.map(Int.init), procPort.partnerPortState),
            ]
            for (name, netlink, procValue) in fields where netlink != procValue {
                return
                    "\(port.name) \(name): netlink \(netlink.map(String.init) ?? "none"), /proc \(procValue.map(String.init) ?? "none")"
            }
        }
        return nil
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
                state.roles = [:]
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
                case .process(_, let name):
                    await peers.stop(name)
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

    private func context(namespace: String) throws -> Context {
        guard let context = state.withLock({ state in state.roles[namespace].flatMap { state.contexts[$0] } }) else {
            throw BackendError(operation: "find namespace", object: namespace, detail: "not built (or torn down)")
        }
        return context
    }

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
