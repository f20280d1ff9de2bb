import FailoverCore
import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Foundation
import Testing

/// One interpreter of the topology: for every shipped playbook, the operations the backend
/// executed (its ledger, reported as each playbook's `operations` in report.json) are the
/// operations the run plan lists, in order. Host playbooks run on the host kernel, bond
/// playbooks in the kernel lab (`--vm auto`), as `make run` runs them.
@Suite(
    "plan equals execution", .serialized,
    .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct PlanExecutionTests {
    /// Every shipped playbook, except the deliberately wrong ones (they stop at a failed step) and
    /// `Playbooks/extended/` (out of `make run`: minutes long, or not yet trusted; see each file).
    static func shippedPlaybooks() throws -> [String] {
        let root = FailoverBinary.repository + "/Playbooks"
        return try FileManager.default.subpathsOfDirectory(atPath: root)
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("wrong/") && !$0.hasPrefix("extended/") }
            .map { "Playbooks/" + $0 }.sorted()
    }

    /// For each playbook record of a `--json` report: playbook name → (verdict, executed operations).
    /// The name, not the file: the instances of a `matrix:` file share it.
    static func executed(_ stdout: String) throws -> [String: (verdict: String, message: String, operations: [String]?)]
    {
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "\(stdout)")
        let runs = try #require(json["runs"] as? [[String: Any]])
        var result: [String: (verdict: String, message: String, operations: [String]?)] = [:]
        for run in runs {
            for playbook in (run["playbooks"] as? [[String: Any]]) ?? [] {
                let name = try #require(playbook["name"] as? String)
                #expect(result[name] == nil, "two records named \(name)")
                result[name] = (
                    playbook["verdict"] as? String ?? "?", playbook["message"] as? String ?? "",
                    playbook["operations"] as? [String]
                )
            }
        }
        return result
    }

    /// The operations the plan of `file` lists for run `runID`, as a passing run executes them:
    /// the operation of a `set` with `expect_error` is refused by the kernel (the step passes only
    /// then), so it changes nothing and is not in the ledger.
    static func planned(_ playbook: Playbook, runID: String) -> [String] {
        let plan = RunPlanCompiler.compile(playbook, names: RunNames(runID: runID))
        let steps = plan.steps.flatMap { step -> [PlannedOperation] in
            if case .set(_, _, _, _?) = step.action { return [] }
            return step.operations
        }
        return (plan.buildOperations + steps).map(\.description)
    }

    /// Compares plan and execution for `files`; a playbook with no recorded operations is an error.
    static func expectPlanEqualsExecution(_ files: [String], stdout: String, runID: String) throws {
        let records = try executed(stdout)
        // Every instance of every file (a `matrix:` file has several).
        let playbooks = try files.flatMap { file in
            try PlaybookLoader.loadInstances(contentsOf: FailoverBinary.repository + "/" + file).map(\.playbook)
        }
        #expect(Set(records.keys) == Set(playbooks.map(\.name)), "\(records.keys.sorted())")
        for playbook in playbooks {
            let file = playbook.name
            let record = try #require(records[file], "no record of \(file)")
            #expect(record.verdict == "passed", "\(file): \(record.verdict): \(record.message)")
            let operations = try #require(record.operations, "\(file): no executed operations recorded")
            let plan = planned(playbook, runID: runID)
            #expect(!plan.isEmpty)
            let firstDifference = zip(plan, operations).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(
                operations == plan,
                """
                \(file): \(operations.count) executed, \(plan.count) planned; first difference at \
                \(firstDifference.map { "\($0.offset): plan '\($0.element.0)', executed '\($0.element.1)'" } ?? "the end")
                """)
        }
    }

    @Test("host playbooks: the executed operations are the planned ones, in order", .timeLimit(.minutes(3)))
    func hostPlaybooks() throws {
        let files = try Self.shippedPlaybooks().filter { $0.hasPrefix("Playbooks/host/") }
        #expect(files.count >= 3)
        let results = try FailoverBinary.scratch()
        let result = try FailoverBinary.run(
            ["run", "--vm", "never", "--run-id", "0e9e01", "--results", results, "--json"] + files)
        #expect(result.status == 0, "\(result.stderr)")
        try Self.expectPlanEqualsExecution(files, stdout: result.stdout, runID: "0e9e01")
    }

    /// Boots the kernel lab once for the bond playbooks.
    @Test(
        "every shipped playbook (bond ones in the kernel lab): the executed operations are the planned ones",
        .timeLimit(.minutes(10)))
    func everyShippedPlaybook() throws {
        let files = try Self.shippedPlaybooks()
        // 15 files since the seven mode playbooks became one matrix file (7 instances).
        #expect(files.count >= 15)
        let results = try FailoverBinary.scratch()
        let temporary = try FailoverBinary.scratch()
        let result = try FailoverBinary.run(
            ["run", "--vm", "auto", "--run-id", "0e9e02", "--results", results, "--json"] + files,
            environment: ["TMPDIR": temporary])
        #expect(result.status == 0, "\(result.stderr)")
        try Self.expectPlanEqualsExecution(files, stdout: result.stdout, runID: "0e9e02")
    }
}
