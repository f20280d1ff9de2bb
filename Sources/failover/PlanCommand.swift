import ArgumentParser
import FailoverOrchestration

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print what a run would build and do, as ip/bridge commands a person could paste.",
        discussion: "The run itself uses rtnetlink directly; the commands are the equivalent."
    )

    @Argument(help: "A playbook file.")
    var playbook: String

    @Option(help: "Run id to name namespaces with (6 hex digits).")
    var runID: String = "000000"

    func run() throws {
        guard runID.count == 6, runID.allSatisfy(\.isHexDigit), runID == runID.lowercased() else {
            throw ValidationError("--run-id must be 6 lowercase hex digits")
        }
        try PlanOrchestrator.run(playbook, runID: runID)
    }
}
