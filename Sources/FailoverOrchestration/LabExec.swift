import FailoverVM
import Foundation
import Logging

/// What `failover lab-exec` runs in the kernel lab.
public struct LabExecOptions: Sendable {
    /// The command and its arguments, the program already resolved (`LabExecOrchestrator.resolve`).
    public var argv: [String]
    public var environment: [String: String]
    /// Kernel image; nil: the newest /boot/vmlinuz-* with modules.
    public var kernel: String?
    /// Host directories shared writable at the same path.
    public var writableDirectories: [String] = []
    public var accelerator: Accelerator = .auto
    public var timeout: Duration = .seconds(1800)

    public init(argv: [String], environment: [String: String]) {
        self.argv = argv
        self.environment = environment
    }
}

/// `failover lab-exec`: runs one command on a stock kernel in the kernel lab (the same VM `run`
/// uses), its stdout and stderr passed through.
public struct LabExecOrchestrator: Sendable {
    public let options: LabExecOptions
    public let logger: Logger

    public init(options: LabExecOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// The environment of the command before `--env` items: a minimal PATH.
    public static let baseEnvironment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]

    /// `argv` with its program resolved like a shell would: relative to `cwd` when it holds a `/`,
    /// else on `searchPath` (colon-separated).
    /// - Throws: `OrchestrationError.usage` when the program is not found on the path.
    public static func resolve(
        _ argv: [String], cwd: String,
        searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
    ) throws -> [String] {
        guard let program = argv.first, !program.hasPrefix("/") else { return argv }
        var resolved = argv
        if program.contains("/") {
            resolved[0] = absolute(program, cwd: cwd)
        } else if let found = findOnPath(program, searchPath: searchPath) {
            resolved[0] = found
        } else {
            throw OrchestrationError(.usage, "\(program): not found on PATH")
        }
        return resolved
    }

    /// The first executable `name` in the directories of `searchPath`.
    static func findOnPath(_ name: String, searchPath: String) -> String? {
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs the command in the VM; returns its exit status.
    /// - Throws: `OrchestrationError.environment` when the kernel cannot be found or the VM failed.
    public func run() async throws -> Int32 {
        let cwd = FileManager.default.currentDirectoryPath
        let image: KernelImage
        do {
            image = try options.kernel.map { try KernelLocator.kernel(at: $0) } ?? KernelLocator.defaultKernel()
        } catch {
            throw OrchestrationError(.environment, "kernel lab: \(KernelLocator.message(for: error))")
        }
        let request = VMRunRequest(
            kernel: image, argv: options.argv, environment: options.environment, workingDirectory: cwd,
            writableDirectories: options.writableDirectories.map { absolute($0, cwd: cwd) },
            timeout: options.timeout, accelerator: options.accelerator)
        let result: VMRunResult
        do {
            result = try await KernelLab(logger: logger).run(request) { line in
                switch line.stream {
                case .stdout: printOut(line.text + "\n")
                case .stderr: printError(line.text)
                }
            }
        } catch {
            throw OrchestrationError(.environment, "kernel lab (\(image.release)): \(error)")
        }
        logger.info(
            "kernel lab done",
            metadata: [
                "kernel": "\(result.kernelRelease)", "accelerator": "\(result.accelerator.rawValue)",
                "boot": "\(seconds(result.bootToCommand))", "total": "\(seconds(result.total))",
            ])
        return result.exitCode
    }
}
