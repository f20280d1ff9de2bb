/// A position in a playbook file, 1-based, as editors show it.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the form compilers and editors understand.
    public var description: String { "\(file):\(line):\(column)" }
}

/// Where one part of a model object was written, and how a diagnostic names that part (for a
/// playbook the YAML key path, `topology.hosts.server.bonds.bond0.slaves[1]`; an importer may
/// use its own, `interfaces:12 bond-slaves`).
public struct SourceMark: Sendable, Hashable, Codable {
    public var location: SourceLocation
    public var path: String

    public init(location: SourceLocation, path: String) {
        self.location = location
        self.path = path
    }
}

/// The marks of an object's parts, by part name (each model type documents its part names).
/// Front ends fill them so the checker can point at what was written; they are never part of a
/// model's equality or hash, so models built in code compare equal to loaded ones.
public struct SourceMarks: Sendable, Hashable, Codable {
    public var marks: [String: SourceMark]

    public init(_ marks: [String: SourceMark] = [:]) { self.marks = marks }

    public subscript(part: String) -> SourceMark? {
        get { marks[part] }
        set { marks[part] = newValue }
    }

    public var isEmpty: Bool { marks.isEmpty }

    public static func == (lhs: SourceMarks, rhs: SourceMarks) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}
