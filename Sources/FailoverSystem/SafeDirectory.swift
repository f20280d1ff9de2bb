#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A file operation of `SafeDirectory` was refused or failed: what, on which path, the errno.
public struct SafeDirectoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was attempted: `open directory`, `create directory`, `create file`, `write file`,
    /// `move file`, `link`, `remove`, `check name`.
    public var operation: String
    /// The path concerned (directory path + name), for the message only.
    public var path: String
    /// The errno of the failed call, nil for a refusal decided here (a bad name, a symlink).
    public var errno: Int32?
    /// Why, in words.
    public var detail: String

    public init(operation: String, path: String, errno: Int32?, detail: String) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var text = "\(operation) \(path): \(detail)"
        if let errno { text += " (errno \(errno))" }
        return text
    }

    /// The text of `strerror(code)`.
    static func text(_ code: Int32) -> String {
        guard let pointer = strerror(code) else { return "errno \(code)" }
        return String(cString: pointer)
    }

    static func failed(_ operation: String, _ path: String, _ code: Int32) -> SafeDirectoryError {
        SafeDirectoryError(operation: operation, path: path, errno: code, detail: text(code))
    }
}

/// A directory opened once (`O_DIRECTORY|O_NOFOLLOW`) and written only relative to its
/// descriptor, so that nothing written through it can land outside it: every name is one path
/// component (never empty, `.`, `..` or containing `/` or NUL), files are created with
/// `O_CREAT|O_EXCL|O_NOFOLLOW` (a symlink or file planted at the name is neither followed nor
/// replaced), subdirectories with `mkdirat` and opened without following a symlink, and files are
/// moved in with `linkat` (which refuses an existing name: the no-replace rename; across file
/// systems a copy into a new `O_EXCL` file).
///
/// ```swift
/// let run = try SafeDirectory.create("Results/20261203-091500-3f2a1c")
/// try run.createFile("report.json", contents: Array(json.utf8))
/// try run.subdirectory("captures").moveIn(from: "/tmp/capture.pcap", as: "witness-p1.pcap")
/// ```
public final class SafeDirectory: Sendable {
    /// The path the directory was opened as (for messages and reports; never used to write).
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { _ = close(descriptor) }

    /// Opens an existing directory. The last component of `path` must not be a symlink, unless
    /// `followingSymlink` (for a directory the user named only as the parent of a file).
    /// - Throws: `SafeDirectoryError` (operation `open directory`).
    public static func open(_ path: String, followingSymlink: Bool = false) throws(SafeDirectoryError)
        -> SafeDirectory
    {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followingSymlink ? 0 : O_NOFOLLOW)
        let fd = retrying { Glibc.open(path, flags) }
        guard fd >= 0 else { throw openError(path, errno) }
        return SafeDirectory(path: path, descriptor: fd)
    }

    /// Creates `path` (and its missing parents, mode 0755) when needed, then opens it like `open`.
    /// The last component must be a real directory, not a symlink to one, unless `followingSymlink`.
    /// - Throws: `SafeDirectoryError` (operation `create directory` or `open directory`).
    public static func create(_ path: String, followingSymlink: Bool = false) throws(SafeDirectoryError)
        -> SafeDirectory
    {
        guard !path.isEmpty else {
            throw SafeDirectoryError(operation: "create directory", path: path, errno: nil, detail: "empty path")
        }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if mkdir(prefix, 0o755) != 0 {
                let code = errno
                if code == EEXIST { continue }
                throw SafeDirectoryError.failed("create directory", prefix, code)
            }
        }
        return try open(path, followingSymlink: followingSymlink)
    }

    /// Refuses a name that is not exactly one path component.
    /// - Throws: `SafeDirectoryError` (operation `check name`).
    public static func validate(_ name: String, in directory: String = "") throws(SafeDirectoryError) {
        let problem: String? =
            if name.isEmpty {
                "an empty name"
            } else if name == "." || name == ".." {
                "'\(name)' names a directory, not an entry in it"
            } else if name.contains("/") {
                "a name with '/' would leave the directory"
            } else if name.utf8.contains(0) {
                "a name with a NUL byte"
            } else if name.utf8.count > 255 {
                "a name longer than 255 bytes"
            } else {
                nil
            }
        if let problem {
            throw SafeDirectoryError(
                operation: "check name", path: joined(directory, printable(name)), errno: nil,
                detail: "refused \(problem)")
        }
    }

    /// `path/name`, for messages.
    public func path(of name: String) -> String { Self.joined(path, name) }

    /// Opens the subdirectory `name`, creating it (mode 0755) unless `create` is false.
    /// A symlink at `name` is refused, never followed.
    /// - Throws: `SafeDirectoryError`.
    public func subdirectory(_ name: String, create: Bool = true) throws(SafeDirectoryError) -> SafeDirectory {
        try Self.validate(name, in: path)
        if create && mkdirat(descriptor, name, 0o755) != 0 && errno != EEXIST {
            throw SafeDirectoryError.failed("create directory", path(of: name), errno)
        }
        let fd = Self.retrying { openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else { throw Self.openError(path(of: name), errno) }
        return SafeDirectory(path: path(of: name), descriptor: fd)
    }

    /// Creates the file `name` (mode `mode`) with `contents`. An existing entry of that name (file,
    /// symlink, anything) is neither followed nor replaced: the call fails with EEXIST.
    /// A partly written file is removed.
    /// - Throws: `SafeDirectoryError` (operation `create file` or `write file`).
    public func createFile(_ name: String, contents: [UInt8], mode: mode_t = 0o644) throws(SafeDirectoryError) {
        try Self.validate(name, in: path)
        let fd = try createExclusive(name, mode: mode)
        defer { _ = close(fd) }
        do {
            try Self.writeAll(fd, contents, path: path(of: name))
        } catch {
            _ = unlinkat(descriptor, name, 0)
            throw error
        }
    }

    /// Creates the empty file `name` (mode `mode`) and returns a descriptor open for writing
    /// (O_CLOEXEC; the caller closes it), e.g. to capture a child process's output. An existing entry
    /// of that name is neither followed nor replaced (EEXIST).
    /// - Throws: `SafeDirectoryError` (operation `create file`).
    public func openNewFile(_ name: String, mode: mode_t = 0o644) throws(SafeDirectoryError) -> Int32 {
        try Self.validate(name, in: path)
        return try createExclusive(name, mode: mode)
    }

    /// Replaces the regular file `name` (or creates it) atomically: the contents go to a new
    /// temporary file first, which is then renamed over `name`. An entry at `name` that is not a
    /// regular file (a symlink, a directory, a FIFO) is refused and left alone.
    /// - Throws: `SafeDirectoryError`.
    public func replaceFile(_ name: String, contents: [UInt8], mode: mode_t = 0o644) throws(SafeDirectoryError) {
        try Self.validate(name, in: path)
        if let kind = entryKind(name), kind != S_IFREG {
            throw SafeDirectoryError(
                operation: "write file", path: path(of: name), errno: nil,
                detail: "refused: it exists and is \(Self.describe(kind)), not a regular file")
        }
        let temporary = try createTemporary(for: name, mode: mode)
        do {
            try Self.writeAll(temporary.fd, contents, path: path(of: name))
            _ = close(temporary.fd)
        } catch {
            _ = close(temporary.fd)
            _ = unlinkat(descriptor, temporary.name, 0)
            throw error
        }
        guard renameat(descriptor, temporary.name, descriptor, name) == 0 else {
            let code = errno
            _ = unlinkat(descriptor, temporary.name, 0)
            throw SafeDirectoryError.failed("write file", path(of: name), code)
        }
    }

    /// Moves the file at `source` (an absolute or working-directory path; a symlink there is not
    /// followed) into this directory as `name`, never replacing an existing entry (EEXIST).
    /// Within one file system this is `linkat` then `unlink` of the source; across file systems
    /// (or where hard links are not supported) a copy into a new `O_EXCL` file, then `unlink`.
    /// - Throws: `SafeDirectoryError` (operation `move file`); the source stays on failure.
    public func moveIn(from source: String, as name: String) throws(SafeDirectoryError) {
        try Self.validate(name, in: path)
        if linkat(AT_FDCWD, source, descriptor, name, 0) == 0 {
            _ = unlink(source)
            return
        }
        let code = errno
        guard [EXDEV, EPERM, EOPNOTSUPP, EMLINK, ENOSYS].contains(code) else {
            throw SafeDirectoryError(
                operation: "move file", path: path(of: name), errno: code,
                detail: code == EEXIST
                    ? "refused: it exists and is not replaced" : "from \(source): \(SafeDirectoryError.text(code))")
        }
        let input = Self.retrying { Glibc.open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard input >= 0 else { throw SafeDirectoryError.failed("move file", source, errno) }
        defer { _ = close(input) }
        let output = try createExclusive(name, mode: 0o644)
        defer { _ = close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                Self.retrying { read(input, raw.baseAddress, raw.count) }
            }
            if count == 0 { break }
            guard count > 0 else {
                let code = errno
                _ = unlinkat(descriptor, name, 0)
                throw SafeDirectoryError.failed("move file", source, code)
            }
            do {
                try Self.writeAll(output, Array(buffer[0..<count]), path: path(of: name))
            } catch {
                _ = unlinkat(descriptor, name, 0)
                throw error
            }
        }
        _ = unlink(source)
    }

    /// Points the symlink `name` at `target` atomically (a new link under a temporary name, then
    /// renamed over `name`). An entry at `name` that is not a symlink is refused and left alone.
    /// - Throws: `SafeDirectoryError` (operation `link`).
    public func replaceSymlink(_ name: String, target: String) throws(SafeDirectoryError) {
        try Self.validate(name, in: path)
        if let kind = entryKind(name), kind != S_IFLNK {
            throw SafeDirectoryError(
                operation: "link", path: path(of: name), errno: EEXIST,
                detail: "refused: it exists and is \(Self.describe(kind)), not a symbolic link")
        }
        var temporary = ""
        for attempt in 0..<100 {
            temporary = ".\(name).tmp-\(getpid())-\(attempt)-\(UInt32.random(in: 0...UInt32.max))"
            if symlinkat(target, descriptor, temporary) == 0 { break }
            let code = errno
            guard code == EEXIST, attempt < 99 else { throw SafeDirectoryError.failed("link", path(of: name), code) }
        }
        guard renameat(descriptor, temporary, descriptor, name) == 0 else {
            let code = errno
            _ = unlinkat(descriptor, temporary, 0)
            throw SafeDirectoryError.failed("link", path(of: name), code)
        }
    }

    /// Removes the file or symlink `name` (a symlink itself, never its target).
    /// - Throws: `SafeDirectoryError` (operation `remove`), also for ENOENT.
    public func remove(_ name: String) throws(SafeDirectoryError) {
        try Self.validate(name, in: path)
        guard unlinkat(descriptor, name, 0) == 0 else {
            throw SafeDirectoryError.failed("remove", path(of: name), errno)
        }
    }

    /// The file type bits (`S_IFREG`, `S_IFLNK`, …) of `name`, not following a symlink; nil when
    /// there is no such entry.
    public func entryKind(_ name: String) -> mode_t? {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    // MARK: - Helpers

    private func createExclusive(_ name: String, mode: mode_t) throws(SafeDirectoryError) -> Int32 {
        let fd = Self.retrying {
            openat(descriptor, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        guard fd >= 0 else {
            let code = errno
            throw SafeDirectoryError(
                operation: "create file", path: path(of: name), errno: code,
                detail: code == EEXIST ? "refused: it exists and is not replaced" : SafeDirectoryError.text(code))
        }
        return fd
    }

    private func createTemporary(for name: String, mode: mode_t) throws(SafeDirectoryError) -> (
        name: String, fd: Int32
    ) {
        for attempt in 0..<100 {
            let temporary = ".\(name).tmp-\(getpid())-\(attempt)-\(UInt32.random(in: 0...UInt32.max))"
            let fd = Self.retrying {
                openat(descriptor, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            }
            if fd >= 0 { return (temporary, fd) }
            if errno != EEXIST { throw SafeDirectoryError.failed("write file", path(of: name), errno) }
        }
        throw SafeDirectoryError.failed("write file", path(of: name), EEXIST)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SafeDirectoryError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                retrying { write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset) }
            }
            guard written > 0 else { throw SafeDirectoryError.failed("write file", path, written < 0 ? errno : EIO) }
            offset += written
        }
    }

    /// Why `open`/`openat` with `O_NOFOLLOW|O_DIRECTORY` failed, in words.
    private static func openError(_ path: String, _ code: Int32) -> SafeDirectoryError {
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK {
            return SafeDirectoryError(
                operation: "open directory", path: path, errno: nil,
                detail: "refused: it is a symbolic link (give the real directory)")
        }
        return SafeDirectoryError.failed("open directory", path, code)
    }

    private static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFLNK: "a symbolic link"
        case S_IFDIR: "a directory"
        case S_IFREG: "a regular file"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "a device"
        }
    }

    private static func joined(_ directory: String, _ name: String) -> String {
        directory.isEmpty ? name : (directory.hasSuffix("/") ? directory + name : directory + "/" + name)
    }

    /// Control characters as `\u{XX}`, so a hostile name cannot break the message line.
    private static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func retrying<T: FixedWidthInteger>(_ body: () -> T) -> T {
        while true {
            let value = body()
            if value == -1 && errno == EINTR { continue }
            return value
        }
    }
}
