/* SPDX-License-Identifier: MIT */
/*
 * Table-driven contract tests of a public header: each row is one call
 * that must return exactly the errno the header names, and must leave
 * the state a snapshot takes as it was (for a refusal: nothing changed;
 * for a row that succeeds: nothing visible either, a lookup or an empty
 * copy).
 *
 * The including test defines, before the #include:
 *   struct fx    its fixture (the objects the rows act on);
 *   struct snap  what must not change, filled by
 *   static void snap_take(const struct fx *f, struct snap *s), which
 *                zeroes *s first (snapshots are compared byte for byte).
 */
#ifndef SIOMMU_TEST_API_ROWS_H
#define SIOMMU_TEST_API_ROWS_H

#include <errno.h>

#include "test.h"

struct api_row {
	const char *name;
	int (*call)(struct fx *f);
	int want;
	int want_alt;	/* what the alternative unit type returns; 0: want */
};

#define API_ROW(fn, e) { #fn, fn, e, 0 }
#define API_ROW_ALT(fn, e, alt) { #fn, fn, e, alt }

static void snap_take(const struct fx *f, struct snap *s);

/*
 * Run @n rows on @f; @alt picks each row's want_alt where it has one.
 * @after (optional) runs after each row, to check what still works.
 * Exits 1 on the first row that returns another errno or changes state.
 */
static inline void api_rows_run(struct fx *f, const struct api_row *rows, size_t n, bool alt,
				void (*after)(struct fx *f))
{
	struct snap a, b;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct api_row *r = &rows[i];
		int want = alt && r->want_alt ? r->want_alt : r->want;
		int ret;

		snap_take(f, &a);
		ret = r->call(f);
		if (ret != want) {
			fprintf(stderr, "%s: %d (%s), want %d (%s)\n", r->name, ret,
				strerror(-ret), want, strerror(-want));
			exit(1);
		}
		snap_take(f, &b);
		if (memcmp(&a, &b, sizeof(a))) {
			fprintf(stderr, "%s: returned %d, but changed state\n", r->name, ret);
			exit(1);
		}
		if (after)
			after(f);
	}
	fprintf(stderr, "  %zu rows: the errno named, nothing changed\n", n);
}

#endif
