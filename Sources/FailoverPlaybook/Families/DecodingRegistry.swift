import FailoverModel
import Yams

/// One step kind as a playbook spells it: its key and its decoder. The keys a step may have ARE
/// the keys of `PlaybookDecoder.stepRegistry`: a kind cannot be listed without its decoder.
struct StepEntry: Sendable {
    var key: String
    var decode: @Sendable (PlaybookDecoder, StepInput) -> [StepAction]
}

/// What a step decoder reads: the value under the step's key and where it is.
struct StepInput {
    var key: String
    var value: Node
    var path: String
    /// A fault step comes before this one (an `expect` with scope last_fault needs one).
    var faultSoFar: Bool
}

/// One assertion kind as a playbook spells it under `expect`: its key, the sub-key naming its
/// subject, its other sub-keys, how it may be timed, and its decoder. The keys `expect` accepts
/// ARE the keys of `PlaybookDecoder.assertionRegistry`: a kind cannot be listed without its
/// decoder, nor decoded without being listed (there is no switch to fall through).
struct AssertionEntry: Sendable {
    enum Timing: Sendable {
        /// On the observation timeline: `within` (or `auto`), `not_before`, `throughout`, `never`.
        case timeline
        /// A static property checked once: the window keys are refused with this reason.
        case once(String)
        /// On the timeline, but checked once (for this reason) when `key` is given.
        case onceWith(key: String, reason: String)
        /// Polled until `within`, nothing else; the reason refuses the window keys.
        case withinOnly(reason: String)
        /// A probe figure over a scope: no timing; the window keys are accepted only to explain why.
        case probeFigure
    }

    var key: String
    /// The sub-key naming what is observed (`bond`, `interface`, `probe`).
    var subject: String
    /// The other sub-keys, timing keys aside, in the order diagnostics list them.
    var keys: [String]
    var timing: Timing
    /// Reports every problem at its node; nil when there was one.
    var decode: @Sendable (AssertionInput) -> Assertion?

    /// Every sub-key accepted, in the order diagnostics list them.
    var allowed: [String] {
        let timingKeys: [String] =
            switch timing {
            case .timeline, .once, .onceWith: PlaybookDecoder.timingKeys
            case .withinOnly: ["within"]
            case .probeFigure: PlaybookDecoder.windowKeys
            }
        return [subject] + keys + timingKeys
    }

    /// Why `not_before`, `throughout` and `never` make no sense on this assertion, if they do not.
    func notOnTimeline(_ view: MappingView) -> String? {
        switch timing {
        case .timeline: nil
        case .once(let reason): reason
        case .onceWith(let key, let reason): view.has(key) ? reason : nil
        case .withinOnly(let reason): reason
        case .probeFigure: "\(key): probe figures are measured over a scope, not on a timeline"
        }
    }
}

/// What an assertion decoder reads: its mapping, its subject and where they are. `ok` turns
/// false once a problem was reported (the assertion is then dropped after all are reported).
final class AssertionInput {
    let decoder: PlaybookDecoder
    let key: String
    let keyNode: Node
    let value: Node
    let view: MappingView
    let path: String
    let subjectNode: Node
    let subjectPath: String
    let allowed: [String]
    /// A fault step comes before this expect (scope last_fault needs one).
    let faultSoFar: Bool
    var ok = true

    init(
        decoder: PlaybookDecoder, entry: AssertionEntry, keyNode: Node, value: Node, view: MappingView, path: String,
        subjectNode: Node, faultSoFar: Bool
    ) {
        self.decoder = decoder
        self.key = entry.key
        self.keyNode = keyNode
        self.value = value
        self.view = view
        self.path = path
        self.subjectNode = subjectNode
        self.subjectPath = "\(path).\(entry.subject)"
        self.allowed = entry.allowed
        self.faultSoFar = faultSoFar
    }

    var reader: NodeReader { decoder.reader }

    /// The node of a required sub-key; reports it missing (unless a misspelling of it was reported).
    func need(_ name: String) -> Node? {
        if let node = view[name] { return node }
        if !reader.misspelled(name, in: view, allowed: allowed) {
            reader.error(value, "\(path): \(key) needs '\(name)'")
        }
        return nil
    }

    /// The subject as `host/interface`.
    func ref() -> InterfaceRef? { reader.ref(subjectNode, subjectPath) }

    /// `is` / `at_least` / `at_most`: exactly one of them, a count.
    func comparison() -> CountComparison? { decoder.decodeComparison(view, value, path, key) }
}

extension PlaybookDecoder {
    /// Every step kind, by family; the order is the one diagnostics list them in.
    static let stepRegistry: [StepEntry] = faultSteps + bondOptionSteps + controlSteps

    /// Every assertion kind, by family; the order is the one diagnostics list them in.
    static let assertionRegistry: [AssertionEntry] =
        interfaceStateAssertions + probeTrafficAssertions + bondOptionAssertions

    /// The semantic checks of the step families, run on the model by `PlaybookChecker`.
    static let stepCheckers: [any StepChecker] = [faultStepChecker]

    static let stepKeys = stepRegistry.map(\.key)
    static let assertionKeys = assertionRegistry.map(\.key)

    static func stepEntry(_ key: String) -> StepEntry? { stepRegistry.first { $0.key == key } }
    static func assertionEntry(_ key: String) -> AssertionEntry? { assertionRegistry.first { $0.key == key } }
}
