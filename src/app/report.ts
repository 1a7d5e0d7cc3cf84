/** Registers the HTML report writer with core, so `load run` (a capability) can write report.html without importing it. */
import { registerReportWriter } from '../core/report-hook.js';

registerReportWriter(async (request) => (await import('../report/write.js')).writeReport(request));
