/**
 * Renders the OpenAPI document as one self-contained HTML page (inline CSS, no scripts, no CDN),
 * so `/docs` works offline and behind strict networks.
 */

type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const slug = (s: string): string =>
  s
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();

function resolveRef(doc: Json, value: unknown): Json {
  let v = value as Json;
  for (let guard = 0; guard < 10 && v && typeof v.$ref === 'string'; guard++) {
    const path = (v.$ref as string).replace(/^#\//, '').split('/');
    v = path.reduce<unknown>((acc, key) => (acc as Json | undefined)?.[key], doc) as Json;
  }
  return v ?? {};
}

function refName(value: unknown): string | undefined {
  const ref = (value as Json | undefined)?.$ref;
  return typeof ref === 'string' ? ref.split('/').pop() : undefined;
}

/** A short type description of a schema: `string`, `integer (1–500)`, `Evaluation[]`, links to schemas. */
function typeOf(schema: unknown): string {
  const s = (schema ?? {}) as Json;
  const name = refName(s);
  if (name) return `<a href="#schema-${slug(name)}">${escapeHtml(name)}</a>`;
  if (Array.isArray(s.allOf) && s.allOf.length === 1) {
    // A schema narrowed in place (e.g. "exactly one of benchmarks, collection_id"): its base, then the rule.
    const rule = s.description ? ` <span class="muted">${escapeHtml(String(s.description))}</span>` : '';
    return `${typeOf(s.allOf[0])}${rule}`;
  }
  if (Array.isArray(s.enum))
    return s.enum.map((v) => `<code>${escapeHtml(JSON.stringify(v))}</code>`).join(' | ');
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type as string | undefined);
  if (t === 'array') return `${typeOf(s.items)}[]`;
  if (
    t === 'object' &&
    s.additionalProperties &&
    typeof s.additionalProperties === 'object' &&
    !s.properties
  ) {
    return `map of ${typeOf(s.additionalProperties)}`;
  }
  const bounds: string[] = [];
  if (s.minimum !== undefined) bounds.push(`≥ ${String(s.minimum)}`);
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${String(s.exclusiveMinimum)}`);
  if (s.maximum !== undefined) bounds.push(`≤ ${String(s.maximum)}`);
  if (s.maxLength !== undefined) bounds.push(`≤ ${String(s.maxLength)} chars`);
  if (s.format) bounds.push(String(s.format));
  return `${escapeHtml(t ?? 'any')}${bounds.length ? ` <span class="muted">(${escapeHtml(bounds.join(', '))})</span>` : ''}`;
}

function parametersTable(doc: Json, params: unknown[]): string {
  if (params.length === 0) return '';
  const rows = params
    .map((p) => resolveRef(doc, p))
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${escapeHtml(p.in)}</td><td>${typeOf(
          p.schema,
        )}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`,
    )
    .join('');
  return `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>${rows}</table>`;
}

function responsesList(doc: Json, responses: Json): string {
  const items = Object.entries(responses).map(([status, r]) => {
    const resolved = resolveRef(doc, r);
    const content = (resolved.content ?? {}) as Json;
    const types = Object.entries(content).map(
      ([mime, c]) => `<code>${escapeHtml(mime)}</code> ${typeOf((c as Json).schema)}`,
    );
    return `<li><span class="status s${escapeHtml(status[0])}">${escapeHtml(status)}</span> ${escapeHtml(resolved.description ?? '')}${
      types.length ? ` — ${types.join(', ')}` : ''
    }</li>`;
  });
  return `<h4>Responses</h4><ul class="responses">${items.join('')}</ul>`;
}

function schemaSection(name: string, schema: Json): string {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows = Object.entries(props)
    .map(
      ([prop, s]) =>
        `<tr><td><code>${escapeHtml(prop)}</code>${required.has(prop) ? ' <span class="req">required</span>' : ''}</td><td>${typeOf(s)}</td><td>${escapeHtml(
          s.description ?? '',
        )}</td></tr>`,
    )
    .join('');
  const body = rows
    ? `<table><tr><th>field</th><th>type</th><th>description</th></tr>${rows}</table>`
    : `<p>${typeOf(schema)}</p>`;
  return `<section class="schema" id="schema-${slug(name)}"><h3>${escapeHtml(name)}</h3>${
    schema.description ? `<p>${escapeHtml(schema.description)}</p>` : ''
  }${body}</section>`;
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d232a;background:#fafbfc}
main{max-width:980px;margin:0 auto;padding:24px}
h1{margin-bottom:0}h2{border-bottom:1px solid #d8dee4;padding-bottom:4px;margin-top:40px}
nav ul{columns:2;padding-left:18px}
.op{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:12px 16px;margin:14px 0}
.op h3{margin:0;font-size:16px;font-family:ui-monospace,Menlo,Consolas,monospace}
.m{display:inline-block;min-width:64px;text-align:center;border-radius:4px;color:#fff;font-size:13px;padding:1px 6px;margin-right:8px}
.get{background:#1f6feb}.post{background:#1a7f37}.put{background:#9a6700}.delete{background:#cf222e}.patch{background:#8250df}
table{border-collapse:collapse;width:100%;margin:6px 0}td,th{border:1px solid #d8dee4;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f7}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.req{color:#cf222e;font-size:12px}.muted{color:#6e7781}
.status{font-family:ui-monospace,monospace;font-weight:600}.s2{color:#1a7f37}.s4{color:#9a6700}.s5{color:#cf222e}
ul.responses{margin:4px 0}.schema{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:8px 16px;margin:12px 0}
`;

/** The whole page. */
export function renderDocsPage(doc: Readonly<Record<string, unknown>>): string {
  const d = doc as Json;
  const info = (d.info ?? {}) as Json;
  const paths = (d.paths ?? {}) as Record<string, Json>;
  const schemas = ((d.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  const ops: { tag: string; html: string; id: string; label: string }[] = [];
  for (const [path, item] of Object.entries(paths)) {
    const shared = (item.parameters ?? []) as unknown[];
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const id = String(op.operationId ?? `${method}-${path}`);
      const body = op.requestBody ? resolveRef(d, op.requestBody) : undefined;
      const bodyHtml = body
        ? `<h4>Request body${body.required ? ' <span class="req">required</span>' : ''}</h4><p>${Object.entries(
            (body.content ?? {}) as Json,
          )
            .map(([mime, c]) => `<code>${escapeHtml(mime)}</code> ${typeOf((c as Json).schema)}`)
            .join(', ')}</p>`
        : '';
      ops.push({
        tag: String(((op.tags ?? ['other']) as string[])[0]),
        id,
        label: `${method.toUpperCase()} ${path}`,
        html: `<div class="op" id="op-${slug(id)}"><h3><span class="m ${method}">${method.toUpperCase()}</span>${escapeHtml(path)}</h3><p>${escapeHtml(
          op.summary ?? '',
        )}${op.description ? ` — ${escapeHtml(op.description)}` : ''}</p>${parametersTable(d, [...shared, ...((op.parameters ?? []) as unknown[])])}${bodyHtml}${responsesList(
          d,
          (op.responses ?? {}) as Json,
        )}</div>`,
      });
    }
  }
  const tags = [...new Set(ops.map((o) => o.tag))];
  const nav = `<nav><ul>${ops.map((o) => `<li><a href="#op-${slug(o.id)}"><code>${escapeHtml(o.label)}</code></a></li>`).join('')}</ul></nav>`;
  const sections = tags
    .map(
      (t) =>
        `<h2 id="tag-${slug(t)}">${escapeHtml(t)}</h2>${ops
          .filter((o) => o.tag === t)
          .map((o) => o.html)
          .join('')}`,
    )
    .join('');
  const schemaHtml = Object.entries(schemas)
    .map(([name, s]) => schemaSection(name, s))
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(info.title ?? 'API')} ${escapeHtml(info.version ?? '')}</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(info.title ?? 'API')} <span class="muted">${escapeHtml(info.version ?? '')}</span></h1>
<p>${escapeHtml(info.description ?? '')}</p><p>Machine-readable document: <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI ${escapeHtml(
    d.openapi ?? '',
  )}).</p>
${nav}${sections}<h2 id="schemas">Schemas</h2>${schemaHtml}</main></body></html>
`;
}
