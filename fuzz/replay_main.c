/* replay_main.c -- runs a libFuzzer target over stored inputs without libFuzzer, so
 * `make check` replays every fuzz/corpus/<target>/ file under ASan+UBSan with gcc.
 * Usage: fuzz_x DIR-or-FILE...; prints "N passed, M failed" (a crash aborts the run). A path
 * that cannot be read is a failure, and so is replaying nothing at all: a renamed or missing
 * corpus directory must not pass as "0 passed". Exit status 1 on any failure. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* Exact-size heap copy: ASan catches any read past the input. */
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 1;
}

int main(int argc, char **argv) {
    int n = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "FAIL %s: cannot stat\n", argv[i]);
            failed++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            int ok = replay_file(argv[i]);
            n += ok, failed += !ok;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) fprintf(stderr, "FAIL %s: cannot open\n", argv[i]), failed++;
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
            int ok = replay_file(p);
            if (!ok) fprintf(stderr, "FAIL %s: cannot read\n", p);
            n += ok, failed += !ok;
        }
        if (d) closedir(d);
    }
    if (n == 0 && failed == 0) {
        fprintf(stderr, "FAIL no input replayed\n");
        failed = 1;
    }
    printf("%d passed, %d failed\n", n, failed);
    return failed ? 1 : 0;
}
