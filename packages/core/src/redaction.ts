/**
 * Strips credentials, query and fragment from a URL so it is safe to store, log and track; also
 * rewrites every URL inside a free text (an error message). The one redaction function of the hub.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '[invalid url]';
  }
}

/** `text` with every http(s) URL in it redacted (see {@link redactUrl}). */
export function redactUrls(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s'"<>`]+/gi, (m) => {
    const trail = /[.,;:)\]]+$/.exec(m)?.[0] ?? '';
    return redactUrl(m.slice(0, m.length - trail.length)) + trail;
  });
}
