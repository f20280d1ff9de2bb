import FailoverCore
import FailoverModel
import Testing

@testable import FailoverLinux

/// Peers in the ledger: teardown stops each before its namespace goes (reverse order), and a
/// process is never elided as "inside a namespace that goes anyway" (deleting a namespace does not
/// end the processes in it).
@Suite("ledger: supervised peers")
struct PeerLedgerTests {
    @Test("the undo plan stops the peers, newest first, before deleting the namespaces")
    func processesBeforeNamespaces() {
        let entries: [BackendLedger.Entry] = [
            .namespace("fo1-r1"), .namespace("fo1-r2"), .link(namespace: "fo1-r1", name: "eth0"),
            .process(namespace: "fo1-r1", name: "carp-g-r1"), .process(namespace: "fo1-r2", name: "carp-g-r2"),
        ]
        #expect(
            BackendLedger.undoPlan(entries) == [
                .process(namespace: "fo1-r2", name: "carp-g-r2"), .process(namespace: "fo1-r1", name: "carp-g-r1"),
                .namespace("fo1-r2"), .namespace("fo1-r1"),
            ])
    }

    @Test("a startPeer operation creates its process entry")
    func entriesFromOperations() throws {
        let peer = CarpPeer(
            group: "g", host: "r1", namespace: "fo1-r1", interface: "eth0",
            sourceAddress: try #require(IPAddress("198.18.0.11")), vip: try #require(InterfaceAddress("198.18.0.1/24")),
            vhid: 1, advbase: 1, advskew: 0, preempt: false, password: CarpPassword("pw"))
        #expect(
            BackendLedger.entries([PlannedOperation(.startPeer(peer), location: nil)]) == [
                .process(namespace: "fo1-r1", name: "carp-g-r1")
            ])
    }

    @Test("no ucarp: an error naming the Debian package; an executable candidate is taken")
    func missingUcarp() throws {
        let peer = CarpPeer(
            group: "g", host: "r1", namespace: "fo1-r1", interface: "eth0",
            sourceAddress: try #require(IPAddress("198.18.0.11")), vip: try #require(InterfaceAddress("198.18.0.1/24")),
            vhid: 1, advbase: 1, advskew: 0, preempt: false, password: CarpPassword("pw"))
        #expect(throws: (any Error).self) {
            try PeerSupervisor.locateUcarp(for: peer, candidates: ["/nonexistent/ucarp"])
        }
        do {
            _ = try PeerSupervisor.locateUcarp(for: peer, candidates: ["/nonexistent/ucarp"])
        } catch {
            #expect(
                "\(error)"
                    == "start ucarp ucarp g on r1/eth0: ucarp is not installed (looked for /nonexistent/ucarp): install the Debian package ucarp (apt-get install ucarp)"
            )
        }
        #expect(try PeerSupervisor.locateUcarp(for: peer, candidates: ["/nonexistent/ucarp", "/bin/sh"]) == "/bin/sh")
    }

    @Test("ucarp's state lines: MASTER, BACKUP; other lines are none")
    func transitions() {
        #expect(
            PeerSupervisor.transition(in: "2026-12-03T15:44:12.1: [WARNING] Switching to state: MASTER") == "MASTER")
        #expect(PeerSupervisor.transition(in: "…: [WARNING] Switching to state: BACKUP") == "BACKUP")
        #expect(PeerSupervisor.transition(in: "…: [WARNING] Spawning [/x/carp-vip-up eth0 198.18.0.1 24]") == nil)
        #expect(PeerSupervisor.transition(in: "Switching to state: ") == nil)
    }
}
