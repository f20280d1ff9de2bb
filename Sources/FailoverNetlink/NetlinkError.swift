public import SystemPackage

/// A failed netlink or namespace operation, with what was asked, of which object, the errno and
/// (for rtnetlink replies) the kernel's extended-ack message.
public struct NetlinkError: Error, Sendable, CustomStringConvertible {
    /// What was attempted, e.g. `create veth`, `socket`, `setns`.
    public var operation: String
    /// The object: namespace and interface, e.g. `fo1a2b3c-sw1/h1-eth0`.
    public var object: String
    /// The underlying errno (from a syscall or an NLMSG_ERROR reply).
    public var errno: Errno
    /// NLMSGERR_ATTR_MSG text when the kernel sent one.
    public var kernelMessage: String?

    public init(operation: String, object: String, errno: Errno, kernelMessage: String? = nil) {
        self.operation = operation
        self.object = object
        self.errno = errno
        self.kernelMessage = kernelMessage
    }

    public var description: String {
        var text = "\(operation) \(object): \(errno) (errno \(errno.rawValue))"
        if let kernelMessage, !kernelMessage.isEmpty { text += ": \(kernelMessage)" }
        return text
    }
}

extension Errno {
    /// ENODEV (19): the interface does not exist.
    public static var noDevice: Errno { Errno(rawValue: 19) }
}

extension NetlinkError {
    /// ENOENT or ENODEV: the object is already gone (teardown treats this as success).
    public var isAlreadyGone: Bool { errno == .noSuchFileOrDirectory || errno == .noDevice }

    /// The raw errno number (for callers that do not import SystemPackage).
    public var code: Int32 { errno.rawValue }
}
