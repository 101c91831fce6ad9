// SPDX-License-Identifier: GPL-2.0-or-later
#include "cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static int strv_push(char ***v, size_t *n, const char *s)
{
    char *copy = strdup(s);
    char **nv;

    if (!copy)
        return -ENOMEM;
    nv = realloc(*v, (*n + 2) * sizeof(char *));
    if (!nv) {
        free(copy);
        return -ENOMEM;
    }
    nv[(*n)++] = copy;
    nv[*n] = NULL;
    *v = nv;
    return 0;
}

/* The kernel's white space (lib/ctype.c): \t \n \v \f \r, ' ' and 0xa0 (Latin-1 no-break
 * space), whatever the C library's locale says. */
static bool kernel_isspace(char c)
{
    unsigned char u = (unsigned char)c;
    return u == ' ' || (u >= '\t' && u <= '\r') || u == 0xa0;
}

/* One word by the kernel's next_arg() (lib/cmdline.c), on the word starting at p (not white
 * space): a double quote toggles grouping wherever it is, but only a quote that opens the
 * word or its value is removed, with the quote that ends the word. Writes the word as the
 * kernel hands it to init (param, or param=value with the value's quotes gone, as
 * init/main.c repair_env_string() does) to out and returns where the next word starts. */
static const char *next_word(const char *p, char *out)
{
    size_t i, equals = 0, plen, vlen = 0;
    bool in_quote = false, quoted = false;
    const char *val = NULL;

    if (*p == '"') {
        p++;
        in_quote = quoted = true;
    }
    for (i = 0; p[i]; i++) {
        if (kernel_isspace(p[i]) && !in_quote)
            break;
        if (equals == 0 && p[i] == '=')
            equals = i; /* an '=' at 0 leaves equals 0: the kernel's own quirk, kept */
        if (p[i] == '"')
            in_quote = !in_quote;
    }
    plen = equals ? equals : i;
    bool strip_last = i > 0 && p[i - 1] == '"' && quoted;
    if (equals) {
        val = p + equals + 1;
        vlen = i - equals - 1;
        if (*val == '"') {
            val++, vlen--;
            strip_last = p[i - 1] == '"' && vlen > 0;
        }
        if (strip_last)
            vlen--;
    } else if (strip_last) {
        plen--;
    }
    memcpy(out, p, plen);
    if (val) {
        out[plen] = '=';
        memcpy(out + plen + 1, val, vlen);
        plen += 1 + vlen;
    }
    out[plen] = 0;
    p += i;
    while (*p && kernel_isspace(*p))
        p++;
    return p;
}

int cmdline_split(const char *text, char ***words)
{
    size_t len = strlen(text), n = 0;
    char **v = NULL, *buf;
    const char *p = text;
    int r = 0;

    *words = NULL;
    if (len >= CMDLINE_MAX)
        return -E2BIG;
    buf = malloc(len + 1);
    if (!buf)
        return -ENOMEM;
    while (*p && kernel_isspace(*p))
        p++;
    while (*p) {
        p = next_word(p, buf);
        r = strv_push(&v, &n, buf);
        if (r < 0)
            goto fail;
    }
    free(buf);
    if (!v) {
        v = calloc(1, sizeof(char *));
        if (!v)
            return -ENOMEM;
    }
    *words = v;
    return (int)n;
fail:
    free(buf);
    strv_free(v);
    return r;
}

__attribute__((format(printf, 2, 3))) static int add_problem(struct cmdline *c, const char *fmt,
                                                             ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return strv_push(&c->problems, &c->n_problems, msg);
}

/* Parse a non-negative decimal of at most max; -EINVAL otherwise. */
static int parse_uint(const char *s, int max, int *out)
{
    char *end;
    long v;

    if (!*s || !isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v > max)
        return -EINVAL;
    *out = (int)v;
    return 0;
}

static int parse_int(const char *s, int *out)
{
    if (*s == '-') {
        int r = parse_uint(s + 1, INT_MAX, out);
        if (r == 0)
            *out = -*out;
        return r;
    }
    return parse_uint(s, INT_MAX, out);
}

static int set_str(char **dst, const char *v)
{
    char *copy = strdup(v);
    if (!copy)
        return -ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

/* K_UINT: 0 to max; K_POS: 1 to max */
enum key_kind { K_STR, K_FLAG, K_UINT, K_POS, K_INT, K_SPECIAL };

struct key {
    const char *name;
    enum key_kind kind;
    size_t offset; /* into struct cmdline */
    int max;       /* for K_UINT and K_POS */
    bool needs_value;
};

#define F(field) offsetof(struct cmdline, field)

/* Every key the init understands. Keys without '=' are flags. */
static const struct key keys[] = {
    {"root", K_STR, F(root), 0, true},
    {"rootfstype", K_STR, F(rootfstype), 0, true},
    {"rootflags", K_STR, F(rootflags), 0, true},
    {"rootwait", K_FLAG, F(rootwait), 0, false},
    {"rootdelay", K_UINT, F(rootdelay), 3600, true},
    {"init", K_STR, F(init), 0, true},
    {"ro", K_SPECIAL, 0, 0, false},
    {"rw", K_SPECIAL, 0, 0, false},
    {"panic", K_INT, F(panic), 0, true},
    {"sharedroot", K_SPECIAL, 0, 0, true},
    {"sharedroot.timeout", K_UINT, F(timeout), 86400, true},
    {"sharedroot.debug", K_FLAG, F(debug), 0, false},
    {"sharedroot.instance", K_STR, F(instance), 0, true},
    {"sharedroot.layout", K_STR, F(layout), 0, true},
    {"sharedroot.overlay", K_STR, F(overlays), 0, true},
    {"sharedroot.dev", K_SPECIAL, 0, 0, true},
    {"sharedroot.tmp", K_STR, F(tmp), 0, true},
    {"sharedroot.swap", K_STR, F(swap), 0, true},
    {"sharedroot.mkswap", K_FLAG, F(mkswap), 0, false},
    {"sharedroot.init", K_STR, F(real_init), 0, true},
    {"sharedroot.reconcile", K_STR, F(reconcile), 0, true},
    {"sharedroot.shutdown", K_STR, F(shutdown), 0, true},
    {"sharedroot.dax", K_STR, F(dax), 0, true},
    {"sharedroot.reconcile.ignore", K_STR, F(reconcile_ignore), 0, true},
    {"sharedroot.break", K_SPECIAL, 0, 0, false},
    {"sharedroot.hostname", K_STR, F(hostname), 0, true},
    {"sharedroot.hook_timeout", K_UINT, F(hook_timeout), 86400, true},
    {"ip", K_SPECIAL, 0, 0, true},
    {"nameserver", K_SPECIAL, 0, 0, true},
    {"netroot", K_STR, F(netroot), 0, true},
    {"sharedroot.nbd.connections", K_UINT, F(nbd_connections), 16, true},
    {"sharedroot.nbd.timeout", K_UINT, F(nbd_timeout), 86400, true},
    {"sharedroot.nbd.request_timeout", K_POS, F(nbd_request_timeout), 3600, true},
};

static const struct key *find_key(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
            return &keys[i];
    return NULL;
}

/* sharedroot.break may be given more than once: every stage named anywhere counts. */
static int append_break(struct cmdline *c, const char *stages)
{
    size_t old = c->breaks ? strlen(c->breaks) : 0;
    char *nb = realloc(c->breaks, old + strlen(stages) + 2);

    if (!nb)
        return -ENOMEM;
    if (old)
        nb[old++] = ',';
    strcpy(nb + old, stages);
    c->breaks = nb;
    return 0;
}

static int apply_special(struct cmdline *c, const char *name, const char *value, const char *word)
{
    if (strcmp(name, "ro") == 0) {
        c->rw = false;
        return 0;
    }
    if (strcmp(name, "rw") == 0) {
        c->rw = true;
        return 0;
    }
    if (strcmp(name, "sharedroot.break") == 0)
        return append_break(c, *value ? value : "switch");
    /* repeatable: one per interface, one per server */
    if (strcmp(name, "ip") == 0)
        return *value ? strv_push(&c->ip, &c->n_ip, value)
                      : add_problem(c, "'%s' has an empty value; ignored", word);
    if (strcmp(name, "nameserver") == 0)
        return *value ? strv_push(&c->nameservers, &c->n_nameservers, value)
                      : add_problem(c, "'%s' has an empty value; ignored", word);
    if (strcmp(name, "sharedroot.dev") == 0) {
        static const char *const modes[] = {
            [DEV_AUTO] = "auto", [DEV_DEVTMPFS] = "devtmpfs", [DEV_TMPFS] = "tmpfs"};
        for (int i = 0; i < 3; i++)
            if (strcmp(value, modes[i]) == 0) {
                c->dev = (enum dev_mode)i;
                return 0;
            }
        return add_problem(c, "'%s': sharedroot.dev= takes auto, devtmpfs or tmpfs; using auto",
                           word);
    }
    /* sharedroot=off|on */
    if (strcmp(value, "off") == 0 || strcmp(value, "0") == 0)
        c->off = true;
    else if (strcmp(value, "on") == 0 || strcmp(value, "1") == 0)
        c->off = false;
    else
        return add_problem(c, "'%s': sharedroot= takes 'on' or 'off'; ignored", word);
    return 0;
}

static int apply_key(struct cmdline *c, const struct key *k, const char *value, const char *word)
{
    char *base = (char *)c;
    char name[64];

    if (k->needs_value && !value)
        return add_problem(c, "'%s' needs a value (KEY=VALUE); ignored", word);
    if (!k->needs_value && value && k->kind != K_SPECIAL)
        return add_problem(c, "'%s' takes no value; ignored", word);
    switch (k->kind) {
    case K_STR:
        if (!*value)
            return add_problem(c, "'%s' has an empty value; ignored", word);
        return set_str((char **)(base + k->offset), value);
    case K_FLAG:
        *(bool *)(base + k->offset) = true;
        return 0;
    case K_UINT:
    case K_POS: {
        /* The value in force stays (the default, or an earlier valid word), and the
         * message says which it is. */
        int v, min = k->kind == K_POS;
        if (parse_uint(value, k->max, &v) < 0 || v < min)
            return add_problem(c, "'%s' is not a whole number from %d to %d; %s=%d is used", word,
                               min, k->max, k->name, *(int *)(base + k->offset));
        *(int *)(base + k->offset) = v;
        return 0;
    }
    case K_INT:
        if (parse_int(value, (int *)(base + k->offset)) < 0)
            return c->panic_set ? add_problem(c, "'%s' is not a whole number; %s=%d is used", word,
                                              k->name, *(int *)(base + k->offset))
                                : add_problem(c,
                                              "'%s' is not a whole number; ignored, as if no %s= "
                                              "were given",
                                              word, k->name);
        if (k->offset == F(panic))
            c->panic_set = true;
        return 0;
    case K_SPECIAL:
        snprintf(name, sizeof name, "%s", k->name);
        return apply_special(c, name, value ? value : "", word);
    }
    return 0;
}

/* A word we do not know: sharedroot.* is ours and reported; other dotted keys are module
 * parameters (the kernel does not pass them to init either); the rest go to the real init,
 * key=value as environment and plain words as arguments, as the kernel does. */
static int apply_unknown(struct cmdline *c, const char *word, size_t keylen)
{
    const char *dot = memchr(word, '.', keylen);

    if (strncmp(word, "sharedroot.", 11) == 0)
        return add_problem(c, "unknown option '%s' (see sharedroot-init(8)); ignored", word);
    if (dot)
        return 0;
    if (word[keylen] == '=')
        return strv_push(&c->init_env, &c->n_init_env, word);
    return strv_push(&c->init_args, &c->n_init_args, word);
}

static int apply_word(struct cmdline *c, const char *word)
{
    /* As next_arg(): a word's key ends at its first '=' after the first byte. */
    const char *eq = *word ? strchr(word + 1, '=') : NULL;
    size_t keylen = eq ? (size_t)(eq - word) : strlen(word);
    const struct key *k = find_key(word, keylen);

    if (!k)
        return apply_unknown(c, word, keylen);
    return apply_key(c, k, eq ? eq + 1 : NULL, word);
}

int cmdline_parse(const char *text, struct cmdline *c)
{
    char **words = NULL;
    bool after_dashes = false;
    int r;

    memset(c, 0, sizeof *c);
    c->timeout = CMDLINE_DEFAULT_TIMEOUT;
    c->hook_timeout = CMDLINE_DEFAULT_HOOK_TIMEOUT;
    c->nbd_connections = CMDLINE_DEFAULT_NBD_CONNECTIONS;
    c->nbd_timeout = CMDLINE_DEFAULT_NBD_TIMEOUT;
    c->nbd_request_timeout = CMDLINE_DEFAULT_NBD_REQUEST_TIMEOUT;
    r = cmdline_split(text, &words);
    if (r < 0)
        return r;
    for (char **w = words; *w; w++) {
        if (after_dashes)
            r = strv_push(&c->init_args, &c->n_init_args, *w);
        else if (strcmp(*w, "--") == 0) {
            after_dashes = true;
            r = 0;
        } else
            r = apply_word(c, *w);
        if (r < 0)
            break;
    }
    strv_free(words);
    if (r < 0) {
        cmdline_free(c);
        return r;
    }
    return 0;
}

void cmdline_free(struct cmdline *c)
{
    free(c->root);
    free(c->rootfstype);
    free(c->rootflags);
    free(c->init);
    free(c->instance);
    free(c->layout);
    free(c->overlays);
    free(c->tmp);
    free(c->swap);
    free(c->real_init);
    free(c->reconcile);
    free(c->shutdown);
    free(c->dax);
    free(c->reconcile_ignore);
    free(c->breaks);
    free(c->hostname);
    strv_free(c->ip);
    strv_free(c->nameservers);
    free(c->netroot);
    strv_free(c->init_args);
    strv_free(c->init_env);
    strv_free(c->problems);
    memset(c, 0, sizeof *c);
}

int cmdline_read_file(const char *path, char **text)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t len = 0;
    char *buf;
    int r = 0;

    *text = NULL;
    if (fd < 0)
        return -errno;
    buf = malloc(CMDLINE_MAX);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, CMDLINE_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == CMDLINE_MAX) {
            r = -E2BIG;
            break;
        }
    }
    close(fd);
    if (r < 0) {
        free(buf);
        return r;
    }
    if (memchr(buf, 0, len)) {
        free(buf);
        return -EINVAL;
    }
    buf[len] = 0;
    *text = buf;
    return 0;
}
