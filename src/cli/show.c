/* show.c -- `sipdx show CALL-ID FILE...`: the whole input goes through the call tracker
 * (so the call is correlated exactly as analyze sees it) and the matching call, or every
 * leg of its group, is drawn as a ladder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "call/call.h"
#include "cli.h"
#include "pipeline.h"
#include "report/ladder.h"

typedef struct show_ctx {
    call_tracker *ct;
    const carriers *names; /* --carriers, or NULL */
    const char *call_id;
    int width, found;
} show_ctx;

static void on_call(void *ud, const call_record *r) {
    show_ctx *s = ud;
    if (!sx_sv_eq(r->call_id, s->call_id) && !sx_sv_eq(r->leg_group, s->call_id)) return;
    if (s->found++) fputc('\n', stdout);
    ladder_print(r, s->names, s->width, stdout);
}

/* Only the calls that can be shown keep their messages: on a capture of a million calls,
 * the others' lists were most of the work. */
static int keep_call(void *ud, const call_record *r) {
    const show_ctx *s = ud;
    return sx_sv_eq(r->call_id, s->call_id) || sx_sv_eq(r->leg_group, s->call_id);
}

static void on_msg(void *ud, const sx_msgmeta *meta, const char *buf, size_t len, int rc,
                   const sip_msg *m) {
    (void)buf, (void)len;
    if (rc > 0) ct_message(((show_ctx *)ud)->ct, meta, m);
}

static void on_tick(void *ud, sx_time now) { ct_expire(((show_ctx *)ud)->ct, now); }

int cmd_show(int argc, char **argv) {
    show_ctx s = {.width = 100};
    char **files = calloc((size_t)argc, sizeof *files);
    int nfiles = 0, missing = 0;
    const char *v, *carriers_path = NULL;
    for (int i = 1; i < argc && files; i++) {
        if ((v = sx_optval(argc, argv, &i, "--width", &missing))) s.width = atoi(v);
        else if ((v = sx_optval(argc, argv, &i, "--carriers", &missing))) carriers_path = v;
        else if (argv[i][0] == '-' && argv[i][1] != '\0' && !missing) {
            fprintf(stderr, "sipdx show: unknown option '%s'\n", argv[i]);
            free(files);
            return SX_EXIT_USAGE;
        } else if (!missing) {
            if (!s.call_id) s.call_id = argv[i];
            else files[nfiles++] = argv[i];
        }
    }
    if (!files || missing || !s.call_id || nfiles == 0) {
        fprintf(stderr, "sipdx show: usage: sipdx show [--width N] [--carriers FILE] CALL-ID FILE...\n");
        free(files);
        return SX_EXIT_USAGE;
    }
    char err[512];
    carriers *names = NULL;
    if (carriers_path && !(names = carriers_load(carriers_path, err, sizeof err))) {
        fprintf(stderr, "sipdx show: %s\n", err);
        free(files);
        return SX_EXIT_NOINPUT;
    }
    s.names = names;
    ct_config cc;
    ct_config_default(&cc);
    cc.names = names;
    cc.keep_call = keep_call;
    pipe_opts po = {.paths = (const char *const *)files, .npaths = nfiles, .progress = 1};
    pipe_result res;
    s.ct = ct_new(&cc, &res.tally, on_call, &s);
    int rc = s.ct ? pipe_run(&po, on_msg, on_tick, &s, &res, err, sizeof err) : SX_ENOMEM;
    if (rc == 0) ct_flush(s.ct);
    ct_free(s.ct);
    carriers_free(names);
    free(files);
    if (rc != 0) {
        fprintf(stderr, "sipdx: %s\n", rc == SX_ENOMEM ? "out of memory" : err);
        return rc == SX_ENOMEM ? SX_EXIT_INTERNAL : SX_EXIT_NOINPUT;
    }
    if (!s.found) {
        fprintf(stderr, "sipdx show: no call with Call-ID '%s' in the input\n", s.call_id);
        return SX_EXIT_DATA;
    }
    return res.failed_sources ? SX_EXIT_DATA : SX_EXIT_OK;
}
