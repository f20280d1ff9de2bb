extension String {
    /// This text on one line: C0 and C1 control characters, DEL and the line/paragraph separators
    /// U+2028/U+2029 written as `\n`, `\t`, `\r`, `\0` or `\u{XX}`; everything else as is. With
    /// `backslashes`, a backslash is written `\\`, so an escape can never be confused with text
    /// that merely looks like one (`failover plan` comments need that; diagnostics do not).
    public func escapingControlCharacters(backslashes: Bool = false) -> String {
        var result = ""
        for scalar in unicodeScalars {
            switch scalar.value {
            case 0x5C where backslashes: result += "\\\\"
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
