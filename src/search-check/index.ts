/** The search precision gate, for programmatic callers such as `preflight launch`. */
export {
  defaultGoldenPath,
  type GoldenQuery,
  type GoldenSet,
  loadGoldenSet,
  parseGoldenSet,
} from './golden.js';
export { judgeSearchResponse, type QueryJudgement, type SearchResponse } from './judge.js';
export {
  formatReport,
  type QueryReport,
  type SearchCheckReport,
  type SearchCheckThresholds,
} from './report.js';
export { readSearchResponse, type SearchFields } from './response.js';
export { runSearchCheck, type SearchCheckOptions, searchCheck } from './run.js';
