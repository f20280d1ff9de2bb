/// The qemu command line for a microvm boot of an uncompressed `vmlinux` (PVH entry).
public struct QEMUCommand: Sendable, Equatable {
    /// The qemu binary.
    public var executable: String = "/usr/bin/qemu-system-x86_64"
    /// The uncompressed kernel.
    public var vmlinuxPath: String
    /// The initramfs (newc cpio).
    public var initramfsPath: String
    /// Kernel parameters.
    public var kernelParameters: [String]
    /// `.kvm` or `.tcg` (`.auto` must be resolved first; it is treated as `.tcg`).
    public var accelerator: Accelerator
    /// Guest memory.
    public var memoryMiB: Int = 512
    /// Guest CPUs.
    public var cpus: Int = 1
    /// The per-run job directory shared read-write as `fo_job`; `nil` for a probe boot.
    public var jobDirectory: String?
    /// Writable shares: 9p tag and host path.
    public var writableShares: [WritableShare] = []
    /// The inherited file descriptor that receives the second serial port (guest stderr); `nil` for none.
    public var guestStderrDescriptor: Int32? = 3

    /// A host directory shared read-write with the guest.
    public struct WritableShare: Sendable, Equatable {
        /// The 9p mount tag.
        public var tag: String
        /// The host (and guest) path.
        public var path: String

        /// Creates a share.
        public init(tag: String, path: String) {
            self.tag = tag
            self.path = path
        }
    }

    /// Creates a command.
    public init(
        vmlinuxPath: String, initramfsPath: String, kernelParameters: [String], accelerator: Accelerator,
        memoryMiB: Int = 512, cpus: Int = 1, jobDirectory: String? = nil, writableShares: [WritableShare] = []
    ) {
        self.vmlinuxPath = vmlinuxPath
        self.initramfsPath = initramfsPath
        self.kernelParameters = kernelParameters
        self.accelerator = accelerator
        self.memoryMiB = memoryMiB
        self.cpus = cpus
        self.jobDirectory = jobDirectory
        self.writableShares = writableShares
    }

    /// The full argv, `argv[0]` being the executable.
    public var argv: [String] {
        var args = [
            executable,
            "-machine", "microvm,x-option-roms=off,pit=off,pic=off,rtc=on,isa-serial=on",
            "-no-reboot", "-nodefaults", "-no-user-config", "-display", "none",
            "-m", "\(memoryMiB)", "-smp", "\(cpus)",
        ]
        switch accelerator {
        case .kvm: args += ["-accel", "kvm", "-cpu", "host"]
        case .tcg, .auto: args += ["-accel", "tcg", "-cpu", "max"]
        }
        args += ["-chardev", "stdio,id=fo_con,signal=off", "-serial", "chardev:fo_con"]
        if let fd = guestStderrDescriptor {
            args += [
                "-chardev", "file,id=fo_err,path=/dev/fd/\(fd)",
                "-device", "isa-serial,chardev=fo_err,iobase=0x2f8,irq=3",
            ]
        }
        args += [
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", vmlinuxPath, "-initrd", initramfsPath,
            "-append", kernelParameters.joined(separator: " "),
            "-fsdev", "local,id=fo_root,path=/,security_model=none,readonly=on,multidevs=remap",
            "-device", "virtio-9p-device,fsdev=fo_root,mount_tag=\(GuestScripts.rootTag)",
        ]
        var shares: [WritableShare] = []
        if let jobDirectory { shares.append(WritableShare(tag: GuestScripts.jobTag, path: jobDirectory)) }
        shares += writableShares
        for share in shares {
            args += [
                "-fsdev", "local,id=\(share.tag),path=\(Self.escapeOptionValue(share.path)),security_model=none",
                "-device", "virtio-9p-device,fsdev=\(share.tag),mount_tag=\(share.tag)",
            ]
        }
        return args
    }

    /// Escapes a value for a qemu `key=value,…` option list (`,` becomes `,,`).
    public static func escapeOptionValue(_ value: String) -> String {
        value.split(separator: ",", omittingEmptySubsequences: false).joined(separator: ",,")
    }
}
