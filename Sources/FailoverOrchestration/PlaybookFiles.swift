internal import CNetShims
import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Foundation

/// Playbook paths from the command line: files as given, directories searched recursively
/// for `*.yaml` / `*.yml` in name order.
public enum PlaybookFiles {
    public static func expand(_ paths: [String]) throws -> [String] {
        var result: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                // A symlink loop is ELOOP, not "no such file".
                let problem = PlaybookLoader.pathProblem(path) ?? "no such file or directory"
                throw OrchestrationError(.usage, "\(path): \(problem)")
            }
            if isDirectory.boolValue {
                guard let enumerator = manager.enumerator(atPath: path) else {
                    throw OrchestrationError(.usage, "\(path): cannot list directory")
                }
                var found: [String] = []
                for case let relative as String in enumerator
                where relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") {
                    found.append((path as NSString).appendingPathComponent(relative))
                }
                if found.isEmpty {
                    throw OrchestrationError(.usage, "\(path): no playbooks (*.yaml) in this directory")
                }
                result += found.sorted()
            } else {
                result.append(path)
            }
        }
        return result
    }

    /// Loads every playbook, prints every diagnostic (errors and warnings) to stderr, and throws
    /// `OrchestrationError.invalidPlaybook` (exit 65) if any is invalid — before anything touches the system.
    public static func loadAll(_ paths: [String], quietWarnings: Bool = false) throws -> [Playbook] {
        var playbooks: [Playbook] = []
        var errors = 0
        var reported: Set<String> = []
        for path in try expand(paths) {
            do {
                // A `matrix:` playbook gives one playbook per instance.
                for loaded in try PlaybookLoader.loadInstances(
                    contentsOf: path, registry: StandardFamilies.decoding)
                {
                    if !quietWarnings { for warning in loaded.warnings { printError(warning.description) } }
                    // A BPF filter libpcap rejects is a load error too (a matrix template's
                    // filter is reported once, not once per instance).
                    let filterErrors = CaptureFilterCheck.diagnostics(for: loaded.playbook).filter {
                        reported.insert($0.description).inserted
                    }
                    for diagnostic in filterErrors { printError(diagnostic.description) }
                    errors += filterErrors.count
                    playbooks.append(loaded.playbook)
                }
            } catch let error as PlaybookError {
                for diagnostic in error.diagnostics { printError(diagnostic.description) }
                errors += error.diagnostics.filter { $0.severity == .error }.count
            }
        }
        if errors > 0 {
            throw OrchestrationError(.invalidPlaybook, "\(errors) error\(errors == 1 ? "" : "s"); nothing was run")
        }
        return playbooks
    }
}
