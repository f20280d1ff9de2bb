public import FailoverModel

/// One flow of a probe (its UDP source port) as the members' captures saw it: where the kernel's
/// formula says it must leave, and the frames of it each member carried.
public struct FlowPlacementRow: Sendable, Hashable {
    public struct Carried: Sendable, Hashable {
        public var member: String
        public var frames: Int

        public init(member: String, frames: Int) {
            self.member = member
            self.frames = frames
        }
    }

    public var sourcePort: UInt16
    /// The member `BondTransmitHash` picks for the flow's headers (nil: not predictable).
    public var expected: String?
    /// Frames of the flow per member, members in the bond's order.
    public var seen: [Carried]

    public init(sourcePort: UInt16, expected: String?, seen: [Carried]) {
        self.sourcePort = sourcePort
        self.expected = expected
        self.seen = seen
    }

    /// The members that carried the flow, in the bond's order.
    public var actual: [String] { seen.filter { $0.frames > 0 }.map(\.member) }
    /// Every frame of the flow left on the expected member (and there was one).
    public var placed: Bool { expected.map { actual == [$0] } ?? false }
}

/// The flow assertions' decisions on the captures of a bond's members (pure: the capture engine
/// resolves the probe, the bond and the window). A probe frame is a UDP datagram to the probe's
/// port sent from one of the bond's addresses.
public enum FlowChecks {
    /// A member and the frames its capture holds (nil: no capture on it).
    public struct Member: Sendable {
        public var name: String
        public var label: String
        public var capture: CaptureResult?

        public init(name: String, label: String, capture: CaptureResult?) {
            self.name = name
            self.label = label
            self.capture = capture
        }
    }

    /// The probe's frames: UDP to `port`, from one of `sources`.
    public struct ProbeFrames: Sendable, Hashable {
        public var port: UInt16
        public var sources: Set<IPAddress>

        public init(port: UInt16, sources: Set<IPAddress>) {
            self.port = port
            self.sources = sources
        }

        /// The flow of `frame` (its headers), nil when it is not a frame of the probe.
        func flow(_ frame: DecodedFrame) -> TransmitFlow? {
            let packet: IPPacket
            switch frame.network {
            case .ipv4(let p), .ipv6(let p): packet = p
            default: return nil
            }
            guard case .udp(let sourcePort, let destinationPort) = packet.transport, destinationPort == port,
                sources.contains(packet.source)
            else { return nil }
            return TransmitFlow(
                sourceMAC: frame.source, destinationMAC: frame.destination, etherType: frame.etherType,
                sourceIP: packet.source, destinationIP: packet.destination, sourcePort: sourcePort,
                destinationPort: destinationPort)
        }
    }

    /// Why the members' captures cannot decide, nil when they can.
    public static func unusable(_ members: [Member]) -> String? {
        for member in members {
            if let problem = FrameChecks.unusable(member.capture, port: member.label) { return problem }
        }
        return nil
    }

    /// The rows of the per-flow table: each flow seen on any member in `window`, by source port.
    public static func rows(
        _ members: [Member], probe: ProbeFrames, window: FrameWindow, policy: XmitHashPolicy, usable: [String]
    ) -> [FlowPlacementRow] {
        var expected: [UInt16: String?] = [:]
        var counts: [UInt16: [String: Int]] = [:]
        for member in members {
            for seen in FrameChecks.framesIn(window, member.capture) {
                guard let flow = probe.flow(seen.decoded), let port = flow.sourcePort else { continue }
                if expected[port] == nil {
                    expected[port] = .some(BondTransmitHash.member(flow, policy: policy, usable: usable))
                }
                counts[port, default: [:]][member.name, default: 0] += 1
            }
        }
        return counts.keys.sorted().map { port in
            FlowPlacementRow(
                sourcePort: port, expected: expected[port] ?? nil,
                seen: members.map { .init(member: $0.name, frames: counts[port]?[$0.name] ?? 0) })
        }
    }

    /// `flow_placement`: every flow of the probe (`flows` of them) left on the member the formula
    /// says. Errored without usable captures or without a single probe frame; failed with the
    /// per-flow table when a flow is misplaced, split, unpredictable or missing.
    public static func placement(
        _ members: [Member], probe: ProbeFrames, flows: Int, window: FrameWindow, policy: XmitHashPolicy,
        usable: [String]
    ) -> FrameCheckOutcome {
        if let problem = unusable(members) { return .errored(problem) }
        let rows = Self.rows(members, probe: probe, window: window, policy: policy, usable: usable)
        let labels = members.map(\.label).joined(separator: ", ")
        guard !rows.isEmpty else {
            return .errored("no frame of the probe (udp port \(probe.port)) on \(labels) in the window")
        }
        let rule = "xmit_hash_policy \(policy.rawValue) over [\(usable.joined(separator: ", "))]"
        let misplaced = rows.filter { !$0.placed }
        if misplaced.isEmpty && rows.count == flows {
            return .passed("\(rows.count) of \(flows) flows where \(rule) puts them: " + summary(rows))
        }
        var problems: [String] = []
        if !misplaced.isEmpty { problems.append("\(misplaced.count) of \(rows.count) flows misplaced") }
        if rows.count != flows { problems.append("saw \(rows.count) flows, the probe has \(flows)") }
        return .failed(problems.joined(separator: "; ") + " (\(rule)); " + table(rows))
    }

    /// `flow 40000 → expected eth0 → actual eth1 (12 frames)`, one line per flow.
    public static func table(_ rows: [FlowPlacementRow]) -> String {
        "flow → expected member → actual member:\n"
            + rows.map { row in
                let actual =
                    row.actual.isEmpty
                    ? "none"
                    : row.seen.filter { $0.frames > 0 }.map { "\($0.member) (\($0.frames) frames)" }
                        .joined(separator: " + ")
                let mark = row.placed ? "" : "  ✗"
                return "  flow \(row.sourcePort) → \(row.expected ?? "unpredictable") → \(actual)\(mark)"
            }.joined(separator: "\n")
    }

    /// `eth0: 40000 40002; eth1: 40001` (the flows per expected member).
    static func summary(_ rows: [FlowPlacementRow]) -> String {
        var byMember: [String: [UInt16]] = [:]
        var order: [String] = []
        for row in rows {
            let member = row.expected ?? "?"
            if byMember[member] == nil { order.append(member) }
            byMember[member, default: []].append(row.sourcePort)
        }
        return order.map { member in
            "\(member): " + (byMember[member] ?? []).map(String.init).joined(separator: " ")
        }.joined(separator: "; ")
    }

    /// `distribution`: the share of the probe's frames (in `window`, over all members) that
    /// `member` carried is within `percent` (inclusive). Errored without a single probe frame.
    public static func distribution(
        _ members: [Member], probe: ProbeFrames, member: String, percent: ClosedRange<Double>, window: FrameWindow
    ) -> FrameCheckOutcome {
        if let problem = unusable(members) { return .errored(problem) }
        var counts: [String: Int] = [:]
        for entry in members {
            counts[entry.name] = FrameChecks.framesIn(window, entry.capture).count { probe.flow($0.decoded) != nil }
        }
        let total = counts.values.reduce(0, +)
        let labels = members.map(\.label).joined(separator: ", ")
        guard total > 0 else {
            return .errored("no frame of the probe (udp port \(probe.port)) on \(labels) in the window")
        }
        let share = Double(counts[member] ?? 0) * 100 / Double(total)
        let split = members.map { "\($0.name) \(counts[$0.name] ?? 0)" }.joined(separator: ", ")
        let text =
            "\(member) carried \(format(share))% of \(total) probe frames (\(split)); expected "
            + "\(format(percent.lowerBound))%–\(format(percent.upperBound))%"
        return percent.contains(share) ? .passed(text) : .failed(text)
    }

    /// `42.5` (one decimal).
    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }
}
