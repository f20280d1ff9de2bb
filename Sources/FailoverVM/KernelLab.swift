internal import CNetShims
import FailoverSystem
import Foundation
import Glibc
import Logging
import Synchronization

/// Boots a stock kernel in a qemu microvm and runs one command in it, with the host's `/` as the guest's
/// root filesystem (read-only over 9p) and chosen directories shared read-write.
///
/// ```swift
/// let lab = KernelLab(logger: logger)
/// let kernel = try KernelLocator.defaultKernel()
/// let result = try await lab.run(
///     VMRunRequest(kernel: kernel, argv: ["/usr/sbin/ip", "link"], timeout: .seconds(60))
/// ) { line in print(line.text) }
/// ```
public final class KernelLab: Sendable {
    /// The modules the initramfs loads (with their dependencies) to mount 9p over virtio-mmio.
    public static let bootModules = ["virtio_mmio", "9pnet_virtio", "9p"]
    /// How long the `.auto` KVM probe may take before KVM is declared unusable.
    public static let kvmProbeTimeout: Duration = .seconds(4)

    /// Where prepared kernels are cached (`<cacheDirectory>/<release>/`).
    public let cacheDirectory: String
    /// The busybox binary copied into the initramfs; must be statically linked.
    public let busyboxPath: String
    /// The xz binary used to decompress the kernel.
    public let xzPath: String
    /// Where per-run job directories (`failover-vm-XXXXXX`) are created and removed again.
    public let temporaryDirectory: String
    let logger: Logger
    /// Receives one line per phase (preparing the image, probing KVM, booting, guest up), for a console.
    let progress: @Sendable (String) -> Void

    /// Creates a lab.
    /// - Parameters:
    ///   - cacheDirectory: Cache root; defaults to `KernelLab.defaultCacheDirectory()`.
    ///   - busyboxPath: A static busybox (Debian `busybox-static` installs `/bin/busybox`).
    ///   - xzPath: The xz binary.
    ///   - temporaryDirectory: Parent of the per-run job directories (shared with the guest over 9p).
    ///   - logger: Where progress is logged (debug and info only).
    ///   - progress: Called with one line per phase: preparing the image (when it is rebuilt), probing
    ///     KVM (when `.auto` has no remembered verdict), booting, guest up (boot time).
    public init(
        cacheDirectory: String = KernelLab.defaultCacheDirectory(), busyboxPath: String = "/bin/busybox",
        xzPath: String = "/usr/bin/xz", temporaryDirectory: String = FileManager.default.temporaryDirectory.path,
        logger: Logger = Logger(label: "failover.vm"), progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.progress = progress
        self.temporaryDirectory = temporaryDirectory
        self.cacheDirectory = cacheDirectory
        self.busyboxPath = busyboxPath
        self.xzPath = xzPath
        self.logger = logger
    }

    /// `$XDG_CACHE_HOME/failover/vm`, else `/var/cache/failover/vm` for root, else `~/.cache/failover/vm`.
    public static func defaultCacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/failover/vm" }
        if geteuid() == 0 { return "/var/cache/failover/vm" }
        return (environment["HOME"] ?? "/tmp") + "/.cache/failover/vm"
    }

    // MARK: - Prepare

    /// Returns the cached boot files of `kernel`, building them when missing or when an input changed
    /// (kernel image, `modules.dep`, busybox, script format). Files are written to temp names and renamed,
    /// so concurrent callers are safe. Blocks for about a second when building.
    /// - Throws: `VMError` `.invalidKernelImage`, `.moduleMissing`, `.helperFailed` (xz), `.systemCall`.
    public func prepare(_ kernel: KernelImage) throws -> PreparedKernel {
        let directory = cacheDirectory + "/" + kernel.release
        let vmlinux = directory + "/vmlinux"
        let initramfs = directory + "/initramfs.cpio"
        let stampPath = directory + "/stamp"
        let stamp = inputStamp(kernel)
        let fileManager = FileManager.default
        if let existing = try? String(contentsOfFile: stampPath, encoding: .utf8), existing == stamp,
            fileManager.fileExists(atPath: vmlinux), fileManager.fileExists(atPath: initramfs)
        {
            return PreparedKernel(kernel: kernel, vmlinuxPath: vmlinux, initramfsPath: initramfs, rebuilt: false)
        }
        logger.info("preparing kernel for the VM", metadata: ["release": "\(kernel.release)", "cache": "\(directory)"])
        progress("kernel lab: preparing \(kernel.release) (vmlinux and initramfs, cached in \(directory))")
        do {
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw VMError(.systemCall, operation: "create cache directory", object: directory)
        }
        try extractVmlinux(from: kernel.vmlinuzPath, to: vmlinux)
        try writeAtomically(try buildInitramfs(kernel, scratchDirectory: directory), to: initramfs)
        try writeAtomically(Array(stamp.utf8), to: stampPath)
        return PreparedKernel(kernel: kernel, vmlinuxPath: vmlinux, initramfsPath: initramfs, rebuilt: true)
    }

    func inputStamp(_ kernel: KernelImage) -> String {
        func describe(_ path: String) -> String {
            var info = stat()
            guard stat(path, &info) == 0 else { return "\(path):missing" }
            return "\(path):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
        return """
            format=\(GuestScripts.formatVersion)
            modules=\(Self.bootModules.joined(separator: ","))
            vmlinuz=\(describe(kernel.vmlinuzPath))
            modules.dep=\(describe(kernel.modulesPath + "/modules.dep"))
            busybox=\(describe(busyboxPath))

            """
    }

    /// A compressed payload a bzImage may carry, and how to decompress it (the kernel's own
    /// scripts/extract-vmlinux tries the same list). Debian's 6.1 kernels use xz, 6.12 zstd.
    struct PayloadFormat {
        var name: String
        var magic: [UInt8]
        var argv: [String]
    }

    var payloadFormats: [PayloadFormat] {
        [
            PayloadFormat(name: "xz", magic: KernelImageFormat.xzMagic, argv: [xzPath, "-dc", "--single-stream"]),
            PayloadFormat(name: "zstd", magic: [0x28, 0xB5, 0x2F, 0xFD], argv: ["/usr/bin/zstd", "-dcq"]),
            PayloadFormat(name: "gzip", magic: [0x1F, 0x8B, 0x08], argv: ["/bin/gzip", "-dcq"]),
        ]
    }

    /// Finds the compressed payload in the bzImage and decompresses the first candidate that
    /// yields an ELF file. Decompressors may complain about the bytes after the payload
    /// (zstd, gzip): their exit status is not trusted, the ELF header of the output is.
    func extractVmlinux(from vmlinuz: String, to destination: String) throws {
        guard let data = FileManager.default.contents(atPath: vmlinuz) else {
            throw VMError(.invalidKernelImage, operation: "read kernel image", object: vmlinuz)
        }
        let bytes = [UInt8](data)
        if KernelImageFormat.isELF(bytes) {
            try writeAtomically(bytes, to: destination)
            return
        }
        var lastError = VMError(
            .invalidKernelImage, operation: "find an xz, zstd or gzip payload", object: vmlinuz)
        for format in payloadFormats {
            for offset in KernelImageFormat.offsets(of: format.magic, in: bytes) {
                let temporary = temporaryName(for: destination)
                do {
                    do {
                        try runDecompressor(format.argv, input: vmlinuz, inputOffset: offset, output: temporary)
                    } catch let error as VMError where format.name != "xz" && error.code == .helperFailed {
                        // Trailing data after the payload: judged by the output below.
                    }
                    guard let head = FileHandle(forReadingAtPath: temporary).flatMap({ try? $0.read(upToCount: 4) }),
                        KernelImageFormat.isELF(head)
                    else {
                        throw VMError(
                            .invalidKernelImage, operation: "\(format.name) payload at \(offset) is not ELF",
                            object: vmlinuz)
                    }
                    try rename(temporary, to: destination)
                    logger.debug(
                        "extracted vmlinux",
                        metadata: ["format": "\(format.name)", "offset": "\(offset)", "path": "\(destination)"])
                    return
                } catch let error as VMError {
                    unlink(temporary)
                    lastError = error
                }
            }
        }
        throw lastError
    }

    /// Runs a decompressor with stdin = `input` from `inputOffset` and stdout = `output` (created).
    func runDecompressor(_ argv: [String], input: String, inputOffset: Int = 0, output: String) throws {
        let inputFD = open(input, O_RDONLY | O_CLOEXEC)
        guard inputFD >= 0 else { throw VMError(.systemCall, operation: "open", object: input, errno: errno) }
        defer { close(inputFD) }
        guard lseek(inputFD, off_t(inputOffset), SEEK_SET) == off_t(inputOffset) else {
            throw VMError(.systemCall, operation: "lseek", object: input, errno: errno)
        }
        let outputFD = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard outputFD >= 0 else { throw VMError(.systemCall, operation: "open", object: output, errno: errno) }
        defer { close(outputFD) }
        let child = try SupervisedProcess.start(
            argv, descriptors: [0: .descriptor(inputFD), 1: .descriptor(outputFD), 2: .pipeToParent])
        let stderrLines = Mutex<[String]>([])
        let done = child.pipes[2].map {
            LineReader.start(fd: $0, name: "failover-vm-xz") { line in
                stderrLines.withLock { if $0.count < 20 { $0.append(line) } }
            }
        }
        let status = child.waitForExitBlocking()
        done?.blockingValue()
        guard status.exitCode == 0 else {
            throw VMError(
                .helperFailed, operation: argv.joined(separator: " "), object: input,
                exitStatus: status.exitCode ?? -1,
                stderr: stderrLines.withLock { $0.joined(separator: "\n") })
        }
    }

    /// The initramfs bytes: busybox, `/init`, `/stage2`, `/dev/console` and the boot modules in load order.
    func buildInitramfs(_ kernel: KernelImage, scratchDirectory: String) throws -> [UInt8] {
        let depPath = kernel.modulesPath + "/modules.dep"
        guard let depText = try? String(contentsOfFile: depPath, encoding: .utf8) else {
            throw VMError(.moduleMissing, operation: "read", object: depPath)
        }
        let builtinText = (try? String(contentsOfFile: kernel.modulesPath + "/modules.builtin", encoding: .utf8)) ?? ""
        let order = try ModuleDependencies(modulesDep: depText)
            .loadOrder(for: Self.bootModules, builtin: ModuleDependencies.builtinNames(builtinText))
        guard let busybox = FileManager.default.contents(atPath: busyboxPath) else {
            throw VMError(.invalidRequest, operation: "read busybox", object: busyboxPath)
        }
        var archive = CPIOArchive()
        for directory in ["bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules"] {
            archive.addDirectory(directory)
        }
        archive.addCharacterDevice("dev/console", major: 5, minor: 1)
        archive.addFile("bin/busybox", contents: [UInt8](busybox), mode: 0o755)
        var moduleFiles: [String] = []
        for relativePath in order {
            let name = ModuleDependencies.moduleName(ofPath: relativePath) + ".ko"
            archive.addFile("lib/modules/" + name, contents: try moduleBytes(kernel.modulesPath + "/" + relativePath))
            moduleFiles.append(name)
        }
        archive.addFile("init", contents: Array(GuestScripts.initScript(modules: moduleFiles).utf8), mode: 0o755)
        archive.addFile("stage2", contents: Array(GuestScripts.stage2Script().utf8), mode: 0o755)
        archive.finish()
        logger.debug("built initramfs", metadata: ["modules": "\(moduleFiles)", "bytes": "\(archive.bytes.count)"])
        return archive.bytes
    }

    /// A module's bytes, decompressed when it is `.ko.xz`, `.ko.gz` or `.ko.zst`.
    func moduleBytes(_ path: String) throws -> [UInt8] {
        let decompressor: [String]? =
            path.hasSuffix(".xz")
            ? [xzPath, "-dc"]
            : path.hasSuffix(".gz")
                ? ["/usr/bin/gzip", "-dc"]
                : path.hasSuffix(".zst") ? ["/usr/bin/zstd", "-dcq"] : nil
        guard let decompressor else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw VMError(.moduleMissing, operation: "read module", object: path)
            }
            return [UInt8](data)
        }
        let temporary = temporaryName(for: cacheDirectory + "/module.ko")
        defer { unlink(temporary) }
        try runDecompressor(decompressor, input: path, output: temporary)
        guard let data = FileManager.default.contents(atPath: temporary) else {
            throw VMError(.moduleMissing, operation: "read decompressed module", object: path)
        }
        return [UInt8](data)
    }

    private func temporaryName(for path: String) -> String {
        "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    private func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = temporaryName(for: path)
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw VMError(.systemCall, operation: "write", object: temporary, errno: errno)
        }
        do { try rename(temporary, to: path) } catch {
            unlink(temporary)
            throw error
        }
    }

    private func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else {
            throw VMError(.systemCall, operation: "rename \(from) to", object: to, errno: errno)
        }
    }
}
