/* SPDX-License-Identifier: BSD-3-Clause */
/* The signed revocation feed: the revocations pam_jwt keeps (user and all
 * cut-offs, jti entries), published by pam_jwt-tool publish as one signed
 * JWS that any static HTTPS server can carry, fetched and applied by every
 * host beside its own revocation file. */
#ifndef PJ_FEED_H
#define PJ_FEED_H

/* The applied copy holds 1 day while the server is unreachable. */
#define PJ_DEFAULT_REVOCATION_FEED_MAX_STALE 86400

#endif
