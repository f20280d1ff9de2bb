import FailoverModel
import Yams

/// Reads a composed YAML node tree and collects diagnostics instead of stopping at the first.
/// One instance per load; used on one thread only.
public final class NodeReader {
    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: String) { self.file = file }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public func location(_ node: Node?) -> SourceLocation {
        guard let mark = node?.mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    /// Where `node` was written, and the key path diagnostics name it by.
    public func mark(_ node: Node?, _ path: String) -> SourceMark { SourceMark(location: location(node), path: path) }

    public func error(_ node: Node?, _ message: String) { error(at: location(node), message) }
    public func warning(_ node: Node?, _ message: String) { warning(at: location(node), message) }
    /// Messages quote what the playbook wrote: control characters in it are escaped, so every
    /// diagnostic stays one line and cannot drive the terminal.
    public func error(at location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(severity: .error, location: location, message: Diagnostic.escaped(message)))
    }
    public func warning(at location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(severity: .warning, location: location, message: Diagnostic.escaped(message)))
    }

    // MARK: Shapes

    /// A mapping with scalar keys in written order; nil (and an error) when `node` is not a mapping.
    public func mapping(_ node: Node, _ path: String, expected: String = "a mapping") -> MappingView? {
        guard case .mapping(let mapping) = node else {
            error(node, "\(path): expected \(expected), found \(Self.describe(node))")
            return nil
        }
        var entries: [MappingView.Entry] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                error(key, "\(path): keys must be plain words, found \(Self.describe(key))")
                continue
            }
            entries.append(MappingView.Entry(key: scalar.string, keyNode: key, value: value))
        }
        return MappingView(node: node, entries: entries)
    }

    /// Reports every key of `view` not in `allowed`, suggesting the closest valid key.
    /// Returns false when some key was unknown.
    @discardableResult
    public func checkKeys(_ view: MappingView, allowed: [String], context: String) -> Bool {
        var ok = true
        for entry in view.entries where !allowed.contains(entry.key) {
            ok = false
            error(entry.keyNode, Self.unknownKeyMessage(entry.key, allowed: allowed, context: context))
        }
        return ok
    }

    /// True when `key` is missing but an unknown key of `view` is a likely misspelling of it
    /// (already reported with a suggestion, so "missing" would only repeat it).
    public func misspelled(_ key: String, in view: MappingView, allowed: [String]) -> Bool {
        view.entries.contains { !allowed.contains($0.key) && Self.closest(to: $0.key, in: allowed) == key }
    }

    public static func unknownKeyMessage(_ key: String, allowed: [String], context: String) -> String {
        if let best = closest(to: key, in: allowed) {
            return "unknown key '\(key)' in \(context); did you mean '\(best)'?"
        }
        let valid = allowed.isEmpty ? "none" : allowed.joined(separator: ", ")
        return "unknown key '\(key)' in \(context); valid keys: \(valid)"
    }

    /// A sequence's elements; a single scalar counts as a one-element list when `allowSingle`.
    public func list(_ node: Node, _ path: String, allowSingle: Bool = true) -> [Node]? {
        switch node {
        case .sequence(let sequence): return Array(sequence)
        case .scalar where allowSingle && !Self.isNull(node): return [node]
        default:
            error(node, "\(path): expected a list, found \(Self.describe(node))")
            return nil
        }
    }

    /// A scalar's text (not null, not a collection).
    public func string(_ node: Node, _ path: String, expected: String = "a text value") -> String? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            error(node, "\(path): expected \(expected), found \(Self.describe(node))")
            return nil
        }
        return scalar.string
    }

    public func int(_ node: Node, _ path: String, range: ClosedRange<Int>? = nil, unit: String = "") -> Int? {
        guard let text = string(node, path, expected: "a whole number") else { return nil }
        guard let value = Self.parseInt(text) else {
            error(node, "\(path): expected a whole number, found '\(text)'")
            return nil
        }
        if let range, !range.contains(value) {
            error(node, "\(path): \(value)\(unit) is out of range \(range.lowerBound)...\(range.upperBound)\(unit)")
            return nil
        }
        return value
    }

    /// Milliseconds, written as a number (`100`) or a duration that is whole milliseconds (`100ms`, `1s`).
    public func milliseconds(_ node: Node, _ path: String, range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, path, expected: "milliseconds") else { return nil }
        let value: Int
        if let number = Self.parseInt(text) {
            value = number
        } else if let duration = Duration.parse(playbookText: text) {
            let ns = duration.totalNanoseconds
            guard ns % 1_000_000 == 0 else {
                error(node, "\(path): the kernel takes whole milliseconds, found '\(text)'")
                return nil
            }
            value = Int(ns / 1_000_000)
        } else {
            error(node, "\(path): expected milliseconds like 100 or \"100ms\", found '\(text)'")
            return nil
        }
        guard range.contains(value) else {
            error(node, "\(path): \(value) ms is out of range \(range.lowerBound)...\(range.upperBound) ms")
            return nil
        }
        return value
    }

    public func bool(_ node: Node, _ path: String) -> Bool? {
        guard let text = string(node, path, expected: "true or false") else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            error(node, "\(path): expected true or false (or 1/0), found '\(text)'")
            return nil
        }
    }

    public func duration(_ node: Node, _ path: String) -> Duration? {
        guard let text = string(node, path, expected: "a duration") else { return nil }
        guard let duration = Duration.parse(playbookText: text) else {
            error(node, "\(path): expected a duration like \"500ms\", \"1.5s\" or \"250us\", found '\(text)'")
            return nil
        }
        return duration
    }

    public func interfaceAddress(_ node: Node, _ path: String) -> InterfaceAddress? {
        guard let text = string(node, path, expected: "an address with prefix") else { return nil }
        guard let address = InterfaceAddress(text) else {
            error(node, "\(path): expected an address with prefix like 198.18.0.1/24 or 2001:2::1/64, found '\(text)'")
            return nil
        }
        return address
    }

    public func ipAddress(_ node: Node, _ path: String) -> IPAddress? {
        guard let text = string(node, path, expected: "an IP address") else { return nil }
        guard let address = IPAddress(text) else {
            error(node, "\(path): expected an IP address like 198.18.0.1 or 2001:2::1, found '\(text)'")
            return nil
        }
        return address
    }

    public func mac(_ node: Node, _ path: String) -> MACAddress? {
        guard let text = string(node, path, expected: "a MAC address") else { return nil }
        guard let mac = MACAddress(text) else {
            error(node, "\(path): expected a MAC address like 02:00:00:00:00:01, found '\(text)'")
            return nil
        }
        if mac.isMulticast {
            error(node, "\(path): \(mac) is a multicast address; an interface needs a unicast MAC (first byte even)")
            return nil
        }
        if mac.bytes.allSatisfy({ $0 == 0 }) {
            error(node, "\(path): 00:00:00:00:00:00 is not a usable MAC address")
            return nil
        }
        return mac
    }

    public func named<Value: KernelNamedValue>(_ node: Node, _ path: String, _ type: Value.Type) -> Value? {
        guard let text = string(node, path) else { return nil }
        guard let value = Value.parse(text) else {
            error(node, "\(path): unknown value '\(text)'; expected one of \(Value.spellings)")
            return nil
        }
        return value
    }

    /// `host/interface`.
    public func ref(_ node: Node, _ path: String) -> InterfaceRef? {
        guard let text = string(node, path, expected: "host/interface") else { return nil }
        guard let ref = InterfaceRef(text) else {
            error(node, "\(path): expected host/interface like server/eth0, found '\(text)'")
            return nil
        }
        return ref
    }

    // MARK: Text helpers

    public static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    public static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull(node) { return "nothing" }
            return "'\(scalar.string)'"
        }
    }

    public static func parseInt(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }), let magnitude = Int(body) else {
            return nil
        }
        return negative ? -magnitude : magnitude
    }

    /// The allowed word closest to `word` by edit distance, if close enough to be a likely typo.
    public static func closest(to word: String, in allowed: [String]) -> String? {
        var best: (String, Int)?
        for candidate in allowed {
            let distance = editDistance(word.lowercased(), candidate)
            if best.map({ distance < $0.1 }) ?? true { best = (candidate, distance) }
        }
        guard let (candidate, distance) = best else { return nil }
        let limit = max(2, min(word.count, candidate.count) / 3)
        return distance <= limit ? candidate : nil
    }

    public static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// A YAML mapping's entries in written order.
public struct MappingView {
    public struct Entry {
        public var key: String
        public var keyNode: Node
        public var value: Node
    }

    public var node: Node
    public var entries: [Entry]

    public subscript(key: String) -> Node? { entries.first { $0.key == key }?.value }
    public func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }
    public func has(_ key: String) -> Bool { entries.contains { $0.key == key } }
}
