import FailoverSystem

/// Maps libpcap's timestamps (CLOCK_REALTIME: the kernel stamps packet-socket frames with
/// ktime_get_real) onto the run's CLOCK_MONOTONIC.
///
/// The offset realtime − monotonic is measured by reading REALTIME between two MONOTONIC reads;
/// the midpoint of the bracket is taken as the monotonic instant of the realtime read, so the
/// conversion is off by at most half the bracket width. The reading is repeated and the tightest
/// bracket kept; its full width is reported as the conversion error (a conservative bound).
/// A realtime step during the capture (NTP, `date -s`) would shift the mapping: the offset is
/// measured again when the capture stops and the difference is reported as the drift.
public struct ClockMapping: Sendable, Hashable, Codable {
    /// realtime − monotonic, nanoseconds.
    public var offsetNanoseconds: Int64
    /// Width of the tightest bracket (monotonic after − before), nanoseconds.
    public var bracketNanoseconds: UInt64

    public init(offsetNanoseconds: Int64, bracketNanoseconds: UInt64) {
        self.offsetNanoseconds = offsetNanoseconds
        self.bracketNanoseconds = bracketNanoseconds
    }

    /// Chooses, among (monotonic before, realtime, monotonic after) readings, the one with the
    /// narrowest bracket; nil when there is none with after ≥ before.
    public static func tightest(_ samples: [(before: UInt64, realtime: UInt64, after: UInt64)]) -> ClockMapping? {
        var best: ClockMapping?
        for sample in samples where sample.after >= sample.before {
            let width = sample.after - sample.before
            if let best, best.bracketNanoseconds <= width { continue }
            let midpoint = sample.before + width / 2
            best = ClockMapping(
                offsetNanoseconds: Int64(bitPattern: sample.realtime &- midpoint), bracketNanoseconds: width)
        }
        return best
    }

    /// Measures the mapping now (`samples` readings, the tightest kept).
    public static func measure(samples: Int = 32) -> ClockMapping {
        var readings: [(before: UInt64, realtime: UInt64, after: UInt64)] = []
        readings.reserveCapacity(samples)
        for _ in 0..<max(1, samples) {
            let before = MonotonicTime.now()
            let realtime = MonotonicTime.realtimeNow()
            let after = MonotonicTime.now()
            readings.append((before, realtime, after))
        }
        // Monotonic never goes backwards, so every reading qualifies and there is a result.
        return tightest(readings) ?? ClockMapping(offsetNanoseconds: 0, bracketNanoseconds: UInt64.max)
    }

    /// The CLOCK_MONOTONIC instant of a CLOCK_REALTIME stamp (0 for a stamp before boot).
    public func monotonic(fromRealtime realtime: UInt64) -> UInt64 {
        let value = Int64(bitPattern: realtime) &- offsetNanoseconds
        return value > 0 ? UInt64(value) : 0
    }

    /// The CLOCK_REALTIME instant of a CLOCK_MONOTONIC one (for marks written into a pcapng file).
    public func realtime(fromMonotonic monotonic: UInt64) -> UInt64 {
        let value = Int64(bitPattern: monotonic) &+ offsetNanoseconds
        return value > 0 ? UInt64(value) : 0
    }
}
