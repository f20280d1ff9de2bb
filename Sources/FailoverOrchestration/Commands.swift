import FailoverCore
import FailoverFamilies
import FailoverLinux
import FailoverModel
import Logging

/// `failover validate`: loads every playbook (diagnostics on stderr) and says how many are valid.
public enum ValidateOrchestrator {
    /// - Throws: `OrchestrationError` (`.usage` for a missing path, `.invalidPlaybook` when one is invalid).
    public static func run(_ paths: [String]) throws {
        let loaded = try PlaybookFiles.loadAll(paths)
        printOut("\(loaded.count) playbook\(loaded.count == 1 ? "" : "s") valid\n")
    }
}

/// `failover plan`: prints what a run would build and do, as commands a person could paste.
public enum PlanOrchestrator {
    /// `runID`: 6 lowercase hex digits (the executable checks them).
    /// - Throws: `OrchestrationError` (`.usage`, `.invalidPlaybook`).
    public static func run(_ path: String, runID: String) throws {
        let loaded = try PlaybookFiles.loadAll([path])
        for playbook in loaded {
            printOut(
                PlanRenderer.render(
                    playbook, names: RunNames(runID: runID), families: StandardFamilies.evaluators))
        }
    }
}

/// `failover cleanup`: removes what killed runs left behind, exactly what their owner records list.
public struct CleanupOrchestrator: Sendable {
    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Prints what was removed, left alone and not removed.
    /// - Throws: `OrchestrationError.noPermission` without the privileges, `.environment` when
    ///   something recorded could not be removed.
    public func run() throws {
        if let problem = Privileges.problem() { throw OrchestrationError(.noPermission, problem) }
        let outcome = LeftoverCleanup.run(logger: logger)
        if outcome.removed.isEmpty && outcome.failed.isEmpty {
            printOut("nothing to clean up\n")
        }
        for line in outcome.removed { printOut("removed \(line)\n") }
        for line in outcome.leftAlone { printOut("left alone: \(line)\n") }
        for line in outcome.failed { printOut("not removed: \(line)\n") }
        if !outcome.failed.isEmpty {
            throw OrchestrationError(
                .environment, "cleanup: \(outcome.failed.count) recorded object(s) could not be removed")
        }
    }
}
