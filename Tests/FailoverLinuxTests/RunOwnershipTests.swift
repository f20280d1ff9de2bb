import Testing

@testable import FailoverLinux

@Suite("owner records: what cleanup may act on")
struct RunOwnershipRecordTests {
    @Test("additions and removals replay to the live objects, in creation order")
    func replay() throws {
        let record = try #require(
            RunOwnership.Record(
                text: """
                    4242 123456
                    +netns fo1a2b3c-sw
                    +netns fo1a2b3c-a
                    +proc 4250 123470
                    +dir /tmp/failover-vm-Ab12Cd
                    +file /tmp/failover-capture-4242-1.pcap
                    -netns fo1a2b3c-sw
                    -proc 4250 123470

                    """))
        #expect(record.ownerPID == 4242)
        #expect(record.ownerStartTime == 123_456)
        #expect(
            record.objects == [
                .namespace("fo1a2b3c-a"), .directory("/tmp/failover-vm-Ab12Cd"),
                .file("/tmp/failover-capture-4242-1.pcap"),
            ])
        #expect(record.malformedLines == 0)
    }

    @Test("a process is matched by PID and start time: another start time is another process")
    func processIdentity() throws {
        let record = try #require(RunOwnership.Record(text: "1 2\n+proc 4250 100\n-proc 4250 101\n"))
        #expect(record.objects == [.process(pid: 4250, startTime: 100)])
    }

    @Test(
        "lines naming anything a run does not create are not acted on",
        arguments: [
            "+netns eth0", "+netns fo1a2b3-x", "+netns fo1a2b3cd", "+dir /etc", "+dir /tmp/../etc/failover-x",
            "+dir tmp/failover-vm-x", "+file /tmp/failover-x/../../etc/passwd", "+file /etc/passwd",
            "+proc 1 5", "+proc 0 5", "+proc x 5", "+proc 12", "+mount /", "netns fo1a2b3c-a", "",
        ])
    func rejected(line: String) throws {
        let record = try #require(RunOwnership.Record(text: "10 20\n\(line)\n+netns fo1a2b3c-ok\n"))
        #expect(record.objects == [.namespace("fo1a2b3c-ok")], "\(line)")
        #expect(record.malformedLines == (line.isEmpty ? 0 : 1))
    }

    @Test("the same kinds of lines just inside the rules are accepted")
    func accepted() throws {
        let record = try #require(
            RunOwnership.Record(
                text: "10 20\n+netns fo000000-x\n+proc 2 0\n+dir /failover-vm-x\n+file /var/tmp/a/failover-c\n"))
        #expect(record.objects.count == 4)
        #expect(record.malformedLines == 0)
    }

    @Test(
        "an owner line that is not `<pid> <start time>` makes the record unreadable",
        arguments: ["", "x 1", "12", "0 1", "1 2 3"])
    func unreadableOwner(first: String) {
        #expect(RunOwnership.Record(text: "\(first)\n+netns fo1a2b3c-a\n") == nil)
    }
}
