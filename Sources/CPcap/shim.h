// libpcap (libpcap-dev): live capture, BPF filters compiled by libpcap, capture statistics.
#include <pcap/pcap.h>
