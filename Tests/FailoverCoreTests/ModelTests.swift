import FailoverCore
import FailoverModel
import Testing

@Suite("Model values")
struct ModelTests {
    @Test(arguments: [
        ("100ms", Int64(100_000_000)), ("1.5s", 1_500_000_000), ("250us", 250_000), ("2m", 120_000_000_000),
        ("0s", 0), ("10ns", 10),
    ])
    func durationParses(text: String, nanoseconds: Int64) {
        #expect(Duration.parse(playbookText: text)?.totalNanoseconds == nanoseconds)
    }

    @Test(arguments: ["", "ms", "soon", "-1s", "1.2.3s", "5", "1e3ms", "1 h"])
    func durationRejects(text: String) {
        #expect(Duration.parse(playbookText: text) == nil)
    }

    @Test func durationText() {
        #expect(Duration.milliseconds(500).playbookText == "500ms")
        #expect(Duration.milliseconds(1500).playbookText == "1.5s")
        #expect(Duration.seconds(2).playbookText == "2s")
    }

    @Test func addresses() {
        #expect(InterfaceAddress("198.18.0.1/24")?.description == "198.18.0.1/24")
        #expect(InterfaceAddress("2001:2:0:0::1/64")?.description == "2001:2::1/64")
        #expect(InterfaceAddress("2001:2::/48")?.bytes.count == 16)
        #expect(InterfaceAddress("198.18.0.1") == nil)
        #expect(InterfaceAddress("198.18.0.256/24") == nil)
        #expect(InterfaceAddress("198.18.0.1/33") == nil)
        #expect(InterfaceAddress("2001:::1/64") == nil)
        #expect(IPAddress("::ffff:198.18.0.1")?.description == "::ffff:c612:1")
        #expect(MACAddress("02:00:00:00:00:0A")?.description == "02:00:00:00:00:0a")
        #expect(MACAddress("02:00:00:00:00") == nil)
    }

    @Test func bondModesByNameAndNumber() {
        #expect(BondMode.parse("active-backup") == .activeBackup)
        #expect(BondMode.parse("4") == .ieee8023ad)
        #expect(BondMode.parse("7") == nil)
        #expect(BondMode.allCases.map(\.number) == Array(0...6))
    }

    @Test func runNames() {
        let names = RunNames(runID: "0a1b2c")
        #expect(names.namespace("server") == "fo0a1b2c-server")
        #expect(RunNames.isRunNamespace("fo0a1b2c-server"))
        #expect(!RunNames.isRunNamespace("fo0a1b2g-server"))
        #expect(!RunNames.isRunNamespace("foo"))
        #expect(RunNames.random().runID.count == 6)
        let topology = Topology(
            switches: [Switch(name: "sw")], hosts: [],
            cables: [
                Cable(a: InterfaceRef("server/eth0")!, b: .switch("sw")),
                Cable(a: InterfaceRef("averylonghostname/eth0")!, b: .switch("sw")),
                Cable(a: InterfaceRef("a/b")!, b: .host(InterfaceRef("c/d")!)),
            ])
        #expect(
            RunNames.switchPortNames(topology) == [
                InterfaceRef("server/eth0")!: "server-eth0", InterfaceRef("averylonghostname/eth0")!: "p1",
            ])
    }
}
