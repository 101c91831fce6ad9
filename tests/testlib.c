// SPDX-License-Identifier: GPL-2.0-or-later
#define TESTLIB_IMPLEMENTATION
#include "testlib.h"
