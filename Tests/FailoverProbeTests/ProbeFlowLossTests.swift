import FailoverModel
import Testing

@testable import FailoverProbe

/// Loss per flow: packet `s` goes out on flow `(s / batch) % flows` (ProbeSender rotates the
/// flows per packet, or per sendmmsg batch), so a blackholed member that carries one flow shows
/// all the loss on that flow.
@Suite("Probe loss per flow")
struct ProbeFlowLossTests {
    static let ports = [40_000, 40_001, 40_002, 40_003]

    /// 400 packets at 1 kpps over `flows` flows; the packets of flow `lostFlow` sent in [150, 250)
    /// are lost; a fault at 100 ms.
    static func report(flows: Int, batch: Int = 1, lostFlow: Int = 1) -> ProbeReport {
        let lost = (150..<250).filter { ($0 / batch) % flows == lostFlow }
        var synthetic = SyntheticCapture(
            attempted: 400, order: (0..<400).filter { !lost.contains($0) })
        synthetic.judgeBefore = nil
        var capture = synthetic.capture()
        capture.configuration.flows = flows
        capture.sender.batchSize = batch
        capture.sender.sourcePorts = Array(ports.prefix(flows))
        return ProbeAnalysis.analyze(capture, faults: [(stepIndex: 1, at: SyntheticCapture.at(ms: 100))])
    }

    @Test("every 4th packet lost (flow 1 of 4): 25 lost, all on flow 1 (port 40001), in the window and the run")
    func oneFlowLoses() throws {
        let report = Self.report(flows: 4)
        let window = try #require(report.windows.first)
        #expect(window.lost == 25)
        let expected = [
            FlowLoss(flow: 0, sourcePort: 40_000, lost: 0), FlowLoss(flow: 1, sourcePort: 40_001, lost: 25),
            FlowLoss(flow: 2, sourcePort: 40_002, lost: 0), FlowLoss(flow: 3, sourcePort: 40_003, lost: 0),
        ]
        #expect(window.lostPerFlow == expected)
        #expect(report.run.lostPerFlow == expected)
        #expect(report.beforeFirstFault.lostPerFlow == nil)
    }

    @Test("with batches of 2 the flow turns per batch: (s / 2) % 4 == 3 → 26 lost on flow 3, none elsewhere")
    func batched() throws {
        // Batches 75…124 of [150, 250): those with k % 4 == 3 are 75, 79, …, 123: 13 batches of 2 packets.
        let window = try #require(Self.report(flows: 4, batch: 2, lostFlow: 3).windows.first)
        #expect(window.lost == 26)
        #expect(window.lostPerFlow?.map(\.lost) == [0, 0, 0, 26])
    }

    @Test("one flow: no per-flow figure")
    func singleFlow() throws {
        let window = try #require(Self.report(flows: 1, lostFlow: 0).windows.first)
        #expect(window.lost == 100)
        #expect(window.lostPerFlow == nil)
    }
}
