import FailoverCore
import FailoverModel

extension NetworkBackend {
    /// Builds `playbook` through its run plan (as the runner does).
    func build(_ playbook: Playbook, names: RunNames, log: ObservationLog) async throws {
        try await build(RunPlanCompiler.compile(playbook, names: names), log: log)
    }

    /// Performs the operations the plan lists for the fault step `action` of `playbook`.
    func perform(_ action: StepAction, in playbook: Playbook, names: RunNames) async throws -> MonotonicInstant {
        try await perform(RunPlanCompiler.operations(for: action, in: playbook.topology, names: names))
    }
}
