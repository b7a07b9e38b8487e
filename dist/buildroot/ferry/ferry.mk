################################################################################
#
# ferry: the device agent, built from the release tarball (`make dist`).
# Use from a BR2_EXTERNAL tree (package/ferry/) and put ferry-$(FERRY_VERSION).tar.gz
# into FERRY_SITE. Not tested by ferry's CI: see docs/building.md.
#
################################################################################

FERRY_VERSION = 0.1.0
FERRY_SOURCE = ferry-$(FERRY_VERSION).tar.gz
FERRY_SITE = $(BR2_EXTERNAL_FERRY_PATH)/dl
FERRY_SITE_METHOD = file
# No licence has been chosen for ferry yet.
FERRY_LICENSE = unknown
FERRY_DEPENDENCIES = host-pkgconf gpgme libgcrypt libarchive zstd xz jansson \
	sqlite udev util-linux libusb libubootenv

# CC, AR, PKG_CONFIG, CFLAGS and LDFLAGS come from TARGET_CONFIGURE_OPTS; the
# Makefile adds its own warnings to them.
FERRY_MAKE_OPTS = PREFIX=/usr sysconfdir=/etc localstatedir=/var \
	unitdir=/usr/lib/systemd/system tmpfilesdir=/usr/lib/tmpfiles.d

define FERRY_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(TARGET_CONFIGURE_OPTS) $(MAKE) -C $(@D) $(FERRY_MAKE_OPTS) agent-only
endef

define FERRY_INSTALL_TARGET_CMDS
	$(TARGET_MAKE_ENV) $(TARGET_CONFIGURE_OPTS) $(MAKE) -C $(@D) $(FERRY_MAKE_OPTS) \
		DESTDIR=$(TARGET_DIR) install-agent
	$(INSTALL) -d -m 0700 $(TARGET_DIR)/etc/ferry $(TARGET_DIR)/etc/ferry/hooks.d
endef

$(eval $(generic-package))
