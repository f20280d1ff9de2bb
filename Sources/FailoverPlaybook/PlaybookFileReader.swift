#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Reads a playbook file without surprises: it must be a regular file (a FIFO would block the
/// reader, `/dev/zero` never ends, a directory has no text), and each refusal says why (a
/// symlink loop is ELOOP, not "no such file"), whoever runs it (root included).
enum PlaybookFileReader {
    struct Problem: Error, Equatable {
        var message: String
    }

    static func contents(of path: String) -> Result<[UInt8], Problem> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(Problem(message: describe(errno, path: path))) }
        if let kind = nonRegularKind(info.st_mode) {
            return .failure(Problem(message: "\(kind), not a regular file"))
        }
        // O_NONBLOCK: should a FIFO have replaced the file since the stat, opening it does not
        // wait for a writer; the fstat below then refuses it.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return .failure(Problem(message: describe(errno, path: path))) }
        defer { close(fd) }
        var opened = stat()
        guard fstat(fd, &opened) == 0 else { return .failure(Problem(message: describe(errno, path: path))) }
        if let kind = nonRegularKind(opened.st_mode) {
            return .failure(Problem(message: "\(kind), not a regular file"))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(max(0, opened.st_size)))
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return .success(bytes) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Problem(message: describe(errno, path: path)))
            }
            bytes += chunk[0..<count]
        }
    }

    /// nil when `stat(path)` succeeds, else why it fails.
    static func statProblem(_ path: String) -> String? {
        var info = stat()
        return stat(path, &info) == 0 ? nil : describe(errno, path: path)
    }

    /// nil for a regular file, else what it is.
    static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & 0o170000 {
        case 0o100000: nil
        case 0o040000: "a directory"
        case 0o010000: "a FIFO (named pipe)"
        case 0o020000: "a character device"
        case 0o060000: "a block device"
        case 0o140000: "a socket"
        default: "not a file (mode \(String(mode, radix: 8)))"
        }
    }

    /// The reason and the errno's name.
    static func describe(_ code: Int32, path: String) -> String {
        let names: [Int32: String] = [
            ENOENT: "ENOENT", ELOOP: "ELOOP", EACCES: "EACCES", ENOTDIR: "ENOTDIR", ENAMETOOLONG: "ENAMETOOLONG",
            EPERM: "EPERM", EIO: "EIO", ENXIO: "ENXIO", EISDIR: "EISDIR",
        ]
        let name = names[code] ?? "errno \(code)"
        switch code {
        case ELOOP:
            return "too many levels of symbolic links: a symbolic link loop (\(name))"
        case ENOENT:
            var link = stat()
            if lstat(path, &link) == 0 && link.st_mode & 0o170000 == 0o120000 {
                return "a symbolic link to a file that does not exist (\(name))"
            }
            return "no such file or directory (\(name))"
        default:
            return "\(String(cString: strerror(code))) (\(name))"
        }
    }
}
