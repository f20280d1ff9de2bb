import ArgumentParser
internal import CNetShims
import FailoverModel
import Foundation
import Logging

@main
struct Failover: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Automated, measured failover tests for Linux bonds, switches and CARP.",
        discussion: """
            Exit codes: 0 all passed; 1 an assertion failed; 64 usage; 65 invalid playbook;
            70 the harness or the environment broke (verdict errored); 77 missing privileges.
            """,
        version: version,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, RunCommand.self, CleanupCommand.self, LabExecCommand.self,
        ]
    )

    /// Runs the command; maps our failures to exit codes and one clear stderr line.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let failure as Failure {
            if !failure.message.isEmpty {
                FileHandle.standardError.write(Data(("failover: " + failure.message + "\n").utf8))
            }
            Foundation.exit(failure.code)
        } catch {
            exit(withError: error)
        }
    }
}

struct LoggingOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "More log output (debug).")
    var verbose = false

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "notice"

    func bootstrap() throws -> Logger {
        guard var level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level '\(logLevel)'")
        }
        if verbose && level > .debug { level = .debug }
        let chosen = level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = chosen
            return handler
        }
        var logger = Logger(label: "failover")
        logger.logLevel = chosen
        return logger
    }
}
