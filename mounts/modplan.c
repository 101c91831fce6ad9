// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The module plan (modplan.h): a text file written by sharedroot-mkinitramfs, read by the
 * init. It comes from the image, but it is parsed as untrusted input all the same: bounded
 * sizes, every reference checked, no cycle through hard dependencies possible.
 */
#include "modplan.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"

struct mp_module {
    char *name;
    char *path; /* NULL: built in */
    size_t *deps, n_deps;
    size_t *pre, n_pre, *post, n_post;
    char *options; /* from the kernel command line, NULL when none */
    bool blacklisted;
};

struct mp_alias {
    char *pattern;
    size_t mod;
};

struct modplan {
    struct mp_module *m;
    size_t n, cap;
    struct mp_alias *a;
    size_t n_alias, cap_alias;
    size_t *by_name; /* indexes of m sorted by name, for the lookups of a parse */
};

static int fail(char *why, size_t n, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *why, size_t n, unsigned line, const char *fmt, ...)
{
    va_list ap;
    int w = line ? snprintf(why, n, "line %u: ", line) : 0;

    if (w < 0 || (size_t)w >= n)
        w = 0;
    va_start(ap, fmt);
    vsnprintf(why + w, n - (size_t)w, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int modplan_normalize_alias(const char *alias, char *buf, size_t n)
{
    size_t i;

    for (i = 0; alias[i]; i++) {
        if (i + 1 >= n)
            return -EINVAL;
        if (alias[i] == ']')
            return -EINVAL;
        if (alias[i] == '[') {
            for (; alias[i] && alias[i] != ']'; i++) {
                if (i + 1 >= n)
                    return -EINVAL;
                buf[i] = alias[i];
            }
            if (!alias[i] || i + 1 >= n)
                return -EINVAL;
            buf[i] = ']';
            continue;
        }
        buf[i] = alias[i] == '-' ? '_' : alias[i];
    }
    if (n == 0)
        return -EINVAL;
    buf[i] = '\0';
    return 0;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > MODPLAN_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* relative, no "." or ".." component, printable */
static bool path_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > MODPLAN_PATH_MAX || s[0] == '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return false;
    for (const char *c = s; c; c = strchr(c, '/')) {
        if (*c == '/')
            c++;
        size_t len = strcspn(c, "/");
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return false;
    }
    return true;
}

static bool pattern_ok(const char *s)
{
    char buf[MODPLAN_PATH_MAX + 1];
    size_t n = strlen(s);

    if (n == 0 || n > MODPLAN_PATH_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return false;
    /* written normalized: normalizing again changes nothing */
    return modplan_normalize_alias(s, buf, sizeof buf) == 0 && strcmp(buf, s) == 0;
}

static const struct modplan *sort_plan; /* qsort has no user data; a parse is single-threaded */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(sort_plan->m[*(const size_t *)a].name, sort_plan->m[*(const size_t *)b].name);
}

/* index of the module called name, or -1 */
static long find_sorted(const struct modplan *p, const char *name)
{
    size_t lo = 0, hi = p->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, p->m[p->by_name[mid]].name);
        if (c == 0)
            return (long)p->by_name[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* find among the first `upto` modules (the hard dependencies of a module being parsed: they
 * must come before it, which is what makes a cycle impossible) */
static long find_linear(const struct modplan *p, const char *name, size_t upto)
{
    for (size_t i = 0; i < upto; i++)
        if (strcmp(p->m[i].name, name) == 0)
            return (long)i;
    return -1;
}

#define MAX_WORDS (MODPLAN_MAX_DEPS + 3)

/* split line into blank-separated words (in place) */
static int split(char *line, char **w, size_t max)
{
    size_t n = 0;

    for (char *s = line;;) {
        s += strspn(s, " \t");
        if (!*s)
            break;
        if (n == max)
            return -E2BIG;
        w[n++] = s;
        s += strcspn(s, " \t");
        if (*s)
            *s++ = '\0';
    }
    return (int)n;
}

static int parse_module(struct modplan *p, char **w, int nw, unsigned line, bool builtin, char *why,
                        size_t wn)
{
    struct mp_module m = {0};

    if (builtin && nw != 2)
        return fail(why, wn, line, "'builtin' takes one module name");
    if (!builtin && nw < 3)
        return fail(why, wn, line, "'module' takes a name, a path and its dependencies");
    if (!name_ok(w[1]))
        return fail(why, wn, line, "'%.64s' is not a module name", w[1]);
    if (!builtin && !path_ok(w[2]))
        return fail(why, wn, line, "'%.64s' is not a relative path without '..'", w[2]);
    if (find_linear(p, w[1], p->n) >= 0)
        return fail(why, wn, line, "module %s is declared twice", w[1]);
    if (p->n >= MODPLAN_MAX_MODULES)
        return fail(why, wn, line, "more than %u modules", MODPLAN_MAX_MODULES);
    if (!builtin && nw > 3) {
        m.deps = calloc((size_t)nw - 3, sizeof *m.deps);
        if (!m.deps)
            return -ENOMEM;
        for (int i = 3; i < nw; i++) {
            long d = find_linear(p, w[i], p->n);
            if (d < 0 || p->m[d].path == NULL) {
                free(m.deps);
                return fail(why, wn, line,
                            "dependency %.64s of %s is not a module declared on an earlier "
                            "line",
                            w[i], w[1]);
            }
            for (size_t j = 0; j < m.n_deps; j++)
                if (m.deps[j] == (size_t)d) {
                    free(m.deps);
                    return fail(why, wn, line, "dependency %s of %s is named twice", w[i], w[1]);
                }
            m.deps[m.n_deps++] = (size_t)d;
        }
    }
    if (array_grow(&p->m, p->n, 1, &p->cap, sizeof *p->m) < 0) {
        free(m.deps);
        return -ENOMEM;
    }
    m.name = strdup(w[1]);
    m.path = builtin ? NULL : strdup(w[2]);
    if (!m.name || (!builtin && !m.path)) {
        free(m.name);
        free(m.path);
        free(m.deps);
        return -ENOMEM;
    }
    p->m[p->n++] = m;
    return 0;
}

static int parse_softdep(struct modplan *p, char **w, int nw, unsigned line, char *why, size_t wn)
{
    long i;
    size_t **list, *n;

    if (nw < 4 || (strcmp(w[2], "pre") != 0 && strcmp(w[2], "post") != 0))
        return fail(why, wn, line, "'softdep' takes a module, 'pre' or 'post', and modules");
    if ((i = find_sorted(p, w[1])) < 0)
        return fail(why, wn, line, "softdep of %.64s, which is not in the plan", w[1]);
    list = w[2][1] == 'r' ? &p->m[i].pre : &p->m[i].post;
    n = w[2][1] == 'r' ? &p->m[i].n_pre : &p->m[i].n_post;
    if (*n + (size_t)(nw - 3) > MODPLAN_MAX_DEPS)
        return fail(why, wn, line, "more than %u soft dependencies of %s", MODPLAN_MAX_DEPS, w[1]);
    size_t *nl = realloc(*list, (*n + (size_t)(nw - 3)) * sizeof **list);
    if (!nl)
        return -ENOMEM;
    *list = nl;
    for (int k = 3; k < nw; k++) {
        long d = find_sorted(p, w[k]);
        if (d < 0)
            return fail(why, wn, line, "soft dependency %.64s of %s is not in the plan", w[k],
                        w[1]);
        nl[(*n)++] = (size_t)d;
    }
    return 0;
}

static int parse_alias(struct modplan *p, char **w, int nw, unsigned line, char *why, size_t wn)
{
    long i;

    if (nw != 3)
        return fail(why, wn, line, "'alias' takes a pattern and a module");
    if (!pattern_ok(w[1]))
        return fail(why, wn, line, "alias '%.64s' is not a normalized pattern", w[1]);
    if ((i = find_sorted(p, w[2])) < 0)
        return fail(why, wn, line, "alias of %.64s, which is not in the plan", w[2]);
    if (p->n_alias >= MODPLAN_MAX_ALIASES)
        return fail(why, wn, line, "more than %u aliases", MODPLAN_MAX_ALIASES);
    if (array_grow(&p->a, p->n_alias, 1, &p->cap_alias, sizeof *p->a) < 0)
        return -ENOMEM;
    if (!(p->a[p->n_alias].pattern = strdup(w[1])))
        return -ENOMEM;
    p->a[p->n_alias++].mod = (size_t)i;
    return 0;
}

/* Pass 1 takes the header, module and builtin lines; pass 2 softdep and alias lines, which
 * may name any module of the plan. */
static int parse_line(struct modplan *p, char *line, unsigned lineno, int pass, char *why,
                      size_t wn)
{
    char *w[MAX_WORDS];
    int nw;

    if (lineno == 1) {
        if (strcmp(line, MODPLAN_HEADER) != 0)
            return fail(why, wn, 1, "not a module plan of this version (want '%s')",
                        MODPLAN_HEADER);
        return 0;
    }
    nw = split(line, w, MAX_WORDS);
    if (nw == -E2BIG)
        return fail(why, wn, lineno, "more than %u words", MAX_WORDS);
    if (nw == 0 || w[0][0] == '#')
        return 0;
    if (strcmp(w[0], "module") == 0 || strcmp(w[0], "builtin") == 0)
        return pass == 1 ? parse_module(p, w, nw, lineno, w[0][0] == 'b', why, wn) : 0;
    if (strcmp(w[0], "softdep") == 0)
        return pass == 2 ? parse_softdep(p, w, nw, lineno, why, wn) : 0;
    if (strcmp(w[0], "alias") == 0)
        return pass == 2 ? parse_alias(p, w, nw, lineno, why, wn) : 0;
    return fail(why, wn, lineno, "unknown record '%.32s'", w[0]);
}

static int parse_pass(struct modplan *p, const char *text, size_t len, int pass, char *why,
                      size_t wn)
{
    char line[MODPLAN_MAX_LINE + 1];
    unsigned lineno = 0;
    size_t pos = 0;

    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        int r;

        lineno++;
        if (n > MODPLAN_MAX_LINE)
            return fail(why, wn, lineno, "longer than %u bytes", MODPLAN_MAX_LINE);
        memcpy(line, text + pos, n);
        line[n] = '\0';
        if (strlen(line) != n)
            return fail(why, wn, lineno, "a NUL byte in the line");
        r = parse_line(p, line, lineno, pass, why, wn);
        if (r < 0)
            return r;
        pos += n + (nl ? 1 : 0);
    }
    if (lineno == 0)
        return fail(why, wn, 0, "empty (want '%s' on the first line)", MODPLAN_HEADER);
    return 0;
}

static int index_names(struct modplan *p)
{
    p->by_name = calloc(p->n ? p->n : 1, sizeof *p->by_name);
    if (!p->by_name)
        return -ENOMEM;
    for (size_t i = 0; i < p->n; i++)
        p->by_name[i] = i;
    sort_plan = p;
    qsort(p->by_name, p->n, sizeof *p->by_name, cmp_name);
    sort_plan = NULL;
    return 0;
}

int modplan_parse(const char *text, size_t len, struct modplan **out, char *why, size_t wn)
{
    struct modplan *p;
    int r;

    *out = NULL;
    if (wn)
        why[0] = '\0';
    if (len > MODPLAN_MAX_BYTES)
        return fail(why, wn, 0, "larger than %u bytes", MODPLAN_MAX_BYTES);
    if (!(p = calloc(1, sizeof *p)))
        return -ENOMEM;
    r = parse_pass(p, text, len, 1, why, wn);
    if (r >= 0)
        r = index_names(p);
    if (r >= 0)
        r = parse_pass(p, text, len, 2, why, wn);
    if (r < 0) {
        modplan_free(p);
        return r;
    }
    *out = p;
    return 0;
}

int modplan_load(const char *moddir, struct modplan **out, char *why, size_t wn)
{
    _cleanup_free_ char *path = NULL, *buf = NULL;
    _cleanup_close_ int fd = -1;
    struct stat st;
    size_t got = 0;

    *out = NULL;
    if (asprintf(&path, "%s/%s", moddir, MODPLAN_FILE) < 0) {
        path = NULL;
        return -ENOMEM;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return fail(why, wn, 0, "%s is not a regular file", path);
    if (st.st_size > (off_t)MODPLAN_MAX_BYTES)
        return -EFBIG;
    if (!(buf = malloc((size_t)st.st_size + 1)))
        return -ENOMEM;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return modplan_parse(buf, got, out, why, wn);
}

struct modplan *modplan_free(struct modplan *p)
{
    if (!p)
        return NULL;
    for (size_t i = 0; i < p->n; i++) {
        free(p->m[i].name);
        free(p->m[i].path);
        free(p->m[i].deps);
        free(p->m[i].pre);
        free(p->m[i].post);
        free(p->m[i].options);
    }
    for (size_t i = 0; i < p->n_alias; i++)
        free(p->a[i].pattern);
    free(p->m);
    free(p->a);
    free(p->by_name);
    free(p);
    return NULL;
}

/* libkmod's "underscores": '-' to '_' outside of [...]; -EINVAL for a bad bracket */
static int underscores(char *s)
{
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '-')
            s[i] = '_';
        else if (s[i] == ']')
            return -EINVAL;
        else if (s[i] == '[') {
            i += strcspn(s + i, "]");
            if (!s[i])
                return -EINVAL;
        }
    }
    return 0;
}

static int add_option(struct modplan *p, const char *mod, const char *opt)
{
    _cleanup_free_ char *name = strdup(mod);
    long i;

    if (!name)
        return -ENOMEM;
    if (underscores(name) < 0 || (i = find_sorted(p, name)) < 0)
        return 0; /* not a module of ours: the kernel takes it, or nobody */
    char *o = p->m[i].options;
    char *n = NULL;
    if (asprintf(&n, "%s%s%s", o ? o : "", o ? " " : "", opt) < 0)
        return -ENOMEM;
    free(o);
    p->m[i].options = n;
    return 0;
}

static int add_blacklist(struct modplan *p, const char *list)
{
    _cleanup_free_ char *copy = strdup(list);
    char *save = NULL;

    if (!copy)
        return -ENOMEM;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        long i = find_sorted(p, t);
        if (i >= 0)
            p->m[i].blacklisted = true;
    }
    return 0;
}

/* One word of the command line, quotes removed as the kernel removes them around a value. */
static int take_word(struct modplan *p, char *word)
{
    char *dot, *eq;
    size_t n = strlen(word);

    /* "mod.param=value with blanks" as a boot loader quotes it, or mod.param="..." */
    if (word[0] == '"') {
        memmove(word, word + 1, n);
        n--;
        if (n && word[n - 1] == '"')
            word[--n] = '\0';
    }
    eq = strchr(word, '=');
    dot = strchr(word, '.');
    if (!dot || dot == word || (eq && eq < dot) || !dot[1] || dot[1] == '=')
        return 0;
    *dot = '\0';
    if (strcmp(word, "modprobe") == 0)
        return strncmp(dot + 1, "blacklist=", 10) == 0 ? add_blacklist(p, dot + 11) : 0;
    return add_option(p, word, dot + 1);
}

int modplan_set_cmdline(struct modplan *p, const char *cmdline)
{
    _cleanup_free_ char *buf = strdup(cmdline);
    bool quoted = false;
    char *start = NULL;
    int r = 0;

    if (!buf)
        return -ENOMEM;
    for (size_t i = 0; i < p->n; i++) {
        free(p->m[i].options);
        p->m[i].options = NULL;
        p->m[i].blacklisted = false;
    }
    for (char *c = buf;; c++) {
        bool end = *c == '\0';
        bool blank = end || (!quoted && strchr(" \t\n\v\f\r", *c));
        if (!blank && !start)
            start = c;
        if (*c == '"')
            quoted = !quoted;
        if (blank && start) {
            *c = '\0';
            if ((r = take_word(p, start)) < 0)
                return r;
            start = NULL;
        }
        if (end)
            break;
    }
    return 0;
}

size_t modplan_count(const struct modplan *p)
{
    return p->n;
}

const char *modplan_name(const struct modplan *p, size_t i)
{
    return i < p->n ? p->m[i].name : NULL;
}

const char *modplan_path(const struct modplan *p, size_t i)
{
    return i < p->n ? p->m[i].path : NULL;
}

bool modplan_builtin(const struct modplan *p, size_t i)
{
    return i < p->n && !p->m[i].path;
}

bool modplan_blacklisted(const struct modplan *p, size_t i)
{
    return i < p->n && p->m[i].blacklisted;
}

const char *modplan_options(const struct modplan *p, size_t i)
{
    return i < p->n && p->m[i].options ? p->m[i].options : "";
}

int modplan_lookup(const struct modplan *p, const char *name_or_alias, size_t *idx, size_t max,
                   bool *by_alias)
{
    char key[MODPLAN_PATH_MAX + 1];
    long i;
    size_t n = 0;

    *by_alias = false;
    if (modplan_normalize_alias(name_or_alias, key, sizeof key) < 0)
        return -EINVAL;
    if ((i = find_sorted(p, key)) >= 0) {
        if (max > 0)
            idx[0] = (size_t)i;
        return 1;
    }
    /* every module with a matching alias, once, in plan order */
    for (size_t m = 0; m < p->n && n < max; m++)
        for (size_t a = 0; a < p->n_alias; a++)
            if (p->a[a].mod == m && fnmatch(p->a[a].pattern, key, 0) == 0) {
                idx[n++] = m;
                break;
            }
    *by_alias = n > 0;
    return (int)n;
}

struct probe {
    const struct modplan *p;
    bool *visited, *pushed;
    struct modplan_step *steps;
    size_t n, max;
    unsigned depth;
};

static int get_probe_list(struct probe *pr, size_t m);

/* Each module once, where libkmod's list has it first: libkmod may list a module twice (a
 * dependency that is also reached through a softdep) and skips it the second time, as it is
 * then in the kernel. */
static int push(struct probe *pr, size_t m)
{
    if (pr->pushed[m])
        return 0;
    pr->pushed[m] = true;
    if (pr->n == pr->max)
        return -E2BIG;
    pr->steps[pr->n++] = (struct modplan_step){.mod = m};
    return 0;
}

/* pre softdeps, the module, post softdeps (libkmod's __kmod_module_fill_softdep) */
static int fill_softdep(struct probe *pr, size_t m)
{
    const struct mp_module *mod = &pr->p->m[m];
    int r;

    for (size_t i = 0; i < mod->n_pre; i++)
        if ((r = get_probe_list(pr, mod->pre[i])) < 0)
            return r;
    if ((r = push(pr, m)) < 0)
        return r;
    for (size_t i = 0; i < mod->n_post; i++)
        if ((r = get_probe_list(pr, mod->post[i])) < 0)
            return r;
    return 0;
}

static int get_probe_list(struct probe *pr, size_t m)
{
    const struct mp_module *mod = &pr->p->m[m];
    int r = 0;

    if (pr->visited[m])
        return 0;
    pr->visited[m] = true;
    /* softdeps can chain: the depth is bounded by the number of modules (each visited once),
     * this only keeps the stack small on a hostile plan */
    if (++pr->depth > 64) {
        pr->depth--;
        return -ELOOP;
    }
    for (size_t i = 0; i < mod->n_deps && r >= 0; i++)
        r = fill_softdep(pr, mod->deps[i]);
    if (r >= 0)
        r = fill_softdep(pr, m);
    pr->depth--;
    return r;
}

int modplan_probe_list(const struct modplan *p, size_t i, struct modplan_step *steps, size_t max)
{
    struct probe pr = {.p = p, .steps = steps, .max = max};
    int r;

    if (i >= p->n)
        return -EINVAL;
    pr.visited = calloc(p->n, sizeof *pr.visited);
    pr.pushed = calloc(p->n, sizeof *pr.pushed);
    r = pr.visited && pr.pushed ? get_probe_list(&pr, i) : -ENOMEM;
    free(pr.visited);
    free(pr.pushed);
    if (r < 0)
        return r;
    /* the module and its hard dependencies are required; softdeps may fail */
    for (size_t s = 0; s < pr.n; s++) {
        steps[s].required = steps[s].mod == i;
        for (size_t d = 0; d < p->m[i].n_deps && !steps[s].required; d++)
            steps[s].required = steps[s].mod == p->m[i].deps[d];
    }
    return (int)pr.n;
}
