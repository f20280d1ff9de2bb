internal import CNetShims
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What a `LinkMonitor` saw, stamped with CLOCK_MONOTONIC at receipt.
public enum LinkEvent: Sendable {
    case link(Link, deleted: Bool, time: UInt64)
    case address(Address, deleted: Bool, time: UInt64)
    /// The socket overflowed (ENOBUFS): events were lost; this is a fresh dump of all links.
    case resync([Link], time: UInt64)
    /// The monitor stopped on an error it cannot recover from.
    case failed(NetlinkError)
}

/// Event stream of one namespace: a socket subscribed to RTNLGRP_LINK and the IPv4/IPv6
/// address groups (4 MiB SO_RCVBUF), read on its own thread; each datagram is stamped with
/// CLOCK_MONOTONIC when recv returns, and a re-dump follows an ENOBUFS overflow.
public final class LinkMonitor: Sendable {
    private let events: NetlinkSocket
    private let requests: NetlinkSocket
    private let wakeFD: Int32
    private let thread: Mutex<NamespaceThread.JoinHandle?>
    private let barriers: Barriers
    public let namespace: String

    /// Barrier requests waiting for their reply on the events socket.
    final class Barriers: Sendable {
        struct State {
            var next: UInt32 = 0x4000_0000
            var waiting: [UInt32: CheckedContinuation<Void, any Error>] = [:]
            /// Set once the reader thread ended: no reply will come.
            var ended: NetlinkError?
        }
        let state = Mutex(State())

        /// Resumes the barrier `sequence` (when it is one of ours).
        func complete(_ sequence: UInt32) {
            state.withLock { $0.waiting.removeValue(forKey: sequence) }?.resume()
        }

        /// Resumes every barrier: successfully after a re-dump (the state is current), with
        /// `error` when the reader ends.
        func completeAll(_ error: NetlinkError?) {
            let waiting = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
                if let error { state.ended = error }
                defer { state.waiting = [:] }
                return Array(state.waiting.values)
            }
            for continuation in waiting {
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }

    /// Subscribes inside the namespace and starts the reader thread. Events that arrive
    /// after this returns go to `handler`, in order, on the reader thread.
    /// - Parameter initialDump: called (before any event) with a dump taken after subscribing.
    public init(
        namespace: String, namespaceFD: Int32?, receiveBuffer: Int = 4 << 20,
        initialDump: ([Link]) -> Void = { _ in }, handler: @escaping @Sendable (LinkEvent) -> Void
    ) throws {
        self.namespace = namespace
        let make = { () throws -> (NetlinkSocket, NetlinkSocket) in
            let events = try NetlinkSocket(
                label: namespace, groups: RTMGroup.link | RTMGroup.ipv4Address | RTMGroup.ipv6Address,
                receiveBuffer: receiveBuffer, receiveTimeoutMilliseconds: nil)
            return (events, try NetlinkSocket(label: namespace))
        }
        let pair =
            if let namespaceFD { try NamespaceThread.run(namespaceFD: namespaceFD, label: namespace, make) } else {
                try make()
            }
        events = pair.0
        requests = pair.1
        wakeFD = try syscall("eventfd", namespace) { eventfd(0, Int32(EFD_CLOEXEC)) }
        thread = Mutex(nil)
        let barriers = Barriers()
        self.barriers = barriers
        initialDump(try Self.dumpLinks(requests, namespace))
        let events = self.events
        let requests = self.requests
        let wakeFD = self.wakeFD
        let handle = try NamespaceThread.start(label: namespace) {
            Self.loop(
                events: events, requests: requests, wakeFD: wakeFD, namespace: namespace, barriers: barriers,
                handler: handler)
            barriers.completeAll(NetlinkError(operation: "monitor", object: namespace, errno: .badFileDescriptor))
        }
        thread.withLock { $0 = handle }
    }

    /// Stops the reader thread and closes the sockets (idempotent).
    public func stop() {
        guard
            let handle = thread.withLock({ state -> NamespaceThread.JoinHandle? in
                defer { state = nil }
                return state
            })
        else { return }
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
        handle.join()
        events.close()
        requests.close()
        _ = close(wakeFD)
    }

    deinit { stop() }

    /// A barrier: returns once every event the kernel emitted before the call went to the
    /// handler. Sends RTM_GETLINK for lo (ifindex 1) with a sequence number of its own on the
    /// events socket; the kernel queues the unicast reply behind every multicast event already
    /// queued there, so when the reader meets the reply, all earlier events were handled.
    /// - Throws: `NetlinkError` when the request cannot be sent or the reader has stopped.
    public func synchronize() async throws {
        let barriers = self.barriers
        let sequence = barriers.state.withLock { state -> UInt32 in
            state.next &+= 1
            return state.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ended = barriers.state.withLock { state -> NetlinkError? in
                    if state.ended == nil { state.waiting[sequence] = continuation }
                    return state.ended
                }
                if let ended { return continuation.resume(throwing: ended) }
                if Task.isCancelled {
                    barriers.state.withLock { $0.waiting.removeValue(forKey: sequence) }?.resume(
                        throwing: CancellationError())
                    return
                }
                do throws(NetlinkError) {
                    var message = NetlinkMessageBuilder(type: RTM.getLink, flags: 0)
                    message.appendFamilyHeader(LinkRequest.ifinfomsg(index: 1))
                    try events.sendRequest(message, sequence: sequence, operation: "barrier")
                } catch {
                    barriers.state.withLock { $0.waiting.removeValue(forKey: sequence) }?.resume(throwing: error)
                }
            }
        } onCancel: {
            barriers.state.withLock { $0.waiting.removeValue(forKey: sequence) }?.resume(throwing: CancellationError())
        }
    }

    private static func dumpLinks(_ socket: NetlinkSocket, _ namespace: String) throws(NetlinkError) -> [Link] {
        try socket.dump(LinkRequest.dump(), operation: "dump links", object: namespace).compactMap { reply in
            reply.type == RTM.newLink ? try? Link(payload: reply.payload) : nil
        }
    }

    private static func loop(
        events: NetlinkSocket, requests: NetlinkSocket, wakeFD: Int32, namespace: String, barriers: Barriers,
        handler: @Sendable (LinkEvent) -> Void
    ) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var fds = [
            pollfd(fd: events.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                handler(.failed(NetlinkError(operation: "poll", object: namespace, errno: Errno(rawValue: errno))))
                return
            }
            if fds[1].revents != 0 { return }
            if fds[0].revents == 0 { continue }
            do throws(NetlinkError) {
                let (messages, time) = try events.receive(into: &buffer)
                for message in messages {
                    // The reply to a barrier request: every event before it was handled.
                    if message.portID == events.portID, message.sequence >= 0x4000_0000 {
                        barriers.complete(message.sequence)
                        continue
                    }
                    switch message.type {
                    case RTM.newLink, RTM.delLink:
                        if let link = try? Link(payload: message.payload) {
                            handler(.link(link, deleted: message.type == RTM.delLink, time: time))
                        }
                    case RTM.newAddr, RTM.delAddr:
                        if let address = try? Address(payload: message.payload) {
                            handler(.address(address, deleted: message.type == RTM.delAddr, time: time))
                        }
                    default: break
                    }
                }
            } catch  where error.errno == .noBufferSpace {
                do throws(NetlinkError) {
                    let links = try dumpLinks(requests, namespace)
                    handler(.resync(links, time: MonotonicTime.now()))
                    // A barrier's reply may have been dropped with the events; the state was re-read.
                    barriers.completeAll(nil)
                } catch {
                    handler(.failed(error))
                    return
                }
            } catch  where error.errno == .wouldBlock || error.errno == .resourceTemporarilyUnavailable {
                continue
            } catch {
                handler(.failed(error))
                return
            }
        }
    }
}
