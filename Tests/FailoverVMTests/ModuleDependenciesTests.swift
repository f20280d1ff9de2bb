import Testing

@testable import FailoverVM

@Suite("modules.dep ordering")
struct ModuleDependenciesTests {
    static let sample = """
        kernel/fs/netfs/netfs.ko:
        kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
        kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
        kernel/drivers/virtio/virtio_ring.ko:
        kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
        kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
        kernel/net/9p/9pnet.ko:
        kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
        kernel/drivers/net/bonding/bonding.ko.xz: kernel/net/tls/tls.ko.xz
        kernel/net/tls/tls.ko.xz:

        """

    @Test("the boot modules load dependencies first, each once")
    func bootOrder() throws {
        let order = try ModuleDependencies(modulesDep: Self.sample).loadOrder(for: KernelLab.bootModules)
        #expect(
            order == [
                "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko",
                "kernel/drivers/virtio/virtio_mmio.ko", "kernel/net/9p/9pnet.ko", "kernel/net/9p/9pnet_virtio.ko",
                "kernel/fs/netfs/netfs.ko", "kernel/fs/fscache/fscache.ko", "kernel/fs/9p/9p.ko",
            ])
        for (index, path) in order.enumerated() {
            let name = ModuleDependencies.moduleName(ofPath: path)
            let dependencies = ModuleDependencies(modulesDep: Self.sample).dependencies[name] ?? []
            for dependency in dependencies {
                let position = order.firstIndex { ModuleDependencies.moduleName(ofPath: $0) == dependency }
                #expect(position.map { $0 < index } == true, "\(dependency) must precede \(name)")
            }
        }
    }

    @Test("compressed modules and dashes are normalised")
    func names() throws {
        #expect(ModuleDependencies.moduleName(ofPath: "kernel/drivers/net/bonding/bonding.ko.xz") == "bonding")
        #expect(ModuleDependencies.moduleName(ofPath: "kernel/drivers/char/hw_random/virtio-rng.ko") == "virtio_rng")
        let order = try ModuleDependencies(modulesDep: Self.sample).loadOrder(for: ["bonding"])
        #expect(order == ["kernel/net/tls/tls.ko.xz", "kernel/drivers/net/bonding/bonding.ko.xz"])
    }

    @Test("built-in modules are skipped; unknown ones are an error naming the chain")
    func builtinAndMissing() throws {
        let dependencies = ModuleDependencies(modulesDep: "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko\n")
        let builtin = ModuleDependencies.builtinNames("kernel/net/9p/9pnet.ko\nkernel/fs/ext4/ext4.ko\n")
        #expect(try dependencies.loadOrder(for: ["9p"], builtin: builtin) == ["kernel/fs/9p/9p.ko"])
        #expect {
            try dependencies.loadOrder(for: ["9p"])
        } throws: { error in
            guard let error = error as? VMError else { return false }
            return error.code == .moduleMissing && error.object == "9pnet" && error.operation.contains("9p -> 9pnet")
        }
    }
}
