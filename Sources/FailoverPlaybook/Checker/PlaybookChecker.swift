public import FailoverModel

/// What a check sees: the model's lookups and where to report.
public struct CheckContext: Sendable {
    public let index: TopologyIndex
    public var sink: DiagnosticSink
    /// `allow_any_addresses: true`: addresses outside the benchmark ranges are allowed.
    public var allowAnyAddresses: Bool
    /// While a step is checked: a fault step comes before it (scope `last_fault` needs one).
    public var faultBefore = false

    public init(index: TopologyIndex, allowAnyAddresses: Bool = false) {
        self.index = index
        self.sink = DiagnosticSink()
        self.allowAnyAddresses = allowAnyAddresses
    }

    public mutating func error(_ mark: SourceMark, _ message: String) { sink.error(mark.location, message) }
    public mutating func warning(_ mark: SourceMark, _ message: String) { sink.warning(mark.location, message) }
}

/// A check of one step, registered by a step family. `index` is the step's 0-based position.
public protocol StepChecker: Sendable {
    func check(_ step: Step, at index: Int, in context: inout CheckContext)
}

/// A `StepChecker` from a closure.
public struct StepCheck: StepChecker {
    let body: @Sendable (Step, Int, inout CheckContext) -> Void

    public init(_ body: @escaping @Sendable (Step, Int, inout CheckContext) -> Void) { self.body = body }

    public func check(_ step: Step, at index: Int, in context: inout CheckContext) { body(step, index, &context) }
}

/// A check of the members of `expect` steps, registered by an assertion family: `mark(part)`
/// is where the member's part was written (its `marks`), or, for a model built in code, the
/// member's (or its step's) location under the path a playbook would give it.
public struct ExpectationCheck: StepChecker {
    public typealias Mark = (String) -> SourceMark
    let body: @Sendable (Expectation, Mark, inout CheckContext) -> Void

    public init(_ body: @escaping @Sendable (Expectation, Mark, inout CheckContext) -> Void) { self.body = body }

    public func check(_ step: Step, at index: Int, in context: inout CheckContext) {
        guard case .expect(let expectations) = step.action else { return }
        let stepLocation = context.index.location(step.location)
        for expectation in expectations {
            let base = "steps[\(index)].expect.\(expectation.assertion.key)"
            let location = expectation.location ?? stepLocation
            body(
                expectation,
                { part in
                    expectation.marks[part]
                        ?? SourceMark(location: location, path: part == "key" ? base : "\(base).\(part)")
                }, &context)
        }
    }
}

/// The semantic checks of a playbook model, whatever front end produced it (YAML, an importer):
/// names, references, address ranges, mode/option warnings. Reports every problem (not just the
/// first) with the locations the model carries.
public struct PlaybookChecker: Sendable {
    public var stepCheckers: [any StepChecker]
    public var allowAnyAddresses: Bool

    public init(stepCheckers: [any StepChecker] = [], allowAnyAddresses: Bool = false) {
        self.stepCheckers = stepCheckers
        self.allowAnyAddresses = allowAnyAddresses
    }

    /// Every problem found in `playbook`, in the order the checks ran (the loader sorts by location).
    public func check(_ playbook: Playbook) -> [Diagnostic] {
        var context = CheckContext(index: TopologyIndex(playbook), allowAnyAddresses: allowAnyAddresses)
        ObjectChecks.run(&context)
        TopologyChecks.run(&context)
        CarpChecks.run(&context)
        LAGChecks.run(&context)
        CaptureChecks.run(playbook.captures, &context)
        for (index, step) in playbook.steps.enumerated() {
            context.faultBefore = playbook.steps[..<index].contains { $0.action.isFault }
            PlaybookDecoder.controlStepChecker.check(step, at: index, in: &context)
            for checker in stepCheckers { checker.check(step, at: index, in: &context) }
        }
        return context.sink.diagnostics
    }
}
