#pragma once
// Linux uapi headers for rtnetlink and out-of-line shims for calls that need _GNU_SOURCE
// (setns, unshare) or are function-like macros (NLMSG_ALIGN, RTA_ALIGN). The shims are
// defined in shims.c: a static inline version here cannot see the target's _GNU_SOURCE.

#include <stdint.h>
#include <sched.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <netinet/in.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/veth.h>
#include <linux/if_bonding.h>
#include <linux/if_ether.h>

// Bonding uapi numbers this code relies on. The installed headers (if_link.h) define all of
// them; these guards only matter on older header sets, where the enums below stop earlier.
// IFLA_BOND_MISSED_MAX (Linux 5.19) and IFLA_BOND_SLAVE_PRIO (Linux 6.0) are numbered from
// the uapi enums: IFLA_BOND_MISSED_MAX = 30, IFLA_BOND_NS_IP6_TARGET = 31,
// IFLA_BOND_SLAVE_PRIO = 9.
#define CNETSHIMS_IFLA_BOND_MISSED_MAX 30
#define CNETSHIMS_IFLA_BOND_NS_IP6_TARGET 31
#define CNETSHIMS_IFLA_BOND_SLAVE_PRIO 9

/// setns(2). Returns 0 or -1 with errno set.
int CNetShims_setns(int fd, int nstype);
/// unshare(2). Returns 0 or -1 with errno set.
int CNetShims_unshare(int flags);
/// The CLONE_NEWNET flag (hidden behind _GNU_SOURCE in <sched.h>).
int CNetShims_CLONE_NEWNET(void);
/// NLMSG_ALIGN(len).
uint32_t CNetShims_NLMSG_ALIGN(uint32_t len);
/// NLMSG_HDRLEN.
uint32_t CNetShims_NLMSG_HDRLEN(void);
/// RTA_ALIGN(len) (equal to NLA_ALIGN).
uint32_t CNetShims_RTA_ALIGN(uint32_t len);
/// gettid(2).
int CNetShims_gettid(void);
/// mount(src, dst, "none", MS_BIND, NULL): pins a namespace file like `ip netns add`.
int CNetShims_bind_mount(const char *source, const char *target);
/// umount2(path, MNT_DETACH), as `ip netns del` does.
int CNetShims_umount_detach(const char *target);

/// Layout-identical copy of glibc's `struct mmsghdr` (which <sys/socket.h> declares only under
/// _GNU_SOURCE, invisible to Swift importers). shims.c checks size and offsets at compile time.
struct CNetShims_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
/// sendmmsg(2). Returns the number of messages sent or -1 with errno set.
int CNetShims_sendmmsg(int fd, struct CNetShims_mmsghdr *messages, unsigned int count, int flags);
/// recvmmsg(2) without a timeout (pass MSG_WAITFORONE and rely on SO_RCVTIMEO). Returns the
/// number of messages received or -1 with errno set.
int CNetShims_recvmmsg(int fd, struct CNetShims_mmsghdr *messages, unsigned int count, int flags);
/// The MSG_WAITFORONE flag (hidden behind _GNU_SOURCE in <sys/socket.h>).
int CNetShims_MSG_WAITFORONE(void);

/// Forks a child that will run `path` (the first half of a spawn; `CNetShims_spawn_finish` is the
/// second). In the child: dup2 each `sources[i]` onto `targets[i]` and close every other descriptor,
/// setns(`netns_fd`, CLONE_NEWNET) when `netns_fd` >= 0 (in the child only), reset every signal to its
/// default disposition with an empty mask, and when `die_with_parent` prctl(PR_SET_PDEATHSIG, SIGKILL)
/// and make sure the parent did not die before that (getppid). Then the child waits on a gate until
/// the parent calls `CNetShims_spawn_finish`, so the parent can record the PID before the program runs,
/// and execve. posix_spawn cannot set the parent-death signal or a namespace.
/// PR_SET_PDEATHSIG fires when the *thread* that forked exits: call it from a thread that lives as long
/// as the process. Returns the child's PID and the two parent ends (report, gate), or -1 with errno set.
int CNetShims_spawn_start(const char *path, char *const argv[], char *const envp[], const int *sources,
                          const int *targets, int count, int netns_fd, int die_with_parent, int *report_fd,
                          int *gate_fd);
/// Opens the gate of a child from `CNetShims_spawn_start` and waits for its execve. Returns 0, or -1
/// with the child's errno when the setup or exec failed (the child is then reaped). Closes both ends.
int CNetShims_spawn_finish(pid_t pid, int report_fd, int gate_fd);

/// Installs handlers for SIGINT and SIGTERM that remember the first signal and write its number (one
/// byte) to a pipe, and unblocks both in the calling thread. Idempotent. Returns the pipe's read end
/// (blocking, close-on-exec), or -1 with errno set. The handler is async-signal-safe; exec resets it.
int CNetShims_catch_stop_signals(void);
/// The first SIGINT/SIGTERM caught since `CNetShims_catch_stop_signals`, or 0.
int CNetShims_first_stop_signal(void);
/// Puts SIGINT and SIGTERM back to their default action (a later signal ends the process).
void CNetShims_default_stop_signals(void);
