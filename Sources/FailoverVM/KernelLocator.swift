internal import CNetShims
import Foundation

/// Finds and validates kernels for the kernel lab.
public enum KernelLocator {
    /// The newest `<bootDirectory>/vmlinuz-*` whose `<modulesRoot>/<release>/modules.dep` exists.
    /// - Parameters:
    ///   - bootDirectory: Where kernels live (default `/boot`).
    ///   - modulesRoot: Where module trees live (default `/lib/modules`).
    /// - Returns: The kernel with the highest release (compared numerically component by component).
    /// - Throws: `VMError` with code `.kernelNotFound` when no candidate has a module tree.
    public static func defaultKernel(
        bootDirectory: String = "/boot", modulesRoot: String = "/lib/modules"
    ) throws -> KernelImage {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: bootDirectory)) ?? []
        var candidates: [KernelImage] = []
        for name in names where name.hasPrefix("vmlinuz-") {
            let path = bootDirectory + "/" + name
            if let image = try? kernel(at: path, modulesRoot: modulesRoot) {
                candidates.append(image)
            }
        }
        guard let newest = candidates.max(by: { compareReleases($0.release, $1.release) < 0 }) else {
            throw VMError(.kernelNotFound, operation: "find kernel", object: "\(bootDirectory)/vmlinuz-*")
        }
        return newest
    }

    /// Validates the kernel at `path` against `/lib/modules`; see `kernel(at:modulesRoot:)`.
    public static func kernel(at path: String) throws -> KernelImage {
        try kernel(at: path, modulesRoot: "/lib/modules")
    }

    /// Validates the kernel at `path`: readable, a bzImage (or named `vmlinuz-<release>`), with a module tree.
    /// - Parameters:
    ///   - path: The compressed kernel image.
    ///   - modulesRoot: Where module trees live.
    /// - Returns: The kernel, its release read from the bzImage header (or the file name), and its modules path.
    /// - Throws: `VMError` `.invalidKernelImage` (unreadable, no release) or `.kernelNotFound` (no modules.dep).
    public static func kernel(at path: String, modulesRoot: String) throws -> KernelImage {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            var info = stat()
            let code: Int32 = stat(path, &info) == 0 ? ((info.st_mode & S_IFMT) == S_IFDIR ? EISDIR : EACCES) : errno
            throw VMError(.invalidKernelImage, operation: "open kernel", object: path, errno: code)
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 64 * 1024)) ?? Data()
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        let fromName = fileName.hasPrefix("vmlinuz-") ? String(fileName.dropFirst("vmlinuz-".count)) : nil
        guard let release = bzImageRelease([UInt8](header)) ?? fromName, !release.isEmpty else {
            throw VMError(.invalidKernelImage, operation: "read kernel release", object: path)
        }
        let modulesPath = modulesRoot + "/" + release
        guard FileManager.default.fileExists(atPath: modulesPath + "/modules.dep") else {
            throw VMError(
                .kernelNotFound, operation: "find modules of \(release)", object: modulesPath + "/modules.dep")
        }
        return KernelImage(vmlinuzPath: path, release: release, modulesPath: modulesPath)
    }

    /// The release string of an x86 bzImage: the setup header ("HdrS" at 0x202) points at
    /// `kernel_version` (u16 at 0x20E, plus 0x200), a string starting with the release.
    /// - Returns: `nil` when the bytes are not a bzImage with a version string.
    public static func bzImageRelease(_ bytes: [UInt8]) -> String? {
        guard bytes.count > 0x210, bytes[0x202..<0x206].elementsEqual(Array("HdrS".utf8)) else { return nil }
        let pointer = Int(bytes[0x20E]) | (Int(bytes[0x20F]) << 8)
        let start = pointer + 0x200
        guard pointer != 0, start < bytes.count else { return nil }
        var end = start
        while end < bytes.count, bytes[end] != 0, bytes[end] != 0x20 { end += 1 }
        guard end > start else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Compares two kernel releases: digit runs numerically, other characters as text.
    /// - Returns: negative, zero or positive like `strcmp`.
    public static func compareReleases(_ lhs: String, _ rhs: String) -> Int {
        let left = releaseTokens(lhs)
        let right = releaseTokens(rhs)
        for (a, b) in zip(left, right) where a != b {
            switch (Int(a), Int(b)) {
            case (let x?, let y?): return x < y ? -1 : 1
            default: return a < b ? -1 : 1
            }
        }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }

    private static func releaseTokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var currentIsDigit = false
        for character in text {
            let isDigit = character.isASCII && character.isNumber
            if !current.isEmpty, isDigit != currentIsDigit {
                tokens.append(current)
                current = ""
            }
            current.append(character)
            currentIsDigit = isDigit
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }
}

extension KernelLocator {
    /// One sentence for a failure of `kernel(at:)` or `defaultKernel()` that names the path and
    /// says what to do (not an enum case name); other errors as they describe themselves.
    public static func message(for error: any Error) -> String {
        guard let error = error as? VMError else { return "\(error)" }
        switch (error.code, error.operation) {
        case (.invalidKernelImage, "open kernel"):
            let reason = error.errno.map { String(cString: strerror($0)) } ?? "cannot be read"
            return "kernel image \(error.object) cannot be opened: \(reason); give --kernel a readable"
                + " kernel image such as /boot/vmlinuz-<release>"
        case (.invalidKernelImage, "read kernel release"):
            return "\(error.object) is not a kernel image: it has no bzImage header with a version string and its"
                + " name is not vmlinuz-<release>"
        case (.kernelNotFound, "find kernel"):
            return "no kernel for the kernel lab: no \(error.object) has its modules in /lib/modules/<release>;"
                + " install a stock kernel (linux-image-amd64) or give --kernel"
        case (.kernelNotFound, _):
            return "the kernel's modules are missing: \(error.object) does not exist (install the modules of"
                + " that kernel, or give a kernel whose /lib/modules/<release> exists)"
        default:
            return "\(error)"
        }
    }
}
