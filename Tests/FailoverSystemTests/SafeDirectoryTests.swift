import FailoverSystem
import Foundation
import Testing

@Suite("Safe directory: writes stay inside")
struct SafeDirectoryTests {
    /// A fresh temporary directory holding `inside/` (the directory under test) and `outside/`.
    final class Scratch {
        let base: String
        var inside: String { base + "/inside" }
        var outside: String { base + "/outside" }

        init() throws {
            base =
                FileManager.default.temporaryDirectory.appendingPathComponent("failover-safe-\(UUID().uuidString)")
                .path
            try FileManager.default.createDirectory(atPath: base + "/inside", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: base + "/outside", withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: base) }

        func contents(_ path: String) -> String? {
            FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
        }

        func entries(_ path: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        }
    }

    static let absolutePlaceholder = "<absolute path outside>"
    static let traversal = "x/" + String(repeating: "../", count: 20) + "tmp/newdir/deeper/f"

    @Test(
        "names that are not one path component are refused by every operation",
        arguments: ["", ".", "..", "a/b", "../escape", absolutePlaceholder, traversal, "nul\u{0}byte"])
    func traversalRefused(name argument: String) throws {
        let scratch = try Scratch()
        // An absolute name points into this test's own scratch space: should the check ever
        // regress, the write lands there (and fails the test), never on a file of the system.
        let name = argument == Self.absolutePlaceholder ? scratch.outside + "/victim" : argument
        let directory = try SafeDirectory.open(scratch.inside)
        let source = scratch.base + "/source"
        try Data("pcap".utf8).write(to: URL(fileURLWithPath: source))
        let operations: [(String, () throws -> Void)] = [
            ("createFile", { try directory.createFile(name, contents: Array("x".utf8)) }),
            ("replaceFile", { try directory.replaceFile(name, contents: Array("x".utf8)) }),
            ("subdirectory", { _ = try directory.subdirectory(name) }),
            ("moveIn", { try directory.moveIn(from: source, as: name) }),
            ("replaceSymlink", { try directory.replaceSymlink(name, target: "elsewhere") }),
            ("remove", { try directory.remove(name) }),
        ]
        for (label, operation) in operations {
            let error = try #require(throws: SafeDirectoryError.self, "\(label)") { try operation() }
            #expect(error.operation == "check name", "\(label): \(error)")
            #expect(error.errno == nil)
        }
        #expect(scratch.entries(scratch.inside).isEmpty, "nothing was created inside")
        #expect(scratch.entries(scratch.outside).isEmpty, "nothing was created outside")
        #expect(scratch.contents(source) == "pcap", "the source was not moved")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/newdir"), "the traversal target was not created")
    }

    @Test("ordinary names just inside the rules are accepted", arguments: ["a", "...", ".hidden", "a..b", "-x_1"])
    func ordinaryNames(name: String) throws {
        let scratch = try Scratch()
        let directory = try SafeDirectory.open(scratch.inside)
        try directory.createFile(name, contents: Array("ok".utf8))
        #expect(scratch.contents(scratch.inside + "/" + name) == "ok")
    }

    @Test("a symlink planted at the file name is neither followed nor replaced")
    func plantedSymlinkFile() throws {
        let scratch = try Scratch()
        let target = scratch.outside + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: target))
        try FileManager.default.createSymbolicLink(atPath: scratch.inside + "/report.json", withDestinationPath: target)
        try FileManager.default.createSymbolicLink(
            atPath: scratch.inside + "/dangling", withDestinationPath: scratch.outside + "/new")
        let directory = try SafeDirectory.open(scratch.inside)
        let error = try #require(throws: SafeDirectoryError.self) {
            try directory.createFile("report.json", contents: Array("evil".utf8))
        }
        #expect(error.errno == EEXIST)
        #expect(throws: SafeDirectoryError.self) { try directory.createFile("dangling", contents: Array("evil".utf8)) }
        #expect(throws: SafeDirectoryError.self) { try directory.replaceFile("report.json", contents: Array("x".utf8)) }
        #expect(scratch.contents(target) == "precious")
        #expect(scratch.entries(scratch.outside) == ["victim"], "nothing created through the dangling link")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.inside + "/report.json") == target)
    }

    @Test("a symlink planted at a subdirectory name is refused, not followed")
    func plantedSymlinkDirectory() throws {
        let scratch = try Scratch()
        try FileManager.default.createSymbolicLink(
            atPath: scratch.inside + "/captures", withDestinationPath: scratch.outside)
        let directory = try SafeDirectory.open(scratch.inside)
        let error = try #require(throws: SafeDirectoryError.self) { _ = try directory.subdirectory("captures") }
        #expect(error.detail.contains("symbolic link"), "\(error)")
        #expect(scratch.entries(scratch.outside).isEmpty)
        // The real subdirectory next to it works, and files land inside it.
        try directory.subdirectory("real").createFile("f", contents: [1, 2, 3])
        #expect(FileManager.default.contents(atPath: scratch.inside + "/real/f") == Data([1, 2, 3]))
    }

    @Test("a directory path that is a symlink is refused by open and create")
    func directorySymlinkRefused() throws {
        let scratch = try Scratch()
        let link = scratch.base + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: scratch.outside)
        for open in [{ try SafeDirectory.open(link) }, { try SafeDirectory.create(link) }] {
            let error = try #require(throws: SafeDirectoryError.self) { _ = try open() }
            #expect(error.description.contains("symbolic link"), "\(error)")
        }
        // The real directory opens; the link only when following it was asked for.
        #expect(try SafeDirectory.open(scratch.outside).path == scratch.outside)
        try SafeDirectory.open(link, followingSymlink: true).createFile("through", contents: [1])
        #expect(FileManager.default.contents(atPath: scratch.outside + "/through") == Data([1]))
    }

    @Test("create makes missing parents; a path under a file fails with ENOTDIR")
    func createParents() throws {
        let scratch = try Scratch()
        let nested = scratch.inside + "/a/b/c"
        _ = try SafeDirectory.create(nested)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: nested, isDirectory: &isDirectory) && isDirectory.boolValue)
        let error = try #require(throws: SafeDirectoryError.self) { _ = try SafeDirectory.create("/dev/null/x") }
        #expect(error.errno == ENOTDIR)
        #expect(error.description == "create directory /dev/null/x: Not a directory (errno 20)")
    }

    @Test("a pre-existing file is neither replaced nor deleted by createFile or moveIn")
    func existingFileKept() throws {
        let scratch = try Scratch()
        try Data("old".utf8).write(to: URL(fileURLWithPath: scratch.inside + "/f.pcap"))
        let source = scratch.base + "/new.pcap"
        try Data("new".utf8).write(to: URL(fileURLWithPath: source))
        let directory = try SafeDirectory.open(scratch.inside)
        #expect(throws: SafeDirectoryError.self) { try directory.createFile("f.pcap", contents: Array("x".utf8)) }
        let error = try #require(throws: SafeDirectoryError.self) { try directory.moveIn(from: source, as: "f.pcap") }
        #expect(error.errno == EEXIST)
        #expect(scratch.contents(scratch.inside + "/f.pcap") == "old")
        #expect(scratch.contents(source) == "new", "the source stays when the move is refused")
        // A free name next to it: moved, source gone.
        try directory.moveIn(from: source, as: "g.pcap")
        #expect(scratch.contents(scratch.inside + "/g.pcap") == "new")
        #expect(!FileManager.default.fileExists(atPath: source))
    }

    @Test("moveIn across file systems copies into a new file and removes the source")
    func moveAcrossFileSystems() throws {
        // /dev/shm is a tmpfs; the scratch directory may be on the same one, then this is a link.
        let source = "/dev/shm/failover-safe-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: source, contents: Data(repeating: 7, count: 3_000_000)) else {
            Issue.record("cannot create \(source)")
            return
        }
        defer { try? FileManager.default.removeItem(atPath: source) }
        let scratch = try Scratch()
        try SafeDirectory.open(scratch.inside).moveIn(from: source, as: "big")
        #expect(FileManager.default.contents(atPath: scratch.inside + "/big") == Data(repeating: 7, count: 3_000_000))
        #expect(!FileManager.default.fileExists(atPath: source))
    }

    @Test("replaceSymlink replaces a link, refuses a file or directory of that name")
    func replaceSymlink() throws {
        let scratch = try Scratch()
        let directory = try SafeDirectory.open(scratch.inside)
        try directory.replaceSymlink("latest", target: "run-1")
        try directory.replaceSymlink("latest", target: "run-2")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.inside + "/latest") == "run-2")
        try Data("mine".utf8).write(to: URL(fileURLWithPath: scratch.inside + "/file"))
        try FileManager.default.createDirectory(atPath: scratch.inside + "/dir", withIntermediateDirectories: false)
        for name in ["file", "dir"] {
            let error = try #require(throws: SafeDirectoryError.self) {
                try directory.replaceSymlink(name, target: "x")
            }
            #expect(error.detail.contains("not a symbolic link"))
        }
        #expect(scratch.contents(scratch.inside + "/file") == "mine")
        #expect(scratch.entries(scratch.inside) == ["dir", "file", "latest"], "no temporary link left behind")
    }

    @Test("replaceFile replaces a regular file atomically")
    func replaceFile() throws {
        let scratch = try Scratch()
        let directory = try SafeDirectory.open(scratch.inside)
        try directory.replaceFile("junit.xml", contents: Array("one".utf8))
        try directory.replaceFile("junit.xml", contents: Array("two".utf8))
        #expect(scratch.contents(scratch.inside + "/junit.xml") == "two")
        #expect(scratch.entries(scratch.inside) == ["junit.xml"])
    }
}
