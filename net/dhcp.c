// SPDX-License-Identifier: GPL-2.0-or-later
#include "dhcp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "time-util.h"

/* What the script keeps of udhcpc's environment (busybox networking/udhcp/dhcpc.c names). */
static const char *const lease_keys[] = {"interface", "ip",       "mask",   "subnet",
                                         "router",    "dns",      "domain", "hostname",
                                         "lease",     "serverid", "mtu"};

#define LEASE_VALUE_MAX 1024

int dhcp_script_main(int argc, char **argv)
{
    const char *out = getenv(DHCP_LEASE_ENV);
    char tmp[4096];
    FILE *f;

    if (argc < 2 || !out || !*out)
        return 1;
    /* deconfig, leasefail, nak: nothing to keep; the init configures the interface itself */
    if (strcmp(argv[1], "bound") != 0 && strcmp(argv[1], "renew") != 0)
        return 0;
    if (snprintf(tmp, sizeof tmp, "%s.tmp", out) >= (int)sizeof tmp)
        return 1;
    f = fopen(tmp, "we");
    if (!f)
        return 1;
    for (size_t i = 0; i < sizeof lease_keys / sizeof lease_keys[0]; i++) {
        const char *v = getenv(lease_keys[i]);
        if (!v)
            continue;
        fprintf(f, "%s=", lease_keys[i]);
        for (size_t k = 0; v[k] && k < LEASE_VALUE_MAX; k++)
            fputc(v[k] == '\n' || v[k] == '\r' ? ' ' : v[k], f);
        fputc('\n', f);
    }
    if (fclose(f) != 0 || rename(tmp, out) < 0) {
        unlink(tmp);
        return 1;
    }
    return 0;
}

/* value of KEY in text (the last line for it), copied into buf; false if absent */
static bool lease_get(const char *text, size_t len, const char *key, char *buf, size_t n)
{
    size_t kl = strlen(key);
    bool found = false;

    for (size_t i = 0; i < len;) {
        const char *line = text + i, *nl = memchr(line, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - line) : len - i;

        if (ll > kl && memcmp(line, key, kl) == 0 && line[kl] == '=') {
            size_t vl = ll - kl - 1;
            if (vl >= n)
                vl = n - 1;
            memcpy(buf, line + kl + 1, vl);
            buf[vl] = 0;
            found = !memchr(buf, 0, vl);
        }
        i += ll + 1;
    }
    return found;
}

static bool all_of(const char *s, const char *extra, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
            return false;
    return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!isdigit((unsigned char)*s) || strlen(s) > 10)
        return false;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static int prefix_of_mask(const char *s)
{
    struct inet_addr m;
    int bits = 0;

    if (inet_addr_parse(s, &m) < 0 || m.family != AF_INET)
        return -1;
    for (int i = 0; i < 32; i++) {
        bool one = m.a[i / 8] & (0x80 >> (i % 8));
        if (!one)
            break;
        bits++;
    }
    for (int i = bits; i < 32; i++)
        if (m.a[i / 8] & (0x80 >> (i % 8)))
            return -1;
    return bits;
}

/* "a b c": the valid IPv4 addresses among the first words, at most max */
static size_t addr_list(const char *s, struct inet_addr *out, size_t max)
{
    char word[64];
    size_t n = 0;

    while (*s && n < max) {
        size_t l = strcspn(s, " \t");
        if (l > 0 && l < sizeof word) {
            struct inet_addr a;
            memcpy(word, s, l);
            word[l] = 0;
            /* parsed aside: a word that is not IPv4 must leave no trace in out[] */
            if (inet_addr_parse(word, &a) == 0 && a.family == AF_INET)
                out[n++] = a;
        }
        s += l;
        s += strspn(s, " \t");
    }
    return n;
}

int dhcp_lease_parse(const char *text, size_t len, struct dhcp_lease *out, const char **why)
{
    char v[LEASE_VALUE_MAX + 1];
    unsigned long num;

    memset(out, 0, sizeof *out);
    if (len > DHCP_LEASE_MAX) {
        *why = "the lease file is too large";
        return -EINVAL;
    }
    if (!lease_get(text, len, "ip", v, sizeof v) || inet_addr_parse(v, &out->addr) < 0 ||
        out->addr.family != AF_INET) {
        *why = "the DHCP lease holds no valid IPv4 address";
        return -EINVAL;
    }
    out->prefix = 32;
    if (lease_get(text, len, "mask", v, sizeof v) && parse_uint(v, 32, &num))
        out->prefix = (int)num;
    else if (lease_get(text, len, "subnet", v, sizeof v) && prefix_of_mask(v) >= 0)
        out->prefix = prefix_of_mask(v);
    if (lease_get(text, len, "router", v, sizeof v))
        addr_list(v, &out->router, 1);
    if (lease_get(text, len, "dns", v, sizeof v))
        out->n_dns = addr_list(v, out->dns, NAMESERVERS_MAX);
    if (lease_get(text, len, "hostname", v, sizeof v) && all_of(v, "-.", IPCONF_HOSTNAME_MAX))
        memcpy(out->hostname, v, strlen(v) + 1); /* all_of checked the length */
    if (lease_get(text, len, "domain", v, sizeof v) && all_of(v, "-.", DHCP_DOMAIN_MAX))
        memcpy(out->domain, v, strlen(v) + 1);
    if (lease_get(text, len, "lease", v, sizeof v) && parse_uint(v, 0xffffffffUL, &num))
        out->lease_s = (unsigned)num;
    if (lease_get(text, len, "serverid", v, sizeof v))
        addr_list(v, &out->server, 1);
    if (lease_get(text, len, "mtu", v, sizeof v) && parse_uint(v, 65535, &num) && num >= 68)
        out->mtu = (unsigned)num;
    return 0;
}

static int read_lease(const char *path, struct dhcp_lease *out, const char **why)
{
    char buf[DHCP_LEASE_MAX + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n;

    if (fd < 0) {
        *why = "udhcpc wrote no lease";
        return -ENOENT;
    }
    n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0) {
        *why = "the lease file cannot be read";
        return -EIO;
    }
    return dhcp_lease_parse(buf, (size_t)n, out, why);
}

static pid_t spawn_udhcpc(const char *busybox, const char *script, const char *ifname,
                          const char *lease_path, int timeout_s)
{
    char tries[16], env_lease[4200];
    /* a discover every 2 s until the time is up; -n: give up then, -q: exit with the lease */
    snprintf(tries, sizeof tries, "%d", timeout_s / 2 + 1);
    snprintf(env_lease, sizeof env_lease, "%s=%s", DHCP_LEASE_ENV, lease_path);
    char *const argv[] = {"udhcpc", "-f", "-q", "-n",           "-i", (char *)ifname, "-t", tries,
                          "-T",     "2",  "-s", (char *)script, "-O", "mtu",          NULL};
    char *const envp[] = {env_lease, "PATH=/sbin:/bin:/usr/sbin:/usr/bin", NULL};
    pid_t pid = fork();

    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        /* busybox runs the applet named by argv[0] */
        execve(busybox, argv, envp);
        _exit(127);
    }
    return pid;
}

/* Wait for every child until the deadline, then kill what is left. status[i] = -1 if killed. */
static void reap_all(pid_t *pids, int *status, size_t n, long long deadline)
{
    size_t left = 0;
    struct timespec step = {0, 50 * 1000 * 1000};

    for (size_t i = 0; i < n; i++)
        if (pids[i] > 0)
            left++;
    while (left && (long long)now_ms() < deadline) {
        for (size_t i = 0; i < n; i++) {
            int st;
            if (pids[i] <= 0 || waitpid(pids[i], &st, WNOHANG) != pids[i])
                continue;
            status[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
            pids[i] = 0;
            left--;
        }
        if (left)
            nanosleep(&step, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        if (pids[i] <= 0)
            continue;
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
        status[i] = -1;
    }
}

#define DHCP_IFACES_MAX 16

int dhcp_run(const char *busybox, const char *script, const char *lease_dir,
             char (*ifnames)[IF_NAMESIZE], size_t n, int timeout_s, struct dhcp_lease *leases,
             bool *got, char *why, size_t why_n)
{
    char paths[DHCP_IFACES_MAX][512];
    pid_t pids[DHCP_IFACES_MAX] = {0};
    int status[DHCP_IFACES_MAX] = {0};
    size_t ok = 0;
    const char *bad = NULL;

    if (n > DHCP_IFACES_MAX)
        n = DHCP_IFACES_MAX;
    if (access(busybox, X_OK) < 0 || access(script, X_OK) < 0) {
        snprintf(why, why_n,
                 "%s or %s is missing: the initramfs was not built for a network "
                 "root (sharedroot-mkinitramfs --network)",
                 busybox, script);
        return -ENOENT;
    }
    for (size_t i = 0; i < n; i++) {
        got[i] = false;
        status[i] = -1;
        snprintf(paths[i], sizeof paths[i], "%s/%s.lease", lease_dir, ifnames[i]);
        unlink(paths[i]);
        pids[i] = spawn_udhcpc(busybox, script, ifnames[i], paths[i], timeout_s);
    }
    reap_all(pids, status, n, (long long)now_ms() + (long long)timeout_s * 1000 + 2000);
    for (size_t i = 0; i < n; i++) {
        if (status[i] != 0)
            continue;
        if (read_lease(paths[i], &leases[i], &bad) == 0) {
            got[i] = true;
            ok++;
        }
    }
    if (ok)
        return 0;
    if (bad)
        snprintf(why, why_n, "%s", bad);
    else
        snprintf(why, why_n, "no DHCP answer within %d s", timeout_s);
    return bad ? -EPROTO : -ETIMEDOUT;
}
