// Tiny HTML helpers for the sandbox's pages (Borica, P100 KYC): plain forms, so a test presses a
// button with one HTTP POST and a person can click through in a browser.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

export interface PageButton {
  /** Machine-readable name, also the form's `data-outcome` (what SandboxControl looks for). */
  outcome: string;
  label: string;
  action: string;
}

export function page(title: string, text: string, buttons: PageButton[] = []): string {
  const forms = buttons
    .map(
      (b) =>
        `<form method="post" action="${escapeHtml(b.action)}" data-outcome="${escapeHtml(b.outcome)}">` +
        `<button type="submit" name="outcome" value="${escapeHtml(b.outcome)}">${escapeHtml(b.label)}</button></form>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>
${forms}
</body></html>`;
}
