import ArgumentParser
import FailoverOrchestration
import Foundation
import Logging

@main
struct Failover: AsyncParsableCommand {
    static let version = FailoverRelease.version

    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Automated, measured failover tests for Linux bonds, switches and CARP.",
        discussion: """
            Exit codes: 0 all passed; 1 an assertion failed; 64 usage; 65 invalid playbook;
            70 the harness or the environment broke (verdict errored, results not writable);
            77 missing privileges (root, or CAP_NET_ADMIN + CAP_SYS_ADMIN + writable /run/netns, /run/failover).
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
        } catch let error as OrchestrationError {
            end(Failure(code: ExitCodes.forError(error.kind), message: error.message))
        } catch let failure as Failure {
            end(failure)
        } catch {
            // ArgumentParser's own errors (usage, --help, explicit exit codes) keep their codes; any
            // other error that got this far is the environment's or ours: 70 and one line, never
            // 1 (the code of a failed assertion) with a raw error dump.
            if error is ExitCode || exitCode(for: error) != .failure {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data(("failover: " + oneLine(error) + "\n").utf8))
            Foundation.exit(ExitCodes.software)
        }
    }

    /// Exits with the failure's code, after its message (if any) as one line on stderr.
    static func end(_ failure: Failure) -> Never {
        if !failure.message.isEmpty {
            FileHandle.standardError.write(Data(("failover: " + failure.message + "\n").utf8))
        }
        Foundation.exit(failure.code)
    }

    /// An error as one readable line: a Foundation error by its description and file path, not its
    /// `Error Domain=… UserInfo={…}` dump.
    static func oneLine(_ error: any Error) -> String {
        let text: String
        if let error = error as? CocoaError {
            let path = error.filePath ?? error.url?.path
            text = error.localizedDescription + (path.map { " (\($0))" } ?? "")
        } else if type(of: error) is NSError.Type {
            text = (error as NSError).localizedDescription
        } else {
            text = "\(error)"
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
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
