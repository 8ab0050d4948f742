/* analyze.c -- `sipdx analyze`: every message into calls, every call into the summary (and
 * optionally into NDJSON call records). Calls are folded in as they end and freed, so
 * memory follows the number of active calls. Each call also goes through the signal stage
 * (STIR/SHAKEN findings and blocking signals, src/signal), which adds the "stir" and
 * "signals" keys to its record and a STIR section to the summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "call/call.h"
#include "cli.h"
#include "diag_run.h"
#include "pipeline.h"
#include "report/html.h"
#include "report/summary.h"
#include "signal/signal.h"

#define CALLS_BUF (256 * 1024)

typedef struct analyze_ctx {
    call_tracker *ct;
    summary *sum;
    sig_stage *sig;
    FILE *calls_out; /* NDJSON, or NULL */
    char *calls_buf; /* its stdio buffer: records are KBs each (glibc's default is 4 KiB) */
    html_examples *ex; /* --report: the first record of each cause, or NULL */
    diag_run *dr;      /* the diagnosis (src/diag): records go through it to get verdicts */
} analyze_ctx;

/* Ended calls handed to the later stages at a time (ct_config.emit_batch). On calls-5k, by
 * cachegrind (build without PGO): 1 -> 16 -> 64 cut instruction-cache misses 5.44 -> 3.52 ->
 * 3.41 M and data misses 2.16 -> 1.81 -> 1.75 M (with PGO, 1 -> 32: 4.10 -> 2.38 M and
 * 2.17 -> 1.78 M); the memory held is a few calls'. */
enum { ANALYZE_EMIT_BATCH = 32 };

static void on_call(void *ud, const call_record *r) {
    analyze_ctx *a = ud;
    sum_call(a->sum, r);
    if (a->ex && !a->calls_out) html_examples_offer(a->ex, r); /* --report, no --calls */
    if (a->dr) diag_run_call(a->dr, r); /* the record's half of the facts; signals follow */
    /* with --calls, records wait in a temporary file for their verdict (diag_run.h);
     * without the diagnosis they go straight out */
    sig_stage_call(a->sig, r, a->dr ? diag_run_records(a->dr) : a->calls_out);
}

static void on_msg(void *ud, const sx_msgmeta *meta, const char *buf, size_t len, int rc,
                   const sip_msg *m) {
    (void)buf, (void)len;
    analyze_ctx *a = ud;
    if (rc > 0) ct_message(a->ct, meta, m);
}

/* sip_hint: the call's memory is fetched while the parser reads the rest of the message. */
static void on_call_id(void *ud, const sip_msg *m) { ct_prefetch(((analyze_ctx *)ud)->ct, m); }
static void on_headers(void *ud, const sip_msg *m) { ct_prefetch_call(((analyze_ctx *)ud)->ct, m); }

static void on_tick(void *ud, sx_time now) { ct_expire(((analyze_ctx *)ud)->ct, now); }

typedef struct analyze_args {
    int json, progress;
    const char *calls_path, *carriers_path, *report_path;
    const char *csv_callers, *csv_carriers;
    long bucket_min;
    long max_calls, max_duration_s; /* call tracker limits; 0 = defaults */
    int no_diag;                     /* --no-diagnosis: outcomes and STIR only */
    const char *group_header;
    sig_stage_opts so;
    pipe_opts po;
    char **files;
    int nfiles;
} analyze_args;

static int parse_args(int argc, char **argv, analyze_args *a) {
    int missing = 0;
    const char *v;
    a->progress = 1;
    a->so.verify = 1;
    a->so.jobs = 1;
    for (int i = 1; i < argc; i++) {
        if ((v = sx_optval(argc, argv, &i, "--format", &missing))) {
            if (strcmp(v, "json") && strcmp(v, "text")) {
                fprintf(stderr, "sipdx analyze: unknown format '%s' (text, json)\n", v);
                return -1;
            }
            a->json = !strcmp(v, "json");
        } else if ((v = sx_optval(argc, argv, &i, "--calls", &missing))) a->calls_path = v;
        else if ((v = sx_optval(argc, argv, &i, "--carriers", &missing))) a->carriers_path = v;
        else if ((v = sx_optval(argc, argv, &i, "--report", &missing))) a->report_path = v;
        else if ((v = sx_optval(argc, argv, &i, "--csv-callers", &missing))) a->csv_callers = v;
        else if ((v = sx_optval(argc, argv, &i, "--csv-carriers", &missing))) a->csv_carriers = v;
        else if ((v = sx_optval(argc, argv, &i, "--bucket", &missing))) {
            char *end;
            a->bucket_min = strtol(v, &end, 10);
            if (*end || a->bucket_min < 1 || a->bucket_min > 1440) {
                fprintf(stderr, "sipdx analyze: --bucket wants minutes 1-1440, not '%s'\n", v);
                return -1;
            }
        }
        else if ((v = sx_optval(argc, argv, &i, "--max-calls", &missing))) {
            char *end;
            a->max_calls = strtol(v, &end, 10);
            if (*end || a->max_calls < 1 || a->max_calls > 100000000) {
                fprintf(stderr, "sipdx analyze: --max-calls wants 1-100000000, not '%s'\n", v);
                return -1;
            }
        } else if ((v = sx_optval(argc, argv, &i, "--max-duration", &missing))) {
            char *end;
            a->max_duration_s = strtol(v, &end, 10);
            if (*end || a->max_duration_s < 1 || a->max_duration_s > 7 * 86400) {
                fprintf(stderr, "sipdx analyze: --max-duration wants seconds 1-604800, not '%s'\n", v);
                return -1;
            }
        } else if ((v = sx_optval(argc, argv, &i, "--group-header", &missing)))
            a->group_header = v;
        else if ((v = sx_optval(argc, argv, &i, "--live", &missing))) a->po.live_if = v;
        else if ((v = sx_optval(argc, argv, &i, "--filter", &missing))) a->po.filter = v;
        else if (!strcmp(argv[i], "--no-progress")) a->progress = 0;
        else if (!strcmp(argv[i], "--no-diagnosis")) a->no_diag = 1;
        else if ((v = sx_optval(argc, argv, &i, "--x5u-map", &missing))) a->so.x5u_map = v;
        else if ((v = sx_optval(argc, argv, &i, "--cert-dir", &missing))) a->so.cert_dir = v;
        else if ((v = sx_optval(argc, argv, &i, "--trust", &missing))) a->so.trust = v;
        else if (!strcmp(argv[i], "--no-verify")) a->so.verify = 0;
        else if ((v = sx_optval(argc, argv, &i, "-j", &missing)) ||
                 (v = sx_optval(argc, argv, &i, "--jobs", &missing))) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 64) {
                fprintf(stderr, "sipdx analyze: -j wants a number of threads 1-64, not '%s'\n", v);
                return -1;
            }
            a->so.jobs = (int)n;
        }
        else if (argv[i][0] == '-' && argv[i][1] != '\0' && !missing) {
            fprintf(stderr, "sipdx analyze: unknown option '%s' (see sipdx analyze --help)\n",
                    argv[i]);
            return -1;
        } else if (!missing) a->files[a->nfiles++] = argv[i];
        if (missing) {
            fprintf(stderr, "sipdx analyze: %s needs a value\n", argv[i]);
            return -1;
        }
    }
    if (a->no_diag && (a->report_path || a->csv_callers || a->csv_carriers)) {
        fprintf(stderr, "sipdx analyze: --report and the CSV exports need the diagnosis "
                        "(drop --no-diagnosis)\n");
        return -1;
    }
    if (a->nfiles == 0 && !a->po.live_if) {
        fprintf(stderr, "sipdx analyze: no input (see sipdx analyze --help)\n");
        return -1;
    }
    return 0;
}

/* The summary as one JSON document: --format json, and the data of --report. */
static void write_json(const analyze_ctx *ctx, const sum_run *run, FILE *out) {
    char *doc = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&doc, &len);
    if (m) sum_json(ctx->sum, run, m);
    if (!m || fclose(m) != 0 || len < 2 || memcmp(doc + len - 2, "}\n", 2) != 0) {
        free(doc); /* no room to add to it: the summary alone */
        sum_json(ctx->sum, run, out);
        return;
    }
    fwrite(doc, 1, len - 2, out); /* the summary's keys, then the diagnosis's */
    int first = 0;
    if (ctx->dr) diag_json_keys(diag_run_diag(ctx->dr), out, &first);
    fputs(",\"stir\":", out); /* the STIR/SHAKEN counters (docs/signals.md) */
    sig_stats_json(sig_stage_stats(ctx->sig), out);
    fputs("}\n", out);
    free(doc);
}

/* Phase 2 of the diagnosis and its CSV files; returns an exit code. */
static int finish_diagnosis(const analyze_args *a, analyze_ctx *ctx) {
    char err[256];
    int code = SX_EXIT_OK;
    if (!ctx->dr) return code; /* --no-diagnosis */
    if (diag_run_finish(ctx->dr, ctx->calls_out, err, sizeof err) != 0) {
        fprintf(stderr, "sipdx analyze: %s\n", err);
        code = SX_EXIT_INTERNAL;
    }
    const diag *d = diag_run_diag(ctx->dr);
    if (a->csv_callers && diag_csv_callers(d, a->csv_callers) != 0) {
        fprintf(stderr, "sipdx analyze: cannot write %s\n", a->csv_callers);
        code = SX_EXIT_NOINPUT;
    }
    if (a->csv_carriers && diag_csv_carriers(d, a->csv_carriers) != 0) {
        fprintf(stderr, "sipdx analyze: cannot write %s\n", a->csv_carriers);
        code = SX_EXIT_NOINPUT;
    }
    return code;
}

/* --report: the --format json document, in memory, into the page. */
static int write_report(const char *path, const analyze_ctx *ctx, const sum_run *run) {
    char *doc = NULL, err[512];
    size_t len = 0;
    FILE *m = open_memstream(&doc, &len);
    if (!m) return SX_EXIT_INTERNAL;
    write_json(ctx, run, m);
    if (fclose(m) != 0) {
        free(doc);
        return SX_EXIT_INTERNAL;
    }
    int rc = html_write(path, doc, len, ctx->ex, err, sizeof err);
    free(doc);
    if (rc) fprintf(stderr, "sipdx analyze: %s\n", err);
    return rc ? SX_EXIT_NOINPUT : SX_EXIT_OK;
}

int cmd_analyze(int argc, char **argv) {
    analyze_args a = {0};
    a.files = calloc((size_t)argc, sizeof *a.files);
    if (!a.files || parse_args(argc, argv, &a) != 0) {
        free(a.files);
        return SX_EXIT_USAGE;
    }
    char err[512];
    int code = SX_EXIT_OK;
    carriers *names = NULL;
    analyze_ctx ctx = {0};
    if (a.carriers_path && !(names = carriers_load(a.carriers_path, err, sizeof err))) {
        fprintf(stderr, "sipdx analyze: %s\n", err);
        free(a.files);
        return SX_EXIT_NOINPUT; /* a file that cannot be read, like any input */
    }
    if (a.calls_path) {
        ctx.calls_out = strcmp(a.calls_path, "-") ? fopen(a.calls_path, "w") : stdout;
        if (!ctx.calls_out) {
            fprintf(stderr, "sipdx analyze: cannot write %s\n", a.calls_path);
            carriers_free(names), free(a.files);
            return SX_EXIT_NOINPUT;
        }
        if (ctx.calls_out != stdout && (ctx.calls_buf = malloc(CALLS_BUF)))
            setvbuf(ctx.calls_out, ctx.calls_buf, _IOFBF, CALLS_BUF);
    }
    diag_config dc;
    diag_config_default(&dc);
    dc.names = names;
    if (a.bucket_min) dc.bucket = (sx_time)a.bucket_min * 60 * SX_SEC;
    if (!a.no_diag && (ctx.dr = diag_run_new(&dc, ctx.calls_out != NULL, err, sizeof err))) {
        a.so.on_result = diag_run_result; /* each call's final signals, in call order */
        a.so.ud = ctx.dr;
    }
    if ((!a.no_diag && !ctx.dr) || !(ctx.sig = sig_stage_new(&a.so, err, sizeof err))) {
        fprintf(stderr, "sipdx analyze: %s\n", err);
        /* No diagnosis: out of memory or no temporary file (internal); no signal stage:
         * a --x5u-map/--cert-dir/--trust file that cannot be read (an input). */
        int fail = (ctx.dr || a.no_diag) ? SX_EXIT_NOINPUT : SX_EXIT_INTERNAL;
        diag_run_free(ctx.dr);
        if (ctx.calls_out && ctx.calls_out != stdout) fclose(ctx.calls_out);
        free(ctx.calls_buf);
        carriers_free(names), free(a.files);
        return fail;
    }
    pipe_result res;
    ctx.sum = sum_new(names);
    if (a.report_path && (ctx.ex = html_examples_new()))
        diag_run_on_verdict(ctx.dr, html_examples_on_verdict, ctx.ex);
    ct_config cc; /* --carriers names the hops of each record's "path" */
    ct_config_default(&cc);
    cc.names = names;
    cc.keep_messages = ctx.calls_out || a.report_path; /* the only readers of the list */
    if (a.max_calls) cc.max_calls = (size_t)a.max_calls;
    if (a.max_duration_s) cc.max_duration = (sx_time)a.max_duration_s * SX_SEC;
    if (a.group_header) cc.group_header = a.group_header;
    /* Ended calls go to the later stages in runs, which keeps their code cached; live, each
     * goes at once, so a quiet link does not hold records back. */
    cc.emit_batch = a.po.live_if ? 1 : ANALYZE_EMIT_BATCH;
    ctx.ct = ct_new(&cc, &res.tally, on_call, &ctx);
    a.po.paths = (const char *const *)a.files;
    a.po.npaths = a.nfiles;
    a.po.progress = a.progress;
    sip_hint hint = {on_call_id, on_headers, &ctx};
    a.po.hint = &hint;
    int ok = ctx.sum && ctx.ct && (ctx.ex || !a.report_path);
    int rc = ok ? pipe_run(&a.po, on_msg, on_tick, &ctx, &res, err, sizeof err) : SX_ENOMEM;
    if (rc == 0) {
        ct_flush(ctx.ct);
        sig_stage_flush(ctx.sig);
        int dcode = finish_diagnosis(&a, &ctx);
        /* With --calls -, the records own stdout; the summary goes to stderr. */
        FILE *out = ctx.calls_out == stdout ? stderr : stdout;
        sum_run run = {.tally = &res.tally, .ct = ct_stats(ctx.ct), .seconds = res.seconds,
                       .first_ts = res.first_ts, .last_ts = res.last_ts, .nfiles = a.nfiles};
        if (a.json) write_json(&ctx, &run, out);
        else {
            if (ctx.dr) diag_text(diag_run_diag(ctx.dr), out); /* the diagnosis first */
            sum_text(ctx.sum, &run, out);
            sig_stats_text(sig_stage_stats(ctx.sig), out);
        }
        double mb = (double)res.tally.bytes_read / 1e6;
        uint64_t msgs = res.tally.sip_messages + res.tally.sip_malformed;
        fprintf(stderr, "sipdx: %.1f MB, %llu SIP messages in %.2f s (%.0f MB/s, %.0f messages/s)\n",
                mb, (unsigned long long)msgs, res.seconds,
                res.seconds > 0 ? mb / res.seconds : 0.0,
                res.seconds > 0 ? (double)msgs / res.seconds : 0.0);
        if (res.failed_sources) code = SX_EXIT_DATA;
        if (dcode != SX_EXIT_OK) code = dcode;
        if (a.report_path) {
            int rcode = write_report(a.report_path, &ctx, &run);
            if (rcode != SX_EXIT_OK) code = rcode;
        }
    } else {
        fprintf(stderr, "sipdx: %s\n", rc == SX_ENOMEM ? "out of memory" : err);
        code = rc == SX_ENOMEM ? SX_EXIT_INTERNAL : SX_EXIT_NOINPUT;
    }
    ct_free(ctx.ct);
    sig_stage_free(ctx.sig);
    diag_run_free(ctx.dr);
    sum_free(ctx.sum);
    html_examples_free(ctx.ex);
    carriers_free(names);
    if (ctx.calls_out && ctx.calls_out != stdout) fclose(ctx.calls_out);
    free(ctx.calls_buf); /* after fclose: stdio uses it until then */
    free(a.files);
    return code;
}
