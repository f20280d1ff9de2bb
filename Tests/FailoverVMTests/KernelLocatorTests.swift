import Foundation
import Testing

@testable import FailoverVM

@Suite("Kernel locator")
struct KernelLocatorTests {
    /// A fake `/boot` + `/lib/modules` tree in a temp dir.
    final class FakeTree {
        let root: String
        var boot: String { root + "/boot" }
        var modules: String { root + "/modules" }

        init() throws {
            root = FileManager.default.temporaryDirectory.path + "/fo-vm-unit-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: root + "/boot", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/modules", withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        func addKernel(_ release: String, withModules: Bool, bytes: [UInt8] = Array("not a bzImage".utf8)) throws {
            _ = FileManager.default.createFile(atPath: boot + "/vmlinuz-" + release, contents: Data(bytes))
            if withModules {
                try FileManager.default.createDirectory(
                    atPath: modules + "/" + release, withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: modules + "/" + release + "/modules.dep", contents: Data())
            }
        }
    }

    @Test("picks the newest kernel that has a module tree, comparing versions numerically")
    func newestWithModules() throws {
        let tree = try FakeTree()
        try tree.addKernel("5.10.0-30-amd64", withModules: true)
        try tree.addKernel("6.9.0-1-amd64", withModules: true)
        try tree.addKernel("6.12.0-1-amd64", withModules: false)
        try tree.addKernel("6.10.0-2-amd64", withModules: true)
        _ = FileManager.default.createFile(atPath: tree.boot + "/config-6.12.0-1-amd64", contents: Data())
        let kernel = try KernelLocator.defaultKernel(bootDirectory: tree.boot, modulesRoot: tree.modules)
        #expect(kernel.release == "6.10.0-2-amd64")
        #expect(kernel.vmlinuzPath == tree.boot + "/vmlinuz-6.10.0-2-amd64")
        #expect(kernel.modulesPath == tree.modules + "/6.10.0-2-amd64")
    }

    @Test("no kernel with modules is an error")
    func noneFound() throws {
        let tree = try FakeTree()
        try tree.addKernel("6.1.0-1-amd64", withModules: false)
        #expect {
            try KernelLocator.defaultKernel(bootDirectory: tree.boot, modulesRoot: tree.modules)
        } throws: { error in
            (error as? VMError)?.code == .kernelNotFound
        }
    }

    @Test("an explicit path is validated: missing file, missing modules")
    func explicitPath() throws {
        let tree = try FakeTree()
        try tree.addKernel("6.1.0-1-amd64", withModules: false)
        #expect(
            throws: VMError(.invalidKernelImage, operation: "open kernel", object: tree.boot + "/nope", errno: ENOENT)
        ) {
            try KernelLocator.kernel(at: tree.boot + "/nope", modulesRoot: tree.modules)
        }
        #expect {
            try KernelLocator.kernel(at: tree.boot + "/vmlinuz-6.1.0-1-amd64", modulesRoot: tree.modules)
        } throws: { ($0 as? VMError)?.code == .kernelNotFound }
    }

    @Test("the release comes from the bzImage header, whatever the file is called")
    func releaseFromHeader() throws {
        let tree = try FakeTree()
        let image = Self.syntheticBzImage(version: "6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP")
        try tree.addKernel("renamed", withModules: false, bytes: image)
        try FileManager.default.createDirectory(
            atPath: tree.modules + "/6.1.0-56-amd64", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: tree.modules + "/6.1.0-56-amd64/modules.dep", contents: Data())
        let kernel = try KernelLocator.kernel(at: tree.boot + "/vmlinuz-renamed", modulesRoot: tree.modules)
        #expect(kernel.release == "6.1.0-56-amd64")
    }

    @Test("bzImage header parsing rejects non-bzImages")
    func headerParsing() {
        #expect(KernelLocator.bzImageRelease(Self.syntheticBzImage(version: "6.18.0 #1")) == "6.18.0")
        #expect(KernelLocator.bzImageRelease(Array(repeating: 0, count: 4096)) == nil)
        #expect(KernelLocator.bzImageRelease([0x7F, 0x45]) == nil)
    }

    @Test(
        "release comparison",
        arguments: [
            ("6.1.0-56-amd64", "6.10.0-1-amd64", -1), ("6.1.0-56-amd64", "6.1.0-9-amd64", 1),
            ("6.1.0", "6.1.0", 0), ("6.1", "6.1.0", -1), ("5.19.0", "6.0.0", -1),
        ])
    func compare(lhs: String, rhs: String, expected: Int) {
        #expect(KernelLocator.compareReleases(lhs, rhs) == expected)
    }

    /// 4 KiB of zeros with "HdrS" at 0x202 and the version string pointer at 0x20E.
    static func syntheticBzImage(version: String) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 4096)
        bytes.replaceSubrange(0x202..<0x206, with: Array("HdrS".utf8))
        let pointer = 0x0C00 - 0x200
        bytes[0x20E] = UInt8(pointer & 0xFF)
        bytes[0x20F] = UInt8(pointer >> 8)
        bytes.replaceSubrange(0x0C00..<(0x0C00 + version.utf8.count), with: Array(version.utf8))
        return bytes
    }
}

@Suite("Kernel image bytes")
struct KernelImageFormatTests {
    @Test("finds every xz magic, including at the ends, and ignores partial matches")
    func xzMagic() {
        let magic = KernelImageFormat.xzMagic
        var bytes: [UInt8] = magic + [1, 2, 3] + [0xFD, 0x37, 0x7A, 0x58, 0x5A] + [9] + magic
        #expect(KernelImageFormat.offsets(of: magic, in: bytes) == [0, 15])
        bytes = [0xFD, 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]
        #expect(KernelImageFormat.offsets(of: magic, in: bytes) == [1])
        #expect(KernelImageFormat.offsets(of: magic, in: [0xFD, 0x37]) == [])
    }

    @Test("recognises ELF")
    func elf() {
        #expect(KernelImageFormat.isELF([0x7F, 0x45, 0x4C, 0x46, 2, 1]))
        #expect(!KernelImageFormat.isELF([0x7F, 0x45, 0x4C]))
        #expect(!KernelImageFormat.isELF(KernelImageFormat.xzMagic))
    }
}
