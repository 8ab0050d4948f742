/* sig_stage.c -- the signal stage of `sipdx analyze`: each finished call analysed, its record
 * written with the "stir" and "signals" keys, counters for the summary.
 *
 * With one job everything happens inside the emit callback. With N jobs the callback only
 * decodes and checks (sig_analyze_deferred, cheap), renders the record's own keys to memory
 * (the record dies when the callback returns) and puts the call in a ring of R = 64 * N
 * slots; each pending signature (an Identity, or the 608 jCard) goes to the queue of the
 * worker chosen by its hash, so a repeated Identity always meets the same verifier's cache
 * (stir_verifier is one per thread). Workers verify continuously; the main thread writes
 * slots from the ring's head as soon as they are complete, so records leave in call order,
 * and waits only when the ring is full. No barrier: a worker the OS descheduled delays only
 * its own items. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "sig_int.h"

#define RING_PER_JOB 64
#define JCARD_ITEM (-1)

typedef struct slot {
    sig_result res;
    char *json;          /* the record's own keys, without the closing "}\n"; NULL if none */
    size_t len;
    FILE *out;
    atomic_int pending;  /* signatures still to verify; the slot is the workers' until 0 */
    uint64_t seq;        /* the call's number: which slot the main thread waits for */
} slot;

typedef struct item { uint32_t slot; int32_t k; } item; /* k: identity index or JCARD_ITEM */

/* One worker's FIFO. Never full: the ring bounds the items in flight. */
typedef struct wqueue {
    item *it;
    size_t cap, head, tail;
    int quit;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} wqueue;

struct sig_stage;
typedef struct worker_arg { struct sig_stage *s; int w; } worker_arg;

struct sig_stage {
    sig_stage_opts o;
    int jobs;
    stir_verifier **ver;      /* one per worker (jobs == 1: one, used inline) */
    stir_passport *scratch;   /* one per worker */
    sig_result *inline_res;   /* jobs == 1 */
    sig_stats st;
    /* jobs > 1 */
    slot *ring;
    uint64_t rcap, head, tail;/* head: next to write; tail: next to fill */
    wqueue *q;
    worker_arg *args;
    pthread_t *th;
    int threads;
    pthread_mutex_t mu;       /* with done: the main thread waits for slot number waiting */
    pthread_cond_t done;
    atomic_uint_fast64_t waiting;
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

static void push(wqueue *q, item it) {
    pthread_mutex_lock(&q->mu);
    q->it[q->tail++ % q->cap] = it;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void *worker(void *p) {
    worker_arg *a = p;
    struct sig_stage *s = a->s;
    wqueue *q = &s->q[a->w];
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (q->head == q->tail && !q->quit) pthread_cond_wait(&q->cv, &q->mu);
        if (q->head == q->tail) { /* quit, and nothing left */
            pthread_mutex_unlock(&q->mu);
            return NULL;
        }
        item it = q->it[q->head++ % q->cap];
        pthread_mutex_unlock(&q->mu);
        slot *sl = &s->ring[it.slot];
        sig_verify_pending(&sl->res, it.k, s->ver[a->w], &s->scratch[a->w]);
        /* Wake the main thread only for the slot it waits for: one wake per half ring. seq is
         * read before the decrement: once pending is 0 the main thread may reuse the slot. */
        uint64_t seq = sl->seq;
        if (atomic_fetch_sub(&sl->pending, 1) == 1 && atomic_load(&s->waiting) == seq) {
            pthread_mutex_lock(&s->mu);
            pthread_cond_signal(&s->done);
            pthread_mutex_unlock(&s->mu);
        }
    }
}

/* Waits until call number seq has all its signatures. The worker completing it reads
 * `waiting` after its decrement, and the main thread sets it before checking, under mu, so
 * the wake cannot be lost. */
static void wait_slot(struct sig_stage *s, uint64_t seq) {
    slot *sl = &s->ring[seq % s->rcap];
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->waiting, seq);
    while (atomic_load(&sl->pending) > 0) pthread_cond_wait(&s->done, &s->mu);
    atomic_store(&s->waiting, UINT64_MAX);
    pthread_mutex_unlock(&s->mu);
}

/* Writes and counts the head slot once its signatures are verified (waiting if must_wait). */
static int write_head(struct sig_stage *s, int must_wait) {
    slot *sl = &s->ring[s->head % s->rcap];
    if (atomic_load(&sl->pending) > 0) {
        if (!must_wait) return 0;
        wait_slot(s, s->head);
    }
    sig_finish(&sl->res);
    count(&s->st, &sl->res);
    if (sl->json) write_res(&sl->res, sl->json, sl->len, sl->out);
    if (s->o.on_result) s->o.on_result(s->o.ud, &sl->res); /* the diagnosis (signal.h) */
    free(sl->json);
    sl->json = NULL;
    s->head++;
    return 1;
}

/* Hands a freshly analysed slot's pending signatures to the workers. */
static void dispatch(struct sig_stage *s, uint32_t idx) {
    slot *sl = &s->ring[idx];
    sig_result *res = &sl->res;
    int n = res->jcard.pending != 0;
    for (int k = 0; k < res->nidentity && k < SIG_MAX_IDENTITIES; k++) n += res->ids[k].pending != 0;
    atomic_store(&sl->pending, n); /* before any worker can see an item of this slot */
    for (int k = 0; k < res->nidentity && k < SIG_MAX_IDENTITIES; k++)
        if (res->ids[k].pending)
            push(&s->q[res->ids[k].hash % (uint32_t)s->jobs], (item){idx, k});
    if (res->jcard.pending) push(&s->q[idx % (uint32_t)s->jobs], (item){idx, JCARD_ITEM});
}

/* ---- the stage ---- */

static stir_verifier *new_verifier(const sig_stage_opts *o, char *err, size_t errlen) {
    if (!o->x5u_map && !o->cert_dir) return NULL; /* no key source: signatures "unverified" */
    stir_verifier_opts vo = {.x5u_map = o->x5u_map, .cert_dir = o->cert_dir,
                             .trust_anchors = o->trust};
    return stir_verifier_new(&vo, err, errlen);
}

static int start_threads(struct sig_stage *s) {
    s->rcap = (uint64_t)RING_PER_JOB * (uint64_t)s->jobs;
    s->ring = calloc(s->rcap, sizeof *s->ring);
    s->q = calloc((size_t)s->jobs, sizeof *s->q);
    s->th = calloc((size_t)s->jobs, sizeof *s->th);
    s->args = calloc((size_t)s->jobs, sizeof *s->args);
    if (!s->ring || !s->q || !s->th || !s->args) return -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->done, NULL);
    atomic_store(&s->waiting, UINT64_MAX);
    for (int w = 0; w < s->jobs; w++) {
        wqueue *q = &s->q[w];
        q->cap = s->rcap * (SIG_MAX_IDENTITIES + 1);
        if (!(q->it = calloc(q->cap, sizeof *q->it))) return -1;
        pthread_mutex_init(&q->mu, NULL);
        pthread_cond_init(&q->cv, NULL);
    }
    for (int w = 0; w < s->jobs; w++) {
        s->args[w] = (worker_arg){s, w};
        if (pthread_create(&s->th[w], NULL, worker, &s->args[w]) != 0) return -1;
        s->threads++;
    }
    return 0;
}

sig_stage *sig_stage_new(const sig_stage_opts *o, char *err, size_t errlen) {
    struct sig_stage *s = calloc(1, sizeof *s);
    if (!s) return snprintf(err, errlen, "out of memory"), NULL;
    s->o = *o;
    s->jobs = o->jobs < 1 ? 1 : o->jobs > 64 ? 64 : o->jobs;
    if (!o->verify) s->jobs = 1; /* nothing for workers to do */
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
        if (s->o.on_result) s->o.on_result(s->o.ud, s->inline_res); /* the diagnosis (signal.h) */
        return;
    }
    while (s->head < s->tail && write_head(s, 0)) {} /* whatever is done, in order */
    if (s->tail - s->head == s->rcap) { /* full: let the workers get half the ring done */
        wait_slot(s, s->head + s->rcap / 2);
        while (s->head < s->tail && write_head(s, 0)) {}
        if (s->tail - s->head == s->rcap) write_head(s, 1);
    }
    uint32_t idx = (uint32_t)(s->tail % s->rcap);
    slot *sl = &s->ring[idx];
    sl->seq = s->tail;
    sig_analyze_deferred(r, &sl->res);
    sl->out = out;
    sl->json = NULL;
    if (out && render(r, sl) != 0) {
        /* Cannot hold it (out of memory): write it now, unverified, but after every earlier
         * call, since the diagnosis pairs records with results by position (diag_run.c). */
        while (s->head < s->tail) write_head(s, 1);
        sl->res.jcard.pending = 0;
        for (int k = 0; k < SIG_MAX_IDENTITIES; k++) sl->res.ids[k].pending = 0;
        sig_finish(&sl->res);
        call_record_json_ex(r, out, sig_json_extra, &sl->res);
        sl->out = NULL;
    }
    s->tail++;
    dispatch(s, idx);
}

void sig_stage_flush(sig_stage *s) {
    if (s->jobs == 1) return;
    while (s->head < s->tail) write_head(s, 1);
}

void sig_stage_free(sig_stage *s) {
    if (!s) return;
    if (s->threads) {
        for (int w = 0; w < s->jobs; w++) {
            pthread_mutex_lock(&s->q[w].mu);
            s->q[w].quit = 1;
            pthread_cond_signal(&s->q[w].cv);
            pthread_mutex_unlock(&s->q[w].mu);
        }
        for (int w = 0; w < s->threads; w++) pthread_join(s->th[w], NULL);
    }
    for (uint64_t i = 0; s->ring && i < s->rcap; i++) free(s->ring[i].json);
    for (int w = 0; s->q && w < s->jobs; w++) free(s->q[w].it);
    for (int w = 0; s->ver && w < s->jobs; w++) stir_verifier_free(s->ver[w]);
    free(s->ring);
    free(s->q);
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

static void j_u64(FILE *out, int *first, const char *key, uint64_t v) {
    json_key(out, first, key);
    fprintf(out, "%llu", (unsigned long long)v);
}

void sig_stats_json(const sig_stats *st, FILE *out) {
    static const char *const implied[5] = {"428", "436", "437", "438", "403"};
    static const char *const vs[4] = {"passed", "failed", "no_validation", "other"};
    static const char *const at[4] = {"A", "B", "C", "none"};
    int f = 1, g;
    putc('{', out);
    j_u64(out, &f, "calls", st->calls);
    j_u64(out, &f, "with_identity", st->with_identity);
    j_u64(out, &f, "multiple_identity", st->multiple_identity);
    json_key(out, &f, "attest"), putc('{', out), g = 1;
    for (int i = 0; i < 4; i++) j_u64(out, &g, at[i], st->attest[i]);
    putc('}', out);
    json_key(out, &f, "signature"), putc('{', out), g = 1;
    for (int i = 0; i < STIR_SIG__COUNT; i++)
        if (st->signature[i]) j_u64(out, &g, stir_sig_name(i), st->signature[i]);
    putc('}', out);
    json_key(out, &f, "findings"), putc('{', out), g = 1;
    for (int i = 0; i < STIR_F__COUNT; i++)
        if (st->findings[i]) j_u64(out, &g, stir_finding_name(i), st->findings[i]);
    putc('}', out);
    json_key(out, &f, "implied"), putc('{', out), g = 1;
    for (int i = 0; i < 5; i++)
        if (st->implied[i]) j_u64(out, &g, implied[i], st->implied[i]);
    putc('}', out);
    j_u64(out, &f, "network_blocked", st->network_blocked);
    j_u64(out, &f, "jcard", st->jcard);
    j_u64(out, &f, "jcard_valid", st->jcard_valid);
    j_u64(out, &f, "stir_reason", st->stir_reason);
    json_key(out, &f, "verstat"), putc('{', out), g = 1;
    for (int i = 0; i < 4; i++) j_u64(out, &g, vs[i], st->verstat[i]);
    putc('}', out);
    putc('}', out);
}
