internal import CNetShims
import FailoverModel
import FailoverSystem
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// Linux socket constants that Glibc's Swift overlay does not always surface (asm-generic/socket.h).
let soRcvBufForce: Int32 = 33
let soTimestampNS: Int32 = 35  // SO_TIMESTAMPNS_OLD == SCM_TIMESTAMPNS on 64-bit
let soRxqOvfl: Int32 = 40
/// IP_FREEBIND (linux/in.h): bind an address the namespace does not hold (yet): a CARP VIP.
let ipFreeBind: Int32 = 15

// The clocks come from the one reader in FailoverSystem (`MonotonicTime`, inlined); these names are
// the probe's vocabulary for them.

/// CLOCK_MONOTONIC now, in nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> UInt64 { MonotonicTime.now() }

/// CLOCK_REALTIME now, in nanoseconds.
@inline(__always)
func realtimeNanoseconds() -> UInt64 { MonotonicTime.realtimeNow() }

/// CPU time of the calling thread (user + system), in nanoseconds.
func threadCPUNanoseconds() -> UInt64 { MonotonicTime.threadCPUNow() }

/// Sleeps until an absolute CLOCK_MONOTONIC deadline.
func sleepUntilMonotonic(_ deadline: UInt64) { MonotonicTime.sleep(until: deadline) }

/// The current CLOCK_MONOTONIC instant.
public func probeMonotonicNow() -> MonotonicInstant { MonotonicInstant(nanoseconds: monotonicNanoseconds()) }

/// Socket plumbing for probe streams; every call checks its result.
enum ProbeSocket {
    static func family(of address: IPAddress) -> Int32 {
        address.family == .ipv4 ? AF_INET : AF_INET6
    }

    /// Calls `body` with a sockaddr for `address` (or the wildcard of `family` when nil) and `port`.
    static func withSockaddr<R>(
        _ address: IPAddress?, family: Int32, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R
    ) -> R {
        if family == AF_INET {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = UInt16(truncatingIfNeeded: port).bigEndian
            if let bytes = address?.bytes, bytes.count == 4 {
                withUnsafeMutableBytes(of: &sin.sin_addr) { raw in
                    for index in 0..<4 { raw[index] = bytes[index] }
                }
            }
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        var sin6 = sockaddr_in6()
        sin6.sin6_family = sa_family_t(AF_INET6)
        sin6.sin6_port = UInt16(truncatingIfNeeded: port).bigEndian
        if let bytes = address?.bytes, bytes.count == 16 {
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for index in 0..<16 { raw[index] = bytes[index] }
            }
        }
        return withUnsafePointer(to: &sin6) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
    }

    /// Runs a socket call through the system layer's errno wrapper (`syscall`: EINTR retried, -1 to
    /// errno); a failure becomes a `.syscall` `ProbeError` naming the operation and the object.
    static func check(_ operation: String, _ object: String, _ body: () -> Int32) throws(ProbeError) {
        do {
            try syscall(operation, object, body)
        } catch {
            throw ProbeError(.syscall, operation: operation, object: object, errno: error.code)
        }
    }

    static func bind(_ fd: Int32, address: IPAddress?, family: Int32, port: Int, object: String) throws(ProbeError) {
        try withSockaddr(address, family: family, port: port) { pointer, length in
            Result { () throws(ProbeError) in try check("bind", object) { Glibc.bind(fd, pointer, length) } }
        }.get()
    }

    static func connect(_ fd: Int32, address: IPAddress, port: Int, object: String) throws(ProbeError) {
        try withSockaddr(address, family: family(of: address), port: port) { pointer, length in
            Result { () throws(ProbeError) in try check("connect", object) { Glibc.connect(fd, pointer, length) } }
        }.get()
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, label: String, object: String)
        throws(ProbeError)
    {
        var value = value
        try check("setsockopt(\(label))", object) {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    static func getIntOption(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, level, name, &value, &length) == 0 else { return nil }
        return value
    }

    /// Sets a receive timeout so blocking receives wake up to check for stop.
    static func setReceiveTimeout(_ fd: Int32, microseconds: Int, object: String) throws(ProbeError) {
        var tv = timeval(tv_sec: microseconds / 1_000_000, tv_usec: microseconds % 1_000_000)
        try check("setsockopt(SO_RCVTIMEO)", object) {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// The local port a socket is bound to.
    static func localPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        return withUnsafeBytes(of: &storage) { raw in
            Int(UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        }
    }
}
