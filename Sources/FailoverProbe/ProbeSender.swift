import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Sends one stream on a dedicated thread, paced against absolute CLOCK_MONOTONIC deadlines.
///
/// Deadline k is `start + k × interval` (computed from k, so no drift accumulates). The thread
/// sleeps with `clock_nanosleep(TIMER_ABSTIME)` until `spin` before the deadline, then spins on
/// `clock_gettime`. Each packet carries the time read just before its `send`, never its deadline:
/// when the thread falls behind, late packets go out as fast as possible with their *actual*
/// send times, and the lateness is recorded (`maxLatenessNanoseconds`, `latePackets`).
/// Packets rotate over `flows` connected sockets (distinct source ports) so hash policies spread them.
final class ProbeSender: Sendable {
    /// Time before a deadline at which sleeping stops and spinning starts.
    static let spinNanoseconds: UInt64 = 20_000
    /// Statistics are published for snapshots at least this often (packets).
    static let publishEvery: UInt64 = 256

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

    /// Current statistics (published at least every 256 packets and at stop).
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
        let interval = configuration.intervalNanoseconds
        let flows = UInt64(sockets.count)
        var stats = published.withLock { $0 }
        stats.scheduleStartNanoseconds = startAt
        var buffer = [UInt8](repeating: 0, count: configuration.payloadSize)
        var sequence: UInt64 = 0
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
                if sequence % Self.publishEvery == 0 {
                    let copy = stats
                    published.withLock { $0 = copy }
                }
            }
        }
        let final = stats
        published.withLock { $0 = final }
    }
}
