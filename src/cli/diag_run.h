/* diag_run.h -- the diagnosis inside `sipdx analyze` (src/diag, issue 5): the two phases
 * around the capture.
 *
 * Phase 1, as calls end: diag_run_call() takes the record's half of the call's facts (the
 * record dies when the emit callback returns), diag_run_result() -- the signal stage's
 * on_result hook, called in call order once the signatures are checked -- adds the signal
 * half, lets the aggregates learn, and spills the facts to a temporary file. When --calls
 * is asked for, the signal stage writes the records to another temporary file
 * (diag_run_records()).
 * Phase 2, diag_run_finish(): the aggregates are finalised, the facts read back in order,
 * each decided and tallied, and each record copied to the real --calls output with its
 * "verdict" key.
 *
 * Memory: the aggregates (bounded, src/diag/agg_int.h), the facts of the calls the
 * signal stage still holds, a 64 KiB spill buffer and the codec's dictionary (< 300 KB).
 * Disk: the spilled facts (648 bytes per call in memory, ~70 encoded: src/diag/spill.c; an
 * answered call is tallied in phase 1 and not spilled when nobody reads its evidence) and, with
 * --calls, the records; both are unlinked as soon as they are created. */
#ifndef SX_CLI_DIAG_RUN_H
#define SX_CLI_DIAG_RUN_H

#include <stdio.h>

#include "call/call.h"
#include "diag/diag.h"
#include "signal/signal.h"

typedef struct diag_run diag_run;

/* keep_records: --calls was given. NULL with a reason in err (no temporary file, memory). */
diag_run *diag_run_new(const diag_config *cfg, int keep_records, char *err, size_t errlen);
/* Where the signal stage writes the records (a temporary file), or NULL. */
FILE *diag_run_records(diag_run *r);
/* From the call tracker's emit callback, before sig_stage_call(). */
void diag_run_call(diag_run *r, const call_record *rec);
/* sig_stage_opts.on_result, with ud = the diag_run. */
void diag_run_result(void *ud, const sig_result *res);
/* After sig_stage_flush(): phase 2; records with verdicts to calls_out (may be NULL).
 * 0, or -1 with a reason in err (temporary file unreadable, records and facts out of step). */
int diag_run_finish(diag_run *r, FILE *calls_out, char *err, size_t errlen);
const diag *diag_run_diag(const diag_run *r);
/* Optional, for --report: called in phase 2 for every call, in order, with its facts, its
 * verdict and, when keep_records was set, its record line as the signal stage wrote it
 * (without the verdict; record NULL, n 0 otherwise). Set before diag_run_finish(). */
typedef void (*diag_run_verdict_fn)(void *ud, const diag_facts *f, const char *record,
                                    size_t n, const diag_verdict *v);
void diag_run_on_verdict(diag_run *r, diag_run_verdict_fn fn, void *ud);
void diag_run_free(diag_run *r);

/* The facts are encoded on disk with diag_spill_put / diag_spill_get (diag.h, src/diag/spill.c). */

#endif
