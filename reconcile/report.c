// SPDX-License-Identifier: GPL-2.0-or-later
/* Reports: their lifetime, the one-line summary, JSON (schema in overlay-reconcile.8), and
 * the human text grouped by outcome with optional unified diffs. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "classify.h"
#include "fsio.h"
#include "json.h"
#include "merge.h"
#include "reconcile.h"
#include "sources.h"
#include "store.h"
#include "util.h"
#include "walk.h"

int rc_report_fail(struct rc_report *rep, int err, const char *what)
{
    if (rep->error)
        return rep->error; /* the first failure is the one to act on */
    rep->error = err;
    free(rep->error_text);
    if (asprintf(&rep->error_text, "%s: %s", what, strerror(-err)) < 0)
        rep->error_text = NULL;
    return err;
}

void rc_report_free(struct rc_report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < rep->n_entries; i++) {
        struct rc_entry *e = &rep->entries[i];
        free(e->path);
        free(e->base_object);
        free(e->conflict_object);
        free(e->backup);
        free(e->note);
    }
    free(rep->entries);
    free(rep->name);
    free(rep->lower);
    free(rep->upper);
    free(rep->store);
    free(rep->merge_base_dir);
    free(rep->run_id);
    free(rep->root);
    free(rep->error_text);
    free(rep);
}

bool rc_report_needs_attention(const struct rc_report *rep)
{
    if (rep->error || rep->journal_pending)
        return true;
    for (unsigned o = 0; o < RC_OUTCOME_COUNT; o++)
        if (rep->counts[o] && rc_outcome_needs_attention((enum rc_outcome)o))
            return true;
    return false;
}

static size_t count_applied(const struct rc_report *rep)
{
    size_t n = 0;
    for (size_t i = 0; i < rep->n_entries; i++)
        n += rep->entries[i].applied > 0;
    return n;
}

void rc_report_summary(const struct rc_report *rep, char *buf, size_t size)
{
    struct rc_buf b = {0};
    int r = rc_buf_printf(&b, "%s:", rep->name ? rep->name : "?");
    bool any = false;
    for (unsigned o = 0; r >= 0 && o < RC_OUTCOME_COUNT; o++)
        if (rep->counts[o]) {
            r = rc_buf_printf(&b, "%s %zu %s", any ? "," : "", rep->counts[o],
                              rc_outcome_name((enum rc_outcome)o));
            any = true;
        }
    if (r >= 0 && !any)
        r = rc_buf_adds(&b, " no host overrides");
    if (r >= 0 && rep->n_ignored)
        r = rc_buf_printf(&b, " (%zu ignored)", rep->n_ignored);
    if (r >= 0 && rep->policy != RC_POLICY_REPORT)
        r = rc_buf_printf(&b, " (%s: applied %zu)", rc_policy_name(rep->policy),
                          count_applied(rep));
    if (r >= 0 && rep->outcomes_reused)
        r = rc_buf_adds(&b, " (as at the last boot: base and upper unchanged)");
    if (r >= 0 && rep->error)
        r = rc_buf_printf(&b, "; error: %s", rep->error_text ? rep->error_text : "?");
    snprintf(buf, size, "%s", r >= 0 && b.data ? b.data : "(out of memory)");
    rc_buf_done(&b);
}

static bool in_group(const struct rc_entry *e, enum rc_action act, bool redundant)
{
    return e->applied > 0 && e->action == act && (e->outcome == RC_REDUNDANT) == redundant;
}

/* "; VERB N NOUN(S)TAIL: path, path, ..." for the applied entries of a group (nothing when
 * none). */
static int applied_group(struct rc_buf *b, const struct rc_report *rep, enum rc_action act,
                         bool redundant, const char *verb, const char *one, const char *many,
                         const char *tail)
{
    size_t n = 0, shown = 0;
    for (size_t i = 0; i < rep->n_entries; i++)
        n += in_group(&rep->entries[i], act, redundant);
    if (!n)
        return 0;
    int r =
        rc_buf_printf(b, "%s%s %zu %s%s: ", b->len ? "; " : "", verb, n, n == 1 ? one : many, tail);
    for (size_t i = 0; r >= 0 && i < rep->n_entries; i++) {
        if (!in_group(&rep->entries[i], act, redundant))
            continue;
        if (shown++ == 8) {
            r = rc_buf_adds(b, ", ...");
            break;
        }
        if (shown > 1)
            r = rc_buf_adds(b, ", ");
        if (r >= 0)
            r = rc_escape_c(b, rep->entries[i].path);
    }
    return r;
}

char *rc_report_applied_text(const struct rc_report *rep)
{
    struct rc_buf b = {0};
    int r = rc_buf_grow(&b, 0);
    if (r >= 0)
        r = applied_group(&b, rep, RC_ACT_REMOVE, true, "removed", "redundant copy",
                          "redundant copies", "");
    if (r >= 0)
        r = applied_group(&b, rep, RC_ACT_REMOVE, false, "took", "base update", "base updates",
                          " (host copy removed)");
    if (r >= 0)
        r = applied_group(&b, rep, RC_ACT_REPLACE, false, "rewrote", "file", "files",
                          " with a base update or a clean merge (host's owner and mode kept)");
    if (r >= 0 && b.len && rep->run_id && rep->store)
        r = rc_buf_printf(&b, "; backups in %s/backups/%s", rep->store, rep->run_id);
    if (r < 0 || !b.len) {
        rc_buf_done(&b);
        return NULL;
    }
    return b.data;
}

void rc_json_field(FILE *f, const char *key, const char *val)
{
    fprintf(f, ",\"%s\":", key);
    if (!val) {
        fputs("null", f);
        return;
    }
    json_string(f, val);
    if (!utf8_valid(val)) {
        fprintf(f, ",\"%s_hex\":\"", key);
        for (const unsigned char *p = (const unsigned char *)val; *p; p++)
            fprintf(f, "%02x", *p);
        fputc('"', f);
    }
}

static const char *base_kind_name(const struct rc_entry *e)
{
    return e->base_known ? rc_kind_name(e->base.kind) : "unknown";
}

static void json_entry(FILE *f, const struct rc_entry *e)
{
    fputs("{\"path\":", f);
    json_string(f, e->path);
    if (!utf8_valid(e->path)) {
        fputs(",\"path_hex\":\"", f);
        for (const unsigned char *p = (const unsigned char *)e->path; *p; p++)
            fprintf(f, "%02x", *p);
        fputc('"', f);
    }
    fprintf(f, ",\"outcome\":\"%s\",\"upper\":\"%s\",\"lower\":\"%s\",\"base\":\"%s\"",
            rc_outcome_name(e->outcome), rc_kind_name(e->upper.kind), rc_kind_name(e->lower.kind),
            base_kind_name(e));
    fprintf(f, ",\"opaque\":%s,\"action\":\"%s\",\"applied\":%s,\"ignored\":%s",
            e->upper.opaque ? "true" : "false", rc_action_name(e->action),
            e->applied > 0 ? "true" : "false", e->ignored ? "true" : "false");
    if (e->applied < 0)
        rc_json_field(f, "error", strerror(-e->applied));
    if (e->backup)
        rc_json_field(f, "backup", e->backup);
    if (e->base_object)
        rc_json_field(f, "base_object", e->base_object);
    if (e->conflict_object)
        rc_json_field(f, "conflict_object", e->conflict_object);
    if (e->note)
        rc_json_field(f, "note", e->note);
    fputc('}', f);
}

static void json_report(FILE *f, const struct rc_report *rep)
{
    fputs("{\"version\":1", f);
    rc_json_field(f, "name", rep->name);
    rc_json_field(f, "lower", rep->lower);
    rc_json_field(f, "upper", rep->upper);
    rc_json_field(f, "store", rep->store);
    rc_json_field(f, "merge_base_dir", rep->merge_base_dir);
    fprintf(f, ",\"policy\":\"%s\"", rc_policy_name(rep->policy));
    rc_json_field(f, "run_id", rep->run_id);
    fprintf(f, ",\"journal_resumed\":%s,\"journal_pending\":%s,\"needs_attention\":%s",
            rep->journal_resumed ? "true" : "false", rep->journal_pending ? "true" : "false",
            rc_report_needs_attention(rep) ? "true" : "false");
    rc_json_field(f, "error", rep->error ? rep->error_text : NULL);
    _cleanup_free_ char *changed = rc_report_applied_text(rep);
    rc_json_field(f, "changed", changed);
    fprintf(f, ",\"base_recorded\":%s,\"ignored\":%zu,\"outcomes_reused\":%s",
            rep->recorded ? "true" : "false", rep->n_ignored,
            rep->outcomes_reused ? "true" : "false");
    fputs(",\"counts\":{", f);
    for (unsigned o = 0; o < RC_OUTCOME_COUNT; o++)
        fprintf(f, "%s\"%s\":%zu", o ? "," : "", rc_outcome_name((enum rc_outcome)o),
                rep->counts[o]);
    fputs("},\"entries\":[", f);
    for (size_t i = 0; i < rep->n_entries; i++) {
        fputs(i ? ",\n" : "\n", f);
        json_entry(f, &rep->entries[i]);
    }
    fputs("]}", f);
}

int rc_report_write_json(FILE *f, struct rc_report *const *reps, size_t n)
{
    fputs("{\"version\":1,\"overlays\":[", f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n" : "\n", f);
        json_report(f, reps[i]);
    }
    fputs("\n]}\n", f);
    return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

int rc_report_save_json(struct rc_report *const *reps, size_t n, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    if (!f)
        return -ENOMEM;
    int r = rc_report_write_json(f, reps, n);
    fclose(f);
    _cleanup_free_ char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (r >= 0 && !dir)
        r = -ENOMEM;
    if (slash)
        *slash = 0;
    _cleanup_close_ int dfd =
        r >= 0 ? open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (r >= 0 && dfd < 0)
        r = -errno;
    if (r >= 0)
        r = rc_write_atomic(dfd, slash ? slash + 1 : path, data, len, 0644);
    free(data);
    return r;
}

/* What apply would put in place of the host's version, for --diff. */
static int new_content(const struct rc_sources *s, const struct rc_entry *e, struct rc_buf *out)
{
    if (e->applied > 0 && e->action == RC_ACT_REPLACE) /* done: the upper holds it now */
        return rc_sources_read(s, RC_SIDE_UPPER, e->path, &e->upper, out);
    if (e->outcome == RC_MERGED ||
        (e->outcome == RC_CONFLICT && e->upper.kind == RC_FILE && e->lower.kind == RC_FILE))
        return rc_sources_merge(s, e, out) < 0 ? -EIO : 0;
    return rc_sources_read(s, RC_SIDE_LOWER, e->path, &e->lower, out);
}

/* The host's version: after an apply changed the path, its backup in the store. */
static int old_content(const struct rc_sources *s, const struct rc_entry *e, struct rc_buf *out)
{
    if (!(e->applied > 0 && e->backup && s->store))
        return rc_sources_read(s, RC_SIDE_UPPER, e->path, &e->upper, out);
    int r = rc_buf_grow(out, 0);
    const char *name;
    _cleanup_close_ int dfd = r < 0 ? -1 : rc_open_parent(s->store->dfd, e->backup, &name);
    if (r < 0 || dfd < 0)
        return r < 0 ? r : dfd;
    if (e->upper.kind == RC_SYMLINK)
        return rc_read_symlink(dfd, name, out);
    _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    return fd < 0 ? -errno : rc_read_all(fd, s->max_merge, out);
}

static void text_diff(FILE *f, const struct rc_sources *s, const struct rc_entry *e)
{
    struct rc_buf a = {0}, b = {0}, d = {0};
    /* After an apply the upper holds the new version (or nothing: the base shows through);
     * the diff is from the backup to that. */
    struct rc_entry now = *e;
    if (e->applied > 0 && e->action == RC_ACT_REPLACE)
        now.upper.size = 0; /* its size changed: read it whatever it is now */
    int r = old_content(s, e, &a);
    if (r >= 0)
        r = new_content(s, &now, &b);
    if (r >= 0 && (rc_is_binary(a.data, a.len) || rc_is_binary(b.data, b.len)))
        fputs("    (binary: no diff)\n", f);
    else if (r >= 0 && (r = rc_unified_diff(&a, &b, e->path, &d)) >= 0)
        fputs(d.data, f);
    if (r < 0)
        fprintf(f, "    (no diff: %s)\n", strerror(-r));
    rc_buf_done(&a);
    rc_buf_done(&b);
    rc_buf_done(&d);
}

static bool diff_wanted(const struct rc_entry *e)
{
    return (e->outcome == RC_BASE_UPDATED || e->outcome == RC_MERGED || e->outcome == RC_CONFLICT ||
            e->outcome == RC_UNKNOWN_BASE || e->outcome == RC_REDUNDANT) &&
           (e->upper.kind == RC_FILE || e->upper.kind == RC_SYMLINK) && !e->ignored;
}

static void text_entry(FILE *f, const struct rc_entry *e)
{
    struct rc_buf p = {0};
    if (rc_escape_c(&p, e->path) < 0)
        return;
    fprintf(f, "  %s", p.data);
    if (e->ignored)
        fprintf(f, " (%s)", rc_outcome_name(e->outcome));
    if (e->action != RC_ACT_NONE)
        fprintf(f, "  [%s%s]", rc_action_name(e->action),
                e->applied > 0   ? "d"
                : e->applied < 0 ? " failed"
                                 : "");
    if (e->applied < 0)
        fprintf(f, " (%s)", strerror(-e->applied));
    if (e->note)
        fprintf(f, " (%s)", e->note);
    if (e->upper.kind != e->lower.kind && e->lower.kind != RC_ABSENT)
        fprintf(f, " (%s -> %s)", rc_kind_name(e->lower.kind), rc_kind_name(e->upper.kind));
    fputc('\n', f);
    if (e->base_object)
        fprintf(f, "    new base version: %s\n", e->base_object);
    if (e->conflict_object)
        fprintf(f, "    with conflict markers: %s\n", e->conflict_object);
    if (e->backup)
        fprintf(f, "    backup: %s\n", e->backup);
    rc_buf_done(&p);
}

/* The entries of outcome o (or, for o == RC_OUTCOME_COUNT, the ignored ones). */
static void text_group(FILE *f, const struct rc_report *rep, unsigned o, size_t n,
                       const struct rc_sources *s)
{
    if (!n)
        return;
    fprintf(f, "%s (%zu):\n", o == RC_OUTCOME_COUNT ? "ignored" : rc_outcome_name(o), n);
    for (size_t i = 0; i < rep->n_entries; i++) {
        const struct rc_entry *e = &rep->entries[i];
        if (o == RC_OUTCOME_COUNT ? !e->ignored : e->ignored || e->outcome != (enum rc_outcome)o)
            continue;
        text_entry(f, e);
        if (s && diff_wanted(e))
            text_diff(f, s, e);
    }
}

int rc_report_write_text(FILE *f, const struct rc_report *rep, bool diff)
{
    struct rc_sources s = {.upperfd = -1, .lowerfd = -1, .mbfd = -1};
    struct rc_overlay ov = {.upper = rep->upper,
                            .lower = rep->lower,
                            .store = rep->store,
                            .merge_base_dir = rep->merge_base_dir,
                            .root = rep->root};
    bool have_src = diff && !rep->error && rc_sources_open(&s, &ov, NULL, false, NULL) >= 0;
    fprintf(f, "%s (upper %s, lower %s)\n", rep->name, rep->upper, rep->lower);
    if (rep->error)
        fprintf(f, "  error: %s\n", rep->error_text ? rep->error_text : "?");
    if (rep->journal_pending)
        fputs("  an interrupted apply is pending: run --apply to finish it\n", f);
    if (rep->journal_resumed)
        fputs("  an interrupted apply was finished first\n", f);
    _cleanup_free_ char *changed = rc_report_applied_text(rep);
    if (changed)
        fprintf(f, "  changed (%s): %s\n", rc_policy_name(rep->policy), changed);
    for (unsigned o = 0; o < RC_OUTCOME_COUNT; o++)
        text_group(f, rep, o, rep->counts[o], have_src ? &s : NULL);
    text_group(f, rep, RC_OUTCOME_COUNT, rep->n_ignored, NULL);
    if (have_src)
        rc_sources_close(&s);
    return fflush(f) == 0 ? 0 : -EIO;
}
