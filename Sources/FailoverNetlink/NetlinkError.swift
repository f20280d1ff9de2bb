// The system layer (errors, namespace threads, the clock) is part of what this module offers:
// callers of rtnetlink get `NamespaceThread`, `NetworkNamespace` and `SystemError` with it.
@_exported public import FailoverSystem

/// A failed netlink or namespace operation: the one system error type (operation, object, errno and,
/// for rtnetlink replies, the kernel's extended-ack message).
public typealias NetlinkError = SystemError
