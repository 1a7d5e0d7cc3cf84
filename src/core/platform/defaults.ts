/**
 * Everything preflight assumes about the platform it tests, with defaults read from the platform spec
 * (shared/platform.md, InstaInstru). A target overrides any key under `platform:` in preflight.yaml.
 * Pure data without imports: the k6 scenario bundles include it as their fallback.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface PlatformRoute {
  method: HttpMethod;
  /** Path under the API prefix, with `{name}` placeholders. */
  path: string;
  /** Query parameters the route requires (a request without them is refused). */
  requiredQuery: string[];
}

const route = (method: HttpMethod, path: string, requiredQuery: string[] = []): PlatformRoute => ({
  method,
  path,
  requiredQuery,
});

export const defaultPlatform = {
  apiPrefix: '/api/v1',
  routes: {
    health: route('GET', '/health'),
    ready: route('GET', '/ready'),
    login: route('POST', '/auth/login'),
    me: route('GET', '/auth/me'),
    refresh: route('POST', '/auth/refresh'),
    search: route('GET', '/search', ['q']),
    instructors: route('GET', '/instructors', ['service_catalog_id']),
    availability: route('GET', '/public/instructors/{instructor_id}/availability', [
      'start_date',
      'end_date',
    ]),
    createBooking: route('POST', '/bookings'),
    checkAvailability: route('POST', '/bookings/check-availability'),
    getBooking: route('GET', '/bookings/{booking_id}'),
    cancelBooking: route('POST', '/bookings/{booking_id}/cancel'),
    metrics: route('GET', '/metrics/prometheus'),
  },
  /** Paths outside the API prefix (relative to the base URL). */
  rootPaths: {
    docs: '/docs',
    redoc: '/redoc',
    openapi: '/openapi.json',
    sentryDebug: '/sentry-debug',
  },
  auth: {
    usernameField: 'username',
    passwordField: 'password',
    refreshCookie: 'rid',
    csrfErrorCode: 'CSRF_ORIGIN_MISMATCH',
    captchaHeader: 'X-Captcha-Required',
  },
  search: {
    queryParam: 'q',
    limitParam: 'limit',
    maxLimit: 50,
    resultsField: 'results',
    instructorIdField: 'instructor_id',
    bestMatchField: 'best_match',
    serviceIdField: 'service_id',
    serviceCatalogIdField: 'service_catalog_id',
    serviceNameField: 'name',
    minHourlyRateField: 'min_hourly_rate',
    otherMatchesField: 'other_matches',
    metaField: 'meta',
    parsedField: 'parsed',
    maxPriceField: 'max_price',
    serviceQueryField: 'service_query',
    softFilteringField: 'soft_filtering_used',
    totalResultsField: 'total_results',
  },
  instructors: {
    itemsField: 'items',
    idField: 'id',
    serviceCatalogParam: 'service_catalog_id',
    perPageParam: 'per_page',
    maxPerPage: 100,
  },
  availability: {
    startParam: 'start_date',
    endParam: 'end_date',
    maxRangeDays: 30,
    byDateField: 'availability_by_date',
    slotsField: 'available_slots',
    startField: 'start_time',
    endField: 'end_time',
    blackoutField: 'is_blackout',
  },
  booking: {
    createdStatus: 201,
    conflictStatus: 409,
    conflictCode: 'BOOKING_CONFLICT',
    idField: 'id',
    statusField: 'status',
    cancelledStatus: 'CANCELLED',
    activeStatuses: ['PENDING', 'CONFIRMED'],
    notFoundStatus: 404,
    locationType: 'online',
    timezone: 'America/New_York',
    durationMinutes: 60,
    availableField: 'available',
  },
  rateLimit: {
    limitHeader: 'X-RateLimit-Limit',
    remainingHeader: 'X-RateLimit-Remaining',
    resetHeader: 'X-RateLimit-Reset',
    retryAfterHeader: 'Retry-After',
    exceededCode: 'RATE_LIMIT_EXCEEDED',
    clientIpHeaders: ['CF-Connecting-IP', 'X-Forwarded-For'],
  },
  metrics: {
    httpDuration: 'instainstru_http_request_duration_seconds',
    httpRequests: 'instainstru_http_requests_total',
    httpInProgress: 'instainstru_http_requests_in_progress',
    poolSize: 'instainstru_db_pool_size',
    poolCheckedOut: 'instainstru_db_pool_checked_out',
    poolCheckedIn: 'instainstru_db_pool_checked_in',
    poolOverflow: 'instainstru_db_pool_overflow',
    poolUsagePercent: 'instainstru_db_pool_usage_percent',
    rateLimitDecisions: 'instainstru_rl_decisions_total',
    loginAttempts: 'instainstru_login_attempts_total',
    searchLatencyMs: 'instainstru_nl_search_latency_ms',
    searchZeroResults: 'instainstru_nl_search_zero_results_total',
    bookingLockOperations: 'instainstru_booking_lock_operations_total',
  },
  database: {
    /** Rows returned are violations: two active bookings of one instructor that overlap (PENDING included). */
    bookingOverlapQuery: `SELECT a.instructor_id::text AS instructor_id, to_char(a.booking_date, 'YYYY-MM-DD') AS day,
    a.id::text AS a_id, a.start_time::text AS a_start, a.end_time::text AS a_end, a.status::text AS a_status, a.student_id::text AS a_student,
    b.id::text AS b_id, b.start_time::text AS b_start, b.end_time::text AS b_end, b.status::text AS b_status, b.student_id::text AS b_student
  FROM bookings a JOIN bookings b
    ON a.instructor_id = b.instructor_id AND a.booking_date = b.booking_date AND a.id < b.id
   AND a.start_time < b.end_time AND b.start_time < a.end_time
 WHERE a.status::text IN ('PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW') AND b.status::text IN ('PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW')
 ORDER BY a.instructor_id, a.booking_date, a.start_time, a.id, b.id
 LIMIT 200`,
    /** Given $1 = an array of booking ids: the ones still active (id, status). */
    activeBookingsByIdQuery: `SELECT id::text AS id, status::text AS status FROM bookings WHERE id::text = ANY($1::text[]) AND status::text IN ('PENDING', 'CONFIRMED')`,
    /** Given $1 = an array of booking ids: removes them (only on the sandbox, through its admin URL). */
    deleteBookingsByIdQuery: 'DELETE FROM bookings WHERE id::text = ANY($1::text[])',
    /**
     * The role the API connects as: the connection-loss scenario terminates its sessions (admin URL). The spec
     * names neither role nor application name, so both default to empty: then every client session of the admin
     * URL's database is terminated except preflight's own (application_name `preflight-...`).
     */
    appRole: '',
    /** The application_name of the API's sessions: terminated too (either match is enough). */
    appApplicationName: '',
  },
  /** An explicit bookable slot, for when discovery through search and availability cannot work. */
  slot: {
    instructorId: '',
    instructorServiceId: '',
    date: '',
    startTime: '',
  },
  /** Search queries that find bookable services when discovering a slot (best match of each). */
  discoveryQueries: ['piano', 'guitar', 'math tutor', 'spanish', 'yoga', 'tennis'],
  /** Browser origins of the platform's own frontends that CORS may trust (the target's `origin` is trusted too). */
  cors: {
    trustedOrigins: ['https://beta.instainstru.com', 'https://app.instainstru.com'],
  },
};

export type PlatformProfile = typeof defaultPlatform;
export type PlatformRouteName = keyof PlatformProfile['routes'];

/** A route's path with its `{placeholders}` filled (values URI-encoded). */
export function fillRoutePath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${path} needs {${name}}`);
    return encodeURIComponent(value);
  });
}

/** Deep merge of a partial override onto a profile: objects merge key by key, arrays and scalars replace. */
export function mergePlatform(base: PlatformProfile, override: unknown): PlatformProfile {
  return mergeValue(base, override) as PlatformProfile;
}

function mergeValue(base: unknown, override: unknown): unknown {
  if (override === undefined || override === null) return base;
  if (isPlainObject(base) && isPlainObject(override)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) out[key] = mergeValue(base[key], value);
    return out;
  }
  return override;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
