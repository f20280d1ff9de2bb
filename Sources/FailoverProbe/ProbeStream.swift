internal import CNetShims
public import FailoverModel
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Everything one stream direction recorded, ready for `ProbeAnalysis`.
public struct ProbeCapture: Sendable {
    public var configuration: ProbeStreamConfiguration
    public var sender: SenderStatistics
    public var receiver: ReceiverStatistics
    /// Arrivals in the order the receiver saw them.
    public var arrivals: [ProbeArrival]
    /// When the capture was taken.
    public var takenAt: MonotonicInstant
    /// Packets not received and (estimated) sent after this instant are in flight: not judged.
    /// For a stopped stream this is the last send time (everything sent is judged).
    public var judgeSentBefore: MonotonicInstant
    /// True once the stream was stopped and drained.
    public var complete: Bool
    /// The drain interval waited after the sender stopped (ns), 0 for snapshots.
    public var drainNanoseconds: UInt64

    public init(
        configuration: ProbeStreamConfiguration, sender: SenderStatistics, receiver: ReceiverStatistics,
        arrivals: [ProbeArrival], takenAt: MonotonicInstant, judgeSentBefore: MonotonicInstant, complete: Bool,
        drainNanoseconds: UInt64 = 0
    ) {
        self.configuration = configuration
        self.sender = sender
        self.receiver = receiver
        self.arrivals = arrivals
        self.takenAt = takenAt
        self.judgeSentBefore = judgeSentBefore
        self.complete = complete
        self.drainNanoseconds = drainNanoseconds
    }

    /// Nanoseconds between packets.
    public var intervalNanoseconds: Double { configuration.intervalNanoseconds }
}

/// One direction of a probe: a receiver thread and a paced sender thread.
///
/// ```swift
/// let stream = try ProbeStream(configuration: config, socketFactory: factory, logger: logger)
/// try stream.start()
/// let partial = stream.snapshot()          // while running (for `expect` steps)
/// let capture = await stream.stop()        // stops the sender, drains, stops the receiver
/// let report = ProbeAnalysis.analyze(capture, faults: faults)
/// ```
public final class ProbeStream: Sendable {
    /// Minimum drain interval after the sender stops.
    public static let minimumDrainNanoseconds: UInt64 = 50_000_000
    /// Maximum drain interval (a packet later than this counts as lost).
    public static let maximumDrainNanoseconds: UInt64 = 2_000_000_000

    public let configuration: ProbeStreamConfiguration
    private let logger: Logger
    private let receiver: ProbeReceiver
    private let sender: ProbeSender
    private let phase = Mutex(Phase.created)
    private let finalCapture = Mutex<ProbeCapture?>(nil)
    private let analysis: AnalysisBox
    private let analysisStop = Atomic<Bool>(false)
    private let analysisThread = Mutex<ProbeThread?>(nil)

    private enum Phase { case created, running, stopped }

    /// Sockets in the current network namespace (`nsName` must be nil), created with SOCK_CLOEXEC.
    public static let currentNamespaceSockets: SocketFactory = { namespace, family, type in
        guard namespace == nil else {
            throw ProbeError(
                .invalidConfiguration, operation: "open socket (no namespace-aware socket factory given)",
                object: namespace ?? "")
        }
        let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw ProbeError(.syscall, operation: "socket", object: "family \(family)", errno: errno)
        }
        return fd
    }

    /// Opens the receiving socket and the sending sockets (nothing is sent yet).
    /// - Throws: `ProbeError` for a bad configuration or a failing socket call; errors of `socketFactory`.
    public init(
        configuration: ProbeStreamConfiguration,
        socketFactory: @escaping SocketFactory = ProbeStream.currentNamespaceSockets,
        logger: Logger
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        analysis = AnalysisBox(configuration: configuration)
        receiver = try ProbeReceiver(configuration: configuration, socketFactory: socketFactory)
        do {
            sender = try ProbeSender(configuration: configuration, socketFactory: socketFactory)
        } catch {
            // The receiver's socket is closed by its thread; start and stop it at once.
            let receiver = self.receiver
            receiver.start()
            Task { _ = await receiver.stop() }
            throw error
        }
    }

    /// Starts the receiver, then the sender.
    /// - Throws: `ProbeError.Code.invalidState` when already started.
    public func start() throws {
        try phase.withLock { phase in
            guard phase == .created else {
                throw ProbeError(.invalidState, operation: "start", object: "probe \(configuration.probe)")
            }
            phase = .running
        }
        receiver.start()
        sender.start()
        // Arrivals are analysed as they come (every 100 ms, off the receiving thread), so an
        // evaluation only reads what arrived since (`evaluate`).
        let runner = ProbeThread(name: "probe-analyse-\(configuration.probe)") { [self] in
            while !analysisStop.load(ordering: .relaxed) {
                let until = monotonicNanoseconds() &+ AnalysisBox.refreshEveryNanoseconds
                while !analysisStop.load(ordering: .relaxed), monotonicNanoseconds() < until {
                    sleepUntilMonotonic(min(until, monotonicNanoseconds() &+ 50_000_000))
                }
                if !analysisStop.load(ordering: .relaxed) { _ = refresh() }
            }
        }
        analysisThread.withLock { $0 = runner }
        logger.debug(
            "probe stream started",
            metadata: [
                "probe": "\(configuration.probe)", "direction": "\(configuration.direction)",
                "rate": "\(configuration.rate)", "flows": "\(configuration.flows)",
            ])
    }

    /// What has been sent and received so far. Packets sent within the drain interval before now
    /// that have not arrived are treated as in flight, not lost.
    public func snapshot() -> ProbeCapture {
        if let final = finalCapture.withLock({ $0 }) { return final }
        // The sender publishes its statistics every `ProbeSender.publishEvery` packets: arrivals
        // beyond the published `attempted` were sent after it; leave them to the next snapshot
        // (else they would count as sequence numbers never sent).
        let (received, receiverStats) = receiver.snapshot()
        let senderStats = sender.statistics
        let now = monotonicNanoseconds()
        let arrivals = received.filter { $0.sequence < senderStats.attempted }
        let drain = drainInterval()
        return ProbeCapture(
            configuration: configuration, sender: senderStats, receiver: receiverStats, arrivals: arrivals,
            takenAt: MonotonicInstant(nanoseconds: now),
            judgeSentBefore: MonotonicInstant(nanoseconds: now &- min(drain, now)), complete: false)
    }

    /// The figures of everything sent up to now, incrementally (only arrivals since the previous
    /// call are analysed; see `ProbeAnalyzer`). Packets sent within the drain interval before now
    /// that have not arrived are in flight, not lost. After `stop`, the complete stream.
    /// The additive backup delay is left out (the final analysis computes it).
    public func evaluate(
        faults: [ProbeFault], senderLatenessBound: UInt64 = ProbeAnalysis.maximumSenderLatenessNanoseconds
    ) -> ProbeReport {
        if let final = finalCapture.withLock({ $0 }) {
            return analysis.state.withLock { state in
                state.analyzer.latenessBound = senderLatenessBound
                let ingested = state.analyzer.ingested
                if ingested < final.arrivals.count {
                    state.analyzer.ingest(final.arrivals[ingested...], limit: final.sender.attempted)
                }
                return state.analyzer.report(
                    sender: final.sender, receiver: final.receiver, judgeSentBefore: final.judgeSentBefore.nanoseconds,
                    complete: true, drainNanoseconds: final.drainNanoseconds, faults: faults)
            }
        }
        let (senderStats, receiverStats, judge) = refresh()
        return analysis.state.withLock { state in
            state.analyzer.latenessBound = senderLatenessBound
            return state.analyzer.report(
                sender: senderStats, receiver: receiverStats, judgeSentBefore: judge, complete: false,
                drainNanoseconds: 0, faults: faults)
        }
    }

    /// Ingests the arrivals since the previous refresh and settles what can no longer change.
    private func refresh() -> (SenderStatistics, ReceiverStatistics, UInt64) {
        let senderStats = sender.statistics
        let receiverStats = receiver.statistics
        let now = monotonicNanoseconds()
        let judge = now &- min(drainInterval(), now)
        let plausible = senderStats.attempted &+ UInt64(configuration.rate) &+ 65_536
        analysis.state.withLock { state in
            state.analyzer.ingest(receiver.arrivals(from: state.analyzer.ingested), limit: plausible)
            state.analyzer.settle(sender: senderStats, judgeBefore: judge)
        }
        return (senderStats, receiverStats, judge)
    }

    /// Suspends until the sender has sent `packetLimit` packets (returns at once without a limit
    /// only after `stop`). Use before `stop()` for bounded streams.
    public func senderFinished() async {
        await sender.finished()
    }

    /// Stops sending, waits the drain interval (3 × the largest one-way delay seen, at least 50 ms,
    /// at most 2 s), stops receiving, and returns the complete capture. Idempotent.
    public func stop() async -> ProbeCapture {
        let wasRunning = phase.withLock { phase -> Bool in
            defer { phase = .stopped }
            return phase == .running
        }
        if !wasRunning, let final = finalCapture.withLock({ $0 }) { return final }
        if !wasRunning {
            // Never started: run both threads briefly so they close their sockets.
            receiver.start()
            sender.start(at: UInt64.max / 2)
        }
        // The analysis thread only reads the receiver's store and the sender's statistics: it ends
        // within one sleep slice (50 ms) without being waited for.
        analysisStop.store(true, ordering: .releasing)
        let senderStats = await sender.stop()
        let drain = drainInterval()
        if wasRunning { try? await Task.sleep(for: .nanoseconds(Int64(drain))) }
        let (arrivals, receiverStats) = await receiver.stop()
        let capture = ProbeCapture(
            configuration: configuration, sender: senderStats, receiver: receiverStats, arrivals: arrivals,
            takenAt: probeMonotonicNow(),
            judgeSentBefore: MonotonicInstant(nanoseconds: senderStats.lastSendNanoseconds), complete: true,
            drainNanoseconds: wasRunning ? drain : 0)
        finalCapture.withLock { $0 = capture }
        logger.debug(
            "probe stream stopped",
            metadata: [
                "probe": "\(configuration.probe)", "direction": "\(configuration.direction)",
                "sent": "\(senderStats.sent)", "received": "\(receiverStats.received)",
                "socketDrops": "\(receiverStats.socketDrops)",
            ])
        return capture
    }

    private func drainInterval() -> UInt64 { Self.drainInterval(maxOneWayDelay: receiver.maxOneWayDelay) }

    static func drainInterval(maxOneWayDelay: UInt64) -> UInt64 {
        min(max(3 * maxOneWayDelay, minimumDrainNanoseconds), maximumDrainNanoseconds)
    }
}

/// The incremental analysis of one stream, shared by its analysis thread and evaluations.
final class AnalysisBox: Sendable {
    /// How often the analysis thread ingests new arrivals and settles.
    static let refreshEveryNanoseconds: UInt64 = 500_000_000

    struct State: Sendable {
        var analyzer: ProbeAnalyzer
    }

    let state: Mutex<State>

    init(configuration: ProbeStreamConfiguration) {
        state = Mutex(State(analyzer: ProbeAnalyzer(configuration: configuration)))
    }
}
