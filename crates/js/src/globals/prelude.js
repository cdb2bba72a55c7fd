// The `ccf` global and `console`, built over the native functions in `q` (see natives.rs).
// Keys and values cross into Rust as base64 text (`bytes`); Rust hands back ArrayBuffers.
(function (q) {
  "use strict";
  // A buffer's bytes as base64: how bytes cross into Rust, which cannot read an ArrayBuffer
  // without unsafe code. Uint8Array.prototype.toBase64 is native in QuickJS, one pass over the
  // bytes (the former one-char-per-byte string went through Function.prototype.apply, an
  // argument per byte); it is taken here, so an app that replaces it changes nothing.
  const toBase64 = Uint8Array.prototype.toBase64;
  const bytes = (value) => {
    if (value instanceof ArrayBuffer) {
      return toBase64.call(new Uint8Array(value));
    }
    if (ArrayBuffer.isView(value)) {
      return toBase64.call(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    }
    throw new TypeError("expected an ArrayBuffer or a typed array");
  };
  const notSupported = (name) => () => {
    throw new Error(`${name} is not supported by Quorate yet`);
  };
  const kvMap = (name) => {
    const map = {
      has: (key) => q.kv_has(name, bytes(key)),
      get: (key) => q.kv_get(name, bytes(key)),
      getVersionOfPreviousWrite: (key) => q.kv_version(name, bytes(key)),
      set(key, value) {
        q.kv_set(name, bytes(key), bytes(value));
        return map;
      },
      delete: (key) => q.kv_delete(name, bytes(key)),
      clear: () => q.kv_clear(name),
      forEach(callback) {
        for (const [key, value] of q.kv_entries(name)) {
          callback(value, key, map);
        }
      },
      get size() {
        return q.kv_size(name);
      },
    };
    return map;
  };
  const readOnly = () => {
    throw new Error("historical state is read-only");
  };
  const historicalMap = (slot) => (name) => {
    const map = {
      has: (key) => q.historical_get(slot, name, bytes(key)) !== undefined,
      get: (key) => q.historical_get(slot, name, bytes(key)),
      getVersionOfPreviousWrite: (key) => q.historical_version(slot, name, bytes(key)),
      set: readOnly,
      delete: readOnly,
      clear: readOnly,
      forEach(callback) {
        for (const [key, value] of q.historical_entries(slot, name)) {
          callback(value, key, map);
        }
      },
      get size() {
        return q.historical_entries(slot, name).length;
      },
    };
    return map;
  };
  // Map handles hold no state of their own, so one per name serves every request.
  const mapsOf = (make) => {
    const made = new Map();
    return new Proxy(
      {},
      {
        get: (_, name) => {
          if (typeof name !== "string") {
            return undefined;
          }
          let map = made.get(name);
          if (map === undefined) {
            map = make(name);
            made.set(name, map);
          }
          return map;
        },
      },
    );
  };
  // The state in `slot` (-1: the historical endpoint's own; 0..: fetched by getStateRange).
  // `receipt` is made when read, and is a fresh object each time: apps edit it (CCF's logging
  // app deletes `leaf_components.claims_digest` before returning it).
  const historicalState = (slot) => {
    const transactionId = q.historical_txid(slot);
    if (transactionId === undefined) {
      return undefined;
    }
    const state = { transactionId, kv: mapsOf(historicalMap(slot)) };
    Object.defineProperty(state, "receipt", {
      get: () => JSON.parse(q.historical_receipt(slot)),
      enumerable: true,
    });
    return state;
  };
  const strToBuf = (text) => q.utf8_encode(String(text));
  const bufToStr = (buffer) => q.utf8_decode(bytes(buffer));
  // ccf.crypto, as @microsoft/ccf-app's global.ts types it. Arguments are checked here (a
  // TypeError names the API and the argument); the natives (crypto.rs) do the rest.
  const cryptoApi = (name) => `ccf.crypto.${name}`;
  const argBytes = (api, what, value) => {
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      return bytes(value);
    }
    throw new TypeError(`${api}: ${what} must be an ArrayBuffer or a typed array`);
  };
  const argString = (api, what, value) => {
    if (typeof value !== "string") {
      throw new TypeError(`${api}: ${what} must be a string`);
    }
    return value;
  };
  const argNumber = (api, what, value) => {
    if (typeof value !== "number") {
      throw new TypeError(`${api}: ${what} must be a number`);
    }
    return value;
  };
  const optional = (check, api, what, value) =>
    value === undefined ? undefined : check(api, what, value);
  const describe = (value) => (typeof value === "string" ? `"${value}"` : String(value));
  // {name, hash?, saltLength?} as [name, hash, saltLength].
  const signingAlgorithm = (api, algorithm) => {
    if (algorithm === null || typeof algorithm !== "object") {
      throw new TypeError(
        `${api}: signing algorithm ${describe(algorithm)} is not supported: pass an object ` +
          `such as {name: "ECDSA", hash: "SHA-256"}`,
      );
    }
    return [
      argString(api, "algorithm.name", algorithm.name),
      optional(argString, api, "algorithm.hash", algorithm.hash),
      optional(argNumber, api, "algorithm.saltLength", algorithm.saltLength),
    ];
  };
  // {name, aesKeySize?, label?} as [name, aesKeySize, label].
  const wrapAlgorithm = (api, algorithm) => {
    if (algorithm === null || typeof algorithm !== "object") {
      throw new TypeError(
        `${api}: wrapping algorithm ${describe(algorithm)} is not supported: pass an object ` +
          `such as {name: "RSA-OAEP"}`,
      );
    }
    return [
      argString(api, "wrapAlgo.name", algorithm.name),
      optional(argNumber, api, "wrapAlgo.aesKeySize", algorithm.aesKeySize),
      optional(argBytes, api, "wrapAlgo.label", algorithm.label),
    ];
  };
  const wrapping = (native, name) => (key, wrappingKey, wrapAlgo) => {
    const api = cryptoApi(name);
    const keyBytes = argBytes(api, "key", key);
    const wrappingName = name === "wrapKey" ? "wrappingKey" : "unwrappingKey";
    const wrappingBytes = argBytes(api, wrappingName, wrappingKey);
    const [algorithm, aesKeySize, label] = wrapAlgorithm(api, wrapAlgo);
    return native(keyBytes, wrappingBytes, algorithm, aesKeySize, label);
  };
  const pemToJwk = (kind, name) => (pem, kid) => {
    const api = cryptoApi(name);
    const pemText = argString(api, "pem", pem);
    return q.crypto_pem_to_jwk(kind, api, pemText, optional(argString, api, "kid", kid));
  };
  const jwkToPem = (kind, name) => (jwk) => {
    const api = cryptoApi(name);
    if (jwk === null || typeof jwk !== "object") {
      throw new TypeError(`${api}: jwk must be a JSON Web Key object`);
    }
    return q.crypto_jwk_to_pem(kind, api, JSON.stringify(jwk));
  };
  const crypto = {
    sign: (algorithm, key, data) => {
      const api = cryptoApi("sign");
      const [name, hash, saltLength] = signingAlgorithm(api, algorithm);
      const keyText = argString(api, "key", key);
      return q.crypto_sign(name, hash, saltLength, keyText, argBytes(api, "data", data));
    },
    verifySignature: (algorithm, key, signature, data) => {
      const api = cryptoApi("verifySignature");
      const [name, hash, saltLength] = signingAlgorithm(api, algorithm);
      return q.crypto_verify(
        name,
        hash,
        saltLength,
        argString(api, "key", key),
        argBytes(api, "signature", signature),
        argBytes(api, "data", data),
      );
    },
    generateAesKey: (size) =>
      q.crypto_generate_aes_key(argNumber(cryptoApi("generateAesKey"), "size", size)),
    generateRsaKeyPair: (size, exponent) => {
      const api = cryptoApi("generateRsaKeyPair");
      const bits = argNumber(api, "size", size);
      return q.crypto_generate_rsa(bits, optional(argNumber, api, "exponent", exponent));
    },
    generateEcdsaKeyPair: (curve) =>
      q.crypto_generate_ecdsa(argString(cryptoApi("generateEcdsaKeyPair"), "curve", curve)),
    generateEddsaKeyPair: (curve) =>
      q.crypto_generate_eddsa(argString(cryptoApi("generateEddsaKeyPair"), "curve", curve)),
    wrapKey: wrapping(q.crypto_wrap_key, "wrapKey"),
    unwrapKey: wrapping(q.crypto_unwrap_key, "unwrapKey"),
    digest: (algorithm, data) => {
      const api = cryptoApi("digest");
      return q.crypto_digest(argString(api, "algorithm", algorithm), argBytes(api, "data", data));
    },
    isValidX509CertBundle: (pem) =>
      q.crypto_is_valid_cert_bundle(argString(cryptoApi("isValidX509CertBundle"), "pem", pem)),
    isValidX509CertChain: (chain, trusted) => {
      const api = cryptoApi("isValidX509CertChain");
      const chainText = argString(api, "chain", chain);
      return q.crypto_is_valid_cert_chain(chainText, argString(api, "trusted", trusted));
    },
    pubPemToJwk: pemToJwk("ec-public", "pubPemToJwk"),
    pemToJwk: pemToJwk("ec-private", "pemToJwk"),
    pubRsaPemToJwk: pemToJwk("rsa-public", "pubRsaPemToJwk"),
    rsaPemToJwk: pemToJwk("rsa-private", "rsaPemToJwk"),
    pubEddsaPemToJwk: pemToJwk("eddsa-public", "pubEddsaPemToJwk"),
    eddsaPemToJwk: pemToJwk("eddsa-private", "eddsaPemToJwk"),
    pubJwkToPem: jwkToPem("ec-public", "pubJwkToPem"),
    jwkToPem: jwkToPem("ec-private", "jwkToPem"),
    pubRsaJwkToPem: jwkToPem("rsa-public", "pubRsaJwkToPem"),
    rsaJwkToPem: jwkToPem("rsa-private", "rsaJwkToPem"),
    pubEddsaJwkToPem: jwkToPem("eddsa-public", "pubEddsaJwkToPem"),
    eddsaJwkToPem: jwkToPem("eddsa-private", "eddsaJwkToPem"),
  };
  const ccf = {
    strToBuf,
    bufToStr,
    jsonCompatibleToBuf: (value) => strToBuf(JSON.stringify(value)),
    bufToJsonCompatible: (buffer) => JSON.parse(bufToStr(buffer)),
    kv: mapsOf(kvMap),
    crypto,
    // The deprecated aliases global.ts still types on `ccf`.
    digest: crypto.digest,
    generateAesKey: crypto.generateAesKey,
    generateRsaKeyPair: crypto.generateRsaKeyPair,
    generateEcdsaKeyPair: crypto.generateEcdsaKeyPair,
    wrapKey: crypto.wrapKey,
    isValidX509CertBundle: crypto.isValidX509CertBundle,
    isValidX509CertChain: crypto.isValidX509CertChain,
    rpc: {
      setApplyWrites: (apply) => q.set_apply_writes(Boolean(apply)),
      setClaimsDigest: (digest) => q.set_claims_digest(bytes(digest)),
    },
    consensus: {
      getLastCommittedTxId: () => {
        const [view, seqno] = q.last_committed();
        return { view, seqno };
      },
      getStatusForTxId: (view, seqno) => q.tx_status(Number(view), Number(seqno)),
      getViewForSeqno: (seqno) => {
        const view = q.view_for_seqno(Number(seqno));
        return view === undefined ? null : view;
      },
    },
    historical: {
      // Every state of the committed range at once: the node holds its log, so nothing is
      // ever still being fetched and `null` is never returned. The handle and expiry are
      // accepted for CCF's signature; states live until the call ends.
      getStateRange: (handle, startSeqno, endSeqno, secondsUntilExpiry) => {
        const [first, count] = q.historical_range(Number(startSeqno), Number(endSeqno));
        return Array.from({ length: count }, (_, i) => historicalState(first + i));
      },
      dropCachedStates: (handle) => true,
    },
    enableUntrustedDateTime: (enable) => Boolean(enable),
    enableMetricsLogging: (enable) => Boolean(enable),
    // CCF's user and member id: hex SHA-256 of the certificate's DER.
    pemToId: (pem) => q.pem_to_id(String(pem)),
    tcbHexToPolicy: notSupported("ccf.tcbHexToPolicy"),
  };
  // Each request's historical state (historical endpoints only).
  Object.defineProperty(ccf, "historicalState", { get: () => historicalState(-1) });
  // Governance contexts only: CCF's gov-only API (governance.js), added before `ccf` is frozen.
  if (q.governance !== undefined) {
    q.governance(q, ccf, bytes);
  }
  const log = (level) => (...parts) =>
    q.log(level, parts.map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join(" "));
  globalThis.console = {
    log: log("info"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    debug: log("debug"),
  };
  // The context serves many requests: freeze what they share so one cannot change it for
  // the next.
  const freeze = (value) => {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
      Object.freeze(value);
      Object.values(value).forEach(freeze);
    }
    return value;
  };
  for (const name of ["strToBuf", "bufToStr", "jsonCompatibleToBuf", "bufToJsonCompatible"]) {
    freeze(ccf[name]);
  }
  freeze(ccf.crypto);
  freeze(ccf.rpc);
  freeze(ccf.consensus);
  freeze(ccf.historical);
  freeze(globalThis.console);
  Object.defineProperty(globalThis, "console", { writable: false, configurable: false });
  Object.freeze(ccf);
  Object.defineProperty(globalThis, "ccf", { value: ccf, writable: false, configurable: false });

  // request.caller: COSE content arrives as one char per byte and is an ArrayBuffer in CCF
  // (also inside an all_of caller).
  const withBuffers = (caller) => {
    if (caller !== null && typeof caller === "object") {
      if (caller.cose !== undefined && typeof caller.cose.content === "string") {
        caller.cose.content = q.latin1_to_buffer(caller.cose.content);
      }
      if (Array.isArray(caller.policy)) {
        caller.policy.forEach((name) => withBuffers(caller[name]));
      }
    }
    return caller;
  };

  // request.body, as CCF's: text(), json() and arrayBuffer() on one frozen prototype rather
  // than three closures per request. The host passes the body as a string when it is UTF-8
  // (decoded once, in Rust) and as an ArrayBuffer otherwise (then text() throws, each time).
  // arrayBuffer() gives a fresh copy on every call, as CCF's does, so writing into it changes
  // neither text() nor a later arrayBuffer().
  class Body {
    #text;
    #buffer;
    constructor(content) {
      if (typeof content === "string") {
        this.#text = content;
      } else {
        this.#buffer = content;
      }
    }
    text() {
      return this.#text === undefined ? bufToStr(this.#buffer) : this.#text;
    }
    json() {
      return JSON.parse(this.text());
    }
    arrayBuffer() {
      return this.#buffer === undefined ? strToBuf(this.#text) : this.#buffer.slice(0);
    }
  }
  Object.freeze(Body.prototype);
  Object.freeze(Body);

  // The request object CCF passes to a handler, from the host's fields as arguments (no
  // intermediate object).
  const makeRequest = (method, url, path, route, query, hostname, params, headers, body, caller) => ({
    method,
    url,
    path,
    route,
    query,
    hostname,
    params,
    headers,
    caller: withBuffers(caller),
    body: new Body(body),
  });

  // A handler's return value as [status, headers as [name, value, name, value...], body,
  // binary]: a text or JSON body stays a string (the host takes its UTF-8), a binary one is
  // base64 (`bytes`).
  const makeResponse = (response) => {
    const answer = response === undefined || response === null ? {} : response;
    let body = answer.body;
    let type;
    let binary = false;
    if (body === undefined || body === null) {
      body = "";
    } else if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
      type = "application/octet-stream";
      body = bytes(body);
      binary = true;
    } else if (typeof body === "string") {
      type = "text/plain";
    } else {
      type = "application/json";
      body = String(JSON.stringify(body));
    }
    let headers = type === undefined ? [] : ["content-type", type];
    if (answer.headers) {
      // Lowercased; the app's win, content-type included.
      const merged = type === undefined ? {} : { "content-type": type };
      for (const [name, value] of Object.entries(answer.headers)) {
        merged[name.toLowerCase()] = String(value);
      }
      headers = Object.entries(merged).flat();
    }
    const status = answer.statusCode === undefined ? 200 : Number(answer.statusCode);
    return [status, headers, body, binary];
  };
  for (const [name, value] of [
    ["__quorate_request", makeRequest],
    ["__quorate_response", makeResponse],
  ]) {
    Object.defineProperty(globalThis, name, { value, writable: false, configurable: false });
  }
})(globalThis.__quorate_natives);
delete globalThis.__quorate_natives;
