#ifndef _GNU_SOURCE
#error "_GNU_SOURCE must be defined"
#endif
#include "CNetShims.h"
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <spawn.h>

int CNetShims_setns(int fd, int nstype) { return setns(fd, nstype); }
int CNetShims_unshare(int flags) { return unshare(flags); }
int CNetShims_CLONE_NEWNET(void) { return CLONE_NEWNET; }
uint32_t CNetShims_NLMSG_ALIGN(uint32_t len) { return NLMSG_ALIGN(len); }
uint32_t CNetShims_NLMSG_HDRLEN(void) { return NLMSG_HDRLEN; }
uint32_t CNetShims_RTA_ALIGN(uint32_t len) { return RTA_ALIGN(len); }
int CNetShims_gettid(void) { return (int)syscall(SYS_gettid); }
int CNetShims_bind_mount(const char *source, const char *target) {
    return mount(source, target, "none", MS_BIND, NULL);
}
int CNetShims_umount_detach(const char *target) { return umount2(target, MNT_DETACH); }

#include <stddef.h>
#include <sys/socket.h>
_Static_assert(sizeof(struct CNetShims_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr size");
_Static_assert(offsetof(struct CNetShims_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr.msg_len");
int CNetShims_sendmmsg(int fd, struct CNetShims_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}
int CNetShims_recvmmsg(int fd, struct CNetShims_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}
int CNetShims_MSG_WAITFORONE(void) { return MSG_WAITFORONE; }

int CNetShims_spawn_addclosefrom(void *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}
