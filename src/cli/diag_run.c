/* diag_run.c -- the diagnosis's two phases inside `sipdx analyze` (diag_run.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag_run.h"

/* The facts go to the file through one buffer, in large writes (no stdio call per call);
 * phase 2 reads them back through the same buffer. */
#define SPILL_BUF (64 * 1024)
#define RECORDS_BUF (256 * 1024)

/* A call between its record (diag_run_call) and its signals (diag_run_result). */
typedef struct pending {
    diag_facts f;
    diag_hint hint;    /* diag_prefetch_index's, for diag_prefetch and diag_learn_hinted */
} pending;

struct diag_run {
    diag *d;
    diag_spill *codec; /* the facts' encoding (src/diag/spill.c): same state order both ways */
    int facts;         /* spilled facts: [varint length][encoded fact] per call */
    unsigned char *buf;
    size_t blen, bpos; /* bytes in buf; phase 2: next byte to decode */
    int eof;
    FILE *records;     /* NDJSON records written by the signal stage, or NULL */
    char *rbuf;        /* its stdio buffer (glibc ignores a size without a buffer) */
    uint64_t seq, spilled, spill_errors;
    /* facts whose record half is known and whose signal half is pending, in call order
     * (the signal stage holds at most its ring of calls); the first npend (0..2) at qhead
     * already have their signals: a call is learnt and spilled when the second call after
     * it gets its signals (or at the end), so that diag_prefetch and then
     * diag_prefetch_bucket had the work of a call each to load its pair (same order) */
    pending *q;
    size_t qhead, qlen, qcap;
    size_t npend;
    int oom;
    diag_run_verdict_fn on_verdict; /* --report's example picker, or NULL */
    void *on_verdict_ud;
};

/* ---- phase 1 ---- */

/* An anonymous read/write file in $TMPDIR (default /tmp), removed from the directory at once
 * so nothing is left behind whatever happens to the run; its descriptor, or -1. glibc's
 * tmpfile() ignores TMPDIR, and the spill grows with the calls (~40 bytes of facts each,
 * a few KB of record with --calls): users must be able to put it on a disk rather than a
 * RAM-backed /tmp. */
static int spill_fd(char *path, size_t n) {
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/sipdx-spill-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd >= 0) unlink(path);
    return fd;
}

static FILE *spill_file(char *path, size_t n) {
    int fd = spill_fd(path, n);
    FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
    if (!f && fd >= 0) close(fd);
    return f;
}

diag_run *diag_run_new(const diag_config *cfg, int keep_records, char *err, size_t errlen) {
    diag_run *r = calloc(1, sizeof *r);
    if (r) r->facts = -1;
    if (!r || !(r->d = diag_new(cfg)) || !(r->codec = diag_spill_new()) ||
        !(r->buf = malloc(SPILL_BUF))) {
        snprintf(err, errlen, "out of memory");
        diag_run_free(r);
        return NULL;
    }
    char path[4096];
    r->facts = spill_fd(path, sizeof path);
    if (r->facts >= 0 && keep_records) r->records = spill_file(path, sizeof path);
    /* a large buffer: the records (KBs each) are written and read sequentially, one
     * syscall per 256 KiB instead of per 4 KiB */
    if (r->records && (r->rbuf = malloc(RECORDS_BUF))) setvbuf(r->records, r->rbuf, _IOFBF, RECORDS_BUF);
    if (r->facts < 0 || (keep_records && !r->records)) {
        snprintf(err, errlen, "cannot create a temporary file %s for the diagnosis: %s "
                 "(set TMPDIR to a writable directory)", path, strerror(errno));
        diag_run_free(r);
        return NULL;
    }
    return r;
}

FILE *diag_run_records(diag_run *r) { return r->records; }
const diag *diag_run_diag(const diag_run *r) { return r->d; }

void diag_run_on_verdict(diag_run *r, diag_run_verdict_fn fn, void *ud) {
    r->on_verdict = fn;
    r->on_verdict_ud = ud;
}

/* Nobody reads the evidence: no records (--calls) and no example picker (--report). */
static int quiet_run(const diag_run *r) { return !r->records && !r->on_verdict; }

void diag_run_call(diag_run *r, const call_record *rec) {
    if (r->qlen == r->qcap) { /* grows to the signal stage's ring once, then stays */
        /* starts small: with one verification job at most 3 calls are pending, and a few
         * hot entries beat a 64-entry ring (43 KB) that the per-call work evicts */
        size_t nc = r->qcap ? r->qcap * 2 : 4;
        pending *nq = malloc(nc * sizeof *nq);
        if (!nq) {
            r->oom = 1;
            return;
        }
        for (size_t i = 0; i < r->qlen; i++) nq[i] = r->q[(r->qhead + i) % r->qcap];
        free(r->q);
        r->q = nq, r->qcap = nc, r->qhead = 0;
    }
    pending *p = &r->q[(r->qhead + r->qlen) % r->qcap];
    diag_facts_from_opt(rec, NULL, r->seq++, quiet_run(r), &p->f);
    /* the signal stage's work on the call (before diag_run_result) hides the cache miss */
    p->hint = diag_prefetch_index(r->d, &p->f);
    r->qlen++;
}

/* Writes all of buf[0..n) (a short write or EINTR goes on); 0, or -1. */
static int write_all(int fd, const unsigned char *buf, size_t n) {
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        buf += w, n -= (size_t)w;
    }
    return 0;
}

static void spill_flush(diag_run *r) {
    if (r->blen && write_all(r->facts, r->buf, r->blen) != 0) r->spill_errors++;
    r->blen = 0;
}

/* Appends one fact: its length as a varint (< 2^14: DIAG_SPILL_MAX), then its encoding. */
static void spill_fact(diag_run *r, const diag_facts *f) {
    if (r->blen + DIAG_SPILL_MAX + 2 > SPILL_BUF) spill_flush(r);
    unsigned char *p = r->buf + r->blen;
    size_t n = diag_spill_put(r->codec, f, p + 1);
    if (n < 0x80) {
        p[0] = (unsigned char)n;
        r->blen += 1 + n;
    } else { /* rare: the length takes a second byte */
        memmove(p + 2, p + 1, n);
        p[0] = (unsigned char)(n | 0x80), p[1] = (unsigned char)(n >> 7);
        r->blen += 2 + n;
    }
    r->spilled++;
}

/* Phase 1 for one call, in call order: the aggregates learn it, then it is spilled. */
static void learn_spill(diag_run *r, diag_facts *f, diag_hint h) {
    diag_learn_hinted(r->d, f, h);
    /* Nobody reads this call's evidence (no --calls, no --report) and its verdict needs no
     * other call (an answered call: R01 whatever the others did): it is tallied now, and
     * the spill's round trip (~1.4 k instructions a call, most calls) is saved. diag_tally
     * keeps the earliest call of each cause as its example, so tallying out of call order
     * changes nothing. */
    if (!r->records && !r->on_verdict && f->car1 && f->pair1 && diag_context_free(f)) {
        diag_verdict v;
        diag_decide_ctx_opt(f, NULL, 1, &v);
        diag_tally(r->d, f, &v);
        return;
    }
    if (!r->records && !r->on_verdict) diag_facts_quiet(f); /* what the rules and tallies read */
    spill_fact(r, f);
}

/* Learns and spills the call at the queue's head (one of the npend), and drops it. */
static void learn_pending(diag_run *r) {
    pending *h = &r->q[r->qhead];
    learn_spill(r, &h->f, h->hint);
    r->qhead = (r->qhead + 1) % r->qcap;
    r->qlen--;
    r->npend--;
}

void diag_run_result(void *ud, const sig_result *res) {
    diag_run *r = ud;
    /* a call the queue could not hold (out of memory): already counted */
    if (r->qlen == r->npend) return;
    pending *p = &r->q[(r->qhead + r->npend) % r->qcap];
    diag_facts_add_signals_opt(res, quiet_run(r), &p->f);
    diag_prefetch(r->d, p->hint);
    if (r->npend) diag_prefetch_bucket(r->d, r->q[(r->qhead + r->npend - 1) % r->qcap].hint);
    if (r->npend == 2) learn_pending(r); /* p stays where it is */
    r->npend++;
}

/* ---- phase 2 ---- */

/* Keeps at least one whole fact in the buffer while the file has one; 0, or -1. */
static int spill_fill(diag_run *r) {
    if (r->eof || r->blen - r->bpos >= DIAG_SPILL_MAX + 2) return 0;
    memmove(r->buf, r->buf + r->bpos, r->blen - r->bpos);
    r->blen -= r->bpos, r->bpos = 0;
    while (r->blen < SPILL_BUF) {
        ssize_t got = read(r->facts, r->buf + r->blen, SPILL_BUF - r->blen);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return -1;
        if (got == 0) {
            r->eof = 1;
            break;
        }
        r->blen += (size_t)got;
    }
    return 0;
}

/* The next fact: 1, 0 at the end, -1 when the file is damaged. */
static int read_fact(diag_run *r, diag_facts *f) {
    if (spill_fill(r) != 0) return -1;
    if (r->bpos == r->blen) return 0;
    const unsigned char *p = r->buf + r->bpos, *end = r->buf + r->blen;
    size_t n = p[0] & 0x7f, hdr = 1;
    if (p[0] & 0x80) {
        if (p + 1 >= end || p[1] & 0x80) return -1;
        n |= (size_t)p[1] << 7, hdr = 2;
    }
    if (n > DIAG_SPILL_MAX || n > (size_t)(end - p) - hdr) return -1;
    r->bpos += hdr + n;
    return diag_spill_get(r->codec, p + hdr, n, f) == 0 ? 1 : -1;
}

/* Copies one record line to out with ,"verdict":{...} before its final '}'. */
static void write_record(const char *line, size_t n, const diag_verdict *v, FILE *out) {
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    if (!n || line[n - 1] != '}') { /* not a record: leave it as it was */
        fwrite(line, 1, n, out);
        fputc('\n', out);
        return;
    }
    fwrite(line, 1, n - 1, out);
    int first = 0;
    diag_verdict_json(v, out, &first);
    fputs("}\n", out);
}

int diag_run_finish(diag_run *r, FILE *calls_out, char *err, size_t errlen) {
    while (r->npend) learn_pending(r);
    diag_finalize(r->d);
    spill_flush(r);
    diag_spill_rewind(r->codec);
    r->blen = r->bpos = 0;
    if (lseek(r->facts, 0, SEEK_SET) != 0 ||
        (r->records && (fflush(r->records) != 0 || fseek(r->records, 0, SEEK_SET) != 0))) {
        snprintf(err, errlen, "diagnosis: cannot read back the temporary files");
        return -1;
    }
    char *line = NULL;
    size_t linecap = 0;
    ssize_t got;
    /* one fact read ahead: its pair is being loaded while the current one is decided
     * (with thousands of pairs, each call's pair is a cache miss) */
    diag_facts fs[2];
    diag_verdict v;
    int rc, out_of_step = 0, cur = 0;
    rc = read_fact(r, &fs[0]);
    while (rc == 1) {
        diag_facts *f = &fs[cur];
        cur ^= 1;
        rc = read_fact(r, &fs[cur]); /* the current fact is decided even when this fails */
        if (rc == 1) diag_prefetch_known(r->d, &fs[cur]);
        /* only records and --report's examples show the evidence */
        diag_decide_opt(r->d, f, !calls_out && !r->on_verdict, &v);
        diag_tally(r->d, f, &v);
        if (!r->records || (!calls_out && !r->on_verdict)) {
            if (r->on_verdict) r->on_verdict(r->on_verdict_ud, f, NULL, 0, &v);
            continue;
        }
        if ((got = getline(&line, &linecap, r->records)) <= 0) {
            out_of_step = 1;
            continue;
        }
        if (r->on_verdict) r->on_verdict(r->on_verdict_ud, f, line, (size_t)got, &v);
        if (calls_out) write_record(line, (size_t)got, &v, calls_out);
    }
    while (r->records && (calls_out || r->on_verdict) &&
           (got = getline(&line, &linecap, r->records)) > 0) {
        if (calls_out) fwrite(line, 1, (size_t)got, calls_out); /* without facts: as they were */
        out_of_step = 1;
    }
    free(line);
    if (rc < 0 || r->spill_errors || r->oom) {
        snprintf(err, errlen, "diagnosis: %s", rc < 0 ? "temporary file corrupted" :
                 r->oom ? "out of memory for pending calls" : "temporary file write failed (disk full?)");
        return -1;
    }
    if (out_of_step) {
        snprintf(err, errlen, "diagnosis: records and verdicts out of step; records written without verdicts");
        return -1;
    }
    return 0;
}

void diag_run_free(diag_run *r) {
    if (!r) return;
    diag_free(r->d);
    diag_spill_free(r->codec);
    free(r->buf);
    if (r->facts >= 0) close(r->facts);
    if (r->records) fclose(r->records);
    free(r->rbuf); /* after fclose: stdio uses it until then */
    free(r->q);
    free(r);
}
