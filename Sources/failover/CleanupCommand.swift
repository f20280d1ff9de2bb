import ArgumentParser
import FailoverLinux

struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove what a crashed or killed run left behind (namespaces fo<6 hex>-*, their processes).",
        discussion: "Idempotent. Touches only namespaces named by failover runs."
    )

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.bootstrap()
        if let problem = Privileges.problem() { throw fail(ExitCodes.noPermission, problem) }
        let removed = LeftoverCleanup.removeAll(logger: logger)
        if removed.isEmpty {
            printOut("nothing to clean up\n")
        } else {
            for line in removed { printOut("removed \(line)\n") }
        }
    }
}
