import type { paths } from './api-types';

/** Shapes of the versions, audit and webhook routes (docs/design.md §2.8, §2.6, §2.13), from the generated API types. */
export type SecretVersion =
  paths['/{brand}/credentials/{id}/versions']['get']['responses'][200]['content']['application/json']['items'][number];
export type AuditEvent = paths['/audit']['get']['responses'][200]['content']['application/json']['items'][number];
export type AuditQuery = NonNullable<paths['/audit']['get']['parameters']['query']>;

/** A subscription as `GET /webhooks` lists it: never its secret. */
export type WebhookView = paths['/webhooks/{id}']['get']['responses'][200]['content']['application/json'];
/** One delivery of one audit event to one webhook: its state and its last attempt, never a body. */
export type WebhookDelivery = paths['/webhooks/{id}/deliveries']['get']['responses'][200]['content']['application/json']['items'][number];
export type DeliveryState = WebhookDelivery['state'];

/** A sign-in rule (docs/people.md): who may sign in to the fleet through the identity provider, with which scopes. */
export type SignInRuleView = paths['/sign-in-rules']['get']['responses'][200]['content']['application/json']['items'][number];
export type SignInRuleCreate = NonNullable<paths['/sign-in-rules']['post']['requestBody']>['content']['application/json'];
/** Every scope the API accepts in a rule's `scopes`. */
export type RuleScope = NonNullable<SignInRuleCreate['scopes']>[number];
