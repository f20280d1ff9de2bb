internal import CNetShims
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Receives one stream on a dedicated thread and stores compact arrival records.
///
/// Timestamps: the socket has SO_TIMESTAMPNS, so every datagram carries the kernel's receive
/// time (CLOCK_REALTIME, ns). After each receive batch the thread samples CLOCK_REALTIME and
/// CLOCK_MONOTONIC back to back and converts with that offset; a datagram without the control
/// message is stamped with CLOCK_MONOTONIC (`MonotonicTime.now()`) at receipt. SO_RXQ_OVFL reports
/// datagrams the socket dropped for lack of buffer: measurement error, never network loss.
///
/// Receiving uses `recvmmsg` (64 messages per call, each with its own control buffer, so every
/// datagram keeps its own SCM_TIMESTAMPNS): the first call waits for one datagram (MSG_WAITFORONE,
/// with a 20 ms SO_RCVTIMEO so stop is seen), further non-blocking calls drain the queue up to
/// `batchLimit`; the batch is then published under a lock. (`recvmmsg` needs `_GNU_SOURCE`, so it
/// is called through a CNetShims shim.)
///
/// A stream to a CARP group's VIP (`configuration.memberNamespaces`) has one socket per member
/// namespace, each bound to the VIP with IP_FREEBIND (a backup does not hold it yet): the thread
/// polls them all and merges the receptions into one sequence by receive time
/// (`ProbeReceiver.merge`); a datagram received by two members is a duplicate of the stream.
final class ProbeReceiver: Sendable {
    /// Arrivals published per lock acquisition (at most).
    static let batchLimit = 256
    /// Messages per `recvmmsg` call.
    static let messagesPerCall = 64
    /// Control buffer per message (SCM_TIMESTAMPNS + SO_RXQ_OVFL need 48 bytes).
    static let controlSize = 128
    static let chunkCapacity = 1 << 16

    let configuration: ProbeStreamConfiguration
    /// One socket per receiving namespace (several for a VIP: one per CARP member).
    private let fds: [Int32]
    private let stopFlag = Atomic<Bool>(false)
    private let store = Mutex(Store())
    private let thread = Mutex<ProbeThread?>(nil)

    private struct Store {
        var chunks: [[ProbeArrival]] = []
        var statistics = ReceiverStatistics()
        /// Largest one-way delay seen (ns), for the drain interval.
        var maxOneWayDelay: UInt64 = 0

        mutating func append(contentsOf batch: [ProbeArrival]) {
            for arrival in batch {
                if chunks.isEmpty || chunks[chunks.count - 1].count == ProbeReceiver.chunkCapacity {
                    var chunk: [ProbeArrival] = []
                    chunk.reserveCapacity(ProbeReceiver.chunkCapacity)
                    chunks.append(chunk)
                }
                chunks[chunks.count - 1].append(arrival)
            }
        }
    }

    /// Opens and binds the receiving socket(s) with a large buffer, timestamps and drop counting.
    init(configuration: ProbeStreamConfiguration, socketFactory: SocketFactory) throws {
        self.configuration = configuration
        var fds: [Int32] = []
        do {
            for namespace in configuration.receiverNamespaces {
                fds.append(try Self.openSocket(configuration, namespace: namespace, socketFactory: socketFactory))
            }
        } catch {
            for fd in fds { close(fd) }
            throw error
        }
        self.fds = fds
        let granted = fds.first.map { Int(ProbeSocket.getIntOption($0, SOL_SOCKET, SO_RCVBUF) ?? 0) } ?? 0
        let members = fds.count
        store.withLock {
            $0.statistics.receiveBufferBytes = granted
            if configuration.isVirtualDestination {
                $0.statistics.receivedByMember = Array(repeating: 0, count: members)
            }
        }
    }

    private static func openSocket(
        _ configuration: ProbeStreamConfiguration, namespace: String?, socketFactory: SocketFactory
    ) throws -> Int32 {
        let object =
            "probe \(configuration.probe) receiver (\(configuration.direction)) port \(configuration.port)"
            + (configuration.isVirtualDestination ? " in \(namespace ?? "current namespace")" : "")
        let family = ProbeSocket.family(of: configuration.destinationAddress)
        let fd = try socketFactory(namespace, family, Int32(SOCK_DGRAM.rawValue))
        do {
            let size = Int32(clamping: configuration.receiveBufferBytes)
            do {
                try ProbeSocket.setOption(fd, SOL_SOCKET, soRcvBufForce, size, label: "SO_RCVBUFFORCE", object: object)
            } catch {
                try ProbeSocket.setOption(fd, SOL_SOCKET, SO_RCVBUF, size, label: "SO_RCVBUF", object: object)
            }
            try ProbeSocket.setOption(fd, SOL_SOCKET, soTimestampNS, 1, label: "SO_TIMESTAMPNS", object: object)
            try ProbeSocket.setOption(fd, SOL_SOCKET, soRxqOvfl, 1, label: "SO_RXQ_OVFL", object: object)
            try ProbeSocket.setReceiveTimeout(fd, microseconds: 20_000, object: object)
            if configuration.isVirtualDestination {
                // The VIP comes and goes with the CARP state: bind it whether it is held yet or not.
                try ProbeSocket.setOption(
                    fd, Int32(IPPROTO_IP), ipFreeBind, 1, label: "IP_FREEBIND", object: object)
            }
            try ProbeSocket.bind(
                fd, address: configuration.destinationAddress, family: family, port: configuration.port, object: object)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Merges the receptions of several sockets (each in receive order) into one sequence by
    /// receive time; equal times keep the order of the sockets. Duplicates (one datagram received
    /// by two members) are kept: the analysis counts them as duplicated.
    static func merge(_ batches: [[ProbeArrival]]) -> [ProbeArrival] {
        let nonEmpty = batches.filter { !$0.isEmpty }
        guard nonEmpty.count > 1 else { return nonEmpty.first ?? [] }
        let flat = nonEmpty.enumerated().flatMap { socket, batch in
            batch.enumerated().map { (socket: socket, index: $0.offset, arrival: $0.element) }
        }
        return flat.sorted {
            ($0.arrival.receivedNanoseconds, $0.socket, $0.index) < (
                $1.arrival.receivedNanoseconds, $1.socket, $1.index
            )
        }.map(\.arrival)
    }

    func start() {
        let runner = ProbeThread(name: "probe-recv-\(configuration.probe)") { [self] in run() }
        thread.withLock { $0 = runner }
    }

    /// Largest one-way delay seen so far, ns.
    var maxOneWayDelay: UInt64 { store.withLock { $0.maxOneWayDelay } }

    /// The statistics so far (without copying the arrivals).
    var statistics: ReceiverStatistics { store.withLock { $0.statistics } }

    /// A copy of the arrivals from the `index`-th on (what arrived since a previous call).
    func arrivals(from index: Int) -> [ProbeArrival] {
        store.withLock { store in
            var result: [ProbeArrival] = []
            var chunk = index / Self.chunkCapacity
            var offset = index % Self.chunkCapacity
            while chunk < store.chunks.count {
                let current = store.chunks[chunk]
                if offset < current.count { result.append(contentsOf: current[offset...]) }
                chunk += 1
                offset = 0
            }
            return result
        }
    }

    /// A copy of everything received so far.
    func snapshot() -> (arrivals: [ProbeArrival], statistics: ReceiverStatistics) {
        store.withLock { store in
            var flat: [ProbeArrival] = []
            flat.reserveCapacity(store.chunks.reduce(0) { $0 + $1.count })
            for chunk in store.chunks { flat.append(contentsOf: chunk) }
            return (flat, store.statistics)
        }
    }

    /// Stops the thread, closes the socket, returns everything received.
    func stop() async -> (arrivals: [ProbeArrival], statistics: ReceiverStatistics) {
        stopFlag.store(true, ordering: .releasing)
        if let runner = thread.withLock({ $0 }) { await runner.join() }
        return snapshot()
    }

    private func run() {
        defer { for fd in fds { close(fd) } }
        let vectorLength = Self.messagesPerCall
        // Only the header is read: a longer (foreign) datagram is truncated, which is harmless.
        let slotSize = max(configuration.payloadSize, ProbeHeader.size)
        let controlSize = Self.controlSize
        let data = UnsafeMutableRawPointer.allocate(byteCount: vectorLength * slotSize, alignment: 16)
        let control = UnsafeMutableRawPointer.allocate(byteCount: vectorLength * controlSize, alignment: 16)
        let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: vectorLength)
        let messages = UnsafeMutablePointer<CNetShims_mmsghdr>.allocate(capacity: vectorLength)
        defer {
            data.deallocate()
            control.deallocate()
            vectors.deallocate()
            messages.deallocate()
        }
        for index in 0..<vectorLength {
            (vectors + index).initialize(to: iovec(iov_base: data + index * slotSize, iov_len: slotSize))
            (messages + index).initialize(to: CNetShims_mmsghdr(msg_hdr: msghdr(), msg_len: 0))
        }
        let waitForOne = CNetShims_MSG_WAITFORONE()
        var batch: [ProbeArrival] = []
        batch.reserveCapacity(Self.batchLimit)
        var kernelStamps: [UInt64] = []
        kernelStamps.reserveCapacity(Self.batchLimit)
        var headers: [ProbeHeader] = []
        headers.reserveCapacity(Self.batchLimit)
        // The socket (member) each header came from, when there are several.
        var sockets: [Int] = []
        var byMember = [UInt64](repeating: 0, count: fds.count)
        var pollSet = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var foreign: UInt64 = 0
        var errors: UInt64 = 0
        var userspaceStamped: UInt64 = 0
        var drops: UInt64 = 0
        var maxDelay: UInt64 = 0
        var receiveCalls: UInt64 = 0
        let streamID = configuration.streamID
        let direction = configuration.direction

        while !stopFlag.load(ordering: .relaxed) {
            // Kernel stamps (realtime) of this batch, converted after the batch.
            kernelStamps.removeAll(keepingCapacity: true)
            headers.removeAll(keepingCapacity: true)
            sockets.removeAll(keepingCapacity: true)
            // One socket: the first call blocks (up to SO_RCVTIMEO) for one datagram, then takes
            // what is queued; further calls drain without blocking. Several: poll them (20 ms),
            // then drain each without blocking.
            var flags = waitForOne
            var calls = 0
            if fds.count > 1 {
                let ready = poll(&pollSet, nfds_t(pollSet.count), 20)
                if ready < 0 && errno != EINTR { errors += 1 }
                flags = Int32(MSG_DONTWAIT)
            }
            for (socket, fd) in fds.enumerated() {
                if fds.count > 1 && pollSet[socket].revents == 0 { continue }
                var socketFlags = flags
                while headers.count < Self.batchLimit {
                    for index in 0..<vectorLength {
                        var header = msghdr()
                        header.msg_iov = vectors + index
                        header.msg_iovlen = 1
                        header.msg_control = control + index * controlSize
                        header.msg_controllen = controlSize
                        messages[index] = CNetShims_mmsghdr(msg_hdr: header, msg_len: 0)
                    }
                    let count = CNetShims_recvmmsg(fd, messages, UInt32(vectorLength), socketFlags)
                    calls += 1
                    if count < 0 {
                        let code = errno
                        if code != EAGAIN && code != EWOULDBLOCK && code != EINTR { errors += 1 }
                        break
                    }
                    socketFlags = Int32(MSG_DONTWAIT)
                    for index in 0..<Int(count) {
                        let message = messages[index]
                        let (stamp, dropCounter) = Self.parseControl(
                            control + index * controlSize, length: Int(message.msg_hdr.msg_controllen))
                        if let dropCounter { drops = max(drops, UInt64(dropCounter)) }
                        guard
                            let header = ProbeHeader(
                                decoding: UnsafeRawBufferPointer(
                                    start: data + index * slotSize, count: min(Int(message.msg_len), slotSize))),
                            header.streamID == streamID, header.direction == direction
                        else {
                            foreign += 1
                            continue
                        }
                        headers.append(header)
                        kernelStamps.append(stamp ?? 0)
                        sockets.append(socket)
                    }
                    if Int(count) < vectorLength { break }
                }
                flags = socketFlags
            }
            receiveCalls += UInt64(calls)
            if headers.isEmpty && (flags == waitForOne || (fds.count > 1 && !pollSet.contains { $0.revents != 0 })) {
                continue
            }
            // REALTIME - MONOTONIC offset: of three back-to-back samples, keep the one whose
            // REALTIME bracket is narrowest (a preempted sample would skew the conversion).
            var monotonic: UInt64 = 0
            var offset: Int64 = 0
            var narrowest = UInt64.max
            for _ in 0..<3 {
                let realtime1 = realtimeNanoseconds()
                let sample = monotonicNanoseconds()
                let realtime2 = realtimeNanoseconds()
                let width = realtime2 &- realtime1
                if width < narrowest {
                    narrowest = width
                    monotonic = sample
                    offset = Int64(bitPattern: (realtime1 / 2 &+ realtime2 / 2) &- sample)
                }
            }
            batch.removeAll(keepingCapacity: true)
            for (index, header) in headers.enumerated() {
                var received = monotonic
                let kernel = kernelStamps[index]
                if kernel != 0 {
                    let converted = UInt64(bitPattern: Int64(bitPattern: kernel) &- offset)
                    // One clock for sender and receiver: a packet cannot arrive before it was
                    // sent; residual conversion error (sub-microsecond) is clamped.
                    received = max(min(converted, monotonic), header.sendNanoseconds)
                } else {
                    userspaceStamped += 1
                }
                if received > header.sendNanoseconds { maxDelay = max(maxDelay, received - header.sendNanoseconds) }
                batch.append(
                    ProbeArrival(
                        sequence: header.sequence, sentNanoseconds: header.sendNanoseconds,
                        receivedNanoseconds: received, flow: header.flowIndex))
            }
            if fds.count > 1 {
                var perSocket = [[ProbeArrival]](repeating: [], count: fds.count)
                for (index, arrival) in batch.enumerated() {
                    perSocket[sockets[index]].append(arrival)
                    byMember[sockets[index]] += 1
                }
                batch = Self.merge(perSocket)
            } else if !byMember.isEmpty {
                byMember[0] += UInt64(batch.count)
            }
            let snapshotByMember = byMember
            let snapshotForeign = foreign
            let snapshotErrors = errors
            let snapshotDrops = drops
            let snapshotStamped = userspaceStamped
            let snapshotDelay = maxDelay
            let snapshotCalls = receiveCalls
            let snapshotCPU = threadCPUNanoseconds()
            store.withLock { store in
                store.append(contentsOf: batch)
                store.statistics.received += UInt64(batch.count)
                store.statistics.foreign = snapshotForeign
                store.statistics.receiveErrors = snapshotErrors
                store.statistics.socketDrops = snapshotDrops
                store.statistics.userspaceStamped = snapshotStamped
                store.statistics.receiveCalls = snapshotCalls
                store.statistics.cpuNanoseconds = snapshotCPU
                store.maxOneWayDelay = snapshotDelay
                if configuration.isVirtualDestination { store.statistics.receivedByMember = snapshotByMember }
            }
        }
    }

    /// Walks the control messages: SCM_TIMESTAMPNS (timespec) and SO_RXQ_OVFL (u32 drop counter).
    private static func parseControl(_ control: UnsafeMutableRawPointer, length: Int) -> (UInt64?, UInt32?) {
        var stamp: UInt64?
        var drops: UInt32?
        let headerSize = MemoryLayout<cmsghdr>.size  // 16 on 64-bit; data follows, aligned to 8
        var offset = 0
        while offset + headerSize <= length {
            let header = control.load(fromByteOffset: offset, as: cmsghdr.self)
            let messageLength = Int(header.cmsg_len)
            guard messageLength >= headerSize, offset + messageLength <= length else { break }
            let dataOffset = offset + headerSize
            if header.cmsg_level == SOL_SOCKET {
                if header.cmsg_type == soTimestampNS, messageLength - headerSize >= MemoryLayout<timespec>.size {
                    let ts = control.load(fromByteOffset: dataOffset, as: timespec.self)
                    stamp = UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
                } else if header.cmsg_type == soRxqOvfl, messageLength - headerSize >= 4 {
                    drops = control.loadUnaligned(fromByteOffset: dataOffset, as: UInt32.self)
                }
            }
            offset += (messageLength + 7) & ~7
        }
        return (stamp, drops)
    }
}
