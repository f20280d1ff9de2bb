internal import CNetShims
import Foundation

/// The dependency graph of a kernel's modules, from `modules.dep`.
public struct ModuleDependencies: Sendable, Equatable {
    /// Module file path (relative to the modules directory) by normalised module name.
    public private(set) var paths: [String: String] = [:]
    /// Direct dependencies (normalised names) by normalised module name.
    public private(set) var dependencies: [String: [String]] = [:]

    /// Parses `modules.dep` text (`kernel/a.ko: kernel/b.ko kernel/c.ko`).
    public init(modulesDep text: String) {
        for rawLine in text.split(separator: "\n") {
            guard let colon = rawLine.firstIndex(of: ":") else { continue }
            let path = rawLine[..<colon].trimmingCharacters(in: " \t")
            guard !path.isEmpty else { continue }
            let name = Self.moduleName(ofPath: path)
            paths[name] = path
            dependencies[name] = rawLine[rawLine.index(after: colon)...].split(separator: " ")
                .map { Self.moduleName(ofPath: String($0)) }
        }
    }

    /// The normalised module name of a path: basename, without `.ko[.xz|.zst|.gz]`, `-` as `_`.
    public static func moduleName(ofPath path: String) -> String {
        var base = Substring(path.split(separator: "/").last ?? Substring(path))
        for suffix in [".xz", ".zst", ".gz"] where base.hasSuffix(suffix) { base = base.dropLast(suffix.count) }
        if base.hasSuffix(".ko") { base = base.dropLast(3) }
        return base.replacingOccurrences(of: "-", with: "_")
    }

    /// The module paths to load, dependencies first, each once, for the requested modules.
    /// - Parameters:
    ///   - modules: Module names (e.g. `9p`, `virtio_mmio`).
    ///   - builtin: Names of built-in modules (from `modules.builtin`); those are skipped.
    /// - Returns: Paths relative to the modules directory.
    /// - Throws: `VMError` `.moduleMissing` naming the first module neither in `modules.dep` nor built in.
    public func loadOrder(for modules: [String], builtin: Set<String> = []) throws -> [String] {
        var order: [String] = []
        var visited: Set<String> = []
        func visit(_ raw: String, chain: [String]) throws {
            let name = raw.replacingOccurrences(of: "-", with: "_")
            guard !visited.contains(name) else { return }
            visited.insert(name)
            guard let path = paths[name] else {
                if builtin.contains(name) { return }
                throw VMError(
                    .moduleMissing, operation: "resolve modules (\((chain + [name]).joined(separator: " -> ")))",
                    object: name)
            }
            for dependency in dependencies[name] ?? [] { try visit(dependency, chain: chain + [name]) }
            order.append(path)
        }
        for module in modules { try visit(module, chain: []) }
        return order
    }

    /// Parses `modules.builtin` (one path per line) into normalised names.
    public static func builtinNames(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").map { moduleName(ofPath: String($0)) })
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        String(
            self.drop(while: { characters.contains($0) }).reversed().drop(while: { characters.contains($0) }).reversed()
        )
    }
}
