import FailoverSystem
import Testing

@testable import FailoverCapture

@Suite("pcapng writer: interface names, nanosecond resolution, step comments")
struct PcapngTests {
    static let interfaces = [
        PcapngWriter.Interface(name: "sw1:server-eth0", snapLength: 256),
        PcapngWriter.Interface(name: "sw1:server-eth1", snapLength: 128),
    ]

    static func packet(_ interface: Int, _ time: UInt64, length: Int = 60) -> PcapngWriter.Packet {
        PcapngWriter.Packet(
            interface: interface, realtimeNanoseconds: time, originalLength: length + 4,
            bytes: (0..<length).map { UInt8(truncatingIfNeeded: $0 &+ Int(time)) })
    }

    @Test("the file parses back: SHB, one IDB per port with if_name and if_tsresol 9, EPBs in time order")
    func roundTrip() throws {
        let writer = PcapngWriter(interfaces: Self.interfaces)
        let packets = [
            Self.packet(1, 3_000_000_007, length: 61), Self.packet(0, 1_000_000_001),
            Self.packet(0, 2_000_000_002, length: 63),
        ]
        let (bytes, _) = writer.encode(packets: packets, marks: [])
        #expect(bytes.count % 4 == 0)
        #expect(Array(bytes.prefix(4)) == [0x0A, 0x0D, 0x0D, 0x0A])
        let file = try PcapngFile(bytes: bytes)
        #expect(file.interfaces.map(\.name) == ["sw1:server-eth0", "sw1:server-eth1"])
        #expect(file.interfaces.map(\.timestampResolution) == [9, 9])
        #expect(file.interfaces.map(\.linkType) == [1, 1])
        #expect(file.interfaces.map(\.snapLength) == [256, 128])
        #expect(file.packets.map(\.timestamp) == [1_000_000_001, 2_000_000_002, 3_000_000_007])
        #expect(file.packets.map(\.interface) == [0, 0, 1])
        #expect(file.packets.map(\.bytes) == [packets[1].bytes, packets[2].bytes, packets[0].bytes])
        #expect(file.packets.map(\.originalLength) == [64, 67, 65])
        #expect(file.packets.allSatisfy { $0.comments.isEmpty })
        #expect(file.sectionComments.isEmpty)
    }

    @Test("a mark goes on the first packet at or after it: a packet 1 ns earlier does not carry it")
    func markPlacement() throws {
        let writer = PcapngWriter(interfaces: Self.interfaces)
        let packets = [Self.packet(0, 999), Self.packet(1, 1000), Self.packet(0, 2000)]
        let marks = [
            PcapngWriter.Mark(realtimeNanoseconds: 1000, text: "step 4: pull server/eth0"),
            PcapngWriter.Mark(realtimeNanoseconds: 1001, text: "step 5: wait"),
            PcapngWriter.Mark(realtimeNanoseconds: 1500, text: "step 6: plug server/eth0"),
            PcapngWriter.Mark(realtimeNanoseconds: 2001, text: "step 7: after the last frame"),
        ]
        let (bytes, placed) = writer.encode(packets: packets, marks: marks)
        #expect(placed == [1, 2, 2, nil])
        let file = try PcapngFile(bytes: bytes)
        #expect(
            file.packets.map(\.comments) == [
                [], ["step 4: pull server/eth0"], ["step 5: wait", "step 6: plug server/eth0"],
            ])
        #expect(file.sectionComments == ["step 7: after the last frame"])
    }

    @Test("a file cut short, or with a wrong trailing length, is refused with the offset")
    func malformed() throws {
        let (bytes, _) = PcapngWriter(interfaces: Self.interfaces).encode(packets: [Self.packet(0, 5)], marks: [])
        #expect(throws: PcapngFile.FormatError.self) { try PcapngFile(bytes: Array(bytes.dropLast(4))) }
        var corrupted = bytes
        corrupted[corrupted.count - 1] ^= 0xFF
        #expect(throws: PcapngFile.FormatError.self) { try PcapngFile(bytes: corrupted) }
        #expect(throws: PcapngFile.FormatError.self) { try PcapngFile(bytes: []) }
        _ = try PcapngFile(bytes: bytes)
    }

    @Test("CaptureFile: marks on the run's monotonic clock are written at their realtime instant")
    func captureFileMarks() throws {
        let clock = ClockMapping(offsetNanoseconds: 1_000_000, bracketNanoseconds: 50)
        let request = CaptureRequest(namespace: "ns", interface: "p1", label: "sw1:server-eth0")
        let frames = [5_000, 7_000].map {
            CapturedFrame(
                monotonicNanoseconds: clock.monotonic(fromRealtime: $0 + 1_000_000),
                realtimeNanoseconds: $0 + 1_000_000,
                originalLength: 60, bytes: [UInt8](repeating: 1, count: 60))
        }
        let statistics = CaptureStatistics(
            received: 2, droppedByKernel: 0, droppedByInterface: 0, delivered: 2, clockErrorNanoseconds: 50,
            clockDriftNanoseconds: 0)
        let result = CaptureResult(request: request, frames: frames, statistics: statistics, clock: clock)
        // Monotonic 6_000 is realtime 1_006_000: between the two frames, so on the second.
        let (bytes, placed) = CaptureFile.encode(
            [result], marks: [StepMark(monotonicNanoseconds: 6_000, text: "step 2: pull")])
        #expect(placed == [1])
        let file = try PcapngFile(bytes: bytes)
        #expect(file.interfaces.map(\.name) == ["sw1:server-eth0"])
        #expect(file.packets.map(\.comments) == [[], ["step 2: pull"]])
        #expect(file.packets.map(\.timestamp) == [1_005_000, 1_007_000])
    }
}

@Suite("Capture clock and statistics")
struct CaptureClockTests {
    @Test("the tightest bracket wins; its midpoint sets the offset; a reversed bracket is ignored")
    func tightest() throws {
        let mapping = try #require(
            ClockMapping.tightest([
                (before: 100, realtime: 10_000, after: 200),  // width 100
                (before: 300, realtime: 10_250, after: 340),  // width 40, midpoint 320
                (before: 500, realtime: 10_000, after: 400),  // reversed
                (before: 600, realtime: 10_700, after: 641),  // width 41
            ]))
        #expect(mapping.bracketNanoseconds == 40)
        #expect(mapping.offsetNanoseconds == 10_250 - 320)
        #expect(mapping.monotonic(fromRealtime: 10_250) == 320)
        #expect(mapping.realtime(fromMonotonic: 320) == 10_250)
        #expect(ClockMapping.tightest([(before: 2, realtime: 1, after: 1)]) == nil)
    }

    @Test("a measured mapping agrees with the clocks within its bracket")
    func measured() {
        let mapping = ClockMapping.measure()
        #expect(mapping.bracketNanoseconds < 1_000_000)
        let before = MonotonicTime.now()
        let realtime = MonotonicTime.realtimeNow()
        let after = MonotonicTime.now()
        let converted = mapping.monotonic(fromRealtime: realtime)
        // Allow the mapping's own error and the width of this reading, plus 1 ms of clock slew.
        let slack = mapping.bracketNanoseconds + (after - before) + 1_000_000
        #expect(converted + slack >= before && converted <= after + slack)
    }

    @Test("drops: one frame dropped by the kernel or the interface is a drop, zero is none")
    func drops() {
        func stats(kernel: UInt64, interface: UInt64) -> CaptureStatistics {
            CaptureStatistics(
                received: 10, droppedByKernel: kernel, droppedByInterface: interface, delivered: 9,
                clockErrorNanoseconds: 0, clockDriftNanoseconds: 0)
        }
        #expect(!stats(kernel: 0, interface: 0).hasDrops)
        #expect(stats(kernel: 1, interface: 0).hasDrops)
        #expect(stats(kernel: 0, interface: 1).hasDrops)
    }

    @Test("/proc/net/dev: the receive fifo column of the named interface")
    func netDev() {
        let text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:     120       2    0    0    0     0          0         0      120       2    0    0    0     0       0          0
              eth0:   98765     432    1    7    3     0          0         0     1234      12    0    0    0     0       0          0
             eth01:   98765     432    1    7    9     0          0         0     1234      12    0    0    0     0       0          0
            """
        #expect(NetDevTable.receiveFIFOErrors(text, interface: "eth0") == 3)
        #expect(NetDevTable.receiveFIFOErrors(text, interface: "eth01") == 9)
        #expect(NetDevTable.receiveFIFOErrors(text, interface: "lo") == 0)
        #expect(NetDevTable.receiveFIFOErrors(text, interface: "eth") == nil)
    }

    @Test("filters are compiled by libpcap: a bad one is an error naming it and libpcap's reason")
    func filters() throws {
        try LiveCapture.validateFilter("arp or (icmp6 and ip6[40] == 136) or ether proto 0x8809")
        try LiveCapture.validateFilter("")
        do {
            try LiveCapture.validateFilter("arp or", label: "sw1:server-eth0")
            Issue.record("a bad filter was accepted")
        } catch {
            #expect(error.operation == "pcap_compile")
            #expect(error.message.contains("filter \"arp or\""))
            #expect(error.message.contains("syntax error"))
            #expect(error.description.hasPrefix("pcap_compile sw1:server-eth0: "))
        }
    }
}
