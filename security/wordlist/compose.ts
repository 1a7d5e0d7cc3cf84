/**
 * Composes the bundled JWT secret wordlist (jwt-secrets.txt) from common words, framework defaults and
 * the usual suffixes people add. Regenerate with `node --import tsx security/wordlist/compose.ts > security/wordlist/jwt-secrets.txt`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const words = [
  'secret',
  'changeme',
  'change-me',
  'change_me',
  'changeit',
  'password',
  'passw0rd',
  'p@ssw0rd',
  'admin',
  'root',
  'test',
  'testing',
  'dev',
  'development',
  'local',
  'default',
  'example',
  'sample',
  'demo',
  'key',
  'jwt',
  'jwtsecret',
  'jwt-secret',
  'jwt_secret',
  'jwtkey',
  'jwt-key',
  'jwt_key',
  'token',
  'tokensecret',
  'token-secret',
  'secretkey',
  'secret-key',
  'secret_key',
  'mysecret',
  'my-secret',
  'my_secret',
  'mysecretkey',
  'my-secret-key',
  'my_secret_key',
  'supersecret',
  'super-secret',
  'super_secret',
  'supersecretkey',
  'super-secret-key',
  'topsecret',
  'top-secret',
  'your-secret-key',
  'your_secret_key',
  'yoursecretkey',
  'your-256-bit-secret',
  'your-secret-key-here',
  'replace-me',
  'replaceme',
  'insecure',
  'not-a-secret',
  'notsecret',
  'unsafe',
  'fastapi',
  'starlette',
  'flask',
  'django',
  'express',
  'nextauth',
  'app',
  'api',
  'apikey',
  'api-key',
  'auth',
  'authsecret',
  'auth-secret',
  'access',
  'accesstoken',
  'signing',
  'signingkey',
  'hmac',
  'hmacsecret',
  'private',
  'privatekey',
  'session',
  'sessionsecret',
  'cookie',
  'cookiesecret',
  'qwerty',
  'letmein',
  'welcome',
  'monkey',
  'dragon',
  'master',
  'shadow',
  'sunshine',
  'trustno1',
  'iloveyou',
  'abc123',
  'instainstru',
];

const bare = [
  '',
  ' ',
  '0',
  '1',
  '12345',
  '123456',
  '1234567',
  '12345678',
  '123456789',
  '1234567890',
  'a',
  'aaaaaaaa',
  'x',
  'xxx',
  'null',
  'none',
  'undefined',
  'true',
  'false',
  'SECRET_KEY',
  'JWT_SECRET',
  'secret123',
  'secret1234',
  'shhhhh',
  'shhhhhhared-secret',
  'keyboard cat',
  'gfg_jwt_secret_key',
  'hard!to-guess_secret',
  'this-is-a-secret',
  'thisisasecret',
  'ThisIsMySecret',
  'django-insecure-change-me',
  'supersecretjwt',
  'development-secret',
  'dev-secret-key',
  'test-secret-key',
  'secret-key-for-dev',
  '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7',
];

const suffixes = [
  '',
  '1',
  '12',
  '123',
  '1234',
  '!',
  '01',
  '2023',
  '2024',
  '2025',
  '2026',
  '_dev',
  '-dev',
  '_prod',
  '-prod',
];

/** Every secret once, in a stable order. */
export function composeSecrets(): string[] {
  const out = new Set<string>();
  for (const secret of bare) out.add(secret);
  for (const word of words) {
    for (const suffix of suffixes) {
      out.add(`${word}${suffix}`);
      out.add(`${word.toUpperCase()}${suffix}`);
      out.add(`${word[0]!.toUpperCase()}${word.slice(1)}${suffix}`);
    }
  }
  return [...out].filter((s) => s.length > 0 && !s.includes('\n'));
}

/** Reads the bundled list (one secret per line, blank lines ignored). */
export function readBundledSecrets(
  path = fileURLToPath(new URL('./jwt-secrets.txt', import.meta.url)),
): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${composeSecrets().join('\n')}\n`);
}
