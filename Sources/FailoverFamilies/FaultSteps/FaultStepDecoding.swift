import FailoverModel
import FailoverPlaybook
import Yams

/// The fault step family: what breaks and mends the path (its polarity is
/// `StepAction.faultPolarity` in the model). The YAML layer reads the target; the references
/// are checked on the model (`faultStepChecker`), whatever front end produced it. Executed by
/// the backend (`NetworkBackend.perform`).
extension PlaybookDecoder {
    static let faultSteps: [StepEntry] = [
        StepEntry(key: "pull") { $0.reader.ref($1.value, $1.path).map { [.pull($0)] } ?? [] },
        StepEntry(key: "plug") { $0.reader.ref($1.value, $1.path).map { [.plug($0)] } ?? [] },
        StepEntry(key: "down") { $0.reader.ref($1.value, $1.path).map { [.down($0)] } ?? [] },
        StepEntry(key: "up") { $0.reader.ref($1.value, $1.path).map { [.up($0)] } ?? [] },
        StepEntry(key: "switch_down") { $0.decodeSwitchName($1).map { [.switchDown($0)] } ?? [] },
        StepEntry(key: "switch_up") { $0.decodeSwitchName($1).map { [.switchUp($0)] } ?? [] },
        StepEntry(key: "blackhole") { $0.reader.ref($1.value, $1.path).map { [.blackhole($0)] } ?? [] },
        StepEntry(key: "restore") { $0.reader.ref($1.value, $1.path).map { [.restore($0)] } ?? [] },
        StepEntry(key: "flap") { $0.decodeFlap($1) },
        StepEntry(key: "drop_frames") { $0.decodeDropFrames($1) },
        StepEntry(key: "pass_frames") { $0.reader.ref($1.value, $1.path).map { [.passFrames($0)] } ?? [] },
    ]

    /// `flap: {interface: host/eth0, times: 3, down: 200ms, up: 300ms}`.
    func decodeFlap(_ input: StepInput) -> [StepAction] {
        let path = input.path
        guard
            let view = reader.mapping(
                input.value, path, expected: "a mapping like {interface: host/eth0, times: 3, down: 200ms, up: 300ms}")
        else { return [] }
        let allowed = ["interface", "times", "down", "up"]
        var ok = reader.checkKeys(view, allowed: allowed, context: "flap step")
        func need(_ key: String) -> Node? {
            if let node = view[key] { return node }
            if !reader.misspelled(key, in: view, allowed: allowed) {
                reader.error(input.value, "\(path): flap needs '\(key)'")
            }
            ok = false
            return nil
        }
        /// A duration from 1 ms to 60 s.
        func period(_ key: String) -> Duration? {
            guard let node = need(key), let duration = reader.duration(node, "\(path).\(key)") else { return nil }
            guard duration >= .milliseconds(1), duration <= .seconds(60) else {
                reader.error(node, "\(path).\(key): must be from 1ms to 60s, found \(duration.playbookText)")
                return nil
            }
            return duration
        }
        let ref = need("interface").flatMap { reader.ref($0, "\(path).interface") }
        let times = need("times").flatMap { reader.int($0, "\(path).times", range: 1...100) }
        let down = period("down")
        let up = period("up")
        guard ok, let ref, let times, let down, let up else { return [] }
        return [.flap(ref, times: times, down: down, up: up)]
    }

    /// `drop_frames: {interface: host/eth0, frames: lacpdu}` (`lacpdu`, `data` or `all`).
    func decodeDropFrames(_ input: StepInput) -> [StepAction] {
        let path = input.path
        guard
            let view = reader.mapping(
                input.value, path, expected: "a mapping like {interface: host/eth0, frames: lacpdu}")
        else { return [] }
        let allowed = ["interface", "frames"]
        var ok = reader.checkKeys(view, allowed: allowed, context: "drop_frames step")
        func need(_ key: String) -> Node? {
            if let node = view[key] { return node }
            if !reader.misspelled(key, in: view, allowed: allowed) {
                reader.error(input.value, "\(path): drop_frames needs '\(key)'")
            }
            ok = false
            return nil
        }
        let ref = need("interface").flatMap { reader.ref($0, "\(path).interface") }
        var frames: FrameFilter?
        if let node = need("frames"), let text = reader.string(node, "\(path).frames", expected: "lacpdu, data or all")
        {
            frames = FrameFilter(rawValue: text)
            if frames == nil {
                reader.error(
                    node,
                    "\(path).frames: expected lacpdu (LACPDUs only), data (all but LACPDUs) or all, found '\(text)'")
            }
        }
        guard ok, let ref, let frames else { return [] }
        return [.dropFrames(ref, frames)]
    }

    func decodeSwitchName(_ input: StepInput) -> String? {
        reader.string(input.value, input.path, expected: "a switch name")
    }

    /// The references of fault steps, on the model: the cable end, interface or switch exists;
    /// blackhole and restore need a cable to a switch (frames are dropped in the switch).
    static let faultStepChecker = StepCheck { step, index, context in
        let mark =
            step.marks["target"]
            ?? SourceMark(location: context.index.location(step.location), path: "steps[\(index)]")
        switch step.action {
        case .pull(let ref), .plug(let ref), .flap(let ref, _, _, _):
            context.requireCableEnd(ref, at: mark)
        case .down(let ref), .up(let ref):
            context.requireInterface(ref, at: mark)
        case .switchDown(let name), .switchUp(let name):
            context.requireSwitch(name, at: mark)
        case .blackhole(let ref), .restore(let ref):
            guard let cable = context.requireCableEnd(ref, at: mark) else { return }
            guard case .switch = cable.b else {
                context.error(
                    mark, "\(mark.path): blackhole needs a cable to a switch (v1); \(cable) is a host-to-host cable")
                return
            }
        case .dropFrames(let ref, _), .passFrames(let ref):
            guard let cable = context.requireCableEnd(ref, at: mark) else { return }
            guard case .switch = cable.b else {
                context.error(
                    mark,
                    "\(mark.path): frames are dropped on the switch's port; \(cable) is a host-to-host cable")
                return
            }
        case .set, .peer, .partition, .heal, .hold, .startProbe, .stopProbe, .expect:
            return
        }
    }
}
