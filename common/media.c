/* media: see media.h. Scanning and the MEDIA.json index; writing the layout
 * lives in media_write.c. */
#include "media.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "policy.h"
#include "safefile.h"
#include "sha256.h"
#include "visible.h"

bool media_name_check(const char *name, struct ferry_error **err)
{
	size_t len = strlen(name);
	if (len == 0)
		return ferry_error_set(err, "empty name: a stick name needs 1 to %d bytes", MEDIA_NAME_MAX);
	if (len > MEDIA_NAME_MAX)
		return ferry_error_set(err, "%s: name is %zu bytes, at most %d fit the stick rules",
				       name, len, MEDIA_NAME_MAX);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return ferry_error_set(err, "%s: not a file name", name);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		if (c >= 'A' && c <= 'Z')
			return ferry_error_set(err, "%s: upper-case letter '%c': stick names are lower-case "
					       "(FAT folds case)", name, c);
		return ferry_error_set(err, "%s: byte 0x%02x at %zu: stick names use only [a-z0-9._-]",
				       name, (unsigned char)c, i);
	}
	return true;
}

bool media_names_distinct(const char *const *names, size_t n, struct ferry_error **err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcasecmp(names[i], names[j]) == 0)
				return ferry_error_set(err, "%s and %s: the same name on a FAT stick%s",
						       names[i], names[j],
						       strcmp(names[i], names[j]) == 0 ? " (given twice)" :
						       " (they differ only in case)");
	return true;
}

char *media_path(const char *root, const char *sub)
{
	char *out = NULL;
	if (asprintf(&out, "%s/%s%s%s", root, STICK_DIR, sub && *sub ? "/" : "", sub ? sub : "") < 0)
		return NULL;
	return out;
}

/* --- MEDIA.json ---------------------------------------------------------- */

void media_index_free(struct media_index *idx)
{
	if (!idx)
		return;
	for (size_t i = 0; i < idx->n_bundles; i++) {
		free(idx->bundles[i].file);
		free(idx->bundles[i].name);
		free(idx->bundles[i].version);
	}
	free(idx->bundles);
	free(idx->label);
	free(idx->created);
	free(idx->writer);
	free(idx);
}

static bool parse_index_bundle(json_t *b, const struct json_path *p, struct media_index_bundle *out,
			       struct ferry_error **err)
{
	static const char *const keys[] = { "file", "name", "version", "size", "sha256", NULL };
	const char *sha = NULL;
	int64_t size = 0;
	struct ferry_error *name_err = NULL;
	if (!json_is_object(b))
		return json_path_error(err, p, "must be an object");
	if (!json_check_keys(b, p, keys, err) || !json_get_string_dup(b, p, "file", true, &out->file, err) ||
	    !json_get_string_dup(b, p, "name", false, &out->name, err) ||
	    !json_get_string_dup(b, p, "version", false, &out->version, err) ||
	    !json_get_int(b, p, "size", true, 0, INT64_MAX, &size, err) ||
	    !json_get_string(b, p, "sha256", true, &sha, err))
		return false;
	if (!media_name_check(out->file, &name_err)) {
		struct json_path fp;
		json_path_key(&fp, p, "file");
		json_path_error(err, &fp, "%s", ferry_error_message(name_err));
		ferry_error_free(name_err);
		return false;
	}
	if (!sha256_hex_valid(sha)) {
		struct json_path sp;
		json_path_key(&sp, p, "sha256");
		return json_path_error(err, &sp, "must be 64 lower-case hex digits");
	}
	out->size = (uint64_t)size;
	memcpy(out->sha256, sha, 65);
	return true;
}

bool media_index_parse(const char *bytes, size_t len, const char *name,
		       struct media_index **out, struct ferry_error **err)
{
	static const char *const keys[] = { "format", "layout", "label", "created", "writer", "bundles",
					    NULL };
	bool ok = false;
	json_t *root = NULL, *arr = NULL;
	struct media_index *idx = calloc(1, sizeof(*idx));
	struct json_path p;
	int64_t format = 0, layout = 1;

	json_path_root(&p, name);
	if (!idx) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (!json_parse_strict(bytes, len, name, &root, err) || !json_check_keys(root, &p, keys, err) ||
	    !json_get_int(root, &p, "format", true, MEDIA_INDEX_FORMAT, MEDIA_INDEX_FORMAT, &format, err) ||
	    !json_get_int(root, &p, "layout", false, 1, STICK_LAYOUT, &layout, err) ||
	    !json_get_string_dup(root, &p, "label", false, &idx->label, err) ||
	    !json_get_string_dup(root, &p, "created", true, &idx->created, err) ||
	    !json_get_string_dup(root, &p, "writer", false, &idx->writer, err) ||
	    !json_get_array(root, &p, "bundles", true, &arr, err))
		goto out;
	idx->format = (int)format;
	idx->layout = (int)layout;
	idx->bundles = calloc(json_array_size(arr) + 1, sizeof(*idx->bundles));
	if (!idx->bundles) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct json_path ap, bp;
		json_path_key(&ap, &p, "bundles");
		json_path_index(&bp, &ap, i);
		idx->n_bundles++;
		if (!parse_index_bundle(json_array_get(arr, i), &bp, &idx->bundles[i], err))
			goto out;
	}
	*out = idx;
	idx = NULL;
	ok = true;
out:
	media_index_free(idx);
	json_decref(root);
	return ok;
}

char *media_index_serialize(const struct media_index *idx)
{
	char *out = NULL;
	json_t *root = json_object(), *arr = json_array();
	if (!root || !arr)
		goto out;
	json_object_set_new(root, "format", json_integer(MEDIA_INDEX_FORMAT));
	json_object_set_new(root, "layout", json_integer(STICK_LAYOUT));
	if (idx->label)
		json_object_set_new(root, "label", json_string(idx->label));
	json_object_set_new(root, "created", json_string(idx->created ? idx->created : ""));
	if (idx->writer)
		json_object_set_new(root, "writer", json_string(idx->writer));
	for (size_t i = 0; i < idx->n_bundles; i++) {
		const struct media_index_bundle *b = &idx->bundles[i];
		json_t *o = json_object();
		if (!o)
			goto out;
		json_object_set_new(o, "file", json_string(b->file));
		if (b->name)
			json_object_set_new(o, "name", json_string(b->name));
		if (b->version)
			json_object_set_new(o, "version", json_string(b->version));
		json_object_set_new(o, "size", json_integer((json_int_t)b->size));
		json_object_set_new(o, "sha256", json_string(b->sha256));
		json_array_append_new(arr, o);
	}
	json_object_set(root, "bundles", arr);
	out = json_document_text(root);
out:
	json_decref(arr);
	json_decref(root);
	return out;
}

/* --- scanning ------------------------------------------------------------ */

void media_identity_visible(struct media_identity *id)
{
	visible_in_place(id->vendor, sizeof(id->vendor));
	visible_in_place(id->product, sizeof(id->product));
	visible_in_place(id->serial, sizeof(id->serial));
	visible_in_place(id->manufacturer, sizeof(id->manufacturer));
	visible_in_place(id->model, sizeof(id->model));
	visible_in_place(id->label, sizeof(id->label));
	visible_in_place(id->fs_type, sizeof(id->fs_type));
	visible_in_place(id->devnode, sizeof(id->devnode));
}

void media_stick_free(struct media_stick *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_bundles; i++) {
		free(s->bundles[i].file);
		free(s->bundles[i].path);
	}
	free(s->bundles);
	free(s->root);
	free(s->policy_dir);
	if (s->policy_fd >= 0)
		close(s->policy_fd);
	if (s->bundles_fd >= 0)
		close(s->bundles_fd);
	free(s->index_problem);
	media_index_free(s->index);
	strv_free(s->ignored);
	free(s);
}

static bool is_regular(const char *path, struct stat *st)
{
	return lstat(path, st) == 0 && S_ISREG(st->st_mode);
}

static void load_index(struct media_stick *s)
{
	struct ferry_error *e = NULL;
	char *path = media_path(s->root, STICK_INDEX), *data = NULL;
	size_t len = 0;
	struct stat st;
	if (!path || !is_regular(path, &st))
		goto out;
	if (!read_file_nofollow(path, STICK_INDEX_MAX, &data, &len, &e) ||
	    !media_index_parse(data, len, STICK_DIR "/" STICK_INDEX, &s->index, &e)) {
		s->index_problem = strdup(ferry_error_message(e));
		log_warn("%s: ignored (it is only a convenience index): %s", path, ferry_error_message(e));
	}
out:
	ferry_error_free(e);
	free(data);
	free(path);
}

static bool check_policy(struct media_stick *s, const char *top, struct ferry_error **err)
{
	bool ok = false;
	char *dir = NULL;
	struct stat st;
	struct stick_dir pd;
	if (!stick_dir_open(top, STICK_POLICY, NULL, false, &pd, err))
		return false;
	dir = pd.path;
	bool has_json = pd.fd >= 0 && fstatat(pd.fd, POLICY_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			S_ISREG(st.st_mode);
	bool has_sig = pd.fd >= 0 && fstatat(pd.fd, POLICY_SIG_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		       S_ISREG(st.st_mode);
	if (has_json != has_sig) {
		ferry_error_set(err, "%s: %s without %s: the policy on this stick is incomplete", dir,
				has_json ? POLICY_FILE : POLICY_SIG_FILE,
				has_json ? POLICY_SIG_FILE : POLICY_FILE);
		goto out;
	}
	if (has_json) {   /* kept open: the policy is read through this fd */
		s->policy_dir = dir;
		s->policy_fd = pd.fd;
		pd.path = NULL;
		pd.fd = -1;
	}
	ok = true;
out:
	stick_dir_close(&pd);
	return ok;
}

static int cmp_bundle(const void *a, const void *b)
{
	return strcmp(((const struct media_bundle *)a)->file, ((const struct media_bundle *)b)->file);
}

static bool add_ignored(struct media_stick *s, size_t *n, const char *name, const char *why)
{
	char **v = realloc(s->ignored, (*n + 2) * sizeof(*v));
	if (!v)
		return false;
	s->ignored = v;
	if (asprintf(&v[*n], "%s: %s", name, why) < 0)
		return false;
	v[++*n] = NULL;
	return true;
}

static bool list_bundles(struct media_stick *s, const char *top, struct ferry_error **err)
{
	bool ok = false;
	char *dir = NULL;
	DIR *d = NULL;
	size_t cap = 0, n_ignored = 0;
	struct dirent *de;
	struct stick_dir bd;

	if (!stick_dir_open(top, STICK_BUNDLES, NULL, false, &bd, err))
		return false;
	dir = bd.path;
	bd.path = NULL;
	if (bd.fd < 0) {
		ok = true;   /* no bundles/ */
		goto out;
	}
	/* one fd lists, its copy stays open: bundles are opened through it */
	s->bundles_fd = fcntl(bd.fd, F_DUPFD_CLOEXEC, 0);
	d = s->bundles_fd >= 0 ? fdopendir(bd.fd) : NULL;
	if (!d) {
		ferry_error_errno(err, errno, "%s: open", dir);
		stick_dir_close(&bd);
		goto out;
	}
	while ((errno = 0, de = readdir(d))) {
		struct ferry_error *name_err = NULL;
		struct stat st = { 0 };
		char *path = NULL;
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < sizeof(MEDIA_BUNDLE_SUFFIX) ||
		    strcmp(de->d_name + len - strlen(MEDIA_BUNDLE_SUFFIX), MEDIA_BUNDLE_SUFFIX) != 0)
			continue;   /* temporary files, other tools' files */
		if (!media_name_check(de->d_name, &name_err)) {
			bool added = add_ignored(s, &n_ignored, de->d_name, ferry_error_message(name_err));
			ferry_error_free(name_err);
			if (!added) {
				ferry_error_set(err, "out of memory");
				goto out;
			}
			continue;
		}
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			ferry_error_set(err, "out of memory");
			goto out;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			const char *why = S_ISLNK(st.st_mode) ? "a symbolic link, not followed" :
					  S_ISFIFO(st.st_mode) ? "a FIFO, not a regular file" :
					  "not a regular file";
			if (!add_ignored(s, &n_ignored, de->d_name, why)) {
				ferry_error_set(err, "out of memory");
				goto out;
			}
			continue;
		}
		if (s->n_bundles == cap) {
			cap = cap ? 2 * cap : 8;
			struct media_bundle *nb = realloc(s->bundles, cap * sizeof(*nb));
			if (!nb) {
				free(path);
				ferry_error_set(err, "out of memory");
				goto out;
			}
			s->bundles = nb;
		}
		struct media_bundle *b = &s->bundles[s->n_bundles];
		memset(b, 0, sizeof(*b));
		b->path = path;
		b->size = (uint64_t)st.st_size;
		if (!(b->file = strdup(de->d_name))) {
			free(path);
			ferry_error_set(err, "out of memory");
			goto out;
		}
		s->n_bundles++;
	}
	if (errno) {
		ferry_error_errno(err, errno, "%s: read directory", dir);
		goto out;
	}
	if (s->n_bundles)
		qsort(s->bundles, s->n_bundles, sizeof(*s->bundles), cmp_bundle);
	ok = true;
out:
	if (d)
		closedir(d);
	free(dir);
	return ok;
}

static void link_index(struct media_stick *s)
{
	if (!s->index)
		return;
	for (size_t i = 0; i < s->n_bundles; i++)
		for (size_t j = 0; j < s->index->n_bundles; j++)
			if (strcmp(s->bundles[i].file, s->index->bundles[j].file) == 0)
				s->bundles[i].indexed = &s->index->bundles[j];
}

bool media_scan(const char *root, struct media_stick **out, struct ferry_error **err)
{
	bool ok = false;
	struct media_stick *s = calloc(1, sizeof(*s));
	char *fdir = NULL;
	struct stat st;
	if (s)
		s->policy_fd = s->bundles_fd = -1;

	if (!s || !(s->root = strdup(root)) || !(fdir = media_path(root, NULL))) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	if (stat(root, &st) < 0) {
		ferry_error_errno(err, errno, "%s", root);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		ferry_error_set(err, "%s: not a directory", root);
		goto out;
	}
	if (lstat(fdir, &st) < 0) {
		if (errno != ENOENT) {
			ferry_error_errno(err, errno, "%s", fdir);
			goto out;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		ferry_error_setc(err, FERRY_E_UNSAFE, "%s: %s, not a folder: refused", fdir,
				 S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
		goto out;
	} else {
		s->has_ferry = true;
		if (!stick_layout_check(fdir, err) || !list_bundles(s, fdir, err) ||
		    !check_policy(s, fdir, err))
			goto out;
		load_index(s);
		link_index(s);
	}
	*out = s;
	s = NULL;
	ok = true;
out:
	free(fdir);
	media_stick_free(s);
	return ok;
}
