#!/usr/bin/env node
// Fake ProConnect: a real OpenID Connect provider (panva's `oidc-provider`)
// for the Boussole test suite. It only ever runs in tests, on 127.0.0.1.
//
//   node tests/oidc/provider.mjs
//
// Environment:
//   OIDC_PORT=<n>          port to listen on (default 0: any free port)
//   OIDC_VERBOSE=1         log requests and oidc-provider notices to stderr
//   OIDC_IGNORE_STDIN=1    do not exit when stdin closes (for manual runs
//                          with `&` or `</dev/null`)
//
// Once listening, prints exactly one line of JSON to stdout:
//   {"issuer":"http://127.0.0.1:<port>"}
// Everything else goes to stderr. Exits when stdin closes (the Rust harness
// spawns it with a piped stdin) and on SIGTERM / SIGINT.
//
// Configured like ProConnect (endpoints under /api/v2/, read them from
// discovery at <issuer>/.well-known/openid-configuration):
//   - authorization code flow only, PKCE required (S256 only), state/nonce;
//     the redirect to the client also carries iss (RFC 9207);
//   - scopes: openid email given_name usual_name uid siret idp_id
//     (email -> email + email_verified, every other scope -> same-name claim);
//     those claims are in the (signed) userinfo response; the id_token only
//     carries sub, acr, amr, auth_time, nonce, iss, aud, iat, exp;
//   - id_token RS256 by default, ES256 if the client is registered so;
//   - acr: the first supported value of the request's acr_values (eidas1,
//     eidas2, eidas3), else eidas1; amr ["pwd"];
//   - userinfo answers application/jwt (the client's
//     userinfo_signed_response_alg, RS256 by default);
//   - RP-initiated logout at /api/v2/session/end (GET, or POST form) with
//     id_token_hint / state / post_logout_redirect_uri: no confirmation page,
//     it answers 303 to post_logout_redirect_uri?state=... (this script drives
//     oidc-provider's own confirmation step server-side) and ends the
//     provider session when the _session cookie is sent;
//   - token endpoint client authentication: clients are registered with
//     token_endpoint_auth_method client_secret_post (as at ProConnect), and
//     oidc-provider accepts client_secret_basic for such a client too (both
//     are secret-based), so an RP may use either;
//   - reusing an authorization code answers invalid_grant and revokes the
//     tokens issued with it.
//
// Login (no JavaScript): /api/v2/authorize answers 303 to
// <issuer>/interaction/<uid>, a page with one
//   <form method="post" action="/interaction/<uid>/login">
// holding one text input name="email" (label "Adresse électronique"). Posting
// a known email logs that account in with every requested scope granted (no
// consent page) and answers 303 to /api/v2/authorize/<uid>, which answers 303
// to the client's redirect_uri?code=...&state=...&iss=... An unknown email
// shows the form again, status 400, with an error message. The provider
// keeps an SSO session: a later authorization request with the same cookies
// goes straight back to the client (send prompt=login to get the form).
// Cookies the HTTP client must keep (all httpOnly, SameSite=Lax, not Secure,
// each with its signature cookie "<name>.sig" that must be sent too):
//   _interaction         path /interaction/<uid>, set by /api/v2/authorize,
//                        needed by GET /interaction/<uid> and POST .../login;
//   _interaction_resume  path /api/v2/authorize/<uid>, set by
//                        /api/v2/authorize, needed by the resume step;
//   _session             path /, set by the resume step: the SSO session.
//
// Test control API (JSON in, JSON out, no auth; these keep answering while
// the provider is "down"):
//   POST /__test/clients  {client_id, client_secret, redirect_uris,
//                          post_logout_redirect_uris?,
//                          id_token_signed_response_alg?: "RS256"|"ES256",
//                          userinfo_signed_response_alg?: "RS256"|"ES256"}
//                         registers or replaces a client; returns its metadata.
//   POST /__test/accounts {email, sub?, email_verified?, given_name?,
//                          usual_name?, uid?, siret?, idp_id?}
//                         adds or replaces an account (email is matched
//                         case-insensitively; sub defaults to
//                         sha256("boussole-test:" + email) in hex); returns it.
//   GET  /__test/accounts the accounts.
//   POST /__test/tamper   {next: mode|null}: the next token response that
//                         carries an id_token gets an altered one; modes:
//                         wrong_aud (aud "un-autre-client"), wrong_iss
//                         (iss issuer + "/autre"), expired (exp now - 1 h,
//                         iat exp - lifetime), wrong_nonce, alg_none
//                         ({"alg":"none","typ":"JWT"}, empty signature),
//                         bad_signature (one signature byte flipped),
//                         unknown_key (signed by a fresh key whose kid is not
//                         in the JWKS). Others re-signed with the same key.
//   POST /__test/rotate   {keep_old?: true}: new RSA signing key, used from
//                         now on for id_tokens and userinfo; returns
//                         {kid, kids} (kids: JWKS order: new RSA key, EC key,
//                         older RSA keys, dropped if keep_old is false).
//   POST /__test/down     {seconds: n} | {down: true|false}: while down every
//                         non-/__test/ request answers 503.
//   GET  /__test/log      requests, oldest first (last 500): {at, method,
//                         path, query: [keys], status, down?, authorization
//                         (token endpoint: "Basic" or null), params (end
//                         session: every received parameter, query and form)}.
//   DELETE /__test/log    clears it.
//   POST /__test/reset    clears the log, the pending tamper and down state.

import crypto from 'node:crypto';
import http from 'node:http';
import { format } from 'node:util';

import * as jose from 'jose';

const VERBOSE = Boolean(process.env.OIDC_VERBOSE);
const debug = (...args) => {
  if (VERBOSE) process.stderr.write(`[oidc] ${format(...args)}\n`);
};

// oidc-provider prints notices with console.info (stdout) and warnings with
// console.warn (e.g. "Unsupported runtime" on Node 20): stdout is reserved to
// the issuer line, and the test logs should stay quiet.
console.log = debug;
console.info = debug;
console.warn = debug;

const { default: Provider, errors: oidcErrors } = await import('oidc-provider');

const SCOPES = ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret', 'idp_id'];
const ACR_VALUES = ['eidas1', 'eidas2', 'eidas3'];
const DEFAULT_ACR = 'eidas1';
const SIGNING_ALGS = ['RS256', 'ES256'];
const TAMPER_MODES = new Set([
  'wrong_aud', 'wrong_iss', 'expired', 'wrong_nonce', 'alg_none', 'bad_signature', 'unknown_key',
]);
const LOG_LIMIT = 500;
// Endpoint paths as at ProConnect (the RP should read them from discovery).
const ROUTES = {
  authorization: '/api/v2/authorize',
  token: '/api/v2/token',
  userinfo: '/api/v2/userinfo',
  jwks: '/api/v2/jwks',
  end_session: '/api/v2/session/end',
};

// ---------------------------------------------------------------- state ----

let issuer; // set once listening
let provider; // current Provider instance (rebuilt on key rotation)
let providerCallback;
let tamperNext = null;
let downUntil = 0;
let requestLog = [];
const cookieKeys = [crypto.randomBytes(32).toString('base64url')];

// Signing keys (private JWKs). RSA keys newest first; the first RSA key and
// the EC key are the ones oidc-provider signs with.
const rsaKeys = [];
let ecKey;
const privateKeysByKid = new Map();

async function newPrivateJwk(alg, kidPrefix) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = `${kidPrefix}-${crypto.randomBytes(6).toString('base64url')}`;
  jwk.use = 'sig';
  jwk.alg = alg;
  return jwk;
}

// ------------------------------------------------------------- accounts ----

const accountsByEmail = new Map();
const accountsBySub = new Map();

function normalizeEmail(email) {
  return String(email ?? '').trim().toLowerCase();
}

function upsertAccount(input) {
  const email = normalizeEmail(input.email);
  if (!email) throw new TypeError('email is required');
  const sub = String(input.sub ?? crypto.createHash('sha256').update(`boussole-test:${email}`).digest('hex'));
  const account = {
    sub,
    email,
    email_verified: input.email_verified ?? true,
    given_name: input.given_name ?? 'Prénom',
    usual_name: input.usual_name ?? 'Nom',
    uid: input.uid ?? `uid-${sub.slice(0, 12)}`,
    siret: input.siret ?? '11000201100044',
    idp_id: input.idp_id ?? 'fia1v2',
  };
  const previous = accountsByEmail.get(email);
  if (previous) accountsBySub.delete(previous.sub);
  const clash = accountsBySub.get(sub);
  if (clash && clash.email !== email) accountsByEmail.delete(clash.email);
  accountsByEmail.set(email, account);
  accountsBySub.set(account.sub, account);
  return account;
}

upsertAccount({
  email: 'agent@travail.gouv.fr',
  given_name: 'Camille',
  usual_name: 'Agent',
  uid: 'camille.agent',
  siret: '11000201100044',
  idp_id: 'fia1v2',
});

async function findAccount(_ctx, sub) {
  const account = accountsBySub.get(sub);
  if (!account) return undefined;
  return {
    accountId: sub,
    async claims() {
      return { ...account };
    },
  };
}

// --------------------------------------------------- in-memory storage ----
// Shared by every Provider instance, so that rebuilding the provider (key
// rotation) keeps codes, sessions, grants and interactions valid. Clients
// registered through /__test/clients live here too (model "Client").

const storage = new Map();
const grantIndex = new Map();
const uidIndex = new Map();
const userCodeIndex = new Map();
const epoch = () => Math.floor(Date.now() / 1000);

class MemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    storage.set(key, {
      payload: structuredClone(payload),
      expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
    });
    if (payload.grantId) {
      if (!grantIndex.has(payload.grantId)) grantIndex.set(payload.grantId, new Set());
      grantIndex.get(payload.grantId).add(key);
    }
    if (payload.uid) uidIndex.set(payload.uid, id);
    if (payload.userCode) userCodeIndex.set(payload.userCode, id);
  }

  async find(id) {
    const key = this.key(id);
    const entry = storage.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      storage.delete(key);
      return undefined;
    }
    return structuredClone(entry.payload);
  }

  async findByUid(uid) {
    const id = uidIndex.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = userCodeIndex.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const entry = storage.get(this.key(id));
    if (entry) entry.payload.consumed = epoch();
  }

  async destroy(id) {
    storage.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of grantIndex.get(grantId) ?? []) storage.delete(key);
    grantIndex.delete(grantId);
  }
}

function registerClient(input) {
  const clientId = input.client_id;
  if (typeof clientId !== 'string' || !clientId) throw new TypeError('client_id is required');
  if (typeof input.client_secret !== 'string' || !input.client_secret) {
    throw new TypeError('client_secret is required');
  }
  if (!Array.isArray(input.redirect_uris) || input.redirect_uris.length === 0) {
    throw new TypeError('redirect_uris must be a non-empty array');
  }
  const idAlg = input.id_token_signed_response_alg ?? 'RS256';
  const uiAlg = input.userinfo_signed_response_alg ?? 'RS256';
  for (const alg of [idAlg, uiAlg]) {
    if (!SIGNING_ALGS.includes(alg)) throw new TypeError(`unsupported alg ${alg}`);
  }
  const metadata = {
    client_id: clientId,
    client_secret: input.client_secret,
    redirect_uris: input.redirect_uris,
    post_logout_redirect_uris: input.post_logout_redirect_uris ?? [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: idAlg,
    userinfo_signed_response_alg: uiAlg,
    application_type: 'web',
  };
  storage.set(`Client:${clientId}`, { payload: metadata, expiresAt: undefined });
  return metadata;
}

// ------------------------------------------------------------ provider ----

function htmlEscape(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>${htmlEscape(title)}</title></head>
<body>
<h1>${htmlEscape(title)}</h1>
${body}
</body>
</html>
`;
}

async function loadExistingGrant(ctx) {
  const { client, session } = ctx.oidc;
  if (!session?.accountId) return undefined;
  const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
  let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== session.accountId || grant.clientId !== client.clientId) {
    grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  }
  // Grant every requested scope: no consent page.
  const scopes = [...(ctx.oidc.requestParamOIDCScopes ?? [])].filter((s) => SCOPES.includes(s));
  grant.addOIDCScope(['openid', ...scopes].join(' '));
  await grant.save();
  return grant;
}

function buildProvider() {
  const jwks = { keys: [rsaKeys[0], ecKey, ...rsaKeys.slice(1)] };
  // acr/amr/auth_time are listed under "openid" so that they always end up in
  // the id_token (they are not account claims, so never in userinfo).
  const claims = {
    acr: null, amr: null, auth_time: null, sid: null, iss: null,
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'],
  };
  for (const scope of SCOPES) if (!(scope in claims)) claims[scope] = [scope];

  const p = new Provider(issuer, {
    adapter: MemoryAdapter,
    clients: [],
    findAccount,
    jwks,
    cookies: { keys: cookieKeys },
    claims,
    scopes: SCOPES,
    responseTypes: ['code'],
    pkce: { required: () => true },
    acrValues: ACR_VALUES,
    clientAuthMethods: ['client_secret_post', 'client_secret_basic'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
    },
    enabledJWA: {
      idTokenSigningAlgValues: SIGNING_ALGS,
      userinfoSigningAlgValues: SIGNING_ALGS,
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: false },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
      revocation: { enabled: false },
      introspection: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          // Only reached by a client that does not go through the server-side
          // confirmation below (see handleEndSession).
          ctx.body = page('Déconnexion', `${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Se déconnecter</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Déconnecté', '<p>Vous êtes déconnecté.</p>');
        },
      },
    },
    routes: ROUTES,
    interactions: {
      url: (_ctx, interaction) => `${issuer}/interaction/${interaction.uid}`,
    },
    loadExistingGrant,
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Erreur', Object.entries(out)
        .map(([k, v]) => `<p><strong>${htmlEscape(k)}</strong>: <code>${htmlEscape(v)}</code></p>`)
        .join('\n'));
    },
    ttl: {
      AuthorizationCode: 600,
      AccessToken: 3600,
      IdToken: 3600,
      Interaction: 3600,
      Session: 24 * 3600,
      Grant: 24 * 3600,
    },
  });

  // Tampered id_token in the next token response.
  p.use(async (ctx, next) => {
    await next();
    if (tamperNext && ctx.method === 'POST' && ctx.path === ROUTES.token
        && ctx.status === 200 && ctx.body && typeof ctx.body.id_token === 'string') {
      const mode = tamperNext;
      tamperNext = null;
      ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, mode) };
      debug('tampered id_token:', mode);
    }
  });

  p.on('server_error', (_ctx, err) => process.stderr.write(`[oidc] server_error: ${err.stack}\n`));
  if (VERBOSE) {
    for (const event of ['authorization.error', 'grant.error', 'userinfo.error', 'end_session.error']) {
      p.on(event, (_ctx, err) => debug(event, err.message, err.error_description ?? ''));
    }
  }
  return p;
}

function installProvider() {
  provider = buildProvider();
  providerCallback = provider.callback();
}

// -------------------------------------------------------------- tamper ----

async function sign(payload, header, privateJwk) {
  const key = await jose.importJWK(privateJwk, header.alg);
  return new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
}

async function tamper(idToken, mode) {
  const header = jose.decodeProtectedHeader(idToken);
  const payload = jose.decodeJwt(idToken);
  const [, payloadB64, signatureB64] = idToken.split('.');
  const ownKey = privateKeysByKid.get(header.kid);
  const now = epoch();
  switch (mode) {
    case 'wrong_aud':
      return sign({ ...payload, aud: 'un-autre-client' }, header, ownKey);
    case 'wrong_iss':
      return sign({ ...payload, iss: `${issuer}/autre` }, header, ownKey);
    case 'expired': {
      const lifetime = (payload.exp ?? now) - (payload.iat ?? now) || 3600;
      const exp = now - 3600;
      const changed = { ...payload, exp, iat: exp - lifetime };
      if (changed.auth_time !== undefined) changed.auth_time = Math.min(changed.auth_time, changed.iat);
      return sign(changed, header, ownKey);
    }
    case 'wrong_nonce':
      return sign({ ...payload, nonce: `autre-${crypto.randomBytes(8).toString('base64url')}` }, header, ownKey);
    case 'alg_none':
      return `${jose.base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payloadB64}.`;
    case 'bad_signature': {
      const bytes = Buffer.from(signatureB64, 'base64url');
      bytes[Math.floor(bytes.length / 2)] ^= 0x5a;
      return `${idToken.split('.').slice(0, 2).join('.')}.${bytes.toString('base64url')}`;
    }
    case 'unknown_key': {
      const alg = header.alg === 'ES256' ? 'ES256' : 'RS256';
      const stranger = await newPrivateJwk(alg, alg === 'ES256' ? 'ec-inconnue' : 'rsa-inconnue');
      return sign(payload, { ...header, alg, kid: stranger.kid }, stranger);
    }
    default:
      throw new Error(`unknown tamper mode ${mode}`);
  }
}

// ---------------------------------------------------------------- HTTP ----

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req) {
  const text = await readBody(req);
  if (!text.trim()) return {};
  return JSON.parse(text);
}

function send(res, status, body, headers = {}) {
  const isString = typeof body === 'string';
  const data = isString ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': isString ? 'text/html; charset=utf-8' : 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(data),
    ...headers,
  });
  res.end(data);
}

function logRequest(entry) {
  const stored = { at: new Date().toISOString(), ...entry };
  requestLog.push(stored);
  if (requestLog.length > LOG_LIMIT) requestLog = requestLog.slice(-LOG_LIMIT);
  return stored;
}

async function handleTest(req, res, url) {
  const route = `${req.method} ${url.pathname}`;
  try {
    switch (route) {
      case 'POST /__test/clients':
        return send(res, 200, registerClient(await readJson(req)));
      case 'POST /__test/accounts':
        return send(res, 200, upsertAccount(await readJson(req)));
      case 'GET /__test/accounts':
        return send(res, 200, [...accountsByEmail.values()]);
      case 'POST /__test/tamper': {
        const { next } = await readJson(req);
        if (next !== null && next !== undefined && !TAMPER_MODES.has(next)) {
          return send(res, 400, { error: `unknown mode ${next}`, modes: [...TAMPER_MODES] });
        }
        tamperNext = next ?? null;
        return send(res, 200, { next: tamperNext });
      }
      case 'POST /__test/rotate': {
        const { keep_old: keepOld = true } = await readJson(req);
        const jwk = await newPrivateJwk('RS256', 'rsa');
        privateKeysByKid.set(jwk.kid, jwk);
        if (!keepOld) rsaKeys.length = 0;
        rsaKeys.unshift(jwk);
        installProvider();
        return send(res, 200, {
          kid: jwk.kid,
          kids: [rsaKeys[0], ecKey, ...rsaKeys.slice(1)].map((k) => k.kid),
        });
      }
      case 'POST /__test/down': {
        const body = await readJson(req);
        if (typeof body.seconds === 'number') downUntil = Date.now() + body.seconds * 1000;
        else if (body.down === true) downUntil = Infinity;
        else if (body.down === false) downUntil = 0;
        else return send(res, 400, { error: 'expected {seconds: n} or {down: bool}' });
        return send(res, 200, { down: Date.now() < downUntil });
      }
      case 'GET /__test/log':
        return send(res, 200, requestLog);
      case 'DELETE /__test/log':
        requestLog = [];
        return send(res, 200, []);
      case 'POST /__test/reset':
        requestLog = [];
        tamperNext = null;
        downUntil = 0;
        return send(res, 200, { ok: true });
      default:
        return send(res, 404, { error: `no test route ${route}` });
    }
  } catch (err) {
    return send(res, 400, { error: err.message });
  }
}

function loginPage(uid, { error, email = '' } = {}) {
  return page('Connexion ProConnect (test)', `${error ? `<p role="alert">${htmlEscape(error)}</p>\n` : ''}<form method="post" action="/interaction/${htmlEscape(uid)}/login">
<label for="email">Adresse électronique</label>
<input type="text" id="email" name="email" value="${htmlEscape(email)}">
<button type="submit">Se connecter</button>
</form>`);
}

async function interactionFor(req, res, uid) {
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return { problem: 'interaction cookie does not match the URL' };
    return { details };
  } catch (err) {
    if (err instanceof oidcErrors.SessionNotFound) return { problem: err.error_description ?? err.message };
    throw err;
  }
}

function chooseAcr(details) {
  const requested = String(details.params.acr_values ?? '').split(' ').filter(Boolean);
  return requested.find((acr) => ACR_VALUES.includes(acr)) ?? DEFAULT_ACR;
}

async function handleInteraction(req, res, uid, action) {
  const { details, problem } = await interactionFor(req, res, uid);
  if (problem) return send(res, 400, page('Erreur', `<p>${htmlEscape(problem)}</p>`));

  if (details.prompt.name !== 'login') {
    // loadExistingGrant already grants every requested scope, so this is not
    // expected; grant whatever is reported missing and carry on.
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (action === undefined && req.method === 'GET') return send(res, 200, loginPage(uid));
  if (action === 'login' && req.method === 'POST') {
    const email = new URLSearchParams(await readBody(req)).get('email') ?? '';
    const account = accountsByEmail.get(normalizeEmail(email));
    if (!account) {
      return send(res, 400, loginPage(uid, { error: `Aucun compte pour « ${email} ».`, email }));
    }
    return provider.interactionFinished(req, res, {
      login: { accountId: account.sub, acr: chooseAcr(details), amr: ['pwd'], remember: true },
    }, { mergeWithLastSubmission: false });
  }
  return send(res, 405, page('Erreur', '<p>Méthode non permise.</p>'));
}

// Cookie jar helpers for the server-side logout confirmation.
function parseCookieHeader(header) {
  const jar = new Map();
  for (const part of String(header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) jar.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return jar;
}

function applySetCookies(jar, setCookies) {
  for (const line of setCookies) {
    const [pair, ...attrs] = line.split(';');
    const i = pair.indexOf('=');
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    const expired = attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) <= Date.now());
    if (!value || expired) jar.delete(name);
    else jar.set(name, value);
  }
}

const jarHeader = (jar) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

// RP-initiated logout without confirmation page: forward the request to
// oidc-provider, take the xsrf token out of its confirmation form and post it
// back with logout=yes, then relay the final redirect (and every cookie).
async function handleEndSession(req, res, url, body) {
  const internal = { 'x-oidc-test-internal': '1' };
  const jar = parseCookieHeader(req.headers.cookie);
  // oidc-provider only takes POST at end_session with SameSite=None cookies
  // (thus Secure, useless over http): a POST is forwarded as a GET.
  const params = new URLSearchParams(url.search);
  for (const [k, v] of new URLSearchParams(body ?? '')) params.append(k, v);
  const query = params.size ? `?${params}` : '';
  const first = await fetch(`${issuer}${url.pathname}${query}`, {
    redirect: 'manual',
    headers: { ...internal, cookie: jarHeader(jar) },
  });
  const firstCookies = first.headers.getSetCookie();
  const firstBody = await first.text();
  const xsrf = first.status === 200 && /name="xsrf" value="([^"]+)"/.exec(firstBody)?.[1];
  let final = first;
  let finalBody = firstBody;
  let cookies = firstCookies;
  if (xsrf) {
    applySetCookies(jar, firstCookies);
    final = await fetch(`${issuer}${ROUTES.end_session}/confirm`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...internal, cookie: jarHeader(jar), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    });
    finalBody = await final.text();
    // Last Set-Cookie per cookie name wins (the session cookie is first
    // refreshed by the logout request, then cleared by the confirmation).
    const byName = new Map();
    for (const line of [...firstCookies, ...final.headers.getSetCookie()]) {
      byName.set(line.slice(0, line.indexOf('=')), line);
    }
    cookies = [...byName.values()];
  }
  const headers = {};
  for (const [name, value] of final.headers) {
    if (!['set-cookie', 'content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) {
      headers[name] = value;
    }
  }
  if (cookies.length) headers['set-cookie'] = cookies;
  headers['content-length'] = Buffer.byteLength(finalBody);
  res.writeHead(final.status, headers);
  res.end(finalBody);
}

async function handle(req, res) {
  const url = new URL(req.url, issuer);
  if (url.pathname.startsWith('/__test/')) return handleTest(req, res, url);

  const internal = req.headers['x-oidc-test-internal'] === '1';
  const isEndSession = url.pathname === ROUTES.end_session && !internal;
  let body;
  if (isEndSession && req.method === 'POST') body = await readBody(req);

  if (!internal) {
    const entry = { method: req.method, path: url.pathname, query: [...new Set(url.searchParams.keys())] };
    if (url.pathname === ROUTES.token && req.method === 'POST') {
      entry.authorization = req.headers.authorization ? req.headers.authorization.split(' ')[0] : null;
    }
    if (isEndSession) {
      entry.params = Object.fromEntries(url.searchParams);
      if (body) Object.assign(entry.params, Object.fromEntries(new URLSearchParams(body)));
    }
    if (Date.now() < downUntil) entry.down = true;
    const stored = logRequest(entry);
    res.on('finish', () => { stored.status = res.statusCode; });
    debug(req.method, url.pathname + url.search);
  }

  if (Date.now() < downUntil) {
    return send(res, 503, { error: 'temporarily_unavailable', error_description: 'provider down (test)' });
  }

  const interaction = /^\/interaction\/([^/]+)(?:\/(login))?$/.exec(url.pathname);
  if (interaction) return handleInteraction(req, res, interaction[1], interaction[2]);
  if (isEndSession) return handleEndSession(req, res, url, body);
  return providerCallback(req, res);
}

// --------------------------------------------------------------- start ----

const [firstRsa, firstEc] = await Promise.all([
  newPrivateJwk('RS256', 'rsa'),
  newPrivateJwk('ES256', 'ec'),
]);
rsaKeys.push(firstRsa);
ecKey = firstEc;
privateKeysByKid.set(firstRsa.kid, firstRsa);
privateKeysByKid.set(firstEc.kid, firstEc);

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    process.stderr.write(`[oidc] ${req.method} ${req.url}: ${err.stack}\n`);
    if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: err.message });
    else res.destroy();
  });
});
server.keepAliveTimeout = 1000;

const port = Number(process.env.OIDC_PORT ?? 0);
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
issuer = `http://127.0.0.1:${server.address().port}`;
installProvider();

function shutdown() {
  server.closeAllConnections?.();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (!process.env.OIDC_IGNORE_STDIN) {
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
