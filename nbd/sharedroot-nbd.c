// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-nbd: the resident helper that keeps a network root alive across server
 * restarts. sharedroot-init starts it for each NBD device it attaches, with argv[0]
 * "@sharedroot-nbd": systemd (and its shutdown) spares processes whose name starts with '@'
 * ("root storage daemons"). It waits for the kernel's NBD_CMD_LINK_DEAD events for its device
 * (the multicast socket, subscribed by the init before the device was connected, is its fd
 * --watch-fd), then reconnects with backoff, checks that the server still has the same export,
 * and hands the new socket to the kernel (NBD_CMD_RECONFIGURE). Meanwhile the kernel holds
 * reads and writes back for up to sharedroot.nbd.timeout= seconds. A disconnect asked for on
 * purpose (NBD_CMD_DISCONNECT) sends no event, so it is never undone. See sharedroot-nbd(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nbd-connect.h"
#include "nbd-genl.h"
#include "nbd-spec.h"
#include "time-util.h"

#define PROGRAM "sharedroot-nbd"
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define ATTEMPT_MS 5000
#define STILL_TRYING_EVERY_MS 60000

struct helper {
    int index;
    const char *spec_text;
    struct nbd_spec spec;
    struct nbd_server_addr addr;
    uint64_t size;
    uint16_t flags;
    struct nbd_genl genl;
    struct nl watch;
    int kmsg, console;
    bool silent;
    char desc[512];
};

static volatile sig_atomic_t stop, silence;

/* SIGUSR1 (the shutdown program, before its unmounts): close every descriptor on the old
 * /dev (the log, the console, /dev/null on 0-2), which would keep that mount, and so the
 * root below it, busy; from then on the helper logs nothing. */
static void on_usr1(int sig)
{
    (void)sig;
    silence = 1;
}

static void go_silent(struct helper *h)
{
    if (h->kmsg >= 0)
        close(h->kmsg);
    if (h->console >= 0)
        close(h->console);
    h->kmsg = h->console = -1;
    h->silent = true;
    for (int fd = 0; fd <= 2; fd++)
        close(fd);
}

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

/* One line to /dev/kmsg (opened before the switch, kept), warnings and errors also to the
 * console; stderr when neither is open (a test run). */
__attribute__((format(printf, 3, 4))) static void say(const struct helper *h, int prio,
                                                      const char *fmt, ...)
{
    char msg[1024], line[1100];
    va_list ap;
    int n;

    if (h->silent)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (h->kmsg >= 0) {
        n = snprintf(line, sizeof line, "<%d>" PROGRAM "[%d]: nbd%d: %s\n", prio, (int)getpid(),
                     h->index, msg);
        if (write(h->kmsg, line, (size_t)n) < 0) {
            /* nowhere else to say it */
        }
    }
    if ((prio <= 4 && h->console >= 0) || (h->kmsg < 0 && h->console < 0)) {
        n = snprintf(line, sizeof line, PROGRAM ": nbd%d: %s\n", h->index, msg);
        if (write(h->console >= 0 ? h->console : 2, line, (size_t)n) < 0) {
            /* nothing to do */
        }
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: @" PROGRAM " --device N --spec SPEC --server ADDRESS --size BYTES\n"
            "                      --flags FLAGS --watch-fd FD\n"
            "Keeps /dev/nbdN connected across restarts of its NBD server. Started by\n"
            "sharedroot-init for every NBD device it attaches; not meant to be run by hand\n"
            "(see sharedroot-nbd(8)).\n"
            "  --device N        the NBD device index (/dev/nbdN)\n"
            "  --spec SPEC       the nbd: spec it was attached from (export, port, and the\n"
            "                    kernel's backend identifier)\n"
            "  --server ADDRESS  the server's numeric address (resolved at boot)\n"
            "  --size BYTES      the export's size, and\n"
            "  --flags FLAGS     its transmission flags, as first negotiated: a server that\n"
            "                    comes back with another export is not used\n"
            "  --watch-fd FD     a generic netlink socket subscribed to the nbd multicast group\n"
            "  -h, --help        show this help\n"
            "  -V, --version     show the version\n"
            "Exit status: 0 stopped by SIGTERM or the device is gone, 1 failure, 2 usage error.\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!*s || *s == '-')
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || *end || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_args(struct helper *h, int argc, char **argv)
{
    static const struct option opts[] = {
        {"device", required_argument, NULL, 'd'},
        {"spec", required_argument, NULL, 's'},
        {"server", required_argument, NULL, 'a'},
        {"size", required_argument, NULL, 'z'},
        {"flags", required_argument, NULL, 'f'},
        {"watch-fd", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *server = NULL, *why = NULL;
    uint64_t v;
    int c, watch_fd = -1;

    while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (parse_u64(optarg, 1u << 20, &v) < 0)
                return fprintf(stderr, PROGRAM ": --device %s: not a device index\n", optarg), 2;
            h->index = (int)v;
            break;
        case 's':
            h->spec_text = optarg;
            break;
        case 'a':
            server = optarg;
            break;
        case 'z':
            if (parse_u64(optarg, INT64_MAX, &h->size) < 0)
                return fprintf(stderr, PROGRAM ": --size %s: not a size in bytes\n", optarg), 2;
            break;
        case 'f':
            if (parse_u64(optarg, 0xffff, &v) < 0)
                return fprintf(stderr, PROGRAM ": --flags %s: not 16 bits of flags\n", optarg), 2;
            h->flags = (uint16_t)v;
            break;
        case 'w':
            if (parse_u64(optarg, 1 << 20, &v) < 0)
                return fprintf(stderr, PROGRAM ": --watch-fd %s: not a descriptor\n", optarg), 2;
            watch_fd = (int)v;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf(PROGRAM " %s\n", SHAREDROOT_VERSION);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !h->spec_text || !server || !h->size || watch_fd < 0) {
        usage(stderr);
        return 2;
    }
    if (nbd_spec_parse(h->spec_text, &h->spec, &why) < 0)
        return fprintf(stderr, PROGRAM ": --spec %s: %s\n", h->spec_text, why), 2;
    if (nbd_addr_numeric(server, h->spec.port, &h->addr) < 0)
        return fprintf(stderr, PROGRAM ": --server %s: not a numeric address\n", server), 2;
    h->watch.sock = mnl_socket_fdopen(watch_fd);
    if (!h->watch.sock)
        return fprintf(stderr, PROGRAM ": --watch-fd %d: not a netlink socket\n", watch_fd), 2;
    nbd_spec_describe(&h->spec, h->desc, sizeof h->desc);
    return 0;
}

/* One new connection, checked against the export first negotiated, given to the kernel in
 * place of a dead one. -ENOSPC: the kernel has no dead connection (any more). */
static int reconnect_one(struct helper *h, char *why, size_t n)
{
    struct nbd_export e;
    size_t one = 1;
    int fd, r;

    r = nbd_open(&h->addr, h->spec.export_name, ATTEMPT_MS, &fd, &one, &e, why, n);
    if (r < 0)
        return r;
    if (e.size != h->size || e.flags != h->flags) {
        snprintf(why, n,
                 "the server came back with another export (size %" PRIu64 ", flags 0x%x; "
                 "it was %" PRIu64 ", 0x%x): not used, fix the server",
                 e.size, e.flags, h->size, h->flags);
        close(fd);
        return -EPROTO;
    }
    r = nbd_genl_reconfigure(&h->genl, h->index, &fd, 1, h->spec_text);
    close(fd); /* the kernel holds its own reference */
    if (r < 0 && r != -ENOSPC)
        snprintf(why, n, "the kernel refused the new connection: %s", strerror(-r));
    return r;
}

struct outage {
    long long since, last_report;
    unsigned attempts;
    char last[512];
};

/* Serve pending dead connections. Returns how many are still pending; *next_ms is when to
 * try again. */
static int serve(struct helper *h, int pending, struct outage *o, long long *backoff)
{
    char why[512];

    while (pending > 0 && !stop) {
        int r = reconnect_one(h, why, sizeof why);
        o->attempts++;
        if (r == 0 || r == -ENOSPC) {
            if (r == 0)
                say(h, 5, "reconnected to %s (%s) after %.1f s, %u attempt%s", h->desc,
                    h->addr.text, (double)((long long)now_ms() - o->since) / 1000, o->attempts,
                    o->attempts == 1 ? "" : "s");
            pending = r == 0 ? pending - 1 : 0;
            *backoff = BACKOFF_MIN_MS;
            o->attempts = 0;
            o->last[0] = 0;
            continue;
        }
        if (strcmp(why, o->last) != 0 ||
            (long long)now_ms() - o->last_report > STILL_TRYING_EVERY_MS) {
            say(h, 4, "%s: %s; still trying (%u attempts in %.0f s)", h->desc, why, o->attempts,
                (double)((long long)now_ms() - o->since) / 1000);
            snprintf(o->last, sizeof o->last, "%s", why);
            o->last_report = (long long)now_ms();
        }
        break;
    }
    return pending;
}

static int run(struct helper *h)
{
    struct outage o = {0};
    long long backoff = BACKOFF_MIN_MS;
    int pending = 0;

    say(h, 6, "watching %s (%s)", h->desc, h->addr.text);
    while (!stop) {
        if (silence && !h->silent)
            go_silent(h);
        struct pollfd p = {.fd = mnl_socket_get_fd(h->watch.sock), .events = POLLIN};
        int n = poll(&p, 1, pending ? (int)backoff : -1);

        if (n < 0 && errno != EINTR)
            return say(h, 3, "poll: %s", strerror(errno)), 1;
        if (n > 0) {
            int dead = nbd_genl_watch_read(&h->watch, h->index);
            if (dead > 0) {
                if (!pending) {
                    o = (struct outage){.since = (long long)now_ms(),
                                        .last_report = (long long)now_ms()};
                    say(h, 4,
                        "lost the connection to %s (%s): reconnecting; reads and writes "
                        "wait meanwhile",
                        h->desc, h->addr.text);
                }
                pending += dead;
                if (pending > NBD_MAX_CONNECTIONS)
                    pending = NBD_MAX_CONNECTIONS;
            } else if (dead < 0 && dead != -EAGAIN) {
                return say(h, 3, "reading kernel events: %s", strerror(-dead)), 1;
            }
        }
        if (pending) {
            pending = serve(h, pending, &o, &backoff);
            if (pending)
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
        }
    }
    if (nbd_genl_connected(&h->genl, h->index) == 0)
        say(h, 6, "stopping: /dev/nbd%d was disconnected", h->index);
    else
        say(h, 5, "stopping: /dev/nbd%d stays connected but is no longer reconnected", h->index);
    return 0;
}

int main(int argc, char **argv)
{
    struct helper h = {.kmsg = -1, .console = -1};
    struct sigaction sa = {.sa_handler = on_term};
    int r;

    r = parse_args(&h, argc, argv);
    if (r)
        return r;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    /* opened now: after the switch the initramfs' /dev is gone from our view */
    if (getenv("SHAREDROOT_NBD_STDERR") == NULL) {
        h.kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        h.console = open("/dev/console", O_WRONLY | O_CLOEXEC | O_NOCTTY);
    }
    r = nbd_genl_open(&h.genl);
    if (r < 0) {
        say(&h, 3, "cannot talk to the kernel's nbd driver: %s", strerror(-r));
        return 1;
    }
    r = run(&h);
    nbd_genl_close(&h.genl);
    mnl_socket_close(h.watch.sock);
    return r;
}
