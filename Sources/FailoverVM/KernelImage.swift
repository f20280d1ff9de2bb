/// A bootable kernel on the host: its compressed image, release, and module tree.
public struct KernelImage: Sendable, Equatable {
    /// Path of the compressed kernel (`/boot/vmlinuz-<release>`, a bzImage).
    public var vmlinuzPath: String
    /// The kernel release (`uname -r` inside the guest), e.g. `6.1.0-56-amd64`.
    public var release: String
    /// The module tree of that release, e.g. `/lib/modules/6.1.0-56-amd64`.
    public var modulesPath: String

    /// Creates a kernel description; see `KernelLocator` to find and validate one.
    public init(vmlinuzPath: String, release: String, modulesPath: String) {
        self.vmlinuzPath = vmlinuzPath
        self.release = release
        self.modulesPath = modulesPath
    }
}

/// The qemu accelerator.
public enum Accelerator: String, Sendable, Equatable, CaseIterable {
    /// Probe KVM once per process with a short timeout; fall back to TCG.
    case auto
    /// Hardware virtualisation (`-accel kvm -cpu host`).
    case kvm
    /// Software emulation (`-accel tcg -cpu max`).
    case tcg
}
