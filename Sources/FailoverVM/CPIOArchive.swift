/// An in-memory `newc` cpio archive, the initramfs format.
public struct CPIOArchive: Sendable {
    /// The archive bytes so far (call `finish()` before use).
    public private(set) var bytes: [UInt8] = []
    private var nextInode: UInt32 = 1

    /// Creates an empty archive.
    public init() {}

    /// Adds a directory.
    public mutating func addDirectory(_ path: String, mode: UInt32 = 0o755) {
        addEntry(path, mode: 0o040000 | mode, data: [])
    }

    /// Adds a regular file.
    public mutating func addFile(_ path: String, contents: [UInt8], mode: UInt32 = 0o644) {
        addEntry(path, mode: 0o100000 | mode, data: contents)
    }

    /// Adds a character device node.
    public mutating func addCharacterDevice(_ path: String, major: UInt32, minor: UInt32, mode: UInt32 = 0o600) {
        addEntry(path, mode: 0o020000 | mode, data: [], rdevMajor: major, rdevMinor: minor)
    }

    /// Appends the `TRAILER!!!` entry.
    public mutating func finish() {
        addEntry("TRAILER!!!", mode: 0, data: [], nlink: 1, inode: 0)
    }

    private mutating func addEntry(
        _ name: String, mode: UInt32, data: [UInt8], rdevMajor: UInt32 = 0, rdevMinor: UInt32 = 0,
        nlink: UInt32? = nil, inode: UInt32? = nil
    ) {
        let nameBytes = Array(name.utf8) + [0]
        let ino = inode ?? nextInode
        if inode == nil { nextInode += 1 }
        let isDirectory = mode & 0o170000 == 0o040000
        let fields: [UInt32] = [
            ino, mode, 0, 0, nlink ?? (isDirectory ? 2 : 1), 0, UInt32(data.count), 0, 0, rdevMajor, rdevMinor,
            UInt32(nameBytes.count), 0,
        ]
        bytes += Array("070701".utf8)
        for field in fields { bytes += Self.hex8(field) }
        bytes += nameBytes
        pad()
        bytes += data
        pad()
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    private static func hex8(_ value: UInt32) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        return (0..<8).reversed().map { digits[Int((value >> (UInt32($0) * 4)) & 0xF)] }
    }
}
