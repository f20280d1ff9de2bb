public import FailoverCore
public import FailoverModel
import FailoverSystem

/// CLOCK_MONOTONIC (read by `MonotonicTime` of FailoverSystem), the clock of every timestamp of a run: kernel event stamps,
/// acks and probe samples share it across namespaces.
public struct LinuxMonotonicClock: MonotonicClock {
    public init() {}

    public func now() -> MonotonicInstant { MonotonicInstant(nanoseconds: MonotonicTime.now()) }

    /// Sleeps with Task.sleep until `deadline`; throws CancellationError when cancelled.
    public func sleep(until deadline: MonotonicInstant) async throws {
        let current = MonotonicTime.now()
        guard deadline.nanoseconds > current else {
            try Task.checkCancellation()
            return
        }
        try await Task.sleep(nanoseconds: deadline.nanoseconds - current)
    }
}
