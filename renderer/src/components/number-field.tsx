// A labelled text input with its inline validation message, wired for
// screen readers (aria-invalid, aria-describedby).
import { useId } from 'react';

interface Props {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: string | null;
  help?: string;
  disabled?: boolean;
  multiline?: boolean;
  placeholder?: string;
}

export function NumberField({ label, value, onChange, error, help, disabled, multiline, placeholder }: Props) {
  const id = useId();
  const describedBy = [error ? `${id}-error` : null, help ? `${id}-help` : null].filter(Boolean).join(' ');
  const common = {
    id,
    value,
    disabled,
    placeholder,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy || undefined,
    spellCheck: false,
    autoComplete: 'off',
  } as const;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea {...common} rows={3} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input {...common} type="text" inputMode="text" onChange={(e) => onChange(e.target.value)} />
      )}
      {help ? (
        <small id={`${id}-help`} className="field__help">
          {help}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} className="field__error">
          {error}
        </small>
      ) : null}
    </div>
  );
}
