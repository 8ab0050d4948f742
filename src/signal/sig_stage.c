/* sig_stage.c -- the signal stage of `sipdx analyze`: each finished call analysed, its record
 * written with the "stir" and "signals" keys, counters for the summary.
 *
 * With one job everything happens inside the emit callback. With N jobs the callback only
 * decodes and checks (sig_analyze_deferred, cheap), renders the record's own keys to memory
 * (the record dies when the callback returns) and queues the call; the ES256 checks -- the
 * expensive part -- run on N worker threads, one batch at a time, while the main thread
 * fills the other batch. Each worker owns a stir_verifier (they are not thread-safe) and
 * takes the Identity values whose hash falls to it, so a repeated Identity always meets the
 * same cache. Records leave in call order. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "sig_int.h"

#define BATCH_PER_JOB 32

typedef struct worker_arg { sig_stage *s; int w; } worker_arg;

typedef struct slot {
    sig_result res;
    char *json;  /* the record's own keys, without the closing "}\n"; NULL when not writing */
    size_t len;
    FILE *out;
} slot;

typedef struct batch {
    slot *slots;
    int n;
} batch;

struct sig_stage {
    sig_stage_opts o;
    int jobs;
    stir_verifier **ver;      /* one per worker (jobs == 1: one, used inline) */
    stir_passport *scratch;   /* one per worker */
    sig_result *inline_res;   /* jobs == 1 */
    sig_stats st;
    /* jobs > 1 */
    batch b[2];
    int cap, cur, in_flight;  /* in_flight: batch being verified, or -1 */
    pthread_t *th;
    worker_arg *args;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    batch *work;
    uint64_t gen;
    int remaining, quit, threads;
};

/* ---- counters ---- */

static void count(sig_stats *st, const sig_result *r) {
    st->calls++;
    for (int id = 0; id < STIR_F__COUNT; id++)
        if (stir_has(&r->findings, id)) st->findings[id]++;
    if (r->nidentity > 0) {
        st->with_identity++;
        st->multiple_identity += r->nidentity > 1;
        int a = !strcmp(r->attest, "A") ? 0 : !strcmp(r->attest, "B") ? 1 : !strcmp(r->attest, "C") ? 2 : 3;
        st->attest[a]++;
        if (r->signature >= 0 && r->signature < STIR_SIG__COUNT) st->signature[r->signature]++;
    }
    static const int codes[5] = {428, 436, 437, 438, 403};
    for (int i = 0; i < 5; i++) st->implied[i] += r->implied.code == codes[i];
    st->network_blocked += r->blocked.present != 0;
    st->jcard += r->jcard.present != 0;
    st->jcard_valid += r->jcard.present && r->jcard.sig == STIR_SIG_VALID;
    st->stir_reason += r->stir_reason.present != 0;
    if (r->verstat_class) {
        const char *c = r->verstat_class;
        st->verstat[!strcmp(c, "passed") ? 0 : !strcmp(c, "failed") ? 1 : !strcmp(c, "no_validation") ? 2 : 3]++;
    }
}

/* ---- output ---- */

static void write_res(const sig_result *res, const char *json, size_t len, FILE *out) {
    int first = 0;
    fwrite(json, 1, len, out);
    sig_json_keys(res, out, &first);
    fputs("}\n", out);
}

/* The record's own keys into memory: call_record_json without its closing "}\n". */
static int render(const call_record *r, slot *sl) {
    sl->json = NULL;
    sl->len = 0;
    FILE *m = open_memstream(&sl->json, &sl->len);
    if (!m) return -1;
    call_record_json(r, m);
    if (fclose(m) != 0 || sl->len < 2 || memcmp(sl->json + sl->len - 2, "}\n", 2) != 0) {
        free(sl->json);
        sl->json = NULL;
        return -1;
    }
    sl->len -= 2;
    return 0;
}

/* ---- workers ---- */


static void verify_share(sig_stage *s, batch *bt, int w) {
    for (int i = 0; i < bt->n; i++) {
        sig_result *res = &bt->slots[i].res;
        for (int k = 0; k < res->nidentity && k < SIG_MAX_IDENTITIES; k++)
            if (res->ids[k].pending && (int)(res->ids[k].hash % (uint32_t)s->jobs) == w)
                sig_verify_pending(res, k, s->ver[w], &s->scratch[w]);
        if (res->jcard.pending && i % s->jobs == w)
            sig_verify_pending(res, -1, s->ver[w], &s->scratch[w]);
    }
}

static void *worker(void *p) {
    worker_arg *a = p;
    sig_stage *s = a->s;
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (!s->quit && s->gen == seen) pthread_cond_wait(&s->go, &s->mu);
        if (s->quit) {
            pthread_mutex_unlock(&s->mu);
            return NULL;
        }
        seen = s->gen;
        batch *bt = s->work;
        pthread_mutex_unlock(&s->mu);
        verify_share(s, bt, a->w);
        pthread_mutex_lock(&s->mu);
        if (--s->remaining == 0) pthread_cond_signal(&s->done);
        pthread_mutex_unlock(&s->mu);
    }
}

static void start(sig_stage *s, int which) {
    pthread_mutex_lock(&s->mu);
    s->work = &s->b[which];
    s->remaining = s->jobs;
    s->gen++;
    pthread_cond_broadcast(&s->go);
    pthread_mutex_unlock(&s->mu);
    s->in_flight = which;
}

/* Waits for the batch in flight, then writes and counts it in call order. */
static void finish_in_flight(sig_stage *s) {
    if (s->in_flight < 0) return;
    pthread_mutex_lock(&s->mu);
    while (s->remaining > 0) pthread_cond_wait(&s->done, &s->mu);
    pthread_mutex_unlock(&s->mu);
    batch *bt = &s->b[s->in_flight];
    for (int i = 0; i < bt->n; i++) {
        slot *sl = &bt->slots[i];
        sig_finish(&sl->res);
        count(&s->st, &sl->res);
        if (sl->json) write_res(&sl->res, sl->json, sl->len, sl->out);
        if (s->o.on_result) s->o.on_result(s->o.ud, &sl->res);
        free(sl->json);
        sl->json = NULL;
    }
    bt->n = 0;
    s->in_flight = -1;
}

/* ---- the stage ---- */

static stir_verifier *new_verifier(const sig_stage_opts *o, char *err, size_t errlen) {
    if (!o->x5u_map && !o->cert_dir) return NULL; /* no key source: signatures "unverified" */
    stir_verifier_opts vo = {.x5u_map = o->x5u_map, .cert_dir = o->cert_dir,
                             .trust_anchors = o->trust};
    return stir_verifier_new(&vo, err, errlen);
}

static int start_threads(sig_stage *s) {
    s->cap = BATCH_PER_JOB * s->jobs;
    s->in_flight = -1;
    for (int i = 0; i < 2; i++)
        if (!(s->b[i].slots = calloc((size_t)s->cap, sizeof(slot)))) return -1;
    s->th = calloc((size_t)s->jobs, sizeof *s->th);
    s->args = calloc((size_t)s->jobs, sizeof *s->args);
    if (!s->th || !s->args) return -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->go, NULL);
    pthread_cond_init(&s->done, NULL);
    for (int w = 0; w < s->jobs; w++) {
        s->args[w] = (worker_arg){s, w};
        if (pthread_create(&s->th[w], NULL, worker, &s->args[w]) != 0) return -1;
        s->threads++;
    }
    return 0;
}

sig_stage *sig_stage_new(const sig_stage_opts *o, char *err, size_t errlen) {
    sig_stage *s = calloc(1, sizeof *s);
    if (!s) return snprintf(err, errlen, "out of memory"), NULL;
    s->o = *o;
    s->jobs = o->jobs < 1 ? 1 : o->jobs > 64 ? 64 : o->jobs;
    s->ver = calloc((size_t)s->jobs, sizeof *s->ver);
    s->scratch = calloc((size_t)s->jobs, sizeof *s->scratch);
    if (!s->ver || !s->scratch) {
        snprintf(err, errlen, "out of memory");
        sig_stage_free(s);
        return NULL;
    }
    err[0] = '\0';
    for (int w = 0; w < s->jobs; w++) {
        s->ver[w] = new_verifier(o, err, errlen);
        if (!s->ver[w] && err[0]) {
            sig_stage_free(s);
            return NULL;
        }
    }
    if (s->jobs == 1) s->inline_res = malloc(sizeof *s->inline_res);
    if (s->jobs == 1 ? !s->inline_res : start_threads(s) != 0) {
        snprintf(err, errlen, "out of memory (or no threads) for %d verification jobs", s->jobs);
        sig_stage_free(s);
        return NULL;
    }
    return s;
}

void sig_stage_call(sig_stage *s, const call_record *r, FILE *out) {
    if (s->jobs == 1) {
        sig_analyze(r, s->ver[0], s->o.verify, s->inline_res);
        count(&s->st, s->inline_res);
        if (out) call_record_json_ex(r, out, sig_json_extra, s->inline_res);
        if (s->o.on_result) s->o.on_result(s->o.ud, s->inline_res);
        return;
    }
    batch *bt = &s->b[s->cur];
    slot *sl = &bt->slots[bt->n++];
    sig_analyze_deferred(r, &sl->res);
    if (!s->o.verify) /* --no-verify: nothing for the workers */
        for (int k = 0; k < SIG_MAX_IDENTITIES; k++) sl->res.ids[k].pending = 0;
    if (!s->o.verify) sl->res.jcard.pending = 0;
    sl->out = out;
    sl->json = NULL;
    if (out && render(r, sl) != 0) call_record_json_ex(r, out, sig_json_extra, &sl->res);
    if (bt->n < s->cap) return;
    finish_in_flight(s);
    start(s, s->cur);
    s->cur ^= 1;
}

void sig_stage_flush(sig_stage *s) {
    if (s->jobs == 1) return;
    finish_in_flight(s);
    if (s->b[s->cur].n == 0) return;
    start(s, s->cur);
    finish_in_flight(s);
}

void sig_stage_free(sig_stage *s) {
    if (!s) return;
    if (s->threads) {
        pthread_mutex_lock(&s->mu);
        s->quit = 1;
        pthread_cond_broadcast(&s->go);
        pthread_mutex_unlock(&s->mu);
        for (int w = 0; w < s->threads; w++) pthread_join(s->th[w], NULL);
    }
    for (int i = 0; i < 2; i++) {
        for (int k = 0; s->b[i].slots && k < s->b[i].n; k++) free(s->b[i].slots[k].json);
        free(s->b[i].slots);
    }
    for (int w = 0; s->ver && w < s->jobs; w++) stir_verifier_free(s->ver[w]);
    free(s->ver);
    free(s->scratch);
    free(s->th);
    free(s->args);
    free(s->inline_res);
    free(s);
}

const sig_stats *sig_stage_stats(const sig_stage *s) { return &s->st; }

void sig_stage_vstats(const sig_stage *s, stir_verifier_stats *out) {
    memset(out, 0, sizeof *out);
    for (int w = 0; w < s->jobs; w++) {
        if (!s->ver[w]) continue;
        stir_verifier_stats v;
        stir_verifier_get_stats(s->ver[w], &v);
        out->verifications += v.verifications;
        out->cache_hits += v.cache_hits;
        out->certs_loaded += v.certs_loaded;
    }
}

/* ---- the summary section ---- */

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

static void top_findings(const sig_stats *st, FILE *out) {
    int shown[STIR_F__COUNT] = {0}, printed = 0;
    fprintf(out, "  %-22s", "top findings");
    for (int k = 0; k < 8; k++) {
        int best = -1;
        for (int id = 0; id < STIR_F__COUNT; id++)
            if (!shown[id] && st->findings[id] && stir_finding_severity(id) != STIR_INFO &&
                (best < 0 || st->findings[id] > st->findings[best]))
                best = id;
        if (best < 0) break;
        shown[best] = 1;
        fprintf(out, "%s%s %llu", printed++ ? ", " : " ", stir_finding_name(best),
                (unsigned long long)st->findings[best]);
    }
    fputs(printed ? "\n" : " none\n", out);
}

void sig_stats_text(const sig_stats *st, FILE *out) {
    fprintf(out, "\nSTIR/SHAKEN (docs/signals.md)\n");
    fprintf(out, "  %-22s %llu of %llu (%.1f %%), without %llu, several %llu\n",
            "calls with Identity", (unsigned long long)st->with_identity,
            (unsigned long long)st->calls, pct(st->with_identity, st->calls),
            (unsigned long long)(st->calls - st->with_identity),
            (unsigned long long)st->multiple_identity);
    fprintf(out, "  %-22s A %llu, B %llu, C %llu, none %llu\n", "attestation",
            (unsigned long long)st->attest[0], (unsigned long long)st->attest[1],
            (unsigned long long)st->attest[2], (unsigned long long)st->attest[3]);
    fprintf(out, "  %-22s", "signature");
    int any = 0;
    for (int i = 0; i < STIR_SIG__COUNT; i++)
        if (st->signature[i])
            fprintf(out, "%s%s %llu", any++ ? ", " : " ", stir_sig_name(i),
                    (unsigned long long)st->signature[i]);
    fputs(any ? "\n" : " none\n", out);
    top_findings(st, out);
    static const char *const implied[5] = {"428", "436", "437", "438", "403 Stale Date"};
    fprintf(out, "  %-22s", "STIR responses");
    any = 0;
    for (int i = 0; i < 5; i++)
        if (st->implied[i])
            fprintf(out, "%s%s %llu", any++ ? ", " : " ", implied[i], (unsigned long long)st->implied[i]);
    if (st->stir_reason)
        fprintf(out, "%sReason: STIR %llu", any++ ? ", " : " ", (unsigned long long)st->stir_reason);
    fputs(any ? "\n" : " none\n", out);
    fprintf(out, "  %-22s 603+ %llu, 608 jCard %llu (%llu signed and valid)\n", "blocking notices",
            (unsigned long long)st->network_blocked, (unsigned long long)st->jcard,
            (unsigned long long)st->jcard_valid);
    fprintf(out, "  %-22s passed %llu, failed %llu, no validation %llu, other %llu\n", "verstat",
            (unsigned long long)st->verstat[0], (unsigned long long)st->verstat[1],
            (unsigned long long)st->verstat[2], (unsigned long long)st->verstat[3]);
}
