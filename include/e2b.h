/*
 * libe2b — the E2B sandbox client behind a stable C ABI.
 *
 * This header is the manual. It grows with the library: only what is implemented and tested is
 * declared here. Conventions (see docs in the repository and ../shared/docs/style.md):
 *   - names are e2b_<module>_<verb>; functions return int: 0 (E2B_OK) or a negative E2B_E* code;
 *   - the codes below are ABI: values never change, new codes are appended;
 *   - every code maps one to one onto an error class of the official SDKs (noted per code).
 */
#ifndef E2B_H
#define E2B_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define E2B_VERSION_MAJOR 0
#define E2B_VERSION_MINOR 1
#define E2B_VERSION_PATCH 0

/* ---- Error codes (since 0.1) -------------------------------------------------------------- */
#define E2B_OK                  0
#define E2B_ERROR              -1  /* generic failure                     (SDK: SandboxError) */
#define E2B_EINVAL             -2  /* invalid argument                    (InvalidArgumentError) */
#define E2B_EVERSION           -3  /* unknown options-struct version      (-) */
#define E2B_ENOTFOUND          -4  /* process, context or other resource  (NotFoundError) */
#define E2B_ETIMEOUT           -5  /* request, stream or sandbox timeout  (TimeoutError) */
#define E2B_EAUTH              -6  /* missing or rejected API key/token   (AuthenticationError) */
#define E2B_ERATELIMIT         -7  /* 429 / resource_exhausted            (RateLimitError) */
#define E2B_ENOSPACE           -8  /* disk full in the sandbox (507)      (NotEnoughSpaceError) */
#define E2B_ECANCELED          -9  /* cancelled by the caller             (-) */
#define E2B_EUSER             -10  /* a user callback asked to stop       (-) */
#define E2B_EMISUSE           -11  /* e.g. a blocking call from a callback (-) */
#define E2B_ESANDBOX_NOT_FOUND -12 /* the sandbox does not exist or is gone (SandboxNotFoundError) */
#define E2B_EFILE_NOT_FOUND   -13  /* path missing in the sandbox         (FileNotFoundError) */
#define E2B_ECOMMAND_EXIT     -14  /* command exited with a non-zero code (CommandExitError) */
#define E2B_ETEMPLATE         -15  /* template missing or incompatible    (TemplateError) */
#define E2B_ENETWORK          -16  /* no HTTP response: connect/reset/DNS  (-) */
#define E2B_EPROTOCOL         -17  /* malformed or unexpected response    (-) */
#define E2B_ENOMEM            -18  /* out of memory                       (-) */

#ifdef __cplusplus
}
#endif

#endif /* E2B_H */
