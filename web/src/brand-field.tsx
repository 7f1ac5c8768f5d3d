import type { BrandField } from './api';

/** Multi-line PEM keys cannot live in a masked <input> (it strips newlines): they are read from a file instead. */
export function isPemField(field: BrandField): boolean {
  return field.kind === 'secret' && /\(PEM\)/.test(field.description);
}

/**
 * One input of a form generated from `GET /brands`: labelled by the field's API name, its
 * description as the hint, required marked in words, secrets masked and never autofilled, and the
 * server's error for this field (problem+json `errors[].pointer`) shown under it.
 */
export function BrandFieldInput({
  idPrefix,
  field,
  value,
  error,
  required,
  onChange,
}: {
  idPrefix: string;
  field: BrandField;
  value: string;
  error: string | undefined;
  required: boolean;
  onChange: (value: string) => void;
}) {
  const id = `${idPrefix}-${field.name}`;
  const describedBy = [`${id}-hint`, error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const common = {
    id,
    name: field.name,
    'aria-describedby': describedBy,
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-required': required ? ('true' as const) : undefined,
  };
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>
        <code>{field.name}</code>
        {isPemField(field) && ' (PEM file)'}
        {required ? <span class="req"> required</span> : <span class="opt"> optional</span>}
        {field.kind === 'secret' && <span class="badge">secret</span>}
      </label>
      {isPemField(field) ? (
        <input
          {...common}
          type="file"
          accept=".pem,.key,.p8,application/x-pem-file"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file === undefined) onChange('');
            else void file.text().then(onChange);
          }}
        />
      ) : field.kind === 'secret' ? (
        <input
          {...common}
          type="password"
          // A vault's secrets are not the user's passwords: keep password managers from saving or filling them.
          autocomplete="new-password"
          spellcheck={false}
          value={value}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      ) : (
        <input
          {...common}
          type="text"
          autocomplete="off"
          spellcheck={false}
          value={value}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      )}
      <p id={`${id}-hint`} class="hint">
        {field.description}
      </p>
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
