import Foundation

/// Why a command of the orchestration layer stopped before (or instead of) an outcome: what went
/// wrong, as one line for the user, and its kind, which the executable maps to an exit status.
public struct OrchestrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds the executable tells apart by exit status.
    public enum Kind: Sendable, Equatable {
        /// Bad command line or paths (a missing file, a command not on PATH).
        case usage
        /// A playbook is invalid: nothing was built (every diagnostic is already on stderr).
        case invalidPlaybook
        /// Missing privileges (root, or the capabilities and directories a run needs).
        case noPermission
        /// The results directory or a report file could not be opened or written.
        case results
        /// The harness or the environment broke: a kernel lab that cannot start, a signal handler
        /// that cannot be installed, a cleanup that left something behind.
        case environment
        /// A SIGINT/SIGTERM stopped the run (its report, when one was written, marks what did not finish).
        case interrupted
    }

    public var kind: Kind
    /// One line, without the `failover: ` prefix.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// The version of failover, recorded in every run record.
public enum FailoverRelease {
    public static let version = "0.1.0"
}

/// Writes one line (a newline is added) to stderr: diagnostics and progress.
public func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes `text` as is to stdout: results.
public func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
