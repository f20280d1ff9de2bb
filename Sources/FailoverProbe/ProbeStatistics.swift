/// Inclusive range of sequence numbers.
public struct SequenceRange: Sendable, Hashable, Codable {
    public var first: UInt64
    public var last: UInt64
    public init(first: UInt64, last: UInt64) {
        self.first = first
        self.last = last
    }
    public var count: UInt64 { last - first + 1 }
}

/// Count of one send error kind.
public struct SendErrorCount: Sendable, Hashable, Codable {
    public var errno: Int32
    public var name: String
    public var count: UInt64
}

/// What the sender did: counts, schedule accuracy, errors.
public struct SenderStatistics: Sendable, Hashable, Codable {
    /// Sequence numbers used: 0..<attempted (each got one send attempt).
    public var attempted: UInt64 = 0
    /// Attempts the kernel accepted.
    public var sent: UInt64 = 0
    /// Accepted packets per flow (source port).
    public var sentPerFlow: [UInt64] = []
    /// Local source port of each flow.
    public var sourcePorts: [Int] = []
    /// Deadline of sequence 0 (CLOCK_MONOTONIC ns).
    public var scheduleStartNanoseconds: UInt64 = 0
    /// Actual send time of the first and last attempts.
    public var firstSendNanoseconds: UInt64 = 0
    public var lastSendNanoseconds: UInt64 = 0
    /// Largest (actual send time − deadline) seen, ns.
    public var maxLatenessNanoseconds: UInt64 = 0
    /// Packets sent more than one interval after their deadline (a batch's deadline is its first packet's).
    public var latePackets: UInt64 = 0
    /// Packets per `sendmmsg` batch (1: one `send` per packet, each at its own deadline).
    public var batchSize: Int = 1
    /// Schedule time one batch covers (batch size × interval, ns; 0 without batching). Outage
    /// resolution is max(interval, batch span): packets of a batch leave back to back with one send time.
    public var batchSpanNanoseconds: UInt64 = 0
    /// Send system calls made (`send` or `sendmmsg`), for CPU accounting.
    public var sendCalls: UInt64 = 0
    /// CPU time of the sender thread (user + system, including the kernel's transmit path and the
    /// softirq work done in its context), ns; updated when statistics are published.
    public var cpuNanoseconds: UInt64 = 0
    /// Send errors by errno (ENETUNREACH, ECONNREFUSED, ENOBUFS, …): not network loss, but reported.
    public var errors: [SendErrorCount] = []
    /// Sequence numbers whose send failed (merged ranges).
    public var failedSequences: [SequenceRange] = []

    public init() {}

    /// Number of attempts that failed.
    public var failed: UInt64 { errors.reduce(0) { $0 + $1.count } }

    mutating func recordFailure(sequence: UInt64, errno code: Int32) {
        if let index = errors.firstIndex(where: { $0.errno == code }) {
            errors[index].count += 1
        } else {
            errors.append(SendErrorCount(errno: code, name: errnoName(code), count: 1))
        }
        if let last = failedSequences.last, last.last &+ 1 == sequence {
            failedSequences[failedSequences.count - 1].last = sequence
        } else {
            failedSequences.append(SequenceRange(first: sequence, last: sequence))
        }
    }
}

/// What the receiver saw besides the arrivals themselves.
public struct ReceiverStatistics: Sendable, Hashable, Codable {
    /// Packets of this stream received (duplicates included).
    public var received: UInt64 = 0
    /// Datagrams that were not probe packets of this stream.
    public var foreign: UInt64 = 0
    /// Datagrams dropped by the receiving socket (SO_RXQ_OVFL): measurement error, not network loss.
    public var socketDrops: UInt64 = 0
    /// Receive errors other than timeouts.
    public var receiveErrors: UInt64 = 0
    /// Receive buffer the kernel granted (SO_RCVBUF read back).
    public var receiveBufferBytes: Int = 0
    /// How arrival times were taken.
    public var timestampSource: String = ProbeTimestamping.description
    /// Receive system calls made (`recvmmsg`, up to 64 datagrams each), for CPU accounting.
    public var receiveCalls: UInt64 = 0
    /// CPU time of the receiver thread (user + system), ns; updated after every receive batch.
    public var cpuNanoseconds: UInt64 = 0
    /// Arrivals whose kernel timestamp was missing (stamped with `MonotonicTime.now()` on receipt instead).
    public var userspaceStamped: UInt64 = 0
    /// A stream to a CARP VIP: packets received in each member's namespace (in the order of
    /// `ProbeStreamConfiguration.memberNamespaces`); empty otherwise.
    public var receivedByMember: [UInt64] = []

    public init() {}
}

/// How arrival times are taken, for reports.
public enum ProbeTimestamping {
    public static let description =
        "kernel SO_TIMESTAMPNS (CLOCK_REALTIME, ns) converted to CLOCK_MONOTONIC with an offset "
        + "sampled after every receive batch; resolution 1 ns, conversion error below 1 us"
}

/// One received packet: compact, 32 bytes.
public struct ProbeArrival: Sendable, Hashable, Codable {
    public var sequence: UInt64
    /// Send time carried in the packet (CLOCK_MONOTONIC ns).
    public var sentNanoseconds: UInt64
    /// Arrival time (CLOCK_MONOTONIC ns).
    public var receivedNanoseconds: UInt64
    public var flow: UInt16

    public init(sequence: UInt64, sentNanoseconds: UInt64, receivedNanoseconds: UInt64, flow: UInt16 = 0) {
        self.sequence = sequence
        self.sentNanoseconds = sentNanoseconds
        self.receivedNanoseconds = receivedNanoseconds
        self.flow = flow
    }
}
