/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copying an image file fast and keeping it sparse. */
#pragma once

/* Copy all of in to out (an empty file): a reflink (FICLONE) where the filesystem shares
 * blocks, else only the data segments (SEEK_DATA/SEEK_HOLE) with copy_file_range, holes stay
 * holes. out ends with in's size. */
int copy_sparse(int in, int out);
