/* SPDX-License-Identifier: MIT */
/*
 * Import graph: nodes are interned paths, each with an ordered list of
 * imports (out edges) and of importers (in edges). Setting a file's imports
 * touches only that file's old and new edges, so it is incremental like the
 * symbol upsert. A node lives while it has imports or is imported (interner
 * references: one as a source, one per incoming edge).
 *
 * Guarded by the index's rwlock and writer mutex.
 */
#include <errno.h>
#include <string.h>

#include "accel_alloc.h"
#include "accel_err.h"
#include "symbols_int.h"

struct node {
	uint32_t *out, nout, out_cap;
	uint32_t *in, nin, in_cap;
	uint32_t is_src;
};

struct imports {
	struct intern nodes;
	struct node *nv;
	uint32_t nv_cap;
	uint64_t edges;
};

int accel__imports_create(struct imports **out)
{
	struct imports *g = accel_calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	if (accel__intern_init(&g->nodes)) {
		accel_free(g);
		return -ENOMEM;
	}
	*out = g;
	return 0;
}

void accel__imports_destroy(struct imports *g)
{
	if (!g)
		return;
	for (uint32_t i = 1; i < g->nodes.nent; i++) {
		if (!g->nodes.ent[i].refs)
			continue;
		accel_free(g->nv[i].out);
		accel_free(g->nv[i].in);
	}
	accel_free(g->nv);
	accel__intern_fini(&g->nodes);
	accel_free(g);
}

uint64_t accel__imports_bytes(const struct imports *g, uint64_t *nodes,
			      uint64_t *edges)
{
	uint64_t b = sizeof(*g) + accel__intern_bytes(&g->nodes) +
		     (uint64_t)g->nv_cap * sizeof(*g->nv);

	for (uint32_t i = 1; i < g->nodes.nent; i++)
		if (g->nodes.ent[i].refs)
			b += ((uint64_t)g->nv[i].out_cap + g->nv[i].in_cap) *
			     sizeof(uint32_t);
	*nodes = g->nodes.live;
	*edges = g->edges;
	return b;
}

static int append(uint32_t **v, uint32_t *n, uint32_t *cap, uint32_t x)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 4;
		uint32_t *nv = accel_realloc(*v, c * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return 0;
}

static void node_put(struct imports *g, uint32_t id)
{
	if (accel__intern_put(&g->nodes, id)) {
		accel_free(g->nv[id].out);
		accel_free(g->nv[id].in);
		memset(&g->nv[id], 0, sizeof(g->nv[id]));
	}
}

static int64_t node_get(struct imports *g, const char *s, uint32_t len)
{
	int fresh;
	int64_t id = accel__intern_get(&g->nodes, s, len,
				       accel__intern_hash(s, len), &fresh);

	if (id <= 0)
		return id;
	if (g->nodes.ent_cap > g->nv_cap) {
		struct node *nv =
			accel_realloc(g->nv, g->nodes.ent_cap * sizeof(*nv));

		if (!nv) {
			node_put(g, (uint32_t)id);
			return -ENOMEM;
		}
		g->nv = nv;
		g->nv_cap = g->nodes.ent_cap;
	}
	if (fresh)
		memset(&g->nv[id], 0, sizeof(g->nv[id]));
	return id;
}

/* Removes src from dst's importers, keeping the order of the rest. */
static void unlink_in(struct node *dst, uint32_t src)
{
	for (uint32_t i = 0; i < dst->nin; i++) {
		if (dst->in[i] == src) {
			memmove(&dst->in[i], &dst->in[i + 1],
				(dst->nin - i - 1) * sizeof(uint32_t));
			dst->nin--;
			return;
		}
	}
}

static void clear_out(struct imports *g, uint32_t src)
{
	struct node *s = &g->nv[src];
	uint32_t *out = s->out, n = s->nout;

	s->out = NULL;
	s->nout = s->out_cap = 0;
	for (uint32_t i = 0; i < n; i++) {
		unlink_in(&g->nv[out[i]], src);
		g->edges--;
		node_put(g, out[i]);
	}
	accel_free(out);
}

void accel__imports_clear(struct imports *g)
{
	for (uint32_t i = 1; i < g->nodes.nent; i++) {
		if (!g->nodes.ent[i].refs || !g->nv[i].is_src)
			continue;
		g->nodes.ent[i].refs++;
		clear_out(g, i);
		g->nv[i].is_src = 0;
		node_put(g, i);
		node_put(g, i);
	}
}

static int path_ok(const char *s, size_t len)
{
	if (!s || !len || len > ACCEL_SYMBOLS_MAX_PATH)
		return -ACCEL_E_SYM_BAD_PATH;
	if (!accel__utf8_valid((const uint8_t *)s, len))
		return -ACCEL_E_SYM_BAD_UTF8;
	return 0;
}

int accel_symbols_imports_set(struct accel_symbols *idx, const char *file,
			      size_t file_len, const char *const *imports,
			      const uint32_t *lens, size_t n)
{
	struct imports *g;
	int64_t src;
	int ret;

	if (!idx || (n && !imports))
		return -ACCEL_E_BAD_ARG;
	ret = path_ok(file, file_len);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		ret = path_ok(imports[i],
			      lens ? lens[i] :
				     (imports[i] ? strlen(imports[i]) : 0));
		if (ret)
			return ret;
	}
	g = idx->imp;
	pthread_mutex_lock(&idx->wlock);
	pthread_rwlock_wrlock(&idx->lock);
	src = node_get(g, file, (uint32_t)file_len);
	if (src < 0) {
		ret = (int)src;
		goto out;
	}
	clear_out(g, (uint32_t)src);
	ret = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t len = lens ? lens[i] : (uint32_t)strlen(imports[i]);
		int64_t dst = node_get(g, imports[i], len);
		struct node *s;
		int dup = 0;

		if (dst < 0) {
			ret = (int)dst;
			break;
		}
		s = &g->nv[src];
		for (uint32_t k = 0; k < s->nout; k++)
			if (s->out[k] == (uint32_t)dst)
				dup = 1;
		if (dup ||
		    append(&s->out, &s->nout, &s->out_cap, (uint32_t)dst)) {
			node_put(g, (uint32_t)dst);
			if (!dup) {
				ret = -ENOMEM;
				break;
			}
			continue;
		}
		if (append(&g->nv[dst].in, &g->nv[dst].nin, &g->nv[dst].in_cap,
			   (uint32_t)src)) {
			s->nout--;
			node_put(g, (uint32_t)dst);
			ret = -ENOMEM;
			break;
		}
		g->edges++;
		ret++;
	}
	if (ret < 0)
		clear_out(g, (uint32_t)src);
	/*
	 * The source reference: held while the file has imports. The
	 * lookup's reference becomes it, or is dropped.
	 */
	if (g->nv[src].nout && !g->nv[src].is_src) {
		g->nv[src].is_src = 1;
	} else if (!g->nv[src].nout && g->nv[src].is_src) {
		g->nv[src].is_src = 0;
		node_put(g, (uint32_t)src);
		node_put(g, (uint32_t)src);
	} else {
		node_put(g, (uint32_t)src);
	}
out:
	pthread_rwlock_unlock(&idx->lock);
	pthread_mutex_unlock(&idx->wlock);
	return ret;
}

int accel_symbols_imports_remove(struct accel_symbols *idx, const char *file,
				 size_t file_len)
{
	struct imports *g;
	uint32_t id;
	int ret;

	if (!idx)
		return -ACCEL_E_BAD_ARG;
	ret = path_ok(file, file_len);
	if (ret)
		return ret;
	g = idx->imp;
	pthread_mutex_lock(&idx->wlock);
	pthread_rwlock_wrlock(&idx->lock);
	id = accel__intern_find(&g->nodes, file, (uint32_t)file_len,
				accel__intern_hash(file, (uint32_t)file_len));
	ret = id && g->nv[id].is_src;
	if (ret) {
		/* Hold a reference while its edges go. */
		g->nodes.ent[id].refs++;
		clear_out(g, id);
		g->nv[id].is_src = 0;
		node_put(g, id);
		node_put(g, id);
	}
	pthread_rwlock_unlock(&idx->lock);
	pthread_mutex_unlock(&idx->wlock);
	return ret;
}

/* Breadth-first walk; returns the visit order with depths. */
static int bfs(const struct imports *g, uint32_t start, int back,
	       unsigned depth, uint32_t **order, uint32_t **depths,
	       uint32_t *count)
{
	uint32_t n = g->nodes.nent, head = 0, tail = 0;
	uint8_t *seen = accel_calloc(n, 1);
	uint32_t *q = accel_malloc((size_t)n * sizeof(uint32_t));
	uint32_t *d = accel_malloc((size_t)n * sizeof(uint32_t));

	if (!seen || !q || !d) {
		accel_free(seen);
		accel_free(q);
		accel_free(d);
		return -ENOMEM;
	}
	seen[start] = 1;
	q[tail] = start;
	d[tail++] = 0;
	while (head < tail) {
		uint32_t v = q[head], dv = d[head++];
		const struct node *nd = &g->nv[v];
		const uint32_t *e = back ? nd->in : nd->out;
		uint32_t ne = back ? nd->nin : nd->nout;

		if (depth && dv >= depth)
			continue;
		for (uint32_t i = 0; i < ne; i++) {
			if (seen[e[i]])
				continue;
			seen[e[i]] = 1;
			q[tail] = e[i];
			d[tail++] = dv + 1;
		}
	}
	accel_free(seen);
	*order = q;
	*depths = d;
	*count = tail;
	return 0;
}

int accel_symbols_imports_query(struct accel_symbols *idx, const char *file,
				size_t file_len, unsigned which, unsigned depth,
				void *out, size_t cap, size_t *needed)
{
	struct imports *g;
	uint32_t id, *order = NULL, *depths = NULL, cnt = 0, *keep = NULL;
	uint32_t nkeep = 0;
	uint64_t strs = 0, total, soff;
	int ret;

	if (!idx || which > ACCEL_SYMBOLS_CYCLE || (cap && !out))
		return -ACCEL_E_BAD_ARG;
	ret = path_ok(file, file_len);
	if (ret)
		return ret;
	g = idx->imp;
	pthread_rwlock_rdlock(&idx->lock);
	id = accel__intern_find(&g->nodes, file, (uint32_t)file_len,
				accel__intern_hash(file, (uint32_t)file_len));
	if (id) {
		ret = bfs(g, id, which == ACCEL_SYMBOLS_DEPENDENTS,
			  which == ACCEL_SYMBOLS_CYCLE ? 0 : depth, &order,
			  &depths, &cnt);
		if (ret)
			goto out;
		keep = accel_malloc((size_t)cnt * sizeof(uint32_t) + 4);
		if (!keep) {
			ret = -ENOMEM;
			goto out;
		}
		if (which == ACCEL_SYMBOLS_CYCLE) {
			/* SCC of id: reachable both ways. */
			uint32_t *bo, *bd, bc;
			uint8_t *back = accel_calloc(g->nodes.nent, 1);

			if (!back || bfs(g, id, 1, 0, &bo, &bd, &bc)) {
				accel_free(back);
				ret = -ENOMEM;
				goto out;
			}
			for (uint32_t i = 0; i < bc; i++)
				back[bo[i]] = 1;
			accel_free(bo);
			accel_free(bd);
			for (uint32_t i = 1; i < cnt; i++)
				if (back[order[i]])
					keep[nkeep++] = i;
			accel_free(back);
		} else {
			for (uint32_t i = 1; i < cnt; i++)
				keep[nkeep++] = i;
		}
	}
	for (uint32_t k = 0; k < nkeep; k++)
		strs += intern_len(&g->nodes, order[keep[k]]);
	soff = 16 + (uint64_t)nkeep * 16;
	total = soff + strs;
	if (needed)
		*needed = (size_t)total;
	if (total > cap || total > UINT32_MAX) {
		ret = -ACCEL_E_NO_SPACE;
		goto out;
	}
	{
		uint32_t *h = out, sp = 0;
		uint8_t *sv = (uint8_t *)out + soff;

		h[0] = ACCEL_SYMBOLS_IMPORTS_MAGIC;
		h[1] = nkeep;
		h[2] = (uint32_t)soff;
		h[3] = (uint32_t)total;
		for (uint32_t k = 0; k < nkeep; k++) {
			uint32_t v = order[keep[k]];
			uint32_t l = intern_len(&g->nodes, v);
			uint32_t *e = h + 4 + 4 * k;

			e[0] = sp;
			e[1] = l;
			e[2] = depths[keep[k]];
			e[3] = 0;
			memcpy(sv + sp, intern_str(&g->nodes, v), l);
			sp += l;
		}
	}
	ret = (int)total;
out:
	pthread_rwlock_unlock(&idx->lock);
	accel_free(order);
	accel_free(depths);
	accel_free(keep);
	return ret;
}

int accel__imports_each(const struct imports *g,
			int (*fn)(void *arg, const char *file, uint32_t flen,
				  const char *const *imp, const uint32_t *lens,
				  uint32_t n),
			void *arg)
{
	const char **pv = NULL;
	uint32_t *lv = NULL, cap = 0;
	int ret = 0;

	for (uint32_t i = 1; i < g->nodes.nent && !ret; i++) {
		const struct node *nd = &g->nv[i];

		if (!g->nodes.ent[i].refs || !nd->is_src)
			continue;
		if (nd->nout > cap) {
			accel_free(pv);
			accel_free(lv);
			cap = nd->nout;
			pv = accel_malloc(cap * sizeof(*pv));
			lv = accel_malloc(cap * sizeof(*lv));
			if (!pv || !lv) {
				ret = -ENOMEM;
				break;
			}
		}
		for (uint32_t k = 0; k < nd->nout; k++) {
			pv[k] = intern_str(&g->nodes, nd->out[k]);
			lv[k] = intern_len(&g->nodes, nd->out[k]);
		}
		ret = fn(arg, intern_str(&g->nodes, i),
			 intern_len(&g->nodes, i), pv, lv, nd->nout);
	}
	accel_free(pv);
	accel_free(lv);
	return ret;
}
