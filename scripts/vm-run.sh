#!/usr/bin/env bash
# Run one command inside the kernel lab VM (stock kernel, qemu microvm, host / shared read-only).
#
#   scripts/vm-run.sh [--tcg|--kvm|--auto] [--timeout SECONDS] [--rw DIR]... [--cwd DIR]
#                     [--env NAME=VALUE]... [--kernel /boot/vmlinuz-X] [--cpus N] [--memory MIB] -- CMD ARGS...
#
# CMD must be an absolute path (the guest sees the host's / read-only; its /tmp, /run, /var/tmp are
# fresh tmpfs, so put programs and data elsewhere or share a directory with --rw). Guest stdout goes to
# stdout, guest stderr to stderr; the script exits with the guest command's exit code (124 on timeout,
# 70 on a kernel-lab failure). Default accelerator: --auto (KVM probe, TCG fallback).
#
# It builds a tiny runner package (only FailoverVM + swift-log, so other modules' state does not matter)
# under ${FAILOVER_VM_RUNNER_DIR:-/var/cache/failover/vm-runner}, with Sources/FailoverVM symlinked.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg=${FAILOVER_VM_RUNNER_DIR:-${XDG_CACHE_HOME:-/var/cache}/failover/vm-runner}
mkdir -p "$pkg/Sources/vmrun"
ln -sfn "$repo/Sources/FailoverVM" "$pkg/Sources/FailoverVM"

write_if_changed() { # path; content on stdin
    local tmp
    tmp=$(mktemp "$1.XXXXXX")
    cat >"$tmp"
    if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

write_if_changed "$pkg/Package.swift" <<'EOF'
// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "vmrun",
    dependencies: [.package(url: "https://github.com/apple/swift-log", from: "1.16.2")],
    targets: [
        .target(name: "FailoverVM", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "vmrun", dependencies: ["FailoverVM", .product(name: "Logging", package: "swift-log")]),
    ]
)
EOF

write_if_changed "$pkg/Sources/vmrun/main.swift" <<'EOF'
import FailoverVM
import Foundation
import Logging

func fail(_ message: String, code: Int32 = 64) -> Never {
    FileHandle.standardError.write(Data("vm-run: \(message)\n".utf8))
    exit(code)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var accelerator = Accelerator.auto
var timeout = 300
var writable: [String] = []
var cwd = "/"
var environment: [String: String] = ["TERM": "dumb", "HOME": "/root"]
var kernelPath: String?
var cpus = 1
var memory = 512
@MainActor func value(_ option: String) -> String {
    guard !arguments.isEmpty else { fail("\(option) needs a value") }
    return arguments.removeFirst()
}
parsing: while let option = arguments.first {
    arguments.removeFirst()
    switch option {
    case "--tcg": accelerator = .tcg
    case "--kvm": accelerator = .kvm
    case "--auto": accelerator = .auto
    case "--timeout": timeout = Int(value(option)) ?? 300
    case "--rw": writable.append(value(option))
    case "--cwd": cwd = value(option)
    case "--kernel": kernelPath = value(option)
    case "--cpus": cpus = Int(value(option)) ?? 1
    case "--memory": memory = Int(value(option)) ?? 512
    case "--env":
        let pair = value(option).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        environment[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
    case "--": break parsing
    default:
        arguments.insert(option, at: 0)
        break parsing
    }
}
guard !arguments.isEmpty else { fail("usage: vm-run.sh [options] -- /abs/cmd args...") }
var logger = Logger(label: "vm-run")
logger.logLevel = ProcessInfo.processInfo.environment["FAILOVER_VM_DEBUG"] == nil ? .warning : .debug
do {
    let kernel = try kernelPath.map { try KernelLocator.kernel(at: $0) } ?? KernelLocator.defaultKernel()
    let result = try await KernelLab(logger: logger).run(
        VMRunRequest(
            kernel: kernel, argv: arguments, environment: environment, workingDirectory: cwd,
            writableDirectories: writable, timeout: .seconds(timeout), accelerator: accelerator, memoryMiB: memory,
            cpus: cpus),
        lines: { line in
        let handle = line.stream == .stdout ? FileHandle.standardOutput : FileHandle.standardError
        handle.write(Data((line.text + "\n").utf8))
    })
    FileHandle.standardError.write(
        Data(
            "vm-run: exit \(result.exitCode), \(result.accelerator), kernel \(result.kernelRelease), boot→command \(result.bootToCommand), total \(result.total)\n"
                .utf8))
    exit(result.exitCode)
} catch let error as VMError {
    fail(error.description, code: error.code == .timedOut ? 124 : 70)
} catch {
    fail("\(error)", code: 70)
}
EOF

swift build --package-path "$pkg" --product vmrun -q 1>&2
exec "$pkg/.build/debug/vmrun" "$@"
