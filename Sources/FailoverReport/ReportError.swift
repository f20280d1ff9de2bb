/// A report could not be rendered or written.
public struct ReportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was being done: `create directory`, `write file`, `link latest`, `encode JSON`.
    public var operation: String
    /// The file or directory concerned, if any.
    public var path: String?
    /// The `errno` of the failed system call, if any.
    public var errno: Int32?
    /// The underlying error or reason.
    public var detail: String

    public init(operation: String, path: String?, errno: Int32?, detail: String) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var text = operation
        if let path { text += " \(path)" }
        text += ": \(detail)"
        if let errno { text += " (errno \(errno))" }
        return text
    }
}
