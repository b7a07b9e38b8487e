/* media_write: `ferry-pack write`'s layout writer (see media.h).
 * Promises: names and free space are checked before the first byte is
 * written; every file lands through a temporary name (safe_tmp_*), is read
 * back from the stick with its cached pages dropped, and compared by SHA-256. */
#include "media.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "rfc3339.h"
#include "safefile.h"
#include "sha256.h"

#define COPY_BUF (1024 * 1024)
#define INDEX_RESERVE (256 * 1024)   /* MEDIA.json, directories, FAT slack */

/* The signed policy, and the public keys of its roots and signers (optional:
 * devices need a new signer's key to verify what it signs). */
static const char *const policy_files[] = { POLICY_SIG_FILE, POLICY_FILE, POLICY_KEYS_FILE };
#define POLICY_REQUIRED_FILES 2

struct copy_job {
	const char *source;
	char *dest;
	const char *file;
	uint64_t size;
	char sha256[65];
};

struct writer {
	const struct media_write_options *opt;
	uint64_t done, total;
	const char *phase;
	unsigned char *buf;
};

static void progress(struct writer *w, const char *file)
{
	if (w->opt->progress)
		w->opt->progress(w->opt->progress_ctx, w->phase, file, w->done, w->total);
}

static bool source_size(const char *path, uint64_t *size, struct ferry_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return ferry_error_errno(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return ferry_error_set(err, "%s: not a regular file", path);
	*size = (uint64_t)st.st_size;
	return true;
}

/* Where name goes in place of the stick mounted at root. */
static bool place_file(const char *root, enum stick_place place, const char *name, char **path,
		       struct ferry_error **err)
{
	struct stick_dir d = { .fd = -1 };
	char *top = stick_top(root);
	bool ok = top ? stick_dir_open(top, place, NULL, false, &d, err) &&
			stick_dir_file(&d, name, path, err)
		      : ferry_error_set(err, "out of memory");
	stick_dir_close(&d);
	free(top);
	return ok;
}

/* Checks names, sizes sources and sums what the stick must hold. */
static bool plan(const char *root, const struct media_write_bundle *bundles, size_t n,
		 const char *policy_dir, struct copy_job *jobs, size_t *n_jobs, struct ferry_error **err)
{
	const char **names = calloc(n + 1, sizeof(*names));
	bool ok = false;
	size_t k = 0;
	if (!names)
		return ferry_error_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(bundles[i].file);
		names[i] = bundles[i].file;
		if (!media_name_check(bundles[i].file, err) ||
		    len <= strlen(MEDIA_BUNDLE_SUFFIX) ||
		    strcmp(bundles[i].file + len - strlen(MEDIA_BUNDLE_SUFFIX), MEDIA_BUNDLE_SUFFIX) != 0) {
			ferry_error_set(err, "%s: a bundle's name on the stick ends in %s", bundles[i].file,
					MEDIA_BUNDLE_SUFFIX);
			ferry_error_prefix(err, "%s", bundles[i].source);
			goto out;
		}
	}
	if (!media_names_distinct(names, n, err))
		goto out;
	for (size_t i = 0; i < n; i++, k++) {
		jobs[k].source = bundles[i].source;
		jobs[k].file = bundles[i].file;
		if (!source_size(bundles[i].source, &jobs[k].size, err) ||
		    !place_file(root, STICK_BUNDLES, bundles[i].file, &jobs[k].dest, err))
			goto out;
	}
	for (size_t i = 0; policy_dir && i < sizeof(policy_files) / sizeof(policy_files[0]); i++, k++) {
		char *src = NULL;
		if (asprintf(&src, "%s/%s", policy_dir, policy_files[i]) < 0)
			goto out;
		if (i >= POLICY_REQUIRED_FILES && access(src, F_OK) != 0) {
			free(src);
			k--;
			continue;
		}
		jobs[k].source = src;   /* freed with the job (see free_jobs) */
		jobs[k].file = policy_files[i];
		if (!source_size(src, &jobs[k].size, err) ||
		    !place_file(root, STICK_POLICY, policy_files[i], &jobs[k].dest, err)) {
			k++;
			goto out;
		}
	}
	ok = true;
out:
	*n_jobs = k;
	free(names);
	return ok;
}

static bool check_space(const char *root, const struct copy_job *jobs, size_t n, struct ferry_error **err)
{
	struct statvfs vfs;
	uint64_t need = INDEX_RESERVE;
	if (statvfs(root, &vfs) < 0)
		return ferry_error_errno(err, errno, "%s: statvfs", root);
	if (vfs.f_flag & ST_RDONLY)
		return ferry_error_set(err, "%s: the stick is mounted read-only", root);
	uint64_t block = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
	for (size_t i = 0; i < n; i++)   /* a replaced file's old copy lives until the rename */
		need += (jobs[i].size + block - 1) / block * block;
	uint64_t avail = (uint64_t)vfs.f_bavail * block;
	if (avail < need)
		return ferry_error_set(err, "%s: not enough space on the stick: %llu MiB needed, %llu MiB free "
				       "(nothing was written)", root,
				       (unsigned long long)((need + (1 << 20) - 1) >> 20),
				       (unsigned long long)(avail >> 20));
	return true;
}

static bool copy_one(struct writer *w, struct copy_job *j, struct ferry_error **err)
{
	bool ok = false;
	struct safe_tmp t = { .fd = -1 };
	struct sha256 *h = sha256_new();
	int in = open(j->source, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	uint64_t copied = 0;

	if (!h) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (in < 0) {
		ferry_error_errno(err, errno, "%s: open", j->source);
		goto out;
	}
	if (!safe_tmp_open(&t, j->dest, 0644, err))
		goto out;
	do {
		if (!read_full(in, w->buf, COPY_BUF, &got, j->source, err) ||
		    !write_all(t.fd, w->buf, got, t.tmp_path, err)) {
			safe_tmp_abort(&t);
			goto out;
		}
		sha256_update(h, w->buf, got);
		copied += got;
		w->done += got;
		progress(w, j->file);
	} while (got == COPY_BUF);
	if (copied != j->size) {
		safe_tmp_abort(&t);
		ferry_error_set(err, "%s: changed size while being copied (%llu, then %llu bytes)", j->source,
				(unsigned long long)j->size, (unsigned long long)copied);
		goto out;
	}
	sha256_final_hex(h, j->sha256);
	ok = safe_tmp_commit(&t, err);
out:
	if (in >= 0)
		close(in);
	sha256_free(h);
	return ok;
}

/* A FUSE filesystem (exfat-fuse) reads the stick through the block device's
 * own page cache: drop that too, so the read-back comes from the stick.
 * Where the device cannot be opened (no permission) the file's pages are
 * still dropped. */
static void drop_device_cache(const char *root)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_fs *fs = NULL;
	struct stat st;
	if (tb && mnt_table_parse_mtab(tb, NULL) == 0 &&
	    (fs = mnt_table_find_mountpoint(tb, root, MNT_ITER_BACKWARD))) {
		const char *src = mnt_fs_get_srcpath(fs);
		int fd = src && stat(src, &st) == 0 && S_ISBLK(st.st_mode) ? open(src, O_RDONLY | O_CLOEXEC) : -1;
		if (fd >= 0) {
			(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			close(fd);
		}
	}
	mnt_unref_table(tb);
}

/* Reads dest back, past the page cache where the filesystem lets us. */
static bool verify_one(struct writer *w, const struct copy_job *j, struct ferry_error **err)
{
	bool ok = false;
	struct sha256 *h = sha256_new();
	char hex[65];
	size_t got = 0;
	uint64_t size = 0;
	int fd = open(j->dest, O_RDONLY | O_CLOEXEC);

	if (!h) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (fd < 0) {
		ferry_error_errno(err, errno, "%s: open for read-back", j->dest);
		goto out;
	}
	/* The pages are clean after fsync: DONTNEED drops them so the read below
	 * comes from the device (a FUSE filesystem may keep its own cache). */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	do {
		if (!read_full(fd, w->buf, COPY_BUF, &got, j->dest, err))
			goto out;
		sha256_update(h, w->buf, got);
		size += got;
		w->done += got;
		progress(w, j->file);
	} while (got == COPY_BUF);
	sha256_final_hex(h, hex);
	if (size != j->size || strcmp(hex, j->sha256) != 0) {
		ferry_error_set(err, "%s: read-back differs from what was written (%llu bytes, sha256 %s; "
				"wrote %llu bytes, sha256 %s): the stick may be failing", j->dest,
				(unsigned long long)size, hex, (unsigned long long)j->size, j->sha256);
		goto out;
	}
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	sha256_free(h);
	return ok;
}

static char *now_rfc3339(void)
{
	char buf[RFC3339_UTC_LEN + 1];
	return rfc3339_format_utc((int64_t)time(NULL), buf) ? strdup(buf) : NULL;
}

/* One index entry per bundle now on the stick: the ones just written with
 * their hashes; older ones from the previous index when the size still
 * matches, else hashed now. */
static bool build_index(const char *root, const struct media_write_bundle *bundles, size_t n,
			const struct copy_job *jobs, const struct media_write_options *opt,
			struct media_index *idx, struct ferry_error **err)
{
	bool ok = false;
	struct media_stick *s = NULL;
	if (!media_scan(root, &s, err))
		return false;
	idx->bundles = calloc(s->n_bundles + 1, sizeof(*idx->bundles));
	if (!idx->bundles) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->n_bundles; i++) {
		struct media_index_bundle *e = &idx->bundles[idx->n_bundles++];
		const struct media_bundle *b = &s->bundles[i];
		const char *name = NULL, *version = NULL, *sha = NULL;
		for (size_t k = 0; k < n; k++)
			if (strcmp(bundles[k].file, b->file) == 0) {
				name = bundles[k].name;
				version = bundles[k].version;
				sha = jobs[k].sha256;
			}
		if (!sha && b->indexed && b->indexed->size == b->size) {
			name = b->indexed->name;
			version = b->indexed->version;
			sha = b->indexed->sha256;
		}
		e->size = b->size;
		if ((!(e->file = strdup(b->file))) || (name && !(e->name = strdup(name))) ||
		    (version && !(e->version = strdup(version)))) {
			ferry_error_set(err, "out of memory");
			goto out;
		}
		if (sha)
			memcpy(e->sha256, sha, 65);
		else if (!sha256_file_hex(b->path, e->sha256, NULL, err))
			goto out;
	}
	if ((opt->label && !(idx->label = strdup(opt->label))) ||
	    (opt->writer && !(idx->writer = strdup(opt->writer))) ||
	    !(idx->created = opt->created ? strdup(opt->created) : now_rfc3339())) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	ok = true;
out:
	media_stick_free(s);
	return ok;
}

static bool write_index(const char *root, const struct media_index *idx, struct ferry_error **err)
{
	char *text = media_index_serialize(idx), *path = media_path(root, STICK_INDEX);
	bool ok = text && path ? safe_write_atomic(path, text, strlen(text), 0644, err)
			       : ferry_error_set(err, "out of memory");
	free(text);
	free(path);
	return ok;
}

bool media_sync(const char *root, struct ferry_error **err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ferry_error_errno(err, errno, "%s: open", root);
	bool ok = syncfs(fd) == 0 || ferry_error_errno(err, errno, "%s: syncfs", root);
	close(fd);
	return ok;
}

static bool make_dirs(const char *root, bool policy, struct ferry_error **err)
{
	struct stick_dir b = { .fd = -1 }, p = { .fd = -1 };
	char *top = stick_top(root);
	bool ok = top ? stick_dir_open(top, STICK_BUNDLES, NULL, true, &b, err) &&
			(!policy || stick_dir_open(top, STICK_POLICY, NULL, true, &p, err))
		      : ferry_error_set(err, "out of memory");
	stick_dir_close(&b);
	stick_dir_close(&p);
	free(top);
	return ok && fsync_dir(root, err);
}

bool media_write(const char *root, const struct media_write_bundle *bundles, size_t n,
		 const struct media_write_options *opt, struct ferry_error **err)
{
	bool ok = false;
	size_t n_jobs = 0;
	struct copy_job *jobs = calloc(n + 3, sizeof(*jobs));
	struct media_index *idx = calloc(1, sizeof(*idx));
	struct writer w = { .opt = opt, .buf = malloc(COPY_BUF) };

	if (!jobs || !w.buf || !idx) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!plan(root, bundles, n, opt->policy_dir, jobs, &n_jobs, err) ||
	    !check_space(root, jobs, n_jobs, err) || !make_dirs(root, opt->policy_dir != NULL, err))
		goto out;
	for (size_t i = 0; i < n_jobs; i++)
		w.total += 2 * jobs[i].size;
	w.phase = "copy";
	for (size_t i = 0; i < n_jobs; i++)
		if (!copy_one(&w, &jobs[i], err))
			goto out;
	/* Everything on the device before the read-back, so it reads the device. */
	if (!media_sync(root, err))
		goto out;
	w.phase = "verify";
	drop_device_cache(root);
	for (size_t i = 0; i < n_jobs; i++)
		if (!verify_one(&w, &jobs[i], err))
			goto out;
	idx->format = MEDIA_INDEX_FORMAT;
	if (!build_index(root, bundles, n, jobs, opt, idx, err) || !write_index(root, idx, err) ||
	    !media_sync(root, err))
		goto out;
	ok = true;
out:
	for (size_t i = 0; i < n_jobs; i++) {
		free(jobs[i].dest);
		if (i >= n)
			free((char *)jobs[i].source);
	}
	free(jobs);
	free(w.buf);
	media_index_free(idx);
	return ok;
}
