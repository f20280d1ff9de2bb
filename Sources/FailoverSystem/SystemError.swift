public import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A failed operation below the domain: a syscall, a netlink request, a namespace change or a child
/// process. It says what was attempted, on which object, the errno (name, number and text), the
/// kernel's extended-ack message for rtnetlink replies, and for a process its argv[0], how it ended
/// and the tail of its stderr.
public struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was attempted, e.g. `create veth`, `socket`, `setns`, `spawn`.
    public var operation: String
    /// The object: namespace and interface, e.g. `fo1a2b3c-sw1/h1-eth0`, a path, a program.
    public var object: String
    /// The underlying errno (from a syscall or an NLMSG_ERROR reply).
    public var errno: Errno
    /// NLMSGERR_ATTR_MSG text when the kernel sent one (or a short reason in words).
    public var kernelMessage: String?
    /// The child process concerned, when a process failed.
    public var process: ProcessContext?

    /// What is known of a child process that failed.
    public struct ProcessContext: Sendable, Hashable {
        /// The program (argv[0]).
        public var program: String
        /// How it ended, nil while it runs (or when it never started).
        public var status: ExitStatus?
        /// The last lines of its stderr (trimmed, at most `SystemError.stderrTailLimit` characters).
        public var stderrTail: String

        public init(program: String, status: ExitStatus? = nil, stderrTail: String = "") {
            self.program = program
            self.status = status
            self.stderrTail = stderrTail
        }
    }

    /// The most stderr text kept in an error.
    public static let stderrTailLimit = 2000

    public init(
        operation: String, object: String, errno: Errno, kernelMessage: String? = nil, process: ProcessContext? = nil
    ) {
        self.operation = operation
        self.object = object
        self.errno = errno
        self.kernelMessage = kernelMessage
        self.process = process
    }

    /// `create veth sw/h1-eth0: EEXIST: File exists (errno 17): kernel message; /usr/sbin/ip exited with
    /// status 1; stderr: …`.
    public var description: String {
        var text = "\(operation) \(object): \(SystemError.errnoText(errno.rawValue))"
        if let kernelMessage, !kernelMessage.isEmpty { text += ": \(kernelMessage)" }
        if let process {
            text += "; \(process.program)"
            if let status = process.status { text += " \(status)" }
            if !process.stderrTail.isEmpty {
                text += "; stderr: \(process.stderrTail.escapingNewlines())"
            }
        }
        return text
    }

    /// `ENOENT: No such file or directory (errno 2)`.
    public static func errnoText(_ code: Int32) -> String {
        let name = errnoName(code).map { "\($0): " } ?? ""
        return "\(name)\(strerrorText(code)) (errno \(code))"
    }

    /// The text of strerror(3).
    public static func strerrorText(_ code: Int32) -> String {
        guard let pointer = strerror(code) else { return "errno \(code)" }
        return String(cString: pointer)
    }

    /// The symbolic name of an errno value (`ENETUNREACH`), nil for one not listed.
    public static func errnoName(_ code: Int32) -> String? { errnoNames[code] }

    private static let errnoNames: [Int32: String] = [
        1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 8: "ENOEXEC",
        9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY",
        17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE",
        24: "EMFILE", 28: "ENOSPC", 30: "EROFS", 32: "EPIPE", 34: "ERANGE", 36: "ENAMETOOLONG", 38: "ENOSYS",
        39: "ENOTEMPTY", 40: "ELOOP", 61: "ENODATA", 71: "EPROTO", 88: "ENOTSOCK", 90: "EMSGSIZE",
        92: "ENOPROTOOPT", 93: "EPROTONOSUPPORT", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT", 98: "EADDRINUSE",
        99: "EADDRNOTAVAIL", 100: "ENETDOWN", 101: "ENETUNREACH", 103: "ECONNABORTED", 104: "ECONNRESET",
        105: "ENOBUFS", 110: "ETIMEDOUT", 111: "ECONNREFUSED", 112: "EHOSTDOWN", 113: "EHOSTUNREACH",
        125: "ECANCELED",
    ]
}

/// How a child process ended (from its wait status).
public struct ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// The raw status from waitpid(2).
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The exit code, or nil when a signal ended the process.
    public var exitCode: Int32? { rawValue & 0x7f == 0 ? (rawValue >> 8) & 0xff : nil }

    /// The terminating signal, or nil when the process exited.
    public var signal: Int32? { rawValue & 0x7f == 0 ? nil : rawValue & 0x7f }

    /// The exit code, or 128 + signal as a shell reports it.
    public var shellCode: Int32 { exitCode ?? 128 + (signal ?? 0) }

    /// `exited with status 1` or `killed by signal 9 (SIGKILL)`.
    public var description: String {
        if let exitCode { return "exited with status \(exitCode)" }
        let number = signal ?? 0
        let name = ExitStatus.signalNames[number].map { " (\($0))" } ?? ""
        return "killed by signal \(number)\(name)"
    }

    static let signalNames: [Int32: String] = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV",
        13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
    ]
}

extension Errno {
    /// ENODEV (19): the interface does not exist.
    public static var noDevice: Errno { Errno(rawValue: 19) }
}

extension SystemError {
    /// ENOENT or ENODEV: the object is already gone (teardown treats this as success).
    public var isAlreadyGone: Bool { errno == .noSuchFileOrDirectory || errno == .noDevice }

    /// The raw errno number (for callers that do not import SystemPackage).
    public var code: Int32 { errno.rawValue }
}

extension String {
    /// Newlines as ` | `, so a multi-line stderr stays on one line of a message.
    func escapingNewlines() -> String {
        split(separator: "\n", omittingEmptySubsequences: true).joined(separator: " | ")
    }
}
