import FailoverCapture
import FailoverModel
import Testing

@testable import FailoverOrchestration

/// The frames a flow assertion looks at: from the last fault (+ `after`), or the last `last`
/// before the check; always up to the check.
@Suite("Flow assertion windows")
struct FlowWindowTests {
    static let fault: UInt64 = 5_000_000_000
    static let now: UInt64 = 9_000_000_000

    @Test("no window: from the last fault (or 0 without one) to now")
    func defaultWindow() {
        #expect(
            CaptureEngine.frameWindow(nil, lastFault: Self.fault, now: Self.now)
                == FrameWindow(start: Self.fault, end: Self.now))
        #expect(CaptureEngine.frameWindow(nil, lastFault: nil, now: Self.now) == FrameWindow(start: 0, end: Self.now))
    }

    @Test("after: 1500ms starts 1.5 s after the fault; last: 1500ms is the 1.5 s before now")
    func afterAndLast() {
        #expect(
            CaptureEngine.frameWindow(.after(.milliseconds(1500)), lastFault: Self.fault, now: Self.now)
                == FrameWindow(start: 6_500_000_000, end: Self.now))
        #expect(
            CaptureEngine.frameWindow(.last(.milliseconds(1500)), lastFault: Self.fault, now: Self.now)
                == FrameWindow(start: 7_500_000_000, end: Self.now))
        // A last longer than the clock's value starts at 0.
        #expect(
            CaptureEngine.frameWindow(.last(.seconds(10)), lastFault: nil, now: Self.now)
                == FrameWindow(start: 0, end: Self.now))
    }
}
