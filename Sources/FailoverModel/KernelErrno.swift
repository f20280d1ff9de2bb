/// Linux errno names and numbers (asm-generic/errno-base.h and errno.h, the values on x86-64
/// and arm64), for `expect_error:` in playbooks and for naming the errno a kernel refusal carried.
public enum KernelErrno {
    /// Name → number. Aliases (EWOULDBLOCK, ENOTSUP, EDEADLOCK) map to the same number.
    public static let numbers: [String: Int32] = [
        "EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EINTR": 4, "EIO": 5, "ENXIO": 6, "E2BIG": 7, "ENOEXEC": 8,
        "EBADF": 9, "ECHILD": 10, "EAGAIN": 11, "EWOULDBLOCK": 11, "ENOMEM": 12, "EACCES": 13, "EFAULT": 14,
        "EBUSY": 16, "EEXIST": 17, "EXDEV": 18, "ENODEV": 19, "ENOTDIR": 20, "EISDIR": 21, "EINVAL": 22,
        "ENFILE": 23, "EMFILE": 24, "ENOTTY": 25, "EFBIG": 27, "ENOSPC": 28, "ESPIPE": 29, "EROFS": 30,
        "EMLINK": 31, "EPIPE": 32, "EDOM": 33, "ERANGE": 34, "EDEADLK": 35, "EDEADLOCK": 35, "ENAMETOOLONG": 36,
        "ENOLCK": 37, "ENOSYS": 38, "ENOTEMPTY": 39, "ELOOP": 40, "ENOMSG": 42, "ENOLINK": 67, "EPROTO": 71,
        "EOVERFLOW": 75, "EMSGSIZE": 90, "EPROTONOSUPPORT": 93, "EOPNOTSUPP": 95, "ENOTSUP": 95,
        "EAFNOSUPPORT": 97, "EADDRINUSE": 98, "EADDRNOTAVAIL": 99, "ENETDOWN": 100, "ENETUNREACH": 101,
        "ENOBUFS": 105, "ENOTCONN": 107, "ETIMEDOUT": 110, "EHOSTUNREACH": 113, "EALREADY": 114,
        "EINPROGRESS": 115, "ERFKILL": 132,
        // Kernel-internal, but some drivers let it reach user space.
        "ENOTSUPP": 524,
    ]

    /// Number → the usual name (EAGAIN over EWOULDBLOCK, EOPNOTSUPP over ENOTSUP, EDEADLK).
    public static func name(of number: Int32) -> String? {
        let aliases: Set<String> = ["EWOULDBLOCK", "ENOTSUP", "EDEADLOCK"]
        return numbers.filter { $0.value == number && !aliases.contains($0.key) }.map(\.key).min()
    }

    /// The number of `name` (exact, upper case), nil when unknown.
    public static func number(of name: String) -> Int32? { numbers[name] }

    /// Every accepted name, sorted (for diagnostics).
    public static var allNames: [String] { numbers.keys.sorted() }
}
