public import FailoverModel

/// One problem found in a playbook, with where it was written.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String

    public init(severity: Severity, location: SourceLocation, message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// `file:line:column: error: message`, the form compilers and editors understand; control
    /// characters (in a file name, say) are escaped so it is always one line.
    public var description: String { Self.escaped("\(location): \(severity.rawValue): \(message)") }

    /// `text` on one line: control characters escaped (`String.escapingControlCharacters()`).
    public static func escaped(_ text: String) -> String { text.escapingControlCharacters() }
}

/// A playbook that cannot be used: every error found (and the warnings), in file order.
public struct PlaybookError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    /// The errors only.
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    /// One line per diagnostic.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// A playbook that loaded without errors, and the warnings found on the way.
public struct LoadedPlaybook: Sendable {
    public var playbook: Playbook
    public var warnings: [Diagnostic]

    public init(playbook: Playbook, warnings: [Diagnostic]) {
        self.playbook = playbook
        self.warnings = warnings
    }
}
