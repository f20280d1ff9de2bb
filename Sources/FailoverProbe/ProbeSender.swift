internal import CNetShims
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Sends one stream on a dedicated thread, paced against absolute CLOCK_MONOTONIC deadlines.
///
/// Deadline k is `start + k × interval` (computed from k, so no drift accumulates). The thread
/// sleeps with `MonotonicTime.sleep(until:)` (absolute) until `spin` before the deadline, then spins on
/// `MonotonicTime.now()`. Each packet carries the time read just before its `send`, never its deadline:
/// when the thread falls behind, late packets go out as fast as possible with their *actual*
/// send times, and the lateness is recorded (`maxLatenessNanoseconds`, `latePackets`).
/// Packets rotate over `flows` connected sockets (distinct source ports) so hash policies spread them.
///
/// Above 50 kpps (interval < 20 µs) packets go out in batches (`ProbeBatching`): one `sendmmsg` per
/// batch at the deadline of the batch's first packet, all packets of the batch stamped with the time
/// read just before the call and sent on one socket; batches rotate over the flows. Sequence order
/// on the wire is unchanged. At lower rates each packet has its own deadline and `send` call.
final class ProbeSender: Sendable {
    /// Time before a deadline at which sleeping stops and spinning starts.
    static let spinNanoseconds: UInt64 = 20_000
    /// Statistics are published for snapshots at least this often (packets), with the thread's CPU time.
    static let publishEvery: UInt64 = 256
    /// … and at least this often in time (ns): a mid-run evaluation sees every packet sent more than
    /// this long ago, at any rate (at 10 pps, every packet is published as it is sent).
    static let publishIntervalNanoseconds: UInt64 = 2_000_000

    let configuration: ProbeStreamConfiguration
    private let sockets: [Int32]
    private let stopFlag = Atomic<Bool>(false)
    private let published = Mutex(SenderStatistics())
    private let thread = Mutex<ProbeThread?>(nil)

    /// Opens and connects one socket per flow. Throws on any socket failure (closing what it opened).
    init(configuration: ProbeStreamConfiguration, socketFactory: SocketFactory) throws {
        self.configuration = configuration
        let object = "probe \(configuration.probe) sender (\(configuration.direction))"
        let family = ProbeSocket.family(of: configuration.destinationAddress)
        var opened: [Int32] = []
        var ports: [Int] = []
        do {
            for _ in 0..<configuration.flows {
                let fd = try socketFactory(configuration.senderNamespace, family, Int32(SOCK_DGRAM.rawValue))
                opened.append(fd)
                try ProbeSocket.bind(fd, address: configuration.sourceAddress, family: family, port: 0, object: object)
                try ProbeSocket.connect(
                    fd, address: configuration.destinationAddress, port: configuration.port, object: object)
                ports.append(ProbeSocket.localPort(fd) ?? 0)
            }
        } catch {
            for fd in opened { close(fd) }
            throw error
        }
        sockets = opened
        published.withLock {
            $0.sentPerFlow = Array(repeating: 0, count: opened.count)
            $0.sourcePorts = ports
        }
    }

    /// Starts the sending thread; the first deadline is `startAt` (default: when the thread starts).
    func start(at startAt: UInt64? = nil) {
        let runner = ProbeThread(name: "probe-send-\(configuration.probe)") { [self] in
            run(startAt: startAt ?? monotonicNanoseconds())
        }
        thread.withLock { $0 = runner }
    }

    /// Current statistics (published at least every 256 packets, every 2 ms while sending, and at stop).
    var statistics: SenderStatistics { published.withLock { $0 } }

    /// Suspends until the sender has stopped by itself (packet limit reached) or was stopped.
    func finished() async {
        if let runner = thread.withLock({ $0 }) { await runner.join() }
    }

    /// Asks the thread to stop, waits for it, closes the sockets, and returns the final statistics.
    func stop() async -> SenderStatistics {
        stopFlag.store(true, ordering: .releasing)
        if let runner = thread.withLock({ $0 }) { await runner.join() }
        return statistics
    }

    private func run(startAt: UInt64) {
        defer { for fd in sockets { close(fd) } }
        let batching = ProbeBatching(rate: configuration.rate)
        if batching.size > 1 {
            runBatched(startAt: startAt, batching: batching)
        } else {
            runSingle(startAt: startAt)
        }
    }

    /// One `send` per packet, each at its own deadline.
    private func runSingle(startAt: UInt64) {
        let interval = configuration.intervalNanoseconds
        let flows = UInt64(sockets.count)
        var stats = published.withLock { $0 }
        stats.scheduleStartNanoseconds = startAt
        var buffer = [UInt8](repeating: 0, count: configuration.payloadSize)
        var sequence: UInt64 = 0
        var lastPublished: UInt64 = 0
        let limit = configuration.packetLimit.map { UInt64(max($0, 0)) } ?? UInt64.max
        buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            while !stopFlag.load(ordering: .relaxed), sequence < limit {
                let deadline = startAt &+ UInt64((Double(sequence) * interval).rounded())
                var now = monotonicNanoseconds()
                if now &+ Self.spinNanoseconds < deadline {
                    // Sleep in slices of at most 10 ms so a stop request is seen promptly.
                    sleepUntilMonotonic(min(deadline &- Self.spinNanoseconds, now &+ 10_000_000))
                    continue
                }
                while now < deadline { now = monotonicNanoseconds() }
                let flow = Int(sequence % flows)
                let header = ProbeHeader(
                    direction: configuration.direction, flowIndex: UInt16(truncatingIfNeeded: flow),
                    streamID: configuration.streamID, sequence: sequence, sendNanoseconds: 0)
                header.encode(into: raw)
                let sendTime = monotonicNanoseconds()
                ProbeHeader.patchSendTime(sendTime, into: raw)
                let rc = Glibc.send(sockets[flow], base, raw.count, Int32(MSG_DONTWAIT))
                stats.sendCalls += 1
                if rc < 0 {
                    stats.recordFailure(sequence: sequence, errno: errno)
                } else {
                    stats.sent += 1
                    stats.sentPerFlow[flow] += 1
                }
                if sequence == 0 { stats.firstSendNanoseconds = sendTime }
                stats.lastSendNanoseconds = sendTime
                let lateness = sendTime &- deadline
                if sendTime > deadline {
                    stats.maxLatenessNanoseconds = max(stats.maxLatenessNanoseconds, lateness)
                    if Double(lateness) > interval { stats.latePackets += 1 }
                }
                sequence += 1
                stats.attempted = sequence
                let byCount = sequence % Self.publishEvery == 0
                if byCount || sequence == 1 || sendTime &- lastPublished >= Self.publishIntervalNanoseconds {
                    if byCount { stats.cpuNanoseconds = threadCPUNanoseconds() }
                    lastPublished = sendTime
                    let copy = stats
                    published.withLock { $0 = copy }
                }
            }
        }
        stats.cpuNanoseconds = threadCPUNanoseconds()
        let final = stats
        published.withLock { $0 = final }
    }

    /// `sendmmsg` batches of `batching.size` packets, each batch at the deadline of its first packet.
    private func runBatched(startAt: UInt64, batching: ProbeBatching) {
        let interval = configuration.intervalNanoseconds
        let flows = UInt64(sockets.count)
        let size = batching.size
        let payloadSize = configuration.payloadSize
        var stats = published.withLock { $0 }
        stats.scheduleStartNanoseconds = startAt
        stats.batchSize = size
        stats.batchSpanNanoseconds = batching.spanNanoseconds
        let limit = configuration.packetLimit.map { UInt64(max($0, 0)) } ?? UInt64.max
        // One payload slot, iovec and mmsghdr per packet of a batch; headers pre-encoded, patched per batch.
        let payloads = UnsafeMutableRawBufferPointer.allocate(byteCount: size * payloadSize, alignment: 16)
        let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: size)
        let messages = UnsafeMutablePointer<CNetShims_mmsghdr>.allocate(capacity: size)
        defer {
            payloads.deallocate()
            vectors.deallocate()
            messages.deallocate()
        }
        payloads.initializeMemory(as: UInt8.self, repeating: 0)
        func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(rebasing: payloads[(index * payloadSize)..<((index + 1) * payloadSize)])
        }
        for index in 0..<size {
            let buffer = slot(index)
            ProbeHeader(
                direction: configuration.direction, flowIndex: 0, streamID: configuration.streamID, sequence: 0,
                sendNanoseconds: 0
            )
            .encode(into: buffer)
            (vectors + index).initialize(to: iovec(iov_base: buffer.baseAddress, iov_len: payloadSize))
            var header = msghdr()
            header.msg_iov = vectors + index
            header.msg_iovlen = 1
            (messages + index).initialize(to: CNetShims_mmsghdr(msg_hdr: header, msg_len: 0))
        }
        var sequence: UInt64 = 0
        var lastPublished: UInt64 = 0
        var batchIndex: UInt64 = 0
        while !stopFlag.load(ordering: .relaxed), sequence < limit {
            let deadline = startAt &+ UInt64((Double(sequence) * interval).rounded())
            var now = monotonicNanoseconds()
            if now &+ Self.spinNanoseconds < deadline {
                sleepUntilMonotonic(min(deadline &- Self.spinNanoseconds, now &+ 10_000_000))
                continue
            }
            while now < deadline { now = monotonicNanoseconds() }
            let count = Int(min(UInt64(size), limit - sequence))
            let flow = Int(batchIndex % flows)
            for index in 0..<count {
                ProbeHeader.patchFlowAndSequence(
                    flow: UInt16(truncatingIfNeeded: flow), sequence: sequence &+ UInt64(index), into: slot(index))
            }
            let sendTime = monotonicNanoseconds()
            for index in 0..<count { ProbeHeader.patchSendTime(sendTime, into: slot(index)) }
            // Every packet gets exactly one attempt: a failing message is recorded and skipped.
            var done = 0
            var failures = 0
            while done < count {
                let rc = CNetShims_sendmmsg(sockets[flow], messages + done, UInt32(count - done), Int32(MSG_DONTWAIT))
                stats.sendCalls += 1
                if rc > 0 {
                    done += Int(rc)
                } else {
                    stats.recordFailure(sequence: sequence &+ UInt64(done), errno: rc < 0 ? errno : EAGAIN)
                    done += 1
                    failures += 1
                }
            }
            stats.sent += UInt64(count - failures)
            stats.sentPerFlow[flow] += UInt64(count - failures)
            if sequence == 0 { stats.firstSendNanoseconds = sendTime }
            stats.lastSendNanoseconds = sendTime
            if sendTime > deadline {
                let lateness = sendTime &- deadline
                stats.maxLatenessNanoseconds = max(stats.maxLatenessNanoseconds, lateness)
                if Double(lateness) > interval { stats.latePackets += UInt64(count) }
            }
            let previous = sequence
            sequence += UInt64(count)
            batchIndex += 1
            stats.attempted = sequence
            let byCount = sequence / Self.publishEvery != previous / Self.publishEvery
            if byCount || previous == 0 || sendTime &- lastPublished >= Self.publishIntervalNanoseconds {
                if byCount { stats.cpuNanoseconds = threadCPUNanoseconds() }
                lastPublished = sendTime
                let copy = stats
                published.withLock { $0 = copy }
            }
        }
        stats.cpuNanoseconds = threadCPUNanoseconds()
        let final = stats
        published.withLock { $0 = final }
    }
}
