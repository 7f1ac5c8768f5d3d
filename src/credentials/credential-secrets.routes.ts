import { z } from 'zod';
import { brands } from '../brands/brand-registry.js';
import { AppError } from '../core/app-error.js';
import { actorContext, grantOf } from '../http/auth.js';
import { type App, bearerSecurity, problemResponses } from '../http/route-types.js';
import type { CredentialSecretService } from './credential-secrets.service.js';
import { revealedSecretsSchema, revealQuerySchema, secretVersionListSchema, versionParamsSchema } from './credential-secrets.schemas.js';
import { credentialParamsSchema, credentialViewSchema } from './credentials.schemas.js';
import { envFileName } from './env-file.js';
import { credentialEtag } from './etag.js';

const tags = ['credentials'];
const ifMatchHeaders = z.object({ 'if-match': z.string().max(200).optional() }).loose();

/** `?format=env`, or an Accept header that asks for text/plain rather than JSON. */
function wantsEnvFile(format: 'json' | 'env' | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'env';
  if (accept === undefined) return false;
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  return types.includes('text/plain') && !types.some((type) => type === 'application/json' || type === '*/*');
}

/** A version number in the path: anything but a positive integer names no version (404, as for ids). */
function versionNumber(text: string): number {
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new AppError('not-found', `Secret version ${text.slice(0, 32)} does not exist.`);
  return Number(text);
}

/** Reveal (docs/design.md §2.7) and secret versions (§2.8) of `/{brand}/credentials/{id}`. */
/** The brands whose makers' clients read fixed variable names (their catalogue entry's `envVariables`), for the description. */
const fixedEnvFiles = brands
  .filter((brand) => brand.envVariables !== undefined)
  .map((brand) => `\`${envFileName(brand)}\` for ${brand.slug}`)
  .join(', ');

export function registerCredentialSecretRoutes(app: App, service: CredentialSecretService) {
  app.get('/:brand/credentials/:id/secrets', {
    config: { scope: 'credentials:reveal', rateLimitClass: 'reveal' },
    schema: {
      tags,
      operationId: 'revealCredentialSecrets',
      summary: "Reveal a credential's secrets (audited)",
      description:
        'The one route that hands secrets out. Each call is a `credential.revealed` audit event, committed before the answer ' +
        '(503 and no secret when it cannot be written). ' +
        `\`?format=env\` or \`Accept: text/plain\` answers a dotenv file (${fixedEnvFiles}, \`<SLUG>_<FIELD>=\` ` +
        'lines for other brands); a value no env file carries exactly is 422 naming its field, neither recorded nor counted ' +
        'against the reveal rate limit (docs/reveal.md).',
      security: bearerSecurity,
      params: credentialParamsSchema,
      querystring: revealQuerySchema,
      response: {
        200: revealedSecretsSchema.describe('The identity and setting fields and the `secrets` of the current (or the asked) version'),
        ...problemResponses('not-found', 'unknown-brand'),
      },
    },
    handler: async (request, reply) => {
      const { brand, id } = request.params;
      const revealed = await service.reveal(actorContext(request), brand, id, {
        version: request.query.version,
        format: wantsEnvFile(request.query.format, request.headers.accept) ? 'env' : 'json',
        beforeRecord: () => request.spendRevealBudget(),
      });
      if (revealed.format === 'env') {
        // A text/plain body skips the JSON serializer; the route's typed reply only knows the JSON shape.
        const file = revealed.file as unknown as z.infer<typeof revealedSecretsSchema>;
        return reply
          .type('text/plain; charset=utf-8')
          .header('content-disposition', `attachment; filename="${revealed.fileName}"`)
          .send(file);
      }
      return {
        ...revealed.fields,
        id: revealed.id,
        brand: revealed.brand,
        secret_version: revealed.secret_version,
        secrets: revealed.secrets,
      };
    },
  });

  app.get('/:brand/credentials/:id/versions', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      operationId: 'listCredentialVersions',
      summary: "List a credential's kept secret versions (metadata only)",
      description: 'Newest first: who made each version and when, and whether it is current, previous or retained. Never a secret.',
      security: bearerSecurity,
      params: credentialParamsSchema,
      response: {
        200: secretVersionListSchema.describe('The kept versions, newest first'),
        ...problemResponses('not-found', 'unknown-brand'),
      },
    },
    handler: async (request) => service.versions(grantOf(request), request.params.brand, request.params.id),
  });

  app.post('/:brand/credentials/:id/versions/:n/restore', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      operationId: 'restoreCredentialVersion',
      summary: 'Make a new current secret version from a kept earlier one',
      description:
        'Version `n`\u2019s secrets become a new current version (`secret_version` + 1); a `credential.restored` audit event. ' +
        'A destroyed or unknown version is 404; a stale `If-Match` is 412.',
      security: bearerSecurity,
      params: versionParamsSchema,
      headers: ifMatchHeaders,
      response: {
        200: credentialViewSchema.describe('Restored: the credential view with the new `secret_version` and `ETag`'),
        ...problemResponses('not-found', 'unknown-brand', 'precondition-failed'),
      },
    },
    handler: async (request, reply) => {
      const { brand, id, n } = request.params;
      const view = await service.restore(actorContext(request), brand, id, versionNumber(n), request.headers['if-match']);
      return reply.header('etag', credentialEtag(view)).send(view);
    },
  });
}
