import FailoverModel
import Yams

/// The fault step family: what breaks and mends the path (its polarity is
/// `StepAction.faultPolarity` in the model). Executed by the backend (`NetworkBackend.perform`).
extension PlaybookDecoder {
    static let faultSteps: [StepEntry] = [
        StepEntry(key: "pull") { $0.decodeCableEnd($1).map { [.pull($0)] } ?? [] },
        StepEntry(key: "plug") { $0.decodeCableEnd($1).map { [.plug($0)] } ?? [] },
        StepEntry(key: "down") { $0.decodeAnyInterface($1).map { [.down($0)] } ?? [] },
        StepEntry(key: "up") { $0.decodeAnyInterface($1).map { [.up($0)] } ?? [] },
        StepEntry(key: "switch_down") { $0.decodeSwitch($1).map { [.switchDown($0)] } ?? [] },
        StepEntry(key: "switch_up") { $0.decodeSwitch($1).map { [.switchUp($0)] } ?? [] },
        StepEntry(key: "blackhole") { $0.decodeSwitchCable($1).map { [.blackhole($0)] } ?? [] },
        StepEntry(key: "restore") { $0.decodeSwitchCable($1).map { [.restore($0)] } ?? [] },
    ]

    func decodeCableEnd(_ input: StepInput) -> InterfaceRef? {
        guard let ref = reader.ref(input.value, input.path), checkCableEnd(ref, input.value, input.path) else {
            return nil
        }
        return ref
    }

    func decodeAnyInterface(_ input: StepInput) -> InterfaceRef? {
        guard let ref = reader.ref(input.value, input.path), checkInterface(ref, input.value, input.path) else {
            return nil
        }
        return ref
    }

    func decodeSwitch(_ input: StepInput) -> String? {
        guard let name = reader.string(input.value, input.path, expected: "a switch name"),
            checkSwitch(name, input.value, input.path)
        else { return nil }
        return name
    }

    /// A cable end whose cable goes to a switch (blackhole and restore drop frames in the switch).
    func decodeSwitchCable(_ input: StepInput) -> InterfaceRef? {
        let (value, path) = (input.value, input.path)
        guard let ref = reader.ref(value, path), checkCableEnd(ref, value, path), let cable = cable(at: ref) else {
            return nil
        }
        guard case .switch = cable.b else {
            reader.error(value, "\(path): blackhole needs a cable to a switch (v1); \(cable) is a host-to-host cable")
            return nil
        }
        return ref
    }
}
