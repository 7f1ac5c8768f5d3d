/** The options `client create` and `key-client create` share (src/cli.ts). */

/** A comma list of the command line, blanks dropped; undefined when the option is absent. */
export const commaList = (text: string | undefined) =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** `--restrict-brands` and `--restrict-credentials` as the API's `restrict` (undefined: the whole fleet). */
export function restrictOption(values: { 'restrict-brands'?: string | undefined; 'restrict-credentials'?: string | undefined }) {
  const brands = commaList(values['restrict-brands']);
  const credentialIds = commaList(values['restrict-credentials']);
  if (brands === undefined && credentialIds === undefined) return undefined;
  return { ...(brands !== undefined && { brands }), ...(credentialIds !== undefined && { credential_ids: credentialIds }) };
}

/** The restriction line of a created client's text output. */
export const restrictText = (restrict: { brands?: string[]; credential_ids?: string[] } | null) =>
  restrict === null
    ? ''
    : `
restricted to: ${JSON.stringify(restrict)}`;
