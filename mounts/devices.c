// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device discovery without udevd: libkmod loads modules by MODALIAS, a libudev monitor on
 * the "kernel" netlink source delivers the uevents of devices that appear later.
 */
#include "devices.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <libudev.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "time-util.h"

/* Coldplug can produce a burst of uevents (every device the new modules bind); a small
 * socket buffer would drop some. Setting it needs CAP_NET_ADMIN, which PID 1 has. */
#define MONITOR_RCVBUF (4 * 1024 * 1024)
#define WAIT_STEP_MS 250

struct devices {
    struct kmod_ctx *kmod;
    bool have_modules; /* the module directory and its indexes exist */
    bool dry_run;
    struct udev *udev;
    struct udev_monitor *monitor;
    char **loaded; /* names of modules this object inserted, in order */
    unsigned n_loaded;
    void (*log_fn)(int prio, const char *msg, void *ud);
    void *log_ud;
};

static void dlog(struct devices *d, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void dlog(struct devices *d, int prio, const char *fmt, ...)
{
    if (!d->log_fn)
        return;
    _cleanup_free_ char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r >= 0)
        d->log_fn(prio, msg, d->log_ud);
}

static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
                     const char *format, va_list args)
{
    struct devices *d = data;
    if (!d->log_fn)
        return;
    _cleanup_free_ char *msg = NULL;
    if (vasprintf(&msg, format, args) < 0)
        return;
    msg[strcspn(msg, "\n")] = '\0';
    d->log_fn(priority, msg, d->log_ud);
}

void devices_set_log(struct devices *d, void (*fn)(int prio, const char *msg, void *ud), void *ud)
{
    d->log_fn = fn;
    d->log_ud = ud;
}

void devices_set_dry_run(struct devices *d, bool dry_run)
{
    d->dry_run = dry_run;
}

int devices_new(struct devices **out, const char *moddir)
{
    struct devices *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;

    d->kmod = kmod_new(moddir, NULL);
    d->udev = udev_new();
    if (!d->kmod || !d->udev) {
        devices_free(d);
        return -ENOMEM;
    }
    kmod_set_log_fn(d->kmod, kmod_log, d);
    /* A kernel without a module directory (everything built in, or a missing initramfs
     * module set) is not an error here: loads return -ENOENT and the caller decides. */
    d->have_modules = kmod_load_resources(d->kmod) == 0;
    *out = d;
    return 0;
}

struct devices *devices_free(struct devices *d)
{
    if (!d)
        return NULL;
    udev_monitor_unref(d->monitor);
    udev_unref(d->udev);
    kmod_unref(d->kmod);
    for (unsigned i = 0; i < d->n_loaded; i++)
        free(d->loaded[i]);
    free(d->loaded);
    free(d);
    return NULL;
}

unsigned devices_loaded_count(const struct devices *d)
{
    return d->n_loaded;
}

const char *devices_loaded_name(const struct devices *d, unsigned i)
{
    return i < d->n_loaded ? d->loaded[i] : NULL;
}

bool devices_have_modules(const struct devices *d)
{
    return d->have_modules;
}

static void record_loaded(struct devices *d, const char *name, const char *why)
{
    /* Only a dry run can see a module twice: nothing really went in the first time. */
    for (unsigned i = 0; i < d->n_loaded; i++)
        if (strcmp(d->loaded[i], name) == 0)
            return;
    char **n = realloc(d->loaded, (d->n_loaded + 1) * sizeof(*n));
    if (!n)
        return;
    d->loaded = n;
    d->loaded[d->n_loaded] = strdup(name);
    if (d->loaded[d->n_loaded])
        d->n_loaded++;
    /* CPU modaliases run to a kilobyte; the start says enough. */
    dlog(d, LOG_INFO, "%s module %s (for %.64s)", d->dry_run ? "would load" : "loaded", name, why);
}

static bool is_live(struct kmod_module *m)
{
    int s = kmod_module_get_initstate(m);
    return s == KMOD_MODULE_LIVE || s == KMOD_MODULE_BUILTIN || s == KMOD_MODULE_COMING;
}

struct candidate {
    struct kmod_module *mod;
    bool was_live;
};

static int add_candidate(struct candidate **c, size_t *n, struct kmod_module *m)
{
    struct candidate *nc = realloc(*c, (*n + 1) * sizeof(**c));
    if (!nc)
        return -ENOMEM;
    *c = nc;
    nc[*n].mod = kmod_module_ref(m);
    nc[*n].was_live = is_live(m);
    (*n)++;
    return 0;
}

static void free_candidates(struct candidate *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kmod_module_unref(c[i].mod);
    free(c);
}

/* The modules a probe of m may insert: its soft and hard dependencies and m itself, with
 * whether each is in the kernel now. (A softdep's own dependencies are not tracked.) */
static int probe_candidates(struct kmod_module *m, struct candidate **out, size_t *n)
{
    struct kmod_list *pre = NULL, *post = NULL, *l;
    struct kmod_list *deps = kmod_module_get_dependencies(m);
    int r = 0;

    *out = NULL;
    *n = 0;
    kmod_module_get_softdeps(m, &pre, &post);
    struct kmod_list *parts[] = {pre, deps, post};
    for (size_t i = 0; i < 3; i++) {
        kmod_list_foreach(l, parts[i])
        {
            struct kmod_module *dep = kmod_module_get_module(l);
            if (r == 0)
                r = add_candidate(out, n, dep);
            kmod_module_unref(dep);
        }
        kmod_module_unref_list(parts[i]);
    }
    if (r == 0)
        r = add_candidate(out, n, m);
    if (r < 0) {
        free_candidates(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return r;
}

/* Insert m with what it needs; record every module that went from absent to live. */
static int probe_one(struct devices *d, struct kmod_module *m, unsigned flags, const char *why)
{
    struct candidate *cand;
    size_t n;
    int r = probe_candidates(m, &cand, &n);
    if (r < 0)
        return r;

    if (d->dry_run)
        flags |= KMOD_PROBE_DRY_RUN;
    r = kmod_module_probe_insert_module(m, flags, NULL, NULL, NULL, NULL);
    bool inserted = r == 0;
    if (r > 0) {
        dlog(d, LOG_INFO, "module %s is blacklisted, not loading it (for %s)",
             kmod_module_get_name(m), why);
        r = 0;
    } else if (r == -EEXIST) {
        r = 0; /* loaded concurrently */
    } else if (r < 0) {
        dlog(d, LOG_WARNING, "failed to load module %s (for %s): %s", kmod_module_get_name(m), why,
             strerror(-r));
    }

    for (size_t i = 0; i < n; i++) {
        /* A dry run of a module already in the kernel inserts nothing, not even its deps. */
        bool now = d->dry_run ? inserted && !cand[n - 1].was_live : is_live(cand[i].mod);
        if (!cand[i].was_live && now)
            record_loaded(d, kmod_module_get_name(cand[i].mod), why);
    }
    free_candidates(cand, n);
    return r;
}

static int load(struct devices *d, const char *name_or_alias, unsigned flags)
{
    if (!d->have_modules)
        return -ENOENT;

    struct kmod_list *list = NULL, *l;
    int r = kmod_module_new_from_lookup(d->kmod, name_or_alias, &list);
    if (r < 0)
        return r;
    if (!list)
        return -ENOENT;

    int first_err = 0;
    bool any_ok = false;
    kmod_list_foreach(l, list)
    {
        struct kmod_module *m = kmod_module_get_module(l);
        int e = probe_one(d, m, flags, name_or_alias);
        kmod_module_unref(m);
        if (e == 0)
            any_ok = true;
        else if (!first_err)
            first_err = e;
    }
    kmod_module_unref_list(list);
    /* An alias often matches several modules of which only one binds the device. */
    return any_ok ? 0 : first_err;
}

int devices_load(struct devices *d, const char *name_or_alias)
{
    /* Like modprobe: a name asked for explicitly loads even when blacklisted; an alias
     * honours the blacklist. */
    return load(d, name_or_alias, KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY);
}

static void load_alias(struct devices *d, const char *alias, const char *device)
{
    int r = load(d, alias, KMOD_PROBE_APPLY_BLACKLIST);
    if (r < 0 && r != -ENOENT)
        dlog(d, LOG_DEBUG, "no module loaded for %s (%s): %s", device, alias, strerror(-r));
}

static void load_for_device(struct devices *d, struct udev_device *dev)
{
    const char *alias = udev_device_get_property_value(dev, "MODALIAS");
    if (alias && *alias)
        load_alias(d, alias, udev_device_get_syspath(dev));
}

static int monitor_start(struct devices *d)
{
    if (d->monitor)
        return 0;
    struct udev_monitor *m = udev_monitor_new_from_netlink(d->udev, "kernel");
    if (!m)
        return errno ? -errno : -ENOMEM;
    if (udev_monitor_set_receive_buffer_size(m, MONITOR_RCVBUF) < 0)
        dlog(d, LOG_DEBUG, "could not enlarge the uevent socket buffer; events may be lost");
    int r = udev_monitor_enable_receiving(m);
    if (r < 0) {
        udev_monitor_unref(m);
        return r;
    }
    d->monitor = m;
    return 0;
}

/* Read a sysfs modalias file below dir_fd: 0 and the alias in buf, or -ENOENT. */
static int read_modalias(int dir_fd, const char *name, char *buf, size_t n)
{
    char path[512];
    ssize_t len;

    snprintf(path, sizeof path, "%s/modalias", name);
    _cleanup_close_ int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -ENOENT;
    len = read(fd, buf, n - 1);
    if (len <= 0)
        return -ENOENT;
    buf[len] = 0;
    buf[strcspn(buf, "\n")] = 0;
    return buf[0] ? 0 : -ENOENT;
}

static void scan_bus(struct devices *d, int bus_fd)
{
    _cleanup_close_ int fd = openat(bus_fd, "devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_closedir_ DIR *dir = NULL;
    struct dirent *e;
    char alias[1024];

    if (fd < 0)
        return;
    dir = fdopendir(fd);
    if (!dir)
        return;
    take_fd(&fd); /* the DIR owns it now */
    while ((e = readdir(dir)))
        if (e->d_name[0] != '.' && read_modalias(dirfd(dir), e->d_name, alias, sizeof alias) == 0)
            load_alias(d, alias, e->d_name);
}

/* Coldplug reads /sys/bus/BUS/devices/DEV/modalias directly: every device a module can bind
 * sits on a bus, and a full libudev enumeration (class devices too, a uevent file parsed per
 * device) costs half a second of a boot under emulation, against a few dozen small reads. */
static int scan(struct devices *d)
{
    _cleanup_closedir_ DIR *buses = opendir("/sys/bus");
    struct dirent *e;

    if (!buses)
        return -errno;
    while ((e = readdir(buses))) {
        if (e->d_name[0] == '.')
            continue;
        _cleanup_close_ int fd =
            openat(dirfd(buses), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
            scan_bus(d, fd);
    }
    return 0;
}

int devices_coldplug(struct devices *d)
{
    unsigned before = d->n_loaded;
    /* Listen first: a device bound by a module loaded during the scan announces its children
     * by uevent, and the scan may already have passed them. */
    int r = monitor_start(d);
    if (r < 0)
        return r;
    r = scan(d);
    if (r < 0)
        return r;
    dlog(d, LOG_DEBUG, "coldplug loaded %u modules", d->n_loaded - before);
    return (int)(d->n_loaded - before);
}

/* Handle every queued uevent. */
static void drain(struct devices *d)
{
    bool rescanned = false;
    for (;;) {
        errno = 0;
        struct udev_device *dev = udev_monitor_receive_device(d->monitor);
        if (!dev) {
            /* The socket overflowed: some uevents are lost, so look at everything again. */
            if (errno == ENOBUFS && !rescanned) {
                rescanned = true;
                dlog(d, LOG_WARNING, "uevents were lost; rescanning devices");
                scan(d);
                continue;
            }
            return;
        }
        const char *action = udev_device_get_action(dev);
        if (action && strcmp(action, "add") == 0)
            load_for_device(d, dev);
        udev_device_unref(dev);
    }
}

int devices_wait(struct devices *d, int timeout_ms, bool (*ready)(void *userdata), void *userdata)
{
    if (timeout_ms < 0)
        return -EINVAL;
    int r = monitor_start(d);
    if (r < 0)
        return r;

    long long deadline = (long long)now_ms() + timeout_ms;
    for (;;) {
        if (ready(userdata))
            return 0;
        long long left = deadline - (long long)now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p = {.fd = udev_monitor_get_fd(d->monitor), .events = POLLIN};
        int n = poll(&p, 1, left < WAIT_STEP_MS ? (int)left : WAIT_STEP_MS);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n > 0)
            drain(d);
    }
}
