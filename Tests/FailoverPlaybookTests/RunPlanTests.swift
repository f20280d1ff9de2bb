import FailoverCore
import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Foundation
import Testing

@Suite("run plan: one interpretation of the topology")
struct RunPlanTests {
    static func sketch() throws -> Playbook {
        let yaml = try Fixtures.read(Fixtures.fixtures.appendingPathComponent("plan/sketch.yaml"))
        return try PlaybookLoader.load(yaml: yaml, file: "sketch.yaml").playbook
    }

    func link(_ namespace: String, _ name: String) -> NamespacedLink {
        NamespacedLink(namespace: "fo000000-" + namespace, name: name)
    }

    @Test("every command of the script's build part is one of the plan's operations, in order")
    func scriptIsThePlan() throws {
        let playbook = try Self.sketch()
        let names = RunNames(runID: "000000")
        let plan = RunPlanCompiler.compile(playbook, names: names)
        let script = PlanRenderer.render(playbook, names: names)
        let build = script.components(separatedBy: "# --- probes")[0].split(separator: "\n").map(String.init)
        let commands = build.filter { $0.hasPrefix("ip ") || $0.hasPrefix("bridge ") }
        let planned = plan.buildOperations.flatMap { $0.operation.commands.map(PlanRenderer.command) }
        #expect(commands == planned)
        #expect(commands.count == 40)
    }

    @Test("build operations carry the playbook node they came from; the checks come last")
    func locations() throws {
        let plan = RunPlanCompiler.compile(try Self.sketch(), names: RunNames(runID: "000000"))
        let operations = plan.buildOperations
        // Only the wait for carrier (the whole topology) has no single node.
        #expect(operations.filter { $0.location == nil }.map(\.operation.description) == [operations.last?.description])
        let bond = operations.first { if case .createBond = $0.operation { true } else { false } }
        #expect(bond?.location?.description.hasPrefix("sketch.yaml:11:") == true, "\(String(describing: bond))")
        #expect(
            operations.suffix(2).map(\.operation) == [
                .readBackBondOptions(
                    link("server", "bond0"), mode: .activeBackup,
                    options: try Self.sketch().topology.hosts[0].bonds[0].options),
                .waitUntilUp([
                    link("client", "eth0"), link("client", "eth1"), link("server", "bond0"), link("server", "eth0"),
                    link("server", "eth1"), link("sw1", "client-eth0"), link("sw1", "server-eth0"),
                    link("sw2", "client-eth1"), link("sw2", "server-eth1"),
                ]),
            ])
    }

    @Test("each fault step compiles to its operations; other steps to none")
    func faultSteps() throws {
        let plan = RunPlanCompiler.compile(try Self.sketch(), names: RunNames(runID: "000000"))
        let steps = plan.steps.map { $0.operations.map(\.operation) }
        #expect(plan.steps.map(\.index) == Array(0..<16))
        #expect(steps[0].isEmpty && steps[1].isEmpty && steps[6].isEmpty && steps[15].isEmpty)
        #expect(steps[2] == [.setLinkState(link("sw1", "server-eth0"), up: false)])  // pull: the far end
        #expect(steps[5] == [.setLinkState(link("sw1", "server-eth0"), up: true)])  // plug
        #expect(steps[7] == [.setLinkState(link("sw1", "br0"), up: false)])  // switch_down
        #expect(steps[9] == [.setBridgePortState(link("sw2", "server-eth1"), forwarding: false)])  // blackhole
        #expect(steps[10] == [.setBridgePortState(link("sw2", "server-eth1"), forwarding: true)])  // restore
        #expect(
            steps[11] + steps[12] == [
                .setBondOption(link("server", "bond0"), option: "active_slave", value: "eth1"),
                .setBondOption(link("server", "bond0"), option: "peer_notif_delay", value: "200"),
            ])
        #expect(steps[13] == [.setLinkState(link("server", "eth0"), up: false)])  // down: the interface itself
        #expect(plan.steps[2].location?.description == "sketch.yaml:23:5")
        #expect(plan.steps[2].operations.first?.location == plan.steps[2].location)
        #expect(plan.operations.count == plan.buildOperations.count + 10)
    }

    @Test("a blackhole on a host-to-host cable is unsupported in the plan (the loader rejects it)")
    func hostToHostBlackhole() {
        let topology = Topology(
            hosts: [Host(name: "a", interfaces: ["eth0"]), Host(name: "b", interfaces: ["eth0"])],
            cables: [
                Cable(
                    a: InterfaceRef(host: "a", interface: "eth0"), b: .host(InterfaceRef(host: "b", interface: "eth0")))
            ])
        let names = RunNames(runID: "000000")
        let blackhole = RunPlanCompiler.operations(
            for: .blackhole(InterfaceRef(host: "a", interface: "eth0")), in: topology, names: names)
        #expect(blackhole.map(\.operation) == [.unsupported("blackhole needs a cable to a switch")])
        let pull = RunPlanCompiler.operations(
            for: .pull(InterfaceRef(host: "a", interface: "eth0")), in: topology, names: names)
        #expect(pull.map(\.operation) == [.setLinkState(link("b", "eth0"), up: false)])
    }

    @Test("what an operation creates is what teardown removes: namespaces, bridges, both veth ends, bonds")
    func creates() {
        #expect(
            RunOperation.createVeth(namespace: "n1", name: "a", peerNamespace: "n2", peerName: "b").creates == [
                .link(NamespacedLink(namespace: "n1", name: "a")), .link(NamespacedLink(namespace: "n2", name: "b")),
            ])
        #expect(RunOperation.createNamespace(role: "h1", namespace: "n1").creates == [.namespace("n1")])
        #expect(RunOperation.setLinkState(NamespacedLink(namespace: "n1", name: "a"), up: true).creates.isEmpty)
    }
}
