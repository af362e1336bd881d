// Secrets never reach a file, a log or a message. One place decides how a URL is shown or stored
// (its user name and password replaced by "***") and scrubs any secret this process was given (an
// API key) from text that may quote it back, e.g. a server's error body.

const secrets = new Set<string>();

/** A value that must never be printed or stored (an API key); scrubbed from every redactText. */
export function registerSecret(value: string): void {
  if (value.length >= 4) secrets.add(value);
}

/** A URL as it may be shown or stored: credentials (user:password@) become "***@". */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = "***";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, url.endsWith("/") ? "/" : "");
  } catch {
    return redactText(url);
  }
}

/** Free text with every URL's credentials and every registered secret replaced by "***". */
export function redactText(text: string): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, "$1***@");
  for (const secret of secrets) out = out.split(secret).join("***");
  return out;
}

/** The URL without its credentials, and the Basic authorization they make (undefined when none). */
export function splitCredentials(url: string): { url: string; authorization?: string } {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return { url };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  registerSecret(password);
  registerSecret(authorization);
  return { url: parsed.toString().replace(/\/$/, url.endsWith("/") ? "/" : ""), authorization };
}
