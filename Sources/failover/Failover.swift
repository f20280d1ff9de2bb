import FailoverModel

@main
struct Failover {
    static func main() {}
}
