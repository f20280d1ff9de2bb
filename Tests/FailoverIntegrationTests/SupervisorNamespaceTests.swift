import FailoverCore
import FailoverSystem
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Supervisor in a namespace", .enabled(if: IntegrationGate.enabled))
struct SupervisorNamespaceTests {
    /// The inode of a namespace file (`net:[INODE]` of /proc/PID/ns/net).
    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    @Test("a child started in a namespace runs there; one started without runs in ours")
    func spawnInsideNamespace() async throws {
        let names = RunNames.random()
        let namespace = names.namespace("sup")
        let fd = try NetworkNamespace.create(namespace)
        defer {
            close(fd)
            _ = try? NetworkNamespace.delete(namespace)
        }
        let ours = try #require(Self.inode("/proc/self/ns/net"))
        let target = try #require(Self.inode(NetworkNamespace.path(namespace)))
        #expect(ours != target)

        let inside = try SupervisedProcess.start(
            ProcessSpec(argv: ["/bin/sleep", "5"], networkNamespace: namespace))
        #expect(Self.inode("/proc/\(inside.pid)/ns/net") == target)
        _ = await inside.stop(grace: .seconds(1))

        let outside = try SupervisedProcess.start(ProcessSpec(argv: ["/bin/sleep", "5"]))
        #expect(Self.inode("/proc/\(outside.pid)/ns/net") == ours)
        _ = await outside.stop(grace: .seconds(1))
        // The namespace change happened in the child only: this thread is still in ours.
        #expect(Self.inode("/proc/thread-self/ns/net") == ours)

        // The child sees the namespace's interfaces (only lo), not ours.
        let scratch = NSTemporaryDirectory() + "failover-supervisor-ns-\(UUID().uuidString)"
        let directory = try SafeDirectory.create(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let lister = try SupervisedProcess.start(
            ProcessSpec(
                argv: ["/bin/cat", "/proc/self/net/dev"],
                descriptors: [0: .null, 1: .newFile(directory, "out"), 2: .null],
                networkNamespace: namespace))
        _ = await lister.waitForExit()
        let listed = try String(contentsOfFile: scratch + "/out", encoding: .utf8)
        let interfaces = listed.split(separator: "\n").dropFirst(2).compactMap {
            $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces)
        }
        #expect(interfaces == ["lo"])
    }

    @Test("a namespace that does not exist is an error naming it; nothing is started")
    func missingNamespace() throws {
        let names = RunNames.random()
        let error = try #require(throws: SystemError.self) {
            try SupervisedProcess.start(ProcessSpec(argv: ["/bin/true"], networkNamespace: names.namespace("none")))
        }
        #expect(error.code == ENOENT)
        #expect(error.object.contains(names.namespace("none")))
    }
}
