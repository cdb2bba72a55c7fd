// Handlers around the rest of the package: caller identity and headers, SHA-256 digests of
// text encoded with the package's TextEncoder, AES keys, a uint32 counter map, consensus.
import * as ccfapp from "@microsoft/ccf-app";
import * as ccfcrypto from "@microsoft/ccf-app/crypto.js";
import { ccf } from "@microsoft/ccf-app/global.js";
import { TextEncoder } from "@microsoft/ccf-app/textcodec.js";
import { callerId, error, intParam, parseQuery, toHex } from "./http.js";

/** GET /whoami: the caller, the matched route, and an echoed request header. */
export function whoami(request: ccfapp.Request): ccfapp.Response {
  const id = callerId(request);
  const note = request.headers["x-sample-note"];
  const headers: { [name: string]: string } = { "x-caller-id": id };
  if (note !== undefined) {
    headers["x-sample-echo"] = note;
  }
  return {
    headers,
    body: {
      policy: request.caller?.policy,
      id,
      method: request.method,
      route: request.route,
      path: request.path,
      note: note ?? null,
    },
  };
}

/**
 * POST /digest: SHA-256 of the body text. The text is encoded twice, with the package's
 * TextEncoder and with its `string` converter, and both must agree. `?as=binary` answers the
 * raw 32 bytes.
 */
export function digest(request: ccfapp.Request): ccfapp.Response {
  const text = request.body.text();
  const encoded = new TextEncoder().encode(text);
  const viaEncoder = ccfcrypto.digest("SHA-256", encoded.buffer as ArrayBuffer);
  const viaConverter = ccfcrypto.digest("SHA-256", ccfapp.string.encode(text));
  if (toHex(viaEncoder) !== toHex(viaConverter)) {
    return error(500, "InternalError", "TextEncoder and the string converter disagree.");
  }
  const as = parseQuery(request)["as"] ?? "hex";
  if (as === "binary") {
    return { body: viaEncoder };
  }
  if (as !== "hex") {
    return error(400, "InvalidInput", `Unknown output: ${as}.`);
  }
  return {
    body: {
      algorithm: "SHA-256",
      hex: toHex(viaEncoder),
      bytes: encoded.byteLength,
      roundTrip: ccfapp.string.decode(ccf.strToBuf(text)) === text,
    },
  };
}

/** GET /aes-key?bits=: a fresh AES key as raw bytes. */
export function aesKey(request: ccfapp.Request): ccfapp.Response {
  const bits = intParam(parseQuery(request), "bits", 256, 128, 256);
  if (bits === undefined || bits % 64 !== 0) {
    return error(400, "InvalidInput", "bits must be 128, 192 or 256.");
  }
  return { body: ccfcrypto.generateAesKey(bits) };
}

const counters = ccfapp.typedKv("counters", ccfapp.string, ccfapp.uint32);

/** POST /counters/{name}?by=: adds `by` (default 1) to a uint32 counter; answers the new value as text. */
export function increment(request: ccfapp.Request): ccfapp.Response {
  const name = request.params["name"] ?? "";
  const by = intParam(parseQuery(request), "by", 1, 0, 1000);
  if (by === undefined) {
    return error(400, "InvalidInput", "by must be a whole number from 0 to 1000.");
  }
  const value = (counters.get(name) ?? 0) + by;
  counters.set(name, value);
  return { body: String(value), headers: { "x-counter": name } };
}

/** GET /status: the last committed transaction as CCF's consensus API reports it. */
export function status(_request: ccfapp.Request): ccfapp.Response {
  const { view, seqno } = ccfapp.getLastCommittedTxId();
  return { body: { committed: `${view}.${seqno}`, view, seqno } };
}
