# mk/cross.mk: which compiler, archiver and pkg-config build the programs, and
# for which machine. Included by the Makefile before any flags are set.
#   make CROSS=aarch64-linux-gnu-                 Debian's cross compiler, with the
#       target's -dev packages installed multiarch (pkg-config: CROSS-pkg-config)
#   make CROSS=aarch64-linux-gnu- SYSROOT=dir     headers and libraries from dir
#       (scripts/cross-sysroot fills one from Debian's packages for the target)
# Without CROSS nothing changes: cc, ar and pkg-config of the build machine.

CROSS   ?=
SYSROOT ?=
ifneq ($(CROSS),)
ifeq ($(origin CC),default)
CC := $(CROSS)gcc
endif
ifeq ($(origin AR),default)
AR := $(CROSS)ar
endif
endif

# pkg-config runs in $(shell), which does not see exported variables (make 4.3):
# the sysroot's search path is part of the command.
ifneq ($(SYSROOT),)
SYSROOT_ABS   := $(abspath $(SYSROOT))
CROSS_TRIPLET := $(patsubst %-,%,$(CROSS))
CROSS_CFLAGS  := --sysroot=$(SYSROOT_ABS)
PKG_CONFIG    := PKG_CONFIG_SYSROOT_DIR=$(SYSROOT_ABS) \
                 PKG_CONFIG_LIBDIR=$(SYSROOT_ABS)/usr/lib/$(CROSS_TRIPLET)/pkgconfig:$(SYSROOT_ABS)/usr/share/pkgconfig \
                 pkg-config
else
CROSS_CFLAGS  :=
PKG_CONFIG    ?= $(CROSS)pkg-config
endif
