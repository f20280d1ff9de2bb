import FailoverModel
import Testing

@testable import FailoverProbe

@Suite("Sender batching arithmetic")
struct ProbeBatchingTests {
    @Test(
        "batch size and span from the rate",
        arguments: [
            // (rate, size, span ns): no batching at or below 50 kpps (interval >= 20 µs).
            (1, 1, UInt64(0)), (10_000, 1, 0), (20_000, 1, 0), (50_000, 1, 0),
            // Above: floor(50 µs / interval) packets, span = size × interval <= 50 µs.
            (50_001, 2, 39_999), (60_000, 3, 50_000), (100_000, 5, 50_000), (150_000, 7, 46_667),
            (200_000, 10, 50_000), (300_000, 15, 50_000), (400_000, 20, 50_000), (1_000_000, 50, 50_000),
            // Capped at 64 messages per sendmmsg.
            (2_000_000, 64, 32_000),
        ])
    func sizeAndSpan(rate: Int, size: Int, span: UInt64) {
        let batching = ProbeBatching(rate: rate)
        #expect(batching.size == size)
        #expect(batching.spanNanoseconds == span)
        #expect(Double(batching.spanNanoseconds) <= ProbeBatching.maximumSpanNanoseconds)
    }

    @Test("outage resolution is the larger of interval and batch span")
    func resolution() {
        #expect(ProbeBatching(rate: 10_000).resolutionNanoseconds(intervalNanoseconds: 100_000) == 100_000)
        #expect(ProbeBatching(rate: 200_000).resolutionNanoseconds(intervalNanoseconds: 5_000) == 50_000)
    }

    @Test("analysis reports the batch span as the resolution of its time figures")
    func analysisResolution() {
        var capture = SyntheticCapture(attempted: 1000, order: SyntheticCapture.allBut(1000, [400...499])).capture()
        let plain = ProbeAnalysis.analyze(capture, faults: [])
        #expect(plain.run.failoverTime.resolutionMilliseconds == 1)
        capture.sender.batchSize = 3
        capture.sender.batchSpanNanoseconds = 3_000_000
        let batched = ProbeAnalysis.analyze(capture, faults: [])
        #expect(batched.run.failoverTime.resolutionMilliseconds == 3)
        #expect(batched.run.lossTime.resolutionMilliseconds == 3)
        #expect(batched.run.lost == 100)
    }
}
