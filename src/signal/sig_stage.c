/* sig_stage.c -- the signal stage of `sipdx analyze`: each finished call analysed, its record
 * written with the "stir" and "signals" keys, counters for the summary.
 *
 * `-j N` means N threads that verify, the main thread included. With one job there is no
 * thread at all: everything happens inside the emit callback. With N jobs the callback only
 * decodes and checks (sig_analyze_deferred, cheap), renders the record's own keys to memory
 * (the record dies when the callback returns) and puts the call in a ring of R = 64 * N
 * slots; each pending signature (an Identity, or the 608 jCard) goes to the lane chosen by
 * its hash. A lane is a verifier plus the FIFO of its signatures; whoever holds the lane (one
 * of the N - 1 workers, or the main thread) verifies its items in order, so a repeated
 * Identity meets the same cache in the same order whichever thread runs it: results do not
 * depend on scheduling. The main thread writes slots from the ring's head as soon as they
 * are complete, so records leave in call order; when the ring is full it verifies items
 * itself instead of sleeping, and blocks only when every lane with work is held by a worker.
 * Hand-over is lock-free (single producer; the lane's holder consumes); a thread sleeps on a
 * condition variable only after spinning, and is signalled only when someone sleeps. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "sig_int.h"

#define RING_PER_JOB 64
#define JCARD_ITEM (-1)
#define SPINS 100      /* pauses (~50 ns each here) before sleeping: about a futex round trip */
#define WAKE_BATCH 32  /* queued items that justify waking a sleeping worker */

typedef struct slot {
    sig_result res;
    char *json;          /* the record's own keys, without the closing "}\n"; NULL if none */
    size_t len;
    FILE *out;
    atomic_int pending;  /* signatures still to verify; the slot is the lanes' until 0 */
    uint64_t seq;        /* the call's number: which slot the main thread waits for */
} slot;

typedef struct item { uint32_t slot; int32_t k; } item; /* k: identity index or JCARD_ITEM */

/* One verifier and the FIFO of the signatures whose hash falls to it. Never full: the ring
 * bounds the items in flight. tail is written by the main thread only; head, the verifier
 * and the scratch belong to whoever holds busy. The counters sit on their own cache lines so
 * that the producer and the holder do not bounce one line per item. */
typedef struct lane {
    _Alignas(64) atomic_uint_fast64_t tail;
    _Alignas(64) atomic_uint_fast64_t head;
    atomic_bool busy;
    _Alignas(64) item *it;
    uint64_t cap;
    stir_verifier *ver;
    stir_passport scratch;
} lane;

struct sig_stage {
    sig_stage_opts o;
    int jobs;
    stir_verifier *inline_ver;/* jobs == 1 */
    sig_result *inline_res;
    sig_stats st;
    /* jobs > 1 */
    slot *ring;
    uint64_t rcap, head, tail;/* head: next to write; tail: next to fill */
    lane *lanes;              /* jobs lanes */
    pthread_t *th;            /* jobs - 1 workers */
    int threads;
    pthread_mutex_t mu;       /* guards the two sleeps below and quit */
    pthread_cond_t work;      /* workers sleep here when no free lane has items */
    pthread_cond_t done;      /* the main thread sleeps here until slot number `waiting` is done */
    atomic_int idle;          /* workers asleep (or about to be) on work */
    atomic_uint_fast64_t waiting;
    int quit;
};

/* ---- counters ---- */

static void count(sig_stats *st, const sig_result *r) {
    st->calls++;
    uint64_t all = STIR_F__COUNT == 64 ? ~(uint64_t)0 : ((uint64_t)1 << STIR_F__COUNT) - 1;
    for (uint64_t b = r->findings.bits & all; b; b &= b - 1) /* the set bits only */
        st->findings[__builtin_ctzll(b)]++;
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

/* ---- lanes ---- */

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t backlog(lane *l) {
    return atomic_load(&l->tail) - atomic_load(&l->head);
}

/* The free lane with the most items, held on return; -1 if none. Draining the longest lane
 * first keeps the lanes even, so one thread is rarely left with nothing it may take. */
static int take_lane(struct sig_stage *s) {
    for (int tries = 0; tries < s->jobs; tries++) {
        int best = -1;
        uint64_t most = 0;
        for (int l = 0; l < s->jobs; l++) {
            uint64_t n = backlog(&s->lanes[l]);
            if (n > most && !atomic_load_explicit(&s->lanes[l].busy, memory_order_relaxed))
                most = n, best = l;
        }
        if (best < 0) return -1;
        if (!atomic_exchange_explicit(&s->lanes[best].busy, true, memory_order_acquire)) {
            if (backlog(&s->lanes[best])) return best;
            atomic_store(&s->lanes[best].busy, false);
        }
    }
    return -1;
}

static int work_for_sleeper(struct sig_stage *s) {
    for (int l = 0; l < s->jobs; l++)
        if (backlog(&s->lanes[l]) && !atomic_load(&s->lanes[l].busy)) return 1;
    return 0;
}

/* Wakes a sleeping worker once WAKE_BATCH items wait, so cheap items (cache hits, no key
 * source) cost one wake-up per batch, not one per item. Nothing is stranded below the
 * threshold: the main thread verifies queued items itself when the ring is full and at the
 * end. The caller has just published work (seq_cst store of a tail, or of busy = false); a
 * worker going to sleep increments idle and then looks for work (both seq_cst), so either it
 * sees the work or this sees it idle. */
static void wake_worker(struct sig_stage *s) {
    if (!atomic_load(&s->idle)) return;
    uint64_t queued = 0;
    for (int l = 0; l < s->jobs; l++) queued += backlog(&s->lanes[l]);
    if (queued < WAKE_BATCH) return;
    pthread_mutex_lock(&s->mu);
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
}

/* Verifies the oldest item of the held lane l, then lets the lane go. The main thread, which
 * goes back to its own work, wakes a worker if the lane still has items (a worker looks for
 * more itself). The slot's last signature wakes the main thread if it waits for that slot;
 * seq is read before the decrement: once pending is 0 the main thread may reuse the slot. */
static void run_one(struct sig_stage *s, int l, int main_thread) {
    lane *ln = &s->lanes[l];
    uint64_t h = atomic_load_explicit(&ln->head, memory_order_relaxed);
    item it = ln->it[h % ln->cap];
    slot *sl = &s->ring[it.slot];
    sig_verify_pending(&sl->res, it.k, ln->ver, &ln->scratch);
    atomic_store(&ln->head, h + 1);
    atomic_store(&ln->busy, false);
    if (main_thread && backlog(ln)) wake_worker(s);
    uint64_t seq = sl->seq;
    if (atomic_fetch_sub(&sl->pending, 1) == 1 && atomic_load(&s->waiting) == seq) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_signal(&s->done);
        pthread_mutex_unlock(&s->mu);
    }
}

static void *worker(void *p) {
    struct sig_stage *s = p;
    for (;;) {
        int l = -1;
        for (int i = 0; i < SPINS && (l = take_lane(s)) < 0; i++) cpu_relax();
        if (l >= 0) {
            run_one(s, l, 0);
            continue;
        }
        pthread_mutex_lock(&s->mu);
        atomic_fetch_add(&s->idle, 1);
        while (!s->quit && !work_for_sleeper(s)) pthread_cond_wait(&s->work, &s->mu);
        atomic_fetch_sub(&s->idle, 1);
        int quit = s->quit && !work_for_sleeper(s);
        pthread_mutex_unlock(&s->mu);
        if (quit) return NULL;
    }
}

/* Until call number seq has all its signatures: spin a little, then sleep. The worker
 * completing it reads `waiting` after its decrement, and this sets it before checking, so
 * the wake cannot be lost. */
static void wait_slot(struct sig_stage *s, uint64_t seq) {
    slot *sl = &s->ring[seq % s->rcap];
    for (int i = 0; i < SPINS; i++) {
        if (atomic_load(&sl->pending) == 0) return;
        cpu_relax();
    }
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->waiting, seq);
    while (atomic_load(&sl->pending) > 0) pthread_cond_wait(&s->done, &s->mu);
    atomic_store(&s->waiting, UINT64_MAX);
    pthread_mutex_unlock(&s->mu);
}

/* Writes and counts the head slot if its signatures are verified. */
static int write_head(struct sig_stage *s) {
    slot *sl = &s->ring[s->head % s->rcap];
    if (atomic_load(&sl->pending) > 0) return 0;
    sig_finish(&sl->res);
    count(&s->st, &sl->res);
    if (sl->json) write_res(&sl->res, sl->json, sl->len, sl->out);
    if (s->o.on_result) s->o.on_result(s->o.ud, &sl->res); /* the diagnosis (signal.h) */
    free(sl->json);
    sl->json = NULL;
    s->head++;
    return 1;
}

/* Writes slots from the head until `keep` are left: whatever is done, and while that is not
 * enough the main thread verifies an item itself, sleeping only when every lane with items
 * is held by a worker. */
static void drain(struct sig_stage *s, uint64_t keep) {
    for (;;) {
        while (s->head < s->tail && write_head(s)) {}
        if (s->tail - s->head <= keep) return;
        int l = take_lane(s);
        if (l >= 0) run_one(s, l, 1);
        else wait_slot(s, s->head);
    }
}

/* Hands a freshly analysed slot's pending signatures to the lanes. */
static void dispatch(struct sig_stage *s, uint32_t idx) {
    slot *sl = &s->ring[idx];
    sig_result *res = &sl->res;
    int n = res->jcard.pending != 0;
    for (int k = 0; k < res->nidentity && k < SIG_MAX_IDENTITIES; k++) n += res->ids[k].pending != 0;
    if (!n) return;
    atomic_store(&sl->pending, n); /* before any lane can see an item of this slot */
    for (int k = -1; k < res->nidentity && k < SIG_MAX_IDENTITIES; k++) {
        if (k < 0 ? !res->jcard.pending : !res->ids[k].pending) continue;
        lane *ln = &s->lanes[(k < 0 ? idx : res->ids[k].hash) % (uint32_t)s->jobs];
        uint64_t t = atomic_load_explicit(&ln->tail, memory_order_relaxed);
        ln->it[t % ln->cap] = (item){idx, k};
        atomic_store(&ln->tail, t + 1);
    }
    wake_worker(s);
}

/* ---- the stage ---- */

static stir_verifier *new_verifier(const sig_stage_opts *o, char *err, size_t errlen) {
    if (!o->x5u_map && !o->cert_dir) return NULL; /* no key source: signatures "unverified" */
    stir_verifier_opts vo = {.x5u_map = o->x5u_map, .cert_dir = o->cert_dir,
                             .trust_anchors = o->trust};
    return stir_verifier_new(&vo, err, errlen);
}

static int new_lanes(struct sig_stage *s, char *err, size_t errlen) {
    s->rcap = (uint64_t)RING_PER_JOB * (uint64_t)s->jobs;
    s->ring = calloc(s->rcap, sizeof *s->ring);
    size_t lsize = ((size_t)s->jobs * sizeof *s->lanes + 63) / 64 * 64;
    s->lanes = aligned_alloc(64, lsize);
    s->th = calloc((size_t)s->jobs, sizeof *s->th);
    if (!s->ring || !s->lanes || !s->th) return snprintf(err, errlen, "out of memory"), -1;
    memset(s->lanes, 0, lsize);
    for (int l = 0; l < s->jobs; l++) {
        lane *ln = &s->lanes[l];
        atomic_init(&ln->tail, 0);
        atomic_init(&ln->head, 0);
        atomic_init(&ln->busy, false);
        ln->cap = s->rcap * (SIG_MAX_IDENTITIES + 1);
        if (!(ln->it = calloc(ln->cap, sizeof *ln->it)))
            return snprintf(err, errlen, "out of memory"), -1;
        ln->ver = new_verifier(&s->o, err, errlen);
        if (!ln->ver && err[0]) return -1;
    }
    return 0;
}

static int start_workers(struct sig_stage *s) {
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->done, NULL);
    atomic_init(&s->idle, 0);
    atomic_init(&s->waiting, UINT64_MAX);
    for (int w = 0; w + 1 < s->jobs; w++) {
        if (pthread_create(&s->th[w], NULL, worker, s) != 0) return -1;
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
    err[0] = '\0';
    if (s->jobs == 1) {
        s->inline_ver = new_verifier(o, err, errlen);
        s->inline_res = malloc(sizeof *s->inline_res);
        if ((!s->inline_ver && err[0]) || !s->inline_res) {
            if (!err[0]) snprintf(err, errlen, "out of memory");
            sig_stage_free(s);
            return NULL;
        }
        return s;
    }
    if (new_lanes(s, err, errlen) != 0) {
        sig_stage_free(s);
        return NULL;
    }
    if (start_workers(s) != 0) {
        snprintf(err, errlen, "cannot start threads for %d verification jobs", s->jobs);
        sig_stage_free(s);
        return NULL;
    }
    return s;
}

void sig_stage_call(sig_stage *s, const call_record *r, FILE *out) {
    if (s->jobs == 1) {
        sig_analyze(r, s->inline_ver, s->o.verify, s->inline_res);
        count(&s->st, s->inline_res);
        if (out) call_record_json_ex(r, out, sig_json_extra, s->inline_res);
        if (s->o.on_result) s->o.on_result(s->o.ud, s->inline_res); /* the diagnosis (signal.h) */
        return;
    }
    drain(s, s->rcap - 1); /* room for this call */
    uint32_t idx = (uint32_t)(s->tail % s->rcap);
    slot *sl = &s->ring[idx];
    sl->seq = s->tail;
    sig_analyze_deferred(r, &sl->res);
    sl->out = out;
    sl->json = NULL;
    if (out && render(r, sl) != 0) {
        /* Cannot hold it (out of memory): write it now, unverified, but after every earlier
         * call, since the diagnosis pairs records with results by position (diag_run.c). */
        drain(s, 0);
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
    if (s->jobs > 1) drain(s, 0);
}

void sig_stage_free(sig_stage *s) {
    if (!s) return;
    if (s->threads) {
        pthread_mutex_lock(&s->mu);
        s->quit = 1;
        pthread_cond_broadcast(&s->work);
        pthread_mutex_unlock(&s->mu);
        for (int w = 0; w < s->threads; w++) pthread_join(s->th[w], NULL);
    }
    for (uint64_t i = 0; s->ring && i < s->rcap; i++) free(s->ring[i].json);
    for (int l = 0; s->lanes && l < s->jobs; l++) {
        free(s->lanes[l].it);
        stir_verifier_free(s->lanes[l].ver);
    }
    stir_verifier_free(s->inline_ver);
    free(s->ring);
    free(s->lanes);
    free(s->th);
    free(s->inline_res);
    free(s);
}

const sig_stats *sig_stage_stats(const sig_stage *s) { return &s->st; }

static void add_vstats(stir_verifier_stats *out, const stir_verifier *v) {
    if (!v) return;
    stir_verifier_stats x;
    stir_verifier_get_stats(v, &x);
    out->verifications += x.verifications;
    out->cache_hits += x.cache_hits;
    out->certs_loaded += x.certs_loaded;
}

void sig_stage_vstats(const sig_stage *s, stir_verifier_stats *out) {
    memset(out, 0, sizeof *out);
    add_vstats(out, s->inline_ver);
    for (int l = 0; s->lanes && l < s->jobs; l++) add_vstats(out, s->lanes[l].ver);
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
