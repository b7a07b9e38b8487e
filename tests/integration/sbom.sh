#!/bin/bash
# sbom: ferry-pack sbom reads a Debian root file system's packages from an
# ext4 image (debugfs, not mounted) and from a tar archive; the SBOM it makes
# is accepted by create as a variant's signed member; malformed, oversized
# and tampered SBOMs are refused naming the file or member; a device that
# installs the bundle reports the components and support date in its
# inventory, and HQ shows them and lists the device as past its support
# and before its warranty (issue 17).
source "$(dirname "$0")/lib.sh"

R=$T/root; mkdir -p "$R/var/lib/dpkg" "$R/usr/share/doc/zlib1g" "$R/usr/share/doc/busybox" "$R/usr/share/doc/old"
cat >"$R/var/lib/dpkg/status" <<'EOF2'
Package: zlib1g
Status: install ok installed
Architecture: arm64
Version: 1:1.2.13.dfsg-1
Description: compression library
 a continuation line: Version: 9

Package: busybox
Status: install ok installed
Version: 1:1.35.0-4+b3

Package: old
Status: deinstall ok config-files
Version: 0.1

Package: Bad;rm -rf
Status: install ok installed
Version: 1
EOF2
printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 1995 Jean-loup Gailly\nLicense: Zlib\n' \
	>"$R/usr/share/doc/zlib1g/copyright"
printf 'This package was debianized by someone.\nLicense: GPL-2\n' >"$R/usr/share/doc/busybox/copyright"
tar -C "$R" -czf "$T/root.tar.gz" .

PK() { ferry-pack -q "$@"; }
check sbom_from_tar PK sbom "$T/root.tar.gz" -o "$T/tar.spdx.json"
if command -v mke2fs >/dev/null 2>&1 || [ -x /usr/sbin/mke2fs ]; then
	PATH=$PATH:/usr/sbin:/sbin mke2fs -q -t ext4 -d "$R" "$T/root.ext4" 8M >/dev/null 2>&1
	check sbom_from_ext4_unmounted PK sbom "$T/root.ext4" -o "$T/ext.spdx.json"
	cmp -s <(grep -v '"created"\|documentNamespace\|"name": "root' "$T/tar.spdx.json") \
		<(grep -v '"created"\|documentNamespace\|"name": "root' "$T/ext.spdx.json") &&
		pass ext4_and_tar_agree || fail ext4_and_tar_agree "$(diff "$T/tar.spdx.json" "$T/ext.spdx.json" | head -5)"
	check sbom_cyclonedx_from_ext4 PK sbom "$T/root.ext4" --format cyclonedx -o "$T/ext.cdx.json"
else
	skip sbom_from_ext4_unmounted "mke2fs (e2fsprogs) not installed"
fi
python3 - "$T/tar.spdx.json" <<'PY' && pass sbom_lists_installed_packages_with_licences || fail sbom_lists_installed_packages_with_licences "$(cat "$T/tar.spdx.json")"
import json, sys
d = json.load(open(sys.argv[1]))
p = {x["name"]: x for x in d["packages"]}
assert d["spdxVersion"] == "SPDX-2.3", d
assert sorted(p) == ["busybox", "zlib1g"], p          # not removed, not a bad name
assert p["zlib1g"]["versionInfo"] == "1:1.2.13.dfsg-1"
assert p["zlib1g"]["licenseDeclared"] == "Zlib"         # DEP-5 Files: * paragraph
assert p["busybox"]["licenseDeclared"] == "NOASSERTION"  # not machine-readable: not claimed
PY
SOURCE_DATE_EPOCH=1790000000 PK sbom "$T/root.tar.gz" >"$T/a.json" && SOURCE_DATE_EPOCH=1790000000 PK sbom "$T/root.tar.gz" >"$T/b.json" &&
	cmp -s "$T/a.json" "$T/b.json" && grep -q '"created": "2026-' "$T/a.json" && pass sbom_reproducible_with_source_date_epoch ||
	fail sbom_reproducible_with_source_date_epoch "$(head -c 300 "$T/a.json")"
head -c 4096 /dev/urandom >"$T/junk.img"
refuses sbom_refuses_what_is_no_image 1 "junk.img: neither an ext2/3/4 image nor a tar archive" PK sbom "$T/junk.img"
tar -C "$R/usr" -cf "$T/nodpkg.tar" .
refuses sbom_refuses_image_without_dpkg 1 "nodpkg.tar: no var/lib/dpkg/status" PK sbom "$T/nodpkg.tar"
refuses sbom_needs_an_image 2 "usage" ferry-pack sbom

# --- the SBOM in a bundle --------------------------------------------------
mkdir -p "$T/in"; head -c 100000 /usr/bin/bash >"$T/in/rootfs.img"; cp "$T/tar.spdx.json" "$T/in/sbom.json"
spec() {   # spec FILE SBOM [SUPPORT_UNTIL]
	cat >"$T/in/$1" <<EOF2
{ "format": 1, "name": "edge-os", "version": "2.4.1", "security_version": 1,
  "created": "2026-11-24T10:00:00Z",
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
    "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "rootfs.img" } ],
    "sbom": { "file": "$2" }, "support_until": "${3:-2030-06-30}" } ] }
EOF2
}
spec good.json sbom.json
check create_with_sbom PK create "$T/in/good.json" -o "$T/good.ferry"
tar -xOf "$T/good.ferry" payloads/gw-x/sbom.json | cmp -s - "$T/in/sbom.json" && pass sbom_is_a_bundle_member ||
	fail sbom_is_a_bundle_member "$(tar -tf "$T/good.ferry" | tr '\n' ' ')"
tar -xOf "$T/good.ferry" manifest.json | python3 -c '
import hashlib, json, sys
v = json.load(sys.stdin)["variants"][0]
s = open(sys.argv[1], "rb").read()
assert v["sbom"]["sha256"] == hashlib.sha256(s).hexdigest() and v["sbom"]["size"] == len(s), v
assert v["support_until"] == "2030-06-30"' "$T/in/sbom.json" && pass manifest_names_sbom_hash_and_support ||
	fail manifest_names_sbom_hash_and_support "$(tar -xOf "$T/good.ferry" manifest.json | head -c 600)"
refuses inspect_shows_sbom 0 "sbom .* payloads/gw-x/sbom.json" ferry-pack inspect "$T/good.ferry"
refuses inspect_shows_support_until 0 "support until 2030-06-30" ferry-pack inspect "$T/good.ferry"

printf '{"spdxVersion":"SPDX-2.3","packages":[]}' >"$T/in/bad.json"; spec bad-spec.json bad.json
refuses create_refuses_malformed_sbom 1 "sbom: bad.json: dataLicense: missing" PK create "$T/in/bad-spec.json" -o "$T/bad.ferry"
python3 -c 'import json; print(json.dumps({"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"p%06d"%i,"version":"1.0.0-with-a-long-version-string"} for i in range(20000)]}))' >"$T/in/big.json"
spec big-spec.json big.json
refuses create_refuses_oversized_sbom 1 "big.json.*(too large|more than|larger)" PK create "$T/in/big-spec.json" -o "$T/big.ferry"
spec date-spec.json sbom.json 2030-13-01
refuses create_refuses_bad_support_date 1 "support_until: '2030-13-01' is not a date" PK create "$T/in/date-spec.json" -o "$T/d.ferry"
[ ! -e "$T/bad.ferry" ] && [ ! -e "$T/big.ferry" ] && pass refused_create_leaves_no_bundle || fail refused_create_leaves_no_bundle "a bundle was written"

# A changed SBOM inside a signed-over manifest: verify names the member.
export FERRY_KEYS_HOME=$T/keys
ferry-keys -q init --root-name "Test Root" >/dev/null
REL=$(ferry-keys signer add "Release CI" --role release --device-type 'gw-*')
ferry-keys -q policy sign -o "$T/policy" >/dev/null
gpg --homedir "$T/keys/gnupg" --batch --quiet --armor --export >"$T/keyring.asc"
check create_signed_with_sbom ferry-pack --homedir "$T/keys/gnupg" -q create "$T/in/good.json" -o "$T/good.ferry" --sign "$REL"
check verify_with_sbom ferry-pack verify "$T/good.ferry" --keyring "$T/keyring.asc" --policy "$T/policy"
python3 - "$T/good.ferry" "$T/tampered.ferry" <<'PY'
import io, sys, tarfile
src, dst = sys.argv[1:3]
with tarfile.open(src) as t, tarfile.open(dst, "w", format=tarfile.GNU_FORMAT) as o:
    for m in t.getmembers():
        data = t.extractfile(m).read()
        if m.name.endswith("sbom.json"):
            data = data.replace(b"zlib1g", b"zlib1x")
        o.addfile(m, io.BytesIO(data))
PY
refuses verify_names_tampered_sbom 1 "payloads/gw-x/sbom.json" ferry-pack verify "$T/tampered.ferry" \
	--keyring "$T/keyring.asc" --policy "$T/policy"

# --- a device keeps it and tells HQ -------------------------------------------
# The support date is in the past here, so HQ lists the device as running
# software past its support, and before its warranty ends.
ferry-keys -q provision "$T/dev" --device-id gw-0001 --device-type gw-x --installed edge-os=2.3.0 >/dev/null
GW="ferry-agent -c $T/dev/agent.json"
spec old.json sbom.json 2020-01-31
sed -i 's/"version": "2.4.1"/"version": "2.4.2"/' "$T/in/old.json"
check create_bundle_past_support ferry-pack --homedir "$T/keys/gnupg" -q create "$T/in/old.json" -o "$T/old.ferry" --sign "$REL"
check agent_installs_bundle_with_sbom $GW install "$T/old.ferry"
check agent_trial_boot $GW reboot
check agent_commits $GW commit
mkdir -p "$T/stick"
check agent_exports $GW export "$T/stick"
INV=$T/stick/ferry/audit/gw-0001/inventory.json
python3 - "$INV" <<'PY' && pass inventory_reports_sbom_and_support || fail inventory_reports_sbom_and_support "$(head -c 600 "$INV")"
import json, sys
s = json.load(open(sys.argv[1]))["software"]["edge-os"]
assert s["version"] == "2.4.2" and s["support_until"] == "2020-01-31", s
assert [c["name"] for c in s["components"]] == ["busybox", "zlib1g"], s
assert s["components"][1]["licence"] == "Zlib" and "licence" not in s["components"][0], s
PY
AU() { ferry-audit --db "$T/hq.db" --homedir "$T/hqgnupg" "$@"; }
check hq_registers_with_warranty AU -q register "$T/dev/gw-0001.asc" --device-id gw-0001 --warranty-until 2031-12-31
check hq_imports AU -q import "$T/stick"
refuses hq_sbom_shows_components 0 "zlib1g 1:1.2.13.dfsg-1  Zlib" AU sbom --device gw-0001
refuses hq_sbom_shows_support 0 "edge-os 2.4.2, supported until 2020-01-31" AU sbom --device gw-0001
AU --json report | python3 -c '
import json, sys
s = json.load(sys.stdin)["sections"]
past, warranty = s["past_support"]["rows"], s["support_before_warranty"]["rows"]
assert past == [{"device": "gw-0001", "type": "gw-x", "bundle": "edge-os", "version": "2.4.2", "support_until": "2020-01-31"}], past
assert warranty[0]["warranty_until"] == "2031-12-31", warranty' && pass hq_report_lists_past_support_and_warranty ||
	fail hq_report_lists_past_support_and_warranty "$(AU report | tail -n 12 | tr '\n' ' ')"
finish
