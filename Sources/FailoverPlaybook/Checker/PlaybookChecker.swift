public import FailoverModel

/// What a check sees: the model's lookups and where to report.
public struct CheckContext: Sendable {
    public let index: TopologyIndex
    public var sink: DiagnosticSink
    /// `allow_any_addresses: true`: addresses outside the benchmark ranges are allowed.
    public var allowAnyAddresses: Bool

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
        for (index, step) in playbook.steps.enumerated() {
            for checker in stepCheckers { checker.check(step, at: index, in: &context) }
        }
        return context.sink.diagnostics
    }
}
