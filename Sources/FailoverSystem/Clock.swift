#if canImport(Glibc)
    public import Glibc
#elseif canImport(Musl)
    public import Musl
#endif

/// The one reader of the system clocks (clock_gettime(2)) and the absolute sleep (clock_nanosleep(2)).
/// CLOCK_MONOTONIC is the clock of every timestamp of a run: kernel event stamps, acks and probe
/// samples share it across namespaces. Inlined: the probe sender reads it per packet.
public enum MonotonicTime {
    /// CLOCK_MONOTONIC now, in nanoseconds.
    @inlinable @inline(__always)
    public static func now() -> UInt64 { read(CLOCK_MONOTONIC) }

    /// CLOCK_REALTIME now, in nanoseconds since the epoch (for wall-clock stamps in reports).
    @inlinable @inline(__always)
    public static func realtimeNow() -> UInt64 { read(CLOCK_REALTIME) }

    /// CPU time of the calling thread (user + system), in nanoseconds (CLOCK_THREAD_CPUTIME_ID).
    @inlinable
    public static func threadCPUNow() -> UInt64 { read(CLOCK_THREAD_CPUTIME_ID) }

    @inlinable @inline(__always)
    static func read(_ clock: clockid_t) -> UInt64 {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// The time from `start` to `end` (two `now()` readings); zero when `end` is earlier.
    public static func duration(from start: UInt64, to end: UInt64) -> Duration {
        end > start ? .nanoseconds(Int64(clamping: end - start)) : .zero
    }

    /// Blocks the calling thread until the absolute CLOCK_MONOTONIC `deadline` (nanoseconds);
    /// returns at once when it has passed. A signal does not cut the sleep short.
    public static func sleep(until deadline: UInt64) {
        var spec = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, nil) == EINTR {}
    }
}
