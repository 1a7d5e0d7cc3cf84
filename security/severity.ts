/** Severity levels of findings, highest first (shared by the rules and the findings). */
export const severities = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof severities)[number];
