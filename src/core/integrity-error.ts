/**
 * Thrown when a sealed value does not open: wrong key, altered bytes or a value moved to another row.
 * In core, not crypto, because the HTTP error handler must recognise it without importing the domain.
 */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
}
