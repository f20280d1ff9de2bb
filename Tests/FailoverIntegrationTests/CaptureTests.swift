import FailoverCapture
import FailoverModel
import FailoverSystem
import Foundation
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Live libpcap captures inside namespaces (host kernel, veth): frames sent with a raw AF_PACKET
/// socket from one namespace are captured in the other, decoded, counted, written as pcapng and read back.
@Suite(.serialized, .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct CaptureTests {
    static let macA = "02:00:00:00:00:0a"
    static let macB = "02:00:00:00:00:0b"

    struct SendFailure: Error, CustomStringConvertible {
        var call: String
        var errno: Int32
        var description: String { "\(call): errno \(errno)" }
    }

    /// Sends whole Ethernet frames out of `interface` in namespace `namespace` (AF_PACKET, SOCK_RAW).
    static func send(_ frames: [[UInt8]], namespace: String, interface: String) throws {
        let fd = try NetworkNamespace.open(namespace)
        defer { close(fd) }
        try NamespaceThread.run(namespaceFD: fd, label: "raw sender") {
            let index = if_nametoindex(interface)
            guard index > 0 else { throw SendFailure(call: "if_nametoindex \(interface)", errno: errno) }
            let packetFamily: Int32 = 17  // AF_PACKET
            let socketFD = socket(packetFamily, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard socketFD >= 0 else { throw SendFailure(call: "socket(AF_PACKET)", errno: errno) }
            defer { close(socketFD) }
            // struct sockaddr_ll: family u16, protocol u16 (0: none, send only), ifindex i32,
            // hatype u16, pkttype u8, halen u8, addr[8] = 20 bytes.
            var address = [UInt8](repeating: 0, count: 20)
            withUnsafeBytes(of: UInt16(packetFamily)) { address.replaceSubrange(0..<2, with: $0) }
            withUnsafeBytes(of: Int32(index)) { address.replaceSubrange(4..<8, with: $0) }
            address[11] = 6
            for frame in frames {
                let sent = address.withUnsafeBytes { raw in
                    frame.withUnsafeBytes { bytes in
                        sendto(
                            socketFD, bytes.baseAddress, bytes.count, 0,
                            raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
                    }
                }
                guard sent == frame.count else { throw SendFailure(call: "sendto", errno: errno) }
            }
        }
    }

    static func mac(_ text: String) -> [UInt8] { MACAddress(text)?.bytes ?? [] }
    static func ip(_ text: String) -> [UInt8] { IPAddress(text)?.bytes ?? [] }

    static func arp(operation: UInt8, senderIP: String, targetIP: String) -> [UInt8] {
        mac("ff:ff:ff:ff:ff:ff") + mac(macA) + [0x08, 0x06] + [0, 1, 0x08, 0x00, 6, 4, 0, operation] + mac(macA)
            + ip(senderIP) + [UInt8](repeating: 0, count: 6) + ip(targetIP) + [UInt8](repeating: 0, count: 18)
    }

    static func lacpdu() -> [UInt8] {
        let actor: [UInt8] = [1, 20, 0xFF, 0xFF] + mac(macA) + [0, 9, 0, 0xFF, 0, 2, 0x3D, 0, 0, 0]
        let partner: [UInt8] = [2, 20, 0, 0] + [UInt8](repeating: 0, count: 6) + [0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0]
        var pdu: [UInt8] = [1, 1] + actor + partner + [3, 16] + [UInt8](repeating: 0, count: 14) + [0, 0]
        pdu += [UInt8](repeating: 0, count: 110 - pdu.count)
        return mac("01:80:c2:00:00:02") + mac(macA) + [0x88, 0x09] + pdu
    }

    static func udp() -> [UInt8] {
        let payload: [UInt8] = [1, 2, 3, 4]
        let ipHeader: [UInt8] =
            [0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0] + ip("198.18.0.10") + ip("198.18.0.11")
        return mac(macB) + mac(macA) + [0x08, 0x00] + ipHeader + [0x0F, 0xA0, 0x13, 0x89, 0, 12, 0, 0] + payload
            + [UInt8](repeating: 0, count: 14)
    }

    /// Namespaces a and b joined by veth va (02:..:0a) — vb (02:..:0b).
    static func withPair(_ body: (_ a: String, _ b: String) throws -> Void) throws {
        let prefix = ProbeLab.newPrefix()
        let a = "\(prefix)-a"
        let b = "\(prefix)-b"
        defer { ProbeLab.deleteNamespaces([a, b]) }
        try ProbeLab.ip("netns", "add", a)
        try ProbeLab.ip("netns", "add", b)
        try ProbeLab.ip(
            "-n", a, "link", "add", "va", "address", macA, "type", "veth", "peer", "name", "vb", "address", macB,
            "netns", b)
        try ProbeLab.ip("-n", a, "link", "set", "va", "up")
        try ProbeLab.ip("-n", b, "link", "set", "vb", "up")
        try body(a, b)
    }

    static func waitFor(_ count: Int, _ capture: LiveCapture) {
        let deadline = MonotonicTime.now() + 3_000_000_000
        while capture.frames().count < count && MonotonicTime.now() < deadline { usleep(5_000) }
    }

    @Test("ARP and LACP sent from a are captured on vb in b, decoded, counted and written as pcapng")
    func captureDecodeWrite() throws {
        try Self.withPair { a, b in
            let capture = try LiveCapture.start(
                CaptureRequest(
                    namespace: b, interface: "vb", label: "sw1:server-eth0", filter: "arp or ether proto 0x8809"),
                logger: Logger(label: "test"))
            let garp = Self.arp(operation: 1, senderIP: "198.18.0.10", targetIP: "198.18.0.10")
            let request = Self.arp(operation: 1, senderIP: "198.18.0.10", targetIP: "198.18.0.11")
            let sendStart = MonotonicTime.now()
            try Self.send([garp, Self.udp()], namespace: a, interface: "va")
            Self.waitFor(1, capture)
            let mark = MonotonicTime.now()
            try Self.send([request, Self.lacpdu()], namespace: a, interface: "va")
            Self.waitFor(3, capture)
            let sendEnd = MonotonicTime.now()
            let result = try capture.stop()

            // The filter let ARP and slow protocols through, not the UDP frame, in sending order.
            #expect(result.frames.map(\.decoded?.kind) == [.garp, .arpRequest, .lacpdu])
            #expect(result.frames.map(\.bytes) == [garp, request, Self.lacpdu()])
            #expect(result.frames.allSatisfy { $0.decoded?.source == MACAddress(Self.macA) })
            #expect(result.frames.first?.decoded?.senderIP == IPAddress("198.18.0.10"))
            // Counters: 3 through the filter, none dropped.
            #expect(result.statistics.delivered == 3)
            #expect(result.statistics.received == 3)
            #expect(result.statistics.droppedByKernel == 0)
            #expect(result.statistics.droppedByInterface == 0)
            #expect(!result.statistics.hasDrops)
            #expect(result.statistics.clockErrorNanoseconds < 1_000_000)
            // Stamps on the run's monotonic clock: inside the sending window (± the conversion error),
            // the mark between the first frame and the second.
            let slack = result.statistics.clockErrorNanoseconds
            for frame in result.frames {
                #expect(
                    frame.monotonicNanoseconds + slack >= sendStart && frame.monotonicNanoseconds <= sendEnd + slack)
            }
            #expect(result.frames[0].monotonicNanoseconds < mark + slack)
            #expect(result.frames[1].monotonicNanoseconds + slack > mark)
            #expect(result.frames.map(\.monotonicNanoseconds) == result.frames.map(\.monotonicNanoseconds).sorted())

            // pcapng in a results directory, read back.
            let path = NSTemporaryDirectory() + "failover-capture-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: path) }
            let directory = try SafeDirectory.create(path)
            let placed = try CaptureFile.write(
                [result], marks: [StepMark(monotonicNanoseconds: mark, text: "step 2: pull server/eth0")],
                to: directory, name: "capture.pcapng")
            #expect(placed == [1])
            let data = try #require(FileManager.default.contents(atPath: path + "/capture.pcapng"))
            let file = try PcapngFile(bytes: Array(data))
            #expect(file.interfaces.map(\.name) == ["sw1:server-eth0"])
            #expect(file.interfaces.first?.timestampResolution == 9)
            #expect(file.packets.map(\.bytes) == [garp, request, Self.lacpdu()])
            #expect(file.packets.map(\.comments) == [[], ["step 2: pull server/eth0"], []])
            #expect(file.packets.map(\.timestamp) == result.frames.map(\.realtimeNanoseconds))
            // A second stop gives the same result.
            #expect(try capture.stop() == result)
        }
    }

    static let tshark = ["/usr/bin/tshark", "/usr/sbin/tshark"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// tshark's stdout (argv, no shell).
    static func run(_ argv: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(
        "tshark reads our pcapng: both interface names, the step comment on the first frame after the mark",
        .enabled(if: tshark != nil, "needs tshark"))
    func tsharkReadsFile() throws {
        let tshark = try #require(Self.tshark)
        try Self.withPair { a, b in
            let logger = Logger(label: "test")
            let near = try LiveCapture.start(
                CaptureRequest(namespace: a, interface: "va", label: "h1:eth0", filter: "arp"), logger: logger)
            let far = try LiveCapture.start(
                CaptureRequest(namespace: b, interface: "vb", label: "sw1:server-eth0", filter: "arp"), logger: logger)
            try Self.send(
                [Self.arp(operation: 1, senderIP: "198.18.0.10", targetIP: "198.18.0.10")], namespace: a,
                interface: "va")
            Self.waitFor(1, far)
            let mark = MonotonicTime.now()
            try Self.send(
                [Self.arp(operation: 1, senderIP: "198.18.0.10", targetIP: "198.18.0.11")], namespace: a,
                interface: "va")
            Self.waitFor(2, far)
            let results = [try near.stop(), try far.stop()]
            // An AF_PACKET socket sees its own interface's outgoing frames: the near end has both too.
            #expect(results.map(\.frames.count) == [2, 2])
            let path = NSTemporaryDirectory() + "failover-capture-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try CaptureFile.write(
                results, marks: [StepMark(monotonicNanoseconds: mark, text: "step 4: pull server/eth0")],
                to: SafeDirectory.create(path), name: "capture.pcapng")
            let output = try Self.run([
                tshark, "-r", path + "/capture.pcapng", "-T", "fields", "-E", "separator=|", "-e",
                "frame.interface_name",
                "-e", "frame.comment", "-e", "arp.src.proto_ipv4", "-e", "arp.dst.proto_ipv4",
            ])
            let rows = output.split(separator: "\n").map {
                $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            }
            #expect(rows.count == 4, "tshark printed: \(output)")
            #expect(Set(rows.map { $0.first ?? "" }) == ["h1:eth0", "sw1:server-eth0"])
            // Frames in time order; the comment on the first frame at or after the mark: the near
            // end's copy of the request (it is stamped before the far end's).
            let comments = rows.map { $0.count > 1 ? $0[1] : "" }
            #expect(comments == ["", "", "step 4: pull server/eth0", ""], "tshark printed: \(output)")
            #expect(
                rows.map { $0.count > 3 ? $0[3] : "" } == ["198.18.0.10", "198.18.0.10", "198.18.0.11", "198.18.0.11"])
        }
    }

    @Test("a bad filter and a missing interface are errors naming the namespace, interface and libpcap's text")
    func openErrors() throws {
        try Self.withPair { _, b in
            do throws(CaptureError) {
                _ = try LiveCapture.start(
                    CaptureRequest(namespace: b, interface: "vb", label: "x", filter: "arp or"),
                    logger: Logger(label: "test"))
                Issue.record("a bad filter was accepted")
            } catch {
                #expect(error.operation == "pcap_compile")
                #expect(error.namespace == b)
                #expect(error.description.hasPrefix("pcap_compile \(b)/vb: filter \"arp or\": "))
            }
            do throws(CaptureError) {
                // va lives in namespace a, not b.
                _ = try LiveCapture.start(
                    CaptureRequest(namespace: b, interface: "va", label: "x"), logger: Logger(label: "test"))
                Issue.record("a capture of an interface missing from the namespace started")
            } catch {
                #expect(error.operation == "pcap_activate")
                #expect(error.interface == "va")
                #expect(error.description.contains("\(b)/va"))
            }
        }
    }
}
