// The platform profile the scenario runs against: preflight passes the target's resolved profile in
// __ENV.PLATFORM_PROFILE; a plain k6 run without it uses the spec's defaults.
import {
  defaultPlatform,
  fillRoutePath,
  mergePlatform,
  type PlatformProfile,
} from '../../../src/core/platform/defaults.js';

export type { PlatformProfile };

function readProfile(): PlatformProfile {
  const raw = __ENV.PLATFORM_PROFILE;
  if (!raw) return defaultPlatform;
  try {
    return mergePlatform(defaultPlatform, JSON.parse(raw));
  } catch {
    throw new Error('PLATFORM_PROFILE: expected the JSON of a platform profile');
  }
}

export const platform: PlatformProfile = readProfile();

/** The route's path (placeholders filled) under the API base. */
export function routePath(
  name: keyof PlatformProfile['routes'],
  params: Record<string, string> = {},
): string {
  return fillRoutePath(platform.routes[name].path, params);
}
