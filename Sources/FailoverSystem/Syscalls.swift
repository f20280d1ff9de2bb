public import SystemPackage

#if canImport(Glibc)
    public import Glibc
#elseif canImport(Musl)
    public import Musl
#endif

/// Runs `body` until it does not fail with EINTR; `-1` becomes the `Errno` read right away.
/// The one errno wrapper of the project (inlined: probe hot paths call it per packet batch).
@inlinable
public func valueOrErrno<T: BinaryInteger>(_ body: () -> T) -> Result<T, Errno> {
    while true {
        let value = body()
        if value != -1 { return .success(value) }
        let code = Errno(rawValue: errno)
        if code == .interrupted { continue }
        return .failure(code)
    }
}

/// `valueOrErrno` that throws `SystemError` naming the call and the object.
@discardableResult
public func syscall<T: BinaryInteger>(_ call: String, _ object: String, _ body: () -> T) throws(SystemError) -> T {
    switch valueOrErrno(body) {
    case .success(let value): return value
    case .failure(let code): throw SystemError(operation: call, object: object, errno: code)
    }
}

/// Reads a whole small file (procfs) with read(2).
/// - Throws: `SystemError` naming the path (ENOENT when it does not exist).
public func readSmallFile(_ path: String) throws(SystemError) -> [UInt8] {
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

/// Facts about processes from /proc.
public enum ProcFS {
    /// Field 22 (starttime, clock ticks since boot) of /proc/PID/stat: with the PID it names one
    /// process for good (a recycled PID has a later start time). Nil when the process is gone.
    public static func startTime(of pid: Int32) -> UInt64? {
        guard let data = try? readSmallFile("/proc/\(pid)/stat"),
            let close = data.lastIndex(of: UInt8(ascii: ")"))
        else { return nil }
        // After ") " come fields 3, 4, ...; starttime is field 22, i.e. index 19 of the rest.
        let rest = String(decoding: data[data.index(after: close)...], as: UTF8.self).split(separator: " ")
        guard rest.count > 19 else { return nil }
        return UInt64(rest[19])
    }
}
