/* SPDX-License-Identifier: MIT */
/*
 * Workspace indexing: walk a tree honouring .gitignore, read and hash each
 * file (through the caller's io_uring when given), and run universal-ctags
 * on the files whose XXH3 changed, in batches, turning its JSON tags into
 * upsert buffers.
 *
 * ctags parses untrusted files with a large C parser, so it runs under the
 * sandbox (sandbox/sandbox.h): it may read the workspace, the system's
 * /usr and /lib (its binary and libraries) and nothing else; it may write
 * nothing but the temporary file it insists on making, which goes to a
 * private tmpfs on /tmp (or, for a workspace or a ctags under /tmp, which
 * that tmpfs would hide, to an empty scratch directory we make and remove); no
 * network; a timeout, an output budget and memory, file-size and CPU
 * limits per batch. The policy is compiled once per indexing run; the
 * layers in force are reported in the result.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "sandbox.h"
#include "symbols_int.h"

#define BATCH_FILES	  256
#define DEFAULT_MAX_BYTES (64u << 20)
#define CTAGS_TIMEOUT_MS  300000u      /* per batch */
#define CTAGS_MAX_OUTPUT  (1ull << 30) /* JSON bytes per batch */
#define CTAGS_MEM_BYTES	  (4ull << 30) /* address space */
#define CTAGS_FSIZE_BYTES (1ull << 30) /* its temporary file */
#define CTAGS_STDERR_KEEP 4096

/* ------------------------------------------------------------ gitignore */

struct rule {
	char *pat;     /* without '!', leading and trailing '/' */
	uint32_t base; /* length of the directory prefix it applies under */
	uint8_t neg, dir_only, anchored;
};

struct walk {
	struct rule *rules;
	size_t nrules, rcap;
	char **files; /* root-relative */
	size_t nfiles, fcap;
	uint32_t max_bytes;
};

static int add_rule(struct walk *w, const char *line, uint32_t base)
{
	char buf[4096];
	size_t n = strlen(line);
	struct rule r = { 0 };
	const char *s = line;

	while (n && (line[n - 1] == ' ' || line[n - 1] == '\r'))
		n--;
	if (!n || line[0] == '#')
		return 0;
	if (*s == '!') {
		r.neg = 1;
		s++;
		n--;
	} else if (*s == '\\') {
		s++;
		n--;
	}
	if (!n || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (buf[n - 1] == '/') {
		r.dir_only = 1;
		buf[--n] = 0;
	}
	if (!n)
		return 0;
	/* "**" followed by a slash at the start matches at any depth. */
	s = buf;
	if (!strncmp(s, "**/", 3)) {
		s += 3;
	} else if (strchr(buf, '/')) {
		r.anchored = 1;
		if (*s == '/')
			s++;
	}
	r.pat = accel_strdup(s);
	if (!r.pat)
		return -ENOMEM;
	r.base = base;
	if (w->nrules == w->rcap) {
		size_t c = w->rcap ? w->rcap * 2 : 32;
		struct rule *nr = accel_realloc(w->rules, c * sizeof(*nr));

		if (!nr) {
			accel_free(r.pat);
			return -ENOMEM;
		}
		w->rules = nr;
		w->rcap = c;
	}
	w->rules[w->nrules++] = r;
	return 0;
}

static int load_gitignore(struct walk *w, const char *root, const char *rel,
			  uint32_t base)
{
	char path[8192], line[4096];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s%s.gitignore", root, rel,
		 *rel ? "/" : "");
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!ret && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		ret = add_rule(w, line, base);
	}
	fclose(f);
	return ret;
}

/* rel is root-relative; the last matching rule decides. */
static int ignored(const struct walk *w, const char *rel, int is_dir)
{
	const char *slash = strrchr(rel, '/');
	const char *base = slash ? slash + 1 : rel;
	int ign = 0;

	for (size_t i = 0; i < w->nrules; i++) {
		const struct rule *r = &w->rules[i];
		const char *sub = rel + r->base;

		if (r->dir_only && !is_dir)
			continue;
		if (strlen(rel) < r->base)
			continue;
		if (r->anchored ? !fnmatch(r->pat, sub, FNM_PATHNAME) :
				  !fnmatch(r->pat, base, 0))
			ign = !r->neg;
	}
	return ign;
}

static int add_file(struct walk *w, const char *rel)
{
	if (w->nfiles == w->fcap) {
		size_t c = w->fcap ? w->fcap * 2 : 256;
		char **nf = accel_realloc(w->files, c * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		w->files = nf;
		w->fcap = c;
	}
	if (!(w->files[w->nfiles] = accel_strdup(rel)))
		return -ENOMEM;
	w->nfiles++;
	return 0;
}

static int walk_dir(struct walk *w, const char *root, const char *rel)
{
	char path[8192], child[8192];
	size_t saved = w->nrules;
	struct dirent *de;
	DIR *d;
	int ret;

	ret = load_gitignore(w, root, rel,
			     *rel ? (uint32_t)strlen(rel) + 1 : 0);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	d = opendir(path);
	if (!d)
		return 0; /* unreadable directories are skipped */
	while (!ret && (de = readdir(d))) {
		int is_dir;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, ".git"))
			continue;
		if (de->d_type == DT_DIR)
			is_dir = 1;
		else if (de->d_type == DT_REG)
			is_dir = 0;
		else
			continue; /* symlinks (loops), devices, sockets */
		if ((size_t)snprintf(child, sizeof(child), "%s%s%s", rel,
				     *rel ? "/" : "",
				     de->d_name) >= sizeof(child))
			continue;
		if (ignored(w, child, is_dir))
			continue;
		ret = is_dir ? walk_dir(w, root, child) : add_file(w, child);
	}
	closedir(d);
	/* Rules of this directory end with it. */
	for (size_t i = saved; i < w->nrules; i++)
		accel_free(w->rules[i].pat);
	w->nrules = saved;
	return ret;
}

/* ---------------------------------------------------------------- reads */

struct fbuf {
	uint8_t *data;
	size_t len;
	int err;
};

static int read_plain(const char *root, const char *rel, uint32_t max,
		      struct fbuf *fb)
{
	char path[8192];
	struct stat st;
	size_t off = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || (uint64_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	fb->data = accel_malloc((size_t)st.st_size + 1);
	if (!fb->data) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = pread(fd, fb->data + off, (size_t)st.st_size - off,
				  (off_t)off);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		off += (size_t)r;
	}
	close(fd);
	fb->len = off;
	return 0;
}

/*
 * Reads a batch through the ring: one READ per file, submitted together,
 * reaped together. Files larger than max, or that fail to open, get an
 * error in their fbuf.
 */
static void read_batch(struct io_uring *ring, const char *root, char **rel,
		       size_t n, uint32_t max, struct fbuf *fb)
{
	int fds[BATCH_FILES];
	size_t inflight = 0;

	if (!ring) {
		for (size_t i = 0; i < n; i++)
			fb[i].err = read_plain(root, rel[i], max, &fb[i]);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char path[8192];
		struct stat st;
		struct io_uring_sqe *sqe;

		fds[i] = -1;
		snprintf(path, sizeof(path), "%s/%s", root, rel[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			fb[i].err = -errno;
			continue;
		}
		if (fstat(fds[i], &st) || (uint64_t)st.st_size > max) {
			fb[i].err = -EFBIG;
			continue;
		}
		fb[i].data = accel_malloc((size_t)st.st_size + 1);
		sqe = io_uring_get_sqe(ring);
		if (!fb[i].data || !sqe) {
			/* No room in the ring: read this one directly. */
			accel_free(fb[i].data);
			fb[i].data = NULL;
			fb[i].err = read_plain(root, rel[i], max, &fb[i]);
			continue;
		}
		fb[i].len = (size_t)st.st_size;
		io_uring_prep_read(sqe, fds[i], fb[i].data,
				   (unsigned)st.st_size, 0);
		io_uring_sqe_set_data64(sqe, i);
		inflight++;
	}
	if (inflight)
		io_uring_submit(ring);
	while (inflight) {
		struct io_uring_cqe *cqe;
		size_t i;

		if (io_uring_wait_cqe(ring, &cqe))
			break;
		i = (size_t)io_uring_cqe_get_data64(cqe);
		if (i < n) {
			if (cqe->res < 0) {
				fb[i].err = cqe->res;
			} else if ((size_t)cqe->res < fb[i].len) {
				/* Short read: finish it plainly. */
				accel_free(fb[i].data);
				fb[i].data = NULL;
				fb[i].err =
					read_plain(root, rel[i], max, &fb[i]);
			}
		}
		io_uring_cqe_seen(ring, cqe);
		inflight--;
	}
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---------------------------------------------------------- ctags JSON */

struct tag {
	char *name, *path, *scope, *sig, *pattern, *kind;
	uint32_t line, end;
};

/* Parses one JSON string at *p (just after the quote) into out. */
static int json_str(const char **p, const char *end, char *out, size_t cap,
		    size_t *olen)
{
	const char *s = *p;
	size_t o = 0;

	while (s < end && *s != '"') {
		uint32_t cp;
		char c = *s++;

		if (c != '\\') {
			if (o + 1 < cap)
				out[o++] = c;
			continue;
		}
		if (s >= end)
			return -1;
		c = *s++;
		switch (c) {
		case 'n':
			cp = '\n';
			break;
		case 't':
			cp = '\t';
			break;
		case 'r':
			cp = '\r';
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'u':
			if (end - s < 4)
				return -1;
			{
				char hex[5] = { s[0], s[1], s[2], s[3], 0 };

				cp = (uint32_t)strtoul(hex, NULL, 16);
			}
			s += 4;
			break;
		default:
			cp = (uint8_t)c;
			break;
		}
		/* Lone surrogates become U+FFFD so names stay valid UTF-8. */
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		if (cp < 0x80) {
			if (o + 1 < cap)
				out[o++] = (char)cp;
		} else if (cp < 0x800) {
			if (o + 2 < cap) {
				out[o++] = (char)(0xc0 | (cp >> 6));
				out[o++] = (char)(0x80 | (cp & 0x3f));
			}
		} else if (o + 3 < cap) {
			out[o++] = (char)(0xe0 | (cp >> 12));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	if (s >= end)
		return -1;
	*p = s + 1;
	out[o] = 0;
	*olen = o;
	return 0;
}

/*
 * Parses one flat ctags JSON object. Strings go to a scratch area owned by
 * the caller. Returns 1 for a tag, 0 for other records, -1 when malformed.
 */
static int parse_tag(const char *s, const char *end, char *scratch, size_t cap,
		     struct tag *t)
{
	size_t used = 0;
	int is_tag = 0;

	memset(t, 0, sizeof(*t));
	while (s < end && *s != '{')
		s++;
	if (s >= end)
		return -1;
	s++;
	for (;;) {
		char key[32];
		size_t kl;

		while (s < end && (*s == ' ' || *s == ','))
			s++;
		if (s >= end)
			return -1;
		if (*s == '}')
			break;
		if (*s++ != '"' || json_str(&s, end, key, sizeof(key), &kl))
			return -1;
		while (s < end && (*s == ' ' || *s == ':'))
			s++;
		if (s >= end)
			return -1;
		if (*s == '"') {
			char *v = scratch + used;
			size_t vl;

			s++;
			if (used + 1 >= cap ||
			    json_str(&s, end, v, cap - used, &vl))
				return -1;
			used += vl + 1;
			if (!strcmp(key, "_type"))
				is_tag = !strcmp(v, "tag");
			else if (!strcmp(key, "name"))
				t->name = v;
			else if (!strcmp(key, "path"))
				t->path = v;
			else if (!strcmp(key, "scope"))
				t->scope = v;
			else if (!strcmp(key, "signature"))
				t->sig = v;
			else if (!strcmp(key, "pattern"))
				t->pattern = v;
			else if (!strcmp(key, "kind"))
				t->kind = v;
		} else {
			char *e;
			unsigned long v = strtoul(s, &e, 10);

			if (e == s) {
				/* true/false/null: skip the word. */
				while (s < end && *s != ',' && *s != '}')
					s++;
				continue;
			}
			s = e;
			if (!strcmp(key, "line"))
				t->line = (uint32_t)v;
			else if (!strcmp(key, "end"))
				t->end = (uint32_t)v;
		}
	}
	return is_tag && t->name && t->path && *t->name ? 1 : 0;
}

/* Column of the name in the tag's search pattern ("/^  foo(x)$/"). */
static uint32_t tag_col(const struct tag *t)
{
	char line[1024];
	const char *p = t->pattern, *hit;
	size_t o = 0;

	if (!p || strncmp(p, "/^", 2))
		return 0;
	for (p += 2; *p && o + 1 < sizeof(line); p++) {
		if (p[0] == '\\' && (p[1] == '/' || p[1] == '\\'))
			p++;
		else if (p[0] == '$' && p[1] == '/' && !p[2])
			break;
		else if (p[0] == '/' && !p[1])
			break;
		line[o++] = *p;
	}
	line[o] = 0;
	hit = strstr(line, t->name);
	return hit ? (uint32_t)(hit - line) + 1 : 0;
}

/* ------------------------------------------------------------- batches */

struct pending {
	char *rel;
	uint64_t hash;
	struct accel_symbol *syms;
	char **owned; /* strings owned by syms */
	size_t n, cap;
};

static int pend_add(struct pending *pf, const struct tag *t)
{
	struct accel_symbol *s;

	if (pf->n == pf->cap) {
		size_t c = pf->cap ? pf->cap * 2 : 16;
		struct accel_symbol *ns =
			accel_realloc(pf->syms, c * sizeof(*ns));
		char **no;

		if (!ns)
			return -ENOMEM;
		pf->syms = ns;
		no = accel_realloc(pf->owned, c * 3 * sizeof(*no));
		if (!no)
			return -ENOMEM;
		pf->owned = no;
		pf->cap = c;
	}
	s = &pf->syms[pf->n];
	memset(s, 0, sizeof(*s));
	s->name = pf->owned[pf->n * 3] = accel_strdup(t->name);
	s->container = pf->owned[pf->n * 3 + 1] =
		t->scope ? accel_strdup(t->scope) : NULL;
	s->detail = pf->owned[pf->n * 3 + 2] = t->sig ? accel_strdup(t->sig) :
							NULL;
	if (!s->name)
		return -ENOMEM;
	s->kind = t->kind ? (uint32_t)accel_symbols_kind_from_name(
				    t->kind, strlen(t->kind)) :
			    0;
	s->line = t->line;
	s->col = tag_col(t);
	s->end_line = t->end ? t->end : t->line;
	pf->n++;
	return 0;
}

static void pend_free(struct pending *pf)
{
	for (size_t i = 0; i < pf->n * 3; i++)
		accel_free(pf->owned[i]);
	accel_free(pf->owned);
	accel_free(pf->syms);
	memset(pf, 0, sizeof(*pf));
}

/* ------------------------------------------------------ sandboxed ctags */

struct ctags_box {
	struct accel_sandbox *sb;
	char exe[4096];	 /* ctags, symlinks resolved */
	char root[4096]; /* the workspace, symlinks resolved */
	char tmpdir[64]; /* scratch TMPDIR, or "" with a private /tmp */
	char tmpenv[80]; /* "TMPDIR=..." */
	uint32_t timeout_ms;
	uint64_t max_output;
};

/* Finds an executable in PATH (or takes a path) and resolves it. */
static int find_exe(const char *name, char *out)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(name, '/'))
		return realpath(name, out) && !access(out, X_OK) ? 0 : -ENOENT;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");

		if (l && l + strlen(name) + 2 <= sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)l, path,
				 name);
			if (!access(buf, X_OK) && realpath(buf, out))
				return 0;
		}
		path += l + (path[l] == ':');
	}
	return -ENOENT;
}

static int under(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	return !strncmp(path, dir, l) && (path[l] == '/' || !path[l]);
}

/* Removes the scratch directory and whatever a killed ctags left in it. */
static void scratch_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

static void box_close(struct ctags_box *bx)
{
	accel_sandbox_destroy(bx->sb);
	bx->sb = NULL;
	if (bx->tmpdir[0])
		scratch_remove(bx->tmpdir);
	bx->tmpdir[0] = 0;
}

/*
 * Compiles the policy ctags runs under: read the workspace, ctags' own
 * directory, /usr, /lib and /lib64 (binary and shared libraries),
 * /etc/ld.so.cache, /dev/null and /dev/urandom; write nothing.
 */
static int box_open(struct ctags_box *bx, const char *ctags, const char *root,
		    const struct accel_symbols_ws_opts *o)
{
	static const char *const sys[] = { "/usr",	"/lib",
					   "/lib64",	"/etc/ld.so.cache",
					   "/dev/null", "/dev/urandom" };
	const char *read[ACCEL_ARRAY_SIZE(sys) + 2], *write[1];
	struct accel_sandbox_policy pol = { 0 };
	char exedir[4096];
	size_t nr = 0;
	struct stat st;
	int ret;

	memset(bx, 0, sizeof(*bx));
	if (find_exe(ctags, bx->exe) || !realpath(root, bx->root))
		return -ACCEL_E_SYM_CTAGS;
	snprintf(exedir, sizeof(exedir), "%s", bx->exe);
	*strrchr(exedir, '/') = 0;
	read[nr++] = bx->root;
	if (exedir[0] && !under(exedir, "/usr"))
		read[nr++] = exedir;
	for (size_t i = 0; i < ACCEL_ARRAY_SIZE(sys); i++)
		if (!lstat(sys[i], &st) && !S_ISLNK(st.st_mode))
			read[nr++] = sys[i];
	pol.read = read;
	pol.n_read = nr;
	pol.net = ACCEL_SANDBOX_NET_NONE;
	pol.mem_bytes = CTAGS_MEM_BYTES;
	pol.fsize_bytes = CTAGS_FSIZE_BYTES;
	bx->timeout_ms = o->ctags_timeout_ms ? o->ctags_timeout_ms :
					       CTAGS_TIMEOUT_MS;
	bx->max_output = o->ctags_max_output ? o->ctags_max_output :
					       CTAGS_MAX_OUTPUT;
	pol.cpu_ms = bx->timeout_ms;
	if (under(bx->root, "/tmp") || under(exedir, "/tmp")) {
		/* A private /tmp would hide the workspace or ctags itself. */
		snprintf(bx->tmpdir, sizeof(bx->tmpdir),
			 "/tmp/accel-ctags-XXXXXX");
		if (!mkdtemp(bx->tmpdir)) {
			bx->tmpdir[0] = 0;
			return -errno;
		}
		write[0] = bx->tmpdir;
		pol.write = write;
		pol.n_write = 1;
		snprintf(bx->tmpenv, sizeof(bx->tmpenv), "TMPDIR=%s",
			 bx->tmpdir);
	} else {
		pol.flags = ACCEL_SANDBOX_F_PRIVATE_TMP;
		snprintf(bx->tmpenv, sizeof(bx->tmpenv), "TMPDIR=/tmp");
	}
	ret = accel_sandbox_policy_compile(&pol, &bx->sb);
	if (ret)
		box_close(bx);
	return ret;
}

struct ctags_out {
	char *buf;
	size_t len, cap, max;
	int overflow;
};

static void on_output(void *arg, int stream, const void *data, size_t len)
{
	struct ctags_out *co = arg;

	if (stream != 0 || co->overflow)
		return;
	if (co->len + len > co->max) {
		co->overflow = 1;
		return;
	}
	if (co->len + len > co->cap) {
		size_t nc = co->cap ? co->cap : 1 << 16;
		char *nb;

		while (nc < co->len + len)
			nc *= 2;
		nb = accel_realloc(co->buf, nc);
		if (!nb) {
			co->overflow = 1;
			return;
		}
		co->buf = nb;
		co->cap = nc;
	}
	memcpy(co->buf + co->len, data, len);
	co->len += len;
}

/*
 * Runs ctags in the box over the listed files (root-relative, fed on
 * stdin); its JSON lines land in co. Returns 0, the sandbox's error when
 * it could not start, or -ACCEL_E_SYM_CTAGS when ctags failed, timed out
 * or exceeded its budget.
 */
static int run_ctags(const struct ctags_box *bx, struct pending *pf, size_t n,
		     struct ctags_out *co, struct accel_symbols_ws_result *r)
{
	const char *argv[] = { bx->exe,
			       "--options=NONE",
			       "--output-format=json",
			       "--fields=+n+e+K+Z+S",
			       "--sort=no",
			       "--languages=-JSON",
			       "-f",
			       "-",
			       "-L",
			       "-",
			       NULL };
	const char *env_set[] = { bx->tmpenv, NULL };
	struct accel_sandbox_drive_opts dopt = { .on_output = on_output,
						 .arg = co };
	struct accel_sandbox_exec req = { 0 };
	struct accel_sandbox_result res;
	size_t ll = 0, at = 0;
	char *list;
	int ret;

	for (size_t i = 0; i < n; i++)
		ll += strlen(pf[i].rel) + 1;
	list = accel_malloc(ll + 1);
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		at += (size_t)sprintf(list + at, "%s\n", pf[i].rel);
	req.argv = argv;
	req.env_set = env_set;
	req.cwd = bx->root;
	req.stdin_data = list;
	req.stdin_len = ll;
	req.timeout_ms = bx->timeout_ms;
	req.head_bytes = CTAGS_STDERR_KEEP;
	req.tail_bytes = CTAGS_STDERR_KEEP;
	req.max_output_bytes = bx->max_output + (1u << 20);
	ret = accel_sandbox_run(bx->sb, &req, &dopt, &res);
	accel_free(list);
	r->sandbox_layers |= res.layers;
	r->sandbox_layers_missing |= res.layers_missing;
	r->sandbox_violations += res.n_violations;
	if (!ret && (res.exit_code != 0 || co->overflow ||
		     (res.flags &
		      (ACCEL_SANDBOX_R_TIMED_OUT |
		       ACCEL_SANDBOX_R_OUTPUT_LIMIT | ACCEL_SANDBOX_R_OOM))))
		ret = -ACCEL_E_SYM_CTAGS;
	accel_sandbox_result_free(&res);
	return ret;
}

static int by_rel(const void *a, const void *b)
{
	return strcmp(((const struct pending *)a)->rel,
		      ((const struct pending *)b)->rel);
}

static int process_batch(struct accel_symbols *idx, const struct ctags_box *bx,
			 const char *root, struct pending *pf, size_t n,
			 struct accel_symbols_ws_result *res)
{
	struct ctags_out co = { .max = bx->max_output };
	char *scratch = NULL;
	const char *p, *end;
	int ret;

	qsort(pf, n, sizeof(*pf), by_rel);
	ret = run_ctags(bx, pf, n, &co, res);
	if (ret)
		goto out;
	scratch = accel_malloc(1 << 20);
	if (!scratch) {
		ret = -ENOMEM;
		goto out;
	}
	p = co.buf;
	end = p ? p + co.len : p;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct pending key, *hit;
		struct tag t;

		if (!nl)
			nl = end;
		if (parse_tag(p, nl, scratch, 1 << 20, &t) == 1) {
			key.rel = t.path;
			hit = bsearch(&key, pf, n, sizeof(*pf), by_rel);
			if (hit && pend_add(hit, &t)) {
				ret = -ENOMEM;
				goto out;
			}
		}
		p = nl + 1;
	}
	for (size_t i = 0; i < n; i++) {
		char path[8192];
		void *buf;
		size_t len;
		int r;

		snprintf(path, sizeof(path), "%s/%s", root, pf[i].rel);
		r = accel_symbols_encode(path, pf[i].syms, pf[i].n, pf[i].hash,
					 &buf, &len);
		if (!r) {
			r = accel_symbols_upsert(idx, buf, len);
			accel_free(buf);
		}
		if (r < 0) {
			res->errors++;
			continue;
		}
		res->files_indexed++;
		res->symbols += (uint64_t)r;
	}
	ret = 0;
out:
	accel_free(scratch);
	accel_free(co.buf);
	return ret;
}

/* Known files under root that the walk did not see. */
static int remove_gone(struct accel_symbols *idx, const char *root,
		       struct walk *w, struct accel_symbols_ws_result *res)
{
	size_t rl = strlen(root);
	char **gone = NULL;
	size_t ng = 0, cap = 0;
	int ret = 0;

	/* w->files is sorted by the caller. */
	pthread_rwlock_rdlock(&idx->lock);
	for (uint32_t f = 1; f < idx->files.nent; f++) {
		const char *s = intern_str(&idx->files, f);
		uint32_t l = intern_len(&idx->files, f);
		char rel[8192];

		if (!idx->files.ent[f].refs || l <= rl + 1 ||
		    memcmp(s, root, rl) || s[rl] != '/' ||
		    l - rl - 1 >= sizeof(rel))
			continue;
		memcpy(rel, s + rl + 1, l - rl - 1);
		rel[l - rl - 1] = 0;
		{
			size_t lo = 0, hi = w->nfiles;
			int found = 0;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				int c = strcmp(w->files[mid], rel);

				if (!c) {
					found = 1;
					break;
				}
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (found)
				continue;
		}
		if (ng == cap) {
			size_t c = cap ? cap * 2 : 16;
			char **n2 = accel_realloc(gone, c * sizeof(*n2));

			if (!n2) {
				ret = -ENOMEM;
				break;
			}
			gone = n2;
			cap = c;
		}
		gone[ng] = accel_malloc(l + 1);
		if (!gone[ng]) {
			ret = -ENOMEM;
			break;
		}
		memcpy(gone[ng], s, l);
		gone[ng][l] = 0;
		ng++;
	}
	pthread_rwlock_unlock(&idx->lock);
	for (size_t i = 0; i < ng; i++) {
		if (accel_symbols_remove(idx, gone[i], strlen(gone[i])) == 1)
			res->files_removed++;
		accel_free(gone[i]);
	}
	accel_free(gone);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int accel_symbols_index_workspace(struct accel_symbols *idx,
				  const struct accel_symbols_ws_opts *o,
				  struct accel_symbols_ws_result *res)
{
	struct accel_symbols_ws_result dummy;
	struct walk w = { 0 };
	struct pending *pf = NULL;
	struct fbuf *fb = NULL;
	struct ctags_box bx = { 0 };
	const char *ctags;
	char root[4096];
	size_t rl, np = 0;
	int ret;

	if (!idx || !o || !o->root || o->flags || o->resv)
		return -ACCEL_E_BAD_ARG;
	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	rl = strlen(o->root);
	while (rl > 1 && o->root[rl - 1] == '/')
		rl--;
	if (!rl || rl >= sizeof(root))
		return -ACCEL_E_SYM_BAD_PATH;
	memcpy(root, o->root, rl);
	root[rl] = 0;
	ctags = o->ctags ? o->ctags : "ctags";
	w.max_bytes = o->max_file_bytes ? o->max_file_bytes : DEFAULT_MAX_BYTES;

	ret = walk_dir(&w, root, "");
	if (ret)
		goto out;
	qsort(w.files, w.nfiles, sizeof(*w.files), cmp_str);
	res->files_seen = w.nfiles;
	pf = accel_calloc(BATCH_FILES, sizeof(*pf));
	fb = accel_calloc(BATCH_FILES, sizeof(*fb));
	if (!pf || !fb) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t at = 0; at < w.nfiles;) {
		size_t n = w.nfiles - at < BATCH_FILES ? w.nfiles - at :
							 BATCH_FILES;

		memset(fb, 0, n * sizeof(*fb));
		read_batch(o->ring, root, w.files + at, n, w.max_bytes, fb);
		np = 0;
		for (size_t i = 0; i < n; i++) {
			char path[8192];
			uint64_t h, old;
			int known;

			if (fb[i].err) {
				if (fb[i].err != -EFBIG)
					res->errors++;
				continue;
			}
			/* Binary files (a NUL early on) have no symbols. */
			if (memchr(fb[i].data, 0,
				   fb[i].len < 8192 ? fb[i].len : 8192)) {
				accel_free(fb[i].data);
				continue;
			}
			h = XXH3_64bits(fb[i].data, fb[i].len);
			accel_free(fb[i].data);
			snprintf(path, sizeof(path), "%s/%s", root,
				 w.files[at + i]);
			known = accel_symbols_file_hash(idx, path, strlen(path),
							&old);
			if (known == 1 && old == h) {
				res->files_unchanged++;
				continue;
			}
			memset(&pf[np], 0, sizeof(pf[np]));
			pf[np].rel = w.files[at + i];
			pf[np].hash = h;
			np++;
		}
		if (np && !bx.sb) {
			/* Compiled at the first batch that needs ctags. */
			ret = box_open(&bx, ctags, root, o);
			if (ret)
				goto out;
		}
		if (np) {
			ret = process_batch(idx, &bx, root, pf, np, res);
			for (size_t i = 0; i < np; i++)
				pend_free(&pf[i]);
			if (ret)
				goto out;
		}
		at += n;
		if (o->progress)
			o->progress(o->progress_arg, at, w.nfiles);
	}
	ret = remove_gone(idx, root, &w, res);
out:
	box_close(&bx);
	for (size_t i = 0; i < w.nfiles; i++)
		accel_free(w.files[i]);
	accel_free(w.files);
	for (size_t i = 0; i < w.nrules; i++)
		accel_free(w.rules[i].pat);
	accel_free(w.rules);
	accel_free(pf);
	accel_free(fb);
	return ret;
}
