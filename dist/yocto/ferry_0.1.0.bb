# Yocto/OpenEmbedded recipe for ferry, built from the release tarball
# (`make dist` -> ferry-0.1.0.tar.gz, placed next to this recipe in files/ or
# on a download server). NOT TESTED by ferry's CI: see docs/building.md.
SUMMARY = "ferry: offline USB software updates for embedded Linux"
DESCRIPTION = "ferry-agent installs signed update bundles from USB sticks \
(A/B root filesystem with trial boot, file trees, scripts, update modules) \
and writes a signed, hash-chained audit log back onto the stick."
SECTION = "admin"
# No licence has been chosen for ferry yet; set LICENSE and
# LIC_FILES_CHKSUM once it has.
LICENSE = "CLOSED"

SRC_URI = "file://ferry-${PV}.tar.gz"
S = "${WORKDIR}/ferry-${PV}"

DEPENDS = "gpgme libgcrypt libarchive zstd xz jansson sqlite3 udev util-linux \
           libusb1 libubootenv"

inherit pkgconfig systemd

# The Makefile adds the project's warnings to CFLAGS/CPPFLAGS/LDFLAGS from the
# environment; CC, AR and PKG_CONFIG come from the environment too.
EXTRA_OEMAKE = "PREFIX=${prefix} bindir=${bindir} libdir=${nonarch_libdir} \
                sysconfdir=${sysconfdir} localstatedir=${localstatedir} \
                unitdir=${systemd_system_unitdir} \
                tmpfilesdir=${nonarch_libdir}/tmpfiles.d \
                udevrulesdir=${nonarch_base_libdir}/udev/rules.d"

# The device image takes ferry-agent; ferry-tools and ferry-hq are for a
# workstation or HQ image built with the same layer.
PACKAGECONFIG ??= ""
PACKAGECONFIG[tools] = ""
PACKAGECONFIG[hq] = ""
FERRY_PARTS = "agent ${@bb.utils.filter('PACKAGECONFIG', 'tools hq', d)}"

do_compile() {
	oe_runmake ${@'programs' if bb.utils.filter('PACKAGECONFIG', 'tools hq', d) else 'agent-only'}
}

do_install() {
	for part in ${FERRY_PARTS}; do
		oe_runmake DESTDIR=${D} install-$part
	done
	install -d -m 0700 ${D}${sysconfdir}/ferry ${D}${sysconfdir}/ferry/hooks.d
}

PACKAGES =+ "${PN}-tools ${PN}-hq"
FILES:${PN}-tools = "${bindir}/ferry-pack ${bindir}/ferry-keys \
                     ${datadir}/bash-completion/completions/ferry-pack \
                     ${datadir}/bash-completion/completions/ferry-keys"
FILES:${PN}-hq = "${bindir}/ferry-audit ${datadir}/bash-completion/completions/ferry-audit"
FILES:${PN} += "${nonarch_libdir}/ferry ${nonarch_libdir}/tmpfiles.d ${datadir}/ferry \
                ${datadir}/bash-completion"
RDEPENDS:${PN} = "gnupg"
RDEPENDS:${PN}-tools = "gnupg"
RDEPENDS:${PN}-hq = "gnupg"

# Enable once the device is provisioned (/etc/ferry/agent.json), or change this
# in the image recipe of a provisioned image.
SYSTEMD_SERVICE:${PN} = "ferry-agent.service ferry-agent-commit.service"
SYSTEMD_AUTO_ENABLE = "disable"
