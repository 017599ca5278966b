// Browser mode's token arrives in the address (?token=...). Once the page has
// it (the socket URL keeps it, and the server has set its cookie), it leaves
// the address bar, so it is not shown, bookmarked or copied along with it.
import { TOKEN_QUERY_PARAM } from '../../../api/web-protocol.js';

/** The part of History this needs. */
export type ReplaceState = (data: null, unused: string, url: string) => void;

/** The page's address without the token; null when there is none to drop. */
export function addressWithoutToken(href: string): string | null {
  const url = new URL(href);
  if (!url.searchParams.has(TOKEN_QUERY_PARAM)) return null;
  url.searchParams.delete(TOKEN_QUERY_PARAM);
  return `${url.pathname}${url.search}${url.hash}`;
}

export function dropTokenFromAddress(href: string, replaceState: ReplaceState): void {
  const address = addressWithoutToken(href);
  if (address !== null) replaceState(null, '', address);
}
