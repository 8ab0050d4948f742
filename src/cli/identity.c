/* identity.c -- `sipdx identity`: the STIR module owns the command and its option table;
 * here we only accept the common `--format json|text` spelling as well. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stir/stir.h"

int cmd_identity(int argc, char **argv) {
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args) return SX_EXIT_INTERNAL;
    int n = 0, missing = 0;
    for (int i = 0; i < argc; i++) {
        const char *v = i ? sx_optval(argc, argv, &i, "--format", &missing) : NULL;
        if (missing) {
            fprintf(stderr, "sipdx identity: --format needs a value\n");
            free(args);
            return SX_EXIT_USAGE;
        }
        if (!v) args[n++] = argv[i];
        else if (!strcmp(v, "json")) args[n++] = "--json";
        else if (strcmp(v, "text") != 0) {
            fprintf(stderr, "sipdx identity: unknown format '%s' (text, json)\n", v);
            free(args);
            return SX_EXIT_USAGE;
        }
    }
    int rc = stir_cli_identity(n, args);
    free(args);
    return rc;
}
