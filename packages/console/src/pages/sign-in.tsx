import { useState } from 'preact/hooks';
import { ApiError, apiWith } from '../api.js';

/** Checks the key against the admin API before keeping it: a wrong key is told at once, not on the first page. */
export function SignIn({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await apiWith(key.trim(), () => {})('GET', '/admin/v1/stats');
      onSignedIn(key.trim());
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That key is not an account private key.'
          : `Could not sign in: ${(err as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <form onSubmit={submit} class="card">
        <h1>odpkit console</h1>
        <p class="muted">Sign in with the account's private key. It is kept for this tab only.</p>
        <label for="key">Private key</label>
        <input
          id="key"
          type="password"
          autoComplete="off"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-describedby={error ? 'sign-in-error' : undefined}
        />
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || key.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}
