import ArgumentParser
import FailoverOrchestration

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check playbooks without touching the system (no privileges needed).",
        discussion: "Prints every problem as file:line:column. Exit 0 when all are valid, 65 otherwise."
    )

    @Argument(help: "Playbook files or directories.")
    var playbooks: [String]

    func run() throws {
        try ValidateOrchestrator.run(playbooks)
    }
}
