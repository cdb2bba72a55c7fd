// Request parsing and response shapes shared by the handlers. QuickJS has no URLSearchParams,
// so the query string is parsed here, as CCF's own samples do.
import * as ccfapp from "@microsoft/ccf-app";

export type Query = { [name: string]: string };

/** The request's query parameters, decoded; the first of repeated names wins. */
export function parseQuery(request: ccfapp.Request): Query {
  const result: Query = {};
  for (const pair of request.query.split("&")) {
    if (pair === "") {
      continue;
    }
    const at = pair.indexOf("=");
    const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, " "));
    const name = decode(at < 0 ? pair : pair.slice(0, at));
    const value = decode(at < 0 ? "" : pair.slice(at + 1));
    if (!(name in result)) {
      result[name] = value;
    }
  }
  return result;
}

/** A whole number in [min, max] from the query, `fallback` if absent, `undefined` if invalid. */
export function intParam(
  query: Query,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number | undefined {
  const text = query[name];
  if (text === undefined) {
    return fallback;
  }
  if (!/^-?[0-9]+$/.test(text)) {
    return undefined;
  }
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/** CCF's error shape. */
export function error(
  statusCode: number,
  code: string,
  message: string,
): ccfapp.Response<ErrorBody> {
  return { statusCode, body: { error: { code, message } } };
}

/** The calling user's id (`user_cert` endpoints only). */
export function callerId(request: ccfapp.Request): string {
  const caller = request.caller;
  if (caller === undefined || caller.policy !== "user_cert") {
    throw new Error("this endpoint requires user_cert authentication");
  }
  return (caller as ccfapp.UserCertAuthnIdentity).id;
}

/** Lowercase hex of a buffer. */
export function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer))
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}
