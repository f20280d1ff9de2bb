import FailoverModel
import Foundation
import Yams

/// Loads playbooks strictly: every unknown key, bad value and dangling reference is reported with
/// its `file:line:column`, all at once; nothing half-valid is returned.
public enum PlaybookLoader {
    /// Reads and loads the playbook at `path`.
    /// - Throws: `PlaybookError` with every error (and warning) found; a missing or unreadable
    ///   file is one error at `path:1:1`.
    public static func load(contentsOf path: String) throws -> LoadedPlaybook {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            text = String(decoding: data, as: UTF8.self)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "cannot read the file"
            throw PlaybookError(diagnostics: [
                Diagnostic(
                    severity: .error, location: SourceLocation(file: path, line: 1, column: 1),
                    message: "cannot read playbook: \(reason)")
            ])
        }
        return try load(yaml: text, file: path)
    }

    /// Loads a playbook from YAML text; `file` is used in locations.
    /// - Throws: `PlaybookError` with every error (and warning) found.
    public static func load(yaml: String, file: String) throws -> LoadedPlaybook {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw PlaybookError(diagnostics: [diagnostic(for: error, file: file)])
        } catch {
            throw PlaybookError(diagnostics: [
                Diagnostic(
                    severity: .error, location: SourceLocation(file: file, line: 1, column: 1),
                    message: "cannot parse YAML: \(error)")
            ])
        }
        guard let root else {
            throw PlaybookError(diagnostics: [
                Diagnostic(
                    severity: .error, location: SourceLocation(file: file, line: 1, column: 1),
                    message: "empty playbook: expected a mapping with name, topology and steps")
            ])
        }
        let decoder = PlaybookDecoder(file: file)
        let playbook = decoder.decode(root)
        let diagnostics = decoder.reader.diagnostics.sorted { lhs, rhs in
            (lhs.location.line, lhs.location.column) < (rhs.location.line, rhs.location.column)
        }
        guard let playbook, !decoder.reader.hasErrors else { throw PlaybookError(diagnostics: diagnostics) }
        return LoadedPlaybook(playbook: playbook, warnings: diagnostics)
    }

    static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        func at(_ mark: Mark, _ message: String) -> Diagnostic {
            Diagnostic(
                severity: .error,
                location: SourceLocation(file: file, line: max(1, mark.line), column: max(1, mark.column)),
                message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) (\($0.text) at \($0.mark))" } ?? problem
            return at(mark, "YAML syntax error: \(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return at(context.mark, "duplicate key \(keys) in the same mapping")
        default:
            return Diagnostic(
                severity: .error, location: SourceLocation(file: file, line: 1, column: 1),
                message: "YAML error: \(error)")
        }
    }
}
