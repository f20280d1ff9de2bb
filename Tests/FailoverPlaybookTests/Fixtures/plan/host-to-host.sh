#!/bin/sh
# failover plan: host-to-host bond, no switch
# playbook: host-to-host.yaml
# run id 000000: every namespace is fo000000-<name>
set -e

# --- switches and hosts ---
ip netns add fo000000-a
ip -n fo000000-a link set lo up
ip netns add fo000000-b
ip -n fo000000-b link set lo up
ip netns add fo000000-c
ip -n fo000000-c link set lo up

# --- cables ---
# a/eth0 <-> b/eth0
ip -n fo000000-a link add eth0 type veth peer name eth0 netns fo000000-b
#   a/eth0 stays down: its bond brings it up
ip -n fo000000-b link set eth0 up
# a/eth1 <-> b/eth1
ip -n fo000000-a link add eth1 type veth peer name eth1 netns fo000000-b
ip -n fo000000-a link set eth1 address 02:00:00:00:0a:01
#   a/eth1 stays down: its bond brings it up
ip -n fo000000-b link set eth1 up
# b/eth2 <-> c/eth0
ip -n fo000000-b link add eth2 type veth peer name eth0 netns fo000000-c
ip -n fo000000-b link set eth2 up
ip -n fo000000-c link set eth0 up

# --- bonds ---
# a/bond0: balance-xor over eth0, eth1
ip -n fo000000-a link add bond0 type bond mode balance-xor miimon 50 xmit_hash_policy layer3+4
ip -n fo000000-a link set eth0 down
ip -n fo000000-a link set eth0 master bond0
ip -n fo000000-a link set eth1 down
ip -n fo000000-a link set eth1 master bond0
ip -n fo000000-a link set bond0 up

# --- addresses and routes ---
ip -n fo000000-a addr add 198.18.1.1/24 dev bond0
ip -n fo000000-a addr add 2001:2:0:1::1/64 dev bond0
ip -n fo000000-b addr add 198.18.5.2/24 dev eth0
ip -n fo000000-b addr add 2001:2:0:5::2/64 dev eth0
ip -n fo000000-b addr add 198.18.2.2/24 dev eth1
ip -n fo000000-b addr add 2001:2:0:2::2/64 dev eth1
ip -n fo000000-b addr add 198.18.3.1/24 dev eth2
ip -n fo000000-b addr add 2001:2:0:3::1/64 dev eth2
ip -n fo000000-b route add 198.18.9.0/24 via 198.18.1.2
ip -6 -n fo000000-b route add 2001:2:0:9::/64 dev eth2
ip -n fo000000-c addr add 198.18.3.2/24 dev eth0
ip -n fo000000-c addr add 2001:2:0:3::2/64 dev eth0

# --- steps ---
# step 1 (host-to-host.yaml:14:5): pull a/eth0
ip -n fo000000-b link set eth0 down
# step 2 (host-to-host.yaml:15:5): expect carrier of b/eth0 is down within 100ms
#   expect carrier of b/eth0 is down within 100ms
ip -n fo000000-b link show eth0
# step 3 (host-to-host.yaml:16:5): plug b/eth0
ip -n fo000000-a link set eth0 up
# step 4 (host-to-host.yaml:17:5): down c/eth0
ip -n fo000000-c link set eth0 down
# step 5 (host-to-host.yaml:18:5): hold 250ms
sleep 0.25

# --- teardown ---
ip netns del fo000000-c
ip netns del fo000000-b
ip netns del fo000000-a
