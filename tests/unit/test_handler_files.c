/* Tests for agent/handler_files.c: real tars (libarchive), real directories. */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/handler.h"
#include "common/safefile.h"
#include "common/sha256.h"
#include "source_fixture.h"

struct fixture {
	char *dir, *target;
	unsigned char *tar;
	size_t tar_len;
	struct payload p;
	struct handler_context ctx;
	struct handler_result res;
	struct mem_source ms;
};

static struct fixture *setup(const struct tar_member *members)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = test_tmpdir();
	assert_true(asprintf(&f->target, "%s/opt/app", f->dir) > 0);
	free(test_write_file(f->dir, "opt/app/old.txt", "old", 3));
	free(test_write_file(f->dir, "opt/app/conf/keep", "k", 1));
	test_tar_build(members, &f->tar, &f->tar_len);
	f->p.name = "app.tar";
	f->p.handler = "files";
	f->p.target = "app";
	f->p.size = f->tar_len;
	f->ctx.target_path = f->target;
	mem_source_init(&f->ms, f->tar, f->tar_len, "payloads/gw-x/app.tar.zst");
	f->ms.piece = 777;
	return f;
}

static void teardown(struct fixture *f)
{
	handler_result_free(&f->res);
	free(f->tar);
	free(f->target);
	test_tmpdir_remove(f->dir);
	free(f);
}

static char *at(const struct fixture *f, const char *suffix)
{
	char *s = NULL;
	assert_true(asprintf(&s, "%s%s", f->target, suffix) > 0);
	return s;
}

static bool present(const struct fixture *f, const char *suffix)
{
	char *s = at(f, suffix);
	struct stat st;
	bool r = lstat(s, &st) == 0;
	free(s);
	return r;
}

static void assert_content(const struct fixture *f, const char *suffix, const char *want)
{
	char *s = at(f, suffix), *data = NULL;
	size_t len = 0;
	struct ferry_error *err = NULL;
	assert_ok(read_file_limited(s, 4096, &data, &len, &err), err);
	assert_string_equal(data, want);
	free(data);
	free(s);
}

/* The target holds exactly the old tree and nothing of ferry is beside it. */
static void assert_untouched(const struct fixture *f)
{
	assert_content(f, "/old.txt", "old");
	assert_content(f, "/conf/keep", "k");
	assert_false(present(f, "/bin"));
	assert_false(present(f, ".ferry-new"));
	assert_false(present(f, ".ferry-old"));
	assert_false(present(f, ".ferry-bad"));
}

static const struct tar_member good_tree[] = {
	{ 'd', "./", 0, NULL, NULL },
	{ 'd', "./bin", 0, NULL, NULL },
	{ 'f', "./bin/app", 0755, "new app", NULL },
	{ 'h', "./bin/app2", 0, NULL, "./bin/app" },
	{ 'l', "./current", 0, NULL, "bin/app" },
	{ 'l', "./bin/up", 0, NULL, "../current" },
	{ 'f', "etc/app.conf", 0600, "x=1\n", NULL },
	{ 0, NULL, 0, NULL, NULL },
};

static void install_ok(struct fixture *f)
{
	struct ferry_error *err = NULL;
	assert_ok(handler_files.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err), err);
	assert_int_equal(f->res.bytes, f->tar_len);
}

static void test_handler_files_swaps_tree_in_and_commits(void **state)
{
	(void)state;
	struct fixture *f = setup(good_tree);
	struct ferry_error *err = NULL;
	assert_ptr_equal(handler_find("files"), &handler_files);
	install_ok(f);
	/* Staged beside the target, the target itself not yet touched. */
	assert_content(f, "/old.txt", "old");
	assert_content(f, ".ferry-new/bin/app", "new app");
	assert_ok(handler_files.activate(&f->ctx, &f->p, &f->res, &err), err);
	assert_content(f, "/bin/app", "new app");
	assert_content(f, "/bin/app2", "new app");
	assert_content(f, "/current", "new app");
	assert_content(f, "/bin/up", "new app");
	assert_content(f, "/etc/app.conf", "x=1\n");
	assert_false(present(f, "/old.txt"));
	assert_content(f, ".ferry-old/old.txt", "old");   /* kept until commit */
	struct stat a, b;
	char *p1 = at(f, "/bin/app"), *p2 = at(f, "/bin/app2");
	assert_int_equal(stat(p1, &a), 0);
	assert_int_equal(stat(p2, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_mode & 07777, 0755);
	free(p1);
	free(p2);
	/* Repeating activate (a crash before the state was saved) changes nothing. */
	assert_ok(handler_files.activate(&f->ctx, &f->p, &f->res, &err), err);
	assert_content(f, "/bin/app", "new app");
	assert_ok(handler_files.commit(&f->ctx, &f->p, &f->res, &err), err);
	assert_false(present(f, ".ferry-old"));
	assert_ok(handler_files.commit(&f->ctx, &f->p, &f->res, &err), err);   /* idempotent */
	assert_content(f, "/bin/app", "new app");
	teardown(f);
}

static void test_handler_files_rollback_restores_old_tree(void **state)
{
	(void)state;
	struct fixture *f = setup(good_tree);
	struct ferry_error *err = NULL;
	install_ok(f);
	assert_ok(handler_files.activate(&f->ctx, &f->p, &f->res, &err), err);
	assert_ok(handler_files.rollback(&f->ctx, &f->p, &f->res, &err), err);
	assert_untouched(f);
	assert_ok(handler_files.rollback(&f->ctx, &f->p, &f->res, &err), err);   /* idempotent */
	assert_untouched(f);
	teardown(f);
}

static void test_handler_files_abort_before_activation_removes_staging(void **state)
{
	(void)state;
	struct fixture *f = setup(good_tree);
	struct ferry_error *err = NULL;
	install_ok(f);
	assert_ok(handler_files.abort(&f->ctx, &f->p, &f->res, &err), err);
	assert_untouched(f);
	teardown(f);
}

/* Installs members, expects a refusal containing needle and no effect. */
static void refused(const struct tar_member *members, bool allow_setuid, const char *needle)
{
	struct fixture *f = setup(members);
	f->p.allow_setuid = allow_setuid;
	struct ferry_error *err = NULL;
	assert_false(handler_files.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, needle);
	assert_error_contains(err, "payload app.tar");
	ferry_error_clear(&err);
	assert_untouched(f);
	/* Nothing was written outside the tree either. */
	char *outside = NULL;
	assert_true(asprintf(&outside, "%s/opt/x", f->dir) > 0);
	assert_int_equal(access(outside, F_OK), -1);
	free(outside);
	teardown(f);
}

#define END { 0, NULL, 0, NULL, NULL }

static void test_handler_files_refuses_dotdot(void **state)
{
	(void)state;
	const struct tar_member m[] = { { 'f', "ok", 0, "1", NULL }, { 'f', "../x", 0, "evil", NULL }, END };
	refused(m, false, "entry '../x'");
	const struct tar_member m2[] = { { 'f', "a/../../x", 0, "evil", NULL }, END };
	refused(m2, false, "'..' not allowed");
}

static void test_handler_files_refuses_absolute_path(void **state)
{
	(void)state;
	const struct tar_member m[] = { { 'f', "/etc/x", 0, "evil", NULL }, END };
	refused(m, false, "entry '/etc/x': absolute path");
}

static void test_handler_files_refuses_escaping_symlinks(void **state)
{
	(void)state;
	const struct tar_member abs[] = {
		{ 'l', "link", 0, NULL, "/etc" }, { 'f', "link/passwd", 0, "evil", NULL }, END };
	refused(abs, false, "entry 'link': link to '/etc' leaves the tree");
	const struct tar_member rel[] = { { 'd', "d", 0, NULL, NULL },
		{ 'l', "d/link", 0, NULL, "../../x" }, END };
	refused(rel, false, "entry 'd/link': link to '../../x' leaves the tree");
	/* Each link looks harmless alone; together t climbs out. */
	const struct tar_member chain[] = { { 'l', "t", 0, NULL, "d1/d2/s/../x" },
		{ 'd', "d1/d2", 0, NULL, NULL }, { 'l', "d1/d2/s", 0, NULL, "../.." }, END };
	refused(chain, false, "entry 't': link to");
	/* Writing through a link that stays inside is refused as well. */
	const struct tar_member through[] = { { 'd', "sub", 0, NULL, NULL },
		{ 'l', "link", 0, NULL, "sub" }, { 'f', "link/x", 0, "1", NULL }, END };
	refused(through, false, "entry 'link/x': passes through 'link'");
}

static void test_handler_files_refuses_escaping_hardlinks(void **state)
{
	(void)state;
	const struct tar_member m[] = { { 'h', "h", 0, NULL, "../../../etc/passwd" }, END };
	refused(m, false, "'..' not allowed");
	const struct tar_member m2[] = { { 'h', "h", 0, NULL, "/etc/passwd" }, END };
	refused(m2, false, "entry '/etc/passwd': absolute path");
	const struct tar_member m3[] = { { 'd', "sub", 0, NULL, NULL }, { 'l', "link", 0, NULL, "sub" },
		{ 'h', "h", 0, NULL, "link" }, END };
	refused(m3, false, "entry 'h': hard link to 'link', which is not a file");
}

static void test_handler_files_refuses_device_nodes_and_fifos(void **state)
{
	(void)state;
	const struct tar_member dev[] = { { 'c', "null", 0, NULL, NULL }, END };
	refused(dev, false, "entry 'null': device nodes not allowed");
	const struct tar_member fifo[] = { { 'p', "fifo", 0, NULL, NULL }, END };
	refused(fifo, false, "entry 'fifo': FIFOs not allowed");
}

/* Insider cases: a path deeper or longer than a tree may be, and a sparse
 * entry (a few bytes that would make a 1 TiB file), are refused by name
 * before anything is created; the target stays as it was. */
static void test_handler_files_refuses_deep_long_and_sparse_entries(void **state)
{
	(void)state;
	char deep[2 * 40 + 8] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "d/");
	strcat(deep, "f");
	const struct tar_member d[] = { { 'f', deep, 0, "x", NULL }, END };
	refused(d, false, "deeper than 32 levels or longer than 1024 bytes");
	char *name = malloc(1100);
	memset(name, 'n', 1099);
	name[1099] = '\0';
	const struct tar_member l[] = { { 'f', name, 0, "x", NULL }, END };
	refused(l, false, "longer than 1024 bytes");
	free(name);
	const struct tar_member sp[] = { { 's', "huge", 0, "10 KB of data", NULL }, END };
	refused(sp, false, "entry 'huge': sparse files not allowed");
}

static void test_handler_files_refuses_setuid_unless_allowed(void **state)
{
	(void)state;
	const struct tar_member m[] = { { 'f', "bin/su", 04755, "x", NULL }, END };
	refused(m, false, "entry 'bin/su': setuid/setgid bits not allowed");
	const struct tar_member g[] = { { 'f', "bin/sg", 02755, "x", NULL }, END };
	refused(g, false, "entry 'bin/sg': setuid/setgid");
	struct fixture *f = setup(m);
	f->p.allow_setuid = true;
	install_ok(f);
	teardown(f);
}

static void test_handler_files_source_error_at_end_leaves_target(void **state)
{
	(void)state;
	struct fixture *f = setup(good_tree);
	f->ms.fail_at_end = true;
	struct ferry_error *err = NULL;
	assert_false(handler_files.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "sha256 mismatch at end of payload");
	ferry_error_clear(&err);
	assert_untouched(f);
	teardown(f);
}

static void test_handler_files_refuses_garbage(void **state)
{
	(void)state;
	struct fixture *f = setup(good_tree);
	memset(f->tar, 'G', 1024);
	struct ferry_error *err = NULL;
	assert_false(handler_files.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "payload app.tar");
	ferry_error_clear(&err);
	assert_untouched(f);
	teardown(f);
}

static void rename_or_fail(const struct fixture *f, const char *from, const char *to)
{
	char *a = at(f, from), *b = at(f, to);
	if (rename(a, b) < 0)
		fail_msg("rename %s %s: %s", a, b, strerror(errno));
	free(a);
	free(b);
}

static void test_handler_files_recover_finishes_interrupted_swaps(void **state)
{
	(void)state;
	struct fixture *f = setup(good_tree);
	struct ferry_error *err = NULL;
	install_ok(f);
	/* Crash inside activate: target already moved aside, new not yet in. */
	rename_or_fail(f, "", ".ferry-old");
	assert_ok(handler_files_recover(f->target, &err), err);
	assert_content(f, "/bin/app", "new app");
	assert_content(f, ".ferry-old/old.txt", "old");
	assert_false(present(f, ".ferry-new"));
	/* Crash inside rollback: the new tree moved aside, old not yet back. */
	rename_or_fail(f, "", ".ferry-bad");
	assert_ok(handler_files_recover(f->target, &err), err);
	assert_untouched(f);
	assert_ok(handler_files_recover(f->target, &err), err);   /* nothing to do */
	assert_untouched(f);
	teardown(f);
}

static void test_handler_files_killed_mid_extraction_then_starts_over(void **state)
{
	(void)state;
	struct fixture *f = setup(good_tree);
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		f->ms.hang_after = f->tar_len / 2;
		f->ms.hang_fd = pfd[1];
		struct ferry_error *err = NULL;
		handler_files.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err);
		_exit(2);
	}
	char c;
	assert_int_equal(read(pfd[0], &c, 1), 1);
	kill(pid, SIGKILL);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(pfd[0]);
	close(pfd[1]);
	/* The target is as it was; a half staging tree lies beside it. */
	assert_content(f, "/old.txt", "old");
	assert_true(present(f, ".ferry-new"));
	/* The next install starts over and succeeds. */
	free(test_write_file(f->dir, "opt/app.ferry-new/junk", "half", 4));
	install_ok(f);
	assert_false(present(f, ".ferry-new/junk"));
	struct ferry_error *err = NULL;
	assert_ok(handler_files.abort(&f->ctx, &f->p, &f->res, &err), err);
	assert_untouched(f);
	teardown(f);
}

static void test_handler_files_refuses_install_over_uncommitted_update(void **state)
{
	(void)state;
	struct fixture *f = setup(good_tree);
	struct ferry_error *err = NULL;
	install_ok(f);
	assert_ok(handler_files.activate(&f->ctx, &f->p, &f->res, &err), err);
	mem_source_init(&f->ms, f->tar, f->tar_len, "again");
	assert_false(handler_files.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "neither committed nor rolled back");
	ferry_error_clear(&err);
	teardown(f);
}

static void test_handler_files_new_target_is_created(void **state)
{
	(void)state;
	struct fixture *f = setup(good_tree);
	struct ferry_error *err = NULL;
	free(f->target);
	assert_true(asprintf(&f->target, "%s/opt/new", f->dir) > 0);
	f->ctx.target_path = f->target;
	install_ok(f);
	assert_ok(handler_files.activate(&f->ctx, &f->p, &f->res, &err), err);
	assert_content(f, "/bin/app", "new app");
	struct stat st;
	assert_int_equal(stat(f->target, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_ok(handler_files.rollback(&f->ctx, &f->p, &f->res, &err), err);
	assert_true(present(f, ""));   /* an empty directory where there was none */
	assert_false(present(f, "/bin"));
	teardown(f);
}

static void test_handler_files_refuses_unswappable_targets(void **state)
{
	(void)state;
	struct fixture *f = setup(good_tree);
	struct ferry_error *err = NULL;
	f->ctx.target_path = "/";
	assert_false(handler_files.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "target '/': not a directory that can be replaced");
	ferry_error_clear(&err);
	/* A symlink to the real directory: the swap would replace the link. */
	char *link = NULL;
	assert_true(asprintf(&link, "%s/opt/app-link", f->dir) > 0);
	assert_int_equal(symlink(f->target, link), 0);
	f->ctx.target_path = link;
	assert_false(handler_files.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
	assert_error_contains(err, "not a directory (a symlink?");
	ferry_error_clear(&err);
	free(link);
	/* A mount point cannot be renamed. */
	char *cmd = NULL;
	assert_true(asprintf(&cmd, "mount -t tmpfs -o size=1m ferry-test %s 2>/dev/null", f->target) > 0);
	if (system(cmd) == 0) {
		f->ctx.target_path = f->target;
		assert_false(handler_files.install(&f->ctx, &f->p, &f->ms.src, &f->res, &err));
		assert_error_contains(err, "a mount point");
		ferry_error_clear(&err);
		free(cmd);
		assert_true(asprintf(&cmd, "umount %s", f->target) > 0);
		assert_int_equal(system(cmd), 0);
	}
	free(cmd);
	assert_untouched(f);
	teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handler_files_swaps_tree_in_and_commits),
		cmocka_unit_test(test_handler_files_rollback_restores_old_tree),
		cmocka_unit_test(test_handler_files_abort_before_activation_removes_staging),
		cmocka_unit_test(test_handler_files_refuses_dotdot),
		cmocka_unit_test(test_handler_files_refuses_absolute_path),
		cmocka_unit_test(test_handler_files_refuses_escaping_symlinks),
		cmocka_unit_test(test_handler_files_refuses_escaping_hardlinks),
		cmocka_unit_test(test_handler_files_refuses_device_nodes_and_fifos),
		cmocka_unit_test(test_handler_files_refuses_deep_long_and_sparse_entries),
		cmocka_unit_test(test_handler_files_refuses_setuid_unless_allowed),
		cmocka_unit_test(test_handler_files_source_error_at_end_leaves_target),
		cmocka_unit_test(test_handler_files_refuses_garbage),
		cmocka_unit_test(test_handler_files_recover_finishes_interrupted_swaps),
		cmocka_unit_test(test_handler_files_killed_mid_extraction_then_starts_over),
		cmocka_unit_test(test_handler_files_refuses_install_over_uncommitted_update),
		cmocka_unit_test(test_handler_files_new_target_is_created),
		cmocka_unit_test(test_handler_files_refuses_unswappable_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
