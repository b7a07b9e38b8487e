# bench/peers/swupdate.sh (sourced): SWUpdate's streamed zstd install of a
# raw image into a block device, the way meta-swupdate builds it: the image
# zstd -3 compressed, its sha256 in a libconfig sw-description signed with
# CMS (Debian's swupdate insists on signed images), all in a cpio (newc+crc).
# swupdate hardcodes its sockets under /tmp, so it runs in a private mount
# namespace with a directory of ours over /tmp.
#   swu_available                     true when swupdate, openssl, cpio, unshare are here
#   swu_make WORKDIR IMAGE DEVICE     builds WORKDIR/bench.swu (keys made once)
#   swu_install WORKDIR               installs it: swupdate -i, then sync DEVICE
swu_available() {
	command -v swupdate >/dev/null && command -v cpio >/dev/null && command -v unshare >/dev/null &&
		command -v openssl >/dev/null && [ "$(id -u)" -eq 0 ]
}

swu_make() {
	local w=$1 img=$2 dev=$3 t=$1/swu.d
	mkdir -p "$w/nstmp" && rm -rf "$t" && mkdir -p "$t"
	[ -f "$w/cert.pem" ] || {
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$w/key.pem" 2>/dev/null &&
			openssl req -x509 -new -key "$w/key.pem" -out "$w/cert.pem" -days 30 \
				-subj "/O=ferry-bench/CN=swupdate signer" 2>/dev/null
	} || return 1
	zstd -q -T0 -3 -f "$img" -o "$t/rootfs.zst" || return 1
	cat >"$t/sw-description" <<EOD
software =
{
	version = "1.0.0";
	description = "ferry bench";
	hardware-compatibility: [ "1.0" ];
	images: (
		{
			filename = "rootfs.zst";
			device = "$dev";
			type = "raw";
			sha256 = "$(sha256sum "$t/rootfs.zst" | cut -d' ' -f1)";
			compressed = "zstd";
			installed-directly = true;
		}
	);
}
EOD
	openssl cms -sign -in "$t/sw-description" -out "$t/sw-description.sig" -signer "$w/cert.pem" \
		-inkey "$w/key.pem" -outform DER -nosmimecap -binary || return 1
	(cd "$t" && printf '%s\n' sw-description sw-description.sig rootfs.zst | cpio -o -H crc --quiet) >"$w/bench.swu"
	rm -rf "$t"
	SWU_DEV=$dev
}

swu_install() {
	local w=$1
	(cd "$w" && unshare -m sh -c "mount --bind nstmp /tmp && swupdate -l 3 -k cert.pem -H bench:1.0 -M -m -i bench.swu" &&
		sync "$SWU_DEV")
}
