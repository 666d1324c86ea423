// SPDX-License-Identifier: BSD-3-Clause
// A real OpenID provider for pam_jwt's tests: oidc-provider (npm) over HTTPS
// on 127.0.0.1, configured from a JSON file (README.md in this directory).
//
//   node provider.mjs serve --dir DIR [--config FILE] [--port N]
//   node provider.mjs approve|deny --issuer URL --ca FILE --user-code CODE
//                                  [--login USER --password PW]
//
// serve: TLS key and certificate from DIR/tls.key, DIR/tls.pem (tests make
// them with the openssl CLI: oidc.sh); writes DIR/port once listening,
// DIR/requests.log (one line a request), DIR/keys.json (the private JWKs,
// mode 0600, so a test can forge or verify).  SIGHUP or POST /_harness/reload
// rereads the configuration; POST /_harness/rotate?alg=ES256 adds a new
// signing key for that alg (published at once, used from now on), POST
// /_harness/retire?kid=K drops one.  Tokens, grants and sessions survive
// both: oidc-provider's memory adapter keeps them per process.
//
// approve / deny: a person at a browser, through the provider's own pages:
// the verification page with the user code, its confirmation, the login form
// and the consent form (Allow, or Deny for deny).  Prints the title of the
// last page and exits 0 when the flow ended where it should.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import * as querystring from 'node:querystring';
import * as jose from 'jose';

// Loaded by serve alone: approve and deny need none of it.
let Provider, errors;

function args(argv) {
	const out = { _: [] };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a.startsWith('--')) {
			const next = argv[i + 1];
			if (next === undefined || next.startsWith('--')) out[a.slice(2)] = true;
			else out[a.slice(2)] = argv[++i];
		} else out._.push(a);
	}
	return out;
}

function die(msg) {
	process.stderr.write(`provider.mjs: ${msg}\n`);
	process.exit(2);
}

// ---------------------------------------------------------------- defaults

const DEFAULT_KEYS = [
	{ kid: 'rs256-1', alg: 'RS256' },
	{ kid: 'ps256-1', alg: 'PS256' },
	{ kid: 'es256-1', alg: 'ES256' },
	{ kid: 'eddsa-1', alg: 'EdDSA' },
	// RFC 9864 names the same signature "Ed25519" (fully specified).
	{ kid: 'ed25519-1', alg: 'Ed25519' },
	// An encryption key: a verifier must never take it for a signing key.
	{ kid: 'enc-1', alg: 'RSA-OAEP-256', use: 'enc' },
];

const DEFAULTS = {
	keys: DEFAULT_KEYS,
	// The alg of access tokens whose resource does not name one.
	access_token_alg: 'ES256',
	users: {
		alice: { password: 'alice-password', claims: { email: 'alice@example.test' } },
	},
	clients: [
		{
			// A public client for people: the device flow and refresh tokens.
			client_id: 'pam-jwt-cli',
			token_endpoint_auth_method: 'none',
			grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
		},
		{
			// A robot with a secret.
			client_id: 'robot',
			client_secret: 'robot-secret-0123456789',
			grant_types: ['client_credentials'],
		},
	],
	// Resource indicators (RFC 8707): each is the aud of its access tokens.
	resources: {
		'ssh://test': { scope: 'ssh:login' },
	},
	ttl: { AccessToken: 60, ClientCredentials: 60, RefreshToken: 3600, DeviceCode: 600 },
	// RFC 8628: interval goes into the device authorization response (3.2);
	// a client that polls faster gets slow_down and 5 s more (3.5).
	// force_slow_down answers the first N polls of each code with slow_down.
	device: { interval: 1, force_slow_down: 0 },
	scopes: ['openid', 'offline_access', 'email', 'groups'],
};

function loadConfig(file) {
	let cfg = {};
	if (file) {
		try {
			cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
		} catch (e) {
			die(`${file}: ${e.message}`);
		}
	}
	const out = { ...DEFAULTS, ...cfg };
	out.ttl = { ...DEFAULTS.ttl, ...(cfg.ttl || {}) };
	out.device = { ...DEFAULTS.device, ...(cfg.device || {}) };
	return out;
}

// ---------------------------------------------------------------- keys

async function makeKey(spec) {
	const { kid, alg, use = 'sig' } = spec;
	let pair;
	if (alg === 'RS256' || alg === 'PS256' || alg === 'RSA-OAEP-256')
		pair = await jose.generateKeyPair(alg, { modulusLength: 2048, extractable: true });
	else pair = await jose.generateKeyPair(alg, { extractable: true });
	const jwk = await jose.exportJWK(pair.privateKey);
	return { ...jwk, kid, alg, use };
}

// ---------------------------------------------------------------- serve

async function serve(opt) {
	({ default: Provider, errors } = await import('oidc-provider'));
	const dir = opt.dir || die('serve needs --dir');
	const cfgFile = opt.config;
	let cfg = loadConfig(cfgFile);
	const logFile = path.join(dir, 'requests.log');
	const keysFile = path.join(dir, 'keys.json');
	const log = fs.createWriteStream(logFile, { flags: 'a' });

	// Keys: those of an earlier run in this directory (a restart keeps the
	// provider's identity), else made now.
	let keys;
	try {
		keys = JSON.parse(fs.readFileSync(keysFile, 'utf8')).keys;
	} catch {
		keys = [];
		for (const spec of cfg.keys) keys.push(await makeKey(spec));
	}
	const saveKeys = () => {
		fs.writeFileSync(keysFile + '.tmp', JSON.stringify({ keys }, null, 1), { mode: 0o600 });
		fs.renameSync(keysFile + '.tmp', keysFile);
	};
	saveKeys();

	const cookieKeys = [crypto.randomBytes(32).toString('base64url')];
	const polls = new Map(); // device_code -> { last, interval, forced }

	const tls = {
		key: fs.readFileSync(path.join(dir, 'tls.key')),
		cert: fs.readFileSync(path.join(dir, 'tls.pem')),
	};
	let handler = null;
	const server = https.createServer(tls, (req, res) => {
		if (!handler) {
			res.statusCode = 503;
			res.end();
			return;
		}
		handler(req, res);
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(Number(opt.port || cfg.port || 0), '127.0.0.1', resolve);
	});
	const port = server.address().port;
	const issuer = `https://127.0.0.1:${port}`;

	// The signing key for an alg: the newest of that alg (rotate puts new
	// ones first).
	const signer = (alg) => keys.find((k) => k.alg === alg && k.use === 'sig');

	function build() {
		const users = cfg.users || {};
		const resources = cfg.resources || {};
		const provider = new Provider(issuer, {
			jwks: { keys },
			// Neither grant redirects: no redirect_uris, no response_types.
			clients: (cfg.clients || []).map((c) => ({ redirect_uris: [], response_types: [], ...c })),
			cookies: { keys: cookieKeys },
			scopes: cfg.scopes,
			claims: { openid: ['sub'], email: ['email'], groups: ['groups'] },
			features: {
				devInteractions: { enabled: false },
				deviceFlow: { enabled: true },
				clientCredentials: { enabled: true },
				encryption: { enabled: true },
				revocation: { enabled: true },
				introspection: { enabled: true },
				resourceIndicators: {
					enabled: true,
					defaultResource: async (ctx, client, oneOf) => oneOf,
					useGrantedResource: async () => false,
					getResourceServerInfo: async (ctx, indicator) => {
						const r = resources[indicator];
						if (!r) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
						const alg = r.alg || cfg.access_token_alg;
						const key = r.kid ? keys.find((k) => k.kid === r.kid) : signer(alg);
						if (!key) throw new errors.InvalidTarget(`no key for ${alg}`);
						return {
							scope: r.scope || '',
							audience: r.audience || indicator,
							accessTokenTTL: r.ttl || cfg.ttl.AccessToken,
							accessTokenFormat: 'jwt',
							jwt: { sign: { alg: key.alg, kid: key.kid } },
						};
					},
				},
			},
			ttl: {
				AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL || cfg.ttl.AccessToken,
				ClientCredentials: (ctx, token) =>
					token.resourceServer?.accessTokenTTL || cfg.ttl.ClientCredentials,
				RefreshToken: cfg.ttl.RefreshToken,
				DeviceCode: cfg.ttl.DeviceCode,
				IdToken: cfg.ttl.IdToken || 300,
				Interaction: 600,
				Session: 3600,
				Grant: 86400,
			},
			// Access tokens carry the user's claims (groups, email), as
			// identity providers' "mappers" do; a robot gets its client's.
			extraTokenClaims: async (ctx, token) => {
				if (token.accountId) return users[token.accountId]?.claims;
				const c = (cfg.clients || []).find((x) => x.client_id === token.clientId);
				return c?.extra_claims;
			},
			findAccount: async (ctx, id) => {
				if (!users[id]) return undefined;
				return { accountId: id, claims: async () => ({ sub: id, ...users[id].claims }) };
			},
			interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
			extraClientMetadata: { properties: ['extra_claims'] },
			// Refresh tokens rotate on every use, as many providers do: a
			// client that keeps the old one gets invalid_grant.
			rotateRefreshToken: () => true,
			pkce: { required: () => false },
			renderError: async (ctx, out) => {
				ctx.type = 'html';
				ctx.body = `<!DOCTYPE html><title>Error</title><p id="error">${out.error}: ${
					out.error_description || ''
				}</p>`;
			},
		});
		provider.proxy = false;
		provider.use(requestLog);
		provider.use(harness);
		provider.use(deviceInterval);
		provider.use(interactions(provider, users));
		return provider;
	}

	// One line a request: "EPOCH.MS METHOD PATH STATUS key=value..." with
	// grant_type, client_id, resource and the error of a failed response.
	async function requestLog(ctx, next) {
		const t = Date.now();
		try {
			await next();
		} finally {
			if (!ctx.path.startsWith('/_harness/')) {
				const p = ctx.oidc?.params || {};
				const kv = [];
				if (p.grant_type) kv.push(`grant_type=${p.grant_type}`);
				const cid = ctx.oidc?.client?.clientId || p.client_id;
				if (cid) kv.push(`client_id=${cid}`);
				if (p.resource) kv.push(`resource=${[].concat(p.resource).join(',')}`);
				if (ctx.status >= 400 && ctx.body && typeof ctx.body === 'object' && ctx.body.error)
					kv.push(`error=${ctx.body.error}`);
				log.write(
					`${(t / 1000).toFixed(3)} ${ctx.method} ${ctx.path} ${ctx.status}${
						kv.length ? ' ' + kv.join(' ') : ''
					}\n`,
				);
			}
		}
	}

	async function harness(ctx, next) {
		if (!ctx.path.startsWith('/_harness/')) return next();
		if (ctx.method !== 'POST') ctx.throw(405);
		const q = ctx.query;
		if (ctx.path === '/_harness/rotate') {
			const alg = q.alg || cfg.access_token_alg;
			const kid = q.kid || `${alg.toLowerCase()}-${crypto.randomBytes(4).toString('hex')}`;
			if (keys.some((k) => k.kid === kid)) ctx.throw(409, `kid ${kid} exists`);
			keys.unshift(await makeKey({ kid, alg }));
		} else if (ctx.path === '/_harness/retire') {
			if (!keys.some((k) => k.kid === q.kid)) ctx.throw(404, `no kid ${q.kid}`);
			keys = keys.filter((k) => k.kid !== q.kid);
		} else if (ctx.path === '/_harness/reload') {
			cfg = loadConfig(cfgFile);
		} else ctx.throw(404);
		saveKeys();
		rebuild();
		ctx.body = { ok: true, kid: q.kid || keys[0].kid, keys: keys.map((k) => k.kid) };
	}

	// RFC 8628 3.2 and 3.5, which oidc-provider leaves to its user: the
	// interval in the device authorization response, and slow_down for a
	// client that polls sooner than it (its interval then grows by 5 s).
	async function deviceInterval(ctx, next) {
		if (ctx.method === 'POST' && ctx.path === '/token') {
			const raw = await readRaw(ctx.req);
			ctx.req.body = raw; // oidc-provider reads a body parsed upstream
			const form = querystring.parse(raw);
			const st = form.device_code && polls.get(String(form.device_code));
			const now = Date.now();
			// An expired code is oidc-provider's to answer (expired_token).
			if (form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code' && st && now < st.expires) {
				// 100 ms of slack for timers and the network.
				const early = now - st.last < st.interval * 1000 - 100;
				st.last = now;
				if (st.forced > 0 || early) {
					if (st.forced > 0) st.forced--;
					st.interval += 5;
					ctx.status = 400;
					ctx.body = {
						error: 'slow_down',
						error_description: early ? 'polled before the interval' : 'forced by the test',
					};
					ctx.oidc = { params: { grant_type: form.grant_type, client_id: form.client_id } };
					return;
				}
			}
			return next();
		}
		await next();
		if (ctx.method === 'POST' && ctx.path === '/device/auth' && ctx.status === 200) {
			ctx.body.interval = cfg.device.interval;
			polls.set(ctx.body.device_code, {
				last: Date.now(),
				expires: Date.now() + ctx.body.expires_in * 1000,
				interval: cfg.device.interval,
				forced: cfg.device.force_slow_down,
			});
		}
	}

	let current = null;
	function rebuild() {
		current = build();
		handler = current.callback();
	}
	rebuild();
	process.on('SIGHUP', () => {
		cfg = loadConfig(cfgFile);
		rebuild();
	});
	process.on('SIGTERM', () => process.exit(0));
	fs.writeFileSync(path.join(dir, 'port.tmp'), `${port}\n`);
	fs.renameSync(path.join(dir, 'port.tmp'), path.join(dir, 'port'));
	process.stdout.write(`oidc-provider listening on ${issuer}\n`);
}

function readRaw(req) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		let n = 0;
		req.on('data', (c) => {
			n += c.length;
			if (n > 65536) reject(new Error('request too large'));
			else chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

const esc = (s) =>
	String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
	return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(
		title,
	)}</h1>${body}</body></html>`;
}

// The login and consent pages (oidc-provider leaves them to its user; its
// own development pages take any name without a password).
function interactions(provider, users) {
	return async function interaction(ctx, next) {
		const m = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(ctx.path);
		if (!m) return next();
		const [, uid, action] = m;
		ctx.set('cache-control', 'no-store');
		const details = await provider.interactionDetails(ctx.req, ctx.res);
		if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
		const { prompt, params, session } = details;
		const form = ctx.method === 'POST' ? querystring.parse(await readRaw(ctx.req)) : {};
		const finish = async (result, merge) => {
			const to = await provider.interactionResult(ctx.req, ctx.res, result, {
				mergeWithLastSubmission: merge,
			});
			ctx.status = 303;
			ctx.redirect(to);
		};
		const loginPage = (msg) =>
			page(
				'Sign-in',
				`${msg ? `<p id="error">${esc(msg)}</p>` : ''}<form method="post" action="/interaction/${uid}/login">` +
					`<input name="login" autofocus><input name="password" type="password">` +
					`<button type="submit">Sign-in</button></form>`,
			);
		if (!action) {
			ctx.type = 'html';
			if (prompt.name === 'login') ctx.body = loginPage();
			else if (prompt.name === 'consent')
				ctx.body = page(
					'Authorize',
					`<p>${esc(params.client_id)} asks for ${esc(params.scope || '')} ${esc(
						[].concat(params.resource || []).join(' '),
					)}</p><form method="post" action="/interaction/${uid}/confirm">` +
						`<button type="submit">Allow</button></form>` +
						`<form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`,
				);
			else ctx.throw(501, `prompt ${prompt.name}`);
			return;
		}
		if (ctx.method !== 'POST') ctx.throw(405);
		if (action === 'abort')
			return finish({ error: 'access_denied', error_description: 'the user denied the request' }, false);
		if (action === 'login') {
			if (prompt.name !== 'login') ctx.throw(400, 'not at the login prompt');
			const u = users[form.login];
			const pw = String(form.password || '');
			if (
				!u ||
				pw.length !== u.password.length ||
				!crypto.timingSafeEqual(Buffer.from(pw), Buffer.from(u.password))
			) {
				ctx.status = 401;
				ctx.type = 'html';
				ctx.body = loginPage('wrong user name or password');
				return;
			}
			return finish({ login: { accountId: form.login } }, false);
		}
		// confirm: grant what was asked.
		if (prompt.name !== 'consent') ctx.throw(400, 'not at the consent prompt');
		const d = prompt.details;
		const grant = details.grantId
			? await provider.Grant.find(details.grantId)
			: new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
		if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
		if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
		for (const [ind, sc] of Object.entries(d.missingResourceScopes || {}))
			grant.addResourceScope(ind, sc.join(' '));
		return finish({ consent: { grantId: await grant.save() } }, true);
	};
}

// ---------------------------------------------------------------- approve

// A small browser: cookies, forms, redirects, the test CA.
class Browser {
	constructor(ca) {
		this.ca = ca;
		this.jar = new Map();
	}
	request(method, url, form) {
		const u = new URL(url);
		const body = form ? querystring.stringify(form) : undefined;
		const headers = { accept: 'text/html' };
		if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
		if (body) {
			headers['content-type'] = 'application/x-www-form-urlencoded';
			headers['content-length'] = Buffer.byteLength(body);
		}
		return new Promise((resolve, reject) => {
			const req = https.request(u, { method, headers, ca: this.ca }, (res) => {
				for (const c of [].concat(res.headers['set-cookie'] || [])) {
					const [kv] = c.split(';');
					const i = kv.indexOf('=');
					const k = kv.slice(0, i).trim();
					const v = kv.slice(i + 1).trim();
					if (/expires=Thu, 01 Jan 1970/i.test(c) || v === '') this.jar.delete(k);
					else this.jar.set(k, v);
				}
				const chunks = [];
				res.on('data', (d) => chunks.push(d));
				res.on('end', () =>
					resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }),
				);
			});
			req.on('error', reject);
			if (body) req.write(body);
			req.end();
		});
	}
	// Follows redirects (303 and 302 as GET) from a request; returns the page.
	async go(method, url, form) {
		let r = await this.request(method, url, form);
		for (let i = 0; i < 10 && r.status >= 300 && r.status < 400; i++) {
			url = new URL(r.headers.location, url).href;
			r = await this.request('GET', url);
		}
		r.url = url;
		r.title = (/<title>([^<]*)<\/title>/.exec(r.body) || [])[1] || '';
		return r;
	}
}

// The first form of a page (or the one whose action matches): its action and
// hidden inputs.
function formOf(body, base, want) {
	const re = /<form\b([^>]*)>([\s\S]*?)<\/form>/g;
	let m;
	while ((m = re.exec(body))) {
		const attrs = m[1];
		const action = (/action="([^"]*)"/.exec(attrs) || [])[1] || base;
		if (want && !want.test(action) && !want.test(attrs)) continue;
		const fields = {};
		for (const inp of m[2].matchAll(/<input\b([^>]*)>/g)) {
			const name = (/name="([^"]*)"/.exec(inp[1]) || [])[1];
			const value = (/value="([^"]*)"/.exec(inp[1]) || [])[1];
			if (name) fields[name] = value === undefined ? '' : value.replace(/&amp;/g, '&');
		}
		return { action: new URL(action.replace(/&amp;/g, '&'), base).href, fields };
	}
	return null;
}

async function approve(opt, deny) {
	const issuer = opt.issuer || die('approve needs --issuer');
	const code = opt['user-code'] || die('approve needs --user-code');
	const ca = opt.ca ? fs.readFileSync(opt.ca) : undefined;
	const b = new Browser(ca);
	const fail = (msg, r) => {
		process.stdout.write(`${r ? r.title : ''}\n`);
		process.stderr.write(`approve: ${msg}${r ? ` (at ${r.url}: ${r.title})` : ''}\n`);
		process.exit(1);
	};
	// The verification page, as a person who typed the code.
	let r = await b.go('GET', `${issuer}/device`);
	let f = formOf(r.body, r.url);
	if (!f) fail('no user code form', r);
	r = await b.go('POST', f.action, { ...f.fields, user_code: code });
	// Its confirmation ("the following code should be displayed on your device").
	f = formOf(r.body, r.url);
	if (!f || !('confirm' in f.fields)) fail('the user code was not accepted', r);
	r = await b.go('POST', f.action, f.fields);
	f = formOf(r.body, r.url, /\/login$/);
	if (!f) fail('no login form', r);
	r = await b.go('POST', f.action, { login: opt.login || 'alice', password: opt.password || 'alice-password' });
	if (r.status === 401) fail('the login was refused', r);
	f = formOf(r.body, r.url, deny ? /\/abort$/ : /\/confirm$/);
	if (!f) fail('no consent form', r);
	r = await b.go('POST', f.action, {});
	process.stdout.write(`${r.title}\n`);
	const ok = deny ? !/Success/.test(r.title) : /Success/.test(r.title);
	if (!ok) fail('unexpected last page', r);
}

const opt = args(process.argv.slice(2));
const cmd = opt._[0];
if (cmd === 'serve') await serve(opt);
else if (cmd === 'approve') await approve(opt, false);
else if (cmd === 'deny') await approve(opt, true);
else die('usage: provider.mjs serve --dir DIR [--config FILE] | approve|deny --issuer URL --ca FILE --user-code CODE');
