/* sbom_image: the installed Debian packages of a root file system image,
 * read without mounting it: ext2/3/4 images through debugfs (e2fsprogs),
 * and tar archives (plain or compressed, what libarchive reads). From
 * var/lib/dpkg/status: every package whose status is "install ok installed",
 * its version, and its licence from usr/share/doc/<package>/copyright
 * (the first License: of a machine-readable file, else NULL). Promises: the
 * image is only read; nothing of it is written outside a private temporary
 * directory, and a hostile image yields an error or bounded data. */
#ifndef FERRY_PACK_SBOM_IMAGE_H
#define FERRY_PACK_SBOM_IMAGE_H

#include <stdbool.h>

#include "common/error.h"
#include "common/sbom.h"

#define SBOM_IMAGE_STATUS_MAX (64 * 1024 * 1024)   /* bytes of dpkg status read */
#define SBOM_IMAGE_COPYRIGHT_MAX (64 * 1024)       /* bytes of a copyright file read */

bool sbom_image_read(const char *image, struct sbom *out, struct ferry_error **err);

/* The components of a dpkg status text (exposed for tests); licences NULL. */
bool sbom_dpkg_status_parse(const char *text, size_t len, struct sbom *out, struct ferry_error **err);
/* The licence a Debian copyright file names, or NULL (caller frees). */
char *sbom_copyright_licence(const char *text, size_t len);

#endif
