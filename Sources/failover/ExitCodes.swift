import FailoverModel
import FailoverOrchestration

/// Every exit status of `failover`, in one place (sysexits.h numbers).
enum ExitCodes {
    /// All assertions passed.
    static let passed: Int32 = 0
    /// At least one assertion failed (and nothing errored).
    static let failed: Int32 = 1
    /// Bad command line (ArgumentParser's own default).
    static let usage: Int32 = 64
    /// A playbook is invalid: nothing was built.
    static let invalidPlaybook: Int32 = 65
    /// The harness or the environment broke (verdict errored), or a kernel cannot run the playbook.
    static let software: Int32 = 70
    /// Missing privileges (root or CAP_NET_ADMIN needed).
    static let noPermission: Int32 = 77

    static func forVerdict(_ verdict: Verdict) -> Int32 {
        switch verdict {
        case .passed, .skipped: passed
        case .failed: failed
        case .errored: software
        }
    }

    static func forOutcome(_ outcome: RunOutcome) -> Int32 {
        switch outcome {
        case .finished(let verdict): forVerdict(verdict)
        case .guestRecordWritten: passed
        }
    }

    static func forError(_ kind: OrchestrationError.Kind) -> Int32 {
        switch kind {
        case .usage: usage
        case .invalidPlaybook: invalidPlaybook
        case .noPermission: noPermission
        case .results, .environment, .interrupted: software
        }
    }
}

/// Ends the command with a one-line message on stderr and an exit status.
struct Failure: Error, CustomStringConvertible {
    var code: Int32
    var message: String

    var description: String { message }
}

func fail(_ code: Int32, _ message: String) -> Failure { Failure(code: code, message: message) }
