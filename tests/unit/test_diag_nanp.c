/* test_diag_nanp.c -- caller-ID validity (reference §4): each NANP rule with a number it
 * rejects and a valid near-miss one digit away, the E.164 length for other country codes,
 * anonymous vs alphanumeric, and neighbor spoofing. */
#include "diag/diag.h"
#include "harness.h"

static diag_tn_check chk(const char *e164, const char *raw, const char *callee) {
    diag_tn_check t;
    diag_tn_check_caller(e164, raw, callee, &t);
    return t;
}

/* Invalid with this reason. */
#define BAD(num, why)                                                                     \
    do {                                                                                  \
        diag_tn_check t_ = chk(num, num, NULL);                                           \
        CHECK_MSG(t_.invalid == 1, "%s should be invalid (%s)", num, why);               \
        CHECK_STR(t_.reason, why);                                                        \
        CHECK_INT(t_.tn_class, DIAG_TN_INVALID);                                          \
    } while (0)
/* Valid, of this class. */
#define OK(num, cls)                                                                      \
    do {                                                                                  \
        diag_tn_check t_ = chk(num, num, NULL);                                           \
        CHECK_MSG(t_.invalid == 0, "%s should be valid, got \"%s\"", num, t_.reason);    \
        CHECK_INT(t_.tn_class, cls);                                                      \
    } while (0)

static void test_nanp_npa(void) {
    BAD("10125551234", "NPA starts with 0/1");
    BAD("11125551234", "NPA starts with 0/1");
    OK("12025551234", DIAG_TN_GEOGRAPHIC);     /* 202: first digit 2 is fine */
    BAD("14115551234", "N11 service code as NPA");
    OK("14125551234", DIAG_TN_GEOGRAPHIC);     /* 412 Pittsburgh: not N11 */
    BAD("16995551234", "N9X NPA reserved for expansion");
    OK("16895551234", DIAG_TN_GEOGRAPHIC);     /* 689 Orlando */
    BAD("13755551234", "37X/96X NPA reserved");
    BAD("19645551234", "37X/96X NPA reserved");
    OK("13855551234", DIAG_TN_GEOGRAPHIC);     /* 385 Utah: near 37X */
    BAD("13335551234", "ERC NPA (easily recognisable code) is not geographic");
    OK("13345551234", DIAG_TN_GEOGRAPHIC);     /* 334 Alabama */
    BAD("12005551234", "ERC NPA (easily recognisable code) is not geographic");
    OK("12015551234", DIAG_TN_GEOGRAPHIC);     /* 201 New Jersey */
}

static void test_nanp_special_npa(void) {
    static const char *const tf[] = {"18002345678", "18332345678", "18442345678", "18552345678",
                                     "18662345678", "18772345678", "18882345678"};
    for (size_t i = 0; i < sizeof tf / sizeof *tf; i++) OK(tf[i], DIAG_TN_TOLL_FREE);
    BAD("18222345678", "reserved toll-free NPA");
    BAD("18802345678", "reserved toll-free NPA");
    BAD("18872345678", "reserved toll-free NPA");
    BAD("18892345678", "reserved toll-free NPA");
    OK("19002345678", DIAG_TN_PREMIUM);
    OK("15002345678", DIAG_TN_NON_GEOGRAPHIC);
    OK("15332345678", DIAG_TN_NON_GEOGRAPHIC);
    OK("16002345678", DIAG_TN_NON_GEOGRAPHIC);
    OK("17002345678", DIAG_TN_NON_GEOGRAPHIC);
    OK("18082345678", DIAG_TN_GEOGRAPHIC);     /* 808 Hawaii: 8XX but not toll-free */
}

static void test_nanp_nxx(void) {
    BAD("12120551234", "NXX starts with 0/1");
    BAD("12121551234", "NXX starts with 0/1");
    OK("12122551234", DIAG_TN_GEOGRAPHIC);
    BAD("12124111234", "N11 service code as NXX");
    OK("12124121234", DIAG_TN_GEOGRAPHIC);
    BAD("12125550100", "fictitious 555-01XX");
    BAD("12125550199", "fictitious 555-01XX");
    OK("12125550200", DIAG_TN_GEOGRAPHIC);     /* 555-0200: outside the fictitious block */
    OK("12125550099", DIAG_TN_GEOGRAPHIC);
    BAD("12125551212", "directory assistance 555-1212");
    OK("12125551213", DIAG_TN_GEOGRAPHIC);
    OK("12129761234", DIAG_TN_SPECIAL_NXX);    /* classed, not invalid (reference ⚠) */
    OK("18009761234", DIAG_TN_TOLL_FREE);      /* special NXX only matters for geographic */
}

static void test_lengths(void) {
    BAD("1212555123", "NANP number without 10 digits after the 1");
    BAD("121255512345", "NANP number without 10 digits after the 1");
    OK("442079460000", DIAG_TN_GEOGRAPHIC);    /* UK, 12 digits */
    OK("33123456", DIAG_TN_GEOGRAPHIC);        /* 8 digits: the floor */
    BAD("3312345", "fewer than 8 digits for an international number");
    BAD("0123456789", "no country code starts with 0");
    /* sip_e164 leaves "" for more than 15 digits: the raw form tells why. */
    diag_tn_check t = chk("", "+1212555012345678", NULL);
    CHECK_INT(t.invalid, 1);
    CHECK_STR(t.reason, "more than 15 digits (E.164)");
}

static void test_not_numbers(void) {
    diag_tn_check t = chk("", "anonymous", NULL);
    CHECK_INT(t.tn_class, DIAG_TN_ANONYMOUS);
    CHECK_INT(t.invalid, 0);
    t = chk("", "Restricted", NULL);
    CHECK_INT(t.tn_class, DIAG_TN_ANONYMOUS);
    t = chk("", "", NULL);
    CHECK_INT(t.tn_class, DIAG_TN_ANONYMOUS);
    t = chk("", "alice", NULL);
    CHECK_INT(t.tn_class, DIAG_TN_NOT_NUMBER);
    CHECK_INT(t.invalid, 0); /* a SIP user name, common in captures */
    CHECK_STR(t.reason, "caller ID is not a number");
    CHECK_STR(diag_tn_class_name(DIAG_TN_TOLL_FREE), "toll_free");
    CHECK_STR(diag_tn_class_name(99), "invalid");
}

static void test_neighbor(void) {
    diag_tn_check t = chk("12125551234", "", "12125559876");
    CHECK_INT(t.neighbor, 1);
    CHECK_INT(t.invalid, 0);
    t = chk("12125561234", "", "12125559876"); /* same NPA, other NXX: near miss */
    CHECK_INT(t.neighbor, 0);
    t = chk("12125551234", "", "");
    CHECK_INT(t.neighbor, 0);
    t = chk("442079460000", "", "442079461111"); /* neighbor spoofing is a NANP notion here */
    CHECK_INT(t.neighbor, 0);
    /* diag_tn_neighbor alone (the aggregates check validity once per pair) agrees */
    static const char *const tns[] = {"12125551234", "12125559876", "12125561234", "", "1212555123",
                                      "121255512345", "1212555x234", "02125551234", "442079460000",
                                      "11115551234", "1212555", "12125550000"};
    size_t n = sizeof tns / sizeof *tns, differ = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            diag_tn_check c;
            diag_tn_check_caller(tns[i], "", tns[j], &c);
            differ += c.neighbor != diag_tn_neighbor(tns[i], tns[j]);
        }
    CHECK_INT(differ, 0);
    CHECK_INT(diag_tn_neighbor("12125551234", "12125551111"), 1);
}

int main(void) {
    test_nanp_npa();
    test_nanp_special_npa();
    test_nanp_nxx();
    test_lengths();
    test_not_numbers();
    test_neighbor();
    TH_END();
}
