/// The rules for names that become namespaces, interfaces and file names. Each returns nil for a
/// valid name, else the problem (a diagnostic prefixes it with the path).
public enum NameRules {
    /// Host, switch and probe names: `[a-z0-9][a-z0-9_-]*`, at most `limit` characters (a host or
    /// switch becomes a namespace, a probe name goes into capture file names).
    public static func nodeNameProblem(_ name: String, what: String, limit: Int = 20) -> String? {
        let chars = Array(name.unicodeScalars)
        let validFirst = chars.first.map { ("a"..."z").contains($0) || ("0"..."9").contains($0) } ?? false
        let validRest = chars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
        guard validFirst && validRest else { return "\(what) name '\(name)' must match [a-z0-9][a-z0-9_-]*" }
        guard chars.count <= limit else {
            return "\(what) name '\(name)' is \(chars.count) characters; at most \(limit)"
        }
        return nil
    }

    /// Linux interface names: 1–15 bytes, no '/', ':' or whitespace, not '.' or '..' (the kernel's
    /// rules), and only `[A-Za-z0-9][A-Za-z0-9_.-]*`: no shell metacharacters, quotes, control
    /// characters or NUL, so a name is one plain word in `failover plan` and in file names.
    public static func interfaceNameProblem(_ name: String, allowLoopback: Bool = false) -> String? {
        if name.isEmpty || name == "." || name == ".." { return "'\(name)' is not a valid interface name" }
        if name.utf8.count > 15 {
            return "interface name '\(name)' is \(name.utf8.count) bytes; Linux allows at most 15"
        }
        if name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) {
            return "interface name '\(name)' must not contain '/', ':' or spaces"
        }
        if !isPlainInterfaceName(name) {
            return
                "interface name '\(name)' may hold only letters, digits, '_', '.' and '-', starting with a letter or digit"
        }
        if name == "lo" && !allowLoopback { return "'lo' is the loopback interface of every host; choose another name" }
        return nil
    }

    /// `[A-Za-z0-9][A-Za-z0-9_.-]*` (ASCII only).
    public static func isPlainInterfaceName(_ name: String) -> Bool {
        func alphanumeric(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, alphanumeric(first) else { return false }
        return bytes.allSatisfy {
            alphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
        }
    }
}
