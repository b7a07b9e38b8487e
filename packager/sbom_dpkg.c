/* sbom_dpkg: the two Debian text formats ferry-pack sbom reads (see
 * sbom_image.h): dpkg's status file and machine-readable copyright files. */
#include "packager/sbom_image.h"

#include <stdlib.h>
#include <string.h>

/* The value of field name in the paragraph [p, end), its first line only. */
static char *field(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);
	for (const char *l = p; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		const char *le = nl ? nl : end;
		if ((size_t)(le - l) > n && strncmp(l, name, n) == 0 && l[n] == ':') {
			const char *v = l + n + 1;
			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			while (le > v && (le[-1] == ' ' || le[-1] == '\r' || le[-1] == '\t'))
				le--;
			return strndup(v, (size_t)(le - v));
		}
		l = le + 1;
	}
	return NULL;
}

/* End of the paragraph that starts at p: a blank line or the end. */
static const char *paragraph_end(const char *p, const char *end)
{
	for (const char *l = p; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		if (!nl)
			return end;
		if (nl + 1 < end && (nl[1] == '\n' || (nl[1] == '\r' && nl + 2 < end && nl[2] == '\n')))
			return nl + 1;
		l = nl + 1;
	}
	return end;
}

/* Debian policy §5.6.1: [a-z0-9][a-z0-9+.-]+; nothing else reaches a command. */
static bool package_name_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 2 && n <= SBOM_FIELD_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789+.-") == n &&
	       s[0] != '+' && s[0] != '.' && s[0] != '-';
}

static bool version_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= SBOM_FIELD_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.+-~:") == n;
}

bool sbom_dpkg_status_parse(const char *text, size_t len, struct sbom *out, struct ferry_error **err)
{
	const char *end = text + len;
	size_t cap = 0;
	memset(out, 0, sizeof(*out));
	for (const char *p = text; p < end;) {
		const char *pe = paragraph_end(p, end);
		char *name = field(p, pe, "Package"), *version = field(p, pe, "Version");
		char *status = field(p, pe, "Status");
		bool keep = name && version && status && strcmp(status, "install ok installed") == 0 &&
			    package_name_ok(name) && version_ok(version);
		free(status);
		if (keep && out->n == SBOM_MAX_COMPONENTS) {
			free(name);
			free(version);
			sbom_clear(out);
			return ferry_error_setc(err, FERRY_E_UNSAFE, "dpkg status: more than %d packages",
						SBOM_MAX_COMPONENTS);
		}
		if (keep && out->n == cap) {
			cap = cap ? cap * 2 : 64;
			struct sbom_component *c = realloc(out->c, cap * sizeof(*c));
			if (!c)
				keep = false;
			else
				out->c = c;
		}
		if (keep)
			out->c[out->n++] = (struct sbom_component){ .name = name, .version = version };
		else {
			free(name);
			free(version);
		}
		p = pe;
		while (p < end && (*p == '\n' || *p == '\r'))
			p++;
	}
	return true;
}

char *sbom_copyright_licence(const char *text, size_t len)
{
	const char *end = text + len;
	if (len < 7 || strncmp(text, "Format:", 7) != 0)
		return NULL;   /* not machine-readable: no licence claimed */
	for (const char *p = text; p < end;) {
		const char *pe = paragraph_end(p, end);
		char *files = field(p, pe, "Files"), *licence = NULL;
		if (files && strcmp(files, "*") == 0)
			licence = field(p, pe, "License");
		free(files);
		if (licence && *licence && strlen(licence) <= 64)
			return licence;
		free(licence);
		p = pe;
		while (p < end && (*p == '\n' || *p == '\r'))
			p++;
	}
	return NULL;
}
