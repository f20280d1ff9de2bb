/// A sequenced UDP traffic stream between two hosts (RFC 6414 vocabulary: loss, outage).
public struct ProbeSpec: Sendable, Hashable, Codable {
    public enum Direction: String, Sendable, Hashable, Codable, CaseIterable {
        /// from → to only.
        case forward
        /// to → from only.
        case reverse
        case both
    }

    public var name: String
    /// Sending host, and optionally the local address to send from (a bond's address).
    public var from: String
    public var fromAddress: IPAddress?
    /// Receiving host, and optionally the address to send to (default: its first address). For a
    /// probe addressed to a CARP group's VIP (`to: {carp: G}`): the group's name.
    public var to: String
    /// The CARP group whose VIP the probe is addressed to (`to: {carp: G}`): a receiver listens on
    /// the VIP in every member's namespace and their receptions are merged into one sequence.
    public var toGroup: String?
    public var toAddress: IPAddress?
    /// Packets per second, per direction.
    public var rate: Int
    /// UDP payload bytes (at least the probe header).
    public var payloadSize: Int
    public var direction: Direction
    /// Number of flows (source ports) the packets are spread over.
    public var flows: Int
    /// Destination UDP port.
    public var port: Int
    /// false: started by a `start_probe` step.
    public var autoStart: Bool
    public var location: SourceLocation?
    /// Where the parts were written: `name`, `from`, `to`, `from_address`, `to_address`. Not
    /// part of equality.
    public var marks: SourceMarks

    public init(
        name: String, from: String, fromAddress: IPAddress? = nil, to: String, toAddress: IPAddress? = nil,
        rate: Int = 10_000, payloadSize: Int = 64, direction: Direction = .forward, flows: Int = 1,
        port: Int = 40_000, autoStart: Bool = true, toGroup: String? = nil, location: SourceLocation? = nil,
        marks: SourceMarks = SourceMarks()
    ) {
        self.toGroup = toGroup
        self.name = name
        self.from = from
        self.fromAddress = fromAddress
        self.to = to
        self.toAddress = toAddress
        self.rate = rate
        self.payloadSize = payloadSize
        self.direction = direction
        self.flows = flows
        self.port = port
        self.autoStart = autoStart
        self.location = location
        self.marks = marks
    }
}

/// Which part of a run a probe assertion looks at.
public enum ProbeScope: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The whole run of the probe.
    case run
    /// The fault window opened by the most recent fault step before this `expect`
    /// (from that step to the next fault step or the end).
    case lastFault
    /// The fault window opened by the step at this 0-based index.
    case step(Int)

    public var description: String {
        switch self {
        case .run: "whole run"
        case .lastFault: "last fault window"
        case .step(let index): "window of step \(index + 1)"
        }
    }
}

/// RFC 6412/6414 failover time methods.
public enum OutageMethod: String, Sendable, Hashable, Codable, CaseIterable {
    /// First unimpaired packet after the event minus last unimpaired packet before it.
    case timestamp
    /// Lost packets ÷ rate.
    case loss
}
