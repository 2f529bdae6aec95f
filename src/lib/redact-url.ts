/**
 * Credentials in repository and API URLs never reach a message or a log.
 * Redacts, wherever they appear in a text:
 * - the user-info of `scheme://user:password@host/...` (a token may be the
 *   user name alone, so the whole user-info goes): `scheme://***@host/...`;
 * - the password of scp-like git addresses `user:password@host:path`
 *   (`git@host:path` names no secret and stays as it is);
 * - the values of query parameters that carry secrets (`?token=`,
 *   `access_token=`, `X-Amz-Signature=`, `sig=`, ...).
 */

const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
const SCP_PASSWORD = /(^|[\s'"(<])([\w.-]+):[^\s@/:]+@([\w.-]+:)/g;
const SECRET_QUERY = /([?&;](?:[\w.-]*(?:token|secret|password|passwd|pwd|signature|sig|key|auth|credential)[\w.-]*)=)[^\s&#;'"<>]+/gi;

const REDACTED = "***";

/** Every URL in `text` with its credentials replaced by `***`; `text` may be one URL or a message holding several. */
export function redactUrl(text: string): string {
  return text
    .replace(USER_INFO, `$1${REDACTED}@`)
    .replace(SCP_PASSWORD, `$1$2:${REDACTED}@$3`)
    .replace(SECRET_QUERY, `$1${REDACTED}`);
}
