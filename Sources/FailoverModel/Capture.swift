/// A packet capture declared in a playbook's top-level `captures:` list.
public struct CaptureSpec: Sendable, Hashable, Codable {
    /// What is captured.
    public enum Target: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The bridge port of switch `switch` facing the host interface `facing` (the switch-side
        /// end of that cable).
        case port(switch: String, facing: InterfaceRef)
        /// A host's own interface (a cable end, a bond, a bond slave).
        case interface(InterfaceRef)

        /// The role name of the pcapng interface block and the report: `sw1:server-eth0`,
        /// `server:eth0`.
        public var label: String {
            switch self {
            case .port(let sw, let facing): return "\(sw):\(facing.host)-\(facing.interface)"
            case .interface(let ref): return "\(ref.host):\(ref.interface)"
            }
        }

        public var description: String {
            switch self {
            case .port(let sw, let facing): return "port \(sw)/\(facing.host)-\(facing.interface)"
            case .interface(let ref): return "interface \(ref)"
            }
        }
    }

    public var name: String
    public var target: Target
    /// A BPF filter expression (libpcap syntax); nil captures everything.
    public var filter: String?
    public var location: SourceLocation?
    /// Where the parts were written: `name`, `port`, `interface`, `filter`. Not part of equality.
    public var marks: SourceMarks

    public init(
        name: String, target: Target, filter: String? = nil, location: SourceLocation? = nil,
        marks: SourceMarks = SourceMarks()
    ) {
        self.name = name
        self.target = target
        self.filter = filter
        self.location = location
        self.marks = marks
    }

    /// `captures: auto`: one capture per switch port of `topology` (named by its label), probe
    /// traffic excluded by the filter `not (udp port P or …)` over the probes' ports.
    public static func auto(_ topology: Topology, probes: [ProbeSpec], location: SourceLocation? = nil)
        -> [CaptureSpec]
    {
        let ports = Array(Set(probes.map(\.port))).sorted()
        let filter =
            ports.isEmpty ? nil : "not (" + ports.map { "udp port \($0)" }.joined(separator: " or ") + ")"
        return topology.cables.compactMap { cable in
            guard case .switch(let sw) = cable.b else { return nil }
            let target = Target.port(switch: sw, facing: cable.a)
            return CaptureSpec(name: target.label, target: target, filter: filter, location: location)
        }
    }
}

/// The figures of one capture of a run, for the report.
public struct CaptureRecord: Sendable, Hashable, Codable {
    public var name: String
    /// Its pcapng interface name (`sw1:server-eth0`).
    public var label: String
    public var filter: String?
    /// Packets the kernel handed to the capture socket (pcap_stats ps_recv).
    public var received: UInt64
    /// Dropped because the capture buffer was full (ps_drop).
    public var droppedByKernel: UInt64
    /// Dropped by the interface (the link's rx_dropped growth during the capture).
    public var droppedByInterface: UInt64
    /// Frames stored in the pcapng file.
    public var frames: Int
    /// Uncertainty of the realtime → CLOCK_MONOTONIC mapping of the stamps, ns.
    public var clockErrorNanoseconds: UInt64
    /// The pcapng file, relative to the run's results directory (`captures/<run>.pcapng`).
    public var file: String?

    public init(
        name: String, label: String, filter: String?, received: UInt64, droppedByKernel: UInt64,
        droppedByInterface: UInt64, frames: Int, clockErrorNanoseconds: UInt64, file: String?
    ) {
        self.name = name
        self.label = label
        self.filter = filter
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
        self.frames = frames
        self.clockErrorNanoseconds = clockErrorNanoseconds
        self.file = file
    }

    public var hasDrops: Bool { droppedByKernel > 0 || droppedByInterface > 0 }
}

/// What a captured frame is, as the capture assertions name it (`kind: garp`).
public enum FrameKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// ARP with sender IP == target IP (request or reply): an announcement, as bonding and
    /// CARP/VRRP send after a failover.
    case garp
    case arpRequest = "arp_request"
    case arpReply = "arp_reply"
    /// ICMPv6 neighbour advertisement with the Solicited flag clear, sent to all-nodes (ff02::1).
    case unsolicitedNA = "unsolicited_na"
    /// ICMPv6 neighbour solicitation.
    case ns
    /// Any other ICMPv6 neighbour advertisement.
    case na
    /// Slow protocols subtype 1 (802.3ad LACP).
    case lacpdu
    /// Slow protocols subtype 2 (802.3ad marker / marker response).
    case marker
    /// IP protocol 112 that is VRRP (RFC 3768 v2, RFC 5798 v3).
    case vrrp
    /// IP protocol 112 that is CARP (OpenBSD / ucarp header, 36 bytes).
    case carp
    /// IGMP v1/v2/v3 membership report.
    case igmpReport = "igmp_report"
    /// MLDv1 / MLDv2 listener report.
    case mldReport = "mld_report"
    /// Any other UDP datagram (IPv4 or IPv6).
    case udp
    /// Anything else, including frames too short for their headers.
    case other
}

/// Which frames a capture assertion looks at: a kind, and optionally the source MAC (a literal,
/// `same_as: host/if`, `permanent_of: host/slave`) and the sender IP (ARP sender / ND target).
public struct FrameMatch: Sendable, Hashable, Codable, CustomStringConvertible {
    public var kind: FrameKind
    public var sourceMAC: MACExpectation?
    public var senderIP: IPAddress?
    /// For neighbour advertisements (`na`, `unsolicited_na`): the Override flag must be this.
    public var override: Bool?

    public init(kind: FrameKind, sourceMAC: MACExpectation? = nil, senderIP: IPAddress? = nil, override: Bool? = nil) {
        self.kind = kind
        self.sourceMAC = sourceMAC
        self.senderIP = senderIP
        self.override = override
    }

    public var description: String {
        var text = kind.rawValue
        if let sourceMAC { text += " from \(sourceMAC)" }
        if let senderIP { text += " for \(senderIP)" }
        if let override { text += override ? " with Override set" : " with Override clear" }
        return text
    }
}

/// The expected spacing of the frames a `frames` assertion counts: the gap between each matching
/// frame and the next, in order, each within `tolerance` (`spacing: {gaps: [100ms, 200ms],
/// tolerance: 40ms}`).
public struct FrameSpacing: Sendable, Hashable, Codable, CustomStringConvertible {
    public var gaps: [Duration]
    public var tolerance: Duration

    public init(gaps: [Duration], tolerance: Duration) {
        self.gaps = gaps
        self.tolerance = tolerance
    }

    /// Whether `gap` is within `tolerance` of `expected`, both ends included.
    public func accepts(_ gap: Duration, expected: Duration) -> Bool {
        gap >= expected - tolerance && gap <= expected + tolerance
    }

    /// `gaps 100ms, 200ms (±40ms)`.
    public var description: String {
        "gaps " + gaps.map(\.playbookText).joined(separator: ", ") + " (±\(tolerance.playbookText))"
    }
}
