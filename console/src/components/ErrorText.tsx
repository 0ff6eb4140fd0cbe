import { ApiError } from '../lib/api';

/** An error as text: the API's problem detail and each named field. */
export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ApiError) {
    return (
      <div role="alert" className="error">
        <strong>
          {error.status} {error.title}
        </strong>
        : {error.detail}
        {error.errors.length > 0 && (
          <ul>
            {error.errors.map((e) => (
              <li key={`${e.path}:${e.message}`}>
                <code>{e.path}</code> {e.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  return (
    <div role="alert" className="error">
      {error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error)}
    </div>
  );
}
