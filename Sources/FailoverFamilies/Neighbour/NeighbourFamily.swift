public import FailoverCore
public import FailoverModel
public import FailoverPlaybook
import Yams

/// Neighbour tables: `neighbour` asserts a host's ARP / NDP cache entry for an IP (its MAC and
/// state), read from the kernel (RTM_GETNEIGH in the host's namespace) and polled until `within`.
/// What a client believes after a failover: an entry still pointing at a MAC that no longer
/// answers is the failure users meet (a missing or wrong gratuitous ARP / unsolicited NA).
///
/// ```yaml
/// - expect: {neighbour: {host: client, ip: 198.18.0.1, mac: {same_as: server/bond0}, state: [reachable, stale], within: 2s}}
/// ```
/// `mac`: a literal, `{same_as: host/if}` (that interface's current MAC) or
/// `{permanent_of: host/slave}`; omitted: any. `state`: one state or a list (`ip neigh` names);
/// omitted: any state holding an address (not incomplete, failed or none). No entry for the IP
/// fails with "no entry"; a host whose table cannot be read is errored.
public struct NeighbourFamily: Family, AssertionFamily {
    public init() {}

    public var name: String { "neighbour" }
    public var evaluators: [AssertionFamilyID: any AssertionFamily] { [.neighbour: self] }

    public var assertionEntries: [AssertionEntry] {
        [
            AssertionEntry(
                key: "neighbour", subject: "host", keys: ["ip", "mac", "state"],
                timing: .withinOnly(reason: "neighbour: read from the kernel's neighbour table, polled until within")
            ) { Self.decode($0) },
            AssertionEntry(
                key: "fdb", subject: "switch", keys: ["mac", "port"],
                timing: .withinOnly(reason: "fdb: read from the bridge's forwarding database, polled until within")
            ) { Self.decodeFDB($0) },
        ]
    }

    public var checkers: [any StepChecker] {
        [
            ExpectationCheck { expectation, mark, context in
                let mac: MACExpectation?
                switch expectation.assertion {
                case .neighbour(let host, _, let expected):
                    guard context.requireHost(host, at: mark("host")) != nil else { return }
                    mac = expected.mac
                case .fdb(let name, let expected, let port):
                    guard context.requireSwitch(name, at: mark("switch")) != nil,
                        let cable = context.requireCableEnd(port, at: mark("port"))
                    else { return }
                    guard case .switch(let far) = cable.b, far == name else {
                        let at = mark("port")
                        context.error(at, "\(at.path): \(port) is not cabled to switch \(name) (its cable: \(cable))")
                        return
                    }
                    mac = expected
                default:
                    return
                }
                switch mac {
                case .sameAs(let other): context.requireInterface(other, at: mark("mac"))
                case .permanentOf(let other): context.requireSlave(other, at: mark("mac"), orBond: false)
                case .literal, nil: return
                }
            }
        ]
    }

    static func decode(_ input: AssertionInput) -> Assertion? {
        let reader = input.reader
        let path = input.path
        guard let host = reader.string(input.subjectNode, input.subjectPath, expected: "a host name"),
            let ipNode = input.need("ip"), let ip = reader.ipAddress(ipNode, "\(path).ip")
        else { return nil }
        var mac: MACExpectation?
        if let node = input.view["mac"] {
            guard let decoded = decodeMAC(node, "\(path).mac", reader: reader) else { return nil }
            mac = decoded
        }
        var states: [NeighbourState] = []
        if let node = input.view["state"] {
            let statePath = "\(path).state"
            let nodes: [Node] = node.sequence.map(Array.init) ?? [node]
            for item in nodes {
                guard let text = reader.string(item, statePath, expected: "a neighbour state") else { return nil }
                guard let state = NeighbourState(rawValue: text) else {
                    reader.error(
                        item,
                        "\(statePath): unknown neighbour state '\(text)'; states: "
                            + NeighbourState.allCases.map(\.rawValue).joined(separator: ", "))
                    return nil
                }
                states.append(state)
            }
        }
        return .neighbour(host: host, ip: ip, expected: NeighbourExpectation(mac: mac, states: states))
    }

    /// `fdb: {switch: sw1, mac: MAC | {same_as} | {permanent_of}, port: host/if}`.
    static func decodeFDB(_ input: AssertionInput) -> Assertion? {
        let reader = input.reader
        guard let name = reader.string(input.subjectNode, input.subjectPath, expected: "a switch name"),
            let macNode = input.need("mac"), let mac = decodeMAC(macNode, "\(input.path).mac", reader: reader),
            let portNode = input.need("port"), let port = reader.ref(portNode, "\(input.path).port")
        else { return nil }
        return .fdb(switch: name, mac: mac, port: port)
    }

    /// A literal MAC, `{same_as: host/if}` or `{permanent_of: host/slave}`.
    static func decodeMAC(_ node: Node, _ path: String, reader: NodeReader) -> MACExpectation? {
        guard node.mapping != nil else { return reader.mac(node, path).map(MACExpectation.literal) }
        guard let view = reader.mapping(node, path) else { return nil }
        let given = ["same_as", "permanent_of"].filter(view.has)
        for entry in view.entries where !["same_as", "permanent_of"].contains(entry.key) {
            reader.error(
                entry.keyNode,
                NodeReader.unknownKeyMessage(entry.key, allowed: ["same_as", "permanent_of"], context: "mac"))
            return nil
        }
        guard given.count == 1, let key = given.first, let value = view[key] else {
            reader.error(node, "\(path): a MAC, or exactly one of 'same_as', 'permanent_of'")
            return nil
        }
        guard let ref = reader.ref(value, "\(path).\(key)") else { return nil }
        return key == "same_as" ? .sameAs(ref) : .permanentOf(ref)
    }

    public func readsTimeline(_ assertion: Assertion) -> Bool { false }

    public func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check {
        if case .fdb(let name, let mac, let port) = assertion {
            return try await checkFDB(name, mac, port, sources: sources)
        }
        guard case .neighbour(let host, let ip, let expected) = assertion else {
            return Check(holds: false, actual: "n/a", error: "\(assertion.key) is not a neighbour assertion")
        }
        guard let read = sources.neighbours else {
            return Check(holds: false, actual: "not read", error: "no neighbour table can be read here")
        }
        let entries = try await read(host).filter { $0.ip == ip }
        guard !entries.isEmpty else { return Check(holds: false, actual: "no entry") }
        var wanted: MACAddress?
        if let mac = expected.mac {
            switch try await Self.resolve(mac, sources: sources) {
            case .success(let found): wanted = found
            case .failure(let problem): return problem.check
            }
        }
        let holds = entries.contains { entry in
            (wanted == nil || entry.mac == wanted)
                && (expected.states.isEmpty ? entry.state.isValid : expected.states.contains(entry.state))
        }
        let seen = entries.map(\.description).joined(separator: "; ")
        return Check(holds: holds, actual: wanted.map { holds ? seen : "\(seen) (wanted lladdr \($0))" } ?? seen)
    }

    /// Why a MAC expectation could not be resolved: the check is errored.
    struct Unresolved: Error {
        var check: Check
    }

    /// The MAC `expected` names, read now (`same_as`: the interface's current MAC; `permanent_of`:
    /// the slave's permanent MAC).
    static func resolve(_ expected: MACExpectation, sources: AssertionSources) async throws -> Result<
        MACAddress, Unresolved
    > {
        switch expected {
        case .literal(let mac):
            return .success(mac)
        case .sameAs(let other):
            guard let mac = try await sources.state(other).mac else {
                return .failure(
                    Unresolved(check: Check(holds: false, actual: "n/a", error: "\(other) has no MAC (missing?)")))
            }
            return .success(mac)
        case .permanentOf(let other):
            let otherState = try await sources.state(other)
            guard let mac = otherState.slave?.permanentMAC ?? otherState.permanentMAC else {
                return .failure(
                    Unresolved(check: Check(holds: false, actual: "n/a", error: "no permanent MAC known for \(other)")))
            }
            return .success(mac)
        }
    }

    /// The switch has learned `mac` on the port facing `port`; the message lists where it is instead.
    func checkFDB(_ name: String, _ mac: MACExpectation, _ port: InterfaceRef, sources: AssertionSources) async throws
        -> Check
    {
        guard let read = sources.forwarding, let topology = sources.topology else {
            return Check(holds: false, actual: "not read", error: "no forwarding table can be read here")
        }
        guard let portName = RunNames.switchPortNames(topology)[port] else {
            return Check(holds: false, actual: "n/a", error: "\(port) has no port on switch \(name)")
        }
        let wanted: MACAddress
        switch try await Self.resolve(mac, sources: sources) {
        case .success(let found): wanted = found
        case .failure(let problem): return problem.check
        }
        let entries = try await read(name).filter { $0.mac == wanted }
        guard !entries.isEmpty else { return Check(holds: false, actual: "\(wanted) not learned") }
        let holds = entries.contains { $0.port == portName }
        let seen = entries.map(\.description).joined(separator: "; ")
        return Check(holds: holds, actual: holds ? seen : "\(seen) (wanted on \(portName))")
    }

    public func planLook(_ assertion: Assertion, plan: PlanContext) -> String {
        if case .fdb(let name, _, _) = assertion {
            return PlanRenderer.command(["bridge", "-n", plan.ns(name), "fdb", "show"])
        }
        guard case .neighbour(let host, let ip, _) = assertion else {
            return PlanRenderer.comment("(not a neighbour assertion)")
        }
        return PlanRenderer.command(["ip", "-n", plan.ns(host), "neigh", "show", "to", ip.description])
    }
}
