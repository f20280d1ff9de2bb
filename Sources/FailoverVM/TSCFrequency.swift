internal import CNetShims
import Foundation
import Glibc

/// The host's TSC frequency, passed to the guest as `tsc_early_khz=` (a microvm under TCG hangs
/// calibrating the TSC without it; TCG's guest TSC runs at the host TSC rate).
public enum TSCFrequency {
    /// Reads the host TSC frequency in kHz, trying in order: `/sys/devices/system/cpu/cpu0/tsc_freq_khz`,
    /// the kernel log (`/dev/kmsg`: "tsc: Refined TSC clocksource calibration" or "tsc: Detected … MHz"),
    /// and `/proc/cpuinfo` "cpu MHz" when the CPU has `constant_tsc`.
    /// - Throws: `VMError` `.invalidRequest` when no source gives a value.
    public static func hostKHz() throws -> Int {
        if let text = try? String(contentsOfFile: "/sys/devices/system/cpu/cpu0/tsc_freq_khz", encoding: .utf8),
            let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value > 0
        {
            return value
        }
        if let value = parseKernelLog(readKernelLog()) { return value }
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8), let value = parseCPUInfo(text) {
            return value
        }
        throw VMError(
            .invalidRequest, operation: "read host TSC frequency",
            object: "tsc_freq_khz, /dev/kmsg, /proc/cpuinfo")
    }

    /// The TSC kHz from kernel log text: the refined calibration wins over the early detection.
    public static func parseKernelLog(_ text: String) -> Int? {
        var detected: Int?
        var refined: Int?
        for line in text.split(separator: "\n") {
            if let range = line.range(of: "tsc: Refined TSC clocksource calibration: ") {
                refined = megahertzToKHz(line[range.upperBound...])
            } else if let range = line.range(of: "tsc: Detected ") {
                detected = megahertzToKHz(line[range.upperBound...])
            }
        }
        return refined ?? detected
    }

    /// The TSC kHz from `/proc/cpuinfo`: the first "cpu MHz", only if the flags include `constant_tsc`.
    public static func parseCPUInfo(_ text: String) -> Int? {
        var megahertz: Int?
        var constant = false
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if key == "cpu MHz", megahertz == nil {
                megahertz = megahertzToKHz(parts[1])
            } else if key == "flags" {
                constant = parts[1].split(separator: " ").contains("constant_tsc")
            }
            if megahertz != nil, key == "flags" { break }
        }
        return constant ? megahertz : nil
    }

    /// "2445.404 MHz processor" → 2445404.
    static func megahertzToKHz(_ text: Substring) -> Int? {
        let number = text.trimmingCharacters(in: .whitespaces).prefix(while: { $0.isNumber || $0 == "." })
        let pieces = number.split(separator: ".", omittingEmptySubsequences: false)
        guard let whole = pieces.first.flatMap({ Int($0) }) else { return nil }
        var fraction = pieces.count > 1 ? String(pieces[1].prefix(3)) : ""
        while fraction.count < 3 { fraction += "0" }
        guard let thousandths = Int(fraction) else { return nil }
        let value = whole * 1000 + thousandths
        return value > 0 ? value : nil
    }

    /// Reads the kernel ring buffer from `/dev/kmsg` without blocking (empty when not permitted).
    static func readKernelLog() -> String {
        let fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                let record = String(decoding: buffer[0..<count], as: UTF8.self)
                // "6,123,456,-;message\n continuation…": keep the message after the first ';'.
                if let semicolon = record.firstIndex(of: ";") {
                    text += record[record.index(after: semicolon)...].prefix(while: { $0 != "\n" }) + "\n"
                }
            } else if count < 0, errno == EPIPE || errno == EINTR {
                continue  // EPIPE: a record was overwritten while reading; go on with the next.
            } else {
                break  // EAGAIN (end of buffer) or another error.
            }
        }
        return text
    }
}

/// The guest kernel command line.
public enum KernelCommandLine {
    /// Boot-time work the lab never needs, skipped because it is slow under TCG (measured with
    /// `initcall_debug` on Debian 6.1 and 6.12): the crypto self-tests (`cryptomgr.notests`; 0.2–0.45 s),
    /// kprobe-event and trace eval-map set-up, the BPF TCP-congestion and dummy struct_ops kfunc
    /// registrations, the jitter-entropy RNG self-test and the KDF108 self-test (together 0.3–0.7 s).
    /// Boot to first command went from 4.8 to 3.9 s (6.1) and 5.8 to 4.5 s (6.12). Names a kernel does
    /// not have are ignored by it.
    public static let skippedBootWork = [
        "cryptomgr.notests",
        "initcall_blacklist=init_kprobe_trace,trace_eval_init,bpf_tcp_ca_kfunc_init,bpf_dummy_struct_ops_init,"
            + "jent_mod_init,crypto_kdf108_init",
    ]

    /// The parameters for a run.
    /// - Parameters:
    ///   - tscKHz: The host TSC frequency (`tsc_early_khz=`), needed under TCG; `nil` to omit.
    ///   - cpus: `tsc=reliable` is added for 2 or more (else CLOCK_MONOTONIC falls back to 4 ms steps).
    ///   - probe: Adds `fo.probe=1`: the init prints a marker and exits at once.
    public static func parameters(tscKHz: Int?, cpus: Int, probe: Bool = false) -> [String] {
        var parameters = [
            "console=ttyS0", "quiet", "loglevel=1", "panic=-1", "reboot=t", "nokaslr", "mitigations=off",
            "i8042.noaux", "i8042.nomux", "i8042.nopnp", "i8042.dumbkbd", "rdinit=/init",
        ]
        parameters += skippedBootWork
        if let tscKHz { parameters.append("tsc_early_khz=\(tscKHz)") }
        if cpus >= 2 { parameters.append("tsc=reliable") }
        if probe { parameters.append("fo.probe=1") }
        return parameters
    }
}
