public import FailoverCore
public import FailoverModel
public import FailoverPlaybook
import Yams

/// Where a balance-xor / 802.3ad bond puts the flows of a multi-flow probe, judged on captures
/// of the bond's members (declare one per member under `captures:`, on the member or on the
/// switch port facing it). Decided by the capture engine (FailoverCapture's `FlowChecks`).
///
/// ```yaml
/// - expect: {flow_placement: {probe: p, bond: server/bond0}}
/// - expect: {distribution: {probe: p, bond: server/bond0, member: eth0, between: [30%, 70%]}}
/// ```
/// `flow_placement`: every flow (UDP source port) of the probe left on the member the kernel's
/// transmit hash picks (`BondTransmitHash`: the bond's `xmit_hash_policy`, layer2 by default),
/// among `usable` (default: the slaves whose MII status the kernel reports up, in enslave
/// order); a failure lists flow → expected member → actual member. `distribution`: the share of
/// the probe's frames that `member` carried, `between: [low%, high%]` inclusive. Both look at
/// the frames from the last fault (or the start of the captures without a fault) to the check;
/// `after: 1s` starts 1 s after it, `last: 1s` looks at the last second before the check only.
/// No probe frame at all is *errored*.
public struct FlowFamily: Family, AssertionFamily {
    public init() {}

    public var name: String { "flow" }
    public var evaluators: [AssertionFamilyID: any AssertionFamily] { [.flow: self] }

    static let reason =
        "flows: decided once on the frames the members' captures hold (after: / last: skip a transition)"

    public var assertionEntries: [AssertionEntry] {
        [
            AssertionEntry(
                key: "flow_placement", subject: "probe", keys: ["bond", "usable", "after", "last"],
                timing: .once(Self.reason)
            ) {
                Self.decode($0, distribution: false)
            },
            AssertionEntry(
                key: "distribution", subject: "probe", keys: ["bond", "member", "between", "after", "last"],
                timing: .once(Self.reason)
            ) { Self.decode($0, distribution: true) },
            AssertionEntry(key: "flow_loss", subject: "probe", keys: ["bond", "member", "scope"], timing: .probeFigure)
            {
                Self.decodeLoss($0)
            },
        ]
    }

    public var checkers: [any StepChecker] {
        [
            ExpectationCheck { expectation, mark, context in
                let probe: String
                let bond: InterfaceRef
                var members: [String] = []
                switch expectation.assertion {
                case .flowPlacement(let name, let ref, let usable, _):
                    (probe, bond, members) = (name, ref, usable ?? [])
                case .distribution(let name, let ref, let member, _, _): (probe, bond, members) = (name, ref, [member])
                case .flowLoss(let name, let ref, let member, let scope):
                    (probe, bond, members) = (name, ref, [member])
                    if case .lastFault = scope, !context.faultBefore {
                        let at = mark("key")
                        context.error(
                            at, "\(at.path): scope last_fault needs a fault step before this expect (or use scope: run)"
                        )
                    }
                default: return
                }
                _ = context.requireProbe(probe, at: mark("probe"))
                guard let found = context.requireBond(bond, at: mark("bond")) else { return }
                if found.mode != .balanceXOR && found.mode != .ieee8023ad {
                    let at = mark("bond")
                    context.warning(
                        at,
                        "\(at.path): \(bond) is \(found.mode.rawValue); flows are placed by the transmit hash only in "
                            + "balance-xor and 802.3ad, so this check will fail")
                }
                for member in members where !found.slaves.contains(member) {
                    let at = mark("key")
                    context.error(
                        at,
                        "\(at.path): \(member) is not a slave of \(bond); slaves: \(TopologyIndex.list(found.slaves))")
                }
                let captures = context.index.captures
                for slave in found.slaves {
                    let ref = InterfaceRef(host: bond.host, interface: slave)
                    if CaptureSpec.onMember(ref, in: captures) == nil {
                        let at = mark("bond")
                        context.error(
                            at,
                            "\(at.path): no capture on member \(ref) (declare one under captures:, on the interface or "
                                + "on the switch port facing it)")
                    }
                }
            }
        ]
    }

    static func decode(_ input: AssertionInput, distribution: Bool) -> Assertion? {
        let reader = input.reader
        let path = input.path
        guard let probe = reader.string(input.subjectNode, input.subjectPath, expected: "a probe name"),
            let bondNode = input.need("bond"), let bond = reader.ref(bondNode, "\(path).bond")
        else { return nil }
        var window: FlowWindow?
        if input.view.has("after") && input.view.has("last") {
            reader.error(input.view.keyNode("last"), "\(path): give 'after' or 'last', not both")
            return nil
        }
        for key in ["after", "last"] {
            guard let node = input.view[key] else { continue }
            guard let duration = reader.duration(node, "\(path).\(key)") else { return nil }
            window = key == "after" ? .after(duration) : .last(duration)
        }
        if !distribution {
            var usable: [String]?
            if let node = input.view["usable"] {
                guard let items = reader.list(node, "\(path).usable") else { return nil }
                var names: [String] = []
                for (index, item) in items.enumerated() {
                    guard let name = reader.string(item, "\(path).usable[\(index)]", expected: "a slave name") else {
                        return nil
                    }
                    names.append(name)
                }
                usable = names
            }
            return .flowPlacement(probe: probe, bond: bond, usable: usable, window: window)
        }
        guard let memberNode = input.need("member"),
            let member = reader.string(memberNode, "\(path).member", expected: "a slave name"),
            let betweenNode = input.need("between")
        else { return nil }
        guard let bounds = reader.list(betweenNode, "\(path).between", allowSingle: false), bounds.count == 2,
            let low = percent(bounds[0]), let high = percent(bounds[1]), low <= high
        else {
            reader.error(betweenNode, "\(path).between: expected [low%, high%] with 0% ≤ low ≤ high ≤ 100%")
            return nil
        }
        return .distribution(probe: probe, bond: bond, member: member, percent: low...high, window: window)
    }

    /// `flow_loss: {probe: p, bond: server/bond0, member: eth0, scope: last_fault}` (the default scope).
    static func decodeLoss(_ input: AssertionInput) -> Assertion? {
        let reader = input.reader
        let path = input.path
        guard let probe = reader.string(input.subjectNode, input.subjectPath, expected: "a probe name"),
            let bondNode = input.need("bond"), let bond = reader.ref(bondNode, "\(path).bond"),
            let memberNode = input.need("member"),
            let member = reader.string(memberNode, "\(path).member", expected: "a slave name")
        else { return nil }
        var scope = ProbeScope.lastFault
        if let node = input.view["scope"], let text = reader.string(node, "\(path).scope") {
            switch text {
            case "run": scope = .run
            case "last_fault": scope = .lastFault
            default:
                reader.error(node, "\(path).scope: expected run or last_fault, found '\(text)'")
                return nil
            }
        }
        return .flowLoss(probe: probe, bond: bond, member: member, scope: scope)
    }

    /// `flow_loss`: every flow seen on `member` lost packets, every other flow none. `lost`: the
    /// probe's loss per flow; `members`: the members each flow (source port) left on.
    public static func decideLoss(_ lost: [FlowLoss], members: [Int: [String]], member: String) -> (Bool, String) {
        var wrong = 0
        let lines = lost.map { flow -> String in
            let port = flow.sourcePort ?? -1
            let on = members[port] ?? []
            let ok = on.contains(member) ? flow.lost > 0 : (flow.lost == 0 && !on.isEmpty)
            if !ok { wrong += 1 }
            let name = flow.sourcePort.map(String.init) ?? "flow \(flow.flow)"
            let place = on.isEmpty ? "not seen on any member" : "on " + on.joined(separator: " + ")
            return "  flow \(name) \(place): lost \(flow.lost)\(ok ? "" : "  ✗")"
        }
        let hit = lost.filter { $0.lost > 0 }.count
        let onMember = lost.filter { (members[$0.sourcePort ?? -1] ?? []).contains(member) }.count
        let head =
            wrong == 0
            ? "the \(onMember) flows on \(member) lost packets, the \(lost.count - onMember) others none"
            : "\(wrong) of \(lost.count) flows wrong (\(hit) lost packets, \(onMember) left on \(member))"
        return (wrong == 0, head + "; flow → member → lost:\n" + lines.joined(separator: "\n"))
    }

    /// `30%` or `30` (percent), 0…100.
    static func percent(_ node: Node) -> Double? {
        guard let text = node.scalar?.string else { return nil }
        let digits = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let value = Double(digits), (0...100).contains(value) else {
            return nil
        }
        return value
    }

    public func readsTimeline(_ assertion: Assertion) -> Bool { false }

    public func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check {
        guard let captures = sources.captures else {
            return Check(holds: false, actual: "not read", error: "no capture engine here")
        }
        if case .flowLoss(_, _, let member, _) = assertion {
            guard let probes = sources.probes else {
                return Check(holds: false, actual: "not read", error: "no probe engine here")
            }
            let loss = try await probes(assertion)
            let placement = try await captures(assertion)
            if let error = loss.measurementError ?? placement.measurementError {
                return Check(holds: false, actual: loss.actual, error: error)
            }
            guard let lost = loss.flowLoss, let members = placement.flowMembers, !members.isEmpty else {
                return Check(
                    holds: false, actual: "not decided",
                    error: "no probe frame on the members' captures in the scope (\(placement.actual))")
            }
            let (holds, text) = Self.decideLoss(lost, members: members, member: member)
            if !lost.contains(where: { (members[$0.sourcePort ?? -1] ?? []).contains(member) }) {
                return Check(
                    holds: false, actual: text,
                    error: "no flow of the probe left on \(member) in the scope: nothing to judge")
            }
            return Check(holds: holds, actual: text)
        }
        var resolved = assertion
        // The usable slaves the kernel hashes over (bond_update_slave_arr: link up, enslave order).
        if case .flowPlacement(let probe, let bond, nil, let window) = assertion {
            guard let slaves = sources.topology?.bond(at: bond)?.slaves else {
                return Check(holds: false, actual: "not read", error: "no bond \(bond) in the topology")
            }
            var usable: [String] = []
            for slave in slaves {
                let state = try await sources.state(InterfaceRef(host: bond.host, interface: slave))
                if state.slave?.miiStatus == .up { usable.append(slave) }
            }
            resolved = .flowPlacement(probe: probe, bond: bond, usable: usable, window: window)
        }
        let evaluation = try await captures(resolved)
        return Check(
            holds: evaluation.holds, actual: evaluation.actual, error: evaluation.measurementError, at: evaluation.at)
    }

    public func planLook(_ assertion: Assertion, plan: PlanContext) -> String {
        PlanRenderer.comment(
            "(decided on the members' captures: tshark -r captures/<playbook>.pcapng -T fields -e udp.srcport)")
    }
}
