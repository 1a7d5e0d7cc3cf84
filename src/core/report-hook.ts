/**
 * The report writer registry: the app registers the HTML report writer at CLI start, and a capability that writes a
 * results directory (`load run`) asks for a report without importing the report capability.
 */

export interface WrittenReport {
  /** The self-contained report.html. */
  html: string;
  /** The Markdown summary files written (--summary-md, $GITHUB_STEP_SUMMARY). */
  markdown: string[];
}

export interface ReportRequest {
  /** A launch directory (launch.json) or a load results directory (summary.json). */
  dir: string;
  /** Also write a Markdown summary here (--summary-md). */
  summaryMd?: string;
  /** Read for $GITHUB_STEP_SUMMARY (appended when set). */
  env?: NodeJS.ProcessEnv;
}

export type ReportWriter = (request: ReportRequest) => Promise<WrittenReport>;

let registered: ReportWriter | undefined;

/** Called once by the app at CLI start. */
export function registerReportWriter(writer: ReportWriter): void {
  registered = writer;
}

/** Writes the report of a results directory when a writer is registered (the CLI); undefined otherwise. */
export async function writeReportIfRegistered(request: ReportRequest): Promise<WrittenReport | undefined> {
  return registered ? registered(request) : undefined;
}
