import FailoverModel
import Yams

/// One step kind as a playbook spells it: its key and its decoder. The keys a step may have ARE
/// the keys of the decoder's `DecodingRegistry` (and its control steps): a kind cannot be listed
/// without its decoder.
public struct StepEntry: Sendable {
    public var key: String
    public var decode: @Sendable (PlaybookDecoder, StepInput) -> [StepAction]

    public init(key: String, decode: @escaping @Sendable (PlaybookDecoder, StepInput) -> [StepAction]) {
        self.key = key
        self.decode = decode
    }
}

/// What a step decoder reads: the value under the step's key and where it is.
public struct StepInput {
    public var key: String
    public var value: Node
    public var path: String
    /// A fault step comes before this one (an `expect` with scope last_fault needs one).
    public var faultSoFar: Bool
}

/// One assertion kind as a playbook spells it under `expect`: its key, the sub-key naming its
/// subject, its other sub-keys, how it may be timed, and its decoder. The keys `expect` accepts
/// ARE the assertion keys of the decoder's `DecodingRegistry`: a kind cannot be listed without
/// its decoder, nor decoded without being listed (there is no switch to fall through).
public struct AssertionEntry: Sendable {
    public enum Timing: Sendable {
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

    public var key: String
    /// The sub-key naming what is observed (`bond`, `interface`, `probe`).
    public var subject: String
    /// The other sub-keys, timing keys aside, in the order diagnostics list them.
    public var keys: [String]
    public var timing: Timing
    /// Reports every problem at its node; nil when there was one.
    public var decode: @Sendable (AssertionInput) -> Assertion?

    public init(
        key: String, subject: String, keys: [String], timing: Timing,
        decode: @escaping @Sendable (AssertionInput) -> Assertion?
    ) {
        self.key = key
        self.subject = subject
        self.keys = keys
        self.timing = timing
        self.decode = decode
    }

    /// Every sub-key accepted, in the order diagnostics list them.
    public var allowed: [String] {
        let timingKeys: [String] =
            switch timing {
            case .timeline, .once, .onceWith: PlaybookDecoder.timingKeys
            case .withinOnly: ["within"]
            case .probeFigure: PlaybookDecoder.windowKeys
            }
        return [subject] + keys + timingKeys
    }

    /// Why `not_before`, `throughout` and `never` make no sense on this assertion, if they do not.
    public func notOnTimeline(_ view: MappingView) -> String? {
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
public final class AssertionInput {
    public let decoder: PlaybookDecoder
    public let key: String
    public let keyNode: Node
    public let value: Node
    public let view: MappingView
    public let path: String
    public let subjectNode: Node
    public let subjectPath: String
    public let allowed: [String]
    /// A fault step comes before this expect (scope last_fault needs one).
    public let faultSoFar: Bool
    public var ok = true

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

    public var reader: NodeReader { decoder.reader }

    /// The node of a required sub-key; reports it missing (unless a misspelling of it was reported).
    public func need(_ name: String) -> Node? {
        if let node = view[name] { return node }
        if !reader.misspelled(name, in: view, allowed: allowed) {
            reader.error(value, "\(path): \(key) needs '\(name)'")
        }
        return nil
    }

    /// The subject as `host/interface`.
    public func ref() -> InterfaceRef? { reader.ref(subjectNode, subjectPath) }

    /// `is` / `at_least` / `at_most`: exactly one of them, a count.
    public func comparison() -> CountComparison? { decoder.decodeComparison(view, value, path, key) }
}

/// The families a decoder knows, as a value (FailoverFamilies' `StandardFamilies.decoding`):
/// their step kinds, their assertion kinds (in the order diagnostics list them) and the checks
/// of their steps that `PlaybookChecker` runs on the model. The control steps (`hold`,
/// `start_probe`, `stop_probe`, `expect`) belong to the decoder and follow the families' steps.
public struct DecodingRegistry: Sendable {
    public var steps: [StepEntry]
    public var assertions: [AssertionEntry]
    public var checkers: [any StepChecker]

    public init(steps: [StepEntry], assertions: [AssertionEntry], checkers: [any StepChecker]) {
        self.steps = steps
        self.assertions = assertions
        self.checkers = checkers
    }
}

extension DecodingRegistry {
    /// Every step kind a playbook may use: the families' then the control steps, in the order
    /// diagnostics list them.
    public var allSteps: [StepEntry] { steps + PlaybookDecoder.controlSteps }

    public var stepKeys: [String] { allSteps.map(\.key) }
    public var assertionKeys: [String] { assertions.map(\.key) }

    func stepEntry(_ key: String) -> StepEntry? { allSteps.first { $0.key == key } }
    func assertionEntry(_ key: String) -> AssertionEntry? { assertions.first { $0.key == key } }
}
