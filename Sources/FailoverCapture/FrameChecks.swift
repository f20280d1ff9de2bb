public import FailoverModel

/// Which frames a capture assertion counts: a kind, optionally a source MAC (a literal, or one the
/// caller resolved from `same_as` / `permanent_of`) and a sender IP.
public struct FramePattern: Sendable, Hashable, CustomStringConvertible {
    public var kind: FrameKind
    public var sourceMAC: MACAddress?
    public var senderIP: IPAddress?
    /// For neighbour advertisements: the Override flag must be this (nil: either).
    public var override: Bool?

    public init(kind: FrameKind, sourceMAC: MACAddress? = nil, senderIP: IPAddress? = nil, override: Bool? = nil) {
        self.kind = kind
        self.sourceMAC = sourceMAC
        self.senderIP = senderIP
        self.override = override
    }

    public func matches(_ frame: DecodedFrame) -> Bool {
        frame.kind == kind && (sourceMAC.map { $0 == frame.source } ?? true)
            && (senderIP.map { $0 == frame.senderIP } ?? true)
            && (override.map { $0 == frame.advertisement?.override } ?? true)
    }

    /// `garp from 02:00:00:00:01:01 for 198.18.0.10`.
    public var description: String {
        var text = kind.rawValue
        if let sourceMAC { text += " from \(sourceMAC)" }
        if let senderIP { text += " for \(senderIP)" }
        if let override { text += override ? " with Override set" : " with Override clear" }
        return text
    }
}

/// How many matching frames are expected.
public enum FrameCountBound: Sendable, Hashable, CustomStringConvertible {
    case exactly(Int)
    case atLeast(Int)
    case atMost(Int)

    public func accepts(_ count: Int) -> Bool {
        switch self {
        case .exactly(let value): count == value
        case .atLeast(let value): count >= value
        case .atMost(let value): count <= value
        }
    }

    public var description: String {
        switch self {
        case .exactly(let value): "exactly \(value)"
        case .atLeast(let value): "at least \(value)"
        case .atMost(let value): "at most \(value)"
        }
    }
}

/// A window on the run's CLOCK_MONOTONIC, both ends included (ns).
public struct FrameWindow: Sendable, Hashable {
    public var start: UInt64
    public var end: UInt64

    public init(start: UInt64, end: UInt64) {
        self.start = start
        self.end = end
    }

    /// From `start` (a fault's acknowledged instant) for `within`.
    public init(after start: UInt64, within: Duration) {
        let components = within.components
        let nanoseconds =
            UInt64(max(0, components.seconds)) &* 1_000_000_000
            &+ UInt64(max(0, components.attoseconds / 1_000_000_000))
        self.init(start: start, end: start &+ nanoseconds)
    }

    public func contains(_ instant: UInt64) -> Bool { instant >= start && instant <= end }
}

/// The verdict of a capture check, with the message that says what was expected and what was seen.
public enum FrameCheckOutcome: Sendable, Hashable {
    case passed(String)
    case failed(String)
    /// The capture cannot decide: no capture on the port, drops, a realtime step.
    case errored(String)
}

/// The capture assertions' decisions, on a stopped capture (pure: the family resolves names to MACs
/// and windows, and maps the outcome to its verdict).
public enum FrameChecks {
    /// The realtime→monotonic offset may move this much during a capture before stamps are not trusted.
    public static let clockDriftLimitNanoseconds: Int64 = 1_000_000
    /// At most this many frames are listed in a message.
    public static let listedFrames = 20

    /// `frames`: the number of frames matching `pattern` in `window` on the port, against `bound`.
    public static func count(
        _ pattern: FramePattern, _ bound: FrameCountBound, in window: FrameWindow, port: String,
        capture: CaptureResult?
    ) -> FrameCheckOutcome {
        if let problem = unusable(capture, port: port) { return .errored(problem) }
        let seen = framesIn(window, capture)
        let matching = seen.filter { pattern.matches($0.decoded) }
        let expected = "\(bound) \(pattern) on \(port) \(windowText(window))"
        let summary = "saw \(matching.count)"
        let listing = list(seen, window: window, port: port)
        return bound.accepts(matching.count)
            ? .passed("\(expected): \(summary)")
            : .failed("expected \(expected), \(summary); \(listing)")
    }

    /// `frames` with `spacing`: the gaps between consecutive matching frames in `window`, each
    /// within the tolerance of the expected one, in order. Run after `count` passed (the number
    /// of frames is then the number of gaps + 1).
    public static func spacing(
        _ pattern: FramePattern, _ spacing: FrameSpacing, in window: FrameWindow, port: String,
        capture: CaptureResult?
    ) -> FrameCheckOutcome {
        if let problem = unusable(capture, port: port) { return .errored(problem) }
        let seen = framesIn(window, capture)
        let times = seen.filter { pattern.matches($0.decoded) }.map(\.frame.monotonicNanoseconds)
        let gaps = zip(times.dropFirst(), times).map { Duration.nanoseconds(Int64(clamping: $0 - $1)) }
        let expected = "\(pattern) on \(port) spaced by \(spacing)"
        let measured = gaps.isEmpty ? "no gaps" : "gaps " + gaps.map(milliseconds).joined(separator: ", ")
        guard gaps.count == spacing.gaps.count else {
            return .failed(
                "expected \(expected), saw \(times.count) frames (\(measured)); \(list(seen, window: window, port: port))"
            )
        }
        let wrong = zip(gaps, spacing.gaps).enumerated().filter {
            !spacing.accepts($0.element.0, expected: $0.element.1)
        }
        guard wrong.isEmpty else {
            let which = wrong.map { "gap \($0.offset + 1) is \(milliseconds($0.element.0))" }.joined(separator: ", ")
            return .failed("expected \(expected), saw \(measured): \(which); \(list(seen, window: window, port: port))")
        }
        return .passed("\(expected): \(measured)")
    }

    /// `first_frame`: the first frame matching `pattern` in `window`; passes when there is one, and
    /// gives its delay from the window's start.
    public static func firstFrame(
        _ pattern: FramePattern, in window: FrameWindow, port: String, capture: CaptureResult?
    ) -> (outcome: FrameCheckOutcome, delay: Duration?) {
        if let problem = unusable(capture, port: port) { return (.errored(problem), nil) }
        let seen = framesIn(window, capture)
        guard let first = seen.first(where: { pattern.matches($0.decoded) }) else {
            return (
                .failed(
                    "expected a \(pattern) on \(port) \(windowText(window)), saw none; \(list(seen, window: window, port: port))"
                ),
                nil
            )
        }
        let delay = Duration.nanoseconds(Int64(clamping: first.frame.monotonicNanoseconds - window.start))
        return (.passed("first \(pattern) on \(port) after \(milliseconds(delay))"), delay)
    }

    /// Why a capture cannot decide, nil when it can.
    static func unusable(_ capture: CaptureResult?, port: String) -> String? {
        guard let capture else { return "no capture on \(port): declare one to check frames there" }
        let statistics = capture.statistics
        if statistics.hasDrops {
            return
                "capture on \(port) lost frames (\(statistics.droppedByKernel) dropped by the kernel, "
                + "\(statistics.droppedByInterface) by the interface): counts would be wrong"
        }
        if abs(statistics.clockDriftNanoseconds) > clockDriftLimitNanoseconds {
            return
                "CLOCK_REALTIME moved by \(statistics.clockDriftNanoseconds) ns against CLOCK_MONOTONIC during the "
                + "capture on \(port): frame times cannot be placed on the run's clock"
        }
        return nil
    }

    struct Seen {
        var frame: CapturedFrame
        var decoded: DecodedFrame
    }

    static func framesIn(_ window: FrameWindow, _ capture: CaptureResult?) -> [Seen] {
        (capture?.frames ?? []).filter { window.contains($0.monotonicNanoseconds) }
            .sorted { $0.monotonicNanoseconds < $1.monotonicNanoseconds }
            .compactMap { frame in frame.decoded.map { Seen(frame: frame, decoded: $0) } }
    }

    /// `frames on sw1:p1 in the window: +3.100ms garp 02:…:01 198.18.0.10, …` (or `none`).
    static func list(_ seen: [Seen], window: FrameWindow, port: String) -> String {
        guard !seen.isEmpty else { return "no frames on \(port) in the window" }
        let shown = seen.prefix(listedFrames).map { item in
            let delay = Duration.nanoseconds(Int64(clamping: item.frame.monotonicNanoseconds - window.start))
            var text = "+\(milliseconds(delay)) \(item.decoded.kind.rawValue) from \(item.decoded.source)"
            if let ip = item.decoded.senderIP { text += " for \(ip)" }
            if let advertisement = item.decoded.advertisement {
                // The NA's flags and target link-layer address: what a neighbour will believe.
                let flags = [
                    ("R", advertisement.router), ("S", advertisement.solicited), ("O", advertisement.override),
                ]
                .filter(\.1).map(\.0).joined()
                text += " (flags \(flags.isEmpty ? "none" : flags)"
                text += advertisement.targetLinkLayer.map { ", target lladdr \($0))" } ?? ")"
            }
            return text
        }
        let more = seen.count > listedFrames ? ", and \(seen.count - listedFrames) more" : ""
        return "frames on \(port) in the window: " + shown.joined(separator: ", ") + more
    }

    static func windowText(_ window: FrameWindow) -> String {
        "within \(milliseconds(.nanoseconds(Int64(clamping: window.end - window.start)))) after the fault"
    }

    /// `12.345ms`.
    static func milliseconds(_ duration: Duration) -> String {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        let micros = nanoseconds / 1000
        let fraction = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)ms"
    }
}
