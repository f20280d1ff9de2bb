internal import CNetShims
import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs work on a fresh dedicated pthread, optionally inside a network namespace (setns(2)
/// changes only the calling thread, so it is never called on a Swift concurrency thread).
/// The thread ends when the work is done, so its namespace never leaks to other work.
public enum NamespaceThread {
    /// Holds the closure and its result across the thread boundary. The spawning thread
    /// writes `body` before pthread_create and reads `result` after pthread_join; the new
    /// thread touches both only in between, so the joins order every access.
    private final class Box: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private final class ResultBox<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }

    /// Runs `body` on a new thread and waits for it (pthread_create, pthread_join).
    /// - Parameter namespaceFD: when given, the thread first calls setns(fd, CLONE_NEWNET).
    /// - Throws: `SystemError` for setns or thread failures, else what `body` throws.
    public static func run<T>(namespaceFD: Int32? = nil, label: String = "", _ body: () throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            let resultBox = ResultBox<T>()
            let box = Box {
                if let namespaceFD {
                    if CNetShims_setns(namespaceFD, CNetShims_CLONE_NEWNET()) != 0 {
                        resultBox.result = .failure(
                            SystemError(operation: "setns", object: label, errno: Errno(rawValue: errno)))
                        return
                    }
                }
                resultBox.result = Result { try body() }
            }
            try spawnAndJoin(box, label: label)
            guard let result = resultBox.result else {
                throw SystemError(operation: "thread", object: label, errno: .ioError)
            }
            return try result.get()
        }
    }

    private static func spawnAndJoin(_ box: Box, label: String) throws(SystemError) {
        pthread_join(try create(box, label: label), nil)
    }

    /// Starts a long-running thread (a monitor loop). Join it with the returned handle.
    public static func start(label: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) -> JoinHandle {
        JoinHandle(thread: try create(Box(body), label: label))
    }

    /// A new thread running `box.body`; the box is retained until the thread has taken it.
    private static func create(_ box: Box, label: String) throws(SystemError) -> pthread_t {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(box).toOpaque()
        let status = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                box.body()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw SystemError(operation: "pthread_create", object: label, errno: Errno(rawValue: status))
        }
        return thread
    }

    /// A thread started by `start`; join it exactly once.
    public struct JoinHandle: Sendable {
        let thread: pthread_t
        /// Waits for the thread to end (pthread_join).
        public func join() { pthread_join(thread, nil) }
    }
}

/// Named network namespaces under /run/netns, as `ip netns` manages them.
public enum NetworkNamespace {
    public static let directory = "/run/netns"

    /// Path of the bind-mounted namespace file.
    public static func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// Creates `/run/netns/NAME` natively: a thread unshares CLONE_NEWNET and bind-mounts its
    /// /proc/thread-self/ns/net there (what `ip netns add` does). Falls back to running
    /// `/usr/sbin/ip netns add NAME` when /run/netns does not exist yet (ip then also sets up
    /// the shared mount point for it).
    /// - Returns: an open descriptor of the new namespace (caller closes it).
    /// - Throws: `SystemError` (EEXIST when the name is taken).
    public static func create(_ name: String) throws -> Int32 {
        var info = stat()
        if stat(directory, &info) != 0 {
            try runIP(["netns", "add", name])
            return try open(name)
        }
        let file = path(name)
        let created = try syscall("create namespace file", file) {
            Glibc.open(file, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)
        }
        _ = Glibc.close(created)
        do {
            return try NamespaceThread.run(label: name) { () throws(SystemError) -> Int32 in
                try syscall("unshare(CLONE_NEWNET)", name) { CNetShims_unshare(CNetShims_CLONE_NEWNET()) }
                try syscall("mount --bind", file) { CNetShims_bind_mount("/proc/thread-self/ns/net", file) }
                return try syscall("open", file) { Glibc.open(file, O_RDONLY | O_CLOEXEC) }
            }
        } catch {
            _ = unlink(file)
            throw error
        }
    }

    /// Opens the namespace file (O_RDONLY) for setns / IFLA_NET_NS_FD.
    public static func open(_ name: String) throws(SystemError) -> Int32 {
        let file = path(name)
        return try syscall("open namespace", file) { Glibc.open(file, O_RDONLY | O_CLOEXEC) }
    }

    /// Unmounts (MNT_DETACH) and removes `/run/netns/NAME`, as `ip netns del` does.
    /// An already missing namespace is success.
    /// - Returns: false when it did not exist.
    @discardableResult
    public static func delete(_ name: String) throws(SystemError) -> Bool {
        let file = path(name)
        if CNetShims_umount_detach(file) != 0 {
            let code = Errno(rawValue: errno)
            if code != .noSuchFileOrDirectory && code != .invalidArgument {
                throw SystemError(operation: "umount", object: file, errno: code)
            }
        }
        if unlink(file) != 0 {
            let code = Errno(rawValue: errno)
            if code == .noSuchFileOrDirectory { return false }
            throw SystemError(operation: "unlink", object: file, errno: code)
        }
        return true
    }

    /// Names in /run/netns.
    public static func list() -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let bytes = raw.prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Runs /usr/sbin/ip with argv; throws when it exits non-zero (the error carries its stderr).
    public static func runIP(_ arguments: [String]) throws(SystemError) {
        let result = try SupervisedProcess.run(["/usr/sbin/ip"] + arguments)
        guard result.status.exitCode == 0 else {
            throw SystemError(
                operation: "ip " + arguments.joined(separator: " "), object: "", errno: .ioError,
                kernelMessage: "exit status \(result.status.shellCode)",
                process: .init(program: "/usr/sbin/ip", status: result.status, stderrTail: result.stderr))
        }
    }

    /// Runs `argv` to completion (see `SupervisedProcess.run`); returns the exit status, or 128 + signal
    /// when a signal ended it. The child's stderr is passed on to ours, as an inherited one would be.
    public static func spawnAndWait(_ argv: [String]) throws(SystemError) -> Int32 {
        let result = try SupervisedProcess.run(argv)
        if !result.stderr.isEmpty {
            let bytes = Array((result.stderr + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
        return result.status.shellCode
    }
}
