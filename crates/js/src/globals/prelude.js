// The `ccf` global and `console`, built over the native functions in `q` (see natives.rs).
// Keys and values cross into Rust as byte arrays; Rust hands back ArrayBuffers.
(function (q) {
  "use strict";
  // A buffer's bytes as a string of one char per byte (Rust reads strings safely).
  const CHUNK = 8192;
  const byteString = (view) => {
    if (view.length <= CHUNK) {
      return String.fromCharCode.apply(null, view);
    }
    let text = "";
    for (let at = 0; at < view.length; at += CHUNK) {
      text += String.fromCharCode.apply(null, view.subarray(at, at + CHUNK));
    }
    return text;
  };
  const bytes = (value) => {
    if (value instanceof ArrayBuffer) {
      return byteString(new Uint8Array(value));
    }
    if (ArrayBuffer.isView(value)) {
      return byteString(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
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
  const historicalMap = (name) => ({
    has: (key) => q.historical_get(name, bytes(key)) !== undefined,
    get: (key) => q.historical_get(name, bytes(key)),
    getVersionOfPreviousWrite: notSupported("historical getVersionOfPreviousWrite"),
    set: () => {
      throw new Error("historical state is read-only");
    },
    delete: () => {
      throw new Error("historical state is read-only");
    },
    clear: () => {
      throw new Error("historical state is read-only");
    },
    forEach: notSupported("historical forEach"),
    size: 0,
  });
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
  const strToBuf = (text) => q.utf8_encode(String(text));
  const bufToStr = (buffer) => q.utf8_decode(bytes(buffer));
  const crypto = {
    digest: (algorithm, data) => q.digest(String(algorithm), bytes(data)),
    generateAesKey: (size) => q.random_bytes(size / 8),
    randomBytes: (count) => q.random_bytes(count),
  };
  for (const name of [
    "sign",
    "verifySignature",
    "generateRsaKeyPair",
    "generateEcdsaKeyPair",
    "generateEddsaKeyPair",
    "wrapKey",
    "unwrapKey",
    "pubPemToJwk",
    "pemToJwk",
    "pubRsaPemToJwk",
    "rsaPemToJwk",
    "pubEddsaPemToJwk",
    "eddsaPemToJwk",
    "pubJwkToPem",
    "jwkToPem",
    "pubRsaJwkToPem",
    "rsaJwkToPem",
    "pubEddsaJwkToPem",
    "eddsaJwkToPem",
    "isValidX509CertBundle",
    "isValidX509CertChain",
  ]) {
    crypto[name] = notSupported(`ccf.crypto.${name}`);
  }
  const ccf = {
    strToBuf,
    bufToStr,
    jsonCompatibleToBuf: (value) => strToBuf(JSON.stringify(value)),
    bufToJsonCompatible: (buffer) => JSON.parse(bufToStr(buffer)),
    kv: mapsOf(kvMap),
    crypto,
    digest: crypto.digest,
    generateAesKey: crypto.generateAesKey,
    rpc: {
      setApplyWrites: (apply) => q.set_apply_writes(Boolean(apply)),
      setClaimsDigest: (digest) => q.set_claims_digest(bytes(digest)),
    },
    consensus: {
      getLastCommittedTxId: () => {
        const [view, seqno] = q.last_committed();
        return { view, seqno };
      },
      getStatusForTxId: notSupported("ccf.consensus.getStatusForTxId"),
      getViewForSeqno: notSupported("ccf.consensus.getViewForSeqno"),
    },
    historical: {
      getStateRange: notSupported("ccf.historical.getStateRange"),
      dropCachedStates: notSupported("ccf.historical.dropCachedStates"),
    },
    enableUntrustedDateTime: (enable) => Boolean(enable),
    enableMetricsLogging: (enable) => Boolean(enable),
    pemToId: notSupported("ccf.pemToId"),
    tcbHexToPolicy: notSupported("ccf.tcbHexToPolicy"),
  };
  // Each request's historical state (historical endpoints only).
  Object.defineProperty(ccf, "historicalState", {
    get: () => {
      const transactionId = q.historical_txid();
      return transactionId === undefined
        ? undefined
        : { transactionId, kv: mapsOf(historicalMap) };
    },
  });
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

  // The request object CCF passes to a handler.
  const makeRequest = (raw) => ({
    method: raw.method,
    url: raw.url,
    path: raw.path,
    route: raw.route,
    query: raw.query,
    hostname: raw.hostname,
    params: raw.params,
    headers: raw.headers,
    caller: raw.caller,
    body: {
      text: () => bufToStr(raw.body),
      json: () => JSON.parse(bufToStr(raw.body)),
      arrayBuffer: () => raw.body,
    },
  });

  // A handler's return value as {status, headers: [[name, value]], body: ArrayBuffer}.
  const makeResponse = (response) => {
    const answer = response === undefined || response === null ? {} : response;
    const headers = {};
    let body = answer.body;
    if (body === undefined || body === null) {
      body = new ArrayBuffer(0);
    } else if (body instanceof ArrayBuffer) {
      headers["content-type"] = "application/octet-stream";
    } else if (ArrayBuffer.isView(body)) {
      headers["content-type"] = "application/octet-stream";
      body = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
    } else if (typeof body === "string") {
      headers["content-type"] = "text/plain";
      body = strToBuf(body);
    } else {
      headers["content-type"] = "application/json";
      body = strToBuf(JSON.stringify(body));
    }
    for (const [name, value] of Object.entries(answer.headers || {})) {
      headers[name.toLowerCase()] = String(value);
    }
    const status = answer.statusCode === undefined ? 200 : Number(answer.statusCode);
    return { status, headers: Object.entries(headers), body: bytes(body) };
  };
  for (const [name, value] of [
    ["__quorate_request", makeRequest],
    ["__quorate_response", makeResponse],
  ]) {
    Object.defineProperty(globalThis, name, { value, writable: false, configurable: false });
  }
})(globalThis.__quorate_natives);
delete globalThis.__quorate_natives;
