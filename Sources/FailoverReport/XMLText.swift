/// Escaping for XML 1.0 (JUnit) and HTML text and attributes.
public enum XMLText {
    /// Escapes `&`, `<`, `>`, `"` and `'`, keeps tab/newline/CR in text, writes them as
    /// character references in attributes (so they survive attribute normalisation), and
    /// replaces characters XML 1.0 cannot carry at all (other C0 controls, U+FFFE, U+FFFF)
    /// with a visible `\u{XX}` spelling.
    public static func escape(_ text: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += attribute ? "&#10;" : "\n"
            case "\r": out += attribute ? "&#13;" : "&#13;"
            case "\t": out += attribute ? "&#9;" : "\t"
            default:
                let value = scalar.value
                if value < 0x20 || value == 0xFFFE || value == 0xFFFF || (0x7F...0x9F).contains(value) {
                    out += "\\u{" + hex(value) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count < 2 ? "0" + digits : digits
    }
}
