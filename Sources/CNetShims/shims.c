#ifndef _GNU_SOURCE
#error "_GNU_SOURCE must be defined"
#endif
#include "CNetShims.h"
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/mount.h>

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

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>

// Closes descriptors first...last (last < 0: to the end): close_range(2) (Linux 5.9), else a loop.
static void cnetshims_close_range(int first, int last) {
    if (last >= 0 && last < first) return;
    if (syscall(SYS_close_range, (unsigned)first, last < 0 ? ~0U : (unsigned)last, 0) != 0) {
        int end = last < 0 ? 65535 : last;
        for (int fd = first; fd <= end; fd++) close(fd);
    }
}

// Closes every descriptor >= from except `keep[0..<count]` (ascending, distinct).
static void cnetshims_close_from_except(int from, const int *keep, int count) {
    for (int i = 0; i < count; i++) {
        cnetshims_close_range(from, keep[i] - 1);
        if (keep[i] + 1 > from) from = keep[i] + 1;
    }
    cnetshims_close_range(from, -1);
}

int CNetShims_spawn_start(const char *path, char *const argv[], char *const envp[], const int *sources,
                          const int *targets, int count, int netns_fd, int die_with_parent, int *report_fd,
                          int *gate_fd) {
    if (count < 0 || count > 64) {
        errno = EINVAL;
        return -1;
    }
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -1;
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) != 0) {
        int saved = errno;
        close(report[0]);
        close(report[1]);
        errno = saved;
        return -1;
    }
    int highest = 2;
    for (int i = 0; i < count; i++)
        if (targets[i] > highest) highest = targets[i];
    pid_t parent = getpid();
    // No signal handler of ours may run in the child (it would write to our signal pipe).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        // Child: only async-signal-safe calls from here on.
        int error = 0;
        int rep = fcntl(report[1], F_DUPFD_CLOEXEC, highest + 1);
        int wait_on = fcntl(gate[0], F_DUPFD_CLOEXEC, highest + 1);
        int ns = netns_fd >= 0 ? fcntl(netns_fd, F_DUPFD_CLOEXEC, highest + 1) : -1;
        if (rep < 0 || wait_on < 0 || (netns_fd >= 0 && ns < 0)) error = errno;
        int moved[64];
        for (int i = 0; i < count && error == 0; i++) {
            moved[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, highest + 1);
            if (moved[i] < 0) error = errno;
        }
        for (int i = 0; i < count && error == 0; i++) {
            if (dup2(moved[i], targets[i]) < 0) error = errno;
        }
        // setns(2) in the child only: the parent's threads never change namespace.
        if (error == 0 && ns >= 0 && setns(ns, CLONE_NEWNET) != 0) error = errno;
        // Nothing but the targets (and our two pipes until exec) stays open.
        for (int fd = 0; fd <= highest && error == 0; fd++) {
            int wanted = 0;
            for (int i = 0; i < count; i++)
                if (targets[i] == fd) wanted = 1;
            if (!wanted) close(fd);
        }
        if (error == 0) {
            int keep[2] = {rep < wait_on ? rep : wait_on, rep < wait_on ? wait_on : rep};
            cnetshims_close_from_except(highest + 1, keep, 2);
        }
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        for (int s = 1; s < NSIG; s++) {
            if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
        }
        if (error == 0 && die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) error = errno;
        // The parent may have died before prctl: then nobody would kill us.
        if (error == 0 && die_with_parent && getppid() != parent) _exit(127);
        // Wait until the parent has recorded our PID (one byte; EOF means it gave up or died).
        if (error == 0) {
            char go = 0;
            ssize_t got;
            do {
                got = read(wait_on, &go, 1);
            } while (got < 0 && errno == EINTR);
            if (got != 1) _exit(127);
            close(wait_on);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (error == 0) {
            execve(path, argv, envp);
            error = errno;
        }
        if (rep >= 0) {
            ssize_t ignored = write(rep, &error, sizeof error);
            (void)ignored;
        }
        _exit(127);
    }
    int forkError = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(report[1]);
    close(gate[0]);
    if (pid < 0) {
        close(report[0]);
        close(gate[1]);
        errno = forkError;
        return -1;
    }
    *report_fd = report[0];
    *gate_fd = gate[1];
    return pid;
}

int CNetShims_spawn_finish(pid_t pid, int report_fd, int gate_fd) {
    char go = 1;
    ssize_t wrote;
    do {
        wrote = write(gate_fd, &go, 1);
    } while (wrote < 0 && errno == EINTR);
    close(gate_fd);
    int childError = 0;
    ssize_t got;
    do {
        got = read(report_fd, &childError, sizeof childError);
    } while (got < 0 && errno == EINTR);
    close(report_fd);
    if (got == (ssize_t)sizeof childError) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        errno = childError;
        return -1;
    }
    return 0;
}

static volatile sig_atomic_t cnetshims_first_signal = 0;
static int cnetshims_signal_pipe[2] = {-1, -1};

static void cnetshims_on_stop_signal(int signo) {
    int saved = errno;
    if (cnetshims_first_signal == 0) cnetshims_first_signal = signo;
    unsigned char byte = (unsigned char)signo;
    ssize_t ignored = write(cnetshims_signal_pipe[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

int CNetShims_catch_stop_signals(void) {
    if (cnetshims_signal_pipe[0] < 0) {
        int ends[2];
        if (pipe2(ends, O_CLOEXEC) != 0) return -1;
        int flags = fcntl(ends[1], F_GETFL);
        fcntl(ends[1], F_SETFL, flags | O_NONBLOCK);
        cnetshims_signal_pipe[0] = ends[0];
        cnetshims_signal_pipe[1] = ends[1];
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = cnetshims_on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, SIGINT);
    sigaddset(&action.sa_mask, SIGTERM);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &action, NULL) != 0 || sigaction(SIGTERM, &action, NULL) != 0) return -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    return cnetshims_signal_pipe[0];
}

int CNetShims_first_stop_signal(void) { return cnetshims_first_signal; }

void CNetShims_default_stop_signals(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}
