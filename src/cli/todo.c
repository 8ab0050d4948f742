/* todo.c -- commands not built yet (removed as each lands). */
#include <stdio.h>

#include "cli.h"

static int later(const char *name) {
    fprintf(stderr, "sipdx %s: not available in this build yet\n", name);
    return SX_EXIT_INTERNAL;
}
int cmd_identity(int argc, char **argv) { (void)argc, (void)argv; return later("identity"); }
