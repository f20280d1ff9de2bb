import Foundation

/// Paths of test fixtures and of the repository, found from this file's location.
enum Fixtures {
    static let testsDirectory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let playbooks = repository.appendingPathComponent("Playbooks")

    /// Set FAILOVER_UPDATE_GOLDEN=1 to rewrite expected files from the current output.
    static var updating: Bool { ProcessInfo.processInfo.environment["FAILOVER_UPDATE_GOLDEN"] == "1" }

    static func files(in directory: URL, extension ext: String) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            return []
        }
        return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == ext }
            .sorted { $0.path < $1.path }
    }

    static func read(_ url: URL) throws -> String {
        String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }
}
