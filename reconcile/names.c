// SPDX-License-Identifier: GPL-2.0-or-later
/* The names of outcomes, kinds, policies and actions: the interface in text and JSON. */
#include <errno.h>
#include <string.h>

#include "reconcile.h"

static const char *const outcome_names[RC_OUTCOME_COUNT] = {
    [RC_HOST_ONLY] = "host-only",
    [RC_UNCHANGED] = "unchanged",
    [RC_REDUNDANT] = "redundant",
    [RC_BASE_UPDATED] = "base-updated",
    [RC_MERGED] = "merged",
    [RC_CONFLICT] = "conflict",
    [RC_DELETED_BY_HOST] = "deleted-by-host",
    [RC_DELETED_IN_BASE] = "deleted-in-base",
    [RC_METADATA_ONLY] = "metadata-only",
    [RC_TYPE_CHANGED] = "type-changed",
    [RC_UNKNOWN_BASE] = "unknown-base",
};

static const char *const kind_names[RC_KIND_COUNT] = {
    [RC_ABSENT] = "absent",         [RC_FILE] = "file",     [RC_DIR] = "dir",
    [RC_SYMLINK] = "symlink",       [RC_FIFO] = "fifo",     [RC_CHARDEV] = "char-device",
    [RC_BLOCKDEV] = "block-device", [RC_SOCKET] = "socket", [RC_WHITEOUT] = "whiteout",
};

static const char *const policy_names[] = {
    [RC_POLICY_REPORT] = "report",
    [RC_POLICY_SAFE] = "safe",
    [RC_POLICY_MERGE] = "merge",
};

static const char *const action_names[] = {
    [RC_ACT_NONE] = "none",         [RC_ACT_REMOVE] = "remove", [RC_ACT_REPLACE] = "replace",
    [RC_ACT_WHITEOUT] = "whiteout", [RC_ACT_OPAQUE] = "opaque", [RC_ACT_UNOPAQUE] = "unopaque",
    [RC_ACT_MOVE] = "move",
};

const char *rc_outcome_name(enum rc_outcome o)
{
    return (unsigned)o < RC_OUTCOME_COUNT ? outcome_names[o] : "?";
}

enum rc_outcome rc_outcome_from_name(const char *name)
{
    for (unsigned i = 0; i < RC_OUTCOME_COUNT; i++)
        if (strcmp(outcome_names[i], name) == 0)
            return (enum rc_outcome)i;
    return RC_OUTCOME_COUNT;
}

bool rc_outcome_needs_attention(enum rc_outcome o)
{
    return o != RC_HOST_ONLY && o != RC_UNCHANGED && o != RC_METADATA_ONLY;
}

const char *rc_kind_name(enum rc_kind k)
{
    return (unsigned)k < RC_KIND_COUNT ? kind_names[k] : "?";
}

const char *rc_policy_name(enum rc_policy p)
{
    return (unsigned)p <= RC_POLICY_MERGE ? policy_names[p] : "?";
}

int rc_policy_from_name(const char *name, enum rc_policy *out)
{
    for (unsigned i = 0; i <= RC_POLICY_MERGE; i++)
        if (strcmp(policy_names[i], name) == 0) {
            *out = (enum rc_policy)i;
            return 0;
        }
    return -EINVAL;
}

const char *rc_action_name(enum rc_action a)
{
    return (unsigned)a <= RC_ACT_MOVE ? action_names[a] : "?";
}
