/* SPDX-License-Identifier: BSD-3-Clause */
/* The list files (revocations, allowlist, one-time uses): one owner of both
 * formats they come in, and of every write.
 *
 * A store is what pam_jwt-tool and the module write: a header, a sorted base
 * (fixed-size slots binary-searched with pread, names in a heap), then an
 * append-only journal of text records ("+jti ID EXP 1a2b3c4d", one change a
 * line, each with a check value).  One change appends one record (O(1)
 * bytes, one fdatasync) under a shared lock, so writers never wait for each
 * other; a compaction folds the journal into a new base, written beside the
 * file and renamed over it, holding appenders off only for the swap.
 * Readers take no lock, read with pread (a truncated file is never a SIGBUS),
 * and skip a record that is incomplete or fails its check (a writer that
 * died mid-write, or one still writing): no completed change is lost.
 * Lines appended by hand in the text format ("jti ID") are honoured like
 * records; any other hand edit of a store is refused.
 *
 * A text file (no store header) is the format administrators write: it is
 * read whole, strictly, when it is at most PJ_TEXT_SCAN_MAX bytes; a longer
 * one refuses every login with the fix (pam_jwt-tool compact).  The tool's
 * first change turns it into a store. */
#ifndef PJ_STORE_H
#define PJ_STORE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"
#include "revline.h"

/* A text list longer than this is not read at login (see above). */
#define PJ_TEXT_SCAN_MAX (256 * 1024)
/* A writer compacts once the journal is longer than this: it bounds what a
 * login scans. */
#define PJ_JOURNAL_COMPACT (128 * 1024)
/* A journal longer than this refuses logins (compaction keeps failing). */
#define PJ_JOURNAL_MAX (64ull << 20)
/* One-time records are kept this long past their `until`: a clock stepped
 * back must not make a used token usable again. */
#define PJ_USE_MARGIN 86400
/* Changes of more entries than this are written as a new base. */
#define PJ_APPEND_BATCH 256

/* ---- lookups (the module's side) ---- */

/* One key to look up; kind PJ_REV_ALL has no key.  present and time come
 * back: the state after every record, a user or all cut-off the latest one,
 * a jti's EXP the later one (-1, no EXP, outranks any). */
struct pj_keystate {
	enum pj_rev_kind kind;
	const char *key;
	int present;
	long long time;
};

/* What a lookup saw of the file, to tell later whether it can have changed. */
struct pj_stamp {
	int set, missing;
	unsigned long long dev, ino, size;
	long long mtime, mtime_ns, ctime, ctime_ns;
};

/* 0 with ks filled (a missing file is empty unless must_exist), -1 when the
 * file is missing, untrusted, damaged, malformed or a text list too long to
 * read (e says which).  stamp may be NULL. */
int pj_list_lookup(const char *path, uid_t allowed_uid, int must_exist, struct pj_keystate *ks,
		   size_t nks, struct pj_stamp *stamp, pj_err *e);
/* 1 when path still shows what the lookup that filled s saw. */
int pj_stamp_unchanged(const char *path, const struct pj_stamp *s);

/* ---- the whole list in memory (the tool) ---- */

struct pj_rev_entry {
	enum pj_rev_kind kind;
	char *text;	/* comment text, user name or jti (NULL for all) */
	long long time; /* cut-off for all/user, EXP for jti (-1: none) */
};

struct pj_arena;
struct pj_revlist {
	struct pj_rev_entry *v;
	size_t n, cap;
	struct pj_arena *arena; /* the texts */
};

/* The current state of a file of either format (a store's journal folded
 * in), normalized; a missing file is an empty list when missing_ok.  Errors
 * name the file and line. */
int pj_revlist_load(const char *path, uid_t allowed_uid, int missing_ok, struct pj_revlist *l,
		    pj_err *e);
void pj_revlist_free(struct pj_revlist *l);
int pj_revlist_add(struct pj_revlist *l, enum pj_rev_kind kind, const char *text, size_t n,
		   long long time);
/* Removes entries of kind whose text equals text (every "all" entry for
 * PJ_REV_ALL); returns how many. */
size_t pj_revlist_remove(struct pj_revlist *l, enum pj_rev_kind kind, const char *text);
/* Comments first in their order; then all, user by name, jti by id, each
 * once (latest cut-off, later EXP). */
void pj_revlist_normalize(struct pj_revlist *l);

/* Rewrites the file as a store: takes the compaction lock (waiting up to
 * wait_ms), loads the current state, calls fn, writes the result beside the
 * file, fsyncs it and renames it over the file, carrying over whatever was
 * appended meanwhile (appenders wait only for that).  fn returning non-zero,
 * or any failure, leaves the file as it was. */
typedef int (*pj_revlist_fn)(struct pj_revlist *l, void *ctx, pj_err *e);
int pj_revlist_update_wait(const char *path, uid_t allowed_uid, int wait_ms, pj_revlist_fn fn,
			   void *ctx, pj_err *e);
/* The same with a 5 s wait. */
int pj_revlist_update(const char *path, uid_t allowed_uid, pj_revlist_fn fn, void *ctx, pj_err *e);

/* ---- single changes ---- */

struct pj_change {
	int remove;
	enum pj_rev_kind kind; /* ALL, USER or JTI */
	const char *text;      /* NULL for ALL */
	long long time;
};

/* Appends the changes (at most PJ_APPEND_BATCH) as journal records in one
 * write and fdatasyncs them; a missing or text file is made a store first.
 * Compacts (without waiting for another compaction) when the journal has
 * grown past PJ_JOURNAL_COMPACT. */
int pj_list_append(const char *path, uid_t allowed_uid, const struct pj_change *c, size_t n,
		   int wait_ms, pj_err *e);

/* One-time use of name: 0 when this call recorded the first use (kept until
 * `until`, -1 for ever), 1 when it was used before (e says so), -1 on any
 * failure (e).  Concurrent calls never wait for each other: each appends its
 * record and the earliest record of a name wins.  Records whose `until` is
 * more than a day past are dropped when the file is compacted. */
int pj_list_use(const char *path, uid_t allowed_uid, const char *name, long long until, time_t now,
		pj_err *e);

/* Folds the journal into a new base (a text file becomes a store); jti
 * entries with 0 <= EXP < drop_before go (drop_before -1: none).  try_only:
 * return 0 at once when another compaction runs. */
int pj_list_compact(const char *path, uid_t allowed_uid, long long drop_before, int wait_ms,
		    int try_only, pj_err *e);

/* For the tool's proof of a batch: how many of ids (normalized, jti
 * entries) the file does not list now, its base and journal read the way a
 * lookup reads them; *first is the first missing one. */
int pj_list_missing(const char *path, uid_t allowed_uid, const struct pj_revlist *ids,
		    size_t *missing, const char **first, pj_err *e);

/* Compacts as pj_list_compact does, dropping journal lines added by hand
 * that are not entries (they refuse every login while there); *dropped
 * says how many. */
int pj_list_repair(const char *path, uid_t allowed_uid, int wait_ms, size_t *dropped, pj_err *e);

/* Everything about a file, every byte validated (pam_jwt-tool check). */
struct pj_list_info {
	int store;		    /* 0: a text list */
	int text_readable;	    /* a text list short enough for logins */
	size_t entries;		    /* in the current state */
	size_t records, hand, torn; /* journal: records, hand-written lines, skipped */
	unsigned long long size, journal_bytes;
};
int pj_list_check(const char *path, uid_t allowed_uid, struct pj_list_info *info, pj_err *e);

/* Recomputes the check value of a store image's header: for the fuzzer and
 * the tests, which forge headers to reach what lies behind them. */
void pj_store_seal(unsigned char *image, size_t n);

#endif
