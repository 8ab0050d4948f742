/* ladder.h -- one call as a ladder diagram for people: hops as columns, time down the page,
 * each message's start line on its arrow, and under the final response the headers that
 * explain a failure (Reason, Warning, Retry-After, Call-Info, Server). */
#ifndef SX_LADDER_H
#define SX_LADDER_H

#include <stdio.h>

#include "../call/call.h"
#include "../base/carriers.h"

void ladder_print(const call_record *r, const carriers *names, int width, FILE *out);

#endif
