import FailoverModel
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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

    /// Creates `<root>/<UTC yyyyMMdd-HHmmss>-<runID>/` (and `root` if needed); an existing
    /// directory is reused. Returns the directory path.
    /// - Throws: `ReportError` (operation `create directory`) when the directory cannot be made
    ///   or `runID` would escape the root.
    public static func create(root: String, runID: String, date: Date) throws -> String {
        guard !runID.isEmpty, !runID.contains("/"), runID != ".", runID != ".." else {
            throw ReportError(
                operation: "create directory", path: root, errno: nil, detail: "invalid run ID '\(runID)'")
        }
        let path = (root as NSString).appendingPathComponent(directoryName(runID: runID, date: date))
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ReportError(operation: "create directory", path: path, errno: nil, detail: "\(error)")
        }
        return path
    }

    /// Creates the run directory, writes `report.json`, `junit.xml`, `summary.txt` and
    /// `report.html` into it, and points `<root>/latest` (a relative symlink) at it atomically
    /// (a symlink under a temporary name, then rename(2) over `latest`). Returns the directory path.
    /// - Throws: `ReportError` with operation `create directory`, `encode JSON`, `write file`
    ///   or `link latest` (with errno).
    public static func write(_ runs: [RunRecord], root: String, runID: String, date: Date) throws -> String {
        let path = try create(root: root, runID: runID, date: date)
        let files: [(String, String)] = [
            (jsonName, try JSONReport.render(runs)),
            (junitName, JUnitReport.render(runs)),
            (summaryName, ConsoleSummary.render(runs, color: false)),
            (htmlName, HTMLReport.render(runs)),
        ]
        for (name, content) in files {
            let file = (path as NSString).appendingPathComponent(name)
            do {
                try Data(content.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
            } catch {
                throw ReportError(operation: "write file", path: file, errno: nil, detail: "\(error)")
            }
        }
        try pointLatest(root: root, at: (path as NSString).lastPathComponent)
        return path
    }

    /// Points `<root>/latest` at `name` (relative), replacing any previous link atomically.
    static func pointLatest(root: String, at name: String) throws {
        let latest = (root as NSString).appendingPathComponent(latestName)
        let temporary = (root as NSString).appendingPathComponent(".\(latestName).tmp-\(getpid())-\(name)")
        _ = unlink(temporary)
        guard symlink(name, temporary) == 0 else {
            let code = errno
            throw ReportError(
                operation: "link latest", path: temporary, errno: code,
                detail: "symlink to \(name) failed: \(String(decoding: strerrorBytes(code), as: UTF8.self))")
        }
        guard rename(temporary, latest) == 0 else {
            let code = errno
            _ = unlink(temporary)
            throw ReportError(
                operation: "link latest", path: latest, errno: code,
                detail: "rename over \(latestName) failed: \(String(decoding: strerrorBytes(code), as: UTF8.self))")
        }
    }

    private static func strerrorBytes(_ code: Int32) -> [UInt8] {
        guard let pointer = strerror(code) else { return Array("errno \(code)".utf8) }
        var bytes: [UInt8] = []
        var cursor = pointer
        while cursor.pointee != 0 {
            bytes.append(UInt8(bitPattern: cursor.pointee))
            cursor += 1
        }
        return bytes
    }
}
