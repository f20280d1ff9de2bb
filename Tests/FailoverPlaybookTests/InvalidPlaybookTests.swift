import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Foundation
import Testing

/// Every `Fixtures/invalid/NAME.yaml` is paired with `NAME.expected`: one diagnostic per line,
/// `line:column: severity: message`, in file order. Errors make the load throw; a fixture with
/// only warnings loads and its warnings are compared.
@Suite("Invalid playbooks report every problem with its location")
struct InvalidPlaybookTests {
    static let cases: [String] = Fixtures.files(
        in: Fixtures.fixtures.appendingPathComponent("invalid"), extension: "yaml"
    )
    .map { $0.deletingPathExtension().lastPathComponent }

    @Test("the corpus is large enough")
    func corpusSize() {
        #expect(Self.cases.count >= 25)
    }

    @Test("diagnostics match the expected file", arguments: cases)
    func diagnostics(name: String) throws {
        let directory = Fixtures.fixtures.appendingPathComponent("invalid")
        let yaml = try Fixtures.read(directory.appendingPathComponent("\(name).yaml"))
        var diagnostics: [Diagnostic] = []
        var threw = false
        do {
            diagnostics = try PlaybookLoader.load(yaml: yaml, file: "\(name).yaml").warnings
        } catch let error as PlaybookError {
            threw = true
            diagnostics = error.diagnostics
        }
        let actual = diagnostics.map {
            "\($0.location.line):\($0.location.column): \($0.severity.rawValue): \($0.message)"
        }
        let expectedURL = directory.appendingPathComponent("\(name).expected")
        if Fixtures.updating {
            try (actual.joined(separator: "\n") + "\n").write(to: expectedURL, atomically: true, encoding: .utf8)
        }
        let expected = try Fixtures.read(expectedURL).split(separator: "\n").map(String.init)
        #expect(actual == expected)
        #expect(!actual.isEmpty, "an invalid fixture must produce diagnostics")
        // Errors must make the load fail; warnings alone must not.
        #expect(threw == expected.contains { $0.contains(": error: ") })
        for diagnostic in diagnostics { #expect(diagnostic.description.hasPrefix("\(name).yaml:")) }
    }
}
