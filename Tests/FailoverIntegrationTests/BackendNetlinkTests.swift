import FailoverCore
import FailoverNetlink
import Foundation
import Synchronization
import Testing

/// rtnetlink layer against the host kernel, in throwaway `fo…` namespaces.
@Suite(.serialized, .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct BackendNetlinkTests {
    /// Two fresh namespaces, deleted after `body`.
    func withNamespaces(_ body: (_ a: (String, Int32), _ b: (String, Int32)) throws -> Void) throws {
        let names = RunNames.random()
        let a = names.namespace("a")
        let b = names.namespace("b")
        let fdA = try NetworkNamespace.create(a)
        defer {
            close(fdA)
            _ = try? NetworkNamespace.delete(a)
        }
        let fdB = try NetworkNamespace.create(b)
        defer {
            close(fdB)
            _ = try? NetworkNamespace.delete(b)
        }
        try body((a, fdA), (b, fdB))
        #expect(NetworkNamespace.list().contains(a))
    }

    @Test("veth into another namespace, macvlan on it, bridge port state, kernel extack on a bad request")
    func linkOperations() throws {
        try withNamespaces { a, b in
            let socketA = try RouteSocket(namespace: a.0, namespaceFD: a.1)
            let socketB = try RouteSocket(namespace: b.0, namespaceFD: b.1)
            defer {
                socketA.close()
                socketB.close()
            }
            try socketA.perform(
                LinkRequest.createVeth(
                    name: "va", peerName: "vb", peerNamespaceFD: b.1, peerAddress: [2, 0, 0, 0, 0, 0xb]),
                operation: "create veth", object: "va")
            try socketB.setAdminState("vb", up: true)
            let vb = try #require(try socketB.link(named: "vb"))
            #expect(vb.address == [2, 0, 0, 0, 0, 0xb])
            #expect(try socketA.link(named: "vb") == nil)

            // macvlan on vb (bridge mode), with a pinned MAC
            try socketB.perform(
                LinkRequest.createMacvlan(name: "mv0", parentIndex: vb.index, address: [2, 0, 0, 0, 0, 0xc]),
                operation: "create macvlan", object: "mv0")
            let mv = try #require(try socketB.link(named: "mv0"))
            #expect(mv.kind == "macvlan" && mv.link == vb.index && mv.address == [2, 0, 0, 0, 0, 0xc])

            // bridge + port state disabled (blackhole) and back
            try socketA.perform(LinkRequest.createBridge(name: "br0"), operation: "create bridge", object: "br0")
            let bridge = try socketA.index(of: "br0")
            let va = try socketA.index(of: "va")
            try socketA.perform(
                LinkRequest.setMaster(index: va, masterIndex: bridge), operation: "master", object: "va")
            try socketA.setAdminState("br0", up: true)
            try socketA.setAdminState("va", up: true)
            // The kernel takes a port state only once the port's operstate is up (else ENETDOWN);
            // operstate follows carrier through the linkwatch work.
            let deadline = Date().addingTimeInterval(3)
            while try socketA.link(named: "va")?.operState != OperState.up.rawValue, Date() < deadline { usleep(1000) }
            try socketA.perform(
                LinkRequest.setBridgePortState(index: va, state: .disabled), operation: "state", object: "va")
            #expect(try backendBridgePortState(namespace: a.0, port: "va") == "disabled")
            try socketA.perform(
                LinkRequest.setBridgePortState(index: va, state: .forwarding), operation: "state", object: "va")
            #expect(try backendBridgePortState(namespace: a.0, port: "va") == "forwarding")
            let bridgeLink = try #require(try socketA.link(named: "br0"))
            #expect(bridgeLink.bridgeSTPState == 0 && bridgeLink.bridgeForwardDelay == 0)

            // addresses v4 + v6 (NODAD: not tentative), dump
            try socketB.perform(
                AddressRequest.add(index: vb.index, address: [198, 18, 7, 2], prefixLength: 24), operation: "addr",
                object: "vb")
            try socketB.perform(
                AddressRequest.add(
                    index: vb.index, address: [0x20, 0x01, 0, 2, 0, 7] + [UInt8](repeating: 0, count: 9) + [2],
                    prefixLength: 64), operation: "addr", object: "vb")
            let addresses = try socketB.addresses().filter { $0.index == vb.index }.map(\.text)
            #expect(addresses.contains("198.18.7.2/24"))
            #expect(addresses.contains("2001:2:7:0:0:0:0:2/64"))

            // the kernel's errno and extended-ack message come back in the error
            var bad = NetlinkMessageBuilder(type: RTM.newLink, flags: NetlinkFlags.create | NetlinkFlags.exclusive)
            bad.appendFamilyHeader(LinkRequest.ifinfomsg())
            bad.append(IFLA.ifname, string: "x0")
            bad.nest(IFLA.linkinfo) { $0.append(IFLAInfo.kind, string: "fo-nope") }
            do {
                try socketA.perform(bad, operation: "create", object: "x0")
                Issue.record("the kernel accepted an unknown link kind")
            } catch let error as NetlinkError {
                #expect(error.code == 95)
                #expect(error.kernelMessage == "Unknown device type")
                #expect(error.description.contains("\(a.0)/x0"))
            } catch {
                Issue.record("unexpected error \(error)")
            }
            #expect(try socketA.deleteLink("va"))
            #expect(try !socketA.deleteLink("va"))  // already gone is not an error
            #expect(try socketB.link(named: "vb") == nil)  // the peer went with it
        }
    }

    @Test("monitor: events stamped after the ack; an overflow (ENOBUFS) is followed by a re-dump")
    func monitor() throws {
        try withNamespaces { a, b in
            let socket = try RouteSocket(namespace: a.0, namespaceFD: a.1)
            defer { socket.close() }
            try socket.perform(
                LinkRequest.createVeth(name: "m0", peerName: "m1", peerNamespaceFD: nil), operation: "veth",
                object: "m0")
            try socket.setAdminState("m1", up: true)
            let events = Mutex<[LinkEvent]>([])
            let gate = DispatchSemaphore(value: 0)
            let blockFirst = Mutex(true)
            let monitor = try LinkMonitor(
                namespace: a.0, namespaceFD: a.1, receiveBuffer: 4096,
                handler: { event in
                    events.withLock { $0.append(event) }
                    if blockFirst.withLock({ value in
                        defer { value = false }
                        return value
                    }) {
                        gate.wait()
                    }
                })
            defer { monitor.stop() }
            let ack = try socket.setAdminState("m0", up: true)
            // While the handler is blocked, flood the small buffer.
            for _ in 0..<200 {
                try socket.setAdminState("m0", up: false)
                try socket.setAdminState("m0", up: true)
            }
            gate.signal()
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                if events.withLock({ $0.contains { if case .resync = $0 { true } else { false } } }) { break }
                usleep(2000)
            }
            let seen = events.withLock { $0 }
            guard case .link(let first, _, let time) = try #require(seen.first) else {
                Issue.record("first event is not a link event: \(seen.first.map { "\($0)" } ?? "-")")
                return
            }
            #expect(first.name == "m0" || first.name == "m1")
            #expect(time >= ack - 50_000_000 && time <= MonotonicTime.now())
            let resync = seen.compactMap { event -> [Link]? in
                if case .resync(let links, _) = event { return links }
                return nil
            }
            #expect(!resync.isEmpty, "no ENOBUFS re-dump after \(seen.count) events")
            #expect(resync.first?.contains { $0.name == "m0" && $0.isAdminUp } == true)
        }
    }
}

/// `bridge -n NS -j link show dev PORT` → state.
func backendBridgePortState(namespace: String, port: String) throws -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/bridge")
    process.arguments = ["-n", namespace, "-j", "link", "show", "dev", port]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let json = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
    return json?.first?["state"] as? String
}
