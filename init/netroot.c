// SPDX-License-Identifier: GPL-2.0-or-later
#include "netroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "dhcp.h"
#include "fsio.h"
#include "io-util.h"
#include "ipconf.h"
#include "layout.h"
#include "log.h"
#include "nbd-connect.h"
#include "nbd-genl.h"
#include "nbd-spec.h"
#include "publish.h"
#include "rtnl.h"
#include "stage-devices.h"
#include "time-util.h"

#define NETROOT_IFACES_MAX 16
#define NETROOT_NBD_MAX 8
/* How long one connection attempt may take, and the pauses between attempts at boot. */
#define NBD_ATTEMPT_MS 10000
#define NBD_RETRY_MIN_MS 250
#define NBD_RETRY_MAX_MS 2000
/* How long a link may take to report its carrier before DHCP starts anyway. */
#define CARRIER_WAIT_MS 5000
#define BUSYBOX_PATH "/bin/busybox"
#define NBD_HELPER_PATH "/lib/sharedroot/sharedroot-nbd"
#define NBD_HELPER_FD 3
/* sysvinit's sendsigs (and initscripts) leave the pids listed here alive at shutdown */
#define SENDSIGS_OMIT_DIR "/run/sendsigs.omit.d"
#define LEASE_DIR SHAREDROOT_RUN "/net"

struct net_iface {
    char name[IF_NAMESIZE];
    int index;
    enum ipconf_method method;
    struct inet_addr addr;
    int prefix;
    struct inet_addr gateway;
    struct dhcp_lease lease; /* DHCP */
    unsigned mtu;
    char hostname[IPCONF_HOSTNAME_MAX + 1]; /* ip='s HOSTNAME field: published, not set */
};

struct nbd_attached {
    char spec[NBD_SPEC_MAX + 1];
    struct nbd_spec s;
    struct nbd_server_addr addr;
    struct nbd_export e;
    size_t connections;
    unsigned dead_timeout_s;
    unsigned request_timeout_s; /* sharedroot.nbd.request_timeout= */
    uint32_t block_size;
    bool base;
    int index;
    char dev[32];
    pid_t helper; /* the resident helper, 0 when none */
};

struct netroot {
    bool parsed, up;
    struct ipconf ip[IPCONF_MAX];
    size_t n_ip;
    struct inet_addr nameservers[NAMESERVERS_MAX]; /* nameserver= */
    size_t n_nameservers;
    struct net_iface ifs[NETROOT_IFACES_MAX];
    size_t n_ifs;
    struct inet_addr dns[NAMESERVERS_MAX]; /* what /etc/resolv.conf got */
    size_t n_dns;
    char search[DHCP_DOMAIN_MAX + 1];
    struct nbd_attached nbd[NETROOT_NBD_MAX];
    size_t n_nbd;
};

static void sleep_ms(long long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static struct netroot *net_of(struct boot_ctx *ctx)
{
    if (!ctx->net)
        ctx->net = calloc(1, sizeof *ctx->net);
    return ctx->net;
}

void netroot_free(struct boot_ctx *ctx)
{
    free(ctx->net);
    ctx->net = NULL;
}

const char *netroot_root_spec(const struct boot_ctx *ctx)
{
    if (ctx->cmd.netroot && (!ctx->cmd.root || strcmp(ctx->cmd.root, "/dev/root") == 0))
        return ctx->cmd.netroot;
    return ctx->cmd.root;
}

/* ip= and nameserver= into the struct, once. */
static int parse_net_cmdline(struct boot_ctx *ctx, struct netroot *net)
{
    const char *why = NULL;

    if (net->parsed)
        return 0;
    if (ctx->cmd.n_ip > IPCONF_MAX)
        return log_error_errno(E2BIG, "more than %d ip= on the command line", IPCONF_MAX);
    for (size_t i = 0; i < ctx->cmd.n_ip; i++)
        if (ipconf_parse(ctx->cmd.ip[i], &net->ip[i], &why) < 0)
            return log_error_errno(EINVAL, "ip=%s cannot be used: %s (see sharedroot-init(8))",
                                   ctx->cmd.ip[i], why);
    net->n_ip = ctx->cmd.n_ip;
    if (ipconf_check_all(net->ip, net->n_ip, &why) < 0)
        return log_error_errno(EINVAL, "the ip= words cannot be used together: %s", why);
    for (size_t i = 0; i < ctx->cmd.n_nameservers; i++) {
        if (net->n_nameservers == NAMESERVERS_MAX) {
            log_warning("more than %d nameserver=; the rest are not used", NAMESERVERS_MAX);
            break;
        }
        if (inet_addr_parse(ctx->cmd.nameservers[i], &net->nameservers[net->n_nameservers]) < 0)
            return log_error_errno(EINVAL, "nameserver=%s is not an IPv4 or IPv6 address",
                                   ctx->cmd.nameservers[i]);
        net->n_nameservers++;
    }
    net->parsed = true;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Links */

struct links_wait {
    struct rtnl *rtnl;
    struct netroot *net;
    struct rtnl_link links[RTNL_LINKS_MAX];
    int n;
};

static bool is_ethernet(const struct rtnl_link *l)
{
    return l->type == ARPHRD_ETHER && !(l->flags & IFF_LOOPBACK);
}

static const struct rtnl_link *find_link(const struct links_wait *w, const char *name)
{
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->links[i].name, name) == 0)
            return &w->links[i];
    return NULL;
}

static bool any_ethernet(const struct links_wait *w)
{
    for (int i = 0; i < w->n; i++)
        if (is_ethernet(&w->links[i]))
            return true;
    return false;
}

/* Every named interface is there, and an Ethernet one for an ip= without a name. */
static bool links_ready(void *ud)
{
    struct links_wait *w = ud;

    w->n = rtnl_links(w->rtnl, w->links, RTNL_LINKS_MAX);
    if (w->n < 0)
        return false;
    for (size_t i = 0; i < w->net->n_ip; i++) {
        const struct ipconf *c = &w->net->ip[i];
        if (c->ifname[0] ? !find_link(w, c->ifname) : !any_ethernet(w))
            return false;
    }
    return true;
}

static void links_present(const struct links_wait *w, char *out, size_t n)
{
    size_t len = 0;

    snprintf(out, n, "(none)");
    for (int i = 0; i < w->n && len + 2 < n; i++) {
        int k = snprintf(out + len, n - len, "%s%s", len ? " " : "", w->links[i].name);
        if (k < 0 || (size_t)k >= n - len)
            break;
        len += (size_t)k;
    }
}

static int wait_links(struct boot_ctx *ctx, struct links_wait *w)
{
    char present[256];

    if (devices_wait(ctx->devices, ctx->cmd.timeout * 1000, links_ready, w) == 0)
        return 0;
    links_present(w, present, sizeof present);
    return log_error_errno(ENODEV,
                           "network: the interface%s ip= names did not appear within %d s "
                           "(interfaces present: %s); is the network card's driver in the "
                           "initramfs (sharedroot-mkinitramfs --network), and is the name "
                           "right? Wait longer with sharedroot.timeout=SECONDS",
                           w->net->n_ip > 1 ? "s" : "", ctx->cmd.timeout, present);
}

static struct net_iface *add_iface(struct netroot *net, const struct rtnl_link *l,
                                   enum ipconf_method m)
{
    struct net_iface *f;

    for (size_t i = 0; i < net->n_ifs; i++)
        if (net->ifs[i].index == l->index)
            return NULL; /* configured by an earlier ip= */
    if (net->n_ifs == NETROOT_IFACES_MAX)
        return NULL;
    f = &net->ifs[net->n_ifs++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", l->name);
    f->index = l->index;
    f->method = m;
    f->mtu = l->mtu;
    return f;
}

static void wait_carrier(struct rtnl *rtnl, struct net_iface *ifs, size_t n)
{
    long long deadline = (long long)now_ms() + CARRIER_WAIT_MS;
    struct rtnl_link links[RTNL_LINKS_MAX];

    while ((long long)now_ms() < deadline) {
        int k = rtnl_links(rtnl, links, RTNL_LINKS_MAX);
        size_t up = 0;
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
                if (links[j].index == ifs[i].index && (links[j].flags & IFF_LOWER_UP))
                    up++;
        if (up == n)
            return;
        sleep_ms(100);
    }
    log_info("network: no carrier on every interface after %d ms; asking DHCP anyway",
             CARRIER_WAIT_MS);
}

static bool same_subnet(const struct inet_addr *a, const struct inet_addr *b, int prefix)
{
    if (a->family != b->family)
        return false;
    for (int i = 0; i < prefix; i++) {
        unsigned char m = (unsigned char)(0x80 >> (i % 8));
        if ((a->a[i / 8] & m) != (b->a[i / 8] & m))
            return false;
    }
    return true;
}

/* Address, then the default route; a gateway outside the subnet (DHCP servers of clouds
 * hand out /32 addresses) gets a route to itself on the link first. */
static int configure_addr(struct rtnl *rtnl, struct net_iface *f, bool dhcp)
{
    int r = rtnl_addr_add(rtnl, f->index, &f->addr, f->prefix);

    if (r < 0)
        return log_error_errno(r, "network: cannot add the address to %s: %m", f->name);
    if (!f->gateway.family)
        return 0;
    if (!same_subnet(&f->addr, &f->gateway, f->prefix)) {
        r = rtnl_route_add(rtnl, f->index, &f->gateway, f->gateway.family == AF_INET ? 32 : 128,
                           NULL, dhcp);
        if (r < 0)
            return log_error_errno(r, "network: cannot add a route to the gateway on %s: %m",
                                   f->name);
    }
    r = rtnl_route_add(rtnl, f->index, NULL, 0, &f->gateway, dhcp);
    if (r < 0)
        return log_error_errno(r, "network: cannot add the default route via the gateway on %s: %m",
                               f->name);
    return 0;
}

static void log_iface(const struct net_iface *f)
{
    char a[64], g[64], s[64];

    inet_addr_format(&f->addr, a, sizeof a);
    inet_addr_format(&f->gateway, g, sizeof g);
    inet_addr_format(&f->lease.server, s, sizeof s);
    if (f->method == IPCONF_DHCP)
        log_info("network: %s is %s/%d%s%s (DHCP from %s, lease %u s)", f->name, a, f->prefix,
                 *g ? " via " : "", g, *s ? s : "?", f->lease.lease_s);
    else
        log_info("network: %s is %s/%d%s%s (static)", f->name, a, f->prefix, *g ? " via " : "", g);
}

static int up_static(struct rtnl *rtnl, const struct ipconf *c, struct net_iface *f)
{
    int r = rtnl_link_up(rtnl, f->index, c->mtu, c->has_mac ? c->mac : NULL);

    if (r < 0)
        return log_error_errno(r, "network: cannot bring %s up: %m", f->name);
    f->addr = c->client;
    f->prefix = c->prefix;
    f->gateway = c->gateway;
    if (c->mtu)
        f->mtu = c->mtu;
    r = configure_addr(rtnl, f, false);
    if (r == 0)
        log_iface(f);
    return r;
}

/* Test runs take udhcpc and its script from the environment; PID 1 only its own. */
static const char *tool_path(const struct boot_ctx *ctx, const char *env, const char *dflt)
{
    const char *v = ctx->pid1 ? NULL : getenv(env);
    return v && *v ? v : dflt;
}

static int up_dhcp(struct boot_ctx *ctx, struct rtnl *rtnl, struct net_iface **fs,
                   const struct ipconf **cs, size_t n)
{
    char names[NETROOT_IFACES_MAX][IF_NAMESIZE], why[512], list[256] = "";
    struct dhcp_lease leases[NETROOT_IFACES_MAX];
    struct net_iface flat[NETROOT_IFACES_MAX];
    bool got[NETROOT_IFACES_MAX];
    size_t ok = 0;
    int r;

    for (size_t i = 0; i < n; i++) {
        r = rtnl_link_up(rtnl, fs[i]->index, cs[i]->mtu, cs[i]->has_mac ? cs[i]->mac : NULL);
        if (r < 0)
            return log_error_errno(r, "network: cannot bring %s up: %m", fs[i]->name);
        snprintf(names[i], sizeof names[i], "%s", fs[i]->name);
        flat[i] = *fs[i];
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 fs[i]->name);
    }
    wait_carrier(rtnl, flat, n);
    mkdir(SHAREDROOT_RUN, 0755);
    mkdir(LEASE_DIR, 0700);
    r = dhcp_run(tool_path(ctx, "SHAREDROOT_BUSYBOX", BUSYBOX_PATH),
                 tool_path(ctx, "SHAREDROOT_DHCP_SCRIPT", DHCP_SCRIPT_PATH), LEASE_DIR, names, n,
                 ctx->cmd.timeout, leases, got, why, sizeof why);
    if (r < 0)
        return log_error_errno(r,
                               "network: DHCP on %s failed: %s; check the DHCP server and the "
                               "link, wait longer with sharedroot.timeout=SECONDS, or give a "
                               "static ip=CLIENT::GATEWAY:NETMASK::IFACE:none",
                               list, why);
    for (size_t i = 0; i < n; i++) {
        struct net_iface *f = fs[i];
        if (!got[i]) {
            log_warning("network: no DHCP lease on %s", f->name);
            continue;
        }
        f->lease = leases[i];
        f->addr = leases[i].addr;
        f->prefix = leases[i].prefix;
        f->gateway = leases[i].router;
        if (leases[i].mtu && !cs[i]->mtu && rtnl_link_up(rtnl, f->index, leases[i].mtu, NULL) == 0)
            f->mtu = leases[i].mtu;
        r = configure_addr(rtnl, f, true);
        if (r < 0)
            return r;
        log_iface(f);
        ok++;
    }
    return ok ? 0 : -ETIMEDOUT;
}

static void add_dns(struct netroot *net, const struct inet_addr *a)
{
    if (!a->family || net->n_dns == NAMESERVERS_MAX)
        return;
    for (size_t i = 0; i < net->n_dns; i++)
        if (memcmp(&net->dns[i], a, sizeof *a) == 0)
            return;
    net->dns[net->n_dns++] = *a;
}

/* nameserver= first, then ip='s DNS fields, then DHCP's; /etc/resolv.conf of the initramfs is
 * for resolving an NBD server's name only (the real system has its own). */
static void collect_dns(struct boot_ctx *ctx, struct netroot *net)
{
    FILE *f;

    for (size_t i = 0; i < net->n_nameservers; i++)
        add_dns(net, &net->nameservers[i]);
    for (size_t i = 0; i < net->n_ip; i++)
        for (size_t k = 0; k < 2; k++)
            add_dns(net, &net->ip[i].dns[k]);
    for (size_t i = 0; i < net->n_ifs; i++) {
        for (size_t k = 0; k < net->ifs[i].lease.n_dns; k++)
            add_dns(net, &net->ifs[i].lease.dns[k]);
        if (!net->search[0] && net->ifs[i].lease.domain[0])
            snprintf(net->search, sizeof net->search, "%s", net->ifs[i].lease.domain);
    }
    if (!ctx->pid1 || !net->n_dns)
        return;
    f = fopen("/etc/resolv.conf", "we");
    if (!f)
        return;
    for (size_t i = 0; i < net->n_dns; i++) {
        char a[64];
        inet_addr_format(&net->dns[i], a, sizeof a);
        fprintf(f, "nameserver %s\n", a);
    }
    if (net->search[0])
        fprintf(f, "search %s\n", net->search);
    fclose(f);
}

static int bring_up(struct boot_ctx *ctx, struct netroot *net)
{
    struct links_wait *w = calloc(1, sizeof *w);
    struct net_iface *dfs[NETROOT_IFACES_MAX];
    const struct ipconf *dcs[NETROOT_IFACES_MAX];
    size_t nd = 0;
    int r;

    if (!w)
        return log_error_errno(ENOMEM, "network: out of memory");
    w->net = net;
    r = rtnl_open(&w->rtnl);
    if (r < 0) {
        free(w);
        return log_error_errno(r, "network: cannot open rtnetlink: %m");
    }
    r = wait_links(ctx, w);
    for (int i = 0; r == 0 && i < w->n; i++)
        if (w->links[i].flags & IFF_LOOPBACK)
            rtnl_link_up(w->rtnl, w->links[i].index, 0, NULL);
    for (size_t i = 0; r == 0 && i < net->n_ip; i++) {
        const struct ipconf *c = &net->ip[i];
        for (int k = 0; r == 0 && k < w->n; k++) {
            const struct rtnl_link *l = &w->links[k];
            struct net_iface *f;
            if (c->ifname[0] ? strcmp(c->ifname, l->name) != 0 : !is_ethernet(l))
                continue;
            f = add_iface(net, l, c->method);
            if (!f)
                continue;
            snprintf(f->hostname, sizeof f->hostname, "%s", c->hostname);
            if (c->method == IPCONF_STATIC)
                r = up_static(w->rtnl, c, f);
            else if (nd < NETROOT_IFACES_MAX) {
                dfs[nd] = f;
                dcs[nd++] = c;
            }
            /* a static ip= without a name takes the first Ethernet interface only */
            if (c->method == IPCONF_STATIC && !c->ifname[0])
                break;
        }
    }
    if (r == 0 && nd)
        r = up_dhcp(ctx, w->rtnl, dfs, dcs, nd);
    rtnl_close(w->rtnl);
    free(w);
    if (r == 0)
        collect_dns(ctx, net);
    return r;
}

/* Bring the network up once. needed_by names what needs it when ip= is absent (then every
 * Ethernet interface asks DHCP), NULL when only ip= asks. */
static int network_up(struct boot_ctx *ctx, const char *needed_by)
{
    struct netroot *net = net_of(ctx);
    int r;

    if (!net)
        return log_error_errno(ENOMEM, "network: out of memory");
    if (net->up)
        return 0;
    r = parse_net_cmdline(ctx, net);
    if (r < 0)
        return r;
    if (net->n_ip == 1 && net->ip[0].method == IPCONF_OFF) {
        if (needed_by)
            return log_error_errno(ENETDOWN,
                                   "%s needs the network, but ip=off; remove ip=off or give "
                                   "ip=dhcp or a static ip=",
                                   needed_by);
        return 0;
    }
    if (net->n_ip == 0) {
        if (!needed_by)
            return 0;
        log_info("network: %s needs the network and there is no ip=: DHCP on every Ethernet "
                 "interface",
                 needed_by);
        net->ip[0] = (struct ipconf){.method = IPCONF_DHCP, .prefix = -1};
        net->n_ip = 1;
    }
    r = bring_up(ctx, net);
    if (r == 0)
        net->up = true;
    else
        net->n_ifs = 0; /* a retry from the emergency shell starts over */
    return r;
}

/* ---------------------------------------------------------------------------------------
 * NBD devices */

static struct nbd_attached *find_attached(struct netroot *net, const char *spec)
{
    for (size_t i = 0; net && i < net->n_nbd; i++)
        if (strcmp(net->nbd[i].spec, spec) == 0)
            return &net->nbd[i];
    return NULL;
}

static const char *export_hint(const struct nbd_spec *s)
{
    return s->export_name[0] ? "check the export name (nbd-server: the [section] name; "
                               "qemu-nbd: -x NAME; nbdkit: the exportname filter or dir=)"
                             : "this server has no default export: name one "
                               "(nbd:SERVER:EXPORT)";
}

/* Resolve and negotiate until the server answers or sharedroot.timeout= passes. */
static int connect_server(struct boot_ctx *ctx, const char *what, const char *spec,
                          struct nbd_attached *a, int *fds)
{
    long long deadline = (long long)now_ms() + (long long)ctx->cmd.timeout * 1000,
              pause = NBD_RETRY_MIN_MS;
    char desc[512], why[512] = "", last[512] = "";
    unsigned attempts = 0;
    int r;

    nbd_spec_describe(&a->s, desc, sizeof desc);
    for (;;) {
        long long left = deadline - (long long)now_ms();
        int budget = left > NBD_ATTEMPT_MS ? NBD_ATTEMPT_MS : left > 100 ? (int)left : 100;

        attempts++;
        r = nbd_resolve(a->s.server, a->s.port, &a->addr, why, sizeof why);
        if (r == 0) {
            a->connections = a->s.connections               ? a->s.connections
                             : ctx->cmd.nbd_connections > 0 ? (size_t)ctx->cmd.nbd_connections
                                                            : 1;
            r = nbd_open(&a->addr, a->s.export_name, budget, fds, &a->connections, &a->e, why,
                         sizeof why);
        }
        if (r == 0)
            return 0;
        if (!nbd_handshake_retryable(r) && r != -EHOSTUNREACH)
            break;
        if (strcmp(why, last) != 0) {
            log_info("%s=%s: %s: %s; trying again until %d s have passed", what, spec, desc, why,
                     ctx->cmd.timeout);
            snprintf(last, sizeof last, "%s", why);
        }
        if ((long long)now_ms() + pause >= deadline)
            return log_error_errno(r,
                                   "%s=%s: %s did not answer within %d s (%u attempts, last: "
                                   "%s); check that the server runs and serves this export, "
                                   "the address and port, and the network (ip=)",
                                   what, spec, desc, ctx->cmd.timeout, attempts, why);
        sleep_ms(pause);
        pause = pause * 2 > NBD_RETRY_MAX_MS ? NBD_RETRY_MAX_MS : pause * 2;
    }
    if (r == -ENOENT)
        return log_error_errno(r, "%s=%s: %s: %s; %s", what, spec, desc, why, export_hint(&a->s));
    return log_error_errno(r, "%s=%s: %s: %s", what, spec, desc, why);
}

/* Let the block layer send the server no more than it accepts in one request. */
static void limit_request_size(const struct nbd_attached *a)
{
    char path[128], val[32];

    if (!a->e.max_payload || a->e.max_payload >= (1u << 25))
        return;
    snprintf(path, sizeof path, "/sys/block/nbd%d/queue/max_sectors_kb", a->index);
    snprintf(val, sizeof val, "%u\n", a->e.max_payload / 1024);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write_all(fd, val, strlen(val)) < 0)
        log_warning("%s: cannot limit requests to the server's maximum of %u bytes", a->dev,
                    a->e.max_payload);
}

/* The resident helper's name starts with '@': systemd's shutdown leaves such processes alone
 * (root storage daemons); sysvinit's sendsigs leaves the pids in SENDSIGS_OMIT_DIR alone. */
static void note_omit_pid(const struct nbd_attached *a)
{
    char path[128];
    FILE *f;

    mkdir(SENDSIGS_OMIT_DIR, 0755);
    snprintf(path, sizeof path, SENDSIGS_OMIT_DIR "/sharedroot-nbd%d", a->index);
    f = fopen(path, "we");
    if (f) {
        fprintf(f, "%d\n", (int)a->helper);
        fclose(f);
    }
}

static void helper_child(const char *path, char *const argv[], int watch_fd)
{
    sigset_t none;
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    setsid();
    if (watch_fd != NBD_HELPER_FD && dup2(watch_fd, NBD_HELPER_FD) < 0)
        _exit(127);
    fcntl(NBD_HELPER_FD, F_SETFD, 0);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    execv(path, argv);
    _exit(127);
}

static void start_helper(struct boot_ctx *ctx, struct nbd_attached *a, int watch_fd)
{
    const char *path = tool_path(ctx, "SHAREDROOT_NBD_HELPER", NBD_HELPER_PATH);
    char idx[16], size[32], flags[16], fd[16];
    char *const argv[] = {
        "@sharedroot-nbd", "--device", idx,       "--spec", a->spec,      "--server", a->addr.text,
        "--size",          size,       "--flags", flags,    "--watch-fd", fd,         NULL};
    pid_t pid;

    if (watch_fd < 0 || access(path, X_OK) < 0) {
        log_warning("%s: no resident helper (%s): the device will not survive a restart of its "
                    "server; build the initramfs with sharedroot-mkinitramfs --network",
                    a->dev, watch_fd < 0 ? "no kernel events" : path);
        return;
    }
    snprintf(idx, sizeof idx, "%d", a->index);
    snprintf(size, sizeof size, "%llu", (unsigned long long)a->e.size);
    snprintf(flags, sizeof flags, "%u", a->e.flags);
    snprintf(fd, sizeof fd, "%d", NBD_HELPER_FD);
    pid = fork();
    if (pid == 0)
        helper_child(path, argv, watch_fd);
    if (pid < 0) {
        log_warning_errno(errno, "%s: cannot start the resident helper: %m", a->dev);
        return;
    }
    a->helper = pid;
    log_info("%s: resident helper %s started (pid %d)", a->dev, path, (int)pid);
    if (ctx->pid1)
        note_omit_pid(a);
}

static int hand_to_kernel(struct boot_ctx *ctx, const char *what, const char *spec,
                          struct nbd_attached *a, const int *fds)
{
    struct nl watch = {0};
    struct nbd_genl g;
    char why[256];
    struct nbd_connect_params p = {
        .size = a->e.size,
        .server_flags = a->e.flags | (a->base ? NBD_TFLAG_READ_ONLY : 0),
        .io_timeout_s = a->request_timeout_s,
        .dead_timeout_s = a->dead_timeout_s,
        .backend = a->spec,
    };
    int r = nbd_block_size(a->e.min_block, a->s.block_size, &p.block_size, why, sizeof why);

    if (r < 0)
        return log_error_errno(r, "%s=%s: %s", what, spec, why);
    a->block_size = p.block_size;
    r = devices_load(ctx->devices, "nbd");
    if (r < 0 && r != -ENOENT)
        log_warning_errno(r, "loading the nbd module failed: %m");
    r = nbd_genl_open(&g);
    if (r == -ENOENT)
        return log_error_errno(r,
                               "%s=%s: the kernel has no NBD support (module nbd missing "
                               "from the initramfs? sharedroot-mkinitramfs --network adds it)",
                               what, spec);
    if (r < 0)
        return log_error_errno(r, "%s=%s: cannot talk to the kernel's nbd driver: %m", what, spec);
    /* subscribed before the connection exists: no event of a connection dying early is
     * lost before the helper reads them */
    if (nbd_genl_watch_open(&g, &watch) < 0)
        watch.sock = NULL;
    r = nbd_genl_connect(&g, fds, a->connections, &p, &a->index);
    nbd_genl_close(&g);
    if (r < 0) {
        nl_close(&watch);
        return log_error_errno(r, "%s=%s: the kernel refused the NBD connection: %m", what, spec);
    }
    snprintf(a->dev, sizeof a->dev, "/dev/nbd%d", a->index);
    limit_request_size(a);
    if (ctx->pid1 || getenv("SHAREDROOT_NBD_HELPER"))
        start_helper(ctx, a, watch.sock ? mnl_socket_get_fd(watch.sock) : -1);
    nl_close(&watch);
    return 0;
}

int netroot_attach(struct boot_ctx *ctx, const char *what, const char *spec, bool base, char *dev,
                   size_t n)
{
    struct netroot *net = net_of(ctx);
    struct nbd_attached *a = find_attached(net, spec);
    int fds[NBD_MAX_CONNECTIONS];
    const char *why = NULL;
    char needed[PATH_MAX + NBD_SPEC_MAX + 128];
    int r;

    if (!net)
        return log_error_errno(ENOMEM, "out of memory");
    if (a)
        return devices_wait_for_spec(ctx, what, a->dev, dev, n);
    if (net->n_nbd == NETROOT_NBD_MAX)
        return log_error_errno(E2BIG, "%s=%s: more than %d NBD devices", what, spec,
                               NETROOT_NBD_MAX);
    a = &net->nbd[net->n_nbd];
    memset(a, 0, sizeof *a);
    if (nbd_spec_parse(spec, &a->s, &why) < 0)
        return log_error_errno(EINVAL, "%s=%s cannot be used: %s (see sharedroot-init(8))", what,
                               spec, why);
    snprintf(a->spec, sizeof a->spec, "%s", spec);
    a->base = base;
    a->dead_timeout_s = a->s.timeout_s ? a->s.timeout_s : (unsigned)ctx->cmd.nbd_timeout;
    a->request_timeout_s = (unsigned)ctx->cmd.nbd_request_timeout;
    snprintf(needed, sizeof needed, "%s=%s", what, spec);
    r = network_up(ctx, needed);
    if (r < 0)
        return r;
    r = connect_server(ctx, what, spec, a, fds);
    if (r < 0)
        return r;
    if (!base && (a->e.flags & NBD_TFLAG_READ_ONLY)) {
        for (size_t i = 0; i < a->connections; i++)
            close(fds[i]);
        return log_error_errno(EROFS,
                               "%s=%s: the server exports it read-only; instance storage must "
                               "be writable (one read-write export per guest)",
                               what, spec);
    }
    r = hand_to_kernel(ctx, what, spec, a, fds);
    /* the kernel holds its own references to the sockets */
    for (size_t i = 0; i < a->connections; i++)
        close(fds[i]);
    if (r < 0)
        return r;
    net->n_nbd++;
    log_info("%s=%s: %s, %llu bytes%s, %zu connection%s, block size %u: %s", what, spec,
             a->addr.text, (unsigned long long)a->e.size, base ? ", read-only" : "", a->connections,
             a->connections == 1 ? "" : "s", a->block_size, a->dev);
    return devices_wait_for_spec(ctx, what, a->dev, dev, n);
}

static const struct nbd_attached *attached(const struct boot_ctx *ctx, const char *spec)
{
    return spec && nbd_spec_is(spec) ? find_attached(ctx->net, spec) : NULL;
}

const char *netroot_spec_fstype(const struct boot_ctx *ctx, const char *spec)
{
    const struct nbd_attached *a = attached(ctx, spec);
    return a ? a->s.fstype : NULL;
}

const char *netroot_spec_options(const struct boot_ctx *ctx, const char *spec)
{
    const struct nbd_attached *a = attached(ctx, spec);
    return a ? a->s.mount_options : NULL;
}

bool netroot_describe(const struct boot_ctx *ctx, const char *spec, char *buf, size_t n)
{
    const struct nbd_attached *a = attached(ctx, spec);
    char desc[512];

    if (!a)
        return false;
    nbd_spec_describe(&a->s, desc, sizeof desc);
    snprintf(buf, n, "%s (%s) is %llu bytes", desc, a->dev, (unsigned long long)a->e.size);
    return true;
}

int netroot_devices(struct boot_ctx *ctx)
{
    const char *root = netroot_root_spec(ctx);
    bool nbd_root = root && nbd_spec_is(root);
    bool nbd_inst = ctx->cmd.instance && nbd_spec_is(ctx->cmd.instance);
    char dev[PATH_MAX];
    int r;

    if (ctx->cmd.netroot && !nbd_spec_is(ctx->cmd.netroot))
        return log_error_errno(EINVAL, "netroot=%s: only nbd: network roots are supported",
                               ctx->cmd.netroot);
    if (ctx->cmd.n_ip == 0 && !nbd_root && !nbd_inst && !ctx->cmd.netroot)
        return 0;
    r = network_up(ctx, nbd_root ? "root=" : nbd_inst ? "sharedroot.instance=" : NULL);
    if (r < 0 || !ctx->cmd.netroot || root == ctx->cmd.netroot)
        return r;
    /* netroot= beside a root= that names a device on it (root=LABEL=...) */
    return netroot_attach(ctx, "netroot", ctx->cmd.netroot, true, dev, sizeof dev);
}

/* ---------------------------------------------------------------------------------------
 * The booted system's udev: keep the names of the interfaces configured here.
 *
 * They stay up, and the kernel refuses to rename an interface that is up (EBUSY). udev 252
 * (Debian 12) still sets ID_RENAMING on such an interface when its naming policy picks another
 * name ("Network interface 'eth0' is already up, cannot rename to 'ens2'") and never clears it,
 * so systemd-networkd leaves the interface "pending" for ever and never applies its .network.
 * A .link naming the interface as it is makes udev skip the rename. */

void netroot_write_links(const struct boot_ctx *ctx)
{
    const struct netroot *net = ctx->net;
    _cleanup_close_ int dfd = -1;
    int r;

    if (!net || net->n_ifs == 0)
        return;
    r = mkdir_p(NETROOT_LINK_DIR, 0755);
    if (r == 0) {
        dfd = open(NETROOT_LINK_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = dfd < 0 ? -errno : 0;
    }
    if (r < 0) {
        log_warning_errno(r,
                          "network: cannot create %s (%m): the booted system's udev may try to "
                          "rename the interfaces configured here",
                          NETROOT_LINK_DIR);
        return;
    }
    for (size_t i = 0; i < net->n_ifs; i++) {
        const char *name = net->ifs[i].name;
        char text[1024], file[IF_NAMESIZE + 32];
        int len = ipconf_link_file(name, text, sizeof text);

        if (len < 0) {
            log_warning("network: interface name '%s' cannot be written in a .link file: the "
                        "booted system's udev may try to rename it; give it a plain name",
                        name);
            continue;
        }
        snprintf(file, sizeof file, "10-sharedroot-%s.link", name);
        r = rc_write_atomic(dfd, file, text, (size_t)len, 0644);
        if (r < 0)
            log_warning_errno(r, "network: writing %s/%s failed: %m", NETROOT_LINK_DIR, file);
        else
            log_debug("network: %s/%s keeps %s's name", NETROOT_LINK_DIR, file, name);
    }
}

/* ---------------------------------------------------------------------------------------
 * /run/sharedroot/state */

static void kv(FILE *f, const char *prefix, size_t i, const char *key, const char *value)
{
    char k[64];
    snprintf(k, sizeof k, "%s_%zu_%s", prefix, i, key);
    state_write_kv(f, k, value);
}

static void kv_addr(FILE *f, const char *prefix, size_t i, const char *key,
                    const struct inet_addr *a)
{
    char buf[64];
    inet_addr_format(a, buf, sizeof buf);
    kv(f, prefix, i, key, buf);
}

static void kv_uint(FILE *f, const char *prefix, size_t i, const char *key, unsigned long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    kv(f, prefix, i, key, buf);
}

static void publish_ifaces(FILE *f, const struct netroot *net)
{
    char buf[512] = "";

    for (size_t i = 0; i < net->n_ifs; i++) {
        const struct net_iface *n = &net->ifs[i];
        char a[64];
        size_t len = 0;

        kv(f, "NET", i, "IFACE", n->name);
        kv(f, "NET", i, "METHOD", n->method == IPCONF_DHCP ? "dhcp" : "static");
        inet_addr_format(&n->addr, a, sizeof a);
        snprintf(buf, sizeof buf, "%s/%d", a, n->prefix);
        kv(f, "NET", i, "ADDRESS", n->addr.family ? buf : "");
        kv_addr(f, "NET", i, "GATEWAY", &n->gateway);
        buf[0] = 0;
        for (size_t k = 0; k < n->lease.n_dns; k++) {
            inet_addr_format(&n->lease.dns[k], a, sizeof a);
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", k ? " " : "", a);
        }
        kv(f, "NET", i, "DNS", buf);
        kv(f, "NET", i, "DOMAIN", n->lease.domain);
        /* the DHCP server's name for the guest, else the one ip= gave */
        kv(f, "NET", i, "HOSTNAME", n->lease.hostname[0] ? n->lease.hostname : n->hostname);
        kv_uint(f, "NET", i, "LEASE_S", n->lease.lease_s);
        kv_addr(f, "NET", i, "DHCP_SERVER", &n->lease.server);
        kv_uint(f, "NET", i, "MTU", n->mtu);
    }
    fprintf(f, "NET_COUNT=\"%zu\"\n", net->n_ifs);
}

static void publish_nbd(FILE *f, const struct netroot *net)
{
    for (size_t i = 0; i < net->n_nbd; i++) {
        const struct nbd_attached *a = &net->nbd[i];
        kv(f, "NBD", i, "SPEC", a->spec);
        kv(f, "NBD", i, "DEVICE", a->dev);
        kv(f, "NBD", i, "SERVER", a->addr.text);
        kv_uint(f, "NBD", i, "PORT", a->s.port);
        kv(f, "NBD", i, "EXPORT", a->s.export_name);
        kv_uint(f, "NBD", i, "SIZE", a->e.size);
        kv(f, "NBD", i, "READONLY", a->base || (a->e.flags & NBD_TFLAG_READ_ONLY) ? "1" : "0");
        kv_uint(f, "NBD", i, "CONNECTIONS", a->connections);
        kv_uint(f, "NBD", i, "TIMEOUT_S", a->dead_timeout_s);
        kv_uint(f, "NBD", i, "REQUEST_TIMEOUT_S", a->request_timeout_s);
        kv_uint(f, "NBD", i, "HELPER_PID", (unsigned long long)a->helper);
    }
    fprintf(f, "NBD_COUNT=\"%zu\"\n", net->n_nbd);
}

void netroot_publish(FILE *f, const struct boot_ctx *ctx)
{
    const struct netroot *net = ctx->net;
    char buf[256] = "", a[64];
    size_t len = 0;

    if (!net)
        return;
    publish_ifaces(f, net);
    for (size_t i = 0; i < net->n_dns; i++) {
        inet_addr_format(&net->dns[i], a, sizeof a);
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " " : "", a);
    }
    state_write_kv(f, "NET_NAMESERVERS", buf);
    state_write_kv(f, "NET_SEARCH", net->search);
    publish_nbd(f, net);
}

/* --- at shutdown (the shutdown program, /run/initramfs/shutdown) */

#define HELPER_NAME "@sharedroot-nbd"
#define SHUTDOWN_NBD_MAX 64
#define HELPER_STOP_MS 2000

bool netroot_is_helper_cmdline(const char *cmdline, size_t n)
{
    /* argv[0] is the first NUL-terminated string of /proc/PID/cmdline */
    return n > sizeof HELPER_NAME - 1 && memcmp(cmdline, HELPER_NAME, sizeof HELPER_NAME) == 0;
}

/* Send sig to every resident helper; their pids in pids[0..return). */
static size_t signal_helpers(int sig, pid_t *pids, size_t max)
{
    size_t n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;

    while (d && (e = readdir(d)) && n < max) {
        char path[64], buf[64];
        ssize_t l;
        int fd;
        long pid = strtol(e->d_name, NULL, 10);

        if (pid <= 1 || pid == getpid())
            continue;
        snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        l = read(fd, buf, sizeof buf);
        close(fd);
        if (l > 0 && netroot_is_helper_cmdline(buf, (size_t)l) && kill((pid_t)pid, sig) == 0)
            pids[n++] = (pid_t)pid;
    }
    if (d)
        closedir(d);
    return n;
}

void netroot_shutdown_prepare(void)
{
    pid_t pids[SHUTDOWN_NBD_MAX];
    /* the unmount passes retry a busy mount for a second: time enough to close them */
    size_t n = signal_helpers(SIGUSR1, pids, SHUTDOWN_NBD_MAX);

    if (n)
        log_info("shutdown: %zu resident NBD helper%s told to let go of the old /dev", n,
                 n == 1 ? "" : "s");
}

/* SIGTERM to every resident helper, then wait (bounded) for them to go; they are children of
 * PID 1, which this program still is, so they are reaped here. */
static void stop_helpers(void)
{
    pid_t pids[SHUTDOWN_NBD_MAX];
    size_t n = signal_helpers(SIGTERM, pids, SHUTDOWN_NBD_MAX), left;

    left = n;
    for (uint64_t t0 = now_ms(); left > 0 && now_ms() - t0 < HELPER_STOP_MS;) {
        struct timespec ts = {0, 20 * 1000000L};
        left = 0;
        for (size_t i = 0; i < n; i++) {
            if (pids[i] && (waitpid(pids[i], NULL, WNOHANG) == pids[i] ||
                            (kill(pids[i], 0) < 0 && errno == ESRCH)))
                pids[i] = 0;
            left += pids[i] != 0;
        }
        if (left)
            nanosleep(&ts, NULL);
    }
    if (n)
        log_info("shutdown: %zu resident NBD helper%s stopped%s", n - left,
                 n - left == 1 ? "" : "s", left ? " (some did not exit in time)" : "");
}

void netroot_shutdown(bool disconnect)
{
    int idx[SHUTDOWN_NBD_MAX];
    size_t n = 0;
    struct nbd_genl g;
    int r = nbd_genl_open(&g);

    if (r < 0)
        return; /* no nbd driver: no network root */
    r = nbd_genl_connected_list(&g, idx, SHUTDOWN_NBD_MAX, &n);
    if (r < 0)
        log_warning_errno(r, "shutdown: cannot list the NBD devices: %m; they stay connected");
    for (size_t i = 0; i < n; i++) {
        char dev[32];
        int fd;

        snprintf(dev, sizeof dev, "/dev/nbd%d", idx[i]);
        /* the server's cache too: fsync of a block device is a FLUSH request */
        fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0 && fsync(fd) < 0)
            log_warning_errno(errno, "shutdown: flushing %s: %m", dev);
        if (fd >= 0)
            close(fd);
        if (!disconnect) {
            log_warning("shutdown: %s stays connected: a filesystem on it may still be in use "
                        "(detached lazily, see above)",
                        dev);
            continue;
        }
        r = nbd_genl_disconnect(&g, idx[i]);
        if (r < 0)
            log_warning_errno(r, "shutdown: disconnecting %s from its server: %m", dev);
        else
            log_info("shutdown: %s flushed and disconnected from its server", dev);
    }
    nbd_genl_close(&g);
    if (disconnect)
        stop_helpers();
}
