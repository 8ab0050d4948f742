/* pipeline.c -- the one loop every command runs. */
#include "pipeline.h"

#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/huge.h"
#include "capture/cap.h"
#include "net/net.h"

typedef struct pipe_ctx {
    pipe_sink_fn sink;
    void *ud;
    sx_tally *tally;
    sip_msg msg; /* one parse target, reused: no allocation per message */
    const sip_hint *hint;
} pipe_ctx;

/* Transport delivers a candidate message; parse it here so every command sees the same
 * parse and the same malformed accounting. */
static void on_message(void *ud, const sx_msgmeta *meta, const char *buf, size_t len) {
    pipe_ctx *c = ud;
    /* Stream framing (Content-Length mandatory, RFC 3261 §18.3) only for bytes we framed
     * from a TCP stream ourselves: HEP carries one captured message per packet, whatever
     * transport it was captured on. */
    unsigned flags = meta->transport == SX_T_TCP && !meta->hep ? SIP_P_STREAM : 0;
    int rc = sip_parse_hinted(buf, len, flags, &c->msg, c->hint);
    if (rc > 0) {
        c->tally->sip_messages++;
    } else {
        c->tally->sip_malformed++;
        int i = -rc;
        c->tally->sip_bad[i > 0 && i < 32 ? i : 31]++;
    }
    if (c->sink) c->sink(c->ud, meta, buf, len, rc, &c->msg);
}

/* Ctrl-C (SIGINT) or SIGTERM ends the input early but not the run: the loop stops reading,
 * and every command still reports what was read, tally included (a live capture has no
 * other way to end). A signal handler can only reach file-scope state, hence these two. */
static volatile sig_atomic_t interrupted;
static cap *live_cap;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
    if (live_cap) cap_break(live_cap); /* only sets flags: async-signal-safe */
}

static void catch_signals(struct sigaction *old_int, struct sigaction *old_term) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocked live read returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

static double now_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A one-line bar, redrawn at most 10 times a second; only when stderr is a terminal. */
static void draw_progress(const cap *cp, double start, double *last, int final) {
    double t = now_wall();
    if (!final && t - *last < 0.1) return;
    *last = t;
    uint64_t done, total;
    cap_progress(cp, &done, &total);
    double mb = (double)done / 1e6, rate = mb / (t - start > 0 ? t - start : 1e-9);
    if (total) {
        int pct = (int)(100.0 * (double)done / (double)total);
        int bars = pct / 4;
        fprintf(stderr, "\r[%-25.*s] %3d%% %8.1f MB %7.1f MB/s", bars,
                "#########################", pct, mb, rate);
    } else {
        fprintf(stderr, "\r%8.1f MB %7.1f MB/s", mb, rate);
    }
    if (final) fputs("\r\033[K", stderr);
}

int pipe_run(const pipe_opts *o, pipe_sink_fn sink, pipe_tick_fn tick, void *ud,
             pipe_result *res, char *err, size_t errsz) {
    memset(res, 0, sizeof *res);
    pipe_ctx ctx = {.sink = sink, .ud = ud, .tally = &res->tally, .hint = o->hint};
    cap *cp = o->live_if ? cap_open_live(o->live_if, o->filter, err, errsz)
                         : cap_open_files(o->paths, o->npaths, err, errsz);
    if (!cp) return SX_ENOTCAP;

    net_limits nl;
    net_limits_default(&nl);
    tp_limits tl;
    tp_limits_default(&tl);
    transport *tp = tp_new(&tl, &res->tally, on_message, &ctx);
    net *nt = net_new(&nl, &res->tally, tp_packet_cb, tp);
    if (!tp || !nt) {
        snprintf(err, errsz, "out of memory");
        tp_free(tp), net_free(nt), cap_close(cp);
        return SX_ENOMEM;
    }

    /* progress 1: only when a person watches (stderr is a terminal); 2: forced (--progress). */
    int show = o->progress == 2 || (o->progress && isatty(STDERR_FILENO));
    struct sigaction old_int, old_term;
    interrupted = 0;
    live_cap = o->live_if ? cp : NULL;
    catch_signals(&old_int, &old_term);
    double start = now_wall(), last_draw = 0;
    sx_time next_tick = 0;
    sx_frame f;
    int r;
    while ((r = cap_next(cp, &f)) != 0) {
        if (r < 0) { /* a source failed; the others go on */
            fprintf(stderr, "sipdx: %s\n", cap_err(cp));
            continue;
        }
        if (!res->first_ts) res->first_ts = f.ts;
        res->last_ts = f.ts;
        net_frame(nt, &f);
        /* Time-driven work (expiry, call timeouts) once per second of capture time. */
        if (f.ts >= next_tick) {
            net_expire(nt, f.ts);
            tp_expire(tp, f.ts);
            if (tick) tick(ud, f.ts);
            next_tick = f.ts + SX_SEC;
        }
        if ((f.index & 1023) == 0) {
            sx_huge_heap(); /* the per-call arenas' memory on huge pages (base/huge.h) */
            if (show) draw_progress(cp, start, &last_draw, 0);
        }
        if (o->max_frames && f.index >= o->max_frames) break;
        if (interrupted) break;
    }
    if (interrupted) {
        res->interrupted = 1;
        fprintf(stderr, "\nsipdx: interrupted: reporting the %llu frames read\n",
                (unsigned long long)res->tally.frames);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    live_cap = NULL;
    net_flush(nt);
    tp_flush(tp);
    if (show) draw_progress(cp, start, &last_draw, 1);
    res->failed_sources = cap_failed_sources(cp);
    res->seconds = now_wall() - start;
    net_free(nt);
    tp_free(tp);
    cap_close(cp);
    return 0;
}
