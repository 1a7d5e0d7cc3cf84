// What every route of the spec platform sees: resolved settings, the database pool, the limiter and the metrics.
import type { Pool } from 'pg';
import type { RequestContext } from './http-kit.js';
import type { Metrics } from './metrics.js';
import type { SlidingWindowLimiter } from './rate-limit.js';

export type Environment = 'development' | 'preview' | 'production';

export interface RateLimits {
  globalPerIp: number;
  loginPerIp: number;
  loginPerEmail: number;
  bookingsPerUser: number;
  checkAvailabilityPerUser: number;
}

export interface PlatformSettings {
  environment: Environment;
  /** Origin/Referer check on unsafe methods (always on in preview and production). */
  csrf: boolean;
  /** Drops the advisory lock from POST /bookings: concurrent PENDING bookings may overlap. */
  weakDoubleBooking: boolean;
  frontendOrigin: string;
  /** Origins CORS answers with credentials. */
  corsOrigins: string[];
  bypassToken: string;
  jwtSecret: string;
  jwtIssuer: string;
  jwtAudience: string;
  limits: RateLimits;
  version: string;
  gitSha: string;
}

export interface AppContext {
  settings: PlatformSettings;
  pool: Pool;
  limiter: SlidingWindowLimiter;
  metrics: Metrics;
}

export type RouteHandler = (ctx: RequestContext, app: AppContext) => Promise<void>;

/** aud/iss and Secure cookies apply outside development, as on the platform. */
export const isDeployed = (settings: PlatformSettings): boolean => settings.environment !== 'development';
