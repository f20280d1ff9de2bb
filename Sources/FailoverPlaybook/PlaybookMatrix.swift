import FailoverModel
import Yams

/// `matrix:` — a parameterised playbook. A top-level mapping of parameter name → non-empty list
/// of scalars; every `${name}` in a scalar value of the body is replaced by the instance's value.
/// Several parameters give the cartesian product, first parameter outermost, values in written
/// order. Expansion works on the composed node tree, so every node keeps the template's mark
/// (diagnostics point at the template's line:column).
///
/// Rules (docs/playbook.md, "Parameterised playbooks"):
/// - names are `[a-z_][a-z0-9_]*`; values are scalars (not null, not collections), each at most
///   once per parameter; at most `maxInstances` combinations;
/// - only values are substituted, never keys (a `${` in a key is an error);
/// - `${x}` with an undeclared `x`, an unclosed `${`, and a parameter the body never uses are
///   errors (an unused parameter would only make identical instances);
/// - a `$` that does not start `${` is kept as written.
enum PlaybookMatrix {
    static let maxInstances = 256

    struct Parameter {
        var name: String
        var values: [String]
        var keyNode: Node
    }

    /// One instance: its parameter values in declaration order, and its tree (without `matrix`).
    struct Instance {
        var parameters: [MatrixParameter]
        var root: Node

        /// `mode=balance-xor, hash=layer2`.
        var label: String { parameters.map(\.description).joined(separator: ", ") }
    }

    /// The instances of `root`; nil when it has no `matrix` key (or is not a mapping). Problems
    /// go to `reader` (then the result is empty).
    static func expand(_ root: Node, reader: NodeReader) -> [Instance]? {
        guard case .mapping(let top) = root,
            let pair = top.first(where: { $0.key.scalar?.string == "matrix" })
        else { return nil }
        let parameters = readParameters(pair.value, reader: reader)
        var body = Node.Mapping(
            top.filter { $0.key.scalar?.string != "matrix" }.map { ($0.key, $0.value) }, top.tag, top.style, top.mark)
        body.anchor = top.anchor
        let bodyNode = Node.mapping(body)
        guard let parameters, !reader.hasErrors else { return [] }
        // References, checked once on the template.
        var used: Set<String> = []
        checkReferences(bodyNode, declared: Set(parameters.map(\.name)), used: &used, reader: reader)
        for parameter in parameters where !used.contains(parameter.name) {
            reader.error(
                parameter.keyNode,
                "matrix.\(parameter.name): the parameter is never used as ${\(parameter.name)} in the playbook")
        }
        guard !reader.hasErrors else { return [] }
        var combinations: [[MatrixParameter]] = [[]]
        for parameter in parameters {
            combinations = combinations.flatMap { prefix in
                parameter.values.map { prefix + [MatrixParameter(name: parameter.name, value: $0)] }
            }
        }
        return combinations.map { values in
            let lookup = Dictionary(uniqueKeysWithValues: values.map { ($0.name, $0.value) })
            return Instance(parameters: values, root: substitute(bodyNode, lookup))
        }
    }

    static func isParameterName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "_") || (0x61...0x7A).contains(first) else {
            return false
        }
        return bytes.allSatisfy { $0 == UInt8(ascii: "_") || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
    }

    static func readParameters(_ node: Node, reader: NodeReader) -> [Parameter]? {
        guard let view = reader.mapping(node, "matrix", expected: "a mapping parameter: [values]") else { return nil }
        if view.entries.isEmpty { reader.error(node, "matrix: expected at least one parameter") }
        var parameters: [Parameter] = []
        var total = 1
        for entry in view.entries {
            let path = "matrix.\(entry.key)"
            guard isParameterName(entry.key) else {
                reader.error(entry.keyNode, "\(path): parameter name '\(entry.key)' must match [a-z_][a-z0-9_]*")
                continue
            }
            guard case .sequence(let items) = entry.value else {
                reader.error(
                    entry.value,
                    "\(path): expected a non-empty list of values, found \(NodeReader.describe(entry.value))")
                continue
            }
            if items.isEmpty {
                reader.error(entry.value, "\(path): the list of values is empty; give at least one")
                continue
            }
            var values: [String] = []
            for (index, item) in items.enumerated() {
                guard case .scalar(let scalar) = item, !NodeReader.isNull(item) else {
                    reader.error(
                        item, "\(path)[\(index)]: expected a value (a scalar), found \(NodeReader.describe(item))")
                    continue
                }
                if values.contains(scalar.string) {
                    reader.error(item, "\(path)[\(index)]: '\(scalar.string)' is listed twice")
                    continue
                }
                values.append(scalar.string)
            }
            total = total.multipliedReportingOverflow(by: max(1, values.count)).partialValue
            if total > maxInstances || total < 0 {
                reader.error(
                    entry.value, "\(path): the matrix has more than \(maxInstances) instances; split the playbook")
                return nil
            }
            parameters.append(Parameter(name: entry.key, values: values, keyNode: entry.keyNode))
        }
        return parameters
    }

    /// The pieces of `text`: literal text and `${name}` references; nil name = unclosed `${`.
    enum Piece: Equatable {
        case text(String)
        case reference(String)
        case unclosed
    }

    static func pieces(_ text: String) -> [Piece] {
        var result: [Piece] = []
        var literal = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            literal += rest[..<dollar]
            let after = rest[dollar...].dropFirst()
            guard after.first == "{" else {
                literal.append("$")
                rest = after
                continue
            }
            guard let close = after.firstIndex(of: "}") else {
                result.append(.text(literal))
                return result + [.unclosed]
            }
            if !literal.isEmpty { result.append(.text(literal)) }
            literal = ""
            result.append(.reference(String(after[after.index(after: after.startIndex)..<close])))
            rest = after[after.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { result.append(.text(literal)) }
        return result
    }

    static func checkReferences(_ node: Node, declared: Set<String>, used: inout Set<String>, reader: NodeReader) {
        switch node {
        case .scalar(let scalar):
            for piece in pieces(scalar.string) {
                switch piece {
                case .text: continue
                case .unclosed:
                    reader.error(node, "'\(scalar.string)': '${' without a closing '}'; write ${name}")
                case .reference(let name):
                    if declared.contains(name) {
                        used.insert(name)
                    } else {
                        let known = declared.sorted().joined(separator: ", ")
                        reader.error(node, "unknown parameter ${\(name)}; the matrix declares: \(known)")
                    }
                }
            }
        case .mapping(let mapping):
            for pair in mapping {
                if case .scalar(let key) = pair.key, key.string.contains("${") {
                    reader.error(
                        pair.key, "'\(key.string)': parameters are substituted in values only, not in keys")
                }
                checkReferences(pair.value, declared: declared, used: &used, reader: reader)
            }
        case .sequence(let sequence):
            for item in sequence { checkReferences(item, declared: declared, used: &used, reader: reader) }
        case .alias:
            return
        }
    }

    static func substitute(_ node: Node, _ values: [String: String]) -> Node {
        switch node {
        case .scalar(var scalar):
            guard scalar.string.contains("${") else { return node }
            let style = scalar.style
            scalar.string = pieces(scalar.string).map { piece -> String in
                switch piece {
                case .text(let text): text
                case .reference(let name): values[name] ?? "${\(name)}"
                case .unclosed: "${"
                }
            }.joined()
            scalar.style = style
            return .scalar(scalar)
        case .mapping(let mapping):
            var result = Node.Mapping(
                mapping.map { ($0.key, substitute($0.value, values)) }, mapping.tag, mapping.style, mapping.mark)
            result.anchor = mapping.anchor
            return .mapping(result)
        case .sequence(let sequence):
            var result = Node.Sequence(
                sequence.map { substitute($0, values) }, sequence.tag, sequence.style, sequence.mark)
            result.anchor = sequence.anchor
            return .sequence(result)
        case .alias:
            return node
        }
    }
}
