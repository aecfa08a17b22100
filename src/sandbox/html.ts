// The sandbox's pages (Borica's identification and signing, P100's hosted verification), made to
// look like pages a person would press: the provider's name, who is being served, what the buttons
// do and what happens next. Still plain forms, one per button, marked with `data-outcome`, so a test
// presses a button with one HTTP POST (SandboxControl) and a person clicks through in a browser.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

export interface PageButton {
  /** Machine-readable name, also the form's `data-outcome` (what SandboxControl looks for). */
  outcome: string;
  label: string;
  action: string;
  /** What pressing it leads to, shown under the button. */
  hint?: string;
  /** The secondary (less prominent) button, e.g. the one that fails. */
  secondary?: boolean;
}

export interface PageDetails {
  /** The provider whose page this stands in for, shown in the header. */
  brand?: string;
  /** Who the page serves (a name or an e-mail address), shown as a greeting. */
  who?: string;
  /** What happens after the button is pressed. */
  next?: string;
}

const STYLE = `
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:#1a1a1a;background:#eef1f5}
header{background:#13294b;color:#fff;padding:.8rem 1rem;font-weight:700}
header small{font-weight:400;opacity:.9;margin-left:.5rem}
main{max-width:32rem;margin:1.5rem auto;background:#fff;border-radius:.6rem;padding:1.25rem 1.25rem 1.5rem;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.45rem;line-height:1.25;margin:.25rem 0 .75rem}
.who{color:#3d3d3d;margin:0}
.next{background:#f2f5f9;border-left:.3rem solid #13294b;padding:.6rem .8rem;margin:1rem 0}
form{margin:.75rem 0 0}
button{width:100%;font:inherit;font-size:1.05rem;font-weight:700;padding:.8rem 1rem;border-radius:.4rem;border:2px solid #0b6b3a;background:#0b6b3a;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#a4161a;border-color:#a4161a}
button:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.hint{display:block;color:#4a4a4a;font-size:.9rem;margin:.3rem 0 0}
.sandbox{color:#4a4a4a;font-size:.85rem;text-align:center;margin:1rem 0}`;

export function page(title: string, text: string, buttons: PageButton[] = [], details: PageDetails = {}): string {
  const forms = buttons
    .map(
      (b) =>
        `<form method="post" action="${escapeHtml(b.action)}" data-outcome="${escapeHtml(b.outcome)}">` +
        `<button type="submit" name="outcome" value="${escapeHtml(b.outcome)}"${b.secondary ? ' class="secondary"' : ''}>${escapeHtml(b.label)}</button>` +
        (b.hint ? `<span class="hint">${escapeHtml(b.hint)}</span>` : '') +
        `</form>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><header>${escapeHtml(details.brand ?? 'Provider sandbox')}<small>sandbox</small></header>
<main>
${details.who ? `<p class="who">${escapeHtml(details.who)}</p>` : ''}
<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>
${details.next ? `<p class="next">${escapeHtml(details.next)}</p>` : ''}
${forms}
</main>
<p class="sandbox">A stand-in page of the provider sandbox: no real identification takes place.</p>
</body></html>`;
}
