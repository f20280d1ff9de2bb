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

    /// `text` with C0/C1 control characters, DEL and line/paragraph separators written as
    /// `\n`, `\t`, `\r`, `\0` or `\u{XX}`; everything else (backslashes included) as is.
    public static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: result += "\\n"
            case 0x09: result += "\\t"
            case 0x0D: result += "\\r"
            case 0x00: result += "\\0"
            case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029:
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
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
