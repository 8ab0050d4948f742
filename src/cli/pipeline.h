/* pipeline.h -- wires the stages one way: capture -> net -> transport -> SIP parse -> the
 * command's sink. Owns the tally and the stage objects; a command only supplies a sink.
 */
#ifndef SX_PIPELINE_H
#define SX_PIPELINE_H

#include "base/tally.h"
#include "sip/sip.h"
#include "transport/transport.h"

/* Called for every candidate SIP message. rc is sip_parse()'s result: > 0 parsed (m valid),
 * < 0 malformed (m partially filled; buf/len are the raw bytes). */
typedef void (*pipe_sink_fn)(void *ud, const sx_msgmeta *meta, const char *buf, size_t len,
                             int rc, const sip_msg *m);
/* Called as capture time advances (about once per second of capture time). */
typedef void (*pipe_tick_fn)(void *ud, sx_time now);

typedef struct pipe_opts {
    const char *const *paths; /* files, "-" for stdin */
    int npaths;
    const char *live_if;      /* live capture instead of files */
    const char *filter;       /* BPF filter for live capture */
    int progress;             /* progress bar on stderr: 0 never, 1 when it is a terminal,
                                 2 always (--progress) */
    uint64_t max_frames;      /* stop after this many frames (0 = all) */
    const sip_hint *hint;     /* given to every parse (sip_parse_hinted), or NULL */
} pipe_opts;

typedef struct pipe_result {
    sx_tally tally;
    int failed_sources;       /* truncated or corrupt inputs */
    int interrupted;          /* stopped early by SIGINT/SIGTERM; what was read is reported */
    double seconds;           /* wall time */
    sx_time first_ts, last_ts;
} pipe_result;

/* Runs the whole input through the pipeline. Returns 0, or SX_ENOTCAP/SX_EIO if an input
 * could not be opened at all (message in err). Partial failures are in res. */
int pipe_run(const pipe_opts *o, pipe_sink_fn sink, pipe_tick_fn tick, void *ud,
             pipe_result *res, char *err, size_t errsz);

#endif
