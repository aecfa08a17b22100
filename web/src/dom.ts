// A small element builder for the reference frontend: plain DOM, text always set as text (never
// as HTML), so nothing the service or the user sends can become markup.
type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** Replaces the screen and moves focus to its heading, so a screen reader announces the new step. */
export function showScreen(root: HTMLElement, ...children: Child[]): void {
  root.replaceChildren();
  append(root, children);
  const heading = root.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    document.title = `${heading.textContent ?? ''} – Open your account`;
    heading.focus();
  }
}

/** A labelled input with its hint and error slot, wired with aria-describedby. */
export function field(opts: {
  name: string;
  label: string;
  hint?: string;
  control: HTMLInputElement | HTMLSelectElement;
}): HTMLDivElement {
  const id = `f-${opts.name.replace(/\W/g, '-')}`;
  opts.control.id = id;
  opts.control.name = opts.name;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  opts.control.setAttribute('aria-describedby', opts.hint ? `${hintId} ${errorId}` : errorId);
  return h(
    'div',
    { class: 'field', 'data-field': opts.name },
    h('label', { for: id }, opts.label),
    opts.hint ? h('span', { class: 'hint', id: hintId }, opts.hint) : null,
    opts.control,
    h('p', { class: 'error', id: errorId }),
  );
}

/** Shows `message` beside the field named `name` in `form`; false when there is no such field. */
export function setFieldError(form: HTMLElement, name: string, message: string): boolean {
  const wrapper = form.querySelector<HTMLElement>(`[data-field="${CSS.escape(name)}"]`);
  if (!wrapper) return false;
  const control = wrapper.querySelector('input, select');
  const error = wrapper.querySelector('.error');
  control?.setAttribute('aria-invalid', 'true');
  if (error) error.textContent = message;
  return true;
}

export function clearFieldErrors(form: HTMLElement): void {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.error')) el.textContent = '';
}

/** Focuses the first field marked invalid (or `fallback`). */
export function focusFirstInvalid(form: HTMLElement, fallback?: HTMLElement): void {
  const first = form.querySelector<HTMLElement>('[aria-invalid=true]') ?? fallback;
  first?.focus();
}

export function notice(kind: 'info' | 'bad' | 'good', ...children: Child[]): HTMLDivElement {
  return h('div', { class: kind === 'info' ? 'notice' : `notice ${kind}`, role: kind === 'bad' ? 'alert' : 'status' }, ...children);
}
