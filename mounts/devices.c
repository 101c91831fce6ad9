// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device discovery without udevd: modules are loaded by MODALIAS, a libudev monitor on the
 * "kernel" netlink source delivers the uevents of devices that appear later.
 *
 * Two resolvers, one behaviour (libkmod's modprobe semantics: dependencies, soft
 * dependencies, blacklists, options from the kernel command line):
 *  - the module plan (modplan.h) that sharedroot-mkinitramfs resolved with libkmod at build
 *    time, loaded with finit_module: the initramfs, which carries no libkmod;
 *  - libkmod itself, loaded with dlopen, for a module directory without a plan: in-root mode
 *    (the base's own /lib/modules) and test runs against the host's modules.
 */
#include "devices.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <libudev.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "io-util.h"
#include "modplan.h"
#include "time-util.h"

#ifndef KMOD_SONAME
#define KMOD_SONAME "libkmod.so.2"
#endif
#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

/* Coldplug can produce a burst of uevents (every device the new modules bind); a small
 * socket buffer would drop some. Setting it needs CAP_NET_ADMIN, which PID 1 has. */
#define MONITOR_RCVBUF (4 * 1024 * 1024)
#define WAIT_STEP_MS 250
/* An alias matches a handful of modules; a probe inserts a few dozen at most. */
#define MAX_MATCHES 64
#define MAX_STEPS 512

/* The part of libkmod the fallback resolver uses, loaded with dlopen (only its headers are
 * used at build time: the init does not link it). */
struct kmod_api {
    void *handle;
    struct kmod_ctx *(*new_)(const char *, const char *const *);
    struct kmod_ctx *(*unref)(struct kmod_ctx *);
    void (*set_log_fn)(struct kmod_ctx *,
                       void (*)(void *, int, const char *, int, const char *, const char *,
                                va_list),
                       const void *);
    int (*load_resources)(struct kmod_ctx *);
    struct kmod_list *(*list_next)(const struct kmod_list *, const struct kmod_list *);
    int (*new_from_lookup)(struct kmod_ctx *, const char *, struct kmod_list **);
    struct kmod_module *(*get_module)(const struct kmod_list *);
    struct kmod_module *(*ref)(struct kmod_module *);
    struct kmod_module *(*mod_unref)(struct kmod_module *);
    int (*unref_list)(struct kmod_list *);
    int (*get_initstate)(const struct kmod_module *);
    struct kmod_list *(*get_dependencies)(const struct kmod_module *);
    int (*get_softdeps)(const struct kmod_module *, struct kmod_list **, struct kmod_list **);
    int (*probe_insert)(struct kmod_module *, unsigned int, const char *,
                        int (*)(struct kmod_module *, const char *, void *), const void *,
                        void (*)(struct kmod_module *, bool, const char *));
    const char *(*get_name)(const struct kmod_module *);
};

#define kl_foreach(d, e, first) for (e = (first); e; e = (d)->k.list_next((first), e))

struct devices {
    /* the plan (with the directory its paths are relative to) or libkmod */
    struct modplan *plan;
    char *moddir;
    struct kmod_api k;
    struct kmod_ctx *kmod;
    bool have_modules; /* a plan, or libkmod with the module directory and its indexes */
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
    (void)file;
    (void)line;
    (void)fn;
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

#define KLOAD(field, symbol) ((*(void **)&k->field = dlsym(k->handle, symbol)) != NULL)

/* -ENOSYS when libkmod cannot be loaded (an initramfs has none) */
static int kmod_api_open(struct kmod_api *k)
{
    const char *so = getenv("SHAREDROOT_LIBKMOD");

    k->handle = dlopen(so && *so ? so : KMOD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!k->handle)
        return -ENOSYS;
    if (!KLOAD(new_, "kmod_new") || !KLOAD(unref, "kmod_unref") ||
        !KLOAD(set_log_fn, "kmod_set_log_fn") || !KLOAD(load_resources, "kmod_load_resources") ||
        !KLOAD(list_next, "kmod_list_next") ||
        !KLOAD(new_from_lookup, "kmod_module_new_from_lookup") ||
        !KLOAD(get_module, "kmod_module_get_module") || !KLOAD(ref, "kmod_module_ref") ||
        !KLOAD(mod_unref, "kmod_module_unref") || !KLOAD(unref_list, "kmod_module_unref_list") ||
        !KLOAD(get_initstate, "kmod_module_get_initstate") ||
        !KLOAD(get_dependencies, "kmod_module_get_dependencies") ||
        !KLOAD(get_softdeps, "kmod_module_get_softdeps") ||
        !KLOAD(probe_insert, "kmod_module_probe_insert_module") ||
        !KLOAD(get_name, "kmod_module_get_name")) {
        dlclose(k->handle);
        k->handle = NULL;
        return -ENOSYS;
    }
    return 0;
}

static int setup_plan(struct devices *d, const char *moddir)
{
    char why[256] = "", cmdline[4096] = "";
    struct utsname u;
    int r;

    if (moddir)
        d->moddir = strdup(moddir);
    else if (uname(&u) == 0 && asprintf(&d->moddir, "/lib/modules/%s", u.release) < 0)
        d->moddir = NULL;
    if (!d->moddir)
        return -ENOMEM;
    r = modplan_load(d->moddir, &d->plan, why, sizeof why);
    if (r == -EINVAL || r == -EFBIG) {
        dlog(d, LOG_ERR,
             "the module plan %s/" MODPLAN_FILE " cannot be used (%s); no modules will be "
             "loaded: rebuild the initramfs with sharedroot-mkinitramfs",
             d->moddir, r == -EFBIG ? "too large" : why);
        return 0;
    }
    if (r < 0)
        return r;
    /* options and blacklists on the kernel command line apply, as libkmod applies them */
    if (read_first_line_at(AT_FDCWD, "/proc/cmdline", cmdline, sizeof cmdline) == 0)
        r = modplan_set_cmdline(d->plan, cmdline);
    d->have_modules = r >= 0;
    dlog(d, LOG_DEBUG, "module plan %s/" MODPLAN_FILE ": %zu modules", d->moddir,
         modplan_count(d->plan));
    return r;
}

static int setup_kmod(struct devices *d, const char *moddir)
{
    int r = kmod_api_open(&d->k);

    if (r < 0) {
        dlog(d, LOG_WARNING,
             "no module plan in %s and no libkmod (" KMOD_SONAME "): no modules can be loaded",
             d->moddir ? d->moddir : "the module directory");
        return 0;
    }
    dlog(d, LOG_DEBUG, "no module plan in %s: resolving modules with libkmod", d->moddir);
    d->kmod = d->k.new_(moddir, NULL);
    if (!d->kmod)
        return -ENOMEM;
    d->k.set_log_fn(d->kmod, kmod_log, d);
    /* A kernel without a module directory (everything built in, or a missing initramfs
     * module set) is not an error here: loads return -ENOENT and the caller decides. */
    d->have_modules = d->k.load_resources(d->kmod) == 0;
    return 0;
}

int devices_new(struct devices **out, const char *moddir)
{
    return devices_new_logged(out, moddir, NULL, NULL);
}

int devices_new_logged(struct devices **out, const char *moddir,
                       void (*fn)(int prio, const char *msg, void *ud), void *ud)
{
    struct devices *d = calloc(1, sizeof(*d));
    int r;

    if (!d)
        return -ENOMEM;
    devices_set_log(d, fn, ud);
    d->udev = udev_new();
    if (!d->udev) {
        devices_free(d);
        return -ENOMEM;
    }
    r = setup_plan(d, moddir);
    if (r == -ENOENT || r == -ENOTDIR)
        r = setup_kmod(d, moddir);
    if (r < 0) {
        devices_free(d);
        return r;
    }
    *out = d;
    return 0;
}

struct devices *devices_free(struct devices *d)
{
    if (!d)
        return NULL;
    udev_monitor_unref(d->monitor);
    udev_unref(d->udev);
    if (d->kmod)
        d->k.unref(d->kmod);
    if (d->k.handle)
        dlclose(d->k.handle);
    modplan_free(d->plan);
    free(d->moddir);
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

bool devices_have_plan(const struct devices *d)
{
    return d->plan != NULL;
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

/* ---- the plan: libkmod's probe (kmod_module_probe_insert_module) over the plan ---- */

/* In the kernel: built in, or /sys/module/NAME live or coming (libkmod's module_is_inkernel;
 * a /sys/module/NAME without initstate is a built-in module with parameters). */
static bool plan_in_kernel(const struct devices *d, size_t i)
{
    char path[128], state[32];
    const char *name = modplan_name(d->plan, i);

    if (modplan_builtin(d->plan, i))
        return true;
    snprintf(path, sizeof path, "/sys/module/%s/initstate", name);
    if (read_first_line_at(AT_FDCWD, path, state, sizeof state) == 0)
        return strncmp(state, "live", 4) == 0 || strncmp(state, "coming", 6) == 0;
    snprintf(path, sizeof path, "/sys/module/%s", name);
    return access(path, F_OK) == 0;
}

static bool compressed(const char *path)
{
    size_t n = strlen(path);
    return (n > 3 && strcmp(path + n - 3, ".xz") == 0) ||
           (n > 4 && strcmp(path + n - 4, ".zst") == 0) ||
           (n > 3 && strcmp(path + n - 3, ".gz") == 0);
}

/* finit_module; a compressed module is decompressed by the kernel (CONFIG_MODULE_DECOMPRESS) */
static int plan_insert(struct devices *d, size_t i)
{
    _cleanup_free_ char *path = NULL;
    const char *rel = modplan_path(d->plan, i);

    if (asprintf(&path, "%s/%s", d->moddir, rel) < 0) {
        path = NULL;
        return -ENOMEM;
    }
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        dlog(d, LOG_WARNING, "cannot open module %s (%s): %s; the initramfs is incomplete",
             modplan_name(d->plan, i), path, strerror(e));
        return -e;
    }
    if (syscall(SYS_finit_module, fd, modplan_options(d->plan, i),
                compressed(rel) ? MODULE_INIT_COMPRESSED_FILE : 0) < 0)
        return -errno;
    return 0;
}

static int plan_probe(struct devices *d, size_t mod, unsigned flags, bool by_alias, const char *why)
{
    struct modplan_step steps[MAX_STEPS];
    int n, r = 0;

    if (plan_in_kernel(d, mod))
        return 0;
    if (((flags & KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY) && by_alias) ||
        (flags & KMOD_PROBE_APPLY_BLACKLIST)) {
        if (modplan_blacklisted(d->plan, mod))
            return 1;
    }
    n = modplan_probe_list(d->plan, mod, steps, MAX_STEPS);
    if (n < 0)
        return n;
    for (int s = 0; s < n; s++) {
        size_t m = steps[s].mod;
        if (plan_in_kernel(d, m))
            continue;
        r = d->dry_run ? 0 : plan_insert(d, m);
        if (r == 0)
            record_loaded(d, modplan_name(d->plan, m), why);
        if (r == -EEXIST || !steps[s].required)
            r = 0; /* loaded meanwhile; a softdep's failure does not matter */
        else if (r < 0)
            break;
    }
    return r;
}

static int plan_load(struct devices *d, const char *name_or_alias, unsigned flags)
{
    size_t idx[MAX_MATCHES];
    bool by_alias;
    int n = modplan_lookup(d->plan, name_or_alias, idx, MAX_MATCHES, &by_alias);
    int first_err = 0;
    bool any_ok = false;

    if (n < 0)
        return n;
    if (n == 0)
        return -ENOENT;
    for (int i = 0; i < n; i++) {
        const char *name = modplan_name(d->plan, idx[i]);
        int e = plan_probe(d, idx[i], flags, by_alias, name_or_alias);
        if (e > 0) {
            dlog(d, LOG_INFO, "module %s is blacklisted, not loading it (for %s)", name,
                 name_or_alias);
            e = 0;
        } else if (e < 0) {
            dlog(d, LOG_WARNING, "failed to load module %s (for %s): %s", name, name_or_alias,
                 strerror(-e));
        }
        if (e == 0)
            any_ok = true;
        else if (!first_err)
            first_err = e;
    }
    return any_ok ? 0 : first_err;
}

/* ---- libkmod (dlopen) ---- */

static bool is_live(struct devices *d, struct kmod_module *m)
{
    int s = d->k.get_initstate(m);
    return s == KMOD_MODULE_LIVE || s == KMOD_MODULE_BUILTIN || s == KMOD_MODULE_COMING;
}

struct candidate {
    struct kmod_module *mod;
    bool was_live;
};

static int add_candidate(struct devices *d, struct candidate **c, size_t *n, struct kmod_module *m)
{
    struct candidate *nc = realloc(*c, (*n + 1) * sizeof(**c));
    if (!nc)
        return -ENOMEM;
    *c = nc;
    nc[*n].mod = d->k.ref(m);
    nc[*n].was_live = is_live(d, m);
    (*n)++;
    return 0;
}

static void free_candidates(struct devices *d, struct candidate *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d->k.mod_unref(c[i].mod);
    free(c);
}

/* The modules a probe of m may insert: its soft and hard dependencies and m itself, with
 * whether each is in the kernel now. (A softdep's own dependencies are not tracked.) */
static int probe_candidates(struct devices *d, struct kmod_module *m, struct candidate **out,
                            size_t *n)
{
    struct kmod_list *pre = NULL, *post = NULL, *l;
    struct kmod_list *deps = d->k.get_dependencies(m);
    int r = 0;

    *out = NULL;
    *n = 0;
    d->k.get_softdeps(m, &pre, &post);
    struct kmod_list *parts[] = {pre, deps, post};
    for (size_t i = 0; i < 3; i++) {
        kl_foreach(d, l, parts[i])
        {
            struct kmod_module *dep = d->k.get_module(l);
            if (r == 0)
                r = add_candidate(d, out, n, dep);
            d->k.mod_unref(dep);
        }
        d->k.unref_list(parts[i]);
    }
    if (r == 0)
        r = add_candidate(d, out, n, m);
    if (r < 0) {
        free_candidates(d, *out, *n);
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
    int r = probe_candidates(d, m, &cand, &n);
    if (r < 0)
        return r;

    if (d->dry_run)
        flags |= KMOD_PROBE_DRY_RUN;
    r = d->k.probe_insert(m, flags, NULL, NULL, NULL, NULL);
    bool inserted = r == 0;
    if (r > 0) {
        dlog(d, LOG_INFO, "module %s is blacklisted, not loading it (for %s)", d->k.get_name(m),
             why);
        r = 0;
    } else if (r == -EEXIST) {
        r = 0; /* loaded concurrently */
    } else if (r < 0) {
        dlog(d, LOG_WARNING, "failed to load module %s (for %s): %s", d->k.get_name(m), why,
             strerror(-r));
    }

    for (size_t i = 0; i < n; i++) {
        /* A dry run of a module already in the kernel inserts nothing, not even its deps. */
        bool now = d->dry_run ? inserted && !cand[n - 1].was_live : is_live(d, cand[i].mod);
        if (!cand[i].was_live && now)
            record_loaded(d, d->k.get_name(cand[i].mod), why);
    }
    free_candidates(d, cand, n);
    return r;
}

static int kmod_load(struct devices *d, const char *name_or_alias, unsigned flags)
{
    struct kmod_list *list = NULL, *l;
    int r = d->k.new_from_lookup(d->kmod, name_or_alias, &list);
    if (r < 0)
        return r;
    if (!list)
        return -ENOENT;

    int first_err = 0;
    bool any_ok = false;
    kl_foreach(d, l, list)
    {
        struct kmod_module *m = d->k.get_module(l);
        int e = probe_one(d, m, flags, name_or_alias);
        d->k.mod_unref(m);
        if (e == 0)
            any_ok = true;
        else if (!first_err)
            first_err = e;
    }
    d->k.unref_list(list);
    /* An alias often matches several modules of which only one binds the device. */
    return any_ok ? 0 : first_err;
}

static int load(struct devices *d, const char *name_or_alias, unsigned flags)
{
    if (!d->have_modules)
        return -ENOENT;
    return d->plan ? plan_load(d, name_or_alias, flags) : kmod_load(d, name_or_alias, flags);
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

    snprintf(path, sizeof path, "%s/modalias", name);
    if (read_first_line_at(dir_fd, path, buf, n) < 0)
        return -ENOENT;
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
