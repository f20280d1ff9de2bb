public import FailoverCore
public import FailoverModel
public import FailoverPlaybook

/// One family of steps and assertions, in one place: how a playbook spells its kinds (decoding
/// entries: keys, value types, diagnostics), the checks of its steps on the model, and the
/// evaluator of its assertions (which also gives their plan text). Each family is a folder of
/// this module; `StandardFamilies` (Registry.swift) is the one table listing them.
public protocol Family: Sendable {
    /// The family's name, as documentation and tests call it.
    var name: String { get }
    /// Its step kinds, in the order diagnostics list them.
    var stepEntries: [StepEntry] { get }
    /// Its assertion kinds, in the order diagnostics list them.
    var assertionEntries: [AssertionEntry] { get }
    /// The checks of its steps, run by `PlaybookChecker` on the model.
    var checkers: [any StepChecker] { get }
    /// The evaluators of its assertions, by the model's family name (`Assertion.family`).
    var evaluators: [AssertionFamilyID: any AssertionFamily] { get }
}

extension Family {
    public var stepEntries: [StepEntry] { [] }
    public var assertionEntries: [AssertionEntry] { [] }
    public var checkers: [any StepChecker] { [] }
    public var evaluators: [AssertionFamilyID: any AssertionFamily] { [:] }
}

extension Sequence<any Family> {
    /// What the YAML layer needs of these families: their step and assertion kinds and checks.
    public var decoding: DecodingRegistry {
        DecodingRegistry(
            steps: flatMap(\.stepEntries), assertions: flatMap(\.assertionEntries), checkers: flatMap(\.checkers))
    }

    /// What Core needs of these families: their evaluators (a name given twice keeps the first).
    public var evaluators: AssertionFamilies {
        AssertionFamilies(reduce(into: [:]) { table, family in table.merge(family.evaluators) { first, _ in first } })
    }
}
