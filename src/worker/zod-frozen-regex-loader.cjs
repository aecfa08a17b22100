// A webpack loader for the workflow bundle only: zod resets `lastIndex` on the regular expression
// of every pattern check before testing it. The worker shares zod and the domain schemas between
// workflows (preloaded), and the SDK deep-freezes what is shared, so that write would throw on
// every e-mail, UUID or date check. For a pattern that is neither global nor sticky, which is
// every pattern zod and the domain define, `test` ignores `lastIndex`: the reset is only needed
// (and only kept) for global or sticky ones.
'use strict';

const RESET = /([\w.]+)\.lastIndex = 0;/g;

module.exports = function zodFrozenRegexLoader(source) {
  const patched = source.replace(RESET, 'if ($1.global || $1.sticky) $1.lastIndex = 0;');
  // A zod release that no longer resets lastIndex this way must be looked at again, not bundled blindly.
  if (patched === source) throw new Error(`${this.resourcePath}: no "lastIndex = 0" reset found; check zod's pattern checks against the worker's shared, frozen schemas`);
  return patched;
};
