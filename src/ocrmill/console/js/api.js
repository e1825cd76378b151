// Talking to the server: credentials kept in sessionStorage and sent as HTTP Basic with every request.
// Requests use credentials: 'omit' so that a 401 never makes the browser show its own sign-in prompt.

const KEY = 'ocrmill.basic';

/** The API prefix the server was configured with (from the page's meta tag). */
export const API = document.querySelector('meta[name="ocrmill-api"]')?.content || '/api';
export const OCRJOBS = `${API}/ocrjobs`;
export const INVOICES = `${API}/v1`;
export const CONSOLE = `${API}/console`;

/** An answer the server refused; `status` is the HTTP status. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Keeps the credentials for this browser tab. */
export function signIn(name, password) {
  const bytes = new TextEncoder().encode(`${name}:${password}`);
  sessionStorage.setItem(KEY, btoa(String.fromCharCode(...bytes)));
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

export function hasCredentials() {
  return sessionStorage.getItem(KEY) !== null;
}

function headers(extra = {}) {
  const token = sessionStorage.getItem(KEY);
  return token ? { Authorization: `Basic ${token}`, ...extra } : { ...extra };
}

/** True for URLs of this server, the only ones that get the credentials. */
function ownUrl(url) {
  return new URL(url, location.href).origin === location.origin;
}

/**
 * Sends a request; resolves with the Response when it succeeded, else throws ApiError with the server's
 * message (either API's error shape). A 401 also tells the app to show the sign-in form.
 * @param {string} url
 * @param {{method?: string, json?: any, body?: BodyInit, type?: string}} [options]
 */
export async function request(url, { method = 'GET', json, body, type } = {}) {
  const extra = {};
  if (json !== undefined) {
    extra['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (type) {
    extra['Content-Type'] = type;
  }
  const response = await fetch(url, {
    method,
    body,
    headers: ownUrl(url) ? headers(extra) : extra,
    credentials: 'omit',
    cache: 'no-store',
  });
  if (response.ok) return response;
  const message = await errorMessage(response);
  if (response.status === 401) window.dispatchEvent(new CustomEvent('ocrmill:unauthorized'));
  throw new ApiError(response.status, message);
}

async function errorMessage(response) {
  try {
    const data = await response.json();
    return data.Message || data.error?.message || data.detail || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status} ${response.statusText}`;
  }
}

/** GET a JSON answer. */
export async function getJson(url) {
  return (await request(url)).json();
}

/** Send JSON (POST, PUT, DELETE) and return the JSON answer. */
export async function sendJson(method, url, json) {
  return (await request(url, { method, json })).json();
}

/** The invoice API's `data` out of its envelope (and `total` for lists). */
export async function getData(url) {
  const body = await getJson(url);
  return body.total === undefined ? body.data : { items: body.data, total: body.total };
}

/** Fetches an image or file with the credentials and gives an object URL for it (revoke when done). */
export async function blobUrl(url) {
  const blob = await (await request(url)).blob();
  return URL.createObjectURL(blob);
}

/** Fetches a file with the credentials and hands it to the browser as a download. */
export async function download(url, filename) {
  const href = await blobUrl(url);
  const link = document.createElement('a');
  link.href = href;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}
