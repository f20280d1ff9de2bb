import FailoverCore
import FailoverFamilies
import FailoverModel
import Foundation
import Testing

@testable import FailoverPlaybook

/// `flap`: repeated carrier loss on one cable, decoded with its bounds and compiled into the
/// run plan's operations (far end down, pause, up, pause, …), which `failover plan` prints.
@Suite("flap fault")
struct FlapTests {
    static let head = FamilyRegistryTests.head
    /// The line the step under test is on (the head ends with a newline).
    static let line = head.split(separator: "\n", omittingEmptySubsequences: false).count
    static let at = "t.yaml:\(line):"

    /// The registry tests' loaders: the step goes after the same head.
    func diagnostics(_ step: String) -> [String] { FamilyRegistryTests().diagnostics(step) }
    func load(_ step: String) throws -> Playbook { try FamilyRegistryTests().load(step) }

    @Test("decodes to the model with its polarity: a failure")
    func decodes() throws {
        let playbook = try load("flap: {interface: server/eth1, times: 3, down: 200ms, up: 300ms}")
        let action = try #require(playbook.steps.last?.action)
        #expect(
            action
                == .flap(
                    InterfaceRef(host: "server", interface: "eth1"), times: 3, down: .milliseconds(200),
                    up: .milliseconds(300)))
        #expect(action.faultPolarity == .failure)
        #expect(action.isFault)
    }

    @Test(
        "times from 1 to 100 and periods from 1ms to 60s are accepted; just outside is an error at the value",
        arguments: [
            ("times: 1, down: 1ms, up: 60s", nil),
            ("times: 100, down: 60s, up: 1ms", nil),
            ("times: 0, down: 200ms, up: 200ms", "times"),
            ("times: 101, down: 200ms, up: 200ms", "times"),
            ("times: 2, down: 999us, up: 200ms", "down: must be from 1ms to 60s"),
            ("times: 2, down: 200ms, up: 60001ms", "up: must be from 1ms to 60s"),
        ] as [(String, String?)])
    func bounds(_ fields: String, _ error: String?) {
        let found = diagnostics("flap: {interface: server/eth1, \(fields)}")
        if let error {
            #expect(found.count == 1)
            #expect(found.first?.hasPrefix(Self.at) == true && found.first?.contains(error) == true, "\(found)")
        } else {
            #expect(found.isEmpty, "\(found)")
        }
    }

    @Test("a missing key, an unknown key and a cable end that does not exist are errors with file:line:column")
    func errors() {
        #expect(
            diagnostics("flap: {interface: server/eth1, times: 2, down: 200ms}") == [
                "\(Self.at)11: error: steps[1].flap: flap needs 'up'"
            ])
        let unknown = diagnostics("flap: {interface: server/eth1, times: 2, down: 200ms, up: 200ms, count: 3}")
        #expect(unknown.count == 1)
        #expect(unknown.first?.hasPrefix(Self.at) == true && unknown.first?.contains("count") == true, "\(unknown)")
        let dangling = diagnostics("flap: {interface: server/eth9, times: 2, down: 200ms, up: 200ms}")
        #expect(dangling.count == 1)
        #expect(
            dangling.first?.hasPrefix("\(Self.at)11: error: steps[1].flap: no cable server/eth9") == true, "\(dangling)"
        )
        #expect(diagnostics("flap: server/eth1").first?.contains("expected a mapping") == true)
    }

    @Test("compiles to far end down, pause down, far end up, pause up, … ending up (no pause after the last)")
    func operations() throws {
        let playbook = try load("flap: {interface: server/eth1, times: 2, down: 200ms, up: 300ms}")
        let names = RunNames(runID: "000000")
        let action = try #require(playbook.steps.last?.action)
        let ops = RunPlanCompiler.operations(for: action, in: playbook.topology, names: names).map(\.operation)
        let port = RunNames.switchPortNames(playbook.topology)[InterfaceRef(host: "server", interface: "eth1")]
        let far = NamespacedLink(namespace: "fo000000-sw1", name: try #require(port))
        #expect(
            ops == [
                .setLinkState(far, up: false), .pause(.milliseconds(200)), .setLinkState(far, up: true),
                .pause(.milliseconds(300)),
                .setLinkState(far, up: false), .pause(.milliseconds(200)), .setLinkState(far, up: true),
            ])
        let once = RunPlanCompiler.operations(
            for: .flap(InterfaceRef(host: "server", interface: "eth1"), times: 1, down: .seconds(1), up: .seconds(1)),
            in: playbook.topology, names: names
        ).map(\.operation)
        #expect(once == [.setLinkState(far, up: false), .pause(.seconds(1)), .setLinkState(far, up: true)])
    }

    @Test("the plan prints the pauses as sleep between the ip commands")
    func planText() throws {
        let playbook = try load("flap: {interface: server/eth1, times: 2, down: 200ms, up: 1500ms}")
        let script = PlanRenderer.render(playbook, names: RunNames(runID: "000000"))
        let tail = script.components(separatedBy: "): flap server/eth1 2 times").last ?? ""
        let lines = tail.split(separator: "\n").dropFirst().prefix(7).map(String.init)
        #expect(lines.filter { $0.hasSuffix(" down") }.count == 2, "\(lines)")
        #expect(lines.filter { $0.hasSuffix(" up") }.count == 2, "\(lines)")
        #expect(lines.filter { $0 == "sleep 0.2" }.count == 2, "\(lines)")
        #expect(lines.filter { $0 == "sleep 1.5" }.count == 1, "\(lines)")
    }
}
