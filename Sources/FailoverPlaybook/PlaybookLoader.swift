import FailoverModel
import Yams

/// Loads playbooks strictly: every unknown key, bad value and dangling reference is reported with
/// its `file:line:column`, all at once; nothing half-valid is returned.
public enum PlaybookLoader {
    /// Reads and loads the playbook at `path`.
    /// - Throws: `PlaybookError` with every error (and warning) found; a file that cannot be
    ///   read (missing, a symlink loop, not a regular file, …) is one error at `path:1:1`, text
    ///   that is not UTF-8 one error at the first bad byte.
    /// `registry`: the families whose steps and assertions the playbook may use.
    public static func load(contentsOf path: String, registry: DecodingRegistry) throws -> LoadedPlaybook {
        try single(loadInstances(contentsOf: path, registry: registry), file: path)
    }

    /// Reads the playbook at `path` and loads every instance of it: one for a plain playbook,
    /// one per combination of its `matrix:` (in matrix order).
    /// - Throws: `PlaybookError` as `load(contentsOf:)`; for a matrix, every instance's
    ///   diagnostics, each message starting with the instance (`[mode=balance-xor] …`).
    public static func loadInstances(contentsOf path: String, registry: DecodingRegistry) throws -> [LoadedPlaybook] {
        var bytes: [UInt8]
        switch PlaybookFileReader.contents(of: path) {
        case .success(let contents): bytes = contents
        case .failure(let problem):
            throw PlaybookError(diagnostics: [
                Diagnostic(
                    severity: .error, location: SourceLocation(file: path, line: 1, column: 1),
                    message: "cannot read playbook: \(problem.message)")
            ])
        }
        // A UTF-8 byte order mark is no text (libyaml, told the encoding, would read it as a column).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let offset = firstInvalidUTF8(bytes) {
            let byte = String(bytes[offset], radix: 16, uppercase: true)
            throw PlaybookError(diagnostics: [
                Diagnostic(
                    severity: .error, location: location(ofByte: offset, in: bytes, file: path),
                    message: "invalid UTF-8: byte 0x\(byte.count == 1 ? "0" : "")\(byte) at byte offset \(offset); "
                        + "a playbook is UTF-8 text")
            ])
        }
        return try loadInstances(yaml: String(decoding: bytes, as: UTF8.self), file: path, registry: registry)
    }

    /// The one instance of a playbook without a matrix (or with a one-instance matrix).
    static func single(_ instances: [LoadedPlaybook], file: String) throws -> LoadedPlaybook {
        guard instances.count == 1, let only = instances.first else {
            throw PlaybookError(diagnostics: [
                Diagnostic(
                    severity: .error, location: SourceLocation(file: file, line: 1, column: 1),
                    message: "a matrix playbook with \(instances.count) instances; load it with loadInstances")
            ])
        }
        return only
    }

    /// Why `path` cannot be looked at (`stat` fails), e.g. "too many levels of symbolic links: a
    /// symbolic link loop (ELOOP)"; nil when it can.
    public static func pathProblem(_ path: String) -> String? { PlaybookFileReader.statProblem(path) }

    /// Offset of the first byte that does not start a well-formed UTF-8 sequence, or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// Line and column (in Unicode scalars, as libyaml counts) of the byte at `offset` of
    /// UTF-8 text that is well-formed before it.
    static func location<Bytes: Collection<UInt8>>(ofByte offset: Int, in bytes: Bytes, file: String)
        -> SourceLocation
    {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    /// Loads a playbook from YAML text; `file` is used in locations.
    /// - Throws: `PlaybookError` with every error (and warning) found.
    public static func load(yaml: String, file: String, registry: DecodingRegistry) throws -> LoadedPlaybook {
        try single(loadInstances(yaml: yaml, file: file, registry: registry), file: file)
    }

    /// Loads every instance of a playbook from YAML text (see `loadInstances(contentsOf:)`).
    public static func loadInstances(yaml: String, file: String, registry: DecodingRegistry) throws
        -> [LoadedPlaybook]
    {
        // Alias bombs, deep nesting and reader errors, before Yams composes (and hashes) the tree.
        if let problem = YAMLPrescan.check(yaml, file: file) { throw PlaybookError(diagnostics: [problem]) }
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
        let matrixReader = NodeReader(file: file)
        guard let instances = PlaybookMatrix.expand(root, reader: matrixReader) else {
            return [try load(root: root, file: file, registry: registry)]
        }
        if matrixReader.hasErrors { throw PlaybookError(diagnostics: sorted(matrixReader.diagnostics)) }
        var loaded: [LoadedPlaybook] = []
        var diagnostics: [Diagnostic] = []
        var failed = false
        for instance in instances {
            do {
                var one = try load(
                    root: instance.root, file: file, registry: registry, instance: Diagnostic.escaped(instance.label))
                one.playbook.name += " [\(Diagnostic.escaped(instance.label))]"
                one.playbook.parameters = instance.parameters
                diagnostics += one.warnings
                loaded.append(one)
            } catch let error as PlaybookError {
                failed = true
                diagnostics += error.diagnostics
            }
        }
        if failed { throw PlaybookError(diagnostics: diagnostics) }
        return loaded
    }

    /// By location; diagnostics at one place keep the order they were found in.
    static func sorted(_ found: [Diagnostic]) -> [Diagnostic] {
        found.enumerated().sorted { lhs, rhs in
            (lhs.element.location.line, lhs.element.location.column, lhs.offset)
                < (rhs.element.location.line, rhs.element.location.column, rhs.offset)
        }.map(\.element)
    }

    /// The YAML layer (syntax: shapes, keys, values) then the checker (semantics, on the model).
    /// `instance` (a matrix instance's label) starts every message, `[mode=balance-xor] …`.
    static func load(root: Node, file: String, registry: DecodingRegistry, instance: String? = nil) throws
        -> LoadedPlaybook
    {
        let decoder = PlaybookDecoder(file: file, registry: registry)
        let decoded = decoder.decode(root)
        var found = decoder.reader.diagnostics
        if let decoded {
            found += PlaybookChecker(
                stepCheckers: registry.checkers, allowAnyAddresses: decoder.allowAnyAddresses
            ).check(decoded)
        }
        var diagnostics = sorted(found)
        if let instance {
            for index in diagnostics.indices {
                diagnostics[index].message = "[\(instance)] " + diagnostics[index].message
            }
        }
        guard let playbook = decoded, !diagnostics.contains(where: { $0.severity == .error }) else {
            throw PlaybookError(diagnostics: diagnostics)
        }
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
        case .reader(let problem, let offset, _, let yaml):
            // `offset` counts Characters; the text before it is well-formed.
            let before = yaml.prefix(offset ?? 0)
            let line = before.reduce(1) { $1.isNewline ? $0 + 1 : $0 }
            let lastLine = before.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).last
            return Diagnostic(
                severity: .error,
                location: SourceLocation(file: file, line: line, column: (lastLine?.unicodeScalars.count ?? 0) + 1),
                message: Diagnostic.escaped("YAML error: \(problem)"))
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
