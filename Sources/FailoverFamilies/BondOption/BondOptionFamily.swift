public import FailoverCore
public import FailoverModel
public import FailoverPlaybook

/// Bond options: `option` asserts the value the kernel reports (netlink IFLA_BOND_*) in the
/// spelling `set` uses. Polled from the kernel (observations do not carry options). Decoded in
/// BondOptionDecoding.swift with the `set` step.
public struct BondOptionFamily: Family, AssertionFamily {
    public init() {}

    public var name: String { "bond_option" }
    public var stepEntries: [StepEntry] { PlaybookDecoder.bondOptionSteps }
    public var assertionEntries: [AssertionEntry] { PlaybookDecoder.bondOptionAssertions }
    public var checkers: [any StepChecker] { [PlaybookDecoder.setStepChecker, PlaybookDecoder.optionChecker] }
    public var evaluators: [AssertionFamilyID: any AssertionFamily] { [.bondOption: self] }

    public func readsTimeline(_ assertion: Assertion) -> Bool { false }

    public func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check {
        guard case .option(let bond, let name, let expected) = assertion else {
            return Check(holds: false, actual: "n/a", error: "\(assertion.key) is not a bond option assertion")
        }
        let current = try await sources.state(bond)
        guard current.exists else { return Check(holds: false, actual: "\(bond) does not exist") }
        guard let bondState = current.bond else {
            return Check(holds: false, actual: "not a bond", error: "\(bond) is not a bond")
        }
        guard let value = bondState.options[name] else {
            return Check(
                holds: false, actual: "not reported",
                error: "the kernel did not report option \(name) of \(bond) (not in this kernel's netlink reply)")
        }
        return Check(holds: value == expected, actual: value.isEmpty ? "\"\"" : value)
    }

    public func planLook(_ assertion: Assertion, plan: PlanContext) -> String {
        guard let ref = assertion.interface else { return PlanRenderer.comment("(not a bond option assertion)") }
        return PlanRenderer.command(["ip", "-d", "-n", plan.ns(ref.host), "link", "show", ref.interface])
    }
}
