public import FailoverSystem

/// An error from the kernel lab: locating a kernel, preparing its boot files, or running qemu.
public struct VMError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public enum Code: Sendable, Equatable {
        /// No usable kernel was found (no `/boot/vmlinuz-*` with a matching modules directory).
        case kernelNotFound
        /// The kernel image is not usable (unreadable, no xz stream, no ELF inside).
        case invalidKernelImage
        /// A module needed in the initramfs is missing from `modules.dep`.
        case moduleMissing
        /// A system call failed; `errno` holds the value.
        case systemCall
        /// A helper program (xz, qemu) could not be started or exited non-zero.
        case helperFailed
        /// The request is invalid (relative path, missing directory, bad argv).
        case invalidRequest
        /// The guest did not finish within the timeout; qemu was killed.
        case timedOut
        /// The guest ended without reporting the command's exit status.
        case noExitStatus
        /// The task running the VM was cancelled; qemu was killed.
        case cancelled
        /// The requested accelerator is not usable (e.g. KVM probe failed).
        case acceleratorUnavailable
    }

    /// The kind of failure.
    public var code: Code
    /// The operation that failed (e.g. "spawn", "extract vmlinux").
    public var operation: String
    /// The object concerned: a path, a module name, a qemu PID.
    public var object: String
    /// The errno value for `.systemCall`, if any.
    public var errno: Int32?
    /// The exit status of a helper or qemu, if any.
    public var exitStatus: Int32?
    /// Captured, trimmed stderr of the helper or qemu (possibly truncated).
    public var stderr: String

    /// Creates an error.
    public init(
        _ code: Code, operation: String, object: String, errno: Int32? = nil, exitStatus: Int32? = nil,
        stderr: String = ""
    ) {
        self.code = code
        self.operation = operation
        self.object = object
        self.errno = errno
        self.exitStatus = exitStatus
        self.stderr = stderr
    }

    /// Wraps a `SystemError` of the system layer (its operation, object, errno, exit status and stderr).
    public init(_ code: Code, _ error: SystemError) {
        self.init(
            code, operation: error.operation, object: error.object, errno: error.code,
            exitStatus: error.process?.status?.exitCode,
            stderr: error.process?.stderrTail ?? error.kernelMessage ?? "")
    }

    /// A one-line description.
    public var description: String {
        var text = "vm: \(operation) \(object): \(code)"
        if let errno { text += " (errno \(errno))" }
        if let exitStatus { text += " (exit status \(exitStatus))" }
        let firstLines = stderr.split(separator: "\n").prefix(3).joined(separator: " | ")
        if !firstLines.isEmpty { text += ": \(firstLines)" }
        return text
    }
}
