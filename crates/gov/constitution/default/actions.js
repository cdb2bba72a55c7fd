// Quorate's default constitution, part 1 of 4: the governance actions.
//
// Every action CCF's default constitution (plus its virtual-platform add-on) offers, under the
// same name, with the same arguments, checks and table effects, so that a proposal written for
// CCF works here unchanged. Each action is declared once in the table at the end of this file:
// a schema for its arguments (checked by `validate`), optional cross-argument checks, and the
// effect `apply` runs. validate.js, resolve.js and apply.js follow this file in the same module.

// ---------------------------------------------------------------------------------------------
// Tables, as stored (crates/ledger/src/tables.rs).

const T = Object.freeze({
  constitution: "public:ccf.gov.constitution",
  membersCerts: "public:ccf.gov.members.certs",
  membersInfo: "public:ccf.gov.members.info",
  membersKeys: "public:ccf.gov.members.encryption_public_keys",
  membersAcks: "public:ccf.gov.members.acks",
  history: "public:ccf.gov.history",
  usersCerts: "public:ccf.gov.users.certs",
  usersInfo: "public:ccf.gov.users.info",
  nodesInfo: "public:ccf.gov.nodes.info",
  endorsedCerts: "public:ccf.gov.nodes.endorsed_certificates",
  codeIds: "public:ccf.gov.nodes.code_ids",
  virtualMeasurements: "public:ccf.gov.nodes.virtual.measurements",
  virtualHostData: "public:ccf.gov.nodes.virtual.host_data",
  snpMeasurements: "public:ccf.gov.nodes.snp.measurements",
  snpHostData: "public:ccf.gov.nodes.snp.host_data",
  snpUvmEndorsements: "public:ccf.gov.nodes.snp.uvm_endorsements",
  snpTcbVersions: "public:ccf.gov.nodes.snp.tcb_versions",
  serviceInfo: "public:ccf.gov.service.info",
  serviceConfig: "public:ccf.gov.service.config",
  proposalsInfo: "public:ccf.gov.proposals_info",
  modules: "public:ccf.gov.modules",
  modulesBytecode: "public:ccf.gov.modules_quickjs_bytecode",
  modulesQuickJsVersion: "public:ccf.gov.modules_quickjs_version",
  interpreterFlush: "public:ccf.gov.interpreter.flush",
  endpoints: "public:ccf.gov.endpoints",
  jsRuntimeOptions: "public:ccf.gov.js_runtime_options",
  caCertBundles: "public:ccf.gov.tls.ca_cert_bundles",
  jwtIssuers: "public:ccf.gov.jwt.issuers",
  signatures: "public:ccf.internal.signatures",
});

// The value the allow-lists (code ids, measurements) hold for an allowed entry.
const ALLOWED_TO_JOIN = "AllowedToJoin";
// The state digest a member acks before any signature covers the state.
const NO_STATE_DIGEST = "0".repeat(64);
// Certificate validity (days) when service.config sets no maximum.
const DEFAULT_MAX_VALIDITY_DAYS = 365;

// ---------------------------------------------------------------------------------------------
// Small KV helpers. Keys are strings (stored as their UTF-8 bytes) unless stated otherwise.

// The key of every single-value table: eight zero bytes. It is also the marker value of a
// key-only table (a CCF set).
function singletonKey() {
  return new ArrayBuffer(8);
}

function keyBuf(key) {
  return typeof key === "string" ? ccf.strToBuf(key) : key;
}

function readJson(table, key) {
  const raw = ccf.kv[table].get(keyBuf(key));
  return raw === undefined ? undefined : ccf.bufToJsonCompatible(raw);
}

function writeJson(table, key, value) {
  ccf.kv[table].set(keyBuf(key), ccf.jsonCompatibleToBuf(value));
}

function writeText(table, key, text) {
  ccf.kv[table].set(keyBuf(key), ccf.strToBuf(text));
}

function hasKey(table, key) {
  return ccf.kv[table].has(keyBuf(key));
}

function removeKey(table, key) {
  ccf.kv[table].delete(keyBuf(key));
}

function readRequired(table, key, what) {
  const value = readJson(table, key);
  if (value === undefined) {
    throw new Error(`${what} could not be found`);
  }
  return value;
}

function serviceConfig() {
  return readRequired(T.serviceConfig, singletonKey(), "Service configuration");
}

function serviceInfo() {
  return readRequired(T.serviceInfo, singletonKey(), "Service information");
}

// ---------------------------------------------------------------------------------------------
// Bytes, hex and PEM.

function bytesToHex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Hex to bytes; throws (naming `what`) on odd length or a non-hex digit.
function hexToBytes(hex, what) {
  if (hex.length % 2 !== 0) {
    throw new Error(`${what} must have an even number of hex digits`);
  }
  if (!/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`${what} must contain only hex digits`);
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.substr(2 * i, 2), 16);
  }
  return bytes;
}

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function base64ToBytes(text) {
  const clean = text.replace(/[\s=]/g, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let at = 0;
  for (const ch of clean) {
    const sextet = BASE64_ALPHABET.indexOf(ch);
    if (sextet < 0) {
      throw new Error(`invalid base64 character '${ch}'`);
    }
    acc = (acc << 6) | sextet;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, at);
}

// DER of the first certificate of a PEM bundle.
function firstCertificateDer(pem) {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (match === null) {
    throw new Error("no PEM certificate found");
  }
  return base64ToBytes(match[1]);
}

// A member's or user's id: hex SHA-256 of the DER of its certificate (CCF's `pemToId`).
function certificateId(pem) {
  return bytesToHex(ccf.crypto.digest("SHA-256", firstCertificateDer(pem)));
}

function sha256Hex(text) {
  return bytesToHex(ccf.crypto.digest("SHA-256", ccf.strToBuf(text)));
}

// ---------------------------------------------------------------------------------------------
// Argument checkers. A checker is `(value, path) => void` and throws an Error whose message
// starts with `path` (the argument's name, e.g. `bundle.modules[0].name`).

function typeName(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function typeError(path, expected, value) {
  return new Error(`${path} must be of type ${expected} but is ${typeName(value)}`);
}

const isString = (value, path) => {
  if (typeof value !== "string") throw typeError(path, "string", value);
};
const isBoolean = (value, path) => {
  if (typeof value !== "boolean") throw typeError(path, "boolean", value);
};
const isNumber = (value, path) => {
  if (typeof value !== "number") throw typeError(path, "number", value);
};
const isInteger = (value, path) => {
  if (!Number.isInteger(value)) throw typeError(path, "integer", value);
};
// Any non-null object (CCF's "object" type, which arrays also satisfy).
const isObject = (value, path) => {
  if (typeof value !== "object" || value === null) throw typeError(path, "object", value);
};
const isArray = (value, path) => {
  if (!Array.isArray(value)) throw typeError(path, "array", value);
};
const anything = () => {};

// Absent (undefined or null) is fine; otherwise `check` applies.
function optional(check) {
  const wrapped = (value, path) => {
    if (value !== undefined && value !== null) check(value, path);
  };
  wrapped.optional = true;
  return wrapped;
}

function allOf(...checks) {
  return (value, path) => checks.forEach((check) => check(value, path));
}

function integerIn(min, max) {
  return allOf(isInteger, (value, path) => {
    if (min !== null && value < min) throw new Error(`${path} must be at least ${min}`);
    if (max !== null && value > max) throw new Error(`${path} must be at most ${max}`);
  });
}

function oneOf(choices) {
  return (value, path) => {
    if (!choices.includes(value)) {
      throw new Error(
        `${path} must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, ` +
          `not ${JSON.stringify(value)}`,
      );
    }
  };
}

function arrayOf(check, minLength = 0) {
  return allOf(isArray, (value, path) => {
    if (value.length < minLength) {
      throw new Error(`${path} must have at least ${minLength} element(s)`);
    }
    value.forEach((element, i) => check(element, `${path}[${i}]`));
  });
}

// An object with the given fields (each checked with its checker); other fields are allowed.
function fields(schema) {
  return allOf(isObject, (value, path) => checkFields(schema, value, path));
}

function checkFields(schema, value, prefix) {
  for (const [name, check] of Object.entries(schema)) {
    check(value[name], prefix ? `${prefix}.${name}` : name);
  }
}

// Lowercase hex of exactly `size` bytes.
function lowercaseHexBytes(size) {
  return allOf(isString, (value, path) => {
    if (value !== value.toLowerCase()) {
      throw new Error(`${path} must be a lowercase hex string: ${value}`);
    }
    if (hexToBytes(value, path).length !== size) {
      throw new Error(`${path} must be the hex of exactly ${size} bytes`);
    }
  });
}

// A member, user or node id: hex SHA-256 (64 hex digits).
const entityId = allOf(isString, (value, path) => {
  if (value.length !== 64) {
    throw new Error(`${path} must contain exactly 64 characters (hex SHA-256), not ${value.length}`);
  }
  if (!/^[0-9a-fA-F]*$/.test(value)) {
    throw new Error(`${path} contains a non-hexadecimal character`);
  }
});

// One or more X509 certificates, PEM.
const certificatePem = allOf(isString, (value, path) => {
  if (!ccf.crypto.isValidX509CertBundle(value)) {
    throw new Error(`${path} must be a valid X509 certificate (bundle) in PEM format`);
  }
});

const publicKeyPem = allOf(isString, (value, path) => {
  if (!/-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(value)) {
    throw new Error(`${path} must be a public key in PEM format`);
  }
});

// A JSON Web Key Set: `{keys: [{kid, kty, x5c | n,e | x,y,crv}]}`.
const jwkSet = allOf(isObject, (value, path) => {
  arrayOf(isObject)(value.keys, `${path}.keys`);
  value.keys.forEach((jwk, i) => {
    const at = `${path}.keys[${i}]`;
    isString(jwk.kid, `${at}.kid`);
    isString(jwk.kty, `${at}.kty`);
    if (jwk.x5c) {
      arrayOf(isString, 1)(jwk.x5c, `${at}.x5c`);
      jwk.x5c.forEach((b64Der, j) =>
        certificatePem(
          `-----BEGIN CERTIFICATE-----\n${b64Der}\n-----END CERTIFICATE-----`,
          `${at}.x5c[${j}]`,
        ),
      );
    } else if (jwk.n && jwk.e) {
      isString(jwk.n, `${at}.n`);
      isString(jwk.e, `${at}.e`);
    } else if (jwk.x && jwk.y) {
      isString(jwk.x, `${at}.x`);
      isString(jwk.y, `${at}.y`);
      isString(jwk.crv, `${at}.crv`);
    } else {
      throw new Error(
        `${at} must contain either x5c, or n/e for an RSA key, or x/y/crv for an EC key`,
      );
    }
  });
});

// A `valid_from` plus optional `validity_period_days`, as the certificate actions take them.
const VALIDITY_ARGS = {
  valid_from: isString,
  validity_period_days: optional(integerIn(1, null)),
};

// ---------------------------------------------------------------------------------------------
// Governance bookkeeping shared by several actions.

// Marks every other Open proposal Dropped: used by actions that change what other proposals
// mean (a new constitution, a newly allowed measurement, ...), so votes cast on the old meaning
// cannot carry them.
function dropOtherOpenProposals(keepProposalId) {
  const proposals = ccf.kv[T.proposalsInfo];
  proposals.forEach((raw, key) => {
    if (ccf.bufToStr(key) === keepProposalId) {
      return;
    }
    const info = ccf.bufToJsonCompatible(raw);
    if (info.state === "Open") {
      info.state = "Dropped";
      proposals.set(key, ccf.jsonCompatibleToBuf(info));
    }
  });
}

// Active members that hold a recovery encryption key.
function countActiveRecoveryMembers() {
  let count = 0;
  ccf.kv[T.membersKeys].forEach((_, key) => {
    const info = readJson(T.membersInfo, key);
    if (info === undefined) {
      throw new Error(`Recovery member ${ccf.bufToStr(key)} has no information`);
    }
    if (info.status === "Active") {
      count++;
    }
  });
  return count;
}

// ---------------------------------------------------------------------------------------------
// Service configuration.

const SERVICE_CONFIGURATION_ARGS = {
  reconfiguration_type: optional(isString),
  recovery_threshold: optional(integerIn(1, 254)),
  recent_cose_proposals_window_size: optional(integerIn(1, 10000)),
};

function checkReconfigurationTypeChange(from, to) {
  if (to === undefined || to === from) {
    return;
  }
  const upgrade = (from === undefined || from === "OneTransaction") && to === "TwoTransaction";
  if (!upgrade) {
    throw new Error(`Cannot change reconfiguration type from ${from} to ${to}.`);
  }
}

function checkRecoveryThresholdChange(from, to) {
  if (to === undefined || to === from) {
    return;
  }
  const status = serviceInfo().status;
  if (status === "WaitingForRecoveryShares") {
    throw new Error(`Cannot set recovery threshold if service is ${status}`);
  }
  if (status === "Open") {
    const recoveryMembers = countActiveRecoveryMembers();
    if (to > recoveryMembers) {
      throw new Error(
        `Cannot set recovery threshold to ${to}: recovery threshold would be greater than ` +
          `the number of recovery members ${recoveryMembers}`,
      );
    }
  }
}

// Applies the fields of `changes` that set_service_configuration may change; a new recovery
// threshold re-issues the recovery shares.
function updateServiceConfiguration(changes) {
  const config = serviceConfig();
  checkReconfigurationTypeChange(config.reconfiguration_type, changes.reconfiguration_type);
  checkRecoveryThresholdChange(config.recovery_threshold, changes.recovery_threshold);

  if (changes.reconfiguration_type !== undefined) {
    config.reconfiguration_type = changes.reconfiguration_type;
  }
  const thresholdChanged =
    changes.recovery_threshold !== undefined &&
    changes.recovery_threshold !== config.recovery_threshold;
  if (thresholdChanged) {
    config.recovery_threshold = changes.recovery_threshold;
  }
  if (changes.recent_cose_proposals_window_size !== undefined) {
    config.recent_cose_proposals_window_size = changes.recent_cose_proposals_window_size;
  }
  writeJson(T.serviceConfig, singletonKey(), config);

  if (thresholdChanged) {
    ccf.node.triggerRecoverySharesRefresh();
  }
}

// ---------------------------------------------------------------------------------------------
// Certificates.

// The validity to give a new certificate: the requested one, which may not exceed the
// configured maximum, or the maximum.
function validityDays(requested, configuredMax) {
  const max = configuredMax ?? DEFAULT_MAX_VALIDITY_DAYS;
  if (requested !== undefined && requested !== null && requested > max) {
    throw new Error(
      `Validity period ${requested} (days) is not allowed: service max allowed is ${max} (days)`,
    );
  }
  return requested ?? max;
}

// Endorses the node's CSR with the service key and records the certificate (raw PEM).
function endorseNodeCertificate(nodeId, nodeInfo, validFrom, requestedDays) {
  if (nodeInfo.certificate_signing_request === undefined) {
    throw new Error(`Node ${nodeId} has no certificate signing request`);
  }
  const days = validityDays(requestedDays, serviceConfig().maximum_node_certificate_validity_days);
  const pem = ccf.network.generateEndorsedCertificate(
    nodeInfo.certificate_signing_request,
    validFrom,
    days,
  );
  writeText(T.endorsedCerts, nodeId, pem);
}

function renewServiceCertificate(validFrom, requestedDays) {
  const days = validityDays(
    requestedDays,
    serviceConfig().maximum_service_certificate_validity_days,
  );
  const pem = ccf.network.generateNetworkCertificate(validFrom, days);
  const info = serviceInfo();
  info.cert = pem;
  writeJson(T.serviceInfo, singletonKey(), info);
}

function requireNode(nodeId) {
  const info = readJson(T.nodesInfo, nodeId);
  if (info === undefined) {
    throw new Error(`No such node: ${nodeId}`);
  }
  return info;
}

// ---------------------------------------------------------------------------------------------
// JS app bundles.

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
const ENDPOINT_MODES = ["readwrite", "readonly", "historical"];
const FORWARDING = ["sometimes", "always", "never"];
const REDIRECTION = ["none", "to_primary", "to_backup"];

// Modules are keyed `/name`, as the node's loader and CCF key them.
function moduleKey(name) {
  return name.startsWith("/") ? name : `/${name}`;
}

const authnPolicy = (value, path) => {
  if (typeof value === "string") {
    return; // an unknown name is reported when the app loads
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    arrayOf(isString)(value.all_of, `${path}.all_of`);
    return;
  }
  throw new Error(`${path} must be of type string or object but is ${typeName(value)}`);
};

const endpointInfo = fields({
  js_module: isString,
  js_function: isString,
  mode: oneOf(ENDPOINT_MODES),
  forwarding_required: oneOf(FORWARDING),
  redirection_strategy: optional(oneOf(REDIRECTION)),
  openapi: optional(isObject),
  openapi_hidden: optional(isBoolean),
  authn_policies: arrayOf(authnPolicy),
});

const jsBundle = allOf(
  fields({
    modules: arrayOf(fields({ name: isString, module: isString })),
    metadata: fields({ endpoints: isObject }),
  }),
  (bundle, path) => {
    const names = new Set(bundle.modules.map((m) => moduleKey(m.name)));
    for (const [url, methods] of Object.entries(bundle.metadata.endpoints)) {
      const at = `${path}.metadata.endpoints[${JSON.stringify(url)}]`;
      if (!url.startsWith("/")) {
        throw new Error(`${at}: the path must start with '/'`);
      }
      isObject(methods, at);
      for (const [method, info] of Object.entries(methods)) {
        const where = `${at}[${JSON.stringify(method)}]`;
        if (!HTTP_METHODS.includes(method.toLowerCase())) {
          throw new Error(`${where}: not an HTTP method (one of ${HTTP_METHODS.join(", ")})`);
        }
        endpointInfo(info, where);
        if (!names.has(moduleKey(info.js_module))) {
          throw new Error(`${where}.js_module: module '${info.js_module}' not found in bundle`);
        }
      }
    }
  },
);

function clearTables(...tables) {
  tables.forEach((table) => ccf.kv[table].clear());
}

// Writes the bundle as CCF stores it and the node reads it back (quorate_js::Bundle::from_kv):
// each module's source as raw text at `/name`, each endpoint at `"VERB /path"` with its app.json
// properties as JSON.
function deployJsApp(bundle, disableBytecodeCache) {
  clearTables(T.modules, T.endpoints);
  for (const { name, module } of bundle.modules) {
    writeText(T.modules, moduleKey(name), module);
  }
  writeJson(T.interpreterFlush, singletonKey(), true);
  for (const [url, methods] of Object.entries(bundle.metadata.endpoints)) {
    for (const [method, info] of Object.entries(methods)) {
      const key = `${method.toUpperCase()} ${url}`;
      writeJson(T.endpoints, key, { ...info, js_module: moduleKey(info.js_module) });
    }
  }
  if (disableBytecodeCache) {
    clearTables(T.modulesBytecode, T.modulesQuickJsVersion);
  }
  // Quorate keeps no bytecode in the KV: here this compiles the app just written and fails the
  // proposal if it would not load (so the previous app keeps serving). CCF skips it when the
  // cache is disabled; Quorate runs the check either way, as it writes nothing.
  ccf.refreshAppBytecodeCache();
}

// ---------------------------------------------------------------------------------------------
// SEV-SNP TCB versions.

// The SEV-SNP product of a CPUID (hex of the little-endian Fn0000_0001_EAX value).
function snpProduct(cpuidHex) {
  const eax = parseInt(cpuidHex, 16);
  const family = ((eax >>> 8) & 0xf) + ((eax >>> 20) & 0xff);
  const model = (((eax >>> 16) & 0xf) << 4) | ((eax >>> 4) & 0xf);
  const products = [
    ["Milan", 0x19, 0x01],
    ["Genoa", 0x19, 0x11],
    ["Turin", 0x1a, 0x01],
  ];
  const found = products.find(([, f, m]) => f === family && m === model);
  if (found === undefined) {
    throw new Error(
      `cpuid ${cpuidHex} is not a supported SEV-SNP product (family 0x${family.toString(16)}, ` +
        `model 0x${model.toString(16)}; Milan, Genoa and Turin are)`,
    );
  }
  return found[0];
}

// The TCB policy object for a raw TCB version (CCF's `tcbHexToPolicy`): the hex is the
// byte-reversed 8-byte TCB_VERSION, whose layout depends on the product.
function tcbPolicyFromHex(cpuidHex, tcbHex) {
  const b = hexToBytes(tcbHex, "tcb_version").reverse();
  if (snpProduct(cpuidHex) === "Turin") {
    return {
      hexstring: tcbHex,
      microcode: b[7],
      snp: b[3],
      tee: b[2],
      boot_loader: b[1],
      fmc: b[0],
    };
  }
  return { hexstring: tcbHex, microcode: b[7], snp: b[6], tee: b[1], boot_loader: b[0] };
}

const cpuid = lowercaseHexBytes(4);

// ---------------------------------------------------------------------------------------------
// The action table.
//
// Each definition has:
//   args:  a schema `{name: checker}` for an object argument; NO_ARGS for actions that take
//          none; ANY_ARGS for actions that ignore their argument.
//   exact: when true, argument names outside the schema are refused.
//   check: optional `(args) => void`, for checks across arguments or against the store.
//   apply: `(args, proposalId) => void`.

const NO_ARGS = "no arguments";
const ANY_ARGS = "any arguments";

const actions = new Map();

function defineAction(name, definition) {
  actions.set(name, Object.freeze({ name, ...definition }));
}

// Throws when `args` does not suit the action; the message names the argument.
function checkActionArgs(definition, args) {
  if (definition.args === ANY_ARGS) {
    // nothing to check
  } else if (definition.args === NO_ARGS) {
    if (args !== undefined && args !== null) {
      throw new Error(`takes no arguments, but was given ${JSON.stringify(args)}`);
    }
  } else {
    if (typeof args !== "object" || args === null || Array.isArray(args)) {
      throw new Error(`args must be an object but is ${typeName(args)}`);
    }
    if (definition.exact) {
      for (const name of Object.keys(args)) {
        if (!(name in definition.args)) {
          throw new Error(
            `Cannot change ${name} via ${definition.name}: the arguments are ` +
              Object.keys(definition.args).join(", "),
          );
        }
      }
    }
    checkFields(definition.args, args, "");
  }
  if (definition.check) {
    definition.check(args);
  }
}

// Allow-list tables (measurements, code ids, host data): an add action drops other open
// proposals, a remove action deletes the key.
function defineAllowListActions({ add, remove, table, argName, value, extraArgs = {}, check }) {
  defineAction(add, {
    args: { [argName]: isString, ...extraArgs },
    check,
    apply(args, proposalId) {
      const entry = value(args);
      if (entry instanceof ArrayBuffer) {
        ccf.kv[table].set(ccf.strToBuf(args[argName]), entry);
      } else {
        writeJson(table, args[argName], entry);
      }
      dropOtherOpenProposals(proposalId);
    },
  });
  defineAction(remove, {
    args: { [argName]: isString },
    apply(args) {
      removeKey(table, args[argName]);
    },
  });
}

// --- Constitution -----------------------------------------------------------------------------

defineAction("set_constitution", {
  args: { constitution: isString },
  check(args) {
    ccf.gov.validateConstitution(args.constitution);
  },
  apply(args, proposalId) {
    writeJson(T.constitution, singletonKey(), args.constitution);
    dropOtherOpenProposals(proposalId);
  },
});

// --- Members ----------------------------------------------------------------------------------

const RECOVERY_ROLES = ["NonParticipant", "Participant", "Owner"];

defineAction("set_member", {
  args: {
    cert: certificatePem,
    encryption_pub_key: optional(publicKeyPem),
    member_data: optional(isObject),
    recovery_role: optional(oneOf(RECOVERY_ROLES)),
  },
  check(args) {
    const withKey = args.encryption_pub_key !== undefined && args.encryption_pub_key !== null;
    const withRole = args.recovery_role !== undefined && args.recovery_role !== null;
    if (withRole && !withKey) {
      throw new Error(
        "recovery_role: cannot specify a recovery_role value when encryption_pub_key is not specified",
      );
    }
  },
  apply(args) {
    const id = certificateId(args.cert);
    writeText(T.membersCerts, id, args.cert);
    if (args.encryption_pub_key === undefined || args.encryption_pub_key === null) {
      removeKey(T.membersKeys, id);
    } else {
      writeText(T.membersKeys, id, args.encryption_pub_key);
    }
    // Absent (undefined) fields are left out of the stored JSON.
    writeJson(T.membersInfo, id, {
      member_data: args.member_data,
      recovery_role: args.recovery_role,
      status: "Accepted",
    });
    // The new member acknowledges the state as of the latest signature (all zeros before the
    // first one, as genesis records it; the member can ask for a fresh digest).
    const signature = readJson(T.signatures, singletonKey());
    writeJson(T.membersAcks, id, {
      state_digest: signature === undefined ? NO_STATE_DIGEST : signature.root,
    });
  },
});

defineAction("remove_member", {
  args: { member_id: entityId },
  apply(args) {
    const id = args.member_id;
    const info = readJson(T.membersInfo, id);
    if (info === undefined) {
      return; // already gone
    }
    const activeRecoveryMember = info.status === "Active" && hasKey(T.membersKeys, id);
    if (activeRecoveryMember) {
      const threshold = serviceConfig().recovery_threshold;
      const remaining = countActiveRecoveryMembers() - 1;
      if (remaining < threshold) {
        throw new Error(
          `Number of active recovery members (${remaining}) would be less than recovery ` +
            `threshold (${threshold})`,
        );
      }
    }
    for (const table of [T.membersInfo, T.membersKeys, T.membersCerts, T.membersAcks, T.history]) {
      removeKey(table, id);
    }
    if (activeRecoveryMember) {
      // The removed member's share opens the current ledger secret: move to a new one, shared
      // among the remaining recovery members only.
      ccf.node.triggerLedgerRekey();
    }
  },
});

defineAction("set_member_data", {
  args: { member_id: entityId, member_data: isObject },
  apply(args) {
    const info = readJson(T.membersInfo, args.member_id);
    if (info === undefined) {
      throw new Error(`Member ${args.member_id} does not exist`);
    }
    info.member_data = args.member_data;
    writeJson(T.membersInfo, args.member_id, info);
  },
});

// --- Users ------------------------------------------------------------------------------------

function writeUserData(userId, userData) {
  if (userData === undefined || userData === null) {
    removeKey(T.usersInfo, userId);
  } else {
    writeJson(T.usersInfo, userId, { user_data: userData });
  }
}

defineAction("set_user", {
  args: { cert: certificatePem, user_data: optional(isObject) },
  apply(args) {
    const id = certificateId(args.cert);
    writeText(T.usersCerts, id, args.cert);
    writeUserData(id, args.user_data);
  },
});

defineAction("remove_user", {
  args: { user_id: entityId },
  apply(args) {
    removeKey(T.usersCerts, args.user_id);
    removeKey(T.usersInfo, args.user_id);
  },
});

defineAction("set_user_data", {
  args: { user_id: entityId, user_data: optional(isObject) },
  apply(args) {
    writeUserData(args.user_id, args.user_data);
  },
});

// --- Recovery and ledger secrets ---------------------------------------------------------------

defineAction("set_recovery_threshold", {
  args: { recovery_threshold: integerIn(1, 254) },
  apply(args) {
    updateServiceConfiguration({ recovery_threshold: args.recovery_threshold });
  },
});

defineAction("trigger_recovery_shares_refresh", {
  args: NO_ARGS,
  apply() {
    ccf.node.triggerRecoverySharesRefresh();
  },
});

defineAction("trigger_ledger_rekey", {
  args: NO_ARGS,
  apply() {
    ccf.node.triggerLedgerRekey();
  },
});

// --- Service ----------------------------------------------------------------------------------

defineAction("transition_service_to_open", {
  args: {
    next_service_identity: certificatePem,
    previous_service_identity: optional(certificatePem),
  },
  apply(args) {
    const previous = args.previous_service_identity ?? undefined;
    if (serviceInfo().status === "Recovering" && previous === undefined) {
      throw new Error(
        "Opening a recovering network requires both, the previous and the next service identity",
      );
    }
    ccf.node.transitionServiceToOpen(
      previous === undefined ? undefined : ccf.strToBuf(previous),
      ccf.strToBuf(args.next_service_identity),
    );
  },
});

defineAction("set_service_configuration", {
  args: SERVICE_CONFIGURATION_ARGS,
  exact: true,
  apply(args) {
    updateServiceConfiguration(args);
  },
});

defineAction("set_service_certificate_validity", {
  args: VALIDITY_ARGS,
  apply(args) {
    renewServiceCertificate(args.valid_from, args.validity_period_days);
  },
});

// Valid only while the given certificate is the service's: binds a proposal to one service.
defineAction("assert_service_identity", {
  args: { service_identity: certificatePem },
  check(args) {
    const current = serviceInfo().cert;
    if (certificateId(current) !== certificateId(args.service_identity)) {
      throw new Error("service_identity: Service identity certificate mismatch");
    }
  },
  apply() {},
});

defineAction("trigger_ledger_chunk", {
  args: ANY_ARGS,
  apply() {
    ccf.node.triggerLedgerChunk();
  },
});

defineAction("trigger_snapshot", {
  args: ANY_ARGS,
  apply() {
    ccf.node.triggerSnapshot();
  },
});

// --- JS application ---------------------------------------------------------------------------

defineAction("set_js_app", {
  args: { bundle: jsBundle, disable_bytecode_cache: optional(isBoolean) },
  apply(args) {
    deployJsApp(args.bundle, args.disable_bytecode_cache === true);
  },
});

defineAction("remove_js_app", {
  args: ANY_ARGS,
  apply() {
    clearTables(
      T.modules,
      T.modulesBytecode,
      T.modulesQuickJsVersion,
      T.interpreterFlush,
      T.endpoints,
    );
  },
});

defineAction("set_js_runtime_options", {
  args: {
    max_heap_bytes: integerIn(0, null),
    max_stack_bytes: integerIn(0, null),
    max_execution_time_ms: integerIn(0, null),
    log_exception_details: optional(isBoolean),
    return_exception_details: optional(isBoolean),
    max_cached_interpreters: optional(isInteger),
  },
  apply(args) {
    writeJson(T.jsRuntimeOptions, singletonKey(), args);
  },
});

defineAction("refresh_js_app_bytecode_cache", {
  args: ANY_ARGS,
  apply() {
    ccf.refreshAppBytecodeCache();
  },
});

// --- TLS CA bundles and JWT ---------------------------------------------------------------------

defineAction("set_ca_cert_bundle", {
  args: { name: isString, cert_bundle: certificatePem },
  apply(args) {
    writeJson(T.caCertBundles, args.name, args.cert_bundle);
  },
});

defineAction("remove_ca_cert_bundle", {
  args: { name: isString },
  apply(args) {
    removeKey(T.caCertBundles, args.name);
  },
});

// `https://host/path` with neither query nor fragment.
function checkAutoRefreshIssuer(issuer) {
  const parts = /^(([^:/?#]+):)?(\/\/([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?/.exec(issuer);
  if (parts === null || parts[2] !== "https") {
    throw new Error("issuer must be a URL starting with https:// if auto_refresh is true");
  }
  if (parts[7] || parts[9]) {
    throw new Error("issuer must be a URL without query/fragment if auto_refresh is true");
  }
}

defineAction("set_jwt_issuer", {
  args: {
    issuer: isString,
    auto_refresh: optional(isBoolean),
    ca_cert_bundle_name: optional(isString),
    jwks: optional(jwkSet),
  },
  check(args) {
    if (args.auto_refresh) {
      if (!args.ca_cert_bundle_name) {
        throw new Error("ca_cert_bundle_name is missing but required if auto_refresh is true");
      }
      checkAutoRefreshIssuer(args.issuer);
    }
  },
  apply(args) {
    if (args.auto_refresh && !hasKey(T.caCertBundles, args.ca_cert_bundle_name)) {
      throw new Error(`No CA cert bundle found with name '${args.ca_cert_bundle_name}'`);
    }
    // The issuer's metadata is every argument but the keys.
    const { jwks, ...metadata } = args;
    if (jwks) {
      ccf.setJwtPublicSigningKeys(args.issuer, metadata, jwks);
    }
    writeJson(T.jwtIssuers, args.issuer, metadata);
  },
});

defineAction("set_jwt_public_signing_keys", {
  args: { issuer: isString, jwks: jwkSet },
  apply(args) {
    const metadata = readJson(T.jwtIssuers, args.issuer);
    if (metadata === undefined) {
      throw new Error(`issuer ${args.issuer} not found`);
    }
    ccf.setJwtPublicSigningKeys(args.issuer, metadata, args.jwks);
  },
});

defineAction("remove_jwt_issuer", {
  args: { issuer: isString },
  apply(args) {
    if (!hasKey(T.jwtIssuers, args.issuer)) {
      return;
    }
    removeKey(T.jwtIssuers, args.issuer);
    ccf.removeJwtPublicSigningKeys(args.issuer);
  },
});

// --- Code and attestation policy ---------------------------------------------------------------

const allowedToJoin = () => ALLOWED_TO_JOIN;

defineAllowListActions({
  add: "add_node_code",
  remove: "remove_node_code",
  table: T.codeIds,
  argName: "code_id",
  value: allowedToJoin,
});

defineAllowListActions({
  add: "add_virtual_measurement",
  remove: "remove_virtual_measurement",
  table: T.virtualMeasurements,
  argName: "measurement",
  value: allowedToJoin,
});

defineAllowListActions({
  add: "add_virtual_host_data",
  remove: "remove_virtual_host_data",
  table: T.virtualHostData,
  argName: "host_data",
  value: singletonKey, // a key-only table: the value is CCF's unit marker
});

defineAllowListActions({
  add: "add_snp_measurement",
  remove: "remove_snp_measurement",
  table: T.snpMeasurements,
  argName: "measurement",
  value: allowedToJoin,
});

defineAllowListActions({
  add: "add_snp_host_data",
  remove: "remove_snp_host_data",
  table: T.snpHostData,
  argName: "host_data",
  extraArgs: { security_policy: isString },
  // A non-empty raw policy must be the one the host data digests.
  check(args) {
    if (args.security_policy === "") {
      return;
    }
    const digest = sha256Hex(args.security_policy);
    const hostData = bytesToHex(hexToBytes(args.host_data, "host_data"));
    if (digest !== hostData) {
      throw new Error(
        `host_data: the hash of raw policy ${digest} does not match digest ${hostData}`,
      );
    }
  },
  value: (args) => args.security_policy,
});

function uvmEndorsementsOf(did) {
  return readJson(T.snpUvmEndorsements, did) ?? {};
}

defineAction("add_snp_uvm_endorsement", {
  args: { did: isString, feed: isString, svn: isString },
  apply(args, proposalId) {
    const feeds = uvmEndorsementsOf(args.did);
    feeds[args.feed] = { svn: args.svn };
    writeJson(T.snpUvmEndorsements, args.did, feeds);
    dropOtherOpenProposals(proposalId);
  },
});

defineAction("remove_snp_uvm_endorsement", {
  args: { did: isString, feed: isString },
  apply(args) {
    const feeds = uvmEndorsementsOf(args.did);
    delete feeds[args.feed];
    if (Object.keys(feeds).length === 0) {
      removeKey(T.snpUvmEndorsements, args.did);
    } else {
      writeJson(T.snpUvmEndorsements, args.did, feeds);
    }
  },
});

defineAction("set_snp_minimum_tcb_version", {
  args: {
    cpuid,
    tcb_version: fields({
      boot_loader: isNumber,
      tee: isNumber,
      snp: isNumber,
      microcode: isNumber,
    }),
  },
  apply(args, proposalId) {
    writeJson(T.snpTcbVersions, args.cpuid, args.tcb_version);
    dropOtherOpenProposals(proposalId);
  },
});

defineAction("set_snp_minimum_tcb_version_hex", {
  args: { cpuid, tcb_version: lowercaseHexBytes(8) },
  check(args) {
    snpProduct(args.cpuid);
  },
  apply(args, proposalId) {
    writeJson(T.snpTcbVersions, args.cpuid, tcbPolicyFromHex(args.cpuid, args.tcb_version));
    dropOtherOpenProposals(proposalId);
  },
});

defineAction("remove_snp_minimum_tcb_version", {
  args: { cpuid },
  apply(args) {
    if (!hasKey(T.snpTcbVersions, args.cpuid)) {
      throw new Error(`CPUID ${args.cpuid} not found`);
    }
    removeKey(T.snpTcbVersions, args.cpuid);
  },
});

// --- Nodes ------------------------------------------------------------------------------------

defineAction("set_node_data", {
  args: { node_id: entityId, node_data: anything },
  apply(args) {
    const info = readJson(T.nodesInfo, args.node_id);
    if (info === undefined) {
      throw new Error(`Node ${args.node_id} does not exist`);
    }
    info.node_data = args.node_data;
    writeJson(T.nodesInfo, args.node_id, info);
  },
});

defineAction("transition_node_to_trusted", {
  args: { node_id: entityId, ...VALIDITY_ARGS },
  apply(args) {
    serviceConfig(); // must exist
    const info = requireNode(args.node_id);
    if (info.status !== "Pending") {
      return; // already trusted (or retired): nothing to do
    }
    info.status = "Trusted";
    info.ledger_secret_seqno = ccf.network.getLatestLedgerSecretSeqno();
    writeJson(T.nodesInfo, args.node_id, info);
    if (info.certificate_signing_request !== undefined) {
      endorseNodeCertificate(args.node_id, info, args.valid_from, args.validity_period_days);
    }
  },
});

defineAction("remove_node", {
  args: { node_id: entityId },
  apply(args) {
    serviceConfig(); // must exist
    const info = readJson(T.nodesInfo, args.node_id);
    if (info === undefined) {
      return; // already gone
    }
    if (info.status === "Pending") {
      removeKey(T.nodesInfo, args.node_id);
    } else {
      info.status = "Retired";
      writeJson(T.nodesInfo, args.node_id, info);
    }
  },
});

defineAction("set_node_certificate_validity", {
  args: { node_id: entityId, ...VALIDITY_ARGS },
  apply(args) {
    const info = requireNode(args.node_id);
    if (info.status !== "Trusted") {
      throw new Error(`Node ${args.node_id} is not trusted`);
    }
    endorseNodeCertificate(args.node_id, info, args.valid_from, args.validity_period_days);
  },
});

defineAction("set_all_nodes_certificate_validity", {
  args: VALIDITY_ARGS,
  apply(args) {
    ccf.kv[T.nodesInfo].forEach((raw, key) => {
      const info = ccf.bufToJsonCompatible(raw);
      if (info.status === "Trusted") {
        endorseNodeCertificate(
          ccf.bufToStr(key),
          info,
          args.valid_from,
          args.validity_period_days,
        );
      }
    });
  },
});
