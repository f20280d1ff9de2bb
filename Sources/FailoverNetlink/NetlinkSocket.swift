internal import CNetShims
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A NETLINK_ROUTE socket. It belongs to the network namespace of the thread that created it
/// (see `NamespaceThread`), and can be used from any thread afterwards. Requests are serialised
/// by a lock; each waits for its ack (NLM_F_ACK) or dump end (NLMSG_DONE).
public final class NetlinkSocket: Sendable {
    private struct State {
        var fd: Int32
        var sequence: UInt32
    }

    private let state: Mutex<State>
    /// Label for errors, e.g. the namespace name.
    public let label: String
    /// The socket's netlink port ID (nl_pid), assigned by the kernel at bind.
    public let portID: UInt32
    /// The descriptor (for poll); -1 once closed.
    public var fileDescriptor: Int32 { state.withLock { $0.fd } }

    /// Opens a socket in the calling thread's network namespace (socket(2), bind(2)).
    /// - Parameters:
    ///   - groups: RTMGRP_* multicast bitmask to subscribe to (0 for a request socket).
    ///   - receiveBuffer: SO_RCVBUF (SO_RCVBUFFORCE first, as root may exceed rmem_max).
    ///   - receiveTimeoutMilliseconds: SO_RCVTIMEO for requests, so a lost reply cannot hang.
    /// - Throws: `NetlinkError` with the failing call.
    public init(
        label: String, groups: UInt32 = 0, receiveBuffer: Int? = nil, receiveTimeoutMilliseconds: Int? = 5000
    ) throws(NetlinkError) {
        self.label = label
        let fd = try syscall("socket(AF_NETLINK)", label) {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
        }
        func setOption(_ name: Int32, _ level: Int32, _ value: Int32) -> Int32 {
            var value = value
            return setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
        do {
            _ = setOption(NETLINK_EXT_ACK, SOL_NETLINK, 1)
            if let receiveBuffer {
                if setOption(SO_RCVBUFFORCE, SOL_SOCKET, Int32(receiveBuffer)) != 0 {
                    try syscall("setsockopt(SO_RCVBUF)", label) {
                        setOption(SO_RCVBUF, SOL_SOCKET, Int32(receiveBuffer))
                    }
                }
            }
            if let receiveTimeoutMilliseconds {
                var timeout = timeval(
                    tv_sec: receiveTimeoutMilliseconds / 1000, tv_usec: (receiveTimeoutMilliseconds % 1000) * 1000)
                try syscall("setsockopt(SO_RCVTIMEO)", label) {
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                }
            }
            var address = sockaddr_nl()
            address.nl_family = sa_family_t(AF_NETLINK)
            address.nl_groups = groups
            try syscall("bind(AF_NETLINK)", label) {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
            var bound = sockaddr_nl()
            var length = socklen_t(MemoryLayout<sockaddr_nl>.size)
            try syscall("getsockname(AF_NETLINK)", label) {
                withUnsafeMutablePointer(to: &bound) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                }
            }
            portID = bound.nl_pid
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        state = Mutex(State(fd: fd, sequence: UInt32(truncatingIfNeeded: MonotonicTime.now() & 0xffff) << 8))
    }

    deinit { close() }

    /// Closes the descriptor (idempotent).
    public func close() {
        let fd = state.withLock { state -> Int32 in
            let fd = state.fd
            state.fd = -1
            return fd
        }
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Sends `message` with NLM_F_REQUEST|NLM_F_ACK and waits for the ack.
    /// - Returns: the other messages that arrived for this request (e.g. NLM_F_ECHO replies)
    ///   and the CLOCK_MONOTONIC time the ack was received.
    /// - Throws: `NetlinkError` carrying the kernel's errno and extended-ack text.
    @discardableResult
    public func request(
        _ message: NetlinkMessageBuilder, operation: String, object: String
    ) throws(NetlinkError) -> (replies: [NetlinkMessage], ackTime: UInt64) {
        var message = message
        message.addFlags(NetlinkFlags.request | NetlinkFlags.ack)
        return try exchange(message, operation: operation, object: object, dump: false)
    }

    /// Sends a dump request (NLM_F_REQUEST|NLM_F_DUMP) and collects every part until NLMSG_DONE.
    public func dump(_ message: NetlinkMessageBuilder, operation: String, object: String) throws(NetlinkError)
        -> [NetlinkMessage]
    {
        var message = message
        message.addFlags(NetlinkFlags.request | NetlinkFlags.dump)
        return try exchange(message, operation: operation, object: object, dump: true).replies
    }

    private func exchange(
        _ message: NetlinkMessageBuilder, operation: String, object: String, dump: Bool
    ) throws(NetlinkError) -> (replies: [NetlinkMessage], ackTime: UInt64) {
        try state.withLock { state throws(NetlinkError) -> (replies: [NetlinkMessage], ackTime: UInt64) in
            guard state.fd >= 0 else {
                throw NetlinkError(operation: operation, object: object, errno: .badFileDescriptor)
            }
            state.sequence &+= 1
            let sequence = state.sequence
            let fd = state.fd
            let bytes = message.finalized(sequence: sequence)
            try syscall("send", "\(label): \(operation) \(object)") {
                bytes.withUnsafeBytes { raw in send(fd, raw.baseAddress, raw.count, 0) }
            }
            var replies: [NetlinkMessage] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = try syscall("recv", "\(label): \(operation) \(object)") {
                    buffer.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress, raw.count, 0) }
                }
                let received = MonotonicTime.now()
                let messages: [NetlinkMessage]
                do throws(NetlinkParseError) {
                    messages = try NetlinkMessage.split(buffer[0..<count])
                } catch {
                    throw NetlinkError(
                        operation: operation, object: object, errno: .badMessage, kernelMessage: error.description)
                }
                for reply in messages where reply.sequence == sequence {
                    if let error = reply.errorReply {
                        if error.error != 0 {
                            throw NetlinkError(
                                operation: operation, object: object, errno: Errno(rawValue: error.error),
                                kernelMessage: error.message)
                        }
                        if !dump { return (replies, received) }
                        continue
                    }
                    if reply.type == NetlinkMessageType.done { return (replies, received) }
                    replies.append(reply)
                }
            }
        }
    }

    /// Sends `message` with NLM_F_REQUEST and this `sequence` without reading a reply: the
    /// reply arrives through `receive` (a monitor's barrier request).
    public func sendRequest(_ message: NetlinkMessageBuilder, sequence: UInt32, operation: String) throws(NetlinkError)
    {
        var message = message
        message.addFlags(NetlinkFlags.request)
        let bytes = message.finalized(sequence: sequence)
        let fd = fileDescriptor
        guard fd >= 0 else { throw NetlinkError(operation: operation, object: label, errno: .badFileDescriptor) }
        try syscall("send", "\(label): \(operation)") {
            bytes.withUnsafeBytes { raw in send(fd, raw.baseAddress, raw.count, 0) }
        }
    }

    /// Receives one datagram (blocking, for monitors); returns its messages and the
    /// CLOCK_MONOTONIC time of receipt.
    /// - Throws: `NetlinkError`; errno ENOBUFS means events were lost (re-dump).
    public func receive(into buffer: inout [UInt8]) throws(NetlinkError) -> (messages: [NetlinkMessage], time: UInt64) {
        let fd = fileDescriptor
        let count = try syscall("recv", label) {
            buffer.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT)) }
        }
        let time = MonotonicTime.now()
        do throws(NetlinkParseError) {
            return (try NetlinkMessage.split(buffer[0..<count]), time)
        } catch {
            throw NetlinkError(
                operation: "parse event", object: label, errno: .badMessage, kernelMessage: error.description)
        }
    }
}
