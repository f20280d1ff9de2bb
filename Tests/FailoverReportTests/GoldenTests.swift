import FailoverModel
import FailoverReport
import Foundation
import Testing

/// Compares every renderer's output for each fixture with the committed file in
/// `Fixtures/Expected/`. Regenerate with `FAILOVER_UPDATE_GOLDEN=1 swift test --filter FailoverReportTests`.
@Suite("Golden report files")
struct GoldenTests {
    static let expectedDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Expected")

    static var updating: Bool { ProcessInfo.processInfo.environment["FAILOVER_UPDATE_GOLDEN"] == "1" }

    enum Format: String, CaseIterable, CustomStringConvertible {
        case json, junit, summary, summaryColor, html

        var fileExtension: String {
            switch self {
            case .json: "json"
            case .junit: "junit.xml"
            case .summary: "summary.txt"
            case .summaryColor: "summary-color.txt"
            case .html: "html"
            }
        }

        func render(_ runs: [RunRecord]) throws -> String {
            switch self {
            case .json: try JSONReport.render(runs)
            case .junit: JUnitReport.render(runs)
            case .summary: ConsoleSummary.render(runs, color: false)
            case .summaryColor: ConsoleSummary.render(runs, color: true)
            case .html: HTMLReport.render(runs)
            }
        }

        var description: String { rawValue }
    }

    static var cases: [(String, Format)] {
        ReportFixtures.all.flatMap { fixture in Format.allCases.map { (fixture.name, $0) } }
    }

    @Test("rendered output matches the golden file", arguments: cases)
    func matchesGolden(fixture: String, format: Format) throws {
        let runs = try #require(ReportFixtures.all.first { $0.name == fixture }?.runs)
        let rendered = try format.render(runs)
        let file = Self.expectedDirectory.appendingPathComponent("\(fixture).\(format.fileExtension)")
        if Self.updating {
            try FileManager.default.createDirectory(at: Self.expectedDirectory, withIntermediateDirectories: true)
            try Data(rendered.utf8).write(to: file, options: .atomic)
        }
        let expected = try String(decoding: Data(contentsOf: file), as: UTF8.self)
        #expect(
            rendered == expected,
            "\(file.lastPathComponent) differs; rerun with FAILOVER_UPDATE_GOLDEN=1 and review the diff")
    }

    @Test("rendering is deterministic")
    func deterministic() throws {
        for fixture in ReportFixtures.all {
            for format in Format.allCases {
                #expect(try format.render(fixture.runs) == format.render(fixture.runs))
            }
        }
    }
}
