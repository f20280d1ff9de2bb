import FailoverModel
public import FailoverNetlink
import Foundation

/// One directory per run under a results root, and a `latest` symlink to the newest.
public struct ResultsDirectory: Sendable {
    /// File names written by `write`.
    public static let jsonName = "report.json"
    public static let junitName = "junit.xml"
    public static let summaryName = "summary.txt"
    public static let htmlName = "report.html"
    public static let latestName = "latest"

    /// `<UTC yyyyMMdd-HHmmss>-<runID>`.
    public static func directoryName(runID: String, date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String {
            let number = value ?? 0
            return number < 10 ? "0\(number)" : "\(number)"
        }
        return "\(parts.year ?? 0)\(two(parts.month))\(two(parts.day))-\(two(parts.hour))\(two(parts.minute))"
            + "\(two(parts.second))-\(runID)"
    }

    /// The results root, opened once (its last component must not be a symlink).
    public let root: SafeDirectory
    /// The run's directory `<root>/<UTC yyyyMMdd-HHmmss>-<runID>/`, opened once: every file of the
    /// run is written relative to it.
    public let run: SafeDirectory
    /// The run directory's name (what `latest` points at).
    public let name: String
    /// The run directory's path (for messages and the console).
    public var path: String { run.path }

    /// Opens (creating when needed) `root` and the run directory `<root>/<UTC
    /// yyyyMMdd-HHmmss>-<runID>/`; an existing run directory is reused. Refused: a root or run
    /// directory that is a symlink, a run ID that is not one path component.
    /// - Throws: `ReportError` (operation `create directory` or `open directory`).
    public static func open(root: String, runID: String, date: Date) throws(ReportError) -> ResultsDirectory {
        guard !runID.isEmpty, !runID.contains("/"), runID != ".", runID != ".." else {
            throw ReportError(
                operation: "create directory", path: root, errno: nil, detail: "invalid run ID '\(runID)'")
        }
        let name = directoryName(runID: runID, date: date)
        do {
            let rootDirectory = try SafeDirectory.create(root)
            return ResultsDirectory(root: rootDirectory, run: try rootDirectory.subdirectory(name), name: name)
        } catch {
            throw ReportError(error)
        }
    }

    /// Creates `<root>/<UTC yyyyMMdd-HHmmss>-<runID>/` (and `root` if needed); an existing
    /// directory is reused. Returns the directory path.
    /// - Throws: `ReportError` (operation `create directory`) when the directory cannot be made
    ///   or `runID` would escape the root.
    public static func create(root: String, runID: String, date: Date) throws(ReportError) -> String {
        try open(root: root, runID: runID, date: date).path
    }

    /// Writes `report.json`, `junit.xml`, `summary.txt` and `report.html` into the run directory
    /// (new files only: an entry of that name, file or symlink, is an error and is left alone) and
    /// points `<root>/latest` (a relative symlink) at it atomically (a symlink under a temporary
    /// name, then rename(2) over `latest`; a `latest` that is not a symlink is left alone and is an
    /// error). Returns the directory path.
    /// - Throws: `ReportError` with operation `encode JSON`, `create file`, `write file` or
    ///   `link` (with errno).
    /// - Parameter baseDirectory: what the JUnit classnames are relative to (the invocation's
    ///   working directory); see `JUnitReport.render(_:baseDirectory:)`.
    public func write(_ runs: [RunRecord], baseDirectory: String? = nil) throws(ReportError) -> String {
        let json: String
        do {
            json = try JSONReport.render(runs)
        } catch let error as ReportError {
            throw error
        } catch {
            throw ReportError(operation: "encode JSON", path: nil, errno: nil, detail: "\(error)")
        }
        let files: [(String, String)] = [
            (Self.jsonName, json),
            (Self.junitName, JUnitReport.render(runs, baseDirectory: baseDirectory)),
            (Self.summaryName, ConsoleSummary.render(runs, color: false)),
            (Self.htmlName, HTMLReport.render(runs)),
        ]
        do {
            for (file, content) in files {
                try run.createFile(file, contents: Array(content.utf8))
            }
            try root.replaceSymlink(Self.latestName, target: name)
        } catch {
            throw ReportError(error)
        }
        return path
    }

    /// `open(root:runID:date:)` then `write(_:)`. Returns the directory path.
    public static func write(
        _ runs: [RunRecord], root: String, runID: String, date: Date, baseDirectory: String? = nil
    ) throws(ReportError) -> String {
        try open(root: root, runID: runID, date: date).write(runs, baseDirectory: baseDirectory)
    }
}

extension ReportError {
    /// The same failure, as a report error.
    public init(_ error: SafeDirectoryError) {
        self.init(operation: error.operation, path: error.path, errno: error.errno, detail: error.detail)
    }
}
