import { openApiDocument } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderDocsPage } from './docs-page.js';

describe('renderDocsPage', () => {
  const html = renderDocsPage(openApiDocument);

  it('is one self-contained page: no external scripts, styles or fonts', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!localhost)[^"<]*\.(js|css)/);
  });

  it('lists every operation of the document and every schema', () => {
    const paths = openApiDocument.paths as Record<string, Record<string, { operationId: string }>>;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters') continue;
        expect(html).toContain(`id="op-${op.operationId.toLowerCase()}"`);
        expect(html).toContain(`${method.toUpperCase()}</span>${escapeHtml(path)}`);
      }
    }
    const schemas = (openApiDocument.components as { schemas: Record<string, unknown> }).schemas;
    for (const name of Object.keys(schemas)) expect(html).toContain(`<h3>${name}</h3>`);
    expect(html).toContain('<a href="#schema-evaluationrequest">EvaluationRequest</a>');
  });

  it('escapes text from the document', () => {
    expect(escapeHtml('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    const page = renderDocsPage({ info: { title: '<script>alert(1)</script>' }, paths: {} });
    expect(page).not.toContain('<script>alert');
  });
});
