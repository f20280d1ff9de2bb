import FailoverCapture
import FailoverCore
import FailoverModel
import Testing

@testable import FailoverOrchestration

/// `CaptureEngine.decide`: the capture checks' bounds, each just inside and just outside.
@Suite("Capture decisions")
struct CaptureDecisionTests {
    static let bondMAC = MACAddress("02:00:00:00:0b:01")!
    static let otherMAC = MACAddress("02:00:00:00:0b:02")!
    /// The fault at 1 s; `within: 1s` closes the window at 2 s (inclusive).
    static let fault = MonotonicInstant(nanoseconds: 1_000_000_000)
    static let end: UInt64 = 2_000_000_000

    /// A gratuitous ARP (request, sender IP == target IP) from `mac` for 198.18.0.1.
    static func garp(_ mac: MACAddress, at nanoseconds: UInt64) -> CapturedFrame {
        let source = mac.description.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        let ip: [UInt8] = [198, 18, 0, 1]
        let arp: [UInt8] = [0, 1, 8, 0, 6, 4, 0, 1] + source + ip + [0, 0, 0, 0, 0, 0] + ip
        let bytes = [UInt8](repeating: 0xff, count: 6) + source + [0x08, 0x06] + arp
        return CapturedFrame(
            monotonicNanoseconds: nanoseconds, realtimeNanoseconds: nanoseconds, originalLength: bytes.count,
            bytes: bytes)
    }

    static func capture(_ frames: [CapturedFrame], kernelDrops: UInt64 = 0) -> CaptureResult {
        CaptureResult(
            request: CaptureRequest(namespace: nil, interface: "p", label: "sw1:server-eth1"), frames: frames,
            statistics: CaptureStatistics(
                received: UInt64(frames.count), droppedByKernel: kernelDrops, droppedByInterface: 0,
                delivered: frames.count, clockErrorNanoseconds: 100, clockDriftNanoseconds: 0),
            clock: ClockMapping(offsetNanoseconds: 0, bracketNanoseconds: 100))
    }

    func decide(
        _ bound: FrameCountBound?, _ frames: [CapturedFrame], now: UInt64 = 3_000_000_000,
        mac: MACAddress? = nil, kernelDrops: UInt64 = 0, captured: Bool = true
    ) -> ProbeEvaluation {
        CaptureEngine.decide(
            FrameMatch(kind: .garp), bound: bound, within: .seconds(1), fault: Self.fault,
            stepStarted: MonotonicInstant(nanoseconds: 1_000_100_000), now: MonotonicInstant(nanoseconds: now),
            sourceMAC: mac, port: "sw1:server-eth1",
            capture: captured ? Self.capture(frames, kernelDrops: kernelDrops) : nil)
    }

    @Test("at_least: a frame at the window's end counts (held at its time), 1 ns later it does not")
    func atLeastEdge() {
        let inside = decide(.atLeast(1), [Self.garp(Self.bondMAC, at: Self.end)])
        #expect(inside.holds && inside.at == MonotonicInstant(nanoseconds: Self.end) && inside.measurementError == nil)
        let outside = decide(.atLeast(1), [Self.garp(Self.bondMAC, at: Self.end + 1)])
        #expect(!outside.holds && outside.actual.contains("saw 0"))
        // Before the fault: not in the window either.
        #expect(!decide(.atLeast(1), [Self.garp(Self.bondMAC, at: 999_999_999)]).holds)
        // Settled by the second frame, while the window is still open.
        let early = decide(
            .atLeast(2), [Self.garp(Self.bondMAC, at: 1_100_000_000), Self.garp(Self.bondMAC, at: 1_300_000_000)],
            now: 1_400_000_000)
        #expect(early.holds && early.at == MonotonicInstant(nanoseconds: 1_300_000_000))
    }

    @Test("is: settled only once the window closed (at its end); one frame more or less fails")
    func exact() {
        let frames = [Self.garp(Self.bondMAC, at: 1_001_000_000), Self.garp(Self.bondMAC, at: Self.end)]
        let open = decide(.exactly(2), frames, now: Self.end)
        #expect(!open.holds && open.actual.hasPrefix("window still open"))
        let closed = decide(.exactly(2), frames, now: Self.end + 1)
        #expect(closed.holds && closed.at == MonotonicInstant(nanoseconds: Self.end))
        #expect(!decide(.exactly(3), frames).holds)
        #expect(!decide(.exactly(1), frames).holds)
        #expect(decide(.atMost(2), frames).holds)
        let over = decide(.atMost(1), frames)
        #expect(!over.holds && over.actual.contains("saw 2"))
    }

    @Test("src_mac: the wrong MAC fails and the message lists the MACs seen")
    func sourceMAC() {
        let frames = [Self.garp(Self.otherMAC, at: 1_050_000_000)]
        let wrong = decide(.atLeast(1), frames, mac: Self.bondMAC)
        #expect(!wrong.holds && wrong.actual.contains("from \(Self.otherMAC)"))
        #expect(decide(.atLeast(1), frames, mac: Self.otherMAC).holds)
    }

    @Test("first_frame: at the deadline passes at the frame's time, 1 ns after fails")
    func firstFrame() {
        let inside = decide(nil, [Self.garp(Self.bondMAC, at: Self.end)])
        #expect(inside.holds && inside.at == MonotonicInstant(nanoseconds: Self.end))
        #expect(!decide(nil, [Self.garp(Self.bondMAC, at: Self.end + 1)]).holds)
    }

    @Test("spacing: each gap within its tolerance passes, 1 ns outside either end fails listing the gaps")
    func spacing() {
        // Expected gaps 100 ms then 200 ms, ±40 ms: the first gap may be 60…140 ms, the second 160…240 ms.
        let spacing = FrameSpacing(gaps: [.milliseconds(100), .milliseconds(200)], tolerance: .milliseconds(40))
        func run(_ second: UInt64, _ third: UInt64) -> ProbeEvaluation {
            let first: UInt64 = 1_010_000_000
            let frames = [first, first + second, first + second + third].map { Self.garp(Self.bondMAC, at: $0) }
            return CaptureEngine.decide(
                FrameMatch(kind: .garp), bound: .exactly(3), within: .seconds(1), fault: Self.fault,
                stepStarted: MonotonicInstant(nanoseconds: 1_000_100_000),
                now: MonotonicInstant(nanoseconds: 3_000_000_000), sourceMAC: nil, port: "sw1:server-eth1",
                capture: Self.capture(frames), spacing: spacing)
        }
        let exact = run(100_000_000, 200_000_000)
        #expect(exact.holds, "\(exact.actual)")
        #expect(exact.actual.contains("gaps 100.000ms, 200.000ms"), "\(exact.actual)")
        // The edges of each tolerance, inside.
        #expect(run(60_000_000, 240_000_000).holds)
        #expect(run(140_000_000, 160_000_000).holds)
        // One nanosecond outside, each end of each gap.
        let short = run(59_999_999, 200_000_000)
        #expect(!short.holds && short.actual.contains("gap 1 is 59.999ms"), "\(short.actual)")
        #expect(!run(140_000_001, 200_000_000).holds)
        #expect(!run(100_000_000, 159_999_999).holds)
        let long = run(100_000_000, 240_000_001)
        #expect(!long.holds && long.actual.contains("gap 2 is 240.000ms"), "\(long.actual)")
        #expect(long.measurementError == nil)
        // Evenly spaced (100/100) is one tick off for the second gap: fails.
        #expect(!run(100_000_000, 100_000_000).holds)
        // The wrong count fails on the count before the spacing is looked at.
        let frames = [Self.garp(Self.bondMAC, at: 1_010_000_000)]
        let one = CaptureEngine.decide(
            FrameMatch(kind: .garp), bound: .exactly(3), within: .seconds(1), fault: Self.fault,
            stepStarted: MonotonicInstant(nanoseconds: 1_000_100_000),
            now: MonotonicInstant(nanoseconds: 3_000_000_000),
            sourceMAC: nil, port: "sw1:server-eth1", capture: Self.capture(frames), spacing: spacing)
        #expect(!one.holds && one.actual.contains("saw 1"), "\(one.actual)")
    }

    @Test("a drop or no capture on the port is errored, never passed")
    func errored() {
        let frames = [Self.garp(Self.bondMAC, at: 1_050_000_000)]
        let dropped = decide(.atLeast(1), frames, kernelDrops: 1)
        #expect(!dropped.holds && dropped.measurementError?.contains("lost frames") == true)
        #expect(decide(.atLeast(1), frames, kernelDrops: 0).measurementError == nil)
        let none = decide(.atLeast(0), [], captured: false)
        #expect(!none.holds && none.measurementError?.contains("no capture") == true)
    }
}
