public import FailoverCore
public import FailoverPlaybook

/// The one table of families. The order is the order diagnostics list the keys in: the step
/// keys of the families then the control steps (`hold`, `start_probe`, `stop_probe`, `expect`);
/// the assertion keys of the families. Adding a family is one folder and one line here.
public enum StandardFamilies {
    public static let all: [any Family] = [
        FaultStepFamily(),
        InterfaceStateFamily(),
        ProbeTrafficFamily(),
        BondOptionFamily(),
        NeighbourFamily(),
        CarpPeerFamily(),
        CaptureFamily(),
        FlowFamily(),
        LacpFamily(),
    ]

    /// Given to `PlaybookLoader` (the keys a playbook may use, their decoders and checks).
    public static let decoding: DecodingRegistry = all.decoding

    /// Given to `PlaybookRunner` and `PlanRenderer` (how each assertion is checked and shown).
    public static let evaluators: AssertionFamilies = all.evaluators
}
