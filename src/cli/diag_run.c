/* diag_run.c -- the diagnosis's two phases inside `sipdx analyze` (diag_run.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag_run.h"

struct diag_run {
    diag *d;
    FILE *facts;       /* spilled facts: [u16 packed length][packed bytes] per call */
    FILE *records;     /* NDJSON records written by the signal stage, or NULL */
    uint64_t seq, spilled, spill_errors;
    /* facts whose record half is known and whose signal half is pending, in call order
     * (the signal stage holds at most its ring of calls) */
    diag_facts *q;
    size_t qhead, qlen, qcap;
    int oom;
    diag_run_verdict_fn on_verdict; /* --report's example picker, or NULL */
    void *on_verdict_ud;
};

/* ---- phase 1 ---- */

/* An anonymous read/write file in $TMPDIR (default /tmp), removed from the directory at once
 * so nothing is left behind whatever happens to the run. glibc's tmpfile() ignores TMPDIR,
 * and the spill grows with the calls (~300 bytes each): users must be able to put it on a
 * disk rather than a RAM-backed /tmp. */
static FILE *spill_file(char *path, size_t n) {
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/sipdx-spill-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    unlink(path);
    FILE *f = fdopen(fd, "w+");
    if (!f) close(fd);
    return f;
}

diag_run *diag_run_new(const diag_config *cfg, int keep_records, char *err, size_t errlen) {
    diag_run *r = calloc(1, sizeof *r);
    if (!r || !(r->d = diag_new(cfg))) {
        snprintf(err, errlen, "out of memory");
        diag_run_free(r);
        return NULL;
    }
    char path[4096];
    r->facts = spill_file(path, sizeof path);
    if (r->facts && keep_records) r->records = spill_file(path, sizeof path);
    /* large buffers: the spill is written and read sequentially, one syscall per MiB */
    if (r->facts) setvbuf(r->facts, NULL, _IOFBF, 1 << 20);
    if (r->records) setvbuf(r->records, NULL, _IOFBF, 1 << 20);
    if (!r->facts || (keep_records && !r->records)) {
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

void diag_run_call(diag_run *r, const call_record *rec) {
    if (r->qlen == r->qcap) { /* grows to the signal stage's ring once, then stays */
        size_t nc = r->qcap ? r->qcap * 2 : 64;
        diag_facts *nq = malloc(nc * sizeof *nq);
        if (!nq) {
            r->oom = 1;
            return;
        }
        for (size_t i = 0; i < r->qlen; i++) nq[i] = r->q[(r->qhead + i) % r->qcap];
        free(r->q);
        r->q = nq, r->qcap = nc, r->qhead = 0;
    }
    diag_facts_from(rec, NULL, r->seq++, &r->q[(r->qhead + r->qlen) % r->qcap]);
    r->qlen++;
}

void diag_run_result(void *ud, const sig_result *res) {
    diag_run *r = ud;
    if (!r->qlen) return; /* a call the queue could not hold (out of memory): already counted */
    diag_facts *f = &r->q[r->qhead];
    r->qhead = (r->qhead + 1) % r->qcap;
    r->qlen--;
    diag_facts_add_signals(res, f);
    diag_learn_keep(r->d, f);
    unsigned char buf[DIAG_PACK_MAX + 2];
    size_t n = diag_pack(f, sizeof *f, buf + 2);
    buf[0] = (unsigned char)(n & 0xff), buf[1] = (unsigned char)(n >> 8);
    if (fwrite(buf, 1, n + 2, r->facts) != n + 2) r->spill_errors++;
    else r->spilled++;
}

/* ---- phase 2 ---- */

static int read_fact(FILE *in, diag_facts *f) {
    unsigned char buf[DIAG_PACK_MAX + 2];
    if (fread(buf, 1, 2, in) != 2) return 0;
    size_t n = (size_t)buf[0] | (size_t)buf[1] << 8;
    if (n > DIAG_PACK_MAX || fread(buf, 1, n, in) != n) return -1;
    return diag_unpack(buf, n, f, sizeof *f) == 0 ? 1 : -1;
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
    diag_finalize(r->d);
    if (fflush(r->facts) != 0 || fseek(r->facts, 0, SEEK_SET) != 0 ||
        (r->records && (fflush(r->records) != 0 || fseek(r->records, 0, SEEK_SET) != 0))) {
        snprintf(err, errlen, "diagnosis: cannot read back the temporary files");
        return -1;
    }
    char *line = NULL;
    size_t linecap = 0;
    ssize_t got;
    diag_facts f;
    diag_verdict v;
    int rc, out_of_step = 0;
    while ((rc = read_fact(r->facts, &f)) == 1) {
        /* only records and --report's examples show the evidence */
        diag_decide_opt(r->d, &f, !calls_out && !r->on_verdict, &v);
        diag_tally(r->d, &f, &v);
        if (!r->records || (!calls_out && !r->on_verdict)) {
            if (r->on_verdict) r->on_verdict(r->on_verdict_ud, &f, NULL, 0, &v);
            continue;
        }
        if ((got = getline(&line, &linecap, r->records)) <= 0) {
            out_of_step = 1;
            continue;
        }
        if (r->on_verdict) r->on_verdict(r->on_verdict_ud, &f, line, (size_t)got, &v);
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
    if (r->facts) fclose(r->facts);
    if (r->records) fclose(r->records);
    free(r->q);
    free(r);
}
