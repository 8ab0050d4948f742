/* pki.h -- a throw-away STIR PKI made at test time with OpenSSL (keys are never committed):
 * self-signed CAs and leaf certificates with the TNAuthList extension that STIR verifiers
 * require (RFC 8226 §9). Shared by test_stir.c and test_signal.c. */
#ifndef SX_TEST_PKI_H
#define SX_TEST_PKI_H

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <time.h>

static void pki_add_ext(X509 *x, X509 *issuer, int nid, const char *val) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, val);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

/* TNAuthList ::= SEQUENCE OF TNEntry; TNEntry spc [0] EXPLICIT ServiceProviderCode (IA5)
 * (RFC 8226 §9): here SPC "1234". */
static void pki_add_tnauthlist(X509 *x) {
    static const uint8_t der[] = {0x30, 0x08, 0xa0, 0x06, 0x16, 0x04, '1', '2', '3', '4'};
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.26", 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(os, der, sizeof der);
    X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(oid);
}

/* A certificate for key, signed by signer (issuer NULL: self-issued), valid from
 * from_days to to_days around *now; a CA gets basicConstraints and keyUsage. */
static X509 *pki_cert(EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer, const char *cn,
                      long from_days, long to_days, int is_ca, int tnauth, time_t *now) {
    static long serial = 1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_time_adj_ex(X509_getm_notBefore(x), (int)from_days, 0, now);
    X509_time_adj_ex(X509_getm_notAfter(x), (int)to_days, 0, now);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    if (is_ca) {
        pki_add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
        pki_add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    if (tnauth) pki_add_tnauthlist(x);
    X509_sign(x, signer, EVP_sha256());
    return x;
}

static void pki_write_pem(const char *path, X509 *x) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    PEM_write_X509(f, x);
    fclose(f);
}

#endif
