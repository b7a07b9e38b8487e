#!/bin/bash
# report_fleet: the fleet report at 50 and at 1,000 devices over weeks.
# gen-audit makes each fleet as devices would (signed exports, inventories,
# rings canary/stable, records spread over weeks ending now); HQ registers
# and imports them, then renders the report. The HTML must stay one bounded,
# well-formed page: every section there, no table longer than 20 rows (with
# "and N more" where cut, the CSV and JSON keeping every row), week labels
# that do not overlap, no script; Chromium renders it (screenshots kept with
# FERRY_KEEP_REPORT_PNG=DIR).
source "$(dirname "$0")/lib.sh"

GEN=$BUILD/bench/gen-audit
HTML_MAX_1000=100000   # bytes the 1,000-device page stays under (measured 30 KB: docs/hq.md)

fleet() {   # N RECORDS_PER_DEVICE HOURS: generate, register, import into $T/N/hq.db
	local n=$1 dir=$T/$1
	"$GEN" "$dir/g" --devices "$n" --records $(($1 * $2)) --per-file "$2" --hours "$3" >/dev/null || return 1
	for k in "$dir"/g/keys/*.asc; do
		local d; d=$(basename "$k" .asc)
		mkdir -p "$dir/prov/$d"; cp "$k" "$dir/prov/$d/"
		printf '{"format":1,"device":{"id":"%s","type":"gw-x"},"bootloader":{"type":"file","path":"e"}}\n' \
			"$d" >"$dir/prov/$d/agent.json"
	done
	ferry-audit --db "$dir/hq.db" --homedir "$dir/gnupg" -q register "$dir"/prov/* &&
		ferry-audit --db "$dir/hq.db" --homedir "$dir/gnupg" -q import "$dir/g/stick" </dev/null >/dev/null
}

check_page() {   # N: the HTML, CSV and JSON of fleet N agree and the page is bounded
	local n=$1 dir=$T/$1 a=(ferry-audit --db "$T/$1/hq.db" --homedir "$T/$1/gnupg" -q report --stale-days 3650)
	check "report_${n}_html" "${a[@]}" --format html -o "$dir/report.html"
	check "report_${n}_json" "${a[@]}" --format json -o "$dir/report.json"
	check "report_${n}_csv" "${a[@]}" --format csv -o "$dir/report.csv"
	check "report_${n}_page_is_bounded_and_complete" python3 - "$dir" "$n" <<'PY'
import json, re, sys, xml.etree.ElementTree as E
d, n = sys.argv[1], int(sys.argv[2])
ns = {"h": "http://www.w3.org/1999/xhtml", "s": "http://www.w3.org/2000/svg"}
page = E.parse(d + "/report.html").getroot()
rep = json.load(open(d + "/report.json"))
assert rep["summary"]["devices"] == n, rep["summary"]
ids = {s.get("id") for s in page.iter("{%s}section" % ns["h"])}
assert ids == set(rep["sections"]), (ids, set(rep["sections"]))
for sid in ("installs_by_week", "versions_by_week", "rings_by_week"):
    assert rep["sections"][sid]["rows"], sid + " is empty"
raw = open(d + "/report.html").read()
assert "<script" not in raw and "<img" not in raw and "<link" not in raw
for sec in page.iter("{%s}section" % ns["h"]):
    rows = json.load(open(d + "/report.json"))["sections"][sec.get("id")]["rows"]
    shown = sum(len(t.findall("h:tbody/h:tr", ns)) for t in sec.iter("{%s}table" % ns["h"]))
    assert shown <= 20, (sec.get("id"), shown)
    more = "".join(sec.itertext())
    m = re.search(r"and (\d+) more rows", more)
    assert (m is None and shown == len(rows)) or (m and shown + int(m.group(1)) == len(rows)), \
        (sec.get("id"), shown, len(rows))
# tick labels of a chart's x axis (same y, centred) never overlap: 76 px apart at least
for svg in page.iter("{%s}svg" % ns["s"]):
    ticks = {}
    for t in svg.findall("s:text", ns):
        if re.fullmatch(r"\d{4}-\d\d-\d\d", (t.text or "")):
            ticks.setdefault(t.get("y"), []).append(float(t.get("x")))
    for xs in ticks.values():
        xs.sort()
        assert all(b - a >= 76 for a, b in zip(xs, xs[1:])), xs
# the CSV has every row of the weekly sections
csv = open(d + "/report.csv", newline="").read()
for sid in ("versions_by_week", "rings_by_week"):
    assert csv.count("\r\n%s," % sid) == len(rep["sections"][sid]["rows"]), sid
PY
}

render() {   # N: a screenshot of the whole page that is not blank
	local n=$1 dir=$T/$1 chromium
	chromium=$(command -v chromium || command -v chromium-browser || true)
	if [ -z "$chromium" ]; then
		if [ "${CI:-}" = true ]; then fail "report_${n}_renders" "chromium missing in CI (scripts/debian-packages.txt)"
		else skip "report_${n}_renders" "chromium not installed (scripts/install-deps installs it)"; fi
		return
	fi
	timeout 180 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--disable-background-networking --disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$(mktemp -d "$T/chromium.XXXXXX")" \
		--window-size=1100,9000 --screenshot="$dir/report.png" "file://$dir/report.html" >/dev/null 2>&1
	if [ ! -s "$dir/report.png" ]; then fail "report_${n}_renders" "no screenshot"
	elif [ "$(stat -c %s "$dir/report.png")" -lt 100000 ]; then
		fail "report_${n}_renders" "screenshot looks blank ($(stat -c %s "$dir/report.png") bytes)"
	else pass "report_${n}_renders"; fi
	[ -n "${FERRY_KEEP_REPORT_PNG:-}" ] && cp "$dir/report.png" "$FERRY_KEEP_REPORT_PNG/report-$n.png"
}

if fleet 50 16 60; then pass fleet_50_imported; else fail fleet_50_imported "generate/register/import failed"; fi
check_page 50
render 50
check report_device_html ferry-audit --db "$T/50/hq.db" -q report --device gw-0001 --format html -o "$T/50/dev.html"
check report_device_html_is_xml python3 -c "import sys, xml.etree.ElementTree as E
t = E.parse(sys.argv[1]).getroot(); h = '{http://www.w3.org/1999/xhtml}'
ids = [s.get('id') for s in t.iter(h + 'section')]
assert ids == ['device', 'history'], ids
assert len(list(t.iter(h + 'tr'))) <= 2 * 21, 'tables not capped'" "$T/50/dev.html"
refuses report_device_unknown 2 "no such device registered" ferry-audit --db "$T/50/hq.db" report --device gw-9999
if fleet 1000 8 100; then pass fleet_1000_imported; else fail fleet_1000_imported "generate/register/import failed"; fi
check_page 1000
size=$(stat -c %s "$T/1000/report.html" 2>/dev/null || echo 0)
if [ "$size" -gt 0 ] && [ "$size" -lt "$HTML_MAX_1000" ]; then pass "report_1000_html_under_${HTML_MAX_1000}_bytes"
else fail "report_1000_html_under_${HTML_MAX_1000}_bytes" "$size bytes"; fi
render 1000
for d in "$T"/*/g/gnupg "$T"/*/gnupg; do [ -d "$d" ] && gpgconf --homedir "$d" --kill all 2>/dev/null; done
finish
