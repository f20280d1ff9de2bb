import FailoverCore
import FailoverModel
import Foundation
import Testing

@testable import FailoverPlaybook

/// `start_peer`: a stopped or killed peer started again, exactly as at build time.
@Suite("CARP start_peer")
struct CarpStartPeerTests {
    @Test("the step starts the same ucarp as the build (same argv, same process name), a repair")
    func plan() throws {
        let yaml = CarpTopologyTests.yaml(CarpTopologyTests.group(preempt: "true")).replacingOccurrences(
            of: "  - hold: 1s",
            with: "  - stop_peer: {group: outside, node: r1}\n  - start_peer: {group: outside, node: r1}")
        let plan = RunPlanCompiler.compile(try CarpTopologyTests.load(yaml), names: RunNames(runID: "000000"))
        let built = try #require(
            plan.buildOperations.map(\.operation).first {
                if case .startPeer(let peer) = $0 { return peer.host == "r1" }
                return false
            })
        let steps = plan.steps.map { $0.operations.map(\.operation) }
        #expect(steps.count == 2)
        #expect(steps[0] == [.signalPeer(namespace: "fo000000-r1", name: "carp-outside-r1", signal: "TERM")])
        #expect(steps[1] == [built])
        #expect(steps[1].first?.creates == [.process(namespace: "fo000000-r1", name: "carp-outside-r1")])
        #expect(plan.steps.map(\.action.faultPolarity) == [.failure, .repair])
        #expect(plan.steps.last?.action.description == "start_peer outside/r1")
    }

    @Test("start_peer on a node that is not a member is a load error at the step")
    func notAMember() {
        let yaml = CarpTopologyTests.yaml(CarpTopologyTests.group()).replacingOccurrences(
            of: "  - hold: 1s", with: "  - start_peer: {group: outside, node: client}")
        #expect(
            CarpTopologyTests.diagnostics(yaml).first?.contains("client is not a member of CARP group outside") == true)
    }
}
