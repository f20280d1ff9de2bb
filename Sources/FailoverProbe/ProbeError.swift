public import FailoverSystem

/// A failure of the probe engine: which operation, on what, with the errno when a syscall failed.
public struct ProbeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure, extensible.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// A syscall returned -1.
        public static let syscall = Code("syscall")
        /// The stream configuration cannot work (rate, payload size, address family).
        public static let invalidConfiguration = Code("invalid configuration")
        /// The stream was started twice or stopped before start.
        public static let invalidState = Code("invalid state")
        /// A pcap file could not be parsed.
        public static let malformedCapture = Code("malformed capture")
        public var description: String { rawValue }
    }

    public var code: Code
    /// The operation, e.g. `bind` or `setsockopt(SO_RCVBUF)`.
    public var operation: String
    /// The object acted on: a stream name, an address, a file path.
    public var object: String
    /// errno for syscall failures.
    public var errno: Int32?

    public init(_ code: Code, operation: String, object: String, errno: Int32? = nil) {
        self.code = code
        self.operation = operation
        self.object = object
        self.errno = errno
    }

    /// Wraps a `SystemError` of the system layer (a failed syscall or child process).
    public init(_ error: SystemError) {
        var operation = error.operation
        if let process = error.process {
            if let status = process.status { operation += " (\(process.program) \(status))" }
            if !process.stderrTail.isEmpty { operation += " (\(process.stderrTail))" }
        } else if let message = error.kernelMessage, !message.isEmpty {
            operation += " (\(message))"
        }
        self.init(.syscall, operation: operation, object: error.object, errno: error.code)
    }

    public var description: String {
        var text = "probe: \(operation) on \(object) failed (\(code))"
        if let errno { text += ": \(errnoName(errno))" }
        return text
    }
}

/// A short name for an errno value (`ENETUNREACH (101)`), for reports.
public func errnoName(_ value: Int32) -> String {
    "\(SystemError.errnoName(value) ?? "errno") (\(value))"
}
