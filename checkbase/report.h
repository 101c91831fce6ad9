/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The report on stdout: human text (one block per finding), or JSON.
 *
 * JSON schema (one object):
 *   {"target": STRING, "kind": "directory"|"image", "fstype": STRING|null,
 *    "partition": null | {"table": "gpt"|"dos", "number": N, "start": BYTES, "size": BYTES,
 *                         "type": STRING, "type_name": STRING|null, "name": STRING|null,
 *                         "partuuid": STRING|null, "uuid": STRING|null, "label": STRING|null},
 *    "findings": [{"id": STRING, "severity": "error"|"warning", "path": STRING,
 *                  "detail": STRING|null, "problem": STRING, "fix": STRING,
 *                  "autofix": BOOL}],
 *    "fixed": [{"id": STRING, "path": STRING, "ok": BOOL, "action": STRING}],
 *    "notes": [STRING], "errors": N, "warnings": N}
 * Strings are valid UTF-8: bytes that are not are replaced by U+FFFD.
 */
#pragma once

#include <stdio.h>

#include "finding.h"
#include "partition.h"

struct report {
    const char *target;
    const char *kind;
    const char *fstype; /* may be NULL */
    const struct findings *findings;
    const struct actions *actions;
    const struct notes *notes;
    const char *pttype;           /* the partition table of a disk image, or NULL */
    const struct part *partition; /* the partition checked, or NULL */
};

void report_text(FILE *out, const struct report *r);
void report_json(FILE *out, const struct report *r);
