#!/bin/sh
# failover plan: active-backup, pull and plug both slaves
# playbook: sketch.yaml
# seed: 001 — after a pull the other slave takes over
# run id 000000: every namespace is fo000000-<name>
set -e

# --- switches and hosts ---
ip netns add fo000000-sw1
ip -n fo000000-sw1 link set lo up
ip -n fo000000-sw1 link add br0 type bridge stp_state 0 forward_delay 0
ip -n fo000000-sw1 link set br0 up
ip netns add fo000000-sw2
ip -n fo000000-sw2 link set lo up
ip -n fo000000-sw2 link add br0 type bridge stp_state 0 forward_delay 0
ip -n fo000000-sw2 link set br0 up
ip netns add fo000000-server
ip -n fo000000-server link set lo up
ip netns add fo000000-client
ip -n fo000000-client link set lo up

# --- cables ---
# server/eth0 <-> switch sw1
ip -n fo000000-sw1 link add server-eth0 type veth peer name eth0 netns fo000000-server
ip -n fo000000-sw1 link set server-eth0 master br0
ip -n fo000000-sw1 link set server-eth0 up
#   server/eth0 stays down: its bond brings it up
# server/eth1 <-> switch sw2
ip -n fo000000-sw2 link add server-eth1 type veth peer name eth1 netns fo000000-server
ip -n fo000000-sw2 link set server-eth1 master br0
ip -n fo000000-sw2 link set server-eth1 up
ip -n fo000000-server link set eth1 address 02:00:00:00:01:02
#   server/eth1 stays down: its bond brings it up
# client/eth0 <-> switch sw1
ip -n fo000000-sw1 link add client-eth0 type veth peer name eth0 netns fo000000-client
ip -n fo000000-sw1 link set client-eth0 master br0
ip -n fo000000-sw1 link set client-eth0 up
ip -n fo000000-client link set eth0 up
# client/eth1 <-> switch sw2
ip -n fo000000-sw2 link add client-eth1 type veth peer name eth1 netns fo000000-client
ip -n fo000000-sw2 link set client-eth1 master br0
ip -n fo000000-sw2 link set client-eth1 up
ip -n fo000000-client link set eth1 up

# --- bonds ---
# server/bond0: active-backup over eth0, eth1
ip -n fo000000-server link add bond0 type bond mode active-backup miimon 100 updelay 200 peer_notify_delay 100 primary eth0 primary_reselect always num_grat_arp 2
ip -n fo000000-server link set bond0 address 02:00:00:00:00:01
ip -n fo000000-server link set eth0 down
ip -n fo000000-server link set eth0 master bond0
ip -n fo000000-server link set eth1 down
ip -n fo000000-server link set eth1 master bond0
ip -n fo000000-server link set eth0 type bond_slave prio 10
ip -n fo000000-server link set bond0 up

# --- addresses and routes ---
ip -n fo000000-server addr add 198.18.0.1/24 dev bond0
ip -n fo000000-server route add default via 198.18.0.254
ip -n fo000000-client addr add 198.18.0.10/24 dev eth0
ip -n fo000000-client addr add 198.18.0.2/24 dev eth1
ip -n fo000000-client addr add 2001:2::2/64 dev eth1

# --- probes (run by failover itself; no shell equivalent) ---
# probe p1: UDP client -> server port 40000, 10000 pps, 64 bytes, 4 flow(s), both, started by start_probe

# --- steps ---
# step 1 (sketch.yaml:21:5): start_probe p1
# (failover starts probe p1)
# step 2 (sketch.yaml:22:5): expect active_slave of server/bond0 is eth0
#   expect active_slave of server/bond0 is eth0
ip netns exec fo000000-server cat /proc/net/bonding/bond0
# step 3 (sketch.yaml:23:5): pull server/eth0
ip -n fo000000-sw1 link set server-eth0 down
# step 4 (sketch.yaml:24:5): expect active_slave of server/bond0 is eth1 within 500ms
#   expect active_slave of server/bond0 is eth1 within 500ms
ip netns exec fo000000-server cat /proc/net/bonding/bond0
# step 5 (sketch.yaml:25:5): expect (7 assertions)
#   expect mii_status of server/eth0 is down within auto
ip netns exec fo000000-server cat /proc/net/bonding/bond0
#   expect link_failures of server/eth0 is >= 1
#   expect carrier of server/bond0 is up
ip -n fo000000-server link show bond0
#   expect mac of server/bond0 is 02:00:00:00:00:01
#   expect loss of probe p1 (last fault window) is <= 50
# (measured by the probe)
#   expect outage of probe p1 (last fault window) is <= 300ms (timestamp)
#   expect reordered of probe p1 (whole run) is == 0
# step 6 (sketch.yaml:33:5): plug server/eth0
ip -n fo000000-sw1 link set server-eth0 up
# step 7 (sketch.yaml:34:5): hold 1.5s
sleep 1.5
# step 8 (sketch.yaml:35:5): switch_down sw1
ip -n fo000000-sw1 link set br0 down
# step 9 (sketch.yaml:36:5): switch_up sw1
ip -n fo000000-sw1 link set br0 up
# step 10 (sketch.yaml:37:5): blackhole server/eth1
bridge -n fo000000-sw2 link set dev server-eth1 state 0
# step 11 (sketch.yaml:38:5): restore server/eth1
bridge -n fo000000-sw2 link set dev server-eth1 state 3
# step 12 (sketch.yaml:39:5): set server/bond0 active_slave=eth1
ip -n fo000000-server link set bond0 type bond active_slave eth1
# step 13 (sketch.yaml:39:5): set server/bond0 peer_notif_delay=200
ip -n fo000000-server link set bond0 type bond peer_notify_delay 200
# step 14 (sketch.yaml:40:5): down server/eth0
ip -n fo000000-server link set eth0 down
# step 15 (sketch.yaml:41:5): up server/eth0
ip -n fo000000-server link set eth0 up
# step 16 (sketch.yaml:42:5): stop_probe p1
# (failover stops probe p1)

# --- teardown ---
ip netns del fo000000-client
ip netns del fo000000-server
ip netns del fo000000-sw2
ip netns del fo000000-sw1
