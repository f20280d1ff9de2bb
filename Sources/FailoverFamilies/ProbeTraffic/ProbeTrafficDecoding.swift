import FailoverModel
import FailoverPlaybook
import Yams

/// The probe traffic family: figures a probe measured over a scope (the whole run or the last
/// fault's window). Evaluated by FailoverProbe (ProbeAnalysis+Assertions.swift) through
/// `TrafficProbes`.
extension PlaybookDecoder {
    static let probeTrafficAssertions: [AssertionEntry] = [
        AssertionEntry(
            key: "loss", subject: "probe", keys: ["is", "at_least", "at_most", "scope"], timing: .probeFigure
        ) { input in
            guard let (name, scope) = input.decoder.decodeProbeSubject(input), let comparison = input.comparison()
            else { return nil }
            return .loss(probe: name, scope, comparison)
        },
        AssertionEntry(key: "no_loss", subject: "probe", keys: ["scope"], timing: .probeFigure) { input in
            guard let (name, scope) = input.decoder.decodeProbeSubject(input) else { return nil }
            return .loss(probe: name, scope, .equals(0))
        },
        AssertionEntry(key: "outage", subject: "probe", keys: ["at_most", "method", "scope"], timing: .probeFigure) {
            $0.decoder.decodeOutage($0)
        },
        AssertionEntry(
            key: "reordered", subject: "probe", keys: ["is", "at_least", "at_most", "scope"], timing: .probeFigure
        ) { input in
            guard let (name, scope) = input.decoder.decodeProbeSubject(input), let comparison = input.comparison()
            else { return nil }
            return .reordered(probe: name, scope, comparison)
        },
    ]

    /// The probe and the scope (`last_fault` by default; the checker wants a fault before it).
    func decodeProbeSubject(_ input: AssertionInput) -> (String, ProbeScope)? {
        let path = input.path
        guard let name = reader.string(input.subjectNode, "\(path).probe", expected: "a probe name") else {
            return nil
        }
        var scope = ProbeScope.lastFault
        if let node = input.view["scope"], let text = reader.string(node, "\(path).scope") {
            switch text {
            case "run": scope = .run
            case "last_fault": scope = .lastFault
            default:
                reader.error(node, "\(path).scope: expected run or last_fault, found '\(text)'")
                input.ok = false
            }
        }
        return (name, scope)
    }

    func decodeOutage(_ input: AssertionInput) -> Assertion? {
        let path = input.path
        guard let (name, scope) = decodeProbeSubject(input) else { return nil }
        var method = OutageMethod.timestamp
        if let node = input.view["method"], let text = reader.string(node, "\(path).method") {
            if let parsed = OutageMethod(rawValue: text) {
                method = parsed
            } else {
                reader.error(node, "\(path).method: expected timestamp or loss, found '\(text)'")
                input.ok = false
            }
        }
        guard let node = input.need("at_most"), let limit = reader.duration(node, "\(path).at_most") else {
            return nil
        }
        return .outage(probe: name, scope, method, atMost: limit)
    }

    /// The references of the family's assertions, on the model: the probe is declared, and
    /// scope `last_fault` has a fault step before it.
    static let probeTrafficChecker = ExpectationCheck { expectation, mark, context in
        switch expectation.assertion {
        case .loss(let name, let scope, _), .outage(let name, let scope, _, _), .reordered(let name, let scope, _):
            guard context.requireProbe(name, at: mark("probe")) != nil else { return }
            if case .lastFault = scope, !context.faultBefore {
                // At `scope` when written (the default is written nowhere: at the assertion's key).
                let path = mark("key").path
                let at = SourceMark(location: (expectation.marks["scope"] ?? mark("key")).location, path: path)
                context.error(at, "\(path): scope last_fault needs a fault step before this expect (or use scope: run)")
            }
        default:
            return
        }
    }
}
