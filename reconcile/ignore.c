// SPDX-License-Identifier: GPL-2.0-or-later
/* The ignore list: lock files and churn that systems rewrite by themselves (systemd-sysusers
 * recreates /etc/.pwd.lock at every boot). An ignored path is still classified and shown, but
 * raises no warning and is left alone by every policy. */
#include <fnmatch.h>
#include <string.h>

#include "reconcile.h"
#include "util.h"

/* Whether full, or a dir above it, matches pattern (a whole-path glob, '*' not crossing '/'). */
static bool matches(const char *pattern, size_t plen, const char *full)
{
    char pat[1024];
    if (plen == 0 || plen >= sizeof pat)
        return false;
    memcpy(pat, pattern, plen);
    pat[plen] = 0;
    _cleanup_free_ char *p = strdup(full);
    for (char *slash = p; p && slash;) {
        if (fnmatch(pat, p, FNM_PATHNAME) == 0)
            return true;
        slash = strrchr(p, '/');
        if (slash)
            *slash = 0;
        if (!*p)
            break;
    }
    return false;
}

static bool list_matches(const char *list, const char *full, unsigned nesting)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 7 && strncmp(p, "default", 7) == 0) {
            if (nesting == 0 && list_matches(RC_IGNORE_DEFAULT, full, 1))
                return true;
        } else if (matches(p, n, full)) {
            return true;
        }
        p += n + (p[n] == ',');
    }
    return false;
}

bool rc_ignored(const char *ignore, const char *name, const char *path)
{
    /* Patterns name paths of the booted system ("/etc/.pwd.lock"): without an overlaid dir
     * for a name (an upper dir given by path alone), nothing matches. */
    if (!name || *name != '/' || !path || !*path)
        return false;
    _cleanup_free_ char *full = NULL;
    size_t nl = strlen(name);
    while (nl > 1 && name[nl - 1] == '/')
        nl--;
    if (asprintf(&full, "%.*s/%s", nl == 1 ? 0 : (int)nl, name, path) < 0)
        return false;
    return list_matches(ignore ? ignore : RC_IGNORE_DEFAULT, full, 0);
}
