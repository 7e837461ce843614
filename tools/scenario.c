/* SPDX-License-Identifier: MIT */
/*
 * Scenario files: parsing (libyaml's document API, so every node keeps its
 * line for error messages), building the described system with the OS half,
 * running the DMA workload through the hardware model, and reporting.
 * docs/scenarios.md is the schema a user reads; this file enforces it.
 *
 * A file is one mapping with these keys (all lists):
 *   units:    name, type (vtd|smmuv3|smmuv2), iotlb_sets, iotlb_ways; VT-d:
 *             aw (39|48|57), pasid_bits; SMMUv3: sid_bits, ssid_bits, stages
 *             (s1|s2|nested), stream_table and cd_table (linear|2level), oas;
 *             SMMUv2: sid_bits, smr_groups, banks, stages (s1|s2|both), oas
 *   devices:  name, unit, rid ("bb:dd.f") or on SMMU units sid (a StreamID),
 *             pasid_bits, pasid_only, ats, pri, group (isolation key),
 *             alias ("bb:dd.f"), bind (process names: SVA), kind
 *             (plain|gpu), clients (a GPU's: name, owner, mappings)
 *   processes: name, owner, cpu (x86_64|arm64; by default the one the
 *             units it binds on walk), mappings: [addr, size, prot
 *             (none|r|w|rw), fill (the CPU writes it first)]
 *   domains:  name, unit, type (paging|identity|blocked), stage
 *             (auto|first|second), mappings: [iova, size, prot (r|w|rw),
 *             fill (byte)]
 *   attach:   device, domain, pasid (a number, "auto", or absent for the
 *             RID), as (a name for the PASID, used by the workload),
 *             replace (this line may replace an earlier attachment)
 *   workload: device, pasid (number or name; absent: no PASID), op
 *             (read|write|ats_translate|page_request), access (r|w|rw, for
 *             the last two), iova, size, count (per thread), threads,
 *             stride, span, expect (any|ok|fault), client (a GPU client's
 *             jobs), process (DMA in a bound process's space); or a
 *             process's own operation: process, op (munmap|mprotect|
 *             reclaim|migrate), addr, size, prot (mprotect's)
 *
 * Nothing is taken silently: every number is checked against the range of
 * its field, names and keys are unique, and a second attachment at the same
 * place needs `replace: true`. Input and work are bounded (SCENARIO_MAX_*).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <yaml.h>

#include <siommu/atsdev.h>
#include <siommu/core.h>
#include <siommu/gpu.h>
#include <siommu/smmuv2.h>
#include <siommu/smmuv3_build.h>
#include <siommu/sva.h>

#include "scenario.h"

#define NAME_LEN (SCENARIO_MAX_NAME + 1)
#define MAX_ITEMS SCENARIO_MAX_ITEMS

enum { UNIT_VTD, UNIT_SMMUV3, UNIT_SMMUV2 };
static const char *const unit_types[] = { "vtd", "smmuv3", "smmuv2", NULL };
static const char *const unit_type_names[] = { "VT-d", "SMMUv3", "SMMUv2" };

struct sc_unit {
	char name[NAME_LEN];
	int line;
	int type;			/* UNIT_* */
	struct siommu_vtd_cfg cfg;	/* VT-d */
	struct siommu_smmuv3_cfg scfg;	/* SMMUv3 */
	struct siommu_smmuv2_cfg v2cfg;	/* SMMUv2 */
	unsigned int pasid_bits;	/* PASIDs (SubstreamIDs) the driver offers */
	struct siommu_unit *unit;
};

struct sc_work;

struct sc_device {
	char name[NAME_LEN];
	int line, unit;
	struct siommu_device_cfg cfg;
	bool by_sid;		/* given as a StreamID (sid), not a RID */
	bool is_gpu;		/* kind: gpu, with clients */
	uint64_t binds;		/* bit n: bound to process n (SVA) */
	struct siommu_device *dev;
	struct siommu_gpu *gpu;
	struct siommu_atsdev *ats;	/* a bound device's DMA: ATS and PRI */
	struct siommu_sva *sva[MAX_ITEMS];
	bool registered;	/* page responses come to on_page_resp() */
	struct sc_work *cur;	/* the workload item running for it (atomic) */
};

struct sc_mapping {
	int line;
	uint64_t iova, size, pa, run;
	unsigned int prot;
	int fill;
};

struct sc_domain {
	char name[NAME_LEN];
	int line, unit;
	struct siommu_domain_cfg cfg;
	struct sc_mapping map[MAX_ITEMS];
	unsigned int nmaps;
	struct siommu_domain *dom;
};

/* A process's mapping: anonymous memory, populated on first touch (the
 * CPU's when fill is set: it writes the byte over the whole range). */
struct sc_vma {
	int line;
	uint64_t addr, size;
	unsigned int prot;	/* SIOMMU_PROT_* */
	int fill;
};

/* A process (SVA): a CPU page table devices bound to it walk. */
struct sc_process {
	char name[NAME_LEN];
	int line;
	uint64_t owner;
	struct sc_vma vma[MAX_ITEMS];
	unsigned int nvmas;
	int cpu, cpu_line;	/* SIOMMU_MM_CPU_*, or -1: its binds' */
	int bind_dev;		/* the first device bound to it, or -1 */
	struct siommu_mm *mm;
	uint32_t pasid;		/* after the first bind */
};

/* A GPU client: a private address space (its own table, a private PASID)
 * on a GPU device, mapped as a domain is; jobs run in it. */
struct sc_client {
	char name[NAME_LEN];
	int line, device;
	uint64_t owner;
	struct sc_domain space;		/* its mappings (space.dom unused) */
	struct siommu_gpu_client *c;
};

struct sc_attach {
	int line, device, domain;
	bool has_pasid, auto_pasid, replace;
	uint32_t pasid;
	char as[NAME_LEN];
};

enum { EXPECT_ANY, EXPECT_OK, EXPECT_FAULT };
enum { OP_READ, OP_WRITE, OP_ATS, OP_PRQ, OP_MUNMAP, OP_MPROTECT, OP_RECLAIM, OP_MIGRATE };
static const char *const op_names[] = { "read", "write", "ats_translate", "page_request",
					"munmap", "mprotect", "reclaim", "migrate", NULL };
#define OP_IS_PROCESS(op) ((op) >= OP_MUNMAP)
static const char *const prot_names[] = { "none", "r", "w", "rw", NULL };

/*
 * A workload item: DMA by a device, or (OP_IS_PROCESS) an operation of a
 * process on its range [iova, iova + size), with device -1.
 */
struct sc_work {
	int line, device;
	int client;		/* a GPU client's job, or -1 */
	int process;		/* DMA in a bound process's space, or -1 */
	char pasid_name[NAME_LEN];
	bool has_pasid;
	uint32_t pasid;
	int op;			/* OP_* */
	unsigned int access;	/* OP_ATS, OP_PRQ: ACC_READ | ACC_WRITE */
	uint64_t iova, size, count, threads, stride, span;
	int expect;
	/*
	 * Results, updated with atomics by the workload threads. For ATS,
	 * "denied" counts translations that came back without the access asked
	 * (not a fault for ATS: the device would send a page request); for
	 * page requests, resp[] counts the page group responses by code.
	 */
	uint64_t dmas, bytes, faults, unexpected, denied;
	uint64_t resp[3];	/* success, invalid request, failure */
	uint64_t by_reason[256];	/* VT-d reason or SMMUv3 event number */
	unsigned int prot;	/* mprotect: SIOMMU_PROT_* */
	uint64_t pages;		/* process op: pages freed, swapped or moved */
};

/* The access of an ATS or page request; both models use these bits. */
#define ACC_READ	1u
#define ACC_WRITE	2u
_Static_assert(SIOMMU_VTD_READ == ACC_READ && SIOMMU_VTD_WRITE == ACC_WRITE &&
	       SIOMMU_SMMUV3_READ == ACC_READ && SIOMMU_SMMUV3_WRITE == ACC_WRITE,
	       "request access bits");

struct scenario {
	char file[256];
	struct sc_unit unit[MAX_ITEMS];
	struct sc_device dev[MAX_ITEMS];
	struct sc_domain dom[MAX_ITEMS];
	struct sc_attach att[MAX_ITEMS];
	struct sc_work work[MAX_ITEMS];
	struct sc_client client[MAX_ITEMS];
	struct sc_process proc[MAX_ITEMS];
	unsigned int nunits, ndevs, ndoms, natts, nwork, nclients, nprocs;
	struct siommu_ctx *ctx;
	uint64_t total_ops, done_ops;
	int stopped;		/* 0, or -EINTR / -ETIMEDOUT: the workload stopped early */
};

/* Text --------------------------------------------------------------------- */

/*
 * Copy @in to @out (@len bytes, at least 1) with control characters shown
 * as \n, \t or \xNN: names and paths come from the user's file and command
 * line, and text output must not carry their line breaks or terminal
 * escape sequences. Returns @out.
 */
static char *shown(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '\n')
			o += (size_t)snprintf(out + o, len - o, "\\n");
		else if (c == '\t')
			o += (size_t)snprintf(out + o, len - o, "\\t");
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = 0;
	return out;
}

/* A name for text output: a buffer of its own for each use. */
#define SHOW(name) shown(name, (char[4 * SCENARIO_MAX_NAME + 8]){ 0 }, 4 * SCENARIO_MAX_NAME + 8)

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error message, with control characters shown as in shown(). */
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	char raw[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	shown(raw, err, errlen);
}

/* Parsing ----------------------------------------------------------------- */

struct parser {
	const char *file;
	const struct scenario_limits *lim;
	uint64_t mapped;	/* buffer bytes behind the mappings so far */
	uint64_t dmas, bytes;	/* the workload's totals so far */
	yaml_document_t doc;
	char *err;
	size_t errlen;
};

static int perr(struct parser *p, const yaml_node_t *n, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int perr(struct parser *p, const yaml_node_t *n, const char *field,
		const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(p->err, p->errlen, "%s:%zu: %s: %s", p->file,
		 n ? n->start_mark.line + 1 : 1, field, msg);
	return -EINVAL;
}

static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static yaml_node_t *pnode(struct parser *p, int idx)
{
	return yaml_document_get_node(&p->doc, idx);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *map_get(struct parser *p, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pr;

	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		const char *k = scalar(pnode(p, pr->key));

		if (k && !strcmp(k, key))
			return pnode(p, pr->value);
	}
	return NULL;
}

/*
 * Refuse keys that are not in @allowed (a typo must not pass silently) and
 * keys given twice (YAML would keep one of the two values).
 */
static int check_keys(struct parser *p, yaml_node_t *map, const char *what,
		      const char *const *allowed)
{
	yaml_node_pair_t *pr, *q;

	if (map->type != YAML_MAPPING_NODE)
		return perr(p, map, what, "expected a mapping of fields");
	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = pnode(p, pr->key);
		const char *k = scalar(kn);
		const char *const *a;
		char list[256] = "";

		if (!k)
			return perr(p, kn, what, "expected a field name");
		for (q = map->data.mapping.pairs.start; q < pr; q++) {
			yaml_node_t *qn = pnode(p, q->key);

			if (!strcmp(scalar(qn), k))
				return perr(p, kn, k, "given twice in %s (first at line %d)",
					    what, line_of(qn));
		}
		for (a = allowed; *a; a++)
			if (!strcmp(*a, k))
				break;
		if (*a)
			continue;
		for (a = allowed; *a; a++) {
			strncat(list, *a, sizeof(list) - strlen(list) - 3);
			if (a[1])
				strcat(list, ", ");
		}
		return perr(p, kn, k, "unknown field in %s (expected one of: %s)", what, list);
	}
	return 0;
}

int scenario_parse_number(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	bool hex = s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;

	/*
	 * strtoull accepts leading space, signs and wraps "-1", and base 0
	 * would read 010 as octal 8: none of that. Decimal, or 0x hex.
	 */
	if (!s || !(hex ? isxdigit((unsigned char)*digits) : isdigit((unsigned char)*digits)))
		return -EINVAL;
	errno = 0;
	v = strtoull(digits, &end, hex ? 16 : 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || errno)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end)
		return -EINVAL;
	if (shift && v >> (64 - shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

/* @v as a scenario would write it: 4K, 2M, 1G when exact, else hex. */
static const char *size_str(uint64_t v, char *buf, size_t len)
{
	if (v && !(v & (SIOMMU_SZ_1G - 1)))
		snprintf(buf, len, "%" PRIu64 "G", v >> 30);
	else if (v && !(v & ((1ull << 20) - 1)))
		snprintf(buf, len, "%" PRIu64 "M", v >> 20);
	else if (v && !(v & 1023))
		snprintf(buf, len, "%" PRIu64 "K", v >> 10);
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* A number bound for a field whose values are @lo..@hi (@hex: addresses and
 * masks read better in hex); out of range, the message gives the range. */
static int get_num(struct parser *p, yaml_node_t *map, const char *key, bool required,
		   uint64_t dflt, uint64_t lo, uint64_t hi, bool hex, uint64_t *out)
{
	yaml_node_t *n = map_get(p, map, key);
	const char *s = scalar(n);
	int ret;

	if (!n) {
		if (required)
			return perr(p, map, key, "missing (expected a number)");
		*out = dflt;
		return 0;
	}
	ret = scenario_parse_number(s, out);
	if (ret == -ERANGE)
		return perr(p, n, key, "'%s' is beyond 64 bits (at most 0x%" PRIx64 ")", s,
			    UINT64_MAX);
	if (ret)
		return perr(p, n, key, "expected a number, like 4096, 0x1000 or 4K; got '%s'",
			    s ? s : "a list or mapping");
	if (*out < lo || *out > hi) {
		if (hex)
			return perr(p, n, key, "%s is out of range: expected 0x%" PRIx64
				    " to 0x%" PRIx64, s, lo, hi);
		return perr(p, n, key, "%s is out of range: expected %" PRIu64 " to %" PRIu64,
			    s, lo, hi);
	}
	return 0;
}

static int get_bool(struct parser *p, yaml_node_t *map, const char *key, bool *out)
{
	yaml_node_t *n = map_get(p, map, key);
	const char *s = scalar(n);

	*out = false;
	if (!n)
		return 0;
	if (s && (!strcmp(s, "true") || !strcmp(s, "yes")))
		*out = true;
	else if (!s || (strcmp(s, "false") && strcmp(s, "no")))
		return perr(p, n, key, "expected true or false");
	return 0;
}

static int get_name(struct parser *p, yaml_node_t *map, const char *key,
		    bool required, char *out)
{
	yaml_node_t *n = map_get(p, map, key);
	const char *s = scalar(n);

	out[0] = 0;
	if (!n) {
		if (required)
			return perr(p, map, key, "missing (expected a name)");
		return 0;
	}
	if (!s || !*s || strlen(s) >= NAME_LEN)
		return perr(p, n, key, "expected a name of 1 to %d bytes", NAME_LEN - 1);
	strcpy(out, s);
	return 0;
}

static int get_enum(struct parser *p, yaml_node_t *map, const char *key,
		    const char *const *names, int dflt, int *out)
{
	yaml_node_t *n = map_get(p, map, key);
	const char *s = scalar(n);
	char list[128] = "";
	int i;

	*out = dflt;
	if (!n)
		return 0;
	for (i = 0; s && names[i]; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	for (i = 0; names[i]; i++) {
		strcat(list, names[i]);
		if (names[i + 1])
			strcat(list, "|");
	}
	return perr(p, n, key, "expected %s", list);
}

static void rid_str(uint16_t rid, char *s)
{
	sprintf(s, "%02x:%02x.%x", rid >> 8, (rid >> 3) & 0x1f, rid & 7);
}

/* "bb:dd.f" -> bus << 8 | dev << 3 | fn. */
static int get_rid(struct parser *p, yaml_node_t *map, const char *key,
		   bool required, int32_t *out)
{
	yaml_node_t *n = map_get(p, map, key);
	const char *s = scalar(n);
	unsigned int b, d, f;
	int len = 0;

	*out = -1;
	if (!n) {
		if (required)
			return perr(p, map, key, "missing (expected a requester ID like 00:01.0)");
		return 0;
	}
	if (!s || strspn(s, "0123456789abcdefABCDEF:.") != strlen(s) ||
	    sscanf(s, "%2x:%2x.%1x%n", &b, &d, &f, &len) != 3 || s[len] ||
	    d > 31 || f > 7)
		return perr(p, n, key, "expected a requester ID like 00:01.0 (bus 00-ff, "
			    "device 00-1f, function 0-7)");
	*out = (int32_t)(b << 8 | d << 3 | f);
	return 0;
}

/*
 * Index of the item called @name in a list already parsed, or an error.
 * Names are unique within their list (check_unique), so the first is it.
 */
#define FIND(p, n, key, arr, cnt, what, out)                                     \
	({                                                                       \
		char _nm[NAME_LEN];                                              \
		int _r = get_name(p, n, key, true, _nm), _i;                     \
		for (_i = 0; !_r && _i < (int)(cnt); _i++)                       \
			if (!strcmp((arr)[_i].name, _nm))                        \
				break;                                           \
		if (!_r && _i == (int)(cnt))                                     \
			_r = perr(p, map_get(p, n, key), key,                    \
				  "no " what " named '%s' is defined above", _nm); \
		*(out) = _i;                                                     \
		_r;                                                              \
	})

/* The item just parsed, arr[cnt - 1], must not reuse an earlier one's name. */
#define CHECK_UNIQUE(p, n, arr, cnt, what)                                       \
	({                                                                       \
		int _r = 0, _i;                                                  \
		for (_i = 0; _i < (int)(cnt) - 1; _i++)                          \
			if (!strcmp((arr)[_i].name, (arr)[(cnt) - 1].name)) {   \
				_r = perr(p, map_get(p, n, "name"), "name",      \
					  "a " what " named '%s' is already defined " \
					  "at line %d", (arr)[_i].name, (arr)[_i].line); \
				break;                                           \
			}                                                        \
		_r;                                                              \
	})

static yaml_node_t *list_item(struct parser *p, yaml_node_t *seq, unsigned int i)
{
	return pnode(p, seq->data.sequence.items.start[i]);
}

static unsigned int list_len(yaml_node_t *seq)
{
	return seq->data.sequence.items.top - seq->data.sequence.items.start;
}

static int get_list(struct parser *p, yaml_node_t *root, const char *key,
		    bool required, yaml_node_t **out)
{
	yaml_node_t *n = map_get(p, root, key);

	*out = n;
	if (!n) {
		if (required)
			return perr(p, root, key, "missing (expected a list)");
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return perr(p, n, key, "expected a list (items starting with '- ')");
	if (list_len(n) > MAX_ITEMS)
		return perr(p, n, key, "%u items, beyond the limit of %d", list_len(n), MAX_ITEMS);
	return 0;
}

/* A field given for a unit of another type: an error, never ignored. */
static int unit_foreign_keys(struct parser *p, yaml_node_t *n, const struct sc_unit *u)
{
#define T(x) (1u << (x))
	static const struct {
		const char *key;
		unsigned int types;	/* T(UNIT_*) it applies to */
		const char *which;
	} keys[] = {
		{ "aw", T(UNIT_VTD), "VT-d units (type: vtd)" },
		{ "pasid_bits", T(UNIT_VTD), "VT-d units (type: vtd)" },
		{ "sid_bits", T(UNIT_SMMUV3) | T(UNIT_SMMUV2), "SMMU units (type: smmuv3, smmuv2)" },
		{ "stages", T(UNIT_SMMUV3) | T(UNIT_SMMUV2), "SMMU units (type: smmuv3, smmuv2)" },
		{ "oas", T(UNIT_SMMUV3) | T(UNIT_SMMUV2), "SMMU units (type: smmuv3, smmuv2)" },
		{ "ssid_bits", T(UNIT_SMMUV3), "SMMUv3 units (type: smmuv3)" },
		{ "stream_table", T(UNIT_SMMUV3), "SMMUv3 units (type: smmuv3)" },
		{ "cd_table", T(UNIT_SMMUV3), "SMMUv3 units (type: smmuv3)" },
		{ "banks", T(UNIT_SMMUV2), "SMMUv2 units (type: smmuv2)" },
		{ "smr_groups", T(UNIT_SMMUV2), "SMMUv2 units (type: smmuv2)" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!(keys[i].types & T(u->type)) && map_get(p, n, keys[i].key))
			return perr(p, map_get(p, n, keys[i].key), keys[i].key,
				    "only for %s, and unit '%s' is %s", keys[i].which, u->name,
				    unit_type_names[u->type]);
	return 0;
#undef T
}

static int parse_vtd_unit(struct parser *p, yaml_node_t *n, struct sc_unit *u)
{
	uint64_t v = 0;
	int ret;

	ret = get_num(p, n, "aw", false, 48, 0, UINT64_MAX, false, &v);
	if (!ret && v != 39 && v != 48 && v != 57)
		ret = perr(p, map_get(p, n, "aw"), "aw", "expected 39, 48 or 57");
	u->cfg.aw = v;
	ret = ret ?: get_num(p, n, "pasid_bits", false, 20, 1, 20, false, &v);
	u->cfg.pasid_bits = v;
	u->pasid_bits = u->cfg.pasid_bits;
	/* 0 in the library's configuration means its default: not here. */
	ret = ret ?: get_num(p, n, "iotlb_sets", false, 256, 1, 65536, false, &v);
	if (!ret && (v & (v - 1)))
		ret = perr(p, map_get(p, n, "iotlb_sets"), "iotlb_sets",
			   "%" PRIu64 " is not a power of two (1, 2, 4, ... 65536)", v);
	u->cfg.iotlb_sets = v;
	ret = ret ?: get_num(p, n, "iotlb_ways", false, 4, 1, 16, false, &v);
	u->cfg.iotlb_ways = v;
	return ret;
}

/*
 * The stream table the driver builds is 2-level when the unit offers it
 * (SMMUv3 IDR0.ST_LVL) and there are more than 256 StreamIDs; a CD table
 * is 2-level when the unit offers it (IDR0.CD2L) and the device has more
 * than 1024 SubstreamIDs, and without it the driver gives a device at most
 * 1024 of them (a linear table of 2^20 CDs would take 64 MiB).
 */
#define SMMUV3_ST_SPLIT_BITS	8
#define SMMUV3_CD_LINEAR_BITS	10

/* The fields both SMMU types take: oas and the TLB's geometry. */
static int parse_smmu_common(struct parser *p, yaml_node_t *n, unsigned int *oas,
			     unsigned int *sets, unsigned int *ways)
{
	uint64_t v = 0;
	int ret;

	ret = get_num(p, n, "oas", false, 48, 0, UINT64_MAX, false, &v);
	if (!ret && v != 32 && v != 36 && v != 40 && v != 42 && v != 44 && v != 48)
		ret = perr(p, map_get(p, n, "oas"), "oas", "expected 32, 36, 40, 42, 44 or 48");
	*oas = v;
	ret = ret ?: get_num(p, n, "iotlb_sets", false, 256, 1, 65536, false, &v);
	if (!ret && (v & (v - 1)))
		ret = perr(p, map_get(p, n, "iotlb_sets"), "iotlb_sets",
			   "%" PRIu64 " is not a power of two (1, 2, 4, ... 65536)", v);
	*sets = v;
	ret = ret ?: get_num(p, n, "iotlb_ways", false, 4, 1, 16, false, &v);
	*ways = v;
	return ret;
}

static int parse_smmuv3_unit(struct parser *p, yaml_node_t *n, struct sc_unit *u)
{
	static const char *const stages[] = { "s1", "s2", "nested", NULL };
	static const char *const formats[] = { "linear", "2level", NULL };
	struct siommu_smmuv3_cfg *c = &u->scfg;
	int st = 2, stf = 1, cdf = 1, ret;
	uint64_t v = 0;

	ret = get_num(p, n, "sid_bits", false, 16, 1, 16, false, &v);
	c->sid_bits = v;
	ret = ret ?: get_num(p, n, "ssid_bits", false, 20, 1, 20, false, &v);
	c->ssid_bits = v;
	ret = ret ?: get_enum(p, n, "stages", stages, 2, &st);
	ret = ret ?: get_enum(p, n, "stream_table", formats, 1, &stf);
	if (!ret && stf && map_get(p, n, "stream_table") && c->sid_bits <= SMMUV3_ST_SPLIT_BITS)
		ret = perr(p, map_get(p, n, "stream_table"), "stream_table", "2level needs "
			   "sid_bits above %d: %u bits are 2^%u StreamIDs, one level-2 table's "
			   "worth, so the table is linear", SMMUV3_ST_SPLIT_BITS, c->sid_bits,
			   c->sid_bits);
	ret = ret ?: get_enum(p, n, "cd_table", formats, 1, &cdf);
	if (!ret && map_get(p, n, "cd_table") && st == 1)
		ret = perr(p, map_get(p, n, "cd_table"), "cd_table", "CD tables are stage 1's, "
			   "and unit '%s' has stages: s2", u->name);
	ret = ret ?: parse_smmu_common(p, n, &c->oas, &c->tlb_sets, &c->tlb_ways);
	c->features = SIOMMU_SMMUV3_F_ALL;
	if (st == 0)
		c->features &= ~SIOMMU_SMMUV3_F_S2;
	if (st == 1)
		c->features &= ~(SIOMMU_SMMUV3_F_S1 | SIOMMU_SMMUV3_F_CD2L);
	if (!stf)
		c->features &= ~SIOMMU_SMMUV3_F_ST2L;
	if (!cdf)
		c->features &= ~SIOMMU_SMMUV3_F_CD2L;
	/* SubstreamIDs select CDs: stage 1 only. */
	u->pasid_bits = st == 1 ? 0 : !cdf && c->ssid_bits > SMMUV3_CD_LINEAR_BITS ?
			SMMUV3_CD_LINEAR_BITS : c->ssid_bits;
	return ret;
}

/*
 * An SMMUv2-style unit: no PASIDs, StreamIDs matched by stream match
 * register groups, one context bank per attached paging domain.
 */
static int parse_smmuv2_unit(struct parser *p, yaml_node_t *n, struct sc_unit *u)
{
	static const char *const stages[] = { "s1", "s2", "both", NULL };
	struct siommu_smmuv2_cfg *c = &u->v2cfg;
	uint64_t v = 0;
	int st = 2, ret;

	ret = get_num(p, n, "sid_bits", false, 15, 1, 15, false, &v);
	c->sid_bits = v;
	ret = ret ?: get_num(p, n, "banks", false, 16, 1, 128, false, &v);
	c->num_cb = v;
	ret = ret ?: get_num(p, n, "smr_groups", false, 32, 1, 128, false, &v);
	c->num_smrg = v;
	ret = ret ?: get_enum(p, n, "stages", stages, 2, &st);
	c->features = st == 0 ? SIOMMU_SMMUV2_F_S1 : st == 1 ? SIOMMU_SMMUV2_F_S2 :
		      SIOMMU_SMMUV2_F_ALL;
	ret = ret ?: parse_smmu_common(p, n, &c->oas, &c->tlb_sets, &c->tlb_ways);
	u->pasid_bits = 0;
	return ret;
}

static int parse_units(struct parser *p, yaml_node_t *root, struct scenario *sc)
{
	static const char *const keys[] = { "name", "type", "iotlb_sets", "iotlb_ways",
					    "aw", "pasid_bits", "sid_bits", "ssid_bits",
					    "stages", "stream_table", "cd_table", "oas",
					    "banks", "smr_groups", NULL };
	yaml_node_t *l;
	unsigned int i;
	int ret = get_list(p, root, "units", true, &l);

	for (i = 0; !ret && i < list_len(l); i++) {
		yaml_node_t *n = list_item(p, l, i);
		struct sc_unit *u = &sc->unit[sc->nunits++];

		u->line = line_of(n);
		ret = check_keys(p, n, "a unit", keys);
		ret = ret ?: get_name(p, n, "name", true, u->name);
		ret = ret ?: CHECK_UNIQUE(p, n, sc->unit, sc->nunits, "unit");
		ret = ret ?: get_enum(p, n, "type", unit_types, UNIT_VTD, &u->type);
		ret = ret ?: unit_foreign_keys(p, n, u);
		if (!ret)
			ret = u->type == UNIT_VTD ? parse_vtd_unit(p, n, u) :
			      u->type == UNIT_SMMUV3 ? parse_smmuv3_unit(p, n, u) :
						       parse_smmuv2_unit(p, n, u);
	}
	if (!ret && !sc->nunits)
		ret = perr(p, l, "units", "at least one unit is needed");
	return ret;
}

/* The StreamID width of an SMMU unit; 16 (any RID) on VT-d. */
static unsigned int sid_bits(const struct sc_unit *u)
{
	return u->type == UNIT_SMMUV3 ? u->scfg.sid_bits :
	       u->type == UNIT_SMMUV2 ? u->v2cfg.sid_bits : 16;
}

/* The StreamID limit of @d's unit, for a device's RID or sid; VT-d: none. */
static bool sid_fits(struct scenario *sc, const struct sc_device *d)
{
	return !(d->cfg.rid >> sid_bits(&sc->unit[d->unit]));
}

/* How a device is addressed on its unit: "bb:dd.f", or a StreamID given
 * as one ("sid 0x10"). */
static const char *dev_id(const struct sc_device *d, char *s)
{
	if (d->by_sid)
		sprintf(s, "sid 0x%x", d->cfg.rid);
	else
		rid_str(d->cfg.rid, s);
	return s;
}

/* PASIDs a device can use: min(its width, its unit's); none behind an alias. */
static unsigned int dev_pasid_bits(struct scenario *sc, const struct sc_device *d)
{
	unsigned int u = sc->unit[d->unit].pasid_bits;

	if (d->cfg.alias_rid != SIOMMU_NO_ALIAS)
		return 0;
	return d->cfg.pasid_bits < u ? d->cfg.pasid_bits : u;
}

/*
 * Where @d sits on its unit: `rid` ("bb:dd.f") on any unit, or on an SMMUv3
 * unit `sid`, a StreamID as a number; one of the two. A PCIe RID is the
 * StreamID as root complexes commonly give it (SMMUv3 3.2: StreamID =
 * RID), so both name the same entry of the stream table.
 */
static int get_device_id(struct parser *p, yaml_node_t *n, struct scenario *sc,
			 struct sc_device *d)
{
	const struct sc_unit *u = &sc->unit[d->unit];
	yaml_node_t *sn = map_get(p, n, "sid");
	int32_t rid = 0;
	uint64_t v = 0;
	int ret;

	if (sn && u->type == UNIT_VTD)
		return perr(p, sn, "sid", "a StreamID, only on SMMU units; unit '%s' is VT-d: "
			    "give rid", u->name);
	if (sn && map_get(p, n, "rid"))
		return perr(p, sn, "sid", "give rid or sid, not both (a RID is its StreamID)");
	if (sn) {
		ret = get_num(p, n, "sid", true, 0, 0, (1u << sid_bits(u)) - 1, true, &v);
		d->cfg.rid = (uint16_t)v;
		d->by_sid = true;
		return ret;
	}
	if (u->type != UNIT_VTD && !map_get(p, n, "rid"))
		return perr(p, n, "rid", "missing (expected a requester ID like 00:01.0, or "
			    "sid: a StreamID)");
	ret = get_rid(p, n, "rid", true, &rid);
	d->cfg.rid = (uint16_t)rid;
	if (!ret && !sid_fits(sc, d))
		ret = perr(p, map_get(p, n, "rid"), "rid", "RID %02x:%02x.%x is StreamID 0x%x, "
			   "beyond unit '%s''s %u-bit StreamIDs", rid >> 8, (rid >> 3) & 0x1f,
			   rid & 7, (unsigned int)rid, u->name, sid_bits(u));
	return ret;
}

/*
 * A range of a process's addresses, `addr` and `size` of @m: 4K-aligned,
 * 4K to 1G, within [SIOMMU_MM_MIN_ADDR, SIOMMU_MM_MAX_ADDR].
 */
static int get_proc_range(struct parser *p, yaml_node_t *m, uint64_t *addr, uint64_t *size)
{
	char a[24];
	int ret = get_num(p, m, "addr", true, 0, SIOMMU_MM_MIN_ADDR, SIOMMU_MM_MAX_ADDR, true,
			  addr);

	ret = ret ?: get_num(p, m, "size", true, 0, SIOMMU_SZ_4K, SIOMMU_SZ_1G, true, size);
	if (ret)
		return ret;
	if ((*addr | *size) & 0xfff)
		return perr(p, m, "addr", "0x%" PRIx64 "+%s is not 4K-aligned", *addr,
			    size_str(*size, a, sizeof(a)));
	if (*addr + *size - 1 > SIOMMU_MM_MAX_ADDR)
		return perr(p, map_get(p, m, "addr"), "addr", "0x%" PRIx64 "+%s ends beyond "
			    "the process's last address 0x%llx", *addr, size_str(*size, a, sizeof(a)),
			    SIOMMU_MM_MAX_ADDR);
	return 0;
}

/* Processes (SVA): each a CPU address space with its mappings. */
static int parse_processes(struct parser *p, yaml_node_t *root, struct scenario *sc)
{
	static const char *const keys[] = { "name", "owner", "cpu", "mappings", NULL };
	static const char *const mkeys[] = { "addr", "size", "prot", "fill", NULL };
	static const char *const cpus[] = { "x86_64", "arm64", NULL };
	yaml_node_t *l;
	unsigned int i, j, k;
	int ret = get_list(p, root, "processes", false, &l);

	for (i = 0; !ret && l && i < list_len(l); i++) {
		yaml_node_t *n = list_item(p, l, i), *ml;
		struct sc_process *pr = &sc->proc[sc->nprocs++];

		pr->line = line_of(n);
		ret = check_keys(p, n, "a process", keys);
		ret = ret ?: get_name(p, n, "name", true, pr->name);
		ret = ret ?: CHECK_UNIQUE(p, n, sc->proc, sc->nprocs, "process");
		ret = ret ?: get_num(p, n, "owner", false, 1000 + i, 0, UINT32_MAX, false,
				     &pr->owner);
		ret = ret ?: get_enum(p, n, "cpu", cpus, -1, &pr->cpu);
		pr->cpu_line = pr->cpu >= 0 ? line_of(map_get(p, n, "cpu")) : 0;
		pr->bind_dev = -1;
		ret = ret ?: get_list(p, n, "mappings", false, &ml);
		for (j = 0; !ret && ml && j < list_len(ml); j++) {
			yaml_node_t *m = list_item(p, ml, j);
			struct sc_vma *v = &pr->vma[pr->nvmas++];
			uint64_t f = 0;
			int pt = 3;

			v->line = line_of(m);
			ret = check_keys(p, m, "a process mapping", mkeys);
			ret = ret ?: get_proc_range(p, m, &v->addr, &v->size);
			ret = ret ?: get_enum(p, m, "prot", prot_names, 3, &pt);
			v->prot = (pt & 1 ? SIOMMU_PROT_READ : 0) | (pt & 2 ? SIOMMU_PROT_WRITE : 0);
			ret = ret ?: get_num(p, m, "fill", false, 0, 0, 0xff, true, &f);
			v->fill = (int)f;
			if (ret)
				break;
			if (v->fill && !(v->prot & SIOMMU_PROT_WRITE))
				return perr(p, map_get(p, m, "fill"), "fill", "the CPU fills the "
					    "range by writing it, and its prot has no w");
			for (k = 0; k + 1 < pr->nvmas; k++)
				if (v->addr < pr->vma[k].addr + pr->vma[k].size &&
				    pr->vma[k].addr < v->addr + v->size)
					return perr(p, m, "addr", "overlaps the mapping at line %d",
						    pr->vma[k].line);
			/* Pages get frames of the pool when touched. */
			p->mapped += v->size;
			if (p->mapped > p->lim->max_memory)
				return perr(p, map_get(p, m, "size"), "size", "the mappings so far "
					    "need %" PRIu64 " MiB of memory, beyond the limit of %"
					    PRIu64 " MiB (--max-memory)", p->mapped >> 20,
					    p->lim->max_memory >> 20);
		}
	}
	return ret;
}

/* The CPU whose page-table format a unit of @type walks for SVA: VT-d's
 * first stage is x86-64 paging, an SMMUv3 CD's TTB0 a VMSAv8-64 table. */
static int unit_cpu(int type)
{
	return type == UNIT_VTD ? SIOMMU_MM_CPU_X86_64 : SIOMMU_MM_CPU_ARM64;
}

static const char *const cpu_names[] = { "x86_64", "arm64" };

/* A bind of @pr on @d's unit: the unit walks the table format of the
 * process's CPU, and the process's other binds are on units of its type. */
static int bind_cpu(struct parser *p, yaml_node_t *it, struct scenario *sc,
		    const struct sc_device *d, struct sc_process *pr)
{
	const struct sc_unit *u = &sc->unit[d->unit];
	int want = unit_cpu(u->type);

	if (pr->bind_dev >= 0) {
		const struct sc_device *o = &sc->dev[pr->bind_dev];
		const struct sc_unit *ou = &sc->unit[o->unit];

		if (ou->type != u->type)
			return perr(p, it, "bind", "process '%s' is bound on %s unit '%s' "
				    "(device '%s', line %d) and here on %s unit '%s': its one CPU "
				    "page table cannot be in both formats (x86_64 for VT-d, arm64 "
				    "for SMMUv3)", pr->name, unit_type_names[ou->type], ou->name,
				    o->name, o->line, unit_type_names[u->type], u->name);
	} else {
		pr->bind_dev = (int)(d - sc->dev);
	}
	if (pr->cpu >= 0 && pr->cpu != want)
		return perr(p, it, "bind", "process '%s' is an %s process (cpu, line %d) and "
			    "%s unit '%s' walks %s page tables", pr->name, cpu_names[pr->cpu],
			    pr->cpu_line, unit_type_names[u->type], u->name, cpu_names[want]);
	return 0;
}

/*
 * A device's SVA binds: `bind: [process, ...]`. A bound device DMAs
 * through the device kit (siommu/atsdev.h), which faults pages in with
 * page requests: it needs PASIDs, ATS and PRI on a VT-d or SMMUv3 unit.
 * A process has one CPU page table that every bound device walks, so all
 * its binds are on units of one type, the one its CPU's format is.
 */
static int parse_binds(struct parser *p, yaml_node_t *n, struct scenario *sc,
		       struct sc_device *d)
{
	yaml_node_t *bl;
	unsigned int k;
	int ret = get_list(p, n, "bind", false, &bl), pi;

	if (ret || !bl)
		return ret;
	if (sc->unit[d->unit].type == UNIT_SMMUV2)
		return perr(p, bl, "bind", "SVA binds need a unit with PASIDs, ATS and PRI "
			    "(VT-d or SMMUv3), and unit '%s' is SMMUv2", sc->unit[d->unit].name);
	if (sc->unit[d->unit].type == UNIT_SMMUV3 &&
	    !(sc->unit[d->unit].scfg.features & SIOMMU_SMMUV3_F_S1))
		return perr(p, bl, "bind", "an SVA bind is a CD whose TTB0 is the process's "
			    "table, and unit '%s' has no stage 1 (stages: s2)",
			    sc->unit[d->unit].name);
	if (!d->cfg.pasid_bits || d->cfg.alias_rid != SIOMMU_NO_ALIAS ||
	    (d->cfg.flags & (SIOMMU_DEV_ATS | SIOMMU_DEV_PRI)) !=
	    (SIOMMU_DEV_ATS | SIOMMU_DEV_PRI) || d->is_gpu)
		return perr(p, bl, "bind", "a bound device DMAs in the process's space with its "
			    "PASID and faults pages in: it needs pasid_bits, ats and pri, no "
			    "alias, and is no GPU");
	for (k = 0; k < list_len(bl); k++) {
		yaml_node_t *it = list_item(p, bl, k);
		const char *nm = scalar(it);

		for (pi = 0; nm && pi < (int)sc->nprocs && strcmp(sc->proc[pi].name, nm); pi++)
			;
		if (!nm || pi == (int)sc->nprocs)
			return perr(p, it, "bind", "no process named '%s' is defined in processes",
				    nm ? nm : "(a list)");
		if (d->binds & (1ull << pi))
			return perr(p, it, "bind", "process '%s' is bound twice", nm);
		ret = bind_cpu(p, it, sc, d, &sc->proc[pi]);
		if (ret)
			return ret;
		d->binds |= 1ull << pi;
	}
	return 0;
}

static int parse_devices(struct parser *p, yaml_node_t *root, struct scenario *sc)
{
	static const char *const keys[] = { "name", "unit", "rid", "sid", "pasid_bits",
					    "pasid_only", "ats", "pri", "group", "alias", "kind",
					    "clients", "bind", NULL };
	static const char *const kinds[] = { "plain", "gpu", NULL };
	yaml_node_t *l;
	unsigned int i, k;
	int ret = get_list(p, root, "devices", true, &l);

	for (i = 0; !ret && i < list_len(l); i++) {
		yaml_node_t *n = list_item(p, l, i);
		struct sc_device *d = &sc->dev[sc->ndevs++];
		bool po = false, ats = false, pri = false;
		int32_t rid = 0;
		int kind = 0;
		uint64_t v = 0;
		char rs[24];
		const char *idk;

		d->line = line_of(n);
		ret = check_keys(p, n, "a device", keys);
		ret = ret ?: get_name(p, n, "name", true, d->name);
		ret = ret ?: CHECK_UNIQUE(p, n, sc->dev, sc->ndevs, "device");
		ret = ret ?: FIND(p, n, "unit", sc->unit, sc->nunits, "unit", &d->unit);
		ret = ret ?: get_device_id(p, n, sc, d);
		for (k = 0; !ret && sc->unit[d->unit].type == UNIT_SMMUV2 && k < 4; k++) {
			static const char *const no[] = { "pasid_bits", "pasid_only", "ats", "pri" };

			if (map_get(p, n, no[k]))
				ret = perr(p, map_get(p, n, no[k]), no[k], "unit '%s' is SMMUv2: it "
					   "has no PASIDs, ATS or PRI", sc->unit[d->unit].name);
		}
		ret = ret ?: get_num(p, n, "pasid_bits", false, 0, 0, 20, false, &v);
		d->cfg.pasid_bits = v;
		ret = ret ?: get_bool(p, n, "pasid_only", &po);
		ret = ret ?: get_bool(p, n, "ats", &ats);
		ret = ret ?: get_bool(p, n, "pri", &pri);
		d->cfg.flags = (po ? SIOMMU_DEV_PASID_ONLY : 0) | (ats ? SIOMMU_DEV_ATS : 0) |
			       (pri ? SIOMMU_DEV_PRI : 0);
		ret = ret ?: get_num(p, n, "group", false, 0, 0, UINT32_MAX, false, &v);
		d->cfg.isolation_key = (uint32_t)v;
		ret = ret ?: get_rid(p, n, "alias", false, &d->cfg.alias_rid);
		ret = ret ?: get_enum(p, n, "kind", kinds, 0, &kind);
		d->is_gpu = kind == 1;
		if (!ret && !d->is_gpu && map_get(p, n, "clients"))
			ret = perr(p, map_get(p, n, "clients"), "clients", "only a GPU has "
				   "clients (kind: gpu)");
		if (!ret && d->is_gpu && !map_get(p, n, "clients"))
			ret = perr(p, n, "clients", "a GPU needs clients: each a name and "
				   "its mappings");
		if (!ret && d->is_gpu && sc->unit[d->unit].type != UNIT_SMMUV2 &&
		    (!d->cfg.pasid_bits || d->cfg.alias_rid != SIOMMU_NO_ALIAS))
			ret = perr(p, n, "kind", "a GPU's clients are private PASIDs: on %s "
				   "unit '%s' the GPU needs pasid_bits and no alias",
				   unit_type_names[sc->unit[d->unit].type], sc->unit[d->unit].name);
		ret = ret ?: parse_binds(p, n, sc, d);
		if (ret)
			break;
		idk = d->by_sid ? "sid" : "rid";
		rid = d->cfg.rid;
		rid_str(d->cfg.rid, rs);
		if (d->cfg.alias_rid == rid)
			return perr(p, map_get(p, n, "alias"), "alias",
				    "%s is the device's own RID", rs);
		if (d->by_sid)
			snprintf(rs, sizeof(rs), "StreamID 0x%x", d->cfg.rid);
		else
			snprintf(rs, sizeof(rs), "RID %02x:%02x.%x", rid >> 8, (rid >> 3) & 0x1f,
				 rid & 7);
		if (d->cfg.alias_rid >= 0 && !sid_fits(sc, &(struct sc_device){
				.unit = d->unit, .cfg.rid = (uint16_t)d->cfg.alias_rid }))
			return perr(p, map_get(p, n, "alias"), "alias", "StreamID 0x%x is beyond "
				    "unit '%s''s %u-bit StreamIDs", (unsigned int)d->cfg.alias_rid,
				    sc->unit[d->unit].name, sid_bits(&sc->unit[d->unit]));
		/* One RID, one device on a unit; an alias is never another's RID. */
		for (k = 0; k + 1 < sc->ndevs; k++) {
			struct sc_device *o = &sc->dev[k];

			if (o->unit != d->unit)
				continue;
			if (o->cfg.rid == d->cfg.rid)
				return perr(p, map_get(p, n, idk), idk,
					    "device '%s': %s is already used by '%s' (line %d)",
					    d->name, rs, o->name, o->line);
			if (o->cfg.alias_rid == rid)
				return perr(p, map_get(p, n, idk), idk,
					    "device '%s': %s is the alias of '%s' (line %d)",
					    d->name, rs, o->name, o->line);
			if (d->cfg.alias_rid == o->cfg.rid) {
				rid_str((uint16_t)d->cfg.alias_rid, rs);
				return perr(p, map_get(p, n, "alias"), "alias",
					    "device '%s': alias %s is the RID of '%s' (line %d)",
					    d->name, rs, o->name, o->line);
			}
		}
		if (po && !dev_pasid_bits(sc, d))
			return perr(p, map_get(p, n, "pasid_only"), "pasid_only",
				    "device '%s' can only issue DMA with a PASID, but has no "
				    "usable PASIDs (%s)", d->name,
				    d->cfg.alias_rid != SIOMMU_NO_ALIAS ?
				    "a PASID prefix does not cross the bridge its alias names" :
				    !d->cfg.pasid_bits ? "pasid_bits is 0" :
				    "its unit has none");
	}
	return ret;
}

/*
 * The input width of a paging domain of @d's unit: VT-d's aw; on SMMUv3,
 * 48 bits at stage 1 (one TTB0 range), the output size at stage 2 (the
 * driver's IPA width: SMMUv3 5.2, S2T0SZ within IDR5.OAS).
 */
static unsigned int dom_width(struct scenario *sc, const struct sc_domain *d)
{
	const struct sc_unit *u = &sc->unit[d->unit];

	if (u->type == UNIT_VTD)
		return u->cfg.aw;
	bool s1 = u->type == UNIT_SMMUV3 ? u->scfg.features & SIOMMU_SMMUV3_F_S1 :
					    u->v2cfg.features & SIOMMU_SMMUV2_F_S1;
	unsigned int oas = u->type == UNIT_SMMUV3 ? u->scfg.oas : u->v2cfg.oas;

	if (d->cfg.stage == SIOMMU_STAGE_SECOND || !s1)
		return oas < 48 ? oas : 48;
	return 48;
}

/* Where a paging domain's mappings may lie: below 2^width of its unit. */
static int check_mapping(struct parser *p, yaml_node_t *m, struct scenario *sc,
			 struct sc_domain *d, struct sc_mapping *mp)
{
	unsigned int aw = dom_width(sc, d), k;
	char a[24], b[24];
	uint64_t last;

	if (mp->iova & 0xfff)
		return perr(p, map_get(p, m, "iova"), "iova",
			    "0x%" PRIx64 " is not 4K-aligned", mp->iova);
	if (mp->size & 0xfff)
		return perr(p, map_get(p, m, "size"), "size",
			    "%s is not a multiple of 4K", size_str(mp->size, a, sizeof(a)));
	if (__builtin_add_overflow(mp->iova, mp->size - 1, &last))
		return perr(p, map_get(p, m, "iova"), "iova",
			    "iova 0x%" PRIx64 " + %s wraps past 2^64", mp->iova,
			    size_str(mp->size, a, sizeof(a)));
	if (aw < 64 && last >> aw)
		return perr(p, map_get(p, m, "iova"), "iova",
			    "0x%" PRIx64 " + %s ends beyond unit '%s''s %u-bit address width "
			    "(last IOVA 0x%" PRIx64 ")", mp->iova, size_str(mp->size, a, sizeof(a)),
			    sc->unit[d->unit].name, aw, (uint64_t)(1ull << aw) - 1);
	for (k = 0; k + 1 < d->nmaps; k++) {
		struct sc_mapping *o = &d->map[k];

		if (mp->iova <= o->iova + (o->size - 1) && o->iova <= last)
			return perr(p, m, "iova", "mapping 0x%" PRIx64 "+%s overlaps 0x%" PRIx64
				    "+%s (line %d)", mp->iova, size_str(mp->size, a, sizeof(a)),
				    o->iova, size_str(o->size, b, sizeof(b)), o->line);
	}
	/* A buffer of its own, a power of two: the frame pool's runs. */
	mp->run = 4096;
	while (mp->run < mp->size)
		mp->run <<= 1;
	p->mapped += mp->run;
	if (p->mapped > p->lim->max_memory)
		return perr(p, map_get(p, m, "size"), "size",
			    "the mappings so far need %" PRIu64 " MiB of memory, beyond the "
			    "limit of %" PRIu64 " MiB (--max-memory)",
			    p->mapped >> 20, p->lim->max_memory >> 20);
	return 0;
}

/* The mappings list @ml of paging space @d (a domain's, or a GPU client's). */
static int parse_mappings(struct parser *p, yaml_node_t *ml, struct scenario *sc,
			  struct sc_domain *d)
{
	static const char *const mkeys[] = { "iova", "size", "prot", "fill", NULL };
	static const char *const prots[] = { "", "r", "w", "rw", NULL };
	unsigned int j;
	int ret = 0;

	for (j = 0; !ret && j < list_len(ml); j++) {
		yaml_node_t *m = list_item(p, ml, j);
		struct sc_mapping *mp = &d->map[d->nmaps++];
		uint64_t v = 0;
		int pr = 0;

		mp->line = line_of(m);
		ret = check_keys(p, m, "a mapping", mkeys);
		ret = ret ?: get_num(p, m, "iova", true, 0, 0, UINT64_MAX, true, &mp->iova);
		ret = ret ?: get_num(p, m, "size", true, 0, SIOMMU_SZ_4K, SIOMMU_SZ_1G,
				     true, &mp->size);
		ret = ret ?: get_enum(p, m, "prot", prots, 3, &pr);
		if (!ret && !pr)
			ret = perr(p, map_get(p, m, "prot"), "prot", "expected r, w or rw");
		mp->prot = pr;
		ret = ret ?: get_num(p, m, "fill", false, 0, 0, 0xff, true, &v);
		mp->fill = (int)v;
		ret = ret ?: check_mapping(p, m, sc, d, mp);
	}
	return ret;
}

static int parse_domains(struct parser *p, yaml_node_t *root, struct scenario *sc)
{
	static const char *const keys[] = { "name", "unit", "type", "stage", "mappings", NULL };
	static const char *const types[] = { "blocked", "identity", "paging", NULL };
	static const char *const stages[] = { "auto", "first", "second", NULL };
	yaml_node_t *l;
	unsigned int i;
	int ret = get_list(p, root, "domains", true, &l);

	for (i = 0; !ret && i < list_len(l); i++) {
		yaml_node_t *n = list_item(p, l, i), *ml;
		struct sc_domain *d = &sc->dom[sc->ndoms++];
		int t = 0, s = 0;

		d->line = line_of(n);
		ret = check_keys(p, n, "a domain", keys);
		ret = ret ?: get_name(p, n, "name", true, d->name);
		ret = ret ?: CHECK_UNIQUE(p, n, sc->dom, sc->ndoms, "domain");
		ret = ret ?: FIND(p, n, "unit", sc->unit, sc->nunits, "unit", &d->unit);
		ret = ret ?: get_enum(p, n, "type", types, 2, &t);
		ret = ret ?: get_enum(p, n, "stage", stages, 0, &s);
		d->cfg.type = t;
		d->cfg.stage = s;
		if (!ret && t != SIOMMU_DOMAIN_PAGING && map_get(p, n, "stage"))
			ret = perr(p, map_get(p, n, "stage"), "stage",
				   "only a paging domain has a stage");
		ret = ret ?: get_list(p, n, "mappings", false, &ml);
		if (ret || !ml)
			continue;
		if (t != SIOMMU_DOMAIN_PAGING)
			return perr(p, ml, "mappings", "only a paging domain has mappings");
		ret = parse_mappings(p, ml, sc, d);
	}
	return ret;
}

/* GPU devices' clients: each a private address space with its mappings. */
static int parse_clients(struct parser *p, yaml_node_t *root, struct scenario *sc)
{
	static const char *const keys[] = { "name", "owner", "mappings", NULL };
	yaml_node_t *l = map_get(p, root, "devices");
	unsigned int i, j;
	int ret = 0;

	for (i = 0; !ret && i < sc->ndevs; i++) {
		yaml_node_t *cl;

		if (!sc->dev[i].is_gpu)
			continue;
		ret = get_list(p, list_item(p, l, i), "clients", true, &cl);
		if (!ret && !list_len(cl))
			ret = perr(p, cl, "clients", "a GPU needs at least one client");
		for (j = 0; !ret && j < list_len(cl); j++) {
			yaml_node_t *n = list_item(p, cl, j), *ml;
			struct sc_client *c;

			if (sc->nclients == MAX_ITEMS)
				return perr(p, n, "clients", "more than %d clients in the "
					    "scenario", MAX_ITEMS);
			c = &sc->client[sc->nclients++];
			c->line = line_of(n);
			c->device = (int)i;
			c->space.unit = sc->dev[i].unit;
			c->space.cfg.type = SIOMMU_DOMAIN_PAGING;
			ret = check_keys(p, n, "a client", keys);
			ret = ret ?: get_name(p, n, "name", true, c->name);
			ret = ret ?: CHECK_UNIQUE(p, n, sc->client, sc->nclients, "client");
			ret = ret ?: get_num(p, n, "owner", false, sc->nclients, 0, UINT32_MAX,
					     false, &c->owner);
			ret = ret ?: get_list(p, n, "mappings", false, &ml);
			if (!ret && ml)
				ret = parse_mappings(p, ml, sc, &c->space);
		}
	}
	return ret;
}

static int parse_attach(struct parser *p, yaml_node_t *root, struct scenario *sc)
{
	static const char *const keys[] = { "device", "domain", "pasid", "as", "replace", NULL };
	yaml_node_t *l;
	unsigned int i, k;
	int ret = get_list(p, root, "attach", true, &l);

	for (i = 0; !ret && i < list_len(l); i++) {
		yaml_node_t *n = list_item(p, l, i), *pn;
		struct sc_attach *a = &sc->att[sc->natts++];
		struct sc_device *d;
		unsigned int bits;

		a->line = line_of(n);
		ret = check_keys(p, n, "an attachment", keys);
		ret = ret ?: FIND(p, n, "device", sc->dev, sc->ndevs, "device", &a->device);
		ret = ret ?: FIND(p, n, "domain", sc->dom, sc->ndoms, "domain", &a->domain);
		ret = ret ?: get_bool(p, n, "replace", &a->replace);
		if (ret)
			break;
		d = &sc->dev[a->device];
		bits = dev_pasid_bits(sc, d);
		pn = map_get(p, n, "pasid");
		if (!pn && (d->cfg.flags & SIOMMU_DEV_PASID_ONLY))
			return perr(p, n, "pasid", "device '%s' is pasid_only: it issues no DMA "
				    "without a PASID, so its RID takes no domain; give 'pasid'",
				    d->name);
		if (pn) {
			uint64_t v = 0;

			a->has_pasid = true;
			if (!bits)
				return perr(p, pn, "pasid", "device '%s' has no usable PASIDs (%s)",
					    d->name, d->cfg.alias_rid != SIOMMU_NO_ALIAS ?
					    "its DMA may carry an alias RID" :
					    !d->cfg.pasid_bits ? "pasid_bits is 0" :
					    "its unit has none");
			if (scalar(pn) && !strcmp(scalar(pn), "auto"))
				a->auto_pasid = true;
			else
				ret = get_num(p, n, "pasid", true, 0, 1, SIOMMU_PASID_MAX, false, &v);
			if (ret)
				return perr(p, pn, "pasid", "expected 1 to %u, or auto; got '%s'",
					    SIOMMU_PASID_MAX, scalar(pn) ? scalar(pn) : "a list");
			if (!a->auto_pasid && v >> bits)
				return perr(p, pn, "pasid", "PASID %" PRIu64 " is beyond device "
					    "'%s''s %u-bit PASID width (max %u)", v, d->name, bits,
					    (1u << bits) - 1);
			a->pasid = (uint32_t)v;
		}
		ret = get_name(p, n, "as", false, a->as);
		if (!ret && a->as[0] && !a->has_pasid)
			ret = perr(p, map_get(p, n, "as"), "as", "names a PASID: give 'pasid' too");
		for (k = 0; !ret && a->as[0] && k + 1 < sc->natts; k++)
			if (!strcmp(sc->att[k].as, a->as))
				ret = perr(p, map_get(p, n, "as"), "as", "the PASID name '%s' is "
					   "already given at line %d", a->as, sc->att[k].line);
	}
	return ret;
}

/*
 * A process's own operation in the workload: `process`, `op`, `addr`,
 * `size`, and `prot` for mprotect; nothing of a DMA's.
 */
static int parse_process_op(struct parser *p, yaml_node_t *n, struct scenario *sc,
			    struct sc_work *w)
{
	static const char *const keys[] = { "process", "op", "addr", "size", "prot", NULL };
	int ret = 0, pt = -1;

	for (const char *const *k = (const char *const[]){ "device", "pasid", "access", "iova",
				"count", "threads", "stride", "span", "expect", "client", NULL };
	     *k && !ret; k++)
		if (map_get(p, n, *k))
			ret = perr(p, map_get(p, n, *k), *k, "op %s is the process's own: it "
				   "takes process, addr, size%s", op_names[w->op],
				   w->op == OP_MPROTECT ? " and prot" : "");
	ret = ret ?: check_keys(p, n, "a process operation", keys);
	if (!ret && !map_get(p, n, "process"))
		ret = perr(p, n, "process", "missing: op %s acts on a process's range",
			   op_names[w->op]);
	ret = ret ?: FIND(p, n, "process", sc->proc, sc->nprocs, "process", &w->process);
	ret = ret ?: get_proc_range(p, n, &w->iova, &w->size);
	ret = ret ?: get_enum(p, n, "prot", prot_names, -1, &pt);
	if (!ret && w->op == OP_MPROTECT && pt < 0)
		ret = perr(p, n, "prot", "missing: mprotect gives the range none, r, w or rw");
	if (!ret && w->op != OP_MPROTECT && pt >= 0)
		ret = perr(p, map_get(p, n, "prot"), "prot", "only for mprotect");
	if (pt > 0)
		w->prot = (pt & 1 ? SIOMMU_PROT_READ : 0) | (pt & 2 ? SIOMMU_PROT_WRITE : 0);
	w->device = -1;
	return ret;
}

static int parse_workload(struct parser *p, yaml_node_t *root, struct scenario *sc)
{
	static const char *const keys[] = { "device", "pasid", "op", "access", "iova", "size",
					    "count", "threads", "stride", "span", "expect", "client",
					    "process", NULL };
	static const char *const expects[] = { "any", "ok", "fault", NULL };
	static const char *const accesses[] = { "", "r", "w", "rw", NULL };
	yaml_node_t *l;
	unsigned int i;
	int ret = get_list(p, root, "workload", false, &l);

	for (i = 0; !ret && l && i < list_len(l); i++) {
		yaml_node_t *n = list_item(p, l, i), *pn;
		struct sc_work *w = &sc->work[sc->nwork++];
		uint64_t dmas, bytes, end;
		char a[24];
		int acc = 1;

		w->line = line_of(n);
		w->client = -1;
		w->process = -1;
		ret = get_enum(p, n, "op", op_names, OP_READ, &w->op);
		if (!ret && OP_IS_PROCESS(w->op)) {
			ret = parse_process_op(p, n, sc, w);
			continue;
		}
		ret = ret ?: check_keys(p, n, "a workload item", keys);
		ret = ret ?: FIND(p, n, "device", sc->dev, sc->ndevs, "device", &w->device);
		if (!ret && map_get(p, n, "process")) {
			ret = FIND(p, n, "process", sc->proc, sc->nprocs, "process", &w->process);
			if (!ret && !(sc->dev[w->device].binds & (1ull << w->process)))
				ret = perr(p, map_get(p, n, "process"), "process", "device '%s' is "
					   "not bound to process '%s' (bind: on the device)",
					   sc->dev[w->device].name, sc->proc[w->process].name);
			if (!ret && map_get(p, n, "pasid"))
				ret = perr(p, map_get(p, n, "pasid"), "pasid", "DMA in a process's "
					   "space uses its PASID: give process or pasid, not both");
			if (!ret && map_get(p, n, "client"))
				ret = perr(p, map_get(p, n, "client"), "client", "give process or "
					   "client, not both");
		}
		if (!ret && map_get(p, n, "client")) {
			ret = FIND(p, n, "client", sc->client, sc->nclients, "client", &w->client);
			if (!ret && sc->client[w->client].device != w->device)
				ret = perr(p, map_get(p, n, "client"), "client", "client '%s' is "
					   "device '%s''s (line %d), not '%s''s",
					   sc->client[w->client].name,
					   sc->dev[sc->client[w->client].device].name,
					   sc->client[w->client].line, sc->dev[w->device].name);
			if (!ret && map_get(p, n, "pasid"))
				ret = perr(p, map_get(p, n, "pasid"), "pasid", "a client's jobs "
					   "use its private PASID: give client or pasid, not both");
		}
		pn = ret ? NULL : map_get(p, n, "pasid");
		if (!ret && pn) {
			const char *s = scalar(pn);
			unsigned int k;

			w->has_pasid = true;
			for (k = 0; s && k < sc->natts; k++)
				if (sc->att[k].as[0] && !strcmp(sc->att[k].as, s))
					break;
			if (s && k < sc->natts) {
				strcpy(w->pasid_name, s);
			} else {
				uint64_t v = 0;

				ret = get_num(p, n, "pasid", true, 0, 0, SIOMMU_PASID_MAX, false, &v);
				if (ret)
					ret = perr(p, pn, "pasid", "expected a PASID number (0 to %u) "
						   "or a name given with 'as' in attach",
						   SIOMMU_PASID_MAX);
				w->pasid = (uint32_t)v;
			}
		}
		ret = ret ?: get_enum(p, n, "access", accesses, 1, &acc);
		if (!ret && !acc)
			ret = perr(p, map_get(p, n, "access"), "access", "expected r, w or rw");
		if (!ret && map_get(p, n, "access") && w->op != OP_ATS && w->op != OP_PRQ)
			ret = perr(p, map_get(p, n, "access"), "access", "only for ats_translate "
				   "and page_request (read and write say it)");
		w->access = (acc & 1 ? ACC_READ : 0) | (acc & 2 ? ACC_WRITE : 0);
		if (!ret && (w->op == OP_ATS || w->op == OP_PRQ) &&
		    sc->unit[sc->dev[w->device].unit].type == UNIT_SMMUV2)
			ret = perr(p, map_get(p, n, "op"), "op", "device '%s' is behind SMMUv2 "
				   "unit '%s', which has no ATS or PRI", sc->dev[w->device].name,
				   sc->unit[sc->dev[w->device].unit].name);
		ret = ret ?: get_num(p, n, "iova", true, 0, 0, UINT64_MAX, true, &w->iova);
		ret = ret ?: get_num(p, n, "size", false, 4096, 1, 1u << 20, false, &w->size);
		ret = ret ?: get_num(p, n, "count", false, 1, 1, SCENARIO_MAX_DMAS, false,
				     &w->count);
		ret = ret ?: get_num(p, n, "threads", false, 1, 1, SCENARIO_MAX_THREADS, false,
				     &w->threads);
		ret = ret ?: get_num(p, n, "span", false, 0, 0, UINT64_MAX, true, &w->span);
		ret = ret ?: get_num(p, n, "stride", false, 0, 0, UINT64_MAX, true, &w->stride);
		if (!ret && !w->stride != !w->span)
			ret = perr(p, n, w->span ? "stride" : "span",
				   "stride and span go together: each DMA moves on by stride, "
				   "wrapping within span");
		if (!ret && w->stride > w->span)
			ret = perr(p, map_get(p, n, "stride"), "stride", "0x%" PRIx64 " is beyond "
				   "span 0x%" PRIx64, w->stride, w->span);
		if (!ret && (__builtin_add_overflow(w->iova, w->span, &end) ||
			     __builtin_add_overflow(end, w->size - 1, &end)))
			ret = perr(p, map_get(p, n, "iova"), "iova", "iova 0x%" PRIx64 " + %s "
				   "wraps past 2^64", w->iova,
				   size_str(w->span + w->size, a, sizeof(a)));
		ret = ret ?: get_enum(p, n, "expect", expects, EXPECT_ANY, &w->expect);
		if (!ret && w->process >= 0 && w->op != OP_READ && w->op != OP_WRITE)
			ret = perr(p, map_get(p, n, "op"), "op", "DMA in a process's space reads "
				   "or writes (read, write); the device's own ATS and page requests "
				   "fault the pages in");
		if (!ret && w->client >= 0 && w->op != OP_READ && w->op != OP_WRITE)
			ret = perr(p, map_get(p, n, "op"), "op", "a GPU job reads or writes "
				   "(read, write)");
		if (!ret && w->client >= 0 && w->threads > 1)
			ret = perr(p, map_get(p, n, "threads"), "threads", "a GPU's command "
				   "processor runs one job at a time: threads must be 1");
		if (!ret && w->client < 0 && sc->dev[w->device].is_gpu &&
		    sc->unit[sc->dev[w->device].unit].type == UNIT_SMMUV2)
			ret = perr(p, n, "client", "device '%s' is a GPU behind SMMUv2 unit "
				   "'%s': its DMA runs in a client's space, so name the client",
				   sc->dev[w->device].name, sc->unit[sc->dev[w->device].unit].name);
		if (ret)
			break;
		/* Bounded work: the totals are capped, not only each item. */
		dmas = w->count * w->threads;
		bytes = dmas * w->size;
		p->dmas += dmas;
		p->bytes += bytes;
		if (p->dmas > SCENARIO_MAX_DMAS)
			ret = perr(p, map_get(p, n, "count"), "count", "the workload so far "
				   "issues %" PRIu64 " DMAs, beyond the limit of %llu",
				   p->dmas, SCENARIO_MAX_DMAS);
		else if (p->bytes > SCENARIO_MAX_DMA_BYTES)
			ret = perr(p, map_get(p, n, "count"), "count", "the workload so far "
				   "moves %" PRIu64 " MiB, beyond the limit of %llu MiB",
				   p->bytes >> 20, SCENARIO_MAX_DMA_BYTES >> 20);
		sc->total_ops += dmas;
	}
	return ret;
}

/* Input ------------------------------------------------------------------- */

/* Offset of the first byte that breaks UTF-8 (or is NUL), or @len. */
static size_t utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		uint32_t cp;

		if (c && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return i;
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

static int lerr(struct parser *p, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error at a 0-based line of the file, before the document exists. */
static int lerr(struct parser *p, size_t line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(p->err, p->errlen, "%s:%zu: %s", p->file, line + 1, msg);
	return -EINVAL;
}

/*
 * Walk the events once before building the document: nesting deeper than
 * SCENARIO_MAX_DEPTH, more than SCENARIO_MAX_ALIASES aliases or a second
 * document is refused before libyaml builds anything from it.
 */
static int prescan(struct parser *p, const unsigned char *data, size_t len)
{
	unsigned int depth = 0, aliases = 0, docs = 0;
	yaml_parser_t yp;
	yaml_event_t ev;
	int ret = 0;
	bool done = false;

	if (!yaml_parser_initialize(&yp)) {
		set_err(p->err, p->errlen, "%s: out of memory", p->file);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&yp, data, len);
	while (!ret && !done) {
		if (!yaml_parser_parse(&yp, &ev)) {
			ret = lerr(p, yp.problem_mark.line, "YAML syntax: %s",
				   yp.problem ? yp.problem : "unreadable");
			break;
		}
		if ((ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) &&
		    ++depth > SCENARIO_MAX_DEPTH)
			ret = lerr(p, ev.start_mark.line, "nesting deeper than %d levels",
				   SCENARIO_MAX_DEPTH);
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		else if (ev.type == YAML_ALIAS_EVENT && ++aliases > SCENARIO_MAX_ALIASES)
			ret = lerr(p, ev.start_mark.line, "more than %d aliases (*name)",
				   SCENARIO_MAX_ALIASES);
		/* One document: the loader would ignore a second. */
		else if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1)
			ret = lerr(p, ev.start_mark.line, "a second YAML document ('---'): a "
				   "scenario is one document");
		else if (ev.type == YAML_STREAM_END_EVENT)
			done = true;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	return ret;
}

static struct scenario *load(const char *name, const unsigned char *data, size_t len,
			     const struct scenario_limits *lim, char *err, size_t errlen)
{
	static const char *const top[] = { "units", "processes", "devices", "domains", "attach",
					   "workload", NULL };
	static const struct scenario_limits dflt = SCENARIO_LIMITS_DEFAULT;
	struct parser p = { .file = name, .lim = lim ?: &dflt, .err = err, .errlen = errlen };
	yaml_parser_t yp;
	struct scenario *sc;
	yaml_node_t *root;
	size_t bad;
	int ret;

	if (len > SCENARIO_MAX_FILE) {
		set_err(err, errlen, "%s: larger than the limit of %d KiB for a scenario file",
			 name, SCENARIO_MAX_FILE >> 10);
		return NULL;
	}
	bad = utf8_valid(data, len);
	if (bad < len) {
		size_t line = 1, i;

		for (i = 0; i < bad; i++)
			line += data[i] == '\n';
		set_err(err, errlen, "%s:%zu: not UTF-8 text (byte 0x%02x at offset %zu); "
			 "a scenario is a YAML text file", name, line, data[bad], bad);
		return NULL;
	}
	for (bad = 0; bad < len && data[bad] && strchr(" \t\r\n", data[bad]); bad++)
		;
	if (bad == len) {
		set_err(err, errlen, "%s:1: file: empty: expected units, devices, domains, "
			 "attach", name);
		return NULL;
	}
	if (prescan(&p, data, len))
		return NULL;
	sc = calloc(1, sizeof(*sc));
	if (!sc || !yaml_parser_initialize(&yp)) {
		free(sc);
		set_err(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	snprintf(sc->file, sizeof(sc->file), "%s", name);
	yaml_parser_set_input_string(&yp, data, len);
	if (!yaml_parser_load(&yp, &p.doc)) {
		lerr(&p, yp.problem_mark.line, "YAML syntax: %s",
		     yp.problem ? yp.problem : "unreadable");
		yaml_parser_delete(&yp);
		free(sc);
		return NULL;
	}
	yaml_parser_delete(&yp);
	root = yaml_document_get_root_node(&p.doc);
	if (!root)
		ret = perr(&p, NULL, "file", "empty: expected units, devices, domains, attach");
	else
		ret = check_keys(&p, root, "a scenario", top);
	ret = ret ?: parse_units(&p, root, sc);
	ret = ret ?: parse_processes(&p, root, sc);
	ret = ret ?: parse_devices(&p, root, sc);
	ret = ret ?: parse_domains(&p, root, sc);
	ret = ret ?: parse_clients(&p, root, sc);
	ret = ret ?: parse_attach(&p, root, sc);
	ret = ret ?: parse_workload(&p, root, sc);
	yaml_document_delete(&p.doc);
	if (ret) {
		free(sc);
		return NULL;
	}
	return sc;
}

struct scenario *scenario_load_buf(const char *name, const void *data, size_t len,
				   const struct scenario_limits *lim, char *err, size_t errlen)
{
	return load(name, data, len, lim, err, errlen);
}

struct scenario *scenario_load(const char *path, const struct scenario_limits *lim,
			       char *err, size_t errlen)
{
	struct scenario *sc = NULL;
	unsigned char *buf;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		set_err(err, errlen, "%s: is a directory; expected a scenario file (YAML)", path);
		close(fd);
		return NULL;
	}
	/* One byte beyond the limit tells a file that is too large. */
	buf = malloc(SCENARIO_MAX_FILE + 1);
	if (!buf) {
		set_err(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (len <= SCENARIO_MAX_FILE &&
	       (n = read(fd, buf + len, SCENARIO_MAX_FILE + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	sc = load(path, buf, len, lim, err, errlen);
out:
	free(buf);
	close(fd);
	return sc;
}

void scenario_free(struct scenario *sc)
{
	unsigned int i, j;

	if (!sc)
		return;
	/* SVA: the devices stop, then unbind, then the processes exit. */
	for (i = 0; i < sc->ndevs; i++) {
		siommu_atsdev_destroy(sc->dev[i].ats);
		for (j = 0; j < sc->nprocs; j++)
			if (sc->dev[i].sva[j])
				siommu_sva_unbind(sc->dev[i].sva[j]);
	}
	for (i = 0; i < sc->nprocs; i++)
		if (sc->proc[i].mm)
			siommu_mm_exit(sc->proc[i].mm);
	for (i = 0; i < sc->nclients; i++)
		siommu_gpu_client_remove(sc->client[i].c);
	for (i = 0; i < sc->ndevs; i++)
		siommu_gpu_destroy(sc->dev[i].gpu);
	for (i = 0; i < sc->ndevs; i++) {
		struct siommu_unit *unit = sc->unit[sc->dev[i].unit].unit;

		if (!sc->dev[i].registered)
			continue;
		if (siommu_unit_smmuv3(unit))
			siommu_smmuv3_dev_unregister(siommu_unit_smmuv3(unit), sc->dev[i].cfg.rid);
		else
			siommu_vtd_dev_unregister(siommu_unit_vtd(unit), sc->dev[i].cfg.rid);
	}
	siommu_ctx_destroy(sc->ctx);
	free(sc);
}

/* Running ----------------------------------------------------------------- */

static int rerr(struct scenario *sc, char *err, size_t errlen, int line,
		const char *field, int ret, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* A step the library refused: where, and what it refused in words. */
static int rerr(struct scenario *sc, char *err, size_t errlen, int line,
		const char *field, int ret, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(err, errlen, "%s:%d: %s: %s", sc->file, line, field, msg);
	return ret;
}

/*
 * The page group response to a device's page request (PCIe PRI), counted
 * for the workload item running for the device: @slot 0 success, 1
 * invalid request, 2 failure. Called by the unit from the driver's
 * command or invalidation queue: counts only.
 */
static void count_page_resp(struct sc_device *d, unsigned int slot)
{
	struct sc_work *w = __atomic_load_n(&d->cur, __ATOMIC_ACQUIRE);

	if (w)
		__atomic_fetch_add(&w->resp[slot], 1, __ATOMIC_RELAXED);
}

/* VT-d 7.7.1: response code 0 success, 1 invalid request, else failure. */
static void on_page_resp(void *opaque, const struct siommu_vtd_page_resp *resp)
{
	count_page_resp(opaque, resp->code == 0 ? 0 : resp->code == 1 ? 1 : 2);
}

/* SMMUv3 4.6.1 CMD_PRI_RESP: 0 invalid request, 1 failure, 2 success. */
static void on_pri_resp(void *opaque, const struct siommu_smmuv3_pri_resp *resp)
{
	count_page_resp(opaque, resp->resp == 2 ? 0 : resp->resp == 0 ? 1 : 2);
}

/* The devices in file order; unless @bare, each with what receives its page
 * responses (the device kit for a bound device, else on_page_resp()). */
static int build_devices(struct scenario *sc, bool bare, char *err, size_t errlen)
{
	static const struct siommu_vtd_dev_ops ops = { .page_resp = on_page_resp };
	static const struct siommu_smmuv3_dev_ops sops = { .pri_resp = on_pri_resp };
	unsigned int i;
	int ret;

	for (i = 0; i < sc->ndevs; i++) {
		struct sc_device *d = &sc->dev[i];
		char rid[16];

		dev_id(d, rid);
		ret = siommu_device_add(sc->unit[d->unit].unit, &d->cfg, &d->dev);
		if (ret == -EINVAL && d->cfg.isolation_key && d->cfg.alias_rid != SIOMMU_NO_ALIAS) {
			int key = -1, alias = -1;
			unsigned int k;
			char ar[16];

			/* The two groups it would join, each by its first device. */
			for (k = 0; k < i; k++) {
				if (sc->dev[k].unit != d->unit)
					continue;
				if (key < 0 && sc->dev[k].cfg.isolation_key == d->cfg.isolation_key)
					key = (int)k;
				if (alias < 0 && sc->dev[k].cfg.alias_rid == d->cfg.alias_rid)
					alias = (int)k;
			}
			rid_str((uint16_t)d->cfg.alias_rid, ar);
			return rerr(sc, err, errlen, d->line, "device", ret, "device '%s': group %u "
				    "(with '%s', line %d) and alias %s (with '%s', line %d) are two "
				    "groups, and groups never merge", d->name, d->cfg.isolation_key,
				    key >= 0 ? sc->dev[key].name : "?", key >= 0 ? sc->dev[key].line : 0,
				    ar, alias >= 0 ? sc->dev[alias].name : "?",
				    alias >= 0 ? sc->dev[alias].line : 0);
		}
		if (ret == -EOPNOTSUPP)
			return rerr(sc, err, errlen, d->line, "device", ret, "device '%s': unit "
				    "'%s' does not support ATS or PRI", d->name,
				    sc->unit[d->unit].name);
		if (ret == -ENOSPC && sc->unit[d->unit].type == UNIT_SMMUV2)
			return rerr(sc, err, errlen, d->line, "device", ret, "device '%s': unit "
				    "'%s' has no stream match register group left (smr_groups: %u)",
				    d->name, sc->unit[d->unit].name,
				    sc->unit[d->unit].v2cfg.num_smrg);
		if (ret)
			return rerr(sc, err, errlen, d->line, "device", ret, "the library refused "
				    "device '%s' at %s%s: %s", d->name, d->by_sid ? "" : "RID ", rid,
				    strerror(-ret));
		/* SMMUv2 has no page requests: nothing to receive. */
		if (bare || sc->unit[d->unit].type == UNIT_SMMUV2)
			continue;
		/* A bound device's DMA is the device kit's, callbacks and all. */
		if (d->binds) {
			const struct siommu_atsdev_cfg acfg = { .mem = siommu_ctx_mem(sc->ctx),
								.rid = d->cfg.rid };
			struct siommu_unit *unit = sc->unit[d->unit].unit;

			ret = sc->unit[d->unit].type == UNIT_SMMUV3 ?
			      siommu_atsdev_create_smmuv3(siommu_unit_smmuv3(unit), &acfg, &d->ats) :
			      siommu_atsdev_create(siommu_unit_vtd(unit), &acfg, &d->ats);
			if (ret)
				return rerr(sc, err, errlen, d->line, "bind", ret, "device '%s': "
					    "no ATS and PRI device at %s: %s", d->name, rid,
					    strerror(-ret));
			continue;
		}
		if (sc->unit[d->unit].type == UNIT_SMMUV3)
			ret = siommu_smmuv3_dev_register(siommu_unit_smmuv3(sc->unit[d->unit].unit),
							 d->cfg.rid, &sops, d);
		else
			ret = siommu_vtd_dev_register(siommu_unit_vtd(sc->unit[d->unit].unit),
						      d->cfg.rid, &ops, d);
		if (ret)
			return rerr(sc, err, errlen, d->line, "device", ret, "device '%s': could "
				    "not receive page responses at %s: %s", d->name,
				    dev_id(d, rid), strerror(-ret));
		d->registered = true;
	}
	return 0;
}

/* A mapping's prot (1 r, 2 w) as SIOMMU_PROT_* bits. */
static unsigned int mapping_prot(const struct sc_mapping *m)
{
	return (m->prot & 1 ? SIOMMU_PROT_READ : 0) | (m->prot & 2 ? SIOMMU_PROT_WRITE : 0);
}

/* Each mapping gets a buffer of its own. Pool frames come zeroed and
 * untouched: fill 0 writes (and commits) nothing. */
static int mapping_buffer(struct scenario *sc, struct sc_mapping *m, char *err, size_t errlen)
{
	struct siommu_mem *mem = siommu_ctx_mem(sc->ctx);
	char sz[24];
	int ret = siommu_mem_frame_alloc(mem, m->run, SIOMMU_MEM_DMA, &m->pa);

	if (ret)
		return rerr(sc, err, errlen, m->line, "size", ret, "no memory left for a %s "
			    "buffer in the simulated RAM", size_str(m->run, sz, sizeof(sz)));
	if (m->fill)
		memset(siommu_mem_host(mem, m->pa, m->size), m->fill, m->size);
	return 0;
}

static int build_domains(struct scenario *sc, char *err, size_t errlen)
{
	static const char *const stages[] = { "auto", "first", "second" };
	unsigned int i, j;
	int ret;

	for (i = 0; i < sc->ndoms; i++) {
		struct sc_domain *d = &sc->dom[i];

		ret = siommu_domain_alloc(sc->unit[d->unit].unit, &d->cfg, &d->dom);
		if (ret == -EOPNOTSUPP)
			return rerr(sc, err, errlen, d->line, "stage", ret, "domain '%s': unit "
				    "'%s' has no %s-stage translation", d->name,
				    sc->unit[d->unit].name, stages[d->cfg.stage]);
		if (ret)
			return rerr(sc, err, errlen, d->line, "domain", ret, "the library refused "
				    "domain '%s': %s", d->name, strerror(-ret));
		for (j = 0; j < d->nmaps; j++) {
			struct sc_mapping *m = &d->map[j];
			struct siommu_pt_cfg pc;
			char sz[24];

			ret = mapping_buffer(sc, m, err, errlen);
			if (ret)
				return ret;
			ret = siommu_domain_map(d->dom, m->iova, m->pa, m->size,
						mapping_prot(m));
			if (ret == -ERANGE || ret == -EINVAL) {
				unsigned int ias;

				siommu_pt_get_cfg(siommu_domain_pt(d->dom), &pc);
				/* x86-64 first-stage tables map the lower half. */
				ias = pc.ias - (pc.format == SIOMMU_PT_X86_64);
				return rerr(sc, err, errlen, m->line, "iova", ret, "0x%" PRIx64
					    " + %s is beyond domain '%s''s input range (%s tables "
					    "translate IOVAs below 2^%u)", m->iova,
					    size_str(m->size, sz, sizeof(sz)), d->name,
					    siommu_pt_format_name(pc.format), ias);
			}
			if (ret)
				return rerr(sc, err, errlen, m->line, "mapping", ret, "the library "
					    "refused mapping 0x%" PRIx64 "+%s: %s", m->iova,
					    size_str(m->size, sz, sizeof(sz)), strerror(-ret));
		}
	}
	return 0;
}

/*
 * The attachment an earlier line made at the place @a attaches to, or -1:
 * the same device and PASID, or for the RID the same group (the group's
 * RID traffic goes to one domain).
 */
static int attached_before(struct scenario *sc, unsigned int i)
{
	struct sc_attach *a = &sc->att[i];
	struct siommu_device *dev = sc->dev[a->device].dev;
	unsigned int k;

	for (k = 0; k < i; k++) {
		struct sc_attach *o = &sc->att[k];
		struct siommu_device *odev = sc->dev[o->device].dev;

		if (o->has_pasid != a->has_pasid)
			continue;
		if (a->has_pasid ? odev == dev && o->pasid == a->pasid :
		    siommu_device_group(odev) == siommu_device_group(dev))
			return (int)k;
	}
	return -1;
}

/* Whether domain @di has tables of @format. */
static bool dom_has_format(struct scenario *sc, int di, enum siommu_pt_format format)
{
	struct siommu_pt *pt = siommu_domain_pt(sc->dom[di].dom);
	struct siommu_pt_cfg pc;

	if (!pt)
		return false;
	siommu_pt_get_cfg(pt, &pc);
	return pc.format == format;
}

/* Whether domain @di has Arm stage-2 (SMMUv3: the STE's) tables. */
static bool dom_is_s2(struct scenario *sc, int di)
{
	return dom_has_format(sc, di, SIOMMU_PT_ARM_S2);
}

/* Whether domain @di has Arm stage-1 tables (a bank a GPU switches). */
static bool dom_is_arm_s1(struct scenario *sc, int di)
{
	return dom_has_format(sc, di, SIOMMU_PT_ARM_S1);
}

/*
 * Why an SMMUv3 unit's driver refused attachment @i (-EINVAL), where the
 * SMMUv3 rules explain it (SMMUv3 5.2: an STE translates either through a
 * CD table, stage 1, or through stage 2 alone here, and a CD holds stage-1
 * tables): into @msg, or false.
 */
static bool smmu_attach_conflict(struct scenario *sc, unsigned int i, char *msg, size_t len)
{
	struct sc_attach *a = &sc->att[i];
	struct siommu_group *g = siommu_device_group(sc->dev[a->device].dev);
	int k, rid = -1, pasid = -1;

	for (k = 0; k < (int)i; k++) {
		struct sc_attach *o = &sc->att[k];

		if (!o->has_pasid && siommu_device_group(sc->dev[o->device].dev) == g)
			rid = k;
		if (o->has_pasid && o->device == a->device && pasid < 0)
			pasid = k;
	}
	if (a->has_pasid && (dom_is_s2(sc, a->domain) ||
			     sc->dom[a->domain].cfg.type == SIOMMU_DOMAIN_IDENTITY))
		snprintf(msg, len, "on SMMUv3 a PASID takes a stage-1 domain (its CD points at "
			 "stage-1 tables), and '%s' is %s", sc->dom[a->domain].name,
			 sc->dom[a->domain].cfg.type == SIOMMU_DOMAIN_IDENTITY ? "identity" :
			 "stage 2");
	else if (a->has_pasid && rid >= 0 && dom_is_s2(sc, sc->att[rid].domain))
		snprintf(msg, len, "the RID is attached to domain '%s' at line %d, which leaves "
			 "the STE no CD table for PASIDs", sc->dom[sc->att[rid].domain].name,
			 sc->att[rid].line);
	else if (!a->has_pasid && pasid >= 0 && dom_is_s2(sc, a->domain))
		snprintf(msg, len, "domain '%s' at the RID would leave the STE no CD table, and "
			 "line %d attached a PASID", sc->dom[a->domain].name, sc->att[pasid].line);
	else
		return false;
	return true;
}

static int build_attach(struct scenario *sc, char *err, size_t errlen)
{
	unsigned int i, j;
	int ret, k;

	for (i = 0; i < sc->natts; i++) {
		struct sc_attach *a = &sc->att[i];
		struct sc_device *d = &sc->dev[a->device];
		struct siommu_domain *dom = sc->dom[a->domain].dom;
		char why[256];

		if (a->auto_pasid) {
			struct siommu_device_info info;

			ret = siommu_device_get_info(d->dev, &info);
			ret = ret ?: siommu_pasid_alloc(siommu_ctx_pasids(sc->ctx), 1,
							info.max_pasid, a->device, &a->pasid);
			if (ret)
				return rerr(sc, err, errlen, a->line, "pasid", ret, "no free PASID "
					    "left for device '%s' (1 to %u)", d->name, info.max_pasid);
		} else if (a->has_pasid) {
			ret = siommu_pasid_alloc(siommu_ctx_pasids(sc->ctx), a->pasid,
						 a->pasid, a->device, &a->pasid);
			/* Already allocated by an earlier attach: share it. */
			if (ret && ret != -ENOSPC)
				return rerr(sc, err, errlen, a->line, "pasid", ret, "the library "
					    "refused PASID %u: %s", a->pasid, strerror(-ret));
		}
		k = attached_before(sc, i);
		if (k >= 0 && !a->replace) {
			struct sc_attach *o = &sc->att[k];
			char where[64];

			if (a->has_pasid)
				snprintf(where, sizeof(where), "PASID %u%s", a->pasid,
					 o->auto_pasid ? " (from pasid: auto)" : "");
			else
				snprintf(where, sizeof(where), "the RID");
			return rerr(sc, err, errlen, a->line, "replace", -EEXIST, "device '%s': "
				    "%s is already attached to domain '%s' at line %d%s%s%s; say "
				    "'replace: true' to replace it", d->name, where,
				    sc->dom[o->domain].name, o->line,
				    o->device != a->device ? " (through device '" : "",
				    o->device != a->device ? sc->dev[o->device].name : "",
				    o->device != a->device ? "', same group)" : "");
		}
		ret = a->has_pasid ? siommu_device_attach_pasid(d->dev, a->pasid, dom) :
				     siommu_device_attach(d->dev, dom);
		if (ret == -EINVAL && sc->unit[d->unit].type == UNIT_SMMUV3 &&
		    smmu_attach_conflict(sc, i, why, sizeof(why)))
			return rerr(sc, err, errlen, a->line, "domain", ret, "device '%s': %s",
				    d->name, why);
		if (ret == -EINVAL)
			return rerr(sc, err, errlen, a->line, "domain", ret, "domain '%s' cannot "
				    "translate for device '%s' (its unit '%s' lacks the domain's "
				    "table format or width)", sc->dom[a->domain].name, d->name,
				    sc->unit[d->unit].name);
		if (ret == -ENOSPC && sc->unit[d->unit].type == UNIT_SMMUV2)
			return rerr(sc, err, errlen, a->line, "domain", ret, "domain '%s' needs a "
				    "context bank of unit '%s', and all %u are taken (banks)",
				    sc->dom[a->domain].name, sc->unit[d->unit].name,
				    sc->unit[d->unit].v2cfg.num_cb);
		if (ret)
			return rerr(sc, err, errlen, a->line, "attach", ret, "the library refused "
				    "to attach domain '%s' to device '%s': %s",
				    sc->dom[a->domain].name, d->name, strerror(-ret));
	}
	/* Resolve PASID names in the workload. */
	for (i = 0; i < sc->nwork; i++)
		for (j = 0; sc->work[i].pasid_name[0] && j < sc->natts; j++)
			if (!strcmp(sc->att[j].as, sc->work[i].pasid_name))
				sc->work[i].pasid = sc->att[j].pasid;
	return 0;
}

/*
 * GPUs and their clients, once attachments are made (on SMMUv2 the GPU's
 * RID must have its own stage-1 domain, whose bank the clients' tables
 * are switched into): a private PASID per client, its mappings.
 */
static int build_gpus(struct scenario *sc, char *err, size_t errlen)
{
	unsigned int i, j;
	int ret;

	for (i = 0; i < sc->ndevs; i++) {
		struct sc_device *d = &sc->dev[i];
		bool own = false;

		if (!d->is_gpu)
			continue;
		/* The last attachment at its RID is the GPU's own domain. */
		for (j = 0; j < sc->natts; j++)
			if (sc->att[j].device == (int)i && !sc->att[j].has_pasid)
				own = dom_is_arm_s1(sc, sc->att[j].domain);
		if (sc->unit[d->unit].type == UNIT_SMMUV2 && !own)
			return rerr(sc, err, errlen, d->line, "kind", -EINVAL, "GPU '%s' is behind "
				    "SMMUv2 unit '%s': its clients' tables are switched into the "
				    "context bank of its own domain, so attach a stage-1 paging "
				    "domain to its RID", d->name, sc->unit[d->unit].name);
		ret = siommu_gpu_create(d->dev, &d->gpu);
		if (ret)
			return rerr(sc, err, errlen, d->line, "kind", ret, "the library refused "
				    "a GPU on device '%s': %s", d->name, ret == -EOPNOTSUPP ?
				    "it can have no PASIDs" : strerror(-ret));
	}
	for (i = 0; i < sc->nclients; i++) {
		struct sc_client *c = &sc->client[i];

		ret = siommu_gpu_client_add(sc->dev[c->device].gpu, c->owner, &c->c);
		if (ret)
			return rerr(sc, err, errlen, c->line, "client", ret, "no private PASID "
				    "for client '%s': %s", c->name, strerror(-ret));
		for (j = 0; j < c->space.nmaps; j++) {
			struct sc_mapping *m = &c->space.map[j];
			char sz[24];

			ret = mapping_buffer(sc, m, err, errlen);
			if (ret)
				return ret;
			ret = siommu_gpu_client_map(c->c, m->iova, m->pa, m->size,
						    mapping_prot(m));
			if (ret)
				return rerr(sc, err, errlen, m->line, "mapping", ret, "the library "
					    "refused client '%s''s mapping 0x%" PRIx64 "+%s: %s",
					    c->name, m->iova, size_str(m->size, sz, sizeof(sz)),
					    strerror(-ret));
		}
	}
	return 0;
}

/* Processes, their mappings (filled by the CPU where asked), and binds. */
static int build_processes(struct scenario *sc, char *err, size_t errlen)
{
	static uint8_t page[SIOMMU_SZ_4K];
	unsigned int i, j;
	uint64_t off;
	int ret;

	for (i = 0; i < sc->nprocs; i++) {
		struct sc_process *pr = &sc->proc[i];

		/* The CPU the file names, else the one its binds' units walk. */
		int cpu = pr->cpu >= 0 ? pr->cpu : pr->bind_dev < 0 ? SIOMMU_MM_CPU_X86_64 :
			  unit_cpu(sc->unit[sc->dev[pr->bind_dev].unit].type);

		ret = siommu_mm_create(sc->ctx, &(struct siommu_mm_cfg){ .owner = pr->owner,
				       .cpu = (enum siommu_mm_cpu)cpu }, &pr->mm);
		if (ret)
			return rerr(sc, err, errlen, pr->line, "process", ret, "the library "
				    "refused process '%s': %s", pr->name, strerror(-ret));
		for (j = 0; j < pr->nvmas; j++) {
			struct sc_vma *v = &pr->vma[j];

			ret = siommu_mm_mmap(pr->mm, v->addr, v->size, v->prot, NULL);
			if (ret)
				return rerr(sc, err, errlen, v->line, "addr", ret, "the library "
					    "refused mapping 0x%" PRIx64 " in process '%s': %s",
					    v->addr, pr->name, strerror(-ret));
			memset(page, v->fill, sizeof(page));
			for (off = 0; v->fill && off < v->size; off += sizeof(page)) {
				ret = siommu_mm_write(pr->mm, v->addr + off, page, sizeof(page));
				if (ret)
					return rerr(sc, err, errlen, v->line, "fill", ret, "no "
						    "memory left to fill 0x%" PRIx64 " in process "
						    "'%s'", v->addr + off, pr->name);
			}
		}
	}
	for (i = 0; i < sc->ndevs; i++) {
		struct sc_device *d = &sc->dev[i];

		for (j = 0; j < sc->nprocs; j++) {
			if (!(d->binds & (1ull << j)))
				continue;
			ret = siommu_sva_bind(d->dev, sc->proc[j].mm, &d->sva[j]);
			if (ret == -ERANGE || ret == -ENOSPC)
				return rerr(sc, err, errlen, d->line, "bind", ret, "device '%s' "
					    "cannot take process '%s': %s within its %u-bit PASID "
					    "width", d->name, sc->proc[j].name, ret == -ERANGE ?
					    "the process's PASID (from an earlier bind) is not" :
					    "no free PASID is left", d->cfg.pasid_bits);
			if (ret)
				return rerr(sc, err, errlen, d->line, "bind", ret, "the library "
					    "refused to bind device '%s' to process '%s': %s",
					    d->name, sc->proc[j].name, strerror(-ret));
			sc->proc[j].pasid = siommu_sva_pasid(d->sva[j]);
		}
	}
	return 0;
}

/* The context and its units. */
static int build_units(struct scenario *sc, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	ret = siommu_ctx_create(NULL, &sc->ctx);
	if (ret)
		return rerr(sc, err, errlen, 1, "context", ret, "%s", strerror(-ret));
	for (i = 0; i < sc->nunits; i++) {
		struct sc_unit *u = &sc->unit[i];

		ret = u->type == UNIT_SMMUV3 ? siommu_unit_add_smmuv3(sc->ctx, &u->scfg, &u->unit) :
		      u->type == UNIT_SMMUV2 ? siommu_unit_add_smmuv2(sc->ctx, &u->v2cfg, &u->unit) :
					       siommu_unit_add_vtd(sc->ctx, &u->cfg, &u->unit);
		if (ret)
			return rerr(sc, err, errlen, sc->unit[i].line, "unit", ret, "the library "
				    "refused unit '%s': %s", sc->unit[i].name, strerror(-ret));
	}
	return 0;
}

int scenario_build_machine(struct scenario *sc, char *err, size_t errlen)
{
	int ret;

	if (sc->ctx)
		return rerr(sc, err, errlen, 1, "context", -EALREADY, "built already");
	ret = build_units(sc, err, errlen);
	return ret ?: build_devices(sc, true, err, errlen);
}

struct siommu_ctx *scenario_ctx(struct scenario *sc)
{
	return sc->ctx;
}

unsigned int scenario_num_devices(const struct scenario *sc)
{
	return sc->ndevs;
}

int scenario_device(struct scenario *sc, unsigned int i, struct scenario_device *out)
{
	const struct sc_device *d;

	if (i >= sc->ndevs || !sc->dev[i].dev)
		return -ENOENT;
	d = &sc->dev[i];
	*out = (struct scenario_device){
		.name = d->name, .line = d->line, .dev = d->dev,
		.unit = sc->unit[d->unit].unit, .unit_name = sc->unit[d->unit].name,
	};
	return 0;
}

static int build(struct scenario *sc, char *err, size_t errlen)
{
	unsigned int i;
	int ret;

	ret = build_units(sc, err, errlen);
	ret = ret ?: build_devices(sc, false, err, errlen);
	ret = ret ?: build_domains(sc, err, errlen);
	ret = ret ?: build_attach(sc, err, errlen);
	ret = ret ?: build_gpus(sc, err, errlen);
	ret = ret ?: build_processes(sc, err, errlen);
	/* A client's jobs carry its private PASID (on VT-d, on the wire), a
	 * process's DMA its PASID. */
	for (i = 0; !ret && i < sc->nwork; i++) {
		if (sc->work[i].client >= 0) {
			sc->work[i].has_pasid = true;
			sc->work[i].pasid = siommu_gpu_client_pasid(sc->client[sc->work[i].client].c);
		}
		if (sc->work[i].process >= 0) {
			sc->work[i].has_pasid = true;
			sc->work[i].pasid = sc->proc[sc->work[i].process].pasid;
		}
	}
	return ret;
}

struct worker {
	struct scenario *sc;
	struct sc_work *w;
	struct siommu_vtd *vtd;		/* the device's unit: one of the three */
	struct siommu_smmuv3 *smmu;
	struct siommu_smmuv2 *v2;
	const struct scenario_run_opts *o;
	pthread_t thread;
	int err;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Whether the run must stop now: asked to (Ctrl-C), or out of time. */
static int should_stop(struct scenario *sc, const struct scenario_run_opts *o)
{
	int stopped = __atomic_load_n(&sc->stopped, __ATOMIC_RELAXED);

	if (stopped)
		return stopped;
	if (o->stop && __atomic_load_n(o->stop, __ATOMIC_RELAXED))
		stopped = -EINTR;
	else if (o->deadline_ns && now_ns() >= o->deadline_ns)
		stopped = -ETIMEDOUT;
	if (stopped)
		__atomic_store_n(&sc->stopped, stopped, __ATOMIC_RELAXED);
	return stopped;
}

/*
 * One request of a workload item through a VT-d unit. Returns 0 (done),
 * -EACCES (an ATS translation without the access asked), or another
 * negative errno with *reason set to the fault reason (VT-d 7.1.3). A
 * page request that the unit could not take (its queue full) or refused
 * counts as a fault; its answer arrives at on_page_resp().
 */
static int vtd_one(struct worker *wk, struct sc_work *w, uint16_t rid, uint64_t iova,
		   uint8_t *buf, uint64_t i, size_t *done, uint32_t *reason)
{
	struct siommu_vtd_req req = {
		.rid = rid, .pasid_present = w->has_pasid, .pasid = w->pasid, .iova = iova,
	};
	struct siommu_vtd_xlate res = { 0 };
	struct siommu_vtd_page_req pr;
	int ret;

	switch (w->op) {
	case OP_WRITE:
		ret = siommu_vtd_dma_write(wk->vtd, &req, buf, w->size, done, &res);
		break;
	case OP_ATS:
		req.access = w->access;
		req.len = 1;
		ret = siommu_vtd_ats_translate(wk->vtd, &req, &res);
		if (!ret && (res.perm & w->access) != w->access)
			ret = -EACCES;
		break;
	case OP_PRQ:
		pr = (struct siommu_vtd_page_req){
			.rid = rid, .pasid_present = w->has_pasid, .pasid = w->pasid,
			.addr = iova, .access = w->access, .prgi = (uint16_t)(i & 0x1ff),
			.last = true,
		};
		return siommu_vtd_page_request(wk->vtd, &pr);
	default:
		ret = siommu_vtd_dma_read(wk->vtd, &req, buf, w->size, done, &res);
		break;
	}
	*reason = res.fault_reason;
	return ret;
}

/* The same through an SMMUv3 unit: the RID is the StreamID, the PASID the
 * SubstreamID, and *reason the event number (SMMUv3 7.3). */
static int smmuv3_one(struct worker *wk, struct sc_work *w, uint16_t sid, uint64_t iova,
		      uint8_t *buf, uint64_t i, size_t *done, uint32_t *reason)
{
	struct siommu_smmuv3_req req = {
		.sid = sid, .ssv = w->has_pasid, .ssid = w->pasid, .iova = iova,
	};
	struct siommu_smmuv3_xlate res = { 0 };
	struct siommu_smmuv3_page_req pr;
	int ret;

	switch (w->op) {
	case OP_WRITE:
		ret = siommu_smmuv3_dma_write(wk->smmu, &req, buf, w->size, done, &res);
		break;
	case OP_ATS:
		req.access = w->access;
		req.len = 1;
		ret = siommu_smmuv3_ats_translate(wk->smmu, &req, &res);
		if (!ret && (res.perm & w->access) != w->access)
			ret = -EACCES;
		break;
	case OP_PRQ:
		pr = (struct siommu_smmuv3_page_req){
			.sid = sid, .ssv = w->has_pasid, .ssid = w->pasid, .addr = iova,
			.access = w->access, .prgi = (uint16_t)(i & 0x1ff), .last = true,
		};
		return siommu_smmuv3_page_request(wk->smmu, &pr);
	default:
		ret = siommu_smmuv3_dma_read(wk->smmu, &req, buf, w->size, done, &res);
		break;
	}
	*reason = res.event;
	return ret;
}

/*
 * SMMUv2 faults as reports count them: a context fault by its FSR bit's
 * number (SMMUv2 10.6.3: 1 TF, 2 AFF, 3 PF, 4 EF, 7 ASF), a global fault
 * by SMMUV2_GLOBAL plus its sGFSR bit's (10.6.15: 0 ICF, 1 USF, 2 SMCF);
 * 0 for an output that is not RAM (no record).
 */
#define SMMUV2_GLOBAL 0x20

static uint32_t smmuv2_reason(const struct siommu_smmuv2_xlate *res)
{
	uint32_t bits = res->fsr & ~(SIOMMU_SMMUV2_FSR_MULTI | SIOMMU_SMMUV2_FSR_SS);

	if (!bits)
		return 0;
	return (res->global ? SMMUV2_GLOBAL : 0) + (uint32_t)__builtin_ctz(bits);
}

/* The same through an SMMUv2 unit: the RID is the StreamID, no PASID. */
static int smmuv2_one(struct worker *wk, struct sc_work *w, uint16_t sid, uint64_t iova,
		      uint8_t *buf, size_t *done, uint32_t *reason)
{
	struct siommu_smmuv2_req req = { .sid = sid, .iova = iova };
	struct siommu_smmuv2_xlate res = { 0 };
	int ret;

	if (w->op == OP_WRITE)
		ret = siommu_smmuv2_dma_write(wk->v2, &req, buf, w->size, done, &res);
	else
		ret = siommu_smmuv2_dma_read(wk->v2, &req, buf, w->size, done, &res);
	*reason = ret ? smmuv2_reason(&res) : 0;
	return ret;
}

/*
 * A GPU job of a client: the command processor runs it in the client's
 * space; a job that faults hangs the GPU, which the driver recovers at
 * once. *reason as the device's unit names faults (SMMUv2 by its FSR or
 * sGFSR bit, as smmuv2_reason()).
 */
static int gpu_one(struct worker *wk, struct sc_work *w, uint64_t iova, uint8_t *buf,
		   size_t *done, uint32_t *reason)
{
	struct sc_client *c = &wk->sc->client[w->client];
	struct siommu_gpu_job job = w->op == OP_WRITE ?
		(struct siommu_gpu_job){ .op = SIOMMU_GPU_WRITE, .dst = iova, .data = buf } :
		(struct siommu_gpu_job){ .op = SIOMMU_GPU_READ, .src = iova, .out = buf };
	struct siommu_gpu_fault f = { 0 };
	int ret;

	job.len = w->size;
	ret = siommu_gpu_submit(c->c, &job, &f);
	if (!ret) {
		*done = w->size;
		return 0;
	}
	if (ret == -EFAULT)
		siommu_gpu_recover(wk->sc->dev[w->device].gpu);
	*reason = f.reason;
	if (wk->v2)
		*reason = smmuv2_reason(&(struct siommu_smmuv2_xlate){
			.fsr = f.reason & ~SIOMMU_SMMUV2_FAULT_GLOBAL,
			.global = f.reason & SIOMMU_SMMUV2_FAULT_GLOBAL });
	return ret;
}

/*
 * DMA in a bound process's space through the device kit: translated by
 * ATS with the process's PASID, pages faulted in by page requests. A DMA
 * that a page response ended counts by the response's code.
 */
static int process_one(struct worker *wk, struct sc_work *w, uint64_t addr, uint8_t *buf,
		       size_t *done)
{
	struct siommu_atsdev_req req = {
		.pasid_present = true, .pasid = w->pasid, .addr = addr, .write = w->op == OP_WRITE,
	};
	struct siommu_atsdev_result res = { 0 };
	int ret = siommu_atsdev_dma(wk->sc->dev[w->device].ats, &req, buf, w->size, &res);

	*done = res.done;
	if (ret == -EFAULT)
		__atomic_fetch_add(&w->resp[res.resp_code == 1 ? 1 : 2], 1, __ATOMIC_RELAXED);
	return ret;
}

static void *work_fn(void *arg)
{
	struct worker *wk = arg;
	struct sc_work *w = wk->w;
	uint16_t rid = wk->sc->dev[w->device].cfg.rid;
	uint8_t *buf = calloc(1, w->size);
	uint64_t i, off = 0, dmas = 0, bytes = 0, faults = 0, bad = 0, denied = 0;

	if (!buf) {
		wk->err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < w->count; i++) {
		uint32_t reason = 0;
		size_t done = 0;
		int ret;

		if ((i & 255) == 0 && i && should_stop(wk->sc, wk->o))
			break;
		if (w->process >= 0)
			ret = process_one(wk, w, w->iova + off, buf, &done);
		else if (w->client >= 0)
			ret = gpu_one(wk, w, w->iova + off, buf, &done, &reason);
		else if (wk->v2)
			ret = smmuv2_one(wk, w, rid, w->iova + off, buf, &done, &reason);
		else if (wk->smmu)
			ret = smmuv3_one(wk, w, rid, w->iova + off, buf, i, &done, &reason);
		else
			ret = vtd_one(wk, w, rid, w->iova + off, buf, i, &done, &reason);
		dmas++;
		bytes += done;
		if (ret == -EACCES) {
			denied++;
		} else if (ret) {
			faults++;
			/* A refused page request's reason is in its response. */
			if (w->op != OP_PRQ && w->process < 0)
				__atomic_fetch_add(&w->by_reason[reason & 0xff], 1,
						   __ATOMIC_RELAXED);
		}
		if ((w->expect == EXPECT_OK && ret) || (w->expect == EXPECT_FAULT && !ret))
			bad++;
		if (w->stride && w->span)
			off = (off + w->stride) % w->span;
		if ((i & 1023) == 1023)
			__atomic_fetch_add(&wk->sc->done_ops, 1024, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&wk->sc->done_ops, dmas & 1023, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->dmas, dmas, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->bytes, bytes, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->faults, faults, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->unexpected, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->denied, denied, __ATOMIC_RELAXED);
	free(buf);
	return NULL;
}

static void progress_bar(struct scenario *sc, bool last)
{
	uint64_t done = __atomic_load_n(&sc->done_ops, __ATOMIC_RELAXED);
	unsigned int pct = sc->total_ops ? (unsigned int)(done * 100 / sc->total_ops) : 100;
	char bar[41];

	memset(bar, '#', pct * 40 / 100);
	memset(bar + pct * 40 / 100, '.', 40 - pct * 40 / 100);
	bar[40] = 0;
	fprintf(stderr, "\r[%s] %3u%% %" PRIu64 "/%" PRIu64 " DMAs%s", bar, pct, done,
		sc->total_ops, last ? "\n" : "");
}

/*
 * A process's own operation, between DMA items: once it returns, every
 * device bound to the process has forgotten what it removed or downgraded.
 * reclaim and migrate take each populated page of the range (pages never
 * touched, or swapped out already, have nothing to take).
 */
static int run_process_op(struct scenario *sc, struct sc_work *w, char *err, size_t errlen)
{
	struct sc_process *pr = &sc->proc[w->process];
	struct siommu_mm_info before, after;
	const char *what = op_names[w->op];
	uint64_t a;
	char sz[24];
	int ret = 0;

	siommu_mm_get_info(pr->mm, &before);
	switch (w->op) {
	case OP_MUNMAP:
		ret = siommu_mm_munmap(pr->mm, w->iova, w->size);
		break;
	case OP_MPROTECT:
		ret = siommu_mm_mprotect(pr->mm, w->iova, w->size, w->prot);
		break;
	default:
		for (a = w->iova; !ret && a < w->iova + w->size; a += SIOMMU_SZ_4K) {
			ret = w->op == OP_RECLAIM ? siommu_mm_reclaim(pr->mm, a) :
						    siommu_mm_migrate(pr->mm, a);
			if (!ret)
				w->pages++;
			else if (ret == -ENOENT)
				ret = 0;
		}
		break;
	}
	if (ret)
		return rerr(sc, err, errlen, w->line, ret == -EFAULT ? "addr" : "op", ret,
			    "process '%s' refused %s of 0x%" PRIx64 "+%s: %s%s", pr->name, what,
			    w->iova, size_str(w->size, sz, sizeof(sz)), strerror(-ret),
			    ret == -EFAULT ? " (part of the range is not mapped)" : "");
	siommu_mm_get_info(pr->mm, &after);
	if (w->op == OP_MUNMAP)
		w->pages = before.resident - after.resident;
	else if (w->op == OP_MPROTECT)
		w->pages = after.swapped - before.swapped;
	return 0;
}

int scenario_run(struct scenario *sc, const struct scenario_run_opts *o, char *err,
		 size_t errlen)
{
	unsigned int i, t;
	int ret = build(sc, err, errlen);

	for (i = 0; !ret && i < sc->nwork && !should_stop(sc, o); i++) {
		struct sc_work *w = &sc->work[i];
		struct worker wk[SCENARIO_MAX_THREADS];
		uint64_t target = 0;
		unsigned int k;

		if (OP_IS_PROCESS(w->op)) {
			ret = run_process_op(sc, w, err, errlen);
			continue;
		}
		__atomic_store_n(&sc->dev[w->device].cur, w, __ATOMIC_RELEASE);
		for (t = 0; t < w->threads; t++) {
			struct siommu_unit *unit = sc->unit[sc->dev[w->device].unit].unit;

			wk[t] = (struct worker){ .sc = sc, .w = w, .o = o,
				.vtd = siommu_unit_vtd(unit), .smmu = siommu_unit_smmuv3(unit),
				.v2 = siommu_unit_smmuv2(unit) };
			if (pthread_create(&wk[t].thread, NULL, work_fn, &wk[t])) {
				ret = rerr(sc, err, errlen, w->line, "threads", -EAGAIN,
					   "could not start workload thread %u", t + 1);
				break;
			}
		}
		for (k = 0; k <= i; k++)
			target += sc->work[k].count * sc->work[k].threads;
		/* Watch for Ctrl-C and the deadline every 10 ms while the threads
		 * run; redraw the bar every 100 ms. */
		for (k = 0; t == w->threads &&
		     __atomic_load_n(&sc->done_ops, __ATOMIC_RELAXED) < target &&
		     !should_stop(sc, o); k++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			if (o->progress && k % 10 == 0)
				progress_bar(sc, false);
			nanosleep(&ts, NULL);
		}
		while (t--) {
			pthread_join(wk[t].thread, NULL);
			if (!ret && wk[t].err)
				ret = rerr(sc, err, errlen, w->line, "size", wk[t].err,
					   "no memory for a %" PRIu64 "-byte DMA buffer", w->size);
		}
		__atomic_store_n(&sc->dev[w->device].cur, NULL, __ATOMIC_RELEASE);
	}
	if (o->progress)
		progress_bar(sc, true);
	return ret ?: sc->stopped;
}

/* Reporting --------------------------------------------------------------- */

static const char *const resp_names[] = { "success", "invalid_request", "failure" };

const char *scenario_smmuv3_event_name(unsigned int event)
{
	switch (event) {
	case SIOMMU_SMMUV3_EVT_NONE: return "no_event";
	case SIOMMU_SMMUV3_F_UUT: return "F_UUT";
	case SIOMMU_SMMUV3_C_BAD_STREAMID: return "C_BAD_STREAMID";
	case SIOMMU_SMMUV3_F_STE_FETCH: return "F_STE_FETCH";
	case SIOMMU_SMMUV3_C_BAD_STE: return "C_BAD_STE";
	case SIOMMU_SMMUV3_F_BAD_ATS_TREQ: return "F_BAD_ATS_TREQ";
	case SIOMMU_SMMUV3_F_STREAM_DISABLED: return "F_STREAM_DISABLED";
	case SIOMMU_SMMUV3_F_TRANSL_FORBIDDEN: return "F_TRANSL_FORBIDDEN";
	case SIOMMU_SMMUV3_C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
	case SIOMMU_SMMUV3_F_CD_FETCH: return "F_CD_FETCH";
	case SIOMMU_SMMUV3_C_BAD_CD: return "C_BAD_CD";
	case SIOMMU_SMMUV3_F_WALK_EABT: return "F_WALK_EABT";
	case SIOMMU_SMMUV3_F_TRANSLATION: return "F_TRANSLATION";
	case SIOMMU_SMMUV3_F_ADDR_SIZE: return "F_ADDR_SIZE";
	case SIOMMU_SMMUV3_F_ACCESS: return "F_ACCESS";
	case SIOMMU_SMMUV3_F_PERMISSION: return "F_PERMISSION";
	case SIOMMU_SMMUV3_F_TLB_CONFLICT: return "F_TLB_CONFLICT";
	case SIOMMU_SMMUV3_F_CFG_CONFLICT: return "F_CFG_CONFLICT";
	case SIOMMU_SMMUV3_E_PAGE_REQUEST: return "E_PAGE_REQUEST";
	default: return NULL;
	}
}

/* An SMMUv2 fault as counted (smmuv2_reason()), by its register bit's
 * name; NULL for a number it does not name. */
static const char *smmuv2_fault_name(unsigned int r)
{
	static const char *const fsr[8] = { NULL, "TF", "AFF", "PF", "EF", "TLBMCF", "TLBLKF",
					    "ASF" };
	static const char *const gfsr[3] = { "ICF", "USF", "SMCF" };

	if (r == 0)
		return "no_fault";
	if (r < 8)
		return fsr[r];
	if (r >= SMMUV2_GLOBAL && r < SMMUV2_GLOBAL + 3)
		return gfsr[r - SMMUV2_GLOBAL];
	return NULL;
}

/* Reason @r of a fault on @unit as reports name it: VT-d's code "0x71",
 * SMMUv3's event "F_TRANSLATION", SMMUv2's FSR or sGFSR bit "TF" (its
 * number where it has no name). */
static const char *reason_str(const struct sc_unit *unit, unsigned int r, char *s, size_t len)
{
	const char *name = unit->type == UNIT_SMMUV3 ? scenario_smmuv3_event_name(r) :
			   unit->type == UNIT_SMMUV2 ? smmuv2_fault_name(r) : NULL;

	if (name)
		snprintf(s, len, "%s", name);
	else
		snprintf(s, len, "0x%02x", r);
	return s;
}

/* The faults of @w by reason, "0x06:12 0x30:4" (VT-d) or
 * "F_TRANSLATION:12" (SMMUv3); then ATS denials and page responses by code
 * where there are any (text). */
static void reasons_text(struct scenario *sc, const struct sc_work *w, char *s, size_t len)
{
	const struct sc_unit *unit = &sc->unit[sc->dev[w->device].unit];
	unsigned int r;
	size_t l = 0;
	char name[24];

	s[0] = 0;
	for (r = 0; r < 256 && l < len; r++)
		if (w->by_reason[r])
			l += snprintf(s + l, len - l, "%s%s:%" PRIu64, l ? " " : "",
				      reason_str(unit, r, name, sizeof(name)), w->by_reason[r]);
	if (w->denied && l < len)
		l += snprintf(s + l, len - l, "%sdenied:%" PRIu64, l ? " " : "", w->denied);
	for (r = 0; r < 3 && l < len; r++)
		if (w->resp[r])
			l += snprintf(s + l, len - l, "%sresponse %s:%" PRIu64, l ? " " : "",
				      resp_names[r], w->resp[r]);
}

/* A unit's figures after a run, for both reports: the IOTLB (VT-d) or
 * TLB (SMMUv3), the faults the unit saw, and the driver's queue figures
 * (invalidation descriptors and waits; on SMMUv3 commands and CMD_SYNCs). */
struct unit_figures {
	uint64_t tlb_hit, tlb_miss, faults;
	struct siommu_unit_stats us;
	double hit_rate;	/* percent */
	uint64_t pt_pages;	/* of the whole context */
};

static void unit_figures(struct scenario *sc, unsigned int i, struct unit_figures *f)
{
	struct siommu_smmuv3 *smmu = siommu_unit_smmuv3(sc->unit[i].unit);
	struct siommu_smmuv2 *v2 = siommu_unit_smmuv2(sc->unit[i].unit);
	struct siommu_mem_stats ms;

	if (v2) {
		struct siommu_smmuv2_stats vs;

		siommu_smmuv2_get_stats(v2, &vs);
		f->tlb_hit = vs.tlb_hit;
		f->tlb_miss = vs.tlb_miss;
		f->faults = vs.faults;
	} else if (smmu) {
		struct siommu_smmuv3_stats ss;

		siommu_smmuv3_get_stats(smmu, &ss);
		f->tlb_hit = ss.tlb_hit;
		f->tlb_miss = ss.tlb_miss;
		f->faults = ss.faults;
	} else {
		struct siommu_vtd_stats vs;

		siommu_vtd_get_stats(siommu_unit_vtd(sc->unit[i].unit), &vs);
		f->tlb_hit = vs.iotlb_hit;
		f->tlb_miss = vs.iotlb_miss;
		f->faults = vs.faults;
	}
	siommu_unit_get_stats(sc->unit[i].unit, &f->us);
	siommu_mem_get_stats(siommu_ctx_mem(sc->ctx), &ms);
	f->hit_rate = f->tlb_hit + f->tlb_miss ?
		      100.0 * f->tlb_hit / (f->tlb_hit + f->tlb_miss) : 0;
	f->pt_pages = ms.in_use[SIOMMU_MEM_PT] >> 12;
}

static void report_text(struct scenario *sc, FILE *out)
{
	unsigned int i;

	fprintf(out, "%-10s %-8s %-6s %-13s %10s %12s %8s %6s  %s\n", "device", "RID",
		"PASID", "op", "DMAs", "bytes", "faults", "unexp", "faults by reason");
	for (i = 0; i < sc->nwork; i++) {
		struct sc_work *w = &sc->work[i];
		char rid[24], pasid[16] = "-", reasons[256];

		if (OP_IS_PROCESS(w->op)) {
			/* The process, its range for bytes, and what it did. */
			if (sc->proc[w->process].pasid)
				snprintf(pasid, sizeof(pasid), "%u", sc->proc[w->process].pasid);
			if (w->op == OP_MPROTECT)
				snprintf(reasons, sizeof(reasons), "prot %s, %" PRIu64 " pages to swap",
					 prot_names[(w->prot & SIOMMU_PROT_READ ? 1 : 0) |
						    (w->prot & SIOMMU_PROT_WRITE ? 2 : 0)], w->pages);
			else
				snprintf(reasons, sizeof(reasons), "%" PRIu64 " pages %s", w->pages,
					 w->op == OP_MUNMAP ? "freed" : w->op == OP_RECLAIM ?
					 "to swap" : "moved");
			fprintf(out, "%-10s %-8s %-6s %-13s %10s %12" PRIu64 " %8s %6s  0x%" PRIx64
				": %s\n", SHOW(sc->proc[w->process].name), "-", pasid,
				op_names[w->op], "-", w->size, "-", "-", w->iova, reasons);
			continue;
		}
		dev_id(&sc->dev[w->device], rid);
		if (w->has_pasid)
			snprintf(pasid, sizeof(pasid), "%u", w->pasid);
		reasons_text(sc, w, reasons, sizeof(reasons));
		/* A GPU job: the device, then its client. */
		if (w->client >= 0)
			fprintf(out, "%s/", SHOW(sc->dev[w->device].name));
		fprintf(out, "%-*s %-8s %-6s %-13s %10" PRIu64 " %12" PRIu64 " %8" PRIu64
			" %6" PRIu64 "  %s\n", w->client >= 0 ? 9 - (int)strlen(sc->dev[
			w->device].name) : 10, w->client >= 0 ? SHOW(sc->client[w->client].name) :
			SHOW(sc->dev[w->device].name), rid, pasid,
			op_names[w->op], w->dmas, w->bytes, w->faults,
			w->unexpected, reasons[0] ? reasons : "-");
	}
	fprintf(out, "\n%-10s %10s %10s %8s %12s %8s %10s\n", "unit", "IOTLB hits",
		"misses", "hit %", "inv descs", "waits", "PT pages");
	for (i = 0; i < sc->nunits; i++) {
		struct unit_figures f;

		unit_figures(sc, i, &f);
		fprintf(out, "%-10s %10" PRIu64 " %10" PRIu64 " %7.1f%% %12" PRIu64 " %8" PRIu64
			" %10" PRIu64 "\n", SHOW(sc->unit[i].name), f.tlb_hit, f.tlb_miss,
			f.hit_rate, f.us.inv_descriptors, f.us.inv_waits, f.pt_pages);
	}
	if (sc->nprocs)
		fprintf(out, "\n%-10s %6s %10s %10s %10s %8s\n", "process", "PASID", "resident",
			"swapped", "faulted in", "refused");
	for (i = 0; i < sc->nprocs; i++) {
		struct siommu_mm_info mi = { 0 };
		char pasid[12] = "-";

		if (sc->proc[i].mm)
			siommu_mm_get_info(sc->proc[i].mm, &mi);
		if (mi.pasid)
			snprintf(pasid, sizeof(pasid), "%u", mi.pasid);
		fprintf(out, "%-10s %6s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64 "\n",
			SHOW(sc->proc[i].name), pasid, mi.resident, mi.swapped, mi.faults,
			mi.faults_refused);
	}
}

/*
 * @s as a JSON string: a path from the command line need not be UTF-8, and
 * JSON text must be; bytes that break it are replaced by U+FFFD.
 */
static json_t *json_text(const char *s)
{
	size_t len = strlen(s), i = 0, o = 0;
	json_t *j;
	char *t;

	if (utf8_valid((const unsigned char *)s, len) == len)
		return json_string(s);
	t = malloc(len * 3 + 1);
	if (!t)
		return NULL;
	while (i < len) {
		size_t ok = utf8_valid((const unsigned char *)s + i, len - i);

		memcpy(t + o, s + i, ok);
		o += ok;
		i += ok;
		if (i < len) {
			memcpy(t + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	t[o] = 0;
	j = json_string(t);
	free(t);
	return j;
}

/*
 * The same as one JSON document, built with jansson so that every name and
 * path is escaped as JSON requires. Returns 0, or -ENOMEM.
 */
static int report_json(struct scenario *sc, FILE *out)
{
	json_t *doc = json_object(), *works = json_array(), *units = json_array();
	unsigned int i, r;
	int ret = -ENOMEM;

	if (!doc || !works || !units ||
	    json_object_set_new(doc, "scenario", json_text(sc->file)) ||
	    json_object_set(doc, "workload", works) || json_object_set(doc, "units", units))
		goto out;
	for (i = 0; i < sc->nwork; i++) {
		struct sc_work *w = &sc->work[i];
		json_t *reasons, *item;
		char rid[24];

		if (OP_IS_PROCESS(w->op)) {
			const struct sc_process *pr = &sc->proc[w->process];

			item = json_pack("{s:s, s:o, s:s, s:I, s:I, s:I}", "process", pr->name,
					 "pasid", pr->pasid ? json_integer(pr->pasid) : json_null(),
					 "op", op_names[w->op], "addr", (json_int_t)w->iova,
					 "size", (json_int_t)w->size, "pages", (json_int_t)w->pages);
			if (item && w->op == OP_MPROTECT &&
			    json_object_set_new(item, "prot", json_string(prot_names[
					(w->prot & SIOMMU_PROT_READ ? 1 : 0) |
					(w->prot & SIOMMU_PROT_WRITE ? 2 : 0)])))
				goto out_item;
			if (json_array_append_new(works, item))
				goto out;
			continue;
		}
		reasons = json_object();
		dev_id(&sc->dev[w->device], rid);
		for (r = 0; reasons && r < 256; r++) {
			char code[24];

			reason_str(&sc->unit[sc->dev[w->device].unit], r, code, sizeof(code));
			if (w->by_reason[r] &&
			    json_object_set_new(reasons, code, json_integer(w->by_reason[r])))
				goto out_reasons;
		}
		item = json_pack("{s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:I, s:o}",
				 "device", sc->dev[w->device].name, "rid", rid,
				 "pasid", w->has_pasid ? json_integer(w->pasid) : json_null(),
				 "op", op_names[w->op],
				 "dmas", (json_int_t)w->dmas, "bytes", (json_int_t)w->bytes,
				 "faults", (json_int_t)w->faults,
				 "unexpected", (json_int_t)w->unexpected,
				 "faults_by_reason", reasons);
		if (item && w->client >= 0 &&
		    json_object_set_new(item, "client", json_string(sc->client[w->client].name)))
			goto out_item;
		if (item && w->op == OP_ATS &&
		    json_object_set_new(item, "ats_denied", json_integer((json_int_t)w->denied)))
			goto out_item;
		if (item && w->op == OP_PRQ &&
		    json_object_set_new(item, "page_responses",
					json_pack("{s:I, s:I, s:I}",
						  resp_names[0], (json_int_t)w->resp[0],
						  resp_names[1], (json_int_t)w->resp[1],
						  resp_names[2], (json_int_t)w->resp[2])))
			goto out_item;
		if (json_array_append_new(works, item))
			goto out;
		continue;
out_item:
		json_decref(item);
		goto out;
out_reasons:
		json_decref(reasons);
		goto out;
	}
	for (i = 0; i < sc->nunits; i++) {
		struct unit_figures f;

		unit_figures(sc, i, &f);
		if (json_array_append_new(units, json_pack("{s:s, s:s, s:I, s:I, s:f, s:I, s:I, s:I, s:I}",
				"unit", sc->unit[i].name,
				"type", unit_types[sc->unit[i].type],
				"iotlb_hits", (json_int_t)f.tlb_hit,
				"iotlb_misses", (json_int_t)f.tlb_miss,
				"hit_rate", f.hit_rate,
				"faults", (json_int_t)f.faults,
				"inv_descriptors", (json_int_t)f.us.inv_descriptors,
				"inv_waits", (json_int_t)f.us.inv_waits,
				"pt_pages", (json_int_t)f.pt_pages)))
			goto out;
	}
	if (sc->nprocs) {
		json_t *procs = json_array();

		if (!procs || json_object_set_new(doc, "processes", procs))
			goto out;
		for (i = 0; i < sc->nprocs; i++) {
			struct siommu_mm_info mi = { 0 };

			if (sc->proc[i].mm)
				siommu_mm_get_info(sc->proc[i].mm, &mi);
			if (json_array_append_new(procs, json_pack("{s:s, s:o, s:I, s:I, s:I, s:I}",
					"process", sc->proc[i].name, "pasid", mi.pasid ?
					json_integer(mi.pasid) : json_null(),
					"resident", (json_int_t)mi.resident,
					"swapped", (json_int_t)mi.swapped,
					"faulted_in", (json_int_t)mi.faults,
					"refused", (json_int_t)mi.faults_refused)))
				goto out;
		}
	}
	if (json_dumpf(doc, out, JSON_COMPACT | JSON_ENSURE_ASCII) == 0 && fputc('\n', out) != EOF)
		ret = 0;
	else
		ret = -EIO;
out:
	json_decref(works);
	json_decref(units);
	json_decref(doc);
	return ret;
}

int scenario_report(struct scenario *sc, FILE *out, bool json)
{
	if (json)
		return report_json(sc, out);
	report_text(sc, out);
	return 0;
}

/* Dumps ------------------------------------------------------------------- */

/*
 * Write @s as a DOT quoted string for a label: '"' and '\' escaped, a line
 * break as the label escape \n, other control characters as \xNN text, so
 * that nothing in a name can end the string or the statement. Node IDs are
 * ours (unit_0, dev_1, ...): names appear only inside labels.
 */
static void dot_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

struct dump_ctx {
	struct scenario *sc;
	FILE *out;
	bool dot;
	unsigned int dev;
};

/*
 * What the unit is programmed with for (@rid, @pasid), read back from its
 * tables in memory as the hardware reads them (VT-d 9.1, 9.4, 9.5, 9.6):
 * RTADDR -> scalable root entry -> context entry -> PASID directory ->
 * PASID table entry; pasid 0 means the context's RID_PASID. Returns 0 with
 * the context's DTE and PRE bits and the entry's domain ID and PGTT, or
 * -ENOENT where an entry on the way is not present.
 */
struct hw_entry {
	bool dte, pre;
	uint16_t did;
	unsigned int pgtt;
	uint64_t fsptptr;	/* first-stage table (VT-d 9.6: FSPTPTR) */
};

static int hw_entry_read(struct scenario *sc, unsigned int unit, uint16_t rid, uint32_t pasid,
			 struct hw_entry *e)
{
	struct siommu_mem *mem = siommu_ctx_mem(sc->ctx);
	struct siommu_vtd *hw = siommu_unit_vtd(sc->unit[unit].unit);
	uint64_t rtaddr, root[2], ctx[2], dir, pte[3], ctp;

	if (siommu_vtd_mmio_read(hw, SIOMMU_VTD_REG_RTADDR, 8, &rtaddr) ||
	    siommu_mem_read(mem, (rtaddr & ~0xfffull) + (rid >> 8) * 16, root, sizeof(root)))
		return -ENOENT;
	/* Lower half for devfn 0..127, upper for 128..255 (VT-d 9.2). */
	ctp = rid & 0x80 ? root[1] : root[0];
	if (!(ctp & 1) || siommu_mem_read(mem, (ctp & ~0xfffull) + (rid & 0x7f) * 32, ctx,
					  sizeof(ctx)) || !(ctx[0] & 1))
		return -ENOENT;
	e->dte = ctx[0] & (1u << 2);
	e->pre = ctx[0] & (1u << 4);
	if (!pasid)
		pasid = ctx[1] & 0xfffff;	/* RID_PASID */
	if (siommu_mem_load64(mem, (ctx[0] & ~0xfffull) + (pasid >> 6) * 8, &dir) ||
	    !(dir & 1) ||
	    siommu_mem_read(mem, (dir & ~0xfffull) + (pasid & 63) * 64, pte, sizeof(pte)) ||
	    !(pte[0] & 1))
		return -ENOENT;
	e->did = (uint16_t)pte[1];
	e->pgtt = (pte[0] >> 6) & 7;
	e->fsptptr = pte[2] & ~0xfffull;
	return 0;
}

/* ", DID n" for an attachment as the unit has it, or "" when not present. */
static void hw_did(struct scenario *sc, unsigned int dev, uint32_t pasid, char *s, size_t len)
{
	static const char *const pgtt[] = { "?", "first stage", "second stage", "nested",
					    "pass-through", "?", "?", "?" };
	struct hw_entry e;

	s[0] = 0;
	if (!hw_entry_read(sc, sc->dev[dev].unit, sc->dev[dev].cfg.rid, pasid, &e))
		snprintf(s, len, " (DID %u, %s)", e.did, pgtt[e.pgtt]);
}

static const char *dom_name(struct scenario *sc, struct siommu_domain *dom)
{
	unsigned int i;

	for (i = 0; i < sc->ndoms; i++)
		if (sc->dom[i].dom == dom)
			return sc->dom[i].name;
	return "(unnamed)";
}


/*
 * SMMUv3: what the unit is programmed with, read back from its tables in
 * memory as the hardware reads them (SMMUv3 3.3, 5.2, 5.4, 6.3.24):
 * STRTAB_BASE and STRTAB_BASE_CFG -> the stream table, linear or through
 * a level-1 descriptor -> STE -> S1ContextPtr -> the CD table, linear or
 * through a level-1 CD descriptor -> CD -> TTB0; the stage-2 table at
 * STE.S2TTB. The STE and CD decode with siommu/smmuv3_build.h.
 */
struct smmu_st {
	uint64_t base;
	unsigned int log2size, split;
	bool two_level;
};

static int smmu_st_read(struct scenario *sc, unsigned int unit, struct smmu_st *st)
{
	struct siommu_smmuv3 *hw = siommu_unit_smmuv3(sc->unit[unit].unit);
	uint64_t base, cfg;

	if (siommu_smmuv3_mmio_read(hw, SIOMMU_SMMUV3_STRTAB_BASE, 8, &base) ||
	    siommu_smmuv3_mmio_read(hw, SIOMMU_SMMUV3_STRTAB_BASE_CFG, 4, &cfg))
		return -ENOENT;
	/* STRTAB_BASE.ADDR 51:6; STRTAB_BASE_CFG LOG2SIZE 5:0, SPLIT 10:6,
	 * FMT 17:16 (SMMUv3 6.3.24, 6.3.25). */
	st->base = base & 0x000fffffffffffc0ull;
	st->log2size = cfg & 0x3f;
	st->split = (cfg >> 6) & 0x1f;
	st->two_level = ((cfg >> 16) & 3) == 1;
	return 0;
}

/* The STE of StreamID @sid in *d, and where it lies (*pa). Returns 0, or
 * -ENOENT: beyond the table, or its level-1 descriptor is invalid. */
static int smmu_ste_read(struct scenario *sc, unsigned int unit, uint32_t sid,
			 struct siommu_smmuv3_ste_desc *d, uint64_t *pa)
{
	struct siommu_mem *mem = siommu_ctx_mem(sc->ctx);
	uint64_t ste[8], l1, l2;
	struct smmu_st st;
	unsigned int span;

	if (smmu_st_read(sc, unit, &st) || (st.log2size < 32 && sid >> st.log2size))
		return -ENOENT;
	if (!st.two_level) {
		*pa = st.base + (uint64_t)sid * 64;
	} else {
		if (siommu_mem_load64(mem, st.base + (uint64_t)(sid >> st.split) * 8, &l1))
			return -ENOENT;
		span = siommu_smmuv3_l1std_decode(l1, &l2);
		if (!span || (sid & ((1u << st.split) - 1)) >> (span - 1))
			return -ENOENT;
		*pa = l2 + (uint64_t)(sid & ((1u << st.split) - 1)) * 64;
	}
	if (siommu_mem_read(mem, *pa, ste, sizeof(ste)))
		return -ENOENT;
	siommu_smmuv3_ste_decode(ste, d);
	return 0;
}

/* CDs per level-2 CD table of S1Fmt @fmt (SMMUv3 5.2: 1 is 4K leaves of
 * 64 CDs, 2 64K leaves of 1024); 0 for a linear table. */
static unsigned int smmu_cd_leaf_bits(unsigned int fmt)
{
	return fmt == 1 ? 6 : fmt == 2 ? 10 : 0;
}

/* The CD of SubstreamID @ssid under stage-1 STE @ste, in *cd. Returns 0,
 * or -ENOENT: no stage-1 CD table, @ssid beyond S1CDMax, or its level-1
 * CD descriptor is invalid. */
static int smmu_cd_read(struct scenario *sc, const struct siommu_smmuv3_ste_desc *ste,
			uint32_t ssid, struct siommu_smmuv3_cd_desc *cd)
{
	struct siommu_mem *mem = siommu_ctx_mem(sc->ctx);
	unsigned int leaf = smmu_cd_leaf_bits(ste->s1_fmt);
	uint64_t w[8], pa, l1;

	/* Only stage 1 alone: with stage 2 the CD pointer is an IPA. */
	if (!ste->valid || ste->config != SIOMMU_SMMUV3_STE_S1 || ssid >> ste->s1_cdmax)
		return -ENOENT;
	if (!leaf) {
		pa = ste->s1_ctx_ptr + (uint64_t)ssid * 64;
	} else {
		if (siommu_mem_load64(mem, ste->s1_ctx_ptr + (uint64_t)(ssid >> leaf) * 8, &l1) ||
		    !siommu_smmuv3_l1cd_decode(l1, &pa))
			return -ENOENT;
		pa += (uint64_t)(ssid & ((1u << leaf) - 1)) * 64;
	}
	if (siommu_mem_read(mem, pa, w, sizeof(w)))
		return -ENOENT;
	siommu_smmuv3_cd_decode(w, cd);
	return 0;
}

/* The scenario domain whose page table is at @root, or -1. */
static int dom_by_root(struct scenario *sc, uint64_t root)
{
	unsigned int i;

	for (i = 0; i < sc->ndoms; i++) {
		struct siommu_pt *pt = siommu_domain_pt(sc->dom[i].dom);

		if (pt && siommu_pt_root(pt) == root)
			return (int)i;
	}
	return -1;
}

static const char *const s1dss_names[] = { "terminate", "bypass", "ssid0", "reserved" };

/* "STE at 0x...: S1, ..." as the unit has it for device @i. */
static void smmu_ste_str(struct scenario *sc, unsigned int i, char *s, size_t len)
{
	struct siommu_smmuv3_ste_desc d;
	struct smmu_st st;
	uint64_t pa;
	size_t l;

	if (smmu_ste_read(sc, sc->dev[i].unit, sc->dev[i].cfg.rid, &d, &pa)) {
		snprintf(s, len, "STE: none (beyond the stream table)");
		return;
	}
	l = (size_t)snprintf(s, len, "STE at 0x%" PRIx64 "%s: ", pa,
			     smmu_st_read(sc, sc->dev[i].unit, &st) || !st.two_level ? "" :
			     " (level 2)");
	if (!d.valid) {
		snprintf(s + l, len - l, "not valid");
		return;
	}
	if (d.config == SIOMMU_SMMUV3_STE_ABORT || d.config == SIOMMU_SMMUV3_STE_BYPASS) {
		snprintf(s + l, len - l, "%s", d.config ? "bypass" : "abort");
		return;
	}
	if (d.config != SIOMMU_SMMUV3_STE_S1 && d.config != SIOMMU_SMMUV3_STE_S2 &&
	    d.config != SIOMMU_SMMUV3_STE_NESTED) {
		snprintf(s + l, len - l, "config %u (reserved)", d.config);
		return;
	}
	if (d.config != SIOMMU_SMMUV3_STE_S2)
		l += (size_t)snprintf(s + l, len - l, "%s, CD table %s at 0x%" PRIx64 ", "
				      "S1CDMax %u, S1DSS %s, EATS %u",
				      d.config == SIOMMU_SMMUV3_STE_S1 ? "S1" : "nested",
				      d.s1_fmt == 0 ? "linear" : d.s1_fmt == 1 ?
				      "2-level (64 CDs per leaf)" : "2-level (1024 CDs per leaf)",
				      d.s1_ctx_ptr, d.s1_cdmax, s1dss_names[d.s1dss & 3], d.eats);
	if (d.config != SIOMMU_SMMUV3_STE_S1 && l < len)
		snprintf(s + l, len - l, "%sS2, VMID %u, S2TTB 0x%" PRIx64 ", S2T0SZ %u",
			 d.config == SIOMMU_SMMUV3_STE_NESTED ? "; " : "", d.s2_vmid, d.s2_ttb,
			 d.s2_t0sz);
}

/*
 * How an attachment of device @i at @pasid (0: the RID's traffic, without
 * a SubstreamID) reaches its domain in the unit's tables, into *a: through
 * the STE's stage 2, as bypass, stopped by S1DSS, or through a CD; a->dom
 * is the domain whose page table the entry points at (-1: none).
 */
enum smmu_att_kind { ATT_NONE, ATT_S2, ATT_BYPASS, ATT_S1DSS, ATT_CD, ATT_CD_INVALID };

struct smmu_att {
	enum smmu_att_kind kind;
	struct siommu_smmuv3_ste_desc ste;
	struct siommu_smmuv3_cd_desc cd;
	uint32_t ssid;
	int dom;
};

static void smmu_att_read(struct scenario *sc, unsigned int i, uint32_t pasid,
			  struct smmu_att *a)
{
	uint64_t pa;

	*a = (struct smmu_att){ .kind = ATT_NONE, .ssid = pasid, .dom = -1 };
	if (smmu_ste_read(sc, sc->dev[i].unit, sc->dev[i].cfg.rid, &a->ste, &pa) ||
	    !a->ste.valid)
		return;
	if (a->ste.config == SIOMMU_SMMUV3_STE_S2) {
		a->kind = ATT_S2;
		a->dom = dom_by_root(sc, a->ste.s2_ttb);
	} else if (a->ste.config == SIOMMU_SMMUV3_STE_BYPASS) {
		a->kind = ATT_BYPASS;
	} else if (!pasid && a->ste.s1_cdmax && a->ste.s1dss != SIOMMU_SMMUV3_S1DSS_SSID0) {
		/* Without a SubstreamID: S1DSS, unless the table has one CD. */
		a->kind = ATT_S1DSS;
	} else if (smmu_cd_read(sc, &a->ste, pasid, &a->cd) || !a->cd.valid) {
		a->kind = ATT_CD_INVALID;
	} else {
		a->kind = ATT_CD;
		a->dom = dom_by_root(sc, a->cd.ttb0);
	}
}

/* The same in words: "CD 3: ASID 2, TTB0 0x..., T0SZ 16", "S1DSS bypass",
 * "STE S2: VMID 1, S2TTB 0x..."; "" when the STE is not there. */
static void smmu_att_str(const struct smmu_att *a, char *s, size_t len)
{
	switch (a->kind) {
	case ATT_S2:
		snprintf(s, len, "STE S2: VMID %u, S2TTB 0x%" PRIx64, a->ste.s2_vmid, a->ste.s2_ttb);
		break;
	case ATT_BYPASS:
		snprintf(s, len, "STE bypass");
		break;
	case ATT_S1DSS:
		snprintf(s, len, "S1DSS %s", s1dss_names[a->ste.s1dss & 3]);
		break;
	case ATT_CD_INVALID:
		snprintf(s, len, "CD %u: not valid", a->ssid);
		break;
	case ATT_CD:
		snprintf(s, len, "CD %u: ASID %u, TTB0 0x%" PRIx64 ", T0SZ %u", a->ssid, a->cd.asid,
			 a->cd.ttb0, a->cd.t0sz);
		break;
	default:
		s[0] = 0;
	}
}

/* The unit's stream table in words. */
static void smmu_unit_str(struct scenario *sc, unsigned int u, char *s, size_t len)
{
	struct smmu_st st;

	if (smmu_st_read(sc, u, &st))
		snprintf(s, len, "stream table unreadable");
	else if (st.two_level)
		snprintf(s, len, "stream table 2-level at 0x%" PRIx64 ": 2^%u StreamIDs, %u per "
			 "level-2 table", st.base, st.log2size, 1u << st.split);
	else
		snprintf(s, len, "stream table linear at 0x%" PRIx64 ": 2^%u StreamIDs", st.base,
			 st.log2size);
}

/* An attachment on an SMMUv3 unit: SSID -> CD -> domain, or the RID's
 * traffic through the STE. */
/*
 * What an SMMUv2 unit does with StreamID @sid, read back from its
 * registers as it matches a stream (SMMUv2 2.4, 9.6.23 SMRn, 9.6.24 S2CRn,
 * 10.6.1 CBARn, 13.x TTBR0): the lowest valid SMR whose ID matches under
 * its mask, that group's S2CR, and for a translating S2CR the bank's type,
 * VMID, TTBR0 (with the ASID in bits 63:48 at stage 1) and SCTLR.M.
 */
struct v2_stream {
	int smr;		/* -1: no SMR matches */
	uint32_t smr_id, smr_mask;
	unsigned int s2cr_type;	/* 0 translate, 1 bypass, 2 fault */
	int cb;			/* a translating S2CR's bank */
	bool s1, enabled;	/* CBAR.TYPE stage 1; SCTLR.M */
	unsigned int vmid, asid;
	uint64_t ttbr0;
	int dom;		/* the domain whose table TTBR0 points at, or -1 */
};

#define V2_TTBR_ADDR	((uint64_t)0x0000fffffffffff0)	/* TTBRn.BADDR, 4K granule tables */

static void v2_stream_read(struct scenario *sc, unsigned int unit, uint32_t sid,
			   struct v2_stream *st)
{
	struct siommu_smmuv2 *hw = siommu_unit_smmuv2(sc->unit[unit].unit);
	uint64_t smr = 0, s2cr = 0, cbar = 0, sctlr = 0;
	unsigned int n;

	*st = (struct v2_stream){ .smr = -1, .cb = -1, .dom = -1 };
	for (n = 0; n < sc->unit[unit].v2cfg.num_smrg; n++) {
		if (siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_SMR(n), 4, &smr) ||
		    !(smr & SIOMMU_SMMUV2_SMR_VALID))
			continue;
		st->smr_id = smr & 0x7fff;
		st->smr_mask = (smr >> 16) & 0x7fff;
		if (!((sid ^ st->smr_id) & ~st->smr_mask & 0x7fff))
			break;
	}
	if (n == sc->unit[unit].v2cfg.num_smrg ||
	    siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_S2CR(n), 4, &s2cr))
		return;
	st->smr = (int)n;
	st->s2cr_type = (s2cr >> 16) & 3;
	if (st->s2cr_type != 0)
		return;
	st->cb = (int)(s2cr & 0xff);
	if (siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_CBAR(st->cb), 4, &cbar) ||
	    siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_CB(st->cb) + SIOMMU_SMMUV2_CB_TTBR0, 8,
				    &st->ttbr0) ||
	    siommu_smmuv2_mmio_read(hw, SIOMMU_SMMUV2_CB(st->cb) + SIOMMU_SMMUV2_CB_SCTLR, 4,
				    &sctlr))
		return;
	st->s1 = ((cbar >> 16) & 3) == 1;
	st->vmid = cbar & 0xff;
	st->asid = st->s1 ? (unsigned int)(st->ttbr0 >> 48) : 0;
	st->enabled = sctlr & SIOMMU_SMMUV2_SCTLR_M;
	st->dom = dom_by_root(sc, st->ttbr0 & V2_TTBR_ADDR);
}

/* "SMR 0 (ID 0x10, mask 0x0) -> S2CR 0: translate, bank 1" and the bank:
 * "bank 1: stage 1, VMID 0, ASID 1, TTBR0 0x100004000" (@bank "" when the
 * S2CR does not translate). */
static void v2_stream_str(const struct v2_stream *st, char *s2cr, size_t slen, char *bank,
			  size_t blen)
{
	static const char *const types[] = { "translate", "bypass", "fault", "reserved" };

	bank[0] = 0;
	if (st->smr < 0) {
		snprintf(s2cr, slen, "no SMR matches: unidentified stream, faults");
		return;
	}
	snprintf(s2cr, slen, "SMR %d (ID 0x%x, mask 0x%x) -> S2CR %d: %s", st->smr, st->smr_id,
		 st->smr_mask, st->smr, types[st->s2cr_type]);
	if (st->cb < 0)
		return;
	snprintf(s2cr + strlen(s2cr), slen - strlen(s2cr), ", bank %d", st->cb);
	if (st->s1)
		snprintf(bank, blen, "bank %d: stage 1, VMID %u, ASID %u, TTBR0 0x%" PRIx64 "%s",
			 st->cb, st->vmid, st->asid, st->ttbr0 & V2_TTBR_ADDR,
			 st->enabled ? "" : ", disabled");
	else
		snprintf(bank, blen, "bank %d: stage 2, VMID %u, VTTBR 0x%" PRIx64 "%s", st->cb,
			 st->vmid, st->ttbr0 & V2_TTBR_ADDR, st->enabled ? "" : ", disabled");
}

/* The client of GPU device @dev whose private PASID is @pasid, or -1. */
static int client_by_pasid(struct scenario *sc, unsigned int dev, uint32_t pasid)
{
	unsigned int i;

	for (i = 0; pasid && i < sc->nclients; i++)
		if (sc->client[i].device == (int)dev && sc->client[i].c &&
		    siommu_gpu_client_pasid(sc->client[i].c) == pasid)
			return (int)i;
	return -1;
}

/* The process device @dev is bound to at @pasid, or -1. */
static int process_by_pasid(struct scenario *sc, unsigned int dev, uint32_t pasid)
{
	unsigned int i;

	for (i = 0; pasid && i < sc->nprocs; i++)
		if (sc->dev[dev].sva[i] && siommu_sva_pasid(sc->dev[dev].sva[i]) == pasid)
			return (int)i;
	return -1;
}

struct root_find {
	uint64_t root;
	uint32_t pasid;		/* the PASID whose table is at root, or 0 */
};

static int root_find_att(void *arg, uint32_t pasid, struct siommu_domain *dom)
{
	struct root_find *f = arg;
	struct siommu_pt *pt = siommu_domain_pt(dom);

	if (pasid && pt && siommu_pt_root(pt) == f->root)
		f->pasid = pasid;
	return 0;
}

/* The client of GPU device @dev whose table is at @root, or -1. */
static int client_by_root(struct scenario *sc, unsigned int dev, uint64_t root)
{
	struct root_find f = { .root = root };

	siommu_device_for_each_attachment(sc->dev[dev].dev, root_find_att, &f);
	return client_by_pasid(sc, dev, f.pasid);
}

/* "game (PASID 1), browser (PASID 2)": a GPU's clients. */
static void clients_str(struct scenario *sc, unsigned int dev, char *s, size_t len)
{
	unsigned int i;
	size_t l = 0;

	s[0] = 0;
	for (i = 0; i < sc->nclients && l < len; i++)
		if (sc->client[i].device == (int)dev && sc->client[i].c)
			l += snprintf(s + l, len - l, "%s%s (PASID %u)", l ? ", " : "",
				      SHOW(sc->client[i].name),
				      siommu_gpu_client_pasid(sc->client[i].c));
}

static void dump_att_smmuv3(struct dump_ctx *c, uint32_t pasid, unsigned int di)
{
	unsigned int dv = c->dev;
	char how[160], where[24];
	struct smmu_att att;
	int hd, pi = di == c->sc->ndoms ? process_by_pasid(c->sc, dv, pasid) : -1;

	smmu_att_read(c->sc, dv, pasid, &att);
	smmu_att_str(&att, how, sizeof(how));
	/* The domain the tables point at; the core's where they point at
	 * none of the scenario's (identity, blocked). */
	hd = att.dom >= 0 ? att.dom : (int)di;
	if (pasid)
		snprintf(where, sizeof(where), "SSID %u", pasid);
	else
		snprintf(where, sizeof(where), "no SSID");
	/* An SVA bind: the CD's TTB0 is the process's CPU page table. */
	if (pi >= 0 && c->dot)
		fprintf(c->out, "  proc_%d [shape=note, label=\"process %s (SVA)\\nits CPU page "
			"table\"];\n  dev_%u_p%u [label=\"%s\\n%s\", shape=box];\n"
			"  ste_%u -> dev_%u_p%u;\n  dev_%u_p%u -> proc_%d;\n", pi,
			SHOW(c->sc->proc[pi].name), dv, pasid, where, how, dv, dv, pasid, dv,
			pasid, pi);
	else if (pi >= 0)
		fprintf(c->out, "    %s -> %s -> process %s (SVA), TTB0 its CPU page table\n",
			where, how[0] ? how : "?", SHOW(c->sc->proc[pi].name));
	else if (c->dot)
		fprintf(c->out, "  dev_%u_p%u [label=\"%s\\n%s\", shape=box];\n"
			"  ste_%u -> dev_%u_p%u;\n  dev_%u_p%u -> dom_%d;\n",
			dv, pasid, where, how, dv, dv, pasid, dv, pasid, hd);
	else
		fprintf(c->out, "    %s -> %s -> domain %s\n", where, how[0] ? how : "?",
			hd < (int)c->sc->ndoms ? SHOW(c->sc->dom[hd].name) : "(unnamed)");
}

static int dump_att(void *arg, uint32_t pasid, struct siommu_domain *dom)
{
	struct dump_ctx *c = arg;
	unsigned int di, dv = c->dev;
	char did[48];
	int cl, pi;

	for (di = 0; di < c->sc->ndoms && c->sc->dom[di].dom != dom; di++)
		;
	if (c->sc->unit[c->sc->dev[dv].unit].type == UNIT_SMMUV3) {
		dump_att_smmuv3(c, pasid, di);
		return 0;
	}
	hw_did(c->sc, dv, pasid, did, sizeof(did));
	cl = di == c->sc->ndoms ? client_by_pasid(c->sc, dv, pasid) : -1;
	pi = di == c->sc->ndoms ? process_by_pasid(c->sc, dv, pasid) : -1;
	if (pi >= 0) {
		struct hw_entry e = { 0 };

		hw_entry_read(c->sc, c->sc->dev[dv].unit, c->sc->dev[dv].cfg.rid, pasid, &e);
		if (c->dot)
			fprintf(c->out, "  proc_%d [shape=note, label=\"process %s (SVA)\\nCPU page "
				"table 0x%" PRIx64 "\"];\n  dev_%u -> proc_%d [label=\"PASID %u%s\"];\n",
				pi, SHOW(c->sc->proc[pi].name), e.fsptptr, dv, pi, pasid, did);
		else
			fprintf(c->out, "    PASID %u -> process %s (SVA)%s: first-stage table "
				"0x%" PRIx64 ", its CPU page table\n", pasid,
				SHOW(c->sc->proc[pi].name), did, e.fsptptr);
		return 0;
	}
	if (cl >= 0 && !c->dot) {
		fprintf(c->out, "    PASID %u -> client %s's space%s\n", pasid,
			SHOW(c->sc->client[cl].name), did);
		return 0;
	}
	if (c->dot && pasid)
		fprintf(c->out, "  dev_%u_p%u [label=\"PASID %u%s\", shape=box];\n"
			"  dev_%u -> dev_%u_p%u;\n  dev_%u_p%u -> dom_%u;\n",
			dv, pasid, pasid, did, dv, dv, pasid, dv, pasid, di);
	else if (c->dot)
		fprintf(c->out, "  dev_%u -> dom_%u [label=\"RID%s\"];\n", dv, di, did);
	else if (pasid)
		fprintf(c->out, "    PASID %u -> domain %s%s\n", pasid, SHOW(dom_name(c->sc, dom)),
			did);
	else
		fprintf(c->out, "    RID (no PASID) -> domain %s%s\n", SHOW(dom_name(c->sc, dom)),
			did);
	return 0;
}

static int dump_run(void *arg, const struct siommu_pt_run *run)
{
	struct dump_ctx *c = arg;

	if (c->dot)
		fprintf(c->out, "\\nIOVA 0x%" PRIx64 "+0x%" PRIx64 " -> PA 0x%" PRIx64 " %s%s",
			run->iova, run->length, run->pa,
			run->prot & SIOMMU_PROT_READ ? "r" : "",
			run->prot & SIOMMU_PROT_WRITE ? "w" : "");
	else
		fprintf(c->out, "    IOVA 0x%" PRIx64 "..0x%" PRIx64 " -> PA 0x%" PRIx64 " %s%s\n",
			run->iova, run->iova + run->length - 1, run->pa,
			run->prot & SIOMMU_PROT_READ ? "r" : "-",
			run->prot & SIOMMU_PROT_WRITE ? "w" : "-");
	return 0;
}

/*
 * The group of device @i as the dump names it: 1, 2, ... in the order the
 * unit's groups first appear among the devices (the core's groups, so
 * devices joined by an alias RID share one too).
 */
static unsigned int group_no(struct scenario *sc, unsigned int i)
{
	struct siommu_group *g = siommu_device_group(sc->dev[i].dev);
	unsigned int k, n = 0;

	for (k = 0; k < sc->ndevs; k++) {
		bool first = true;
		unsigned int j;

		if (sc->dev[k].unit != sc->dev[i].unit)
			continue;
		for (j = 0; j < k && first; j++)
			first = sc->dev[j].unit != sc->dev[k].unit ||
				siommu_device_group(sc->dev[j].dev) !=
				siommu_device_group(sc->dev[k].dev);
		n += first;
		if (siommu_device_group(sc->dev[k].dev) == g)
			return n;
	}
	return 0;
}

/* The device's context as the unit has it: PASIDs, ATS (DTE), PRI (PRE). */
static void ctx_str(struct scenario *sc, unsigned int i, char *s, size_t len)
{
	struct siommu_device_info info;
	struct hw_entry e = { 0 };

	siommu_device_get_info(sc->dev[i].dev, &info);
	hw_entry_read(sc, sc->dev[i].unit, sc->dev[i].cfg.rid, 0, &e);
	snprintf(s, len, "context: PASID %s%s%s", info.max_pasid ? "enabled" : "off",
		 e.dte ? ", ATS" : "", e.pre ? ", PRI" : "");
}

/* What translates a domain's DMA, in words. */
static const char *dom_kind(struct sc_domain *d)
{
	struct siommu_pt *pt = siommu_domain_pt(d->dom);
	struct siommu_pt_cfg pc;

	if (d->cfg.type == SIOMMU_DOMAIN_IDENTITY)
		return "identity (pass-through)";
	if (!pt)
		return "blocked";
	siommu_pt_get_cfg(pt, &pc);
	return pc.format == SIOMMU_PT_X86_64 ? "paging, first stage (x86-64 format)" :
	       pc.format == SIOMMU_PT_VTD_SS ? "paging, second stage (VT-d format)" :
	       pc.format == SIOMMU_PT_ARM_S1 ? "paging, stage 1 (VMSAv8-64, 4K granule)" :
	       pc.format == SIOMMU_PT_ARM_S2 ? "paging, stage 2 (VMSAv8-64, 4K granule)" :
	       "paging";
}

/* A device on an SMMUv3 unit: its StreamID and group, its STE, then each
 * attachment through it. */
static void dump_smmuv2_device(struct scenario *sc, struct dump_ctx *c, unsigned int i)
{
	struct sc_device *d = &sc->dev[i];
	char rid[32] = "", s2cr[128], bank[160], cls[512], live[4 * SCENARIO_MAX_NAME + 40];
	struct v2_stream st;
	int lc;

	if (!d->by_sid) {
		memcpy(rid, "RID ", 4);
		rid_str(d->cfg.rid, rid + 4);
		strcat(rid, c->dot ? ", " : "; ");
	}
	v2_stream_read(sc, d->unit, d->cfg.rid, &st);
	v2_stream_str(&st, s2cr, sizeof(s2cr), bank, sizeof(bank));
	/* A GPU switches its clients' tables into its bank: the live one. */
	lc = d->is_gpu && st.cb >= 0 && st.dom < 0 ?
	     client_by_root(sc, i, st.ttbr0 & V2_TTBR_ADDR) : -1;
	if (lc >= 0)
		snprintf(live, sizeof(live), "client %s's table (PASID %u)",
			 SHOW(sc->client[lc].name), siommu_gpu_client_pasid(sc->client[lc].c));
	else if (st.dom >= 0)
		snprintf(live, sizeof(live), "domain %s", SHOW(sc->dom[st.dom].name));
	else
		snprintf(live, sizeof(live), "a table of no domain here");
	cls[0] = 0;
	if (d->is_gpu)
		clients_str(sc, i, cls, sizeof(cls));
	if (c->dot) {
		fprintf(c->out, "  dev_%u [label=", i);
		dot_quoted(c->out, d->name);
		fprintf(c->out, ", xlabel=\"StreamID 0x%x, %sgroup %u\"];\n  unit_%u -> dev_%u;\n"
			"  s2cr_%u [shape=box, label=\"%s\"];\n  dev_%u -> s2cr_%u;\n",
			d->cfg.rid, rid, group_no(sc, i), d->unit, i, i, s2cr, i, i);
		if (bank[0])
			fprintf(c->out, "  cb_%u [shape=box, label=\"%s\"];\n  s2cr_%u -> cb_%u;\n",
				i, bank, i, i);
		if (bank[0] && st.dom >= 0)
			fprintf(c->out, "  cb_%u -> dom_%d;\n", i, st.dom);
		if (bank[0] && lc >= 0)
			fprintf(c->out, "  cl_%d [shape=note, label=\"live: %s\"];\n"
				"  cb_%u -> cl_%d;\n", lc, live, i, lc);
		if (cls[0])
			fprintf(c->out, "  gpu_%u [shape=plain, label=\"GPU clients: %s\"];\n"
				"  dev_%u -> gpu_%u [style=dotted, arrowhead=none];\n", i, cls, i, i);
		return;
	}
	fprintf(c->out, "  StreamID 0x%x %s (%sgroup %u)\n    %s\n", d->cfg.rid, SHOW(d->name),
		rid, group_no(sc, i), s2cr);
	if (bank[0])
		fprintf(c->out, "    %s -> %s\n", bank, live);
	if (cls[0])
		fprintf(c->out, "    GPU clients: %s; live in the bank: %s\n", cls,
			lc >= 0 ? SHOW(sc->client[lc].name) : "none (the GPU's own table)");
}

static void dump_smmuv3_device(struct scenario *sc, struct dump_ctx *c, unsigned int i)
{
	struct sc_device *d = &sc->dev[i];
	char rid[32] = "", ste[256];

	if (!d->by_sid) {
		memcpy(rid, "RID ", 4);
		rid_str(d->cfg.rid, rid + 4);
		strcat(rid, c->dot ? ", " : "; ");
	}
	smmu_ste_str(sc, i, ste, sizeof(ste));
	if (c->dot) {
		fprintf(c->out, "  dev_%u [label=", i);
		dot_quoted(c->out, d->name);
		fprintf(c->out, ", xlabel=\"StreamID 0x%x, %sgroup %u\"];\n  unit_%u -> dev_%u;\n"
			"  ste_%u [shape=box, label=\"%s\"];\n  dev_%u -> ste_%u;\n",
			d->cfg.rid, rid, group_no(sc, i), d->unit, i, i, ste, i, i);
	} else {
		fprintf(c->out, "  StreamID 0x%x %s (%sgroup %u)\n    %s\n", d->cfg.rid,
			SHOW(d->name), rid, group_no(sc, i), ste);
	}
	c->dev = i;
	siommu_device_for_each_attachment(d->dev, dump_att, c);
}

static void dump(struct scenario *sc, FILE *out, bool dot)
{
	struct dump_ctx c = { sc, out, dot, 0 };
	unsigned int u, i;

	if (dot)
		fprintf(out, "digraph siommu {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
	for (u = 0; u < sc->nunits; u++) {
		bool smmu = sc->unit[u].type == UNIT_SMMUV3, v2 = sc->unit[u].type == UNIT_SMMUV2;
		char st[128];

		if (smmu)
			smmu_unit_str(sc, u, st, sizeof(st));
		if (v2)
			snprintf(st, sizeof(st), "%u-bit StreamIDs, %u stream match groups, %u "
				 "context banks", sc->unit[u].v2cfg.sid_bits,
				 sc->unit[u].v2cfg.num_smrg, sc->unit[u].v2cfg.num_cb);
		if (dot) {
			fprintf(out, "  unit_%u [shape=box3d, label=", u);
			dot_quoted(out, sc->unit[u].name);
			if (smmu || v2)
				fprintf(out, ", xlabel=\"%s unit, %s\"];\n",
					unit_type_names[sc->unit[u].type], st);
			else
				fprintf(out, ", xlabel=\"VT-d unit\"];\n");
		} else if (smmu || v2) {
			fprintf(out, "unit %s (%s, %s)\n", SHOW(sc->unit[u].name),
				unit_type_names[sc->unit[u].type], st);
		} else {
			fprintf(out, "unit %s (VT-d, scalable mode)\n", SHOW(sc->unit[u].name));
		}
		for (i = 0; i < sc->ndevs; i++) {
			struct sc_device *d = &sc->dev[i];
			char rid[16], cx[64];

			if (d->unit != (int)u)
				continue;
			if (smmu) {
				dump_smmuv3_device(sc, &c, i);
				continue;
			}
			if (v2) {
				dump_smmuv2_device(sc, &c, i);
				continue;
			}
			rid_str(d->cfg.rid, rid);
			ctx_str(sc, i, cx, sizeof(cx));
			if (dot) {
				fprintf(out, "  dev_%u [label=", i);
				dot_quoted(out, d->name);
				fprintf(out, ", xlabel=\"RID %s, group %u, %s\"];\n"
					"  unit_%u -> dev_%u;\n", rid, group_no(sc, i), cx, u, i);
			} else {
				fprintf(out, "  RID %s %s (group %u; %s)\n", rid, SHOW(d->name),
					group_no(sc, i), cx);
			}
			c.dev = i;
			siommu_device_for_each_attachment(d->dev, dump_att, &c);
		}
		/* Devices that cannot be isolated from each other: one box. */
		for (i = 0; dot && i < sc->ndevs; i++) {
			unsigned int k, g = group_no(sc, i), first = 1;
			struct siommu_device_info info;

			if (sc->dev[i].unit != (int)u ||
			    siommu_device_get_info(sc->dev[i].dev, &info) || info.group_size < 2)
				continue;
			for (k = 0; k < i && first; k++)
				first = sc->dev[k].unit != (int)u || group_no(sc, k) != g;
			if (!first)
				continue;
			fprintf(out, "  subgraph cluster_u%u_g%u {\n    label=\"group %u: one RID "
				"domain\";\n    style=dashed;\n", u, g, g);
			for (k = i; k < sc->ndevs; k++)
				if (sc->dev[k].unit == (int)u && group_no(sc, k) == g)
					fprintf(out, "    dev_%u;\n", k);
			fprintf(out, "  }\n");
		}
	}
	for (i = 0; i < sc->ndoms; i++) {
		struct sc_domain *d = &sc->dom[i];
		struct siommu_pt *pt = siommu_domain_pt(d->dom);

		if (dot) {
			fprintf(out, "  dom_%u [shape=note, xlabel=\"domain: %s\", label=", i,
				dom_kind(d));
			dot_quoted(out, d->name);
			fprintf(out, "];\n  dom_%u_map [shape=plain, label=\"", i);
		} else {
			fprintf(out, "domain %s: %s\n", SHOW(d->name), dom_kind(d));
		}
		if (pt) {
			struct siommu_pt_cfg pc;

			/* The whole input range: x86-64 maps the lower half. */
			siommu_pt_get_cfg(pt, &pc);
			siommu_pt_for_each(pt, 0, 1ull << (pc.ias - (pc.format ==
					   SIOMMU_PT_X86_64)), dump_run, &c);
		} else if (d->cfg.type == SIOMMU_DOMAIN_IDENTITY) {
			fprintf(out, dot ? "every IOVA -> the same PA" :
				"    every IOVA -> the same PA\n");
		} else {
			fprintf(out, dot ? "no access" : "    no access\n");
		}
		if (dot)
			fprintf(out, "\"];\n  dom_%u -> dom_%u_map [arrowhead=none, style=dotted];\n",
				i, i);
	}
	if (dot)
		fprintf(out, "}\n");
}

uint64_t scenario_unexpected(struct scenario *sc)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < sc->nwork; i++)
		n += sc->work[i].unexpected;
	return n;
}

void scenario_dump_dot(struct scenario *sc, FILE *out)
{
	dump(sc, out, true);
}

void scenario_dump_text(struct scenario *sc, FILE *out)
{
	dump(sc, out, false);
}

/* The dump as JSON ----------------------------------------------------------- */

struct json_dump {
	struct scenario *sc;
	unsigned int dev;
	json_t *list;		/* what the callback appends to */
	int ret;		/* -ENOMEM once an append failed */
};

/* Append @item to @list; a NULL item (jansson out of memory) or a failed
 * append is remembered in j->ret. */
static void jappend(struct json_dump *j, json_t *list, json_t *item)
{
	if (json_array_append_new(list, item))
		j->ret = -ENOMEM;
}

static const char *const ste_configs[] = { "abort", "reserved", "reserved", "reserved", "bypass",
					   "s1", "s2", "nested" };
static const char *const s1fmts[] = { "linear", "2level_64", "2level_1024", "reserved" };

static json_t *ste_json(const struct siommu_smmuv3_ste_desc *d, uint64_t pa)
{
	json_t *o = json_pack("{s:I, s:b, s:s}", "address", (json_int_t)pa, "valid", d->valid,
			      "config", ste_configs[d->config & 7]);

	if (o && (d->config == SIOMMU_SMMUV3_STE_S1 || d->config == SIOMMU_SMMUV3_STE_NESTED) &&
	    json_object_update_new(o, json_pack("{s:I, s:s, s:i, s:s, s:i}",
			"s1_context_ptr", (json_int_t)d->s1_ctx_ptr,
			"s1_fmt", s1fmts[d->s1_fmt & 3], "s1_cdmax", (int)d->s1_cdmax,
			"s1dss", s1dss_names[d->s1dss & 3], "eats", (int)d->eats))) {
		json_decref(o);
		return NULL;
	}
	if (o && (d->config == SIOMMU_SMMUV3_STE_S2 || d->config == SIOMMU_SMMUV3_STE_NESTED) &&
	    json_object_update_new(o, json_pack("{s:i, s:I, s:i}", "vmid", (int)d->s2_vmid,
			"s2_ttb", (json_int_t)d->s2_ttb, "s2_t0sz", (int)d->s2_t0sz))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* An attachment: the PASID (null: the RID), the domain, and what the
 * unit's tables say about it. */
static int json_att(void *arg, uint32_t pasid, struct siommu_domain *dom)
{
	struct json_dump *j = arg;
	struct scenario *sc = j->sc;
	unsigned int dv = j->dev;
	json_t *o = json_pack("{s:o, s:s}", "pasid", pasid ? json_integer(pasid) : json_null(),
			      "domain", dom_name(sc, dom));

	if (o && process_by_pasid(sc, dv, pasid) >= 0 &&
	    json_object_set_new(o, "process",
				json_string(sc->proc[process_by_pasid(sc, dv, pasid)].name)))
		j->ret = -ENOMEM;
	if (o && sc->dev[dv].is_gpu && client_by_pasid(sc, dv, pasid) >= 0 &&
	    json_object_set_new(o, "client",
				json_string(sc->client[client_by_pasid(sc, dv, pasid)].name)))
		j->ret = -ENOMEM;
	if (o && sc->unit[sc->dev[dv].unit].type == UNIT_SMMUV2) {
		/* The stream's SMR, S2CR and bank are the device's ("stream"). */
	} else if (o && sc->unit[sc->dev[dv].unit].type == UNIT_SMMUV3) {
		static const char *const kinds[] = { "none", "s2", "bypass", "s1dss", "cd",
						     "cd_invalid" };
		struct smmu_att a;
		json_t *hw;

		smmu_att_read(sc, dv, pasid, &a);
		hw = json_pack("{s:s}", "via", kinds[a.kind]);
		if (hw && a.kind == ATT_CD &&
		    json_object_update_new(hw, json_pack("{s:i, s:i, s:I, s:i}", "ssid",
				(int)a.ssid, "asid", (int)a.cd.asid, "ttb0", (json_int_t)a.cd.ttb0,
				"t0sz", (int)a.cd.t0sz)))
			j->ret = -ENOMEM;
		if (hw && a.kind == ATT_S1DSS &&
		    json_object_set_new(hw, "s1dss", json_string(s1dss_names[a.ste.s1dss & 3])))
			j->ret = -ENOMEM;
		if (hw && a.kind == ATT_S2 &&
		    json_object_update_new(hw, json_pack("{s:i, s:I}", "vmid", (int)a.ste.s2_vmid,
				"s2_ttb", (json_int_t)a.ste.s2_ttb)))
			j->ret = -ENOMEM;
		if (json_object_set_new(o, "tables", hw ?: json_null()))
			j->ret = -ENOMEM;
		/* The domain whose page table the entry points at. */
		if (a.dom >= 0 && json_object_set_new(o, "domain", json_string(sc->dom[a.dom].name)))
			j->ret = -ENOMEM;
	} else if (o) {
		static const char *const pgtt[] = { "?", "first stage", "second stage", "nested",
						    "pass-through", "?", "?", "?" };
		struct hw_entry e;
		json_t *hw = json_null();

		if (!hw_entry_read(sc, sc->dev[dv].unit, sc->dev[dv].cfg.rid, pasid, &e))
			hw = json_pack("{s:i, s:s, s:I}", "did", (int)e.did, "translation",
				       pgtt[e.pgtt], "fsptptr", (json_int_t)e.fsptptr);
		if (json_object_set_new(o, "tables", hw ?: json_null()))
			j->ret = -ENOMEM;
	}
	jappend(j, j->list, o);
	return 0;
}

static json_t *device_json(struct json_dump *j, unsigned int i)
{
	struct scenario *sc = j->sc;
	struct sc_device *d = &sc->dev[i];
	json_t *o, *atts = json_array();
	char rid[16];

	rid_str(d->cfg.rid, rid);
	o = json_pack("{s:s, s:i}", "name", d->name, "group", (int)group_no(sc, i));
	if (!o)
		goto out;
	if (sc->unit[d->unit].type == UNIT_SMMUV2) {
		static const char *const types[] = { "translate", "bypass", "fault", "reserved" };
		struct v2_stream st;
		json_t *sj = json_null(), *cb = json_null();
		int lc;

		v2_stream_read(sc, d->unit, d->cfg.rid, &st);
		lc = d->is_gpu && st.cb >= 0 && st.dom < 0 ?
		     client_by_root(sc, i, st.ttbr0 & V2_TTBR_ADDR) : -1;
		if (st.cb >= 0)
			cb = json_pack("{s:i, s:s, s:i, s:o, s:I, s:b, s:o}", "index", st.cb,
				       "type", st.s1 ? "s1" : "s2", "vmid", (int)st.vmid,
				       "asid", st.s1 ? json_integer(st.asid) : json_null(),
				       "ttbr0", (json_int_t)(st.ttbr0 & V2_TTBR_ADDR),
				       "enabled", st.enabled, "domain", st.dom >= 0 ?
				       json_string(sc->dom[st.dom].name) : json_null());
		if (cb && d->is_gpu &&
		    json_object_set_new(cb, "live_client", lc >= 0 ?
					json_string(sc->client[lc].name) : json_null()))
			j->ret = -ENOMEM;
		if (st.smr >= 0)
			sj = json_pack("{s:i, s:i, s:i, s:s, s:o}", "smr", st.smr, "id",
				       (int)st.smr_id, "mask", (int)st.smr_mask, "s2cr",
				       types[st.s2cr_type], "bank", cb ?: json_null());
		else
			json_decref(cb);
		if (json_object_set_new(o, "sid", json_integer(d->cfg.rid)) ||
		    json_object_set_new(o, "rid", d->by_sid ? json_null() : json_string(rid)) ||
		    json_object_set_new(o, "stream", sj ?: json_null()))
			j->ret = -ENOMEM;
	} else if (sc->unit[d->unit].type == UNIT_SMMUV3) {
		struct siommu_smmuv3_ste_desc ste;
		uint64_t pa;

		if (json_object_set_new(o, "sid", json_integer(d->cfg.rid)) ||
		    json_object_set_new(o, "rid", d->by_sid ? json_null() : json_string(rid)) ||
		    json_object_set_new(o, "ste", smmu_ste_read(sc, d->unit, d->cfg.rid, &ste, &pa) ?
					json_null() : ste_json(&ste, pa)))
			j->ret = -ENOMEM;
	} else {
		struct siommu_device_info info;
		struct hw_entry e = { 0 };

		siommu_device_get_info(d->dev, &info);
		hw_entry_read(sc, d->unit, d->cfg.rid, 0, &e);
		if (json_object_set_new(o, "rid", json_string(rid)) ||
		    json_object_set_new(o, "context", json_pack("{s:b, s:b, s:b}", "pasid",
					info.max_pasid != 0, "ats", e.dte, "pri", e.pre)))
			j->ret = -ENOMEM;
	}
	if (json_object_set(o, "attachments", atts))
		j->ret = -ENOMEM;
	if (d->is_gpu) {
		json_t *cl = json_array();
		unsigned int k;

		for (k = 0; cl && k < sc->nclients; k++)
			if (sc->client[k].device == (int)i && sc->client[k].c)
				jappend(j, cl, json_pack("{s:s, s:i}", "name", sc->client[k].name,
					"pasid", (int)siommu_gpu_client_pasid(sc->client[k].c)));
		if (json_object_set_new(o, "clients", cl ?: json_null()))
			j->ret = -ENOMEM;
	}
	j->dev = i;
	j->list = atts;
	siommu_device_for_each_attachment(d->dev, json_att, j);
out:
	json_decref(atts);
	return o;
}

static int json_run(void *arg, const struct siommu_pt_run *run)
{
	struct json_dump *j = arg;

	jappend(j, j->list, json_pack("{s:I, s:I, s:I, s:s}", "iova", (json_int_t)run->iova,
				      "length", (json_int_t)run->length, "pa", (json_int_t)run->pa,
				      "prot", (run->prot & SIOMMU_PROT_READ) ?
				      (run->prot & SIOMMU_PROT_WRITE ? "rw" : "r") :
				      (run->prot & SIOMMU_PROT_WRITE ? "w" : "")));
	return 0;
}

static json_t *domain_json(struct json_dump *j, unsigned int i)
{
	struct sc_domain *d = &j->sc->dom[i];
	struct siommu_pt *pt = siommu_domain_pt(d->dom);
	json_t *maps = json_array(), *o;

	o = json_pack("{s:s, s:s, s:O}", "name", d->name, "kind", dom_kind(d), "mappings", maps);
	if (o && pt) {
		struct siommu_pt_cfg pc;

		siommu_pt_get_cfg(pt, &pc);
		j->list = maps;
		siommu_pt_for_each(pt, 0, 1ull << (pc.ias - (pc.format == SIOMMU_PT_X86_64)),
				   json_run, j);
	}
	json_decref(maps);
	return o;
}

int scenario_dump_json(struct scenario *sc, FILE *out)
{
	struct json_dump j = { .sc = sc };
	json_t *doc = json_object(), *units = json_array(), *doms = json_array();
	unsigned int u, i;
	int ret = -ENOMEM;

	if (!doc || !units || !doms || json_object_set_new(doc, "scenario", json_text(sc->file)) ||
	    json_object_set(doc, "units", units) || json_object_set(doc, "domains", doms))
		goto out;
	for (u = 0; u < sc->nunits; u++) {
		bool smmu = sc->unit[u].type == UNIT_SMMUV3;
		json_t *devs = json_array(), *o;
		struct smmu_st st;

		o = json_pack("{s:s, s:s}", "name", sc->unit[u].name, "type",
			      unit_types[sc->unit[u].type]);
		if (o && sc->unit[u].type == UNIT_SMMUV2 &&
		    json_object_update_new(o, json_pack("{s:i, s:i, s:i}", "sid_bits",
				(int)sc->unit[u].v2cfg.sid_bits, "smr_groups",
				(int)sc->unit[u].v2cfg.num_smrg, "banks",
				(int)sc->unit[u].v2cfg.num_cb)))
			j.ret = -ENOMEM;
		if (o && smmu && !smmu_st_read(sc, u, &st) &&
		    json_object_set_new(o, "stream_table", json_pack("{s:s, s:I, s:i, s:i}",
				"format", st.two_level ? "2level" : "linear",
				"base", (json_int_t)st.base, "log2size", (int)st.log2size,
				"split", st.two_level ? (int)st.split : 0)))
			j.ret = -ENOMEM;
		if (o && json_object_set(o, "devices", devs))
			j.ret = -ENOMEM;
		for (i = 0; o && i < sc->ndevs; i++)
			if (sc->dev[i].unit == (int)u)
				jappend(&j, devs, device_json(&j, i));
		json_decref(devs);
		jappend(&j, units, o);
	}
	for (i = 0; i < sc->ndoms; i++)
		jappend(&j, doms, domain_json(&j, i));
	if (j.ret)
		goto out;
	ret = json_dumpf(doc, out, JSON_INDENT(2) | JSON_ENSURE_ASCII) == 0 &&
	      fputc('\n', out) != EOF ? 0 : -EIO;
out:
	json_decref(units);
	json_decref(doms);
	json_decref(doc);
	return ret;
}
