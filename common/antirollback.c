/* antirollback: see antirollback.h. */
#include "antirollback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_kind.h"
#include "manifest.h"

void security_floors_free(struct security_floor *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++)
		free(f[i].target);
	free(f);
}

void antirollback_targets_free(char **targets)
{
	for (size_t i = 0; targets && targets[i]; i++)
		free(targets[i]);
	free(targets);
}

/* The target payload p writes, or NULL (a script); *key malloc'd. */
static bool payload_target(const struct payload *p, char **key, struct ferry_error **err)
{
	const struct handler_kind *k = handler_kind_find(p->handler);
	*key = NULL;
	if (!k || k->target == HANDLER_TARGET_NONE)
		return true;
	const char *name = p->target ? p->target : "rootfs";   /* the default slot pair */
	if (asprintf(key, "%s:%s", k->name, name) < 0) {
		*key = NULL;
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
	return true;
}

static bool listed(char **targets, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(targets[i], key) == 0)
			return true;
	return false;
}

bool antirollback_targets(const struct manifest *m, const struct variant *v, char ***out,
			  struct ferry_error **err)
{
	size_t cap = 2 + (v ? v->n_payloads : 0), n = 0;
	char **t = calloc(cap, sizeof(*t));
	*out = NULL;
	if (!t || asprintf(&t[0], "bundle:%s", m->name) < 0) {
		free(t);
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	}
	n = 1;
	for (size_t i = 0; v && i < v->n_payloads; i++) {
		char *key = NULL;
		if (!payload_target(&v->payloads[i], &key, err)) {
			antirollback_targets_free(t);
			return false;
		}
		if (key && !listed(t, n, key))
			t[n++] = key;
		else
			free(key);
	}
	*out = t;
	return true;
}

int64_t antirollback_floor(const struct security_floor *f, size_t n, const char *target)
{
	int64_t floor = 0;
	for (size_t i = 0; i < n; i++)
		if ((strcmp(f[i].target, target) == 0 || strcmp(f[i].target, ANTIROLLBACK_EVERY) == 0) &&
		    f[i].value > floor)
			floor = f[i].value;
	return floor;
}
