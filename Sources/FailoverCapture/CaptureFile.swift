public import FailoverSystem

/// A step mark on the run's clock (`step 4: pull server/eth0` at a CLOCK_MONOTONIC instant).
public struct StepMark: Sendable, Hashable, Codable {
    public var monotonicNanoseconds: UInt64
    public var text: String

    public init(monotonicNanoseconds: UInt64, text: String) {
        self.monotonicNanoseconds = monotonicNanoseconds
        self.text = text
    }
}

/// Writes the captures of a run into one pcapng file of the run's results directory.
public enum CaptureFile {
    /// The pcapng bytes: one interface per result (named by its label, in the order given), every
    /// frame, and the marks as comments (converted to realtime with the first result's clock, the
    /// clock the frames' own stamps are on).
    /// - Returns: the bytes and, per mark, the index of the packet carrying it (nil: on the section).
    public static func encode(_ results: [CaptureResult], marks: [StepMark]) -> (bytes: [UInt8], markPackets: [Int?]) {
        let writer = PcapngWriter(
            interfaces: results.map { .init(name: $0.request.label, snapLength: $0.request.snapLength) })
        var packets: [PcapngWriter.Packet] = []
        for (index, result) in results.enumerated() {
            for frame in result.frames {
                packets.append(
                    .init(
                        interface: index, realtimeNanoseconds: frame.realtimeNanoseconds,
                        originalLength: frame.originalLength, bytes: frame.bytes))
            }
        }
        let clock = results.first?.clock ?? ClockMapping(offsetNanoseconds: 0, bracketNanoseconds: 0)
        let pcapMarks = marks.map {
            PcapngWriter.Mark(
                realtimeNanoseconds: clock.realtime(fromMonotonic: $0.monotonicNanoseconds), text: $0.text)
        }
        return writer.encode(packets: packets, marks: pcapMarks)
    }

    /// Creates `name` in `directory` (never replacing an existing file).
    /// - Throws: `SafeDirectoryError`.
    @discardableResult
    public static func write(
        _ results: [CaptureResult], marks: [StepMark], to directory: SafeDirectory, name: String
    ) throws(SafeDirectoryError) -> [Int?] {
        let (bytes, markPackets) = encode(results, marks: marks)
        try directory.createFile(name, contents: bytes)
        return markPackets
    }
}
