import FailoverFamilies
import FailoverPlaybook

/// Tests load playbooks as `failover` does: with the standard families.
extension PlaybookLoader {
    static func load(contentsOf path: String) throws -> LoadedPlaybook {
        try load(contentsOf: path, registry: StandardFamilies.decoding)
    }

    static func loadInstances(contentsOf path: String) throws -> [LoadedPlaybook] {
        try loadInstances(contentsOf: path, registry: StandardFamilies.decoding)
    }

    static func load(yaml: String, file: String) throws -> LoadedPlaybook {
        try load(yaml: yaml, file: file, registry: StandardFamilies.decoding)
    }

    static func loadInstances(yaml: String, file: String) throws -> [LoadedPlaybook] {
        try loadInstances(yaml: yaml, file: file, registry: StandardFamilies.decoding)
    }
}
