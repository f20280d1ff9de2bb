import FailoverModel
import Testing

@testable import FailoverCapture

/// Flow placement and distribution on recorded member captures. Expected members come from the
/// hand-worked values of BondTransmitHashTests (layer3+4, 198.18.0.1 → 198.18.0.2, UDP to 5001):
/// source port 40000 → hash 0x454ceca2 → eth0, 40001 → 0x454cec22 → eth0, 40002 → 0x454ceda3 → eth1
/// of [eth0, eth1].
@Suite("Flow checks: flow_placement and distribution on the members' captures")
struct FlowChecksTests {
    typealias B = FrameBuilder
    static let bond = "02:00:00:00:00:01"
    static let client = "02:00:00:00:00:02"
    static let window = FrameWindow(start: 1_000, end: 2_000)
    static let probe = FlowChecks.ProbeFrames(port: 5001, sources: Set([IPAddress("198.18.0.1")].compactMap { $0 }))
    static let usable = ["eth0", "eth1"]

    static func frame(
        sourcePort: UInt16, at time: UInt64 = 1_500, from ip: String = "198.18.0.1",
        to destination: String = "198.18.0.2"
    ) -> CapturedFrame {
        let bytes = B.ethernet(
            destination: client, source: bond, etherType: 0x0800,
            payload: B.ipv4(
                proto: 17, source: ip, destination: destination,
                payload: B.udp(source: sourcePort, destination: 5001)))
        return CapturedFrame(
            monotonicNanoseconds: time, realtimeNanoseconds: time + 1, originalLength: bytes.count, bytes: bytes)
    }

    static func member(_ name: String, _ frames: [CapturedFrame]?) -> FlowChecks.Member {
        FlowChecks.Member(
            name: name, label: "server:\(name)", capture: frames.map { FrameChecksTests.capture($0) })
    }

    static func placement(eth0: [CapturedFrame]?, eth1: [CapturedFrame]?, flows: Int = 3) -> FrameCheckOutcome {
        FlowChecks.placement(
            [member("eth0", eth0), member("eth1", eth1)], probe: probe, flows: flows, window: window,
            policy: .layer34, usable: usable)
    }

    @Test("every flow on the member the formula picks passes; the summary names the flows per member")
    func placed() throws {
        let outcome = Self.placement(
            eth0: [Self.frame(sourcePort: 40_000), Self.frame(sourcePort: 40_001), Self.frame(sourcePort: 40_000)],
            eth1: [Self.frame(sourcePort: 40_002)])
        guard case .passed(let text) = outcome else {
            Issue.record("expected passed, got \(outcome)")
            return
        }
        #expect(text.contains("eth0: 40000 40001; eth1: 40002"))
    }

    @Test("one flow on the other member fails with the per-flow table")
    func misplaced() throws {
        let outcome = Self.placement(
            eth0: [Self.frame(sourcePort: 40_000), Self.frame(sourcePort: 40_001), Self.frame(sourcePort: 40_002)],
            eth1: [])
        let message = try #require(FrameChecksTests.failedMessage(outcome))
        #expect(message.contains("1 of 3 flows misplaced"))
        #expect(message.contains("flow 40002 → eth1 → eth0 (1 frames)  ✗"))
        #expect(message.contains("flow 40000 → eth0 → eth0 (1 frames)\n"))
    }

    @Test("a flow seen on both members fails (the frames of a flow must all leave on one member)")
    func split() throws {
        let outcome = Self.placement(
            eth0: [Self.frame(sourcePort: 40_000), Self.frame(sourcePort: 40_001)],
            eth1: [Self.frame(sourcePort: 40_002), Self.frame(sourcePort: 40_000)])
        let message = try #require(FrameChecksTests.failedMessage(outcome))
        #expect(message.contains("flow 40000 → eth0 → eth0 (1 frames) + eth1 (1 frames)  ✗"))
    }

    @Test("fewer flows seen than the probe has fails; exactly as many passes")
    func flowCount() {
        let eth0 = [Self.frame(sourcePort: 40_000), Self.frame(sourcePort: 40_001)]
        let eth1 = [Self.frame(sourcePort: 40_002)]
        #expect(FrameChecksTests.passed(Self.placement(eth0: eth0, eth1: eth1, flows: 3)))
        let message = FrameChecksTests.failedMessage(Self.placement(eth0: eth0, eth1: eth1, flows: 4))
        #expect(message?.contains("saw 3 flows, the probe has 4") == true)
    }

    @Test("no probe frame (or only frames from other senders, or outside the window) is errored, not passed")
    func nothingToLookAt() {
        #expect(FrameChecksTests.erroredMessage(Self.placement(eth0: [], eth1: [])) != nil)
        let reverse = [Self.frame(sourcePort: 40_000, from: "198.18.0.2", to: "198.18.0.1")]
        #expect(FrameChecksTests.erroredMessage(Self.placement(eth0: reverse, eth1: [])) != nil)
        // The window's edges: 1 ns before its start and 1 ns after its end are outside.
        let outside = [Self.frame(sourcePort: 40_000, at: 999), Self.frame(sourcePort: 40_000, at: 2_001)]
        #expect(FrameChecksTests.erroredMessage(Self.placement(eth0: outside, eth1: [])) != nil)
        let edges = [Self.frame(sourcePort: 40_000, at: 1_000), Self.frame(sourcePort: 40_001, at: 2_000)]
        #expect(FrameChecksTests.passed(Self.placement(eth0: edges, eth1: [], flows: 2)))
    }

    @Test("a member without a capture is errored")
    func missingCapture() {
        let message = FrameChecksTests.erroredMessage(
            Self.placement(eth0: [Self.frame(sourcePort: 40_000)], eth1: nil, flows: 1))
        #expect(message?.contains("no capture on server:eth1") == true)
    }

    @Test("distribution: 3 of 4 frames is 75%: [75%, 100%] passes, [0%, 74.9%] and [75.1%, 100%] fail")
    func distribution() {
        let members = [
            Self.member(
                "eth0",
                [Self.frame(sourcePort: 40_000), Self.frame(sourcePort: 40_001), Self.frame(sourcePort: 40_000)]),
            Self.member("eth1", [Self.frame(sourcePort: 40_002)]),
        ]
        func run(_ range: ClosedRange<Double>, _ member: String = "eth0") -> FrameCheckOutcome {
            FlowChecks.distribution(members, probe: Self.probe, member: member, percent: range, window: Self.window)
        }
        #expect(FrameChecksTests.passed(run(75...100)))
        #expect(FrameChecksTests.failedMessage(run(0...74.9)) != nil)
        #expect(FrameChecksTests.failedMessage(run(75.1...100)) != nil)
        #expect(FrameChecksTests.passed(run(25...25, "eth1")))
        #expect(
            FrameChecksTests.failedMessage(run(30...70))?.contains(
                "eth0 carried 75% of 4 probe frames (eth0 3, eth1 1)")
                == true)
        let empty = FlowChecks.distribution(
            [Self.member("eth0", []), Self.member("eth1", [])], probe: Self.probe, member: "eth0", percent: 0...100,
            window: Self.window)
        #expect(FrameChecksTests.erroredMessage(empty) != nil)
    }
}
