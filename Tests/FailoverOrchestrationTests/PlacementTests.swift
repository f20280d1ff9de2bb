import FailoverModel
import FailoverOrchestration
import Testing

@Suite("Placement: which playbooks run here and which in the kernel lab")
struct PlacementTests {
    static func files(_ playbooks: [Playbook]) -> [String] { playbooks.map(\.file) }

    @Test("auto on a kernel with bonding: everything here")
    func autoWithBonding() throws {
        let all = [try Sample.bond("a.yaml"), try Sample.plain("b.yaml")]
        let placed = try Placement.decide(all, use: .auto, kernelsNamed: false, release: "6.1", hasBonding: true)
        #expect(Self.files(placed.host) == ["a.yaml", "b.yaml"])
        #expect(placed.lab.isEmpty)
    }

    @Test("auto on a kernel without bonding: only the bond playbooks go to the lab, in order")
    func autoSplits() throws {
        let all = [try Sample.plain("a.yaml"), try Sample.bond("b.yaml"), try Sample.plain("c.yaml")]
        let placed = try Placement.decide(all, use: .auto, kernelsNamed: false, release: "6.1", hasBonding: false)
        #expect(Self.files(placed.host) == ["a.yaml", "c.yaml"])
        #expect(Self.files(placed.lab) == ["b.yaml"])
    }

    @Test("auto without bonding but no bond playbook: nothing goes to the lab")
    func autoNoBondPlaybooks() throws {
        let all = [try Sample.plain("a.yaml")]
        let placed = try Placement.decide(all, use: .auto, kernelsNamed: false, release: "6.1", hasBonding: false)
        #expect(Self.files(placed.host) == ["a.yaml"])
        #expect(placed.lab.isEmpty)
    }

    @Test("a named kernel (auto) or always: everything in the lab, even with bonding here")
    func kernelsOrAlways() throws {
        let all = [try Sample.plain("a.yaml"), try Sample.bond("b.yaml")]
        for (use, named) in [(RunOptions.LabUse.auto, true), (.always, false), (.always, true)] {
            let placed = try Placement.decide(all, use: use, kernelsNamed: named, release: "6.1", hasBonding: true)
            #expect(placed.host.isEmpty, "\(use) \(named)")
            #expect(Self.files(placed.lab) == ["a.yaml", "b.yaml"], "\(use) \(named)")
        }
    }

    @Test("never: everything here when the kernel has bonding; bond playbooks without it are an environment error")
    func never() throws {
        let all = [try Sample.plain("a.yaml"), try Sample.bond("b.yaml"), try Sample.bond("c.yaml")]
        let placed = try Placement.decide(all, use: .never, kernelsNamed: false, release: "6.1", hasBonding: true)
        #expect(Self.files(placed.host) == ["a.yaml", "b.yaml", "c.yaml"])
        #expect(placed.lab.isEmpty)
        let error = #expect(throws: OrchestrationError.self) {
            try Placement.decide(all, use: .never, kernelsNamed: false, release: "6.1-x", hasBonding: false)
        }
        #expect(error?.kind == .environment)
        #expect(
            error?.message
                == "kernel 6.1-x has no bonding driver, and b.yaml, c.yaml need bonds; run with --vm auto (the default)"
                + " or --vm always to boot a stock kernel in the kernel lab")
        let one = #expect(throws: OrchestrationError.self) {
            try Placement.decide([all[1]], use: .never, kernelsNamed: false, release: "6.1", hasBonding: false)
        }
        #expect(one?.message.contains("b.yaml needs bonds;") == true, "\(one?.message ?? "")")
        // Just inside: without bond playbooks, never on a kernel without bonding runs here.
        let plain = try Placement.decide([all[0]], use: .never, kernelsNamed: false, release: "6.1", hasBonding: false)
        #expect(Self.files(plain.host) == ["a.yaml"])
    }
}
