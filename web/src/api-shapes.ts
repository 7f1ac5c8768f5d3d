import type { paths } from './api-types';

/** Shapes of the versions and audit routes (docs/design.md §2.8, §2.6), from the generated API types. */
export type SecretVersion =
  paths['/{brand}/credentials/{id}/versions']['get']['responses'][200]['content']['application/json']['items'][number];
export type AuditEvent = paths['/audit']['get']['responses'][200]['content']['application/json']['items'][number];
export type AuditQuery = NonNullable<paths['/audit']['get']['parameters']['query']>;
