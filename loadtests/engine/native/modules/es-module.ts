/** The shape a bundled script expects of an imported module: its members, and the same object as `default`. */
export function esModule<T extends Record<string, unknown>>(
  members: T,
): T & { default: T; __esModule: true } {
  const module = members as T & { default: T; __esModule: true };
  module.default = members;
  module.__esModule = true;
  return module;
}
