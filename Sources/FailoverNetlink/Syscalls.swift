internal import CNetShims
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs `body` until it does not fail with EINTR; `-1` becomes the `Errno` read right away.
func valueOrErrno<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
    while true {
        let value = body()
        if value != -1 { return .success(value) }
        let code = Errno(rawValue: errno)
        if code == .interrupted { continue }
        return .failure(code)
    }
}

/// `valueOrErrno` that throws `NetlinkError` naming the call and the object.
@discardableResult
func syscall<T: FixedWidthInteger>(_ call: String, _ object: String, _ body: () -> T) throws(NetlinkError) -> T {
    switch valueOrErrno(body) {
    case .success(let value): return value
    case .failure(let code): throw NetlinkError(operation: call, object: object, errno: code)
    }
}

/// CLOCK_MONOTONIC in nanoseconds (clock_gettime(2)).
public enum MonotonicTime {
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// Reads a whole small file (procfs) with read(2).
/// - Throws: `NetlinkError` naming the path (ENOENT when it does not exist).
public func readSmallFile(_ path: String) throws(NetlinkError) -> [UInt8] {
    let fd = try syscall("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
    defer { _ = close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    while true {
        let count = try syscall("read", path) {
            chunk.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress, raw.count) }
        }
        if count == 0 { break }
        result.append(contentsOf: chunk[0..<count])
    }
    return result
}
