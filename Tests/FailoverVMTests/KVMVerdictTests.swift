import Foundation
import Testing

@testable import FailoverVM

@Suite("KVM probe verdict stored in the cache")
struct KVMVerdictTests {
    func stored(_ text: String, host: String = "box 6.1.0") throws -> Accelerator? {
        let path = FileManager.default.temporaryDirectory.path + "/kvm-verdict-test-\(UUID().uuidString)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return KernelLab.storedKVMVerdict(path: path, host: host)
    }

    @Test("a verdict written for this host is read back")
    func roundTrip() throws {
        for verdict in [Accelerator.kvm, .tcg] {
            #expect(try stored(KernelLab.kvmVerdictText(host: "box 6.1.0", verdict: verdict)) == verdict)
        }
    }

    @Test("another host, another host kernel, a malformed or missing file: probe again")
    func notForThisHost() throws {
        let text = KernelLab.kvmVerdictText(host: "box 6.1.0", verdict: .tcg)
        #expect(try stored(text, host: "other 6.1.0") == nil)
        #expect(try stored(text, host: "box 6.12.0") == nil)
        #expect(try stored("host=box 6.1.0\nverdict=auto\n") == nil)
        #expect(try stored("host=box 6.1.0\nverdict=fast\n") == nil)
        #expect(try stored("verdict=tcg\n") == nil)
        #expect(KernelLab.storedKVMVerdict(path: "/nonexistent/kvm-verdict", host: "box 6.1.0") == nil)
    }
}
