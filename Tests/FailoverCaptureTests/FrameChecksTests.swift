import FailoverModel
import Testing

@testable import FailoverCapture

@Suite("Capture checks: frames and first_frame, bounds and windows just inside and outside")
struct FrameChecksTests {
    typealias B = FrameBuilder
    static let active = "02:00:00:00:01:01"
    static let backup = "02:00:00:00:01:02"
    static let fault: UInt64 = 10_000_000_000
    static let window = FrameWindow(after: fault, within: .milliseconds(500))

    static func garp(from mac: String, ip: String = "198.18.0.10", at time: UInt64) -> CapturedFrame {
        let bytes = B.ethernet(
            destination: "ff:ff:ff:ff:ff:ff", source: mac, etherType: 0x0806,
            payload: B.arp(operation: 1, senderMAC: mac, senderIP: ip, targetMAC: "00:00:00:00:00:00", targetIP: ip))
        return CapturedFrame(
            monotonicNanoseconds: time, realtimeNanoseconds: time + 1, originalLength: bytes.count, bytes: bytes)
    }

    static func capture(
        _ frames: [CapturedFrame], kernelDrops: UInt64 = 0, interfaceDrops: UInt64 = 0, drift: Int64 = 0
    ) -> CaptureResult {
        CaptureResult(
            request: CaptureRequest(namespace: "sw", interface: "p1", label: "sw1:server-eth1"), frames: frames,
            statistics: CaptureStatistics(
                received: UInt64(frames.count) + kernelDrops, droppedByKernel: kernelDrops,
                droppedByInterface: interfaceDrops, delivered: frames.count, clockErrorNanoseconds: 100,
                clockDriftNanoseconds: drift),
            clock: ClockMapping(offsetNanoseconds: 1, bracketNanoseconds: 100))
    }

    static func passed(_ outcome: FrameCheckOutcome) -> Bool {
        if case .passed = outcome { return true }
        return false
    }

    static func failedMessage(_ outcome: FrameCheckOutcome) -> String? {
        if case .failed(let message) = outcome { return message }
        return nil
    }

    static func erroredMessage(_ outcome: FrameCheckOutcome) -> String? {
        if case .errored(let message) = outcome { return message }
        return nil
    }

    @Test("a failure lists each neighbour advertisement with its flags and target link-layer address")
    func advertisementListing() {
        func na(flags: UInt8, at time: UInt64) -> CapturedFrame {
            let bytes = B.ethernet(
                destination: "33:33:00:00:00:01", source: Self.backup, etherType: 0x86DD,
                payload: B.ipv6(
                    next: 58, source: "2001:2::10", destination: "ff02::1",
                    payload: B.neighbourDiscovery(type: 136, flags: flags, target: "2001:2::10", linkLayer: Self.backup)
                ))
            return CapturedFrame(
                monotonicNanoseconds: time, realtimeNanoseconds: time, originalLength: bytes.count, bytes: bytes)
        }
        // Override set (0x20), then no flag at all.
        let frames = [na(flags: 0x20, at: Self.fault + 1_000_000), na(flags: 0x00, at: Self.fault + 2_000_000)]
        let outcome = FrameChecks.count(
            FramePattern(kind: .unsolicitedNA, sourceMAC: MACAddress(Self.active)), .exactly(1), in: Self.window,
            port: "sw1:server-eth1", capture: Self.capture(frames))
        let message = Self.failedMessage(outcome) ?? ""
        #expect(
            message.contains(
                "+1.000ms unsolicited_na from \(Self.backup) for 2001:2::10 (flags O, target lladdr \(Self.backup))"),
            "\(message)")
        #expect(
            message.contains("+2.000ms unsolicited_na from \(Self.backup) for 2001:2::10 (flags none,"), "\(message)")
        // `override`: true counts the first only, false the second only, nil both.
        for (flag, count) in [(true, 1), (false, 1), (nil, 2)] as [(Bool?, Int)] {
            let pattern = FramePattern(kind: .unsolicitedNA, override: flag)
            let exact = FrameChecks.count(
                pattern, .exactly(count), in: Self.window, port: "sw1:server-eth1", capture: Self.capture(frames))
            #expect(Self.passed(exact), "override \(String(describing: flag))")
            let more = FrameChecks.count(
                pattern, .exactly(count + 1), in: Self.window, port: "sw1:server-eth1", capture: Self.capture(frames))
            #expect(!Self.passed(more), "override \(String(describing: flag))")
        }
        // A GARP is not an advertisement: an override condition never matches it.
        let garp = [Self.garp(from: Self.active, at: Self.fault + 1)]
        #expect(
            !Self.passed(
                FrameChecks.count(
                    FramePattern(kind: .garp, override: true), .atLeast(1), in: Self.window, port: "p",
                    capture: Self.capture(garp))))
    }

    @Test("the window includes its start and its end; 1 ns before the start or after the end is outside")
    func windowEdges() {
        let pattern = FramePattern(kind: .garp)
        let end = Self.fault + 500_000_000
        for (time, inside) in [(Self.fault, true), (Self.fault - 1, false), (end, true), (end + 1, false)] {
            let outcome = FrameChecks.count(
                pattern, .exactly(1), in: Self.window, port: "sw1:server-eth1",
                capture: Self.capture([Self.garp(from: Self.active, at: time)]))
            #expect(Self.passed(outcome) == inside, "frame at fault + \(Int64(time) - Int64(Self.fault)) ns")
        }
    }

    @Test("is / at_least / at_most: the count at the bound passes, one either side fails")
    func bounds() {
        let pattern = FramePattern(kind: .garp, sourceMAC: MACAddress(Self.active))
        func run(_ count: Int, _ bound: FrameCountBound) -> Bool {
            let frames = (0..<count).map { Self.garp(from: Self.active, at: Self.fault + UInt64($0 + 1) * 100_000_000) }
            return Self.passed(
                FrameChecks.count(pattern, bound, in: Self.window, port: "p", capture: Self.capture(frames)))
        }
        #expect(run(3, .exactly(3)))
        #expect(!run(2, .exactly(3)))
        #expect(!run(4, .exactly(3)))
        #expect(run(1, .atLeast(1)))
        #expect(!run(0, .atLeast(1)))
        #expect(run(0, .atMost(0)))
        #expect(!run(1, .atMost(0)))
    }

    @Test("a GARP from another MAC does not count, and the message lists the MACs seen")
    func wrongMAC() throws {
        let outcome = FrameChecks.count(
            FramePattern(kind: .garp, sourceMAC: MACAddress(Self.active)), .atLeast(1), in: Self.window,
            port: "sw1:server-eth1", capture: Self.capture([Self.garp(from: Self.backup, at: Self.fault + 3_100_000)]))
        let message = try #require(Self.failedMessage(outcome))
        #expect(
            message
                == "expected at least 1 garp from 02:00:00:00:01:01 on sw1:server-eth1 within 500.000ms after the fault, "
                + "saw 0; frames on sw1:server-eth1 in the window: +3.100ms garp from 02:00:00:00:01:02 for 198.18.0.10"
        )
        let bySender = FrameChecks.count(
            FramePattern(kind: .garp, senderIP: IPAddress("198.18.0.11")), .atLeast(1), in: Self.window, port: "p",
            capture: Self.capture([Self.garp(from: Self.active, at: Self.fault + 1)]))
        #expect(!Self.passed(bySender))
        let rightSender = FrameChecks.count(
            FramePattern(kind: .garp, senderIP: IPAddress("198.18.0.10")), .atLeast(1), in: Self.window, port: "p",
            capture: Self.capture([Self.garp(from: Self.active, at: Self.fault + 1)]))
        #expect(Self.passed(rightSender))
    }

    @Test("no capture on the port, one dropped frame, or a realtime step over 1 ms is errored, not passed")
    func errored() throws {
        let pattern = FramePattern(kind: .garp)
        let frames = [Self.garp(from: Self.active, at: Self.fault + 1)]
        let none = FrameChecks.count(pattern, .atMost(5), in: Self.window, port: "sw1:p9", capture: nil)
        #expect(try #require(Self.erroredMessage(none)).hasPrefix("no capture on sw1:p9"))
        #expect(
            Self.erroredMessage(
                FrameChecks.count(
                    pattern, .atLeast(1), in: Self.window, port: "p", capture: Self.capture(frames, kernelDrops: 1)))
                != nil)
        #expect(
            Self.erroredMessage(
                FrameChecks.count(
                    pattern, .atLeast(1), in: Self.window, port: "p", capture: Self.capture(frames, interfaceDrops: 1)))
                != nil)
        #expect(
            Self.erroredMessage(
                FrameChecks.count(
                    pattern, .atLeast(1), in: Self.window, port: "p", capture: Self.capture(frames, drift: -1_000_001)))
                != nil)
        #expect(
            Self.passed(
                FrameChecks.count(
                    pattern, .atLeast(1), in: Self.window, port: "p", capture: Self.capture(frames, drift: 1_000_000))))
        #expect(
            Self.erroredMessage(FrameChecks.firstFrame(pattern, in: Self.window, port: "p", capture: nil).outcome)
                != nil)
    }

    @Test("first_frame: the first matching frame's delay from the fault; none in the window fails with the list")
    func firstFrame() throws {
        let pattern = FramePattern(kind: .garp, sourceMAC: MACAddress(Self.backup))
        let frames = [
            Self.garp(from: Self.active, at: Self.fault + 1_000_000),
            Self.garp(from: Self.backup, at: Self.fault + 42_000_000),
            Self.garp(from: Self.backup, at: Self.fault + 43_000_000),
        ]
        let found = FrameChecks.firstFrame(
            pattern, in: Self.window, port: "p", capture: Self.capture(frames.shuffled()))
        #expect(Self.passed(found.outcome))
        #expect(found.delay == .milliseconds(42))
        let early = FrameWindow(after: Self.fault, within: .nanoseconds(41_999_999))
        let missed = FrameChecks.firstFrame(pattern, in: early, port: "p", capture: Self.capture(frames))
        #expect(missed.delay == nil)
        let message = try #require(Self.failedMessage(missed.outcome))
        #expect(message.contains("+1.000ms garp from 02:00:00:00:01:01"))
        let justInTime = FrameWindow(after: Self.fault, within: .milliseconds(42))
        #expect(
            FrameChecks.firstFrame(pattern, in: justInTime, port: "p", capture: Self.capture(frames)).delay
                == .milliseconds(42))
    }
}
