import ArgumentParser
import FailoverOrchestration

struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove what a killed run left behind: exactly what its owner record lists.",
        discussion: """
            Idempotent. Acts only on the owner records in /run/failover/owners of runs whose process is
            dead: ends their recorded helper processes (tcpdump, qemu; only when PID and start time still
            match), deletes their recorded namespaces, temporary files and directories. Anything else that
            looks like a run's (a fo<6 hex>-* namespace, a failover-vm-* directory no record lists) is
            listed as left alone, never touched. Exit 0; 70 when something recorded could not be removed.
            """
    )

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        try CleanupOrchestrator(logger: logging.bootstrap()).run()
    }
}
