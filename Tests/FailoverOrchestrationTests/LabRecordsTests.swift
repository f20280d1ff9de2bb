import FailoverModel
import FailoverOrchestration
import Foundation
import Testing

@Suite("Kernel lab records: broken and interrupted lab runs")
struct LabRecordsTests {
    static let now = MonotonicInstant(nanoseconds: 42)

    static func guestRecord(_ playbooks: [PlaybookRecord]) -> RunRecord {
        RunRecord(
            runID: "abc123", startedAt: "2026-12-03T00:00:00Z",
            environment: EnvironmentRecord(
                kernel: "6.1-guest", execution: "vm", accelerator: "tcg", hostname: "guest", failoverVersion: "0"),
            playbooks: playbooks)
    }

    @Test("no guest record, broken: every playbook errored with the message")
    func brokenWithoutRecord() throws {
        let playbooks = [try Sample.bond("a.yaml"), try Sample.bond("b.yaml")]
        let record = LabRecords.partial(
            playbooks, kernel: "6.1-k", accelerator: "kvm", record: nil, runID: "abc123", message: "qemu died",
            interrupted: false, at: Self.now)
        #expect(record.environment.kernel == "6.1-k")
        #expect(record.environment.execution == "vm")
        #expect(record.environment.accelerator == "kvm")
        #expect(record.runID == "abc123")
        #expect(record.playbooks.map(\.file) == ["a.yaml", "b.yaml"])
        #expect(record.playbooks.map(\.verdict) == [.errored, .errored])
        #expect(record.playbooks.map(\.message) == ["qemu died", "qemu died"])
        #expect(record.playbooks.allSatisfy { $0.started == Self.now && $0.ended == Self.now })
    }

    @Test("interrupted after the first of three: finished kept, the next errored, the rest skipped")
    func interruptedPartial() throws {
        let playbooks = [try Sample.bond("a.yaml"), try Sample.bond("b.yaml"), try Sample.bond("c.yaml")]
        let guest = Self.guestRecord([Sample.record(playbooks[0], .passed)])
        let record = LabRecords.partial(
            playbooks, kernel: "6.1-k", record: guest, runID: "abc123", message: "interrupted", interrupted: true,
            at: Self.now)
        // The guest's record is kept (its environment says what the guest saw).
        #expect(record.environment.kernel == "6.1-guest")
        #expect(record.environment.accelerator == "tcg")
        #expect(record.playbooks.map(\.file) == ["a.yaml", "b.yaml", "c.yaml"])
        #expect(record.playbooks.map(\.verdict) == [.passed, .errored, .skipped])
        #expect(record.playbooks[1].message == "interrupted")
        #expect(record.playbooks[2].message == "interrupted before it started")
    }

    @Test("the signal came after the last playbook: the guest's record as it is")
    func interruptedAfterLast() throws {
        let playbooks = [try Sample.bond("a.yaml"), try Sample.bond("b.yaml")]
        let guest = Self.guestRecord([Sample.record(playbooks[0], .passed), Sample.record(playbooks[1], .failed)])
        let record = LabRecords.partial(
            playbooks, kernel: "6.1-k", record: guest, runID: "abc123", message: "interrupted", interrupted: true,
            at: Self.now)
        #expect(record.playbooks.map(\.verdict) == [.passed, .failed])
    }

    @Test("a record listing more playbooks than were sent is not the guest's: ignored")
    func foreignRecord() throws {
        let playbooks = [try Sample.bond("a.yaml")]
        let foreign = Self.guestRecord([Sample.record(playbooks[0], .passed), Sample.record(playbooks[0], .passed)])
        let record = LabRecords.partial(
            playbooks, kernel: "6.1-k", record: foreign, runID: "abc123", message: "broken", interrupted: false,
            at: Self.now)
        #expect(record.environment.kernel == "6.1-k")
        #expect(record.playbooks.map(\.verdict) == [.errored])
        #expect(record.playbooks.map(\.message) == ["broken"])
    }

    @Test("take: decodes the guest's record and removes the file; garbage is nil and removed too")
    func take() throws {
        let directory = try Sample.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = directory + "/record-6.1.json"
        let guest = Self.guestRecord([Sample.record(try Sample.bond("a.yaml"), .passed)])
        try JSONEncoder().encode(guest).write(to: URL(fileURLWithPath: good))
        #expect(LabRecords.take(good)?.playbooks.map(\.file) == ["a.yaml"])
        #expect(!FileManager.default.fileExists(atPath: good))
        let bad = directory + "/record-6.2.json"
        try Data("{\"runID\":".utf8).write(to: URL(fileURLWithPath: bad))
        #expect(LabRecords.take(bad) == nil)
        #expect(!FileManager.default.fileExists(atPath: bad))
        #expect(LabRecords.take(directory + "/none.json") == nil)
    }

    @Test("skipped: the playbook's identity, skipped, the reason, zero length")
    func skipped() throws {
        let playbook = try Sample.plain("a.yaml")
        let record = LabRecords.skipped(playbook, at: Self.now, reason: "interrupted before the kernel lab started")
        #expect(record.file == "a.yaml")
        #expect(record.name == playbook.name)
        #expect(record.verdict == .skipped)
        #expect(record.message == "interrupted before the kernel lab started")
        #expect(record.started == Self.now && record.ended == Self.now)
    }
}
