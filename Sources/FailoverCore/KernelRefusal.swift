import FailoverModel

/// The kernel refused a change a step asked for (an NLMSG_ERROR reply with an errno), as
/// opposed to the harness failing to ask. Thrown by `NetworkBackend.perform`; a `set` step with
/// `expect_error` compares `errno` with the errno it expects.
public struct KernelRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was asked, without the step's text: `updelay=200 on fo1a2b3c-server/bond0`.
    public var request: String
    /// The positive errno number.
    public var errno: Int32
    /// The C library's text for it (`Operation not permitted`).
    public var errnoText: String
    /// NLMSGERR_ATTR_MSG, when the kernel sent one.
    public var kernelMessage: String?
    /// The likely cause, from the kernel documentation and source, when it can be told.
    public var likelyReason: String?

    public init(request: String, errno: Int32, errnoText: String, kernelMessage: String?, likelyReason: String?) {
        self.request = request
        self.errno = errno
        self.errnoText = errnoText
        self.kernelMessage = kernelMessage
        self.likelyReason = likelyReason
    }

    /// `EPERM`, or `errno 200` for a number without a known name.
    public var errnoName: String { KernelErrno.name(of: errno) ?? "errno \(errno)" }

    /// `EPERM (Operation not permitted, errno 1); kernel: "…"; likely: …`.
    public var reason: String {
        var text = "\(errnoName) (\(errnoText), errno \(errno))"
        if let kernelMessage, !kernelMessage.isEmpty { text += "; the kernel says \"\(kernelMessage)\"" }
        if let likelyReason { text += "; likely: \(likelyReason)" }
        return text
    }

    public var description: String { "the kernel refused \(request): \(reason)" }
}
