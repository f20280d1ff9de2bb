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
            ) { Self.decode($0) }
        ]
    }

    public var checkers: [any StepChecker] {
        [
            ExpectationCheck { expectation, mark, context in
                guard case .neighbour(let host, _, let expected) = expectation.assertion,
                    context.requireHost(host, at: mark("host")) != nil
                else { return }
                switch expected.mac {
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
        guard case .neighbour(let host, let ip, let expected) = assertion else {
            return Check(holds: false, actual: "n/a", error: "\(assertion.key) is not a neighbour assertion")
        }
        guard let read = sources.neighbours else {
            return Check(holds: false, actual: "not read", error: "no neighbour table can be read here")
        }
        let entries = try await read(host).filter { $0.ip == ip }
        guard !entries.isEmpty else { return Check(holds: false, actual: "no entry") }
        var wanted: MACAddress?
        switch expected.mac {
        case nil:
            wanted = nil
        case .literal(let mac):
            wanted = mac
        case .sameAs(let other):
            wanted = try await sources.state(other).mac
            if wanted == nil { return Check(holds: false, actual: "n/a", error: "\(other) has no MAC (missing?)") }
        case .permanentOf(let other):
            let otherState = try await sources.state(other)
            wanted = otherState.slave?.permanentMAC ?? otherState.permanentMAC
            if wanted == nil { return Check(holds: false, actual: "n/a", error: "no permanent MAC known for \(other)") }
        }
        let holds = entries.contains { entry in
            (wanted == nil || entry.mac == wanted)
                && (expected.states.isEmpty ? entry.state.isValid : expected.states.contains(entry.state))
        }
        let seen = entries.map(\.description).joined(separator: "; ")
        return Check(holds: holds, actual: wanted.map { holds ? seen : "\(seen) (wanted lladdr \($0))" } ?? seen)
    }

    public func planLook(_ assertion: Assertion, plan: PlanContext) -> String {
        guard case .neighbour(let host, let ip, _) = assertion else {
            return PlanRenderer.comment("(not a neighbour assertion)")
        }
        return PlanRenderer.command(["ip", "-n", plan.ns(host), "neigh", "show", "to", ip.description])
    }
}
