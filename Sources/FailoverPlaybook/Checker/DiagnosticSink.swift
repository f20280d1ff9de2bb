public import FailoverModel

/// Collects diagnostics in the order they are found; every message is escaped to one line. The
/// same message at the same place is kept once (a `set` step with two options is two steps
/// checked alike).
public struct DiagnosticSink: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public mutating func error(_ location: SourceLocation, _ message: String) {
        add(Diagnostic(severity: .error, location: location, message: Diagnostic.escaped(message)))
    }

    public mutating func warning(_ location: SourceLocation, _ message: String) {
        add(Diagnostic(severity: .warning, location: location, message: Diagnostic.escaped(message)))
    }

    private mutating func add(_ diagnostic: Diagnostic) {
        if !diagnostics.contains(diagnostic) { diagnostics.append(diagnostic) }
    }

    public mutating func append(contentsOf other: [Diagnostic]) { diagnostics += other }
}
