/**
 * How a fuzz camera answers the platform's own requests (PushLive from the live API, Snapshot and
 * LogUploadAsync from the RPC API…): the example answer, a mutated one, an `err` with any code, an
 * answer sent twice, a late one, garbage, or none; and for requests that carry an upload URL, an
 * upload first, to that URL or a mutated one, with a hostile body. Each answer follows a plan from
 * a seeded stream, so the answers too are reproducible inputs.
 */
import fc from 'fast-check';
import type { BodySpec, HttpSpec } from './http.ts';
import { type InputStream, jsonText } from './values.ts';
import { HOSTILE_NUMBERS, HOSTILE_STRINGS, mutate, mutations, TEN_KB, type Mutation } from './hostile.ts';
import { exampleResp, harvestJson, remember, type World } from './world.ts';
import { fuzzHttp } from './http-judge.ts';
import type { FuzzConn, InFrame } from './vd-conn.ts';

/** An upload a camera makes before answering: URL edits, body, transport. */
export interface UploadPlan {
  edits: Mutation[];
  body: BodySpec;
  chunked: boolean;
  contentType: string | undefined;
}

/** How to answer one platform request. */
export interface AnswerPlan {
  mode: 'valid' | 'mutated' | 'err' | 'twice' | 'late' | 'garbage' | 'silent';
  edits: Mutation[];
  code: unknown;
  msg: unknown;
  upload: UploadPlan | undefined;
}

/** Delay of a late answer. */
const LATE_ANSWER_MS = 300;

/** Bodies a camera (or an attacker holding its URL) may upload. */
export function uploadBodies(): fc.Arbitrary<BodySpec> {
  return fc.oneof(
    fc.constantFrom(0, 4, 188, 1000, 9000).map((size): BodySpec => ({ kind: 'bytes', size })),
    fc.constant<BodySpec>({ kind: 'bytes', size: 70_000 }),
    fc.constantFrom(...HOSTILE_STRINGS).map((text): BodySpec => ({ kind: 'text', text })),
    fc.constant<BodySpec>({ kind: 'text', text: 'x'.repeat(TEN_KB) }),
  );
}

/** Content types of uploads. */
export const UPLOAD_TYPES = [undefined, 'image/jpeg', 'video/mp2t', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x'] as const;

/** An upload plan. */
export function uploadPlans(marker: string): fc.Arbitrary<UploadPlan> {
  return fc.record({
    edits: fc.oneof(fc.constant<Mutation[]>([]), mutations(marker)),
    body: uploadBodies(),
    chunked: fc.boolean(),
    contentType: fc.constantFrom(...UPLOAD_TYPES),
  });
}

/** Answer plans, mostly valid so that the API's calls get through. */
export function answerPlans(marker: string): fc.Arbitrary<AnswerPlan> {
  return fc.record({
    mode: fc.oneof(
      { weight: 40, arbitrary: fc.constant('valid' as const) },
      { weight: 25, arbitrary: fc.constant('mutated' as const) },
      { weight: 15, arbitrary: fc.constant('err' as const) },
      { weight: 5, arbitrary: fc.constant('twice' as const) },
      { weight: 5, arbitrary: fc.constant('late' as const) },
      { weight: 2, arbitrary: fc.constant('garbage' as const) },
      { weight: 1, arbitrary: fc.constant('silent' as const) },
    ),
    edits: mutations(marker),
    code: fc.oneof(
      fc.constantFrom(1, 11, 12, 13, 101, 102, 103, 400, 404, 429, 500, 503, 599),
      fc.constantFrom(...HOSTILE_NUMBERS),
      fc.constantFrom('500', null),
    ),
    msg: fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.constant(undefined)),
    upload: fc.option(uploadPlans(marker), { freq: 4 }),
  });
}

/** A URL taken apart so that mutations can edit its path segments and query pairs. */
export function urlParts(url: string): { path: string[]; query: [string, string][] } {
  const u = new URL(url);
  return {
    path: u.pathname
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s)),
    query: [...u.searchParams.entries()],
  };
}

/** An upload to `url` (edited by the plan) as an HTTP input of the `urls` target. */
export function uploadSpec(url: string, plan: UploadPlan, route: string): HttpSpec {
  const edited = mutate(urlParts(url), plan.edits) as { path?: unknown; query?: unknown } | undefined;
  const path = Array.isArray(edited?.path) ? edited.path : [String(edited?.path ?? '')];
  const query = Array.isArray(edited?.query) ? edited.query : edited?.query === undefined ? [] : [edited.query];
  return {
    target: 'urls',
    route,
    method: 'PUT',
    path,
    query,
    body: plan.body,
    chunked: plan.chunked,
    headers: plan.contentType ? { 'Content-Type': plan.contentType } : {},
  };
}

/** Route template of an upload URL, for grouping answers. */
export function uploadRoute(url: string): string {
  return new URL(url).pathname.startsWith('/cs/up/') ? 'PUT /cs/up/{session}/{name}' : 'PUT /upload/{token}';
}

/** Answer the platform's requests to `conn` by the plans of `plans`. */
export function fuzzAnswers(w: World, plans: InputStream<AnswerPlan>): (conn: FuzzConn, f: InFrame & { req: string; seq: number }) => void {
  return (conn, f) => {
    const { value: plan } = plans.take();
    const url = typeof f.params?.url === 'string' ? f.params.url : undefined;
    if (f.req === 'StartRecord' && typeof f.params?.cbk_url === 'string') remember(w, 'cbkUrl', f.params.cbk_url);
    if (url) remember(w, 'uploadUrl', url);
    const answer = () => answerBy(conn, f, plan);
    if (url && plan.upload) {
      const spec = uploadSpec(url, plan.upload, uploadRoute(url));
      fuzzHttp(w, spec)
        .then((r) => typeof r.status === 'number' && r.status < 300 && harvestJson(w, safeJson(r.body)))
        .finally(answer);
      return;
    }
    answer();
  };
}

function answerBy(conn: FuzzConn, f: { req: string; seq: number }, plan: AnswerPlan): void {
  const example = exampleResp(f.req);
  const ok = () => conn.send(JSON.stringify({ seq: f.seq, resp: example }));
  const mutated = () => conn.send(jsonText({ seq: f.seq, resp: mutate(example, plan.edits) }));
  switch (plan.mode) {
    case 'valid':
      return void ok();
    case 'mutated':
      return void mutated();
    case 'err':
      return void conn.send(jsonText({ seq: f.seq, err: plan.msg === undefined ? { code: plan.code } : { code: plan.code, msg: plan.msg } }));
    case 'twice':
      ok();
      return void mutated();
    case 'late':
      return void setTimeout(ok, LATE_ANSWER_MS);
    case 'garbage':
      return void conn.send(jsonText({ seq: String(f.seq), resp: example }));
    case 'silent':
      return;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
