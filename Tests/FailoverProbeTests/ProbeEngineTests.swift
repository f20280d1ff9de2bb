import FailoverCore
import FailoverModel
import Foundation
import Logging
import Testing

@testable import FailoverProbe

@Suite("ProbeEngine wiring: addresses, records, witness judgement")
struct ProbeEngineTests {
    static func address(_ text: String) throws -> InterfaceAddress { try #require(InterfaceAddress(text)) }

    static func topology() throws -> Topology {
        let server = Host(
            name: "server", interfaces: ["eth0", "eth1"],
            bonds: [Bond(name: "bond0", mode: .activeBackup, slaves: ["eth0", "eth1"])],
            addresses: [
                InterfaceAddresses(interface: "eth9", addresses: [try address("198.18.9.1/24")]),
                InterfaceAddresses(
                    interface: "bond0", addresses: [try address("2001:2::1/64"), try address("198.18.0.1/24")]),
            ])
        let client = Host(
            name: "client", interfaces: ["eth0"],
            addresses: [InterfaceAddresses(interface: "eth0", addresses: [try address("198.18.0.2/24")])])
        return Topology(switches: [Switch(name: "sw1")], hosts: [server, client])
    }

    @Test("default addresses: the bond's first IPv4 address, namespaces from the run names, reverse uses id + 1")
    func resolveDefaults() throws {
        let names = RunNames(runID: "abc123")
        let spec = ProbeSpec(name: "p1", from: "client", to: "server", rate: 2000, direction: .both)
        let resolved = try ProbeEngine.resolve(spec, topology: try Self.topology(), names: names, streamID: 100)
        #expect(resolved.count == 2)
        let forward = resolved[0].configuration
        #expect(forward.streamID == 100)
        #expect(forward.senderNamespace == "foabc123-client")
        #expect(forward.receiverNamespace == "foabc123-server")
        #expect(forward.sourceAddress?.description == "198.18.0.2")
        #expect(forward.destinationAddress.description == "198.18.0.1")
        #expect(resolved[0].receiverInterface == "bond0")
        let reverse = resolved[1].configuration
        #expect(reverse.streamID == 101)
        #expect(reverse.destinationAddress.description == "198.18.0.2")
        #expect(resolved[1].receiverInterface == "eth0")
        #expect(resolved[1].from == "server" && resolved[1].to == "client")
    }

    @Test("an explicit to_address wins and picks the witness interface that holds it")
    func resolveExplicit() throws {
        let spec = ProbeSpec(name: "p1", from: "client", to: "server", toAddress: IPAddress("198.18.9.1"))
        let resolved = try ProbeEngine.resolve(
            spec, topology: try Self.topology(), names: RunNames(runID: "abc123"), streamID: 8)
        #expect(resolved.count == 1)
        #expect(resolved[0].configuration.destinationAddress.description == "198.18.9.1")
        #expect(resolved[0].receiverInterface == "eth9")
    }

    @Test("an unknown host is a configuration error")
    func resolveUnknownHost() throws {
        let spec = ProbeSpec(name: "p1", from: "client", to: "nobody")
        #expect(throws: ProbeError.self) {
            try ProbeEngine.resolve(spec, topology: try Self.topology(), names: RunNames(runID: "abc123"), streamID: 8)
        }
    }

    static let base = ProbeWitnessRecord(
        tool: "tcpdump", file: "w.pcap", interface: "server/eth0", matching: 0, uniqueSequences: 0,
        largestGapNanoseconds: nil, droppedByKernel: 0,
        toleranceNanoseconds: ProbeEngine.witnessTolerance(intervalNanoseconds: 50_000),
        receivedAgrees: false, outageAgrees: false, detail: "")

    static func witness(sequences: [UInt64], timestamps: [UInt64]) -> PcapWitness {
        PcapWitness(records: sequences.count, matching: sequences.count, sequences: sequences, timestamps: timestamps)
    }

    @Test("the witness agrees: same count, largest gap within one interval + 1 ms of the outage")
    func witnessAgrees() {
        let w = Self.witness(sequences: [0, 1, 2, 3], timestamps: [0, 50_000, 200_100_000, 200_150_000])
        let result = ProbeEngine.judge(w, base: Self.base, probeReceived: 4, probeOutage: 200_000_000)
        #expect(result.receivedAgrees)
        #expect(result.outageAgrees)
        #expect(result.agrees)
        #expect(result.largestGapNanoseconds == 200_050_000)
        #expect(Self.base.toleranceNanoseconds == 1_050_000)
    }

    @Test("the witness disagrees on the count, or on the outage by more than the tolerance")
    func witnessDisagrees() {
        let w = Self.witness(sequences: [0, 1, 2, 3], timestamps: [0, 50_000, 200_100_000, 200_150_000])
        let count = ProbeEngine.judge(w, base: Self.base, probeReceived: 5, probeOutage: 200_000_000)
        #expect(!count.receivedAgrees && count.outageAgrees && !count.agrees)
        #expect(count.detail.contains("captured 4, probe received 5 (differ)"))
        let outage = ProbeEngine.judge(w, base: Self.base, probeReceived: 4, probeOutage: 198_000_000)
        #expect(outage.receivedAgrees && !outage.outageAgrees && !outage.agrees)
    }

    @Test("without an outage the largest gap is not compared")
    func witnessNoOutage() {
        let w = Self.witness(sequences: [0, 1], timestamps: [0, 5_000_000])
        let result = ProbeEngine.judge(w, base: Self.base, probeReceived: 2, probeOutage: 0)
        #expect(result.agrees)
    }

    @Test("the gap compared with the capture: the longest loss period bounded on both sides; a trailing one has none")
    func longestLossPeriod() {
        let fault = [ProbeFault(stepIndex: 2, at: SyntheticCapture.at(400), kind: .failure)]
        // 1 kpps: lost 400...599 then delivered again: 201 ms between the packets around the gap.
        let bounded = ProbeAnalysis.analyze(
            SyntheticCapture(attempted: 1000, order: SyntheticCapture.allBut(1000, [400...599])).capture(),
            faults: fault)
        #expect(ProbeEngine.longestLossPeriod(bounded) == 201_000_000)
        // Lost from 400 to the end: the capture has no packet after the loss, hence no gap to compare.
        let trailing = ProbeAnalysis.analyze(
            SyntheticCapture(attempted: 1000, order: Array(0..<400)).capture(), faults: fault)
        #expect(trailing.run.lost == 600)
        #expect(ProbeEngine.longestLossPeriod(trailing) == 0)
        // Both: only the bounded one (50 ms gap) is what the capture can show.
        let both = ProbeAnalysis.analyze(
            SyntheticCapture(attempted: 1000, order: SyntheticCapture.allBut(700, [400...448])).capture(),
            faults: fault)
        #expect(ProbeEngine.longestLossPeriod(both) == 50_000_000)
    }

    @Test("tcpdump's drop count is parsed from its exit lines")
    func droppedByKernel() {
        let text =
            "listening on eth0\n16195 packets captured\n16195 packets received by filter\n3 packets dropped by kernel"
        #expect(PacketCapture.droppedByKernel(in: text) == 3)
        #expect(PacketCapture.droppedByKernel(in: "nothing") == nil)
    }

    @Test("the record carries run totals and one window per fault with both methods and resolutions")
    func record() throws {
        let capture = SyntheticCapture(attempted: 1000, order: SyntheticCapture.allBut(1000, [400...599])).capture()
        let faults = [
            ProbeFault(stepIndex: 2, at: SyntheticCapture.at(400), kind: .failure),
            ProbeFault(stepIndex: 4, at: SyntheticCapture.at(700), kind: .restoration),
        ]
        let report = ProbeAnalysis.analyze(capture, faults: faults)
        let resolved = ProbeEngine.Resolved(
            spec: ProbeSpec(name: "p", from: "a", to: "b"), configuration: capture.configuration, from: "a", to: "b",
            receiverInterface: "eth0")
        let record = ProbeEngine.record(report, direction: resolved, capture: capture)
        #expect(record.sent == 1000 && record.received == 800 && record.lost == 200)
        #expect(record.lostBeforeFirstFault == 0)
        #expect(record.intervalNanoseconds == 1_000_000)
        #expect(record.windows.count == 2)
        let failover = try #require(record.windows.first)
        #expect(failover.stepIndex == 2 && failover.kind == "failover" && failover.lost == 200)
        #expect(failover.timestampTime.nanoseconds == 201_000_000)
        #expect(failover.timestampTime.resolutionNanoseconds == 1_000_000)
        #expect(failover.lossTime.nanoseconds == 200_000_000)
        #expect(failover.outageStart == SyntheticCapture.at(399))
        #expect(record.windows[1].kind == "reversion" && record.windows[1].lost == 0)
        #expect(record.measurementError == nil)
    }

    @Test("a probe not started cannot be evaluated or stopped; finish without probes returns nothing")
    func lifecycle() async throws {
        let playbook = Playbook(
            name: "x", topology: try Self.topology(), probes: [ProbeSpec(name: "p1", from: "client", to: "server")],
            steps: [], file: "x.yaml")
        let engine = ProbeEngine(playbook: playbook, names: RunNames(runID: "abc123"), logger: Logger(label: "test"))
        await #expect(throws: ProbeError.self) {
            try await engine.evaluate(.loss(probe: "p1", .run, .atMost(0)), stepIndex: 0, faults: [])
        }
        await #expect(throws: ProbeError.self) { try await engine.stop("p1") }
        await #expect(throws: ProbeError.self) { try await engine.start(["nope"]) }
        let records = await engine.finish(faults: [])
        #expect(records.isEmpty)
    }
}
