// libyaml itself, the copy Yams parses with: Yams offers no event API, and the check below must
// run on events, before Yams composes (and hashes) a node tree.
internal import CYaml
import FailoverModel

/// A pass over the YAML text's parser events before Yams composes it, refusing what would make
/// composing or decoding blow up:
///
/// - **Alias bombs.** An alias stands for its anchor's whole node; anchors of aliases of anchors
///   grow exponentially (~600 bytes can stand for millions of nodes, and Yams hashes a mapping
///   key's whole tree). Each anchor's expanded size is computed once (memoised), and the nodes
///   all aliases stand for together may not exceed `maxAliasNodes`.
/// - **Deep nesting**, directly or through aliases (Yams composes recursively): at most
///   `maxDepth` levels.
/// - Reader, scanner and parser errors are reported at their real line:column.
enum YAMLPrescan {
    /// Nodes all aliases of one playbook may stand for, together.
    static let maxAliasNodes = 10_000
    /// Nesting levels of collections (a top-level mapping is level 1), aliases expanded.
    static let maxDepth = 64

    private struct Frame {
        /// Nodes in this collection so far, itself included, aliases expanded.
        var size = 1
        /// Levels below and including this collection, aliases expanded.
        var height = 1
        var anchor: String?
    }

    private struct Expansion {
        var size: Int
        var height: Int
    }

    /// The first problem found, or nil when the text may be composed.
    static func check(_ yaml: String, file: String) -> Diagnostic? {
        guard !yaml.isEmpty else { return nil }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return Diagnostic(
                severity: .error, location: SourceLocation(file: file, line: 1, column: 1),
                message: "cannot parse YAML: out of memory")
        }
        defer { yaml_parser_delete(&parser) }
        var text = yaml
        return text.withUTF8 { buffer -> Diagnostic? in
            guard let base = buffer.baseAddress else { return nil }
            yaml_parser_set_input_string(&parser, base, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            return scan(&parser, bytes: buffer, file: file)
        }
    }

    private static func scan(
        _ parser: inout yaml_parser_t, bytes: UnsafeBufferPointer<UInt8>, file: String
    ) -> Diagnostic? {
        var stack: [Frame] = []
        var anchors: [String: Expansion] = [:]
        var aliasNodes = 0
        func at(_ mark: yaml_mark_t, _ message: String) -> Diagnostic {
            Diagnostic(
                severity: .error,
                location: SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1),
                message: Diagnostic.escaped(message))
        }
        /// A finished node of `expansion` inside the innermost open collection.
        func add(_ expansion: Expansion, anchor: String?) {
            if let anchor { anchors[anchor] = expansion }
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].size = saturatingSum(stack[stack.count - 1].size, expansion.size)
            stack[stack.count - 1].height = max(stack[stack.count - 1].height, expansion.height + 1)
        }
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return diagnostic(for: parser, bytes, file: file) }
            defer { yaml_event_delete(&event) }
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_SCALAR_EVENT:
                add(Expansion(size: 1, height: 1), anchor: string(event.data.scalar.anchor))
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                if stack.count + 1 > maxDepth {
                    return at(event.start_mark, "the YAML is nested more than \(maxDepth) levels deep")
                }
                let anchor =
                    event.type == YAML_SEQUENCE_START_EVENT
                    ? string(event.data.sequence_start.anchor) : string(event.data.mapping_start.anchor)
                stack.append(Frame(anchor: anchor))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else { continue }
                add(Expansion(size: frame.size, height: frame.height), anchor: frame.anchor)
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                guard let expansion = anchors[name] else {
                    return at(event.start_mark, "YAML error: alias '*\(name)' has no anchor '&\(name)' before it")
                }
                if stack.count + expansion.height > maxDepth {
                    return at(
                        event.start_mark,
                        "alias '*\(name)' nests the YAML more than \(maxDepth) levels deep")
                }
                aliasNodes = saturatingSum(aliasNodes, expansion.size)
                if aliasNodes > maxAliasNodes {
                    let total =
                        expansion.size == aliasNodes ? "" : ", \(countText(aliasNodes)) with the aliases before it"
                    return at(
                        event.start_mark,
                        "alias '*\(name)' stands for \(countText(expansion.size)) nodes\(total); a playbook's aliases "
                            + "may stand for at most \(maxAliasNodes) nodes in all (an alias bomb?)")
                }
                add(expansion, anchor: nil)
            default:
                continue
            }
        }
    }

    private static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    private static func countText(_ count: Int) -> String { count == Int.max ? "over \(Int.max)" : "\(count)" }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    /// The parser's error at its line:column (a reader error at its byte offset).
    private static func diagnostic(
        for parser: yaml_parser_t, _ bytes: UnsafeBufferPointer<UInt8>, file: String
    ) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        func location(_ mark: yaml_mark_t) -> SourceLocation {
            SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        }
        switch parser.error {
        case YAML_READER_ERROR:
            let offset = min(Int(parser.problem_offset), bytes.count)
            let value = parser.problem_value
            let character =
                value >= 0 ? " (U+\(String(value, radix: 16, uppercase: true).leftPadded(to: 4)))" : ""
            return Diagnostic(
                severity: .error, location: PlaybookLoader.location(ofByte: offset, in: bytes, file: file),
                message: Diagnostic.escaped("YAML error: \(problem)\(character)"))
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR, YAML_COMPOSER_ERROR:
            var detail = problem
            if let context = parser.context {
                let mark = parser.context_mark
                detail += " (\(String(cString: context)) at \(mark.line + 1):\(mark.column + 1))"
            }
            return Diagnostic(
                severity: .error, location: location(parser.problem_mark),
                message: Diagnostic.escaped("YAML syntax error: \(detail)"))
        default:
            return Diagnostic(
                severity: .error, location: SourceLocation(file: file, line: 1, column: 1),
                message: Diagnostic.escaped("cannot parse YAML: \(problem)"))
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
