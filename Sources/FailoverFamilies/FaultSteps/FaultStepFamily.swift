public import FailoverPlaybook

/// Fault steps: pull, plug, down, up, switch_down, switch_up, blackhole, restore, flap. Decoded
/// in FaultStepDecoding.swift, their references checked on the model there; executed by the
/// backend (`NetworkBackend.perform`), their polarity in the model (`StepAction.faultPolarity`).
public struct FaultStepFamily: Family {
    public init() {}

    public var name: String { "fault_steps" }
    public var stepEntries: [StepEntry] { PlaybookDecoder.faultSteps }
    public var checkers: [any StepChecker] { [PlaybookDecoder.faultStepChecker] }
}
