import FailoverModel
import FailoverReport
import Foundation
import Testing

@Suite("Results directory")
struct ResultsDirectoryTests {
    /// A fresh temporary root, removed by the caller.
    static func temporaryRoot() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("failover-report-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("directory name is UTC yyyyMMdd-HHmmss-runID")
    func name() {
        // 2026-11-22T03:04:05Z
        let date = Date(timeIntervalSince1970: 1_795_316_645)
        #expect(ResultsDirectory.directoryName(runID: "3f2a1c", date: date) == "20261122-030405-3f2a1c")
    }

    @Test("write creates the four files and points latest at the new directory; a second write moves it")
    func writeAndMoveLatest() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let manager = FileManager.default
        let first = try ResultsDirectory.write(
            ReportFixtures.passing, root: root, runID: "3f2a1c", date: Date(timeIntervalSince1970: 1_795_316_645))
        #expect(first == root + "/20261122-030405-3f2a1c")
        for file in ["report.json", "junit.xml", "summary.txt", "report.html"] {
            #expect(manager.fileExists(atPath: first + "/" + file), "\(file) missing")
        }
        let summary = try String(
            decoding: Data(contentsOf: URL(fileURLWithPath: first + "/summary.txt")), as: UTF8.self)
        #expect(summary == ConsoleSummary.render(ReportFixtures.passing, color: false))
        let latest = root + "/latest"
        #expect(try manager.destinationOfSymbolicLink(atPath: latest) == "20261122-030405-3f2a1c", "relative link")
        #expect(manager.fileExists(atPath: latest + "/report.json"))

        let second = try ResultsDirectory.write(
            ReportFixtures.failing, root: root, runID: "9b8c7d", date: Date(timeIntervalSince1970: 1_795_316_700))
        #expect(second == root + "/20261122-030500-9b8c7d")
        #expect(try manager.destinationOfSymbolicLink(atPath: latest) == "20261122-030500-9b8c7d")
        let junit = try String(decoding: Data(contentsOf: URL(fileURLWithPath: latest + "/junit.xml")), as: UTF8.self)
        #expect(junit == JUnitReport.render(ReportFixtures.failing))
        // Both run directories are kept; no temporary link is left behind.
        let entries = try manager.contentsOfDirectory(atPath: root).sorted()
        #expect(entries == ["20261122-030405-3f2a1c", "20261122-030500-9b8c7d", "latest"])
    }

    @Test("create makes only the directory, creates the root, and is idempotent")
    func create() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let nested = root + "/results/deeper"
        let date = Date(timeIntervalSince1970: 1_795_316_645)
        let path = try ResultsDirectory.create(root: nested, runID: "abc123", date: date)
        #expect(path == nested + "/20261122-030405-abc123")
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).isEmpty)
        #expect(try ResultsDirectory.create(root: nested, runID: "abc123", date: date) == path)
        #expect(!FileManager.default.fileExists(atPath: nested + "/latest"))
        // write() into the directory the guest already filled keeps its files.
        try Data("guest".utf8).write(to: URL(fileURLWithPath: path + "/guest.log"))
        _ = try ResultsDirectory.write(ReportFixtures.passing, root: nested, runID: "abc123", date: date)
        #expect(FileManager.default.fileExists(atPath: path + "/guest.log"))
        #expect(FileManager.default.fileExists(atPath: path + "/report.html"))
    }

    @Test("run IDs that would leave the root are rejected", arguments: ["", "..", "a/b", "."])
    func invalidRunID(runID: String) throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: ReportError.self) {
            try ResultsDirectory.create(root: root, runID: runID, date: Date(timeIntervalSince1970: 0))
        }
    }

    @Test("a real directory named latest is not replaced; the error says why")
    func latestIsDirectory() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/latest/keep", withIntermediateDirectories: true)
        let error = try #require(throws: ReportError.self) {
            try ResultsDirectory.write(
                ReportFixtures.passing, root: root, runID: "r1", date: Date(timeIntervalSince1970: 0))
        }
        #expect(error.operation == "link")
        #expect(error.errno != nil)
        #expect(error.description.contains("is a directory, not a symbolic link"), "\(error)")
        #expect(FileManager.default.fileExists(atPath: root + "/latest/keep"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".latest") }
        #expect(leftovers.isEmpty)
    }

    @Test("a results root that is a symlink is refused with one line naming it")
    func rootSymlinkRefused() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/real")
        let error = try #require(throws: ReportError.self) {
            try ResultsDirectory.write(
                ReportFixtures.passing, root: root + "/link", runID: "r1", date: Date(timeIntervalSince1970: 0))
        }
        #expect(
            error.description == "open directory \(root)/link: refused: it is a symbolic link (give the real directory)"
        )
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: root + "/real").isEmpty, "nothing written through it")
        // The real directory is accepted.
        _ = try ResultsDirectory.write(
            ReportFixtures.passing, root: root + "/real", runID: "r1", date: Date(timeIntervalSince1970: 0))
        #expect(FileManager.default.fileExists(atPath: root + "/real/latest/report.json"))
    }

    @Test("a run directory that exists as a symlink is refused, not followed")
    func runDirectorySymlinkRefused() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let outside = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let date = Date(timeIntervalSince1970: 1_795_316_645)
        try FileManager.default.createSymbolicLink(
            atPath: root + "/20261122-030405-3f2a1c", withDestinationPath: outside)
        let error = try #require(throws: ReportError.self) {
            try ResultsDirectory.write(ReportFixtures.passing, root: root, runID: "3f2a1c", date: date)
        }
        #expect(error.description.contains("symbolic link"), "\(error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root + "/latest"))
    }

    @Test("a symlink planted at a report's name in the run directory is not followed, its target kept")
    func plantedReportSymlink() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let victim = root + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let date = Date(timeIntervalSince1970: 1_795_316_645)
        let run = try ResultsDirectory.create(root: root, runID: "3f2a1c", date: date)
        try FileManager.default.createSymbolicLink(atPath: run + "/junit.xml", withDestinationPath: victim)
        let error = try #require(throws: ReportError.self) {
            try ResultsDirectory.write(ReportFixtures.passing, root: root, runID: "3f2a1c", date: date)
        }
        #expect(error.operation == "create file")
        #expect(error.path == run + "/junit.xml")
        #expect(FileManager.default.contents(atPath: victim) == Data("precious".utf8))
    }
}
