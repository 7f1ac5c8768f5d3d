/**
 * The few server-rendered pages of person sign-in (docs/sign-in.md): a refusal, the device verification form, its
 * confirmation and its end. Plain HTML, no script or style; every value is escaped.
 */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Nothing but the page itself and its forms (CSP Level 3): no script, style or frame. `form-action` names this
 * origin and the provider's, since Chromium applies it to the redirects a submission follows as well.
 */
export function signInPageCsp(providerOrigin: string | undefined): string {
  const formAction = providerOrigin === undefined ? "'self'" : `'self' ${providerOrigin}`;
  return `default-src 'none'; base-uri 'none'; form-action ${formAction}; frame-ancestors 'none'`;
}

function page(title: string, body: string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(title)} \u2013 fleetvault</title></head>`,
    '<body>',
    `<main><h1>${escapeHtml(title)}</h1>`,
    ...body,
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}

/** A sign-in that ended without a token: what happened and what to do, never a stack trace or the provider's text. */
export function refusalPage(message: string, requestId: string): string {
  return page('Sign-in refused', [
    `<p role="alert">${escapeHtml(message)}</p>`,
    '<p><a href="/console/">Back to the console</a></p>',
    `<p>Request id <code>${escapeHtml(requestId)}</code> (for your administrator: it finds this refusal in the logs).</p>`,
  ]);
}

/** RFC 8628 §3.3: the verification page asks for the user code the device shows. */
export function userCodePage(problem: string | undefined): string {
  return page('Sign in a device', [
    '<p>Enter the code that <code>fleetvault login</code> shows in your terminal. You then sign in at your organisation\u2019s',
    ' identity provider.</p>',
    problem === undefined ? '' : `<p role="alert">${escapeHtml(problem)}</p>`,
    '<form method="get" action="/auth/device">',
    '<label for="user_code">Code</label> ',
    '<input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="16" required>',
    ' <button type="submit">Continue</button>',
    '</form>',
  ]);
}

/** RFC 8628 §5.4: the person compares the code and approves, knowing what they grant (a fleet picker when several). */
export function confirmDevicePage(view: { userCode: string; person: string; fleets: { id: string; name: string }[]; confirm: string }) {
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  const fleetField =
    view.fleets.length === 1
      ? `<p>Fleet: <strong>${escapeHtml(view.fleets[0]!.name)}</strong></p>${hidden('fleet', view.fleets[0]!.id)}`
      : [
          '<fieldset><legend>Fleet</legend>',
          ...view.fleets.map(
            (f, i) =>
              `<label><input type="radio" name="fleet" value="${escapeHtml(f.id)}"${i === 0 ? ' checked' : ''}> ` +
              `${escapeHtml(f.name)}</label><br>`,
          ),
          '</fieldset>',
        ].join('\n');
  return page('Approve this device?', [
    `<p>Signed in as <strong>${escapeHtml(view.person)}</strong>.</p>`,
    `<p>Approve only if your terminal shows the code <strong><code>${escapeHtml(view.userCode)}</code></strong>; it then`,
    ' acts in your name in the vault.</p>',
    '<form method="post" action="/auth/device/confirm">',
    hidden('user_code', view.userCode),
    hidden('confirm', view.confirm),
    fleetField,
    '<button type="submit" name="decision" value="approve">Approve</button>',
    ' <button type="submit" name="decision" value="deny">Deny</button>',
    '</form>',
  ]);
}

export function deviceDecidedPage(status: 'approved' | 'denied'): string {
  return status === 'approved'
    ? page('Device approved', ['<p>You can close this window: your terminal finishes signing in.</p>'])
    : page('Device denied', ['<p>The terminal\u2019s request was denied. You can close this window.</p>']);
}
