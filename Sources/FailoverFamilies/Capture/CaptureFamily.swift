public import FailoverCore
public import FailoverModel
public import FailoverPlaybook
import Yams

/// Frames on the wire, seen by a playbook's `captures:`: `frames` counts frames matching a
/// pattern from the last fault, `first_frame` asks for one within a deadline of the last fault.
/// Decided by the capture engine (FailoverCapture's `FrameChecks`, through `PacketCaptures`) on
/// the frames captured so far; any capture drop or a realtime step is *errored*.
///
/// ```yaml
/// - expect: {frames: {capture: sw1:server-eth1, kind: garp, src_mac: {same_as: server/bond0}, is: 1, within: 1s}}
/// - expect: {first_frame: {capture: sw1/server-eth1, kind: garp, within: 500ms}}
/// ```
/// `capture`: a capture's name, or the port it captures (`sw1:server-eth1` or `sw1/server-eth1`).
/// `kind`: a `FrameKind` (`garp`, `arp_reply`, `unsolicited_na`, `ns`, `lacpdu`, `vrrp`, …);
/// `src_mac`: a literal, `{same_as: host/if}` or `{permanent_of: host/slave}`; `sender_ip`;
/// `override` (true/false, for `na` / `unsolicited_na`): the advertisement's Override flag.
/// `frames` takes one of `is`, `at_least`, `at_most`; its window is `within` after the last fault
/// (without `within`: from the last fault to the start of the step). With `is: N`, `spacing:
/// {gaps: [g1, …], tolerance: t}` also asks that the N matching frames be g1, g2, … apart (each
/// gap within ±t), e.g. the peer notifications of a bond (`num_grat_arp`, `peer_notif_delay`).
public struct CaptureFamily: Family, AssertionFamily {
    public init() {}

    public var name: String { "capture" }
    public var evaluators: [AssertionFamilyID: any AssertionFamily] { [.capture: self] }

    static let reason = "frames on the wire: counted in a window after the last fault (within)"

    public var assertionEntries: [AssertionEntry] {
        [
            AssertionEntry(
                key: "frames", subject: "capture",
                keys: ["kind", "src_mac", "sender_ip", "override", "is", "at_least", "at_most", "spacing"],
                timing: .withinOnly(reason: Self.reason)
            ) { Self.decode($0, first: false) },
            AssertionEntry(
                key: "first_frame", subject: "capture", keys: ["kind", "src_mac", "sender_ip", "override"],
                timing: .withinOnly(reason: Self.reason)
            ) { Self.decode($0, first: true) },
        ]
    }

    public var checkers: [any StepChecker] {
        [
            ExpectationCheck { expectation, mark, context in
                let capture: String
                let match: FrameMatch
                switch expectation.assertion {
                case .frames(let name, let pattern, _, _, _): (capture, match) = (name, pattern)
                case .firstFrame(let name, let pattern, _): (capture, match) = (name, pattern)
                default: return
                }
                let captures = context.index.captures
                if !captures.contains(where: { $0.name == capture || $0.target.label == capture }) {
                    let at = mark("capture")
                    context.error(
                        at,
                        "\(at.path): no capture \(capture) (declare it under captures:); captures: "
                            + TopologyIndex.list(captures.map(\.name)))
                }
                switch match.sourceMAC {
                case .sameAs(let other): context.requireInterface(other, at: mark("src_mac"))
                case .permanentOf(let other): context.requireSlave(other, at: mark("src_mac"), orBond: false)
                case .literal, nil: return
                }
            }
        ]
    }

    static func decode(_ input: AssertionInput, first: Bool) -> Assertion? {
        let reader = input.reader
        let path = input.path
        guard var capture = reader.string(input.subjectNode, input.subjectPath, expected: "a capture name")
        else { return nil }
        // `sw1/server-eth0` names the port as the captures' `port:` does; its label is `sw1:server-eth0`.
        capture = capture.split(separator: "/", omittingEmptySubsequences: false).joined(separator: ":")
        guard input.faultSoFar else {
            reader.error(input.keyNode, "\(path): needs a fault step before it (the window starts at the last fault)")
            return nil
        }
        guard let kindNode = input.need("kind"), let kindText = reader.string(kindNode, "\(path).kind") else {
            return nil
        }
        guard let kind = FrameKind(rawValue: kindText) else {
            reader.error(
                kindNode,
                "\(path).kind: unknown frame kind '\(kindText)'; kinds: "
                    + FrameKind.allCases.map(\.rawValue).joined(separator: ", "))
            return nil
        }
        var match = FrameMatch(kind: kind)
        if let node = input.view["src_mac"] {
            guard let mac = NeighbourFamily.decodeMAC(node, "\(path).src_mac", reader: reader) else { return nil }
            match.sourceMAC = mac
        }
        if let node = input.view["sender_ip"] {
            guard let ip = reader.ipAddress(node, "\(path).sender_ip") else { return nil }
            match.senderIP = ip
        }
        if let node = input.view["override"] {
            guard kind == .na || kind == .unsolicitedNA else {
                reader.error(node, "\(path).override: only for neighbour advertisements (kind na or unsolicited_na)")
                return nil
            }
            guard let flag = reader.bool(node, "\(path).override") else { return nil }
            match.override = flag
        }
        var window: Duration?
        if let node = input.view["within"] {
            guard let duration = reader.duration(node, "\(path).within") else { return nil }
            window = duration
        }
        if first {
            guard let window else {
                reader.error(input.keyNode, "\(path): first_frame needs 'within' (its deadline after the last fault)")
                return nil
            }
            return .firstFrame(capture: capture, match, within: window)
        }
        let given = ["is", "at_least", "at_most"].filter(input.view.has)
        guard given.count == 1, let key = given.first, let node = input.view[key] else {
            reader.error(input.keyNode, "\(path): frames needs exactly one of 'is', 'at_least', 'at_most'")
            return nil
        }
        guard let count = reader.int(node, "\(path).\(key)", range: 0...100_000) else { return nil }
        let comparison: CountComparison =
            switch key {
            case "is": .equals(count)
            case "at_least": .atLeast(count)
            default: .atMost(count)
            }
        var spacing: FrameSpacing?
        if let node = input.view["spacing"] {
            guard case .equals(let expected) = comparison else {
                reader.error(node, "\(path).spacing: needs 'is' (the exact number of frames whose gaps it gives)")
                return nil
            }
            guard let decoded = decodeSpacing(node, "\(path).spacing", frames: expected, reader: reader) else {
                return nil
            }
            spacing = decoded
        }
        return .frames(capture: capture, match, comparison, window: window, spacing: spacing)
    }

    /// `spacing: {gaps: [100ms, 200ms], tolerance: 40ms}`: `frames` − 1 gaps, a tolerance.
    static func decodeSpacing(_ node: Node, _ path: String, frames: Int, reader: NodeReader) -> FrameSpacing? {
        guard let view = reader.mapping(node, path, expected: "a mapping {gaps: [...], tolerance: ...}"),
            reader.checkKeys(view, allowed: ["gaps", "tolerance"], context: path)
        else { return nil }
        guard let gapsNode = view["gaps"], let toleranceNode = view["tolerance"] else {
            reader.error(node, "\(path): needs 'gaps' (a list of durations) and 'tolerance' (a duration)")
            return nil
        }
        guard let items = reader.list(gapsNode, "\(path).gaps") else { return nil }
        var gaps: [Duration] = []
        for (index, item) in items.enumerated() {
            guard let gap = reader.duration(item, "\(path).gaps[\(index)]") else { return nil }
            gaps.append(gap)
        }
        guard gaps.count == frames - 1 else {
            reader.error(
                gapsNode,
                "\(path).gaps: \(frames) frames have \(max(0, frames - 1)) gaps between them, found \(gaps.count)")
            return nil
        }
        guard let tolerance = reader.duration(toleranceNode, "\(path).tolerance") else { return nil }
        return FrameSpacing(gaps: gaps, tolerance: tolerance)
    }

    public func readsTimeline(_ assertion: Assertion) -> Bool { false }

    public func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check {
        guard let captures = sources.captures else {
            return Check(holds: false, actual: "not read", error: "no capture engine here")
        }
        let evaluation = try await captures(assertion)
        return Check(
            holds: evaluation.holds, actual: evaluation.actual, error: evaluation.measurementError, at: evaluation.at)
    }

    public func planLook(_ assertion: Assertion, plan: PlanContext) -> String {
        PlanRenderer.comment("(decided on the pcapng capture: tshark -r captures/<playbook>.pcapng)")
    }
}
