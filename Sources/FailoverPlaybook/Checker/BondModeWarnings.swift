import FailoverModel

/// Warnings for options a bond's mode ignores, and for timer combinations the kernel changes.
package enum BondModeWarnings {
    /// Whether option `key` was given: its mark (what a front end wrote, valid or not) or, for a
    /// model without marks, a value set in `options`.
    static func given(_ key: String, _ bond: Bond) -> Bool {
        if bond.marks["option:\(key)"] != nil { return true }
        let options = bond.options
        switch key {
        case "primary": return options.primary != nil
        case "primary_reselect": return options.primaryReselect != nil
        case "lacp_rate": return options.lacpRate != nil
        case "lacp_active": return options.lacpActive != nil
        case "ad_select": return options.adSelect != nil
        case "ad_actor_sys_prio": return options.adActorSysPrio != nil
        case "ad_user_port_key": return options.adUserPortKey != nil
        case "ad_actor_system": return options.adActorSystem != nil
        case "min_links": return options.minLinks != nil
        case "arp_interval": return options.arpInterval != nil
        case "arp_ip_target": return !options.arpIPTargets.isEmpty
        case "ns_ip6_target": return !options.nsIP6Targets.isEmpty
        case "arp_validate": return options.arpValidate != nil
        case "arp_all_targets": return options.arpAllTargets != nil
        case "arp_missed_max": return options.arpMissedMax != nil
        case "xmit_hash_policy": return options.xmitHashPolicy != nil
        case "packets_per_slave": return options.packetsPerSlave != nil
        case "tlb_dynamic_lb": return options.tlbDynamicLB != nil
        case "lp_interval": return options.lpInterval != nil
        case "fail_over_mac": return options.failOverMAC != nil
        case "num_grat_arp", "num_unsol_na":
            // One kernel setting: without marks it counts as num_grat_arp.
            return key == "num_grat_arp" && bond.marks.isEmpty && options.numPeerNotif != nil
        case "peer_notif_delay": return options.peerNotifDelay != nil
        case "updelay": return options.updelay != nil
        case "downdelay": return options.downdelay != nil
        default: return false
        }
    }

    /// A front end that records marks but no `mode` mark could not read the mode (and said so):
    /// warnings about a guessed mode would only mislead.
    package static func modeKnown(_ bond: Bond) -> Bool { bond.marks.isEmpty || bond.marks["mode"] != nil }

    static func check(host: String, _ bond: Bond, _ bondMark: SourceMark, _ context: inout CheckContext) {
        guard modeKnown(bond) else { return }
        let mode = bond.mode
        let options = bond.options
        let label = "bond \(host)/\(bond.name)"
        func warn(_ key: String, _ why: String) {
            context.warning(bond.marks["option:\(key)"] ?? bondMark, "\(label): \(why)")
        }
        func ignored(_ key: String, onlyIn modes: String) {
            warn(key, "'\(key)' is ignored in mode \(mode.rawValue) (it applies to \(modes))")
        }
        let singleActive: [BondMode] = [.activeBackup, .balanceTLB, .balanceALB]
        for key in ["primary", "primary_reselect"] where given(key, bond) && !singleActive.contains(mode) {
            ignored(key, onlyIn: "active-backup, balance-tlb, balance-alb")
        }
        if !options.slavePrio.isEmpty && !singleActive.contains(mode) {
            let first = bond.marks.marks.filter { $0.key.hasPrefix("prio:") }.values
                .min { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
            context.warning(
                first ?? bondMark,
                "\(label): 'prio' is ignored in mode \(mode.rawValue) (it applies to active-backup, balance-tlb, balance-alb)"
            )
        }
        let lacpKeys = [
            "lacp_rate", "lacp_active", "ad_select", "ad_actor_sys_prio", "ad_user_port_key", "ad_actor_system",
            "min_links",
        ]
        for key in lacpKeys where given(key, bond) && mode != .ieee8023ad {
            ignored(key, onlyIn: "802.3ad")
        }
        let arpKeys = [
            "arp_interval", "arp_ip_target", "ns_ip6_target", "arp_validate", "arp_all_targets", "arp_missed_max",
        ]
        if [.ieee8023ad, .balanceTLB, .balanceALB].contains(mode) {
            for key in arpKeys where given(key, bond) {
                warn(key, "'\(key)' is ignored in mode \(mode.rawValue): the ARP monitor is not available there")
            }
        }
        if given("xmit_hash_policy", bond) && ![.balanceXOR, .ieee8023ad, .balanceTLB].contains(mode) {
            ignored("xmit_hash_policy", onlyIn: "balance-xor, 802.3ad, balance-tlb")
        }
        if given("packets_per_slave", bond) && mode != .balanceRR {
            ignored("packets_per_slave", onlyIn: "balance-rr")
        }
        if given("tlb_dynamic_lb", bond) && mode != .balanceTLB {
            ignored("tlb_dynamic_lb", onlyIn: "balance-tlb")
        }
        if given("lp_interval", bond) && ![.balanceTLB, .balanceALB].contains(mode) {
            ignored("lp_interval", onlyIn: "balance-tlb, balance-alb")
        }
        if given("fail_over_mac", bond) && mode != .activeBackup {
            ignored("fail_over_mac", onlyIn: "active-backup")
        }
        for key in ["num_grat_arp", "num_unsol_na", "peer_notif_delay"]
        where given(key, bond) && ![.activeBackup, .ieee8023ad].contains(mode) {
            ignored(key, onlyIn: "active-backup (and 802.3ad with broadcast_neighbor)")
        }
        let miimon = options.miimon ?? 0
        let arpInterval = options.arpInterval ?? 0
        for key in ["updelay", "downdelay", "peer_notif_delay"] where given(key, bond) {
            let value: Int? =
                switch key {
                case "updelay": options.updelay
                case "downdelay": options.downdelay
                default: options.peerNotifDelay
                }
            guard let value, value > 0 else { continue }
            if key != "peer_notif_delay" && miimon == 0 {
                warn(key, "'\(key)' has no effect without miimon (the kernel refuses it with miimon 0)")
            } else if miimon > 0 && value % miimon != 0 {
                warn(
                    key,
                    "'\(key)' \(value) is not a multiple of miimon \(miimon); the kernel rounds it down to \(value / miimon * miimon)"
                )
            }
        }
        if miimon > 0 && arpInterval > 0 {
            warn(
                "arp_interval",
                "both miimon and arp_interval are set; the kernel uses only one link monitor (enabling one disables the other)"
            )
        }
        if arpInterval > 0 && options.arpIPTargets.isEmpty && options.nsIP6Targets.isEmpty {
            warn(
                "arp_interval",
                "arp_interval is set but there is no arp_ip_target or ns_ip6_target; the ARP monitor has nothing to probe"
            )
        }
        if given("arp_all_targets", bond) && (options.arpValidate ?? ArpValidate.none) == ArpValidate.none {
            warn("arp_all_targets", "'arp_all_targets' only applies with arp_validate")
        }
    }
}
