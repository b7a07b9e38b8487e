/* report_sql: the SQL of every report query (enum audit_query), one table
 * run unchanged by both backends (PostgreSQL after $N renumbering). Portable
 * on purpose: CASE, not boolean sums; orders that are total and say where
 * NULLs go, so both backends give the same report. A new report section adds
 * its enum value in db.h and its statement here. */
#include "audit/db_backend.h"

#define COUNT_IF(cond) "sum(CASE WHEN " cond " THEN 1 ELSE 0 END)"
/* An install's outcome counts, and the records that are install outcomes. */
#define INSTALL_OUTCOMES COUNT_IF("result = 'success'") " AS success, " \
	COUNT_IF("result = 'failure'") " AS failure, " COUNT_IF("result = 'refused'") " AS refused"
#define INSTALL_RECORDS \
	"bundle IS NOT NULL AND event LIKE 'install.%' AND event <> 'install.started'"
/* a record that changes the version a device runs (report_time.c) */
#define VERSION_MOVE(r) r "bundle IS NOT NULL AND " r "version IS NOT NULL AND ((" r "event = 'install.finished'" \
	" AND " r "result = 'success') OR " r "event = 'boot.rolled_back')"

const char *const audit_db_report_sql[AUDIT_Q_COUNT] = {
	[AUDIT_Q_SUMMARY] =
	"SELECT (SELECT count(*) FROM devices) AS devices, (SELECT count(*) FROM records) AS records,"
	" (SELECT count(*) FROM imports) AS imports,"
	" (SELECT count(*) FROM imports WHERE outcome = 'refused') AS refused_imports",
	[AUDIT_Q_FLEET_BY_VERSION] =
	"SELECT name AS bundle, version, count(*) AS devices FROM device_versions"
	" GROUP BY name, version ORDER BY name, version",
	[AUDIT_Q_FLEET_BY_TYPE] =
	"SELECT coalesce(type, '(no inventory yet)') AS type, hw_revision, count(*) AS devices"
	" FROM devices GROUP BY type, hw_revision ORDER BY type, hw_revision NULLS FIRST",
	[AUDIT_Q_INSTALLS_BY_BUNDLE] =
	"SELECT bundle, version, " INSTALL_OUTCOMES " FROM records WHERE " INSTALL_RECORDS
	" GROUP BY bundle, version ORDER BY bundle, version NULLS FIRST",
	[AUDIT_Q_FAILURES_BY_REASON] =
	/* By code with one example text; records without a code (older agents,
	 * unclassified sites) by their text, as before codes existed. */
	"SELECT coalesce(code, '-') AS code, coalesce(bundle, '-') AS bundle,"
	" coalesce(version, '-') AS version, event, result, count(*) AS count,"
	" coalesce(min(reason), '(none given)') AS example FROM records"
	" WHERE result IN ('failure', 'refused')"
	" GROUP BY code, CASE WHEN code IS NULL THEN reason END, bundle, version, event, result"
	" ORDER BY count DESC, bundle, code, example, version, event, result",
	[AUDIT_Q_ROLLBACKS] =
	"SELECT device, event, bundle, version, time, reason,"
	" CASE WHEN EXISTS (SELECT 1 FROM failure_logs f WHERE f.device = records.device"
	" AND f.seq = records.seq) THEN 'ferry-audit logs --device ' || device || ' --seq ' ||"
	" CAST(seq AS TEXT) ELSE '-' END AS failure_log, seq FROM records"
	" WHERE event IN ('boot.rolled_back', 'boot.fell_back') ORDER BY time DESC NULLS LAST, device, seq DESC"
	" LIMIT 200",
	[AUDIT_Q_STALE_DEVICES] =
	"SELECT id AS device, type, last_seen FROM devices"
	" WHERE last_seen IS NULL OR last_seen < ?1 ORDER BY last_seen NULLS FIRST, id",
	[AUDIT_Q_RINGS] =
	"WITH ring AS (SELECT d.id AS device, coalesce(g.grp, '(none)') AS name FROM devices d"
	" LEFT JOIN device_groups g ON g.device = d.id)"
	" SELECT ring.name AS ring, count(DISTINCT ring.device) AS devices, "
	COUNT_IF("r.event = 'install.finished' AND r.result = 'success'") " AS installed, "
	COUNT_IF("r.result = 'failure'") " AS failed, "
	COUNT_IF("r.event IN ('boot.rolled_back', 'boot.fell_back')") " AS rollbacks"
	" FROM ring LEFT JOIN records r ON r.device = ring.device GROUP BY ring.name ORDER BY ring.name",
	[AUDIT_Q_POLICY_SERIALS] =
	"SELECT policy_serial, count(*) AS devices FROM devices WHERE policy_serial IS NOT NULL"
	" GROUP BY policy_serial ORDER BY policy_serial DESC",
	[AUDIT_Q_CHANGES_BY_ORDER] =
	"SELECT coalesce(technician, '-') AS technician, work_order, device, event,"
	" coalesce(bundle, '-') AS bundle, coalesce(version, '-') AS version, time FROM records"
	" WHERE work_order IS NOT NULL"
	" ORDER BY technician, work_order, time NULLS LAST, device, seq LIMIT 500",
	[AUDIT_Q_ORDERS] =
	/* Orders imported at HQ and orders only records name (?1: the report's time). */
	"WITH used AS (SELECT work_order AS id, min(technician) AS technician,"
	" count(DISTINCT device) AS devices, count(*) AS records, max(time) AS last_used"
	" FROM records WHERE work_order IS NOT NULL GROUP BY work_order),"
	" ids AS (SELECT id FROM orders UNION SELECT id FROM used)"
	" SELECT ids.id AS work_order, coalesce(o.technician, u.technician, '-') AS technician,"
	" CASE WHEN u.id IS NOT NULL THEN 'used' WHEN o.not_after < ?1 THEN 'expired unused'"
	" ELSE 'not used yet' END AS status, coalesce(u.devices, 0) AS devices,"
	" coalesce(u.records, 0) AS records, coalesce(u.last_used, '-') AS last_used,"
	" coalesce(o.not_after, '(not imported)') AS not_after"
	" FROM ids LEFT JOIN orders o ON o.id = ids.id LEFT JOIN used u ON u.id = ids.id"
	" ORDER BY status, ids.id",
	[AUDIT_Q_INSTALLS_BY_WEEK] =
	"SELECT substr(time, 1, 10) AS day, " INSTALL_OUTCOMES " FROM records"
	" WHERE time IS NOT NULL AND " INSTALL_RECORDS " GROUP BY substr(time, 1, 10) ORDER BY day",
	[AUDIT_Q_VERSIONS_BY_WEEK] =
	"SELECT device, bundle, version, event, substr(time, 1, 10) AS day FROM records"
	" WHERE " VERSION_MOVE("") " ORDER BY device, bundle, seq",
	[AUDIT_Q_RINGS_BY_WEEK] =
	"WITH ring AS (SELECT d.id AS device, coalesce(g.grp, '(none)') AS name FROM devices d"
	" LEFT JOIN device_groups g ON g.device = d.id)"
	" SELECT ring.name AS ring, ring.device AS device, r.bundle, r.version, r.event,"
	" substr(r.time, 1, 10) AS day FROM ring LEFT JOIN records r ON r.device = ring.device AND "
	VERSION_MOVE("r.") " ORDER BY ring.name, ring.device, r.bundle NULLS FIRST, r.seq",
	[AUDIT_Q_METRIC_SAMPLES] =
	"SELECT r.bundle, r.version, coalesce(d.type, '-') AS type, r.device, r.seq, r.line"
	" FROM records r JOIN devices d ON d.id = r.device"
	" WHERE r.event IN ('boot.committed', 'boot.rolled_back') AND r.bundle IS NOT NULL"
	" AND r.version IS NOT NULL AND r.line LIKE '%\"metrics\"%' ORDER BY r.device, r.seq",
	[AUDIT_Q_PAST_SUPPORT] =
	"SELECT d.id AS device, d.type, s.bundle, s.version, s.support_until FROM device_software s"
	" JOIN devices d ON d.id = s.device WHERE s.support_until < ?1"
	" ORDER BY s.support_until, d.id, s.bundle",
	[AUDIT_Q_SUPPORT_BEFORE_WARRANTY] =
	"SELECT d.id AS device, d.type, s.bundle, s.version, s.support_until, d.warranty_until"
	" FROM device_software s JOIN devices d ON d.id = s.device"
	" WHERE d.warranty_until IS NOT NULL AND s.support_until < d.warranty_until"
	" ORDER BY s.support_until, d.id, s.bundle",
	[AUDIT_Q_DEVICE_SBOM] =
	"SELECT s.bundle, s.version, s.support_until, c.name AS component, c.version AS component_version,"
	" c.licence FROM device_software s LEFT JOIN device_components c"
	" ON c.device = s.device AND c.bundle = s.bundle WHERE s.device = ?1 ORDER BY s.bundle, c.seq",
};

/* Which parameter each query's ?1 is; the others take none or stale_before. */
const char *audit_db_query_arg(enum audit_query q, const struct audit_query_params *p)
{
	if (!p)
		return NULL;
	if (q == AUDIT_Q_PAST_SUPPORT)
		return p->today;
	if (q == AUDIT_Q_DEVICE_SBOM)
		return p->device;
	return p->stale_before;
}
